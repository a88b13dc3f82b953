/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_CONSTELLATION_TABLE_H
#define INCLUDED_NEURALMIMO_CONSTELLATION_TABLE_H

#include <gnuradio/neuralmimo/api.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief A labelled constellation with unit average energy (no GNU Radio types).
 *
 * Names: "bpsk", "qpsk", "qam16", "qam64", "qam256". Labels are the Gray
 * labels of 3GPP TS 38.211 section 5.1: symbol index i carries the bits of i,
 * most significant bit first (b0 = MSB of i). BPSK is real (bit 0 -> +1,
 * bit 1 -> -1), not the 45-degree rotated BPSK of 38.211. For QAM the real
 * part is driven by the even label bits b0, b2, ... and the imaginary part by
 * the odd bits b1, b3, ...:
 *   QPSK:   (1/sqrt(2)) [(1-2b0) + j(1-2b1)]
 *   16QAM:  (1/sqrt(10)) {(1-2b0)[2-(1-2b2)] + j(1-2b1)[2-(1-2b3)]}
 *   64QAM:  (1/sqrt(42)) {(1-2b0)[4-(1-2b2)[2-(1-2b4)]] + j(...odd bits...)}
 *   256QAM: (1/sqrt(170)) {(1-2b0)[8-(1-2b2)[4-(1-2b4)[2-(1-2b6)]]] + j(...)}
 *
 * The table is computed in double and rounded once to float, so it equals the
 * complex64 table of the Python package (neuralmimo.constellation) bit for bit.
 */
class NEURALMIMO_API constellation_table
{
public:
    /*!
     * \param name one of names(); anything else throws std::invalid_argument
     *             naming the value and the accepted names.
     */
    explicit constellation_table(const std::string& name);

    //! The accepted names, in order of increasing bits per symbol.
    static const std::vector<std::string>& names();

    //! True when \p name is one of names().
    static bool is_valid_name(const std::string& name);

    /*!
     * \brief \p name itself when it is one of names().
     * \throws std::invalid_argument "<who>: constellation 'qam32' is not one
     *         of bpsk, qpsk, qam16, qam64, qam256" otherwise
     */
    static const std::string& checked_name(const std::string& who, const std::string& name);

    //! Bits per symbol K for a valid name (throws std::invalid_argument otherwise).
    static int bits_per_symbol(const std::string& name);

    const std::string& name() const { return d_name; }

    //! K: 1, 2, 4, 6 or 8.
    int bits_per_symbol() const { return d_k; }

    //! M = 2^K.
    int order() const { return static_cast<int>(d_points.size()); }

    //! points: complex64[M]; point i has label i.
    const std::complex<float>* points() const { return d_points.data(); }

    //! bits: uint8[M * K]; bit k (0 = MSB) of the label of point i at i*K + k.
    const uint8_t* bits() const { return d_bits.data(); }

    //! The label bit k of point i (0 or 1).
    int bit(int i, int k) const { return d_bits[static_cast<size_t>(i) * d_k + k]; }

private:
    std::string d_name;
    int d_k;
    std::vector<std::complex<float>> d_points;
    std::vector<uint8_t> d_bits;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_CONSTELLATION_TABLE_H */
