/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_CG_DETECTOR_H
#define INCLUDED_NEURALMIMO_CG_DETECTOR_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief Conjugate-gradient MIMO detector (C++): classical CG, or LcgNet with
 *        learned step sizes, with max-log LLRs.
 * \ingroup neuralmimo
 *
 * Model y = H x + n, n ~ CN(0, noise_var I), unit-energy constellation with
 * the Gray labels of 3GPP TS 38.211 section 5.1 (BPSK real, bit 0 -> +1).
 * The algorithm and the LLR variance are those of cg_kernel (cg_kernel.h).
 *
 * Inputs, one item per resource element:
 *  - 0 `y`: gr_complex[Nr], the received vector
 *  - 1 `h`: gr_complex[Nr * Nt], the channel, row-major (H[r, t] at r*Nt + t)
 *  - 2 `noise_var`: float[1], noise variance per complex receive dimension
 *
 * One output, selected by `output`:
 *  - "symbols":  gr_complex[Nt], hard decisions (the point nearest to z)
 *  - "estimate": gr_complex[Nt], the CG / LcgNet estimate xhat
 *  - "llr":      float[Nt * K], max-log LLR = ln P(b=1)/P(b=0), user-major
 *                (stream t, bit k at t*K + k)
 *  - "bits":     uint8[Nt * K], hard bits (0/1), same layout
 *
 * The per-channel set-up (A, and for learned steps M, T, W, mu, nu) is
 * cached: while H and noise_var stay bitwise equal from one item to the next,
 * only the per-item product and the demapping are computed.
 *
 * LLRs are clipped to +-100. noise_var = 0 is valid (floored at 1e-10). An
 * item whose y or H has NaN/Inf, whose noise_var is < 0 or not finite, whose H
 * is all zero, whose classical LLR variance meets a numerically singular
 * H^H H + noise_var I, or whose recursion overflows, is erased (0 in every
 * output element); the first such item is logged as a warning, and
 * invalid_items() counts them. A stream with no gain (a zero column of H) has
 * LLR 0.
 */
class NEURALMIMO_API cg_detector : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<cg_detector> sptr;

    /*!
     * \brief Make a CG detector block.
     *
     * \param nt number of transmit streams Nt, >= 1
     * \param nr number of receive antennas Nr, >= Nt
     * \param constellation "bpsk", "qpsk", "qam16", "qam64" or "qam256"
     * \param output "symbols", "estimate", "llr" or "bits"
     * \param iterations classical CG: iterations, >= 1 (Nt makes the complex
     *        form exact); learned steps: the layer count L, or 0 meaning L
     * \param alpha learned steps: float[L * 2Nt], layer-major (layer l, real
     *        coordinate k at l*2Nt + k; k < Nt real parts, k >= Nt imaginary
     *        parts); empty for classical CG
     * \param beta learned steps: float[L * 2Nt], same layout; empty iff alpha is
     * \param form classical CG: "complex" (Nt-dim complex system) or "real"
     *        (2Nt-dim real system); learned steps always use the real system
     * \param threads worker threads that share the items of one work() call, >= 1
     * \throws std::invalid_argument naming the parameter and the values
     */
    static sptr make(int nt,
                     int nr,
                     const std::string& constellation,
                     const std::string& output,
                     int iterations,
                     const std::vector<float>& alpha = std::vector<float>(),
                     const std::vector<float>& beta = std::vector<float>(),
                     const std::string& form = "complex",
                     int threads = 1);

    //! Number of items erased so far because their input was invalid.
    virtual uint64_t invalid_items() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_CG_DETECTOR_H */
