/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <algorithm>
#include <cfloat>
#include <cmath>

namespace gr {
namespace neuralmimo {

const char* lmmse_kernel::describe(status s)
{
    return neuralmimo::describe(s, "the LMMSE estimate overflowed (inputs too large)");
}

lmmse_kernel::lmmse_kernel(int nt, int nr, const std::string& constellation)
    : detector_core("lmmse_kernel", nt, nr, constellation, false, true)
{
    const size_t tt = static_cast<size_t>(nt) * nt;
    const size_t tr = static_cast<size_t>(nt) * nr;
    d_l_re.assign(tt, 0.0);
    d_l_im.assign(tt, 0.0);
    d_li_re.assign(tt, 0.0);
    d_li_im.assign(tt, 0.0);
    d_m_re.assign(tr, 0.0);
    d_m_im.assign(tr, 0.0);
    d_w_re.assign(tr, 0.0f);
    d_w_im.assign(tr, 0.0f);
    d_mu.assign(nt, 0.0f);
    d_nu.assign(nt, 0.0f);
    d_xhat.assign(static_cast<size_t>(group_size) * d_np, 0.0f);
}

/*
 * A = H^H H + s2 I = L L^H (Cholesky, double), then with Li = L^-1:
 *   G = Li^H Li,  G_tt = sum_{i>=t} |Li_it|^2,  W = G H^H = Li^H (Li H^H).
 * Cost O(Nt^2 Nr + Nt^3), paid only when H or noise_var change.
 */
lmmse_kernel::status lmmse_kernel::setup_channel(const std::complex<float>* H, float noise_var)
{
    const int nt = d_nt, nr = d_nr;
    const float* hf = reinterpret_cast<const float*>(H); // interleaved re/im, scaled
    const double s2 = noise_var;

    double* lr = d_l_re.data();
    double* li = d_l_im.data();
    // Lower triangle of A: A_ij = sum_r conj(H_ri) H_rj, i >= j.
    for (int i = 0; i < nt; ++i) {
        for (int j = 0; j <= i; ++j) {
            double ar = 0.0, ai = 0.0;
            for (int r = 0; r < nr; ++r) {
                const double hir = hf[2 * (r * nt + i)], hii = hf[2 * (r * nt + i) + 1];
                const double hjr = hf[2 * (r * nt + j)], hji = hf[2 * (r * nt + j) + 1];
                ar += hir * hjr + hii * hji;
                ai += hir * hji - hii * hjr;
            }
            lr[i * nt + j] = ar + (i == j ? s2 : 0.0);
            li[i * nt + j] = (i == j) ? 0.0 : ai;
        }
    }

    // max_t A_tt, for the conditioning test at the end.
    double max_a = 0.0;
    for (int t = 0; t < nt; ++t)
        max_a = std::max(max_a, lr[t * nt + t]);

    // In-place Cholesky, lower: L_jj = sqrt(A_jj - sum_k |L_jk|^2),
    // L_ij = (A_ij - sum_k L_ik conj(L_jk)) / L_jj.
    for (int j = 0; j < nt; ++j) {
        double d = lr[j * nt + j];
        for (int k = 0; k < j; ++k)
            d -= lr[j * nt + k] * lr[j * nt + k] + li[j * nt + k] * li[j * nt + k];
        // Every pivot of A is >= s2 > 0 in exact arithmetic; <= 0 (or NaN)
        // only happens when s2 is lost in rounding next to a singular H^H H.
        if (!(d > 0.0) || !std::isfinite(d))
            return status::singular;
        const double ljj = std::sqrt(d);
        lr[j * nt + j] = ljj;
        li[j * nt + j] = 0.0;
        const double inv = 1.0 / ljj;
        for (int i = j + 1; i < nt; ++i) {
            double sr = lr[i * nt + j], si = li[i * nt + j];
            for (int k = 0; k < j; ++k) {
                // L_ik * conj(L_jk)
                const double ar = lr[i * nt + k], ai = li[i * nt + k];
                const double br = lr[j * nt + k], bi = li[j * nt + k];
                sr -= ar * br + ai * bi;
                si -= ai * br - ar * bi;
            }
            lr[i * nt + j] = sr * inv;
            li[i * nt + j] = si * inv;
        }
    }

    // Li = L^-1 (lower): Li_ii = 1/L_ii, Li_ij = -(sum_{k=j}^{i-1} L_ik Li_kj) / L_ii.
    double* ir = d_li_re.data();
    double* ii = d_li_im.data();
    std::fill(d_li_re.begin(), d_li_re.end(), 0.0);
    std::fill(d_li_im.begin(), d_li_im.end(), 0.0);
    for (int j = 0; j < nt; ++j) {
        ir[j * nt + j] = 1.0 / lr[j * nt + j];
        for (int i = j + 1; i < nt; ++i) {
            double sr = 0.0, si = 0.0;
            for (int k = j; k < i; ++k) {
                const double ar = lr[i * nt + k], ai = li[i * nt + k];
                const double br = ir[k * nt + j], bi = ii[k * nt + j];
                sr += ar * br - ai * bi;
                si += ar * bi + ai * br;
            }
            const double inv = 1.0 / lr[i * nt + i];
            ir[i * nt + j] = -sr * inv;
            ii[i * nt + j] = -si * inv;
        }
    }

    // M = Li H^H: M_ir = sum_{k<=i} Li_ik conj(H_rk).
    for (int i = 0; i < nt; ++i) {
        for (int r = 0; r < nr; ++r) {
            double sr = 0.0, si = 0.0;
            for (int k = 0; k <= i; ++k) {
                const double ar = ir[i * nt + k], ai = ii[i * nt + k];
                const double hr = hf[2 * (r * nt + k)], hi = -hf[2 * (r * nt + k) + 1];
                sr += ar * hr - ai * hi;
                si += ar * hi + ai * hr;
            }
            d_m_re[i * nr + r] = sr;
            d_m_im[i * nr + r] = si;
        }
    }

    // W_tr = sum_{i>=t} conj(Li_it) M_ir, and mu_t, nu_t from G_tt.
    double max_gtt = 0.0;
    for (int t = 0; t < nt; ++t) {
        double gtt = 0.0;
        for (int i = t; i < nt; ++i)
            gtt += ir[i * nt + t] * ir[i * nt + t] + ii[i * nt + t] * ii[i * nt + t];
        for (int r = 0; r < nr; ++r) {
            double sr = 0.0, si = 0.0;
            for (int i = t; i < nt; ++i) {
                const double ar = ir[i * nt + t], ai = -ii[i * nt + t];
                const double br = d_m_re[i * nr + r], bi = d_m_im[i * nr + r];
                sr += ar * br - ai * bi;
                si += ar * bi + ai * br;
            }
            const float wr = static_cast<float>(sr), wi = static_cast<float>(si);
            if (!std::isfinite(wr) || !std::isfinite(wi))
                return status::singular;
            d_w_re[t * nr + r] = wr;
            d_w_im[t * nr + r] = wi;
        }
        max_gtt = std::max(max_gtt, gtt);
        // mu = 1 - s2 G_tt in double: it cancels badly in float at low SNR.
        double mu = 1.0 - s2 * gtt;
        if (!(mu >= detector_floors::bias))
            mu = detector_floors::bias;
        double nu = s2 * gtt / mu;
        if (!(nu >= detector_floors::noise_var))
            nu = detector_floors::noise_var;
        d_mu[t] = static_cast<float>(mu);
        d_nu[t] = static_cast<float>(nu);
        // Both parts of z_t: LLR = ((z - a0)^2 - (z - a1)^2) / nu_t per part.
        const float inv_mu = static_cast<float>(1.0 / mu);
        const float w = static_cast<float>(1.0 / nu); // may round to 0 for a dead stream
        d_inv_mu[2 * t] = d_inv_mu[2 * t + 1] = inv_mu;
        d_w[2 * t] = d_w[2 * t + 1] = w;
    }
    // Singular to working precision, the float32 epsilon of the outputs:
    // cond_1(A) = ||A||_1 ||A^-1||_1 > 1 / epsilon is LAPACK's xGESVX test,
    // and the Python detectors' (conditioning.py). Here both norms are taken
    // as their largest diagonal entry, which come free: for a positive
    // definite A, max_t A_tt <= ||A||_1 <= Nt max_t A_tt (|A_ij|^2 <= A_ii
    // A_jj), and the same for A^-1 = G. The estimate is at most cond_1(A), so
    // this test never erases an item the exact one keeps, and it erases every
    // item with cond_1(A) > Nt^2 / epsilon: a rank-deficient H^H H + 1e-10 I
    // (whose Cholesky succeeds in double) has max G_tt >= 1e10 / Nt and is
    // erased, where its float answer would be as confident as meaningless.
    if (!(max_a * max_gtt * FLT_EPSILON < 1.0))
        return status::singular;
    return status::ok;
}

const float* lmmse_kernel::estimate(const float* y, int count)
{
    const int nt = d_nt, nr = d_nr;
    for (int q = 0; q < count; ++q) {
        const float* yf = y + static_cast<size_t>(q) * 2 * nr;
        float* xh = d_xhat.data() + static_cast<size_t>(q) * d_np;
        for (int t = 0; t < nt; ++t) {
            const float* wr = d_w_re.data() + static_cast<size_t>(t) * nr;
            const float* wi = d_w_im.data() + static_cast<size_t>(t) * nr;
            float ar = 0.0f, ai = 0.0f;
            for (int r = 0; r < nr; ++r) {
                const float yr = yf[2 * r], yi = yf[2 * r + 1];
                ar += wr[r] * yr - wi[r] * yi;
                ai += wr[r] * yi + wi[r] * yr;
            }
            xh[2 * t] = ar;
            xh[2 * t + 1] = ai;
        }
    }
    return d_xhat.data();
}

} // namespace neuralmimo
} // namespace gr
