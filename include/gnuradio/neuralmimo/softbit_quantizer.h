/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_H
#define INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief Scalar quantiser of soft values (LLRs, soft bits, latents) to
 *        packed codes (C++).
 * \ingroup neuralmimo
 *
 * In: float[N] per item. Out: uint8[ceil(N * bits / 8)] per item, the N
 * codes, each `bits` wide, MSB first, zero-padded to whole bytes (the wire
 * format of python/neuralmimo/phy/quantizer.py, which defines the codes).
 *
 * mode "uniform": 2^bits equal cells over [-clip, clip]; mode "codebook":
 * code = number of thresholds <= x, with one codebook for every position or
 * one per position (thresholds float[G * (L-1)], levels float[G * L],
 * row-major, G = 1 or N, L = 2^bits). The kernel is softbit_quant.
 *
 * work() never fails: a NaN input gets the code of the cell holding 0.0
 * (an erasure) and is counted by erased(); +-Inf (uniform mode: any
 * |x| > clip) gets the outer code and is counted by clamped(). The first
 * of each is logged once as a warning.
 */
class NEURALMIMO_API softbit_quantizer : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<softbit_quantizer> sptr;

    /*!
     * \brief Make a soft-bit quantiser block.
     *
     * \param n vector length N (floats per item), >= 1
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

    //! NaN inputs so far (coded as the cell of 0.0).
    virtual uint64_t erased() const = 0;
    //! Clamped inputs so far (+-Inf; uniform mode also finite |x| > clip).
    virtual uint64_t clamped() const = 0;
    //! ceil(N * bits / 8): the output item size in bytes.
    virtual int bytes_per_vector() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_H */
