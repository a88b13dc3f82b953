/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_SOFTBIT_DEQUANTIZER_H
#define INCLUDED_NEURALMIMO_SOFTBIT_DEQUANTIZER_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/sync_block.h>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief Dequantiser of packed soft-bit codes back to levels (C++).
 * \ingroup neuralmimo
 *
 * In: uint8[ceil(N * bits / 8)] per item, the wire format of
 * softbit_quantizer. Out: float[N] per item, the level of each code (row j
 * of a per-position codebook for position j). Every bits-wide code is a
 * valid one (L = 2^bits), so there is no invalid input; padding bits are
 * ignored.
 */
class NEURALMIMO_API softbit_dequantizer : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<softbit_dequantizer> sptr;

    /*!
     * \brief Make a soft-bit dequantiser block (the same arguments as the
     *        quantiser it undoes).
     *
     * \param n vector length N (floats per output item), >= 1
     * \param bits bits per code, 1..16
     * \param mode "uniform" or "codebook"
     * \param clip uniform: half-width of the range, in [1e-20, 1e20]; codebook: ignored
     * \param thresholds codebook: float[G * (L-1)] strictly increasing per row; uniform: empty
     * \param levels codebook: float[G * L]; uniform: empty
     * \throws std::invalid_argument naming the parameter and the values
     */
    static sptr make(int n,
                     int bits,
                     const std::string& mode,
                     float clip,
                     const std::vector<float>& thresholds,
                     const std::vector<float>& levels);

    //! ceil(N * bits / 8): the input item size in bytes.
    virtual int bytes_per_vector() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SOFTBIT_DEQUANTIZER_H */
