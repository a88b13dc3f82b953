/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_LMMSE_KERNEL_H
#define INCLUDED_NEURALMIMO_LMMSE_KERNEL_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief LMMSE MIMO detector with max-log demapping (no GNU Radio types).
 *
 * Model y = H x + n, y: complex64[Nr], H: complex64[Nr, Nt] row-major
 * (H[r, t] at r*Nt + t), x: unit-energy constellation points, n ~ CN(0, s2 I)
 * with s2 = noise_var per complex receive dimension. For one channel:
 *
 *   A = H^H H + s2 I,  G = A^-1,  W = G H^H            (Cholesky of A, double)
 *   mu_t = 1 - s2 G_tt   (floored at 1e-12)           bias of stream t
 *   nu_t = s2 G_tt / mu_t (floored at 1e-10)          1/SINR_t of z_t
 *
 * and for each y:
 *
 *   xhat = W y                                         biased estimate
 *   z_t  = xhat_t / mu_t                               unbiased estimate
 *   LLR_{t,k} = (min_{s: b_k(s)=0} |z_t - s|^2 - min_{s: b_k(s)=1} |z_t - s|^2) / nu_t
 *
 * LLR = ln P(b=1)/P(b=0): positive means bit 1. Hard symbols are the
 * constellation point nearest to z_t, hard bits its label. The demapper is
 * the Gray PAM max-log demapper of every detector kernel (gray_pam,
 * detector_core.h): exactly the max-log values of the full enumeration, one
 * PAM per real dimension. Components of z are saturated at +-1e18 so that
 * LLRs stay finite (detector_floors).
 *
 * Usage as every detector kernel (detector_core): an unchanged H and
 * noise_var, compared bitwise, reuse the previous factorisation.
 */
class NEURALMIMO_API lmmse_kernel final : public detector_core
{
public:
    //! A short English description of \p s ("noise_var <= 0 or not finite", ...).
    static const char* describe(status s);

    /*!
     * \param nt number of transmit streams, >= 1
     * \param nr number of receive antennas, >= 1
     * \param constellation one of constellation_table::names()
     * \throws std::invalid_argument naming the parameter and the value
     */
    lmmse_kernel(int nt, int nr, const std::string& constellation);

    //! mu_t: float32[Nt], the bias of the current channel (valid channel only).
    const float* bias() const { return d_mu.data(); }

    //! nu_t: float32[Nt], the post-equalisation noise variance of z_t.
    const float* post_noise_var() const { return d_nu.data(); }

private:
    //! The factorisation of A and W, mu, nu; singular if A is numerically singular.
    status setup_channel(const std::complex<float>* H, float noise_var) override;
    //! xhat = W y, the biased LMMSE estimate (detector_core's estimate).
    const float* estimate(const float* y, int count) override;

    // Factorisation scratch, double (split re/im, row-major).
    std::vector<double> d_l_re, d_l_im;   // A, then its Cholesky factor L [Nt * Nt]
    std::vector<double> d_li_re, d_li_im; // L^-1 [Nt * Nt]
    std::vector<double> d_m_re, d_m_im;   // L^-1 H^H [Nt * Nr]

    // Per-channel result used per item, float.
    std::vector<float> d_w_re, d_w_im; // W = G H^H [Nt * Nr]
    std::vector<float> d_mu, d_nu;     // [Nt]
    // Per-item scratch: xhat of up to group_size items [group_size * np]
    // (the demapper's w_k is 1 / nu_t on both parts of stream t).
    std::vector<float> d_xhat;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_LMMSE_KERNEL_H */
