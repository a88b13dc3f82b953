/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_LMMSE_DETECTOR_H
#define INCLUDED_NEURALMIMO_LMMSE_DETECTOR_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>

namespace gr {
namespace neuralmimo {

/*!
 * \brief LMMSE MIMO detector with max-log LLRs (C++).
 * \ingroup neuralmimo
 *
 * Model y = H x + n, n ~ CN(0, noise_var I), unit-energy constellation with
 * the Gray labels of 3GPP TS 38.211 section 5.1 (BPSK real, bit 0 -> +1).
 *
 * Inputs, one item per resource element:
 *  - 0 `y`: gr_complex[Nr], the received vector
 *  - 1 `h`: gr_complex[Nr * Nt], the channel, row-major (H[r, t] at r*Nt + t)
 *  - 2 `noise_var`: float[1], noise variance per complex receive dimension
 *
 * One output, selected by `output`:
 *  - "symbols":  gr_complex[Nt], hard decisions (the point nearest to z_t)
 *  - "estimate": gr_complex[Nt], the biased LMMSE estimate xhat = G H^H y
 *  - "llr":      float[Nt * K], max-log LLR = ln P(b=1)/P(b=0), user-major
 *                (stream t, bit k at t*K + k)
 *  - "bits":     uint8[Nt * K], hard bits (0/1), same layout
 *
 * With A = H^H H + noise_var I, G = A^-1: mu_t = 1 - noise_var G_tt,
 * z_t = xhat_t / mu_t, nu_t = noise_var G_tt / mu_t (floored at 1e-10) and
 * LLR_{t,k} = (min_{s: b_k=0} |z_t - s|^2 - min_{s: b_k=1} |z_t - s|^2) / nu_t.
 *
 * The factorisation is cached: while H and noise_var stay bitwise equal from
 * one item to the next, only xhat = W y and the demapping are computed.
 *
 * LLRs are clipped to +-100. noise_var = 0 is valid (floored at 1e-10, relative
 * to H scaled by a power of two to max |Re, Im H| ~ 1, so |H| ~ 1e20 or 1e-20
 * is detected as |H| ~ 1). An item whose y or H has NaN/Inf, whose noise_var
 * is < 0 or not finite, whose H is all zero, or whose A is numerically
 * singular or estimate overflows, is erased (0 in every output element); the
 * first such item is logged as a warning, and invalid_items() counts them.
 */
class NEURALMIMO_API lmmse_detector : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<lmmse_detector> sptr;

    /*!
     * \brief Make an LMMSE detector block.
     *
     * \param nt number of transmit streams Nt, >= 1
     * \param nr number of receive antennas Nr, >= 1
     * \param constellation "bpsk", "qpsk", "qam16", "qam64" or "qam256"
     * \param output "symbols", "estimate", "llr" or "bits"
     * \throws std::invalid_argument naming the parameter and the value
     */
    static sptr
    make(int nt, int nr, const std::string& constellation, const std::string& output);

    //! Number of items erased so far because their input was invalid.
    virtual uint64_t invalid_items() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_LMMSE_DETECTOR_H */
