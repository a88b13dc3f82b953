/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_CG_KERNEL_H
#define INCLUDED_NEURALMIMO_CG_KERNEL_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief Conjugate-gradient MIMO detector, classical or with learned step
 *        sizes (LcgNet), with Gaussian max-log demapping (no GNU Radio types).
 *
 * Model y = H x + n, y: complex64[Nr], H: complex64[Nr, Nt] row-major
 * (H[r, t] at r*Nt + t), n ~ CN(0, s2 I), s2 = noise_var per complex receive
 * dimension. Real-valued equivalent (n = 2Nt real coordinates, k < Nt the real
 * parts, k >= Nt the imaginary parts):
 *
 *   y_r = [Re y; Im y],  H_r = [[Re H, -Im H]; [Im H, Re H]]  (2Nr x 2Nt)
 *   G = H_r^T H_r,  A = G + s2 I,  b = H_r^T y_r
 *
 * Learned steps (LcgNet), alpha, beta: float32[L * 2Nt], layer-major (layer
 * l, coordinate k at l*2Nt + k). From s = 0, r = d = b, per layer i:
 *
 *   s <- s + alpha_i (.) d;  r <- r - alpha_i (.) (A d);  d <- r + beta_i (.) d
 *
 * The map b -> s is linear, s = M b. Per channel the same recursion with the
 * identity as right-hand side gives M, then T = M G, W = M H_r^T and per real
 * coordinate k (e_j: symbol energy of coordinate j, 1/2 for QAM, 1 on the real
 * and 0 on the imaginary half for BPSK):
 *
 *   mu_k = T_kk                 (|mu_k| <= 1e-12 is replaced by 1e-12)
 *   v_k  = sum_{j != k} T_kj^2 e_j + (s2 / 2) (T M^T)_kk
 *   nu_k = v_k / mu_k^2         (floored at 1e-10), variance of z_k - x_k
 *
 * and per received vector s = W y_r (the recursion, folded into one matrix),
 * z_k = s_k / mu_k. This is the model python/neuralmimo/models/lcgnet.py.
 *
 * Classical CG (no steps): `iterations` CG iterations from s = 0 with the
 * exact step sizes of the residuals, on the Nt-dim complex system
 * A_c = H^H H + s2 I, b_c = H^H y ("complex") or on the 2Nt-dim real system
 * above ("real"). The two forms are one iteration: A_r x_r is the real form
 * of A_c x, the real inner products are the real parts of the complex ones,
 * and CG's step sizes are real, so both produce the same iterates (the real
 * form of a Hermitian matrix has every eigenvalue twice, so both are exact
 * after Nt iterations in exact arithmetic). The kernel runs one loop for
 * both; `form` is kept so that a configuration reads the same as
 * neuralmimo.detectors.cg, whose two forms differ in rounding only. The LLR
 * variance is the LMMSE one (lmmse_kernel): mu_t = 1 - s2 G_tt,
 * nu_t = s2 G_tt / mu_t with G = A_c^-1, i.e. per real coordinate
 * mu_k = mu_t and nu_k = nu_t / 2. This is neuralmimo.detectors.cg with
 * llr_variance="exact". detect_items() runs up to 8 consecutive items of one
 * channel side by side in the SIMD lanes; each item's result is the same as
 * alone.
 *
 * Demapping, both cases: the Gray PAM max-log demapper of every detector
 * kernel (gray_pam, detector_core.h): each real coordinate is one Gray PAM
 * of the square constellation, so
 *
 *   LLR = (min_{a: bit=0} (z_k - a)^2 - min_{a: bit=1} (z_k - a)^2) / (2 nu_k)
 *
 * the max-log value over the full constellation (LLR = ln P(b=1)/P(b=0)).
 * Hard decisions are the nearest point to z (the LLR signs).
 *
 * Cost in flops (n = 2Nt, m = 2Nr): learned, per channel 4n^2 m + 2L n^3
 * + 6L n^2 + 5n^2, per item 2nm (s = W y_r) plus demapping; classical, per
 * channel 2n^2 m plus the LMMSE variance, per item 2nm + iterations
 * (2n^2 + 10n) plus demapping. All arithmetic is float32 except the classical
 * LLR variance (double, lmmse_kernel).
 *
 * Usage as every detector kernel (detector_core): an unchanged H and
 * noise_var, compared bitwise, reuse the previous set-up.
 */
class NEURALMIMO_API cg_kernel final : public detector_core
{
public:
    //! A short English description of \p s.
    static const char* describe(status s);

    /*!
     * \param nt number of transmit streams, >= 1
     * \param nr number of receive antennas, >= nt
     * \param constellation one of constellation_table::names()
     * \param iterations classical CG: number of iterations, >= 1; learned
     *        steps: the number of layers L, or 0 meaning L
     * \param alpha learned steps alpha: float32[L * 2Nt] layer-major, or empty
     *        for classical CG
     * \param beta learned steps beta: float32[L * 2Nt], empty iff alpha is
     * \param form classical CG: "complex" or "real"; ignored (but checked)
     *        with learned steps, which always run on the real system
     * \throws std::invalid_argument naming the parameter and both values
     */
    cg_kernel(int nt,
              int nr,
              const std::string& constellation,
              int iterations,
              const std::vector<float>& alpha = std::vector<float>(),
              const std::vector<float>& beta = std::vector<float>(),
              const std::string& form = "complex");

    //! Classical CG: the iteration count; learned steps: L.
    int iterations() const { return d_iters; }
    //! True for learned steps (LcgNet).
    bool learned() const { return d_learned; }
    //! True for the complex form of classical CG.
    bool complex_form() const { return d_complex_form; }

    //! mu_k: float32[2Nt], the gain of real coordinate k (valid channel only).
    const float* bias() const { return d_mu.data(); }

    //! nu_k: float32[2Nt], the error variance of z_k per real dimension.
    const float* post_noise_var() const { return d_nu.data(); }

private:
    // Per-channel set-up (cg_kernel_setup.cc): H_r, G, then the learned or
    // classical part; singular (classical LLR variance) or overflow (learned
    // recursion) when the channel cannot be used.
    status setup_channel(const std::complex<float>* H, float noise_var) override;
    status setup_learned(float noise_var);
    status setup_classical(const std::complex<float>* H, float noise_var);
    // Per-item detection (cg_kernel_detect.cc): s = W y_r for learned steps,
    // classical CG on up to group_size items side by side; s, interleaved, is
    // the CG / LcgNet estimate xhat.
    const float* estimate(const float* y, int count) override;
    void run_cg_group(const float* yf, int g, float* s);

    /*
     * Inside, real vectors are interleaved like GNU Radio's complex buffers:
     * coordinate 2t is Re x_t, 2t + 1 is Im x_t (observations likewise), so
     * the estimate is s as it is and one 8-float block holds 4 streams.
     * Vectors are padded with zeros to np floats, matrices to np columns.
     */
    int d_iters;
    bool d_learned;
    bool d_complex_form;
    int d_n; // 2 Nt real coordinates (padded to d_np)
    int d_m; // 2 Nr real observations

    // Learned steps, interleaved and padded: float32[L * np].
    std::vector<float> d_alpha, d_beta;
    std::vector<float> d_ek; // [np * np] e_j at (j, k != j): interference weights

    // Per-channel set-up, float32, row-major with leading dimension np.
    std::vector<float> d_hy;  // [m * np] H_r (rows: observations, columns: coordinates)
    std::vector<float> d_g;   // [np * np] G = H_r^T H_r
    std::vector<float> d_a;   // [np * np] A = G + s2 I
    std::vector<float> d_sm, d_rm, d_dm, d_adm; // [np * np] S^T, R^T, D^T, (A D)^T; d_sm ends as M^T
    std::vector<float> d_t;   // [np * np] T^T = G M^T
    std::vector<float> d_wc;  // [m * np] W^T: s = sum_j y_j * d_wc[j, :]
    // [2Nt] in the public [Re; Im] order (the demapper's w_k is 1/(2 nu_k))
    std::vector<float> d_mu, d_nu;
    lmmse_kernel d_lmmse; // classical CG: the LLR variance (mu_t, nu_t)

    // Per-item scratch: s of up to 8 items [8 * np]; classical CG: b of 8
    // items [8 * np] and the iterates r, p, s, A p with 8 items side by side
    // per coordinate [np * 8] (coordinate k, item q at 8k + q).
    std::vector<float> d_s, d_cg_b;
    std::vector<float> d_cg_r, d_cg_p, d_cg_s, d_cg_ap;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_CG_KERNEL_H */
