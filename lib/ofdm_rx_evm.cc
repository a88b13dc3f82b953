/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * ofdm_rx_kernel, equalisation: the EVM of LMMSE-equalised data symbols
 * against their nearest constellation points.
 */

#include "ofdm_rx_impl.h"
#include "ofdm_rx_math.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace gr {
namespace neuralmimo {

using namespace ofdm_math;

namespace {

/*
 * c += a b or c += conj(a) b (ConjA), or -= (Sub), on K carriers side by side
 * (split real and imaginary parts, carrier k at index k).
 */
template <bool ConjA, bool Sub>
inline void mac_lanes(int K,
                      double* __restrict cr,
                      double* __restrict ci,
                      const double* ar,
                      const double* ai,
                      const double* br,
                      const double* bi)
{
    for (int k = 0; k < K; ++k) {
        const double re = ConjA ? ar[k] * br[k] + ai[k] * bi[k] : ar[k] * br[k] - ai[k] * bi[k];
        const double im = ConjA ? ar[k] * bi[k] - ai[k] * br[k] : ar[k] * bi[k] + ai[k] * br[k];
        cr[k] = Sub ? cr[k] - re : cr[k] + re;
        ci[k] = Sub ? ci[k] - im : ci[k] + im;
    }
}

// c *= d on K carriers side by side (d real).
inline void scale_lanes(int K, double* __restrict cr, double* __restrict ci, const double* d)
{
    for (int k = 0; k < K; ++k) {
        cr[k] *= d[k];
        ci[k] *= d[k];
    }
}

} // namespace

/*
 * rms error of the LMMSE estimates of the data REs against their nearest
 * constellation points. The channel of symbol d is H diag(g_d) with |g_d| = 1,
 * so one filter W_k = (H_k^H H_k + s2 I)^-1 H_k^H per carrier serves every
 * symbol: x = conj(g_d) (.) (W_k y). The filters come from a Cholesky
 * factorisation (H^H H + s2 I is Hermitian positive definite), the same
 * solution as numpy's LU solve up to rounding. All carriers run side by side,
 * split into real and imaginary parts (entry e of carrier k at e K + k), so the
 * loops over carriers vectorise.
 */
double ofdm_rx_kernel::impl::evm()
{
    const int nr = d_nr, nt = d_nt, K = d_n_data;
    double* __restrict hr = d_ev_hr.data(); // H [Nr, Nt] per carrier
    double* __restrict hi = d_ev_hi.data();
    double* __restrict lr = d_ev_lr.data(); // Gram, then its Cholesky factor [Nt, Nt]
    double* __restrict li = d_ev_li.data();
    double* __restrict dinv = d_ev_dinv.data(); // 1 / L_jj [Nt]
    double* __restrict wr = d_ev_wr.data();     // W [Nt, Nr]
    double* __restrict wi = d_ev_wi.data();
    for (int k = 0; k < K; ++k) {
        const cd* h = d_hest.data() + static_cast<size_t>(d_data_pos[k]) * nr * nt;
        for (int e = 0; e < nr * nt; ++e) {
            hr[e * K + k] = h[e].real();
            hi[e * K + k] = h[e].imag();
        }
    }
    // Gram G_ij = sum_r conj(H_ri) H_rj (+ s2 on the diagonal), lower triangle.
    for (int i = 0; i < nt; ++i)
        for (int j = 0; j <= i; ++j) {
            double* gr = lr + (i * nt + j) * K;
            double* gi = li + (i * nt + j) * K;
            std::fill(gr, gr + K, i == j ? d_nv : 0.0);
            std::fill(gi, gi + K, 0.0);
            for (int r = 0; r < nr; ++r) {
                const size_t a = (r * nt + i) * K, b = (r * nt + j) * K;
                mac_lanes<true, false>(K, gr, gi, hr + a, hi + a, hr + b, hi + b);
            }
        }
    // Cholesky G = L L^H (lower L, real diagonal).
    for (int j = 0; j < nt; ++j) {
        double* djj = lr + (j * nt + j) * K;
        for (int m = 0; m < j; ++m) {
            const double* ar = lr + (j * nt + m) * K;
            const double* ai = li + (j * nt + m) * K;
            for (int k = 0; k < K; ++k)
                djj[k] -= ar[k] * ar[k] + ai[k] * ai[k];
        }
        double* dv = dinv + j * K;
        // Every pivot of H^H H + s2 I is >= s2 in exact arithmetic; with a
        // (nearly) rank-deficient H, rounding (FMA contraction included) can
        // take it to 0 or below, and the EVM to Inf or NaN. Floored at s2.
        for (int k = 0; k < K; ++k) {
            djj[k] = std::sqrt(djj[k] > d_nv ? djj[k] : d_nv);
            dv[k] = 1.0 / djj[k];
        }
        for (int i = j + 1; i < nt; ++i) {
            double* cr = lr + (i * nt + j) * K;
            double* ci = li + (i * nt + j) * K;
            for (int m = 0; m < j; ++m) { // -= L_im conj(L_jm), i.e. conj(conj(L_jm) L_im)
                const size_t a = (j * nt + m) * K, b = (i * nt + m) * K;
                mac_lanes<true, true>(K, cr, ci, lr + a, li + a, lr + b, li + b);
            }
            scale_lanes(K, cr, ci, dv);
        }
    }
    // W = G^-1 H^H: L Z = H^H, then L^H W = Z, for each receive antenna's column.
    for (int r = 0; r < nr; ++r) {
        for (int i = 0; i < nt; ++i) {
            double* zr = wr + (i * nr + r) * K;
            double* zi = wi + (i * nr + r) * K;
            const double* ar = hr + (r * nt + i) * K;
            const double* ai = hi + (r * nt + i) * K;
            for (int k = 0; k < K; ++k) {
                zr[k] = ar[k];
                zi[k] = -ai[k];
            }
            for (int m = 0; m < i; ++m) { // -= L_im Z_m
                const size_t a = (i * nt + m) * K, b = (m * nr + r) * K;
                mac_lanes<false, true>(K, zr, zi, lr + a, li + a, wr + b, wi + b);
            }
            scale_lanes(K, zr, zi, dinv + i * K);
        }
        for (int i = nt - 1; i >= 0; --i) {
            double* zr = wr + (i * nr + r) * K;
            double* zi = wi + (i * nr + r) * K;
            for (int m = i + 1; m < nt; ++m) { // -= conj(L_mi) W_m
                const size_t a = (m * nt + i) * K, b = (m * nr + r) * K;
                mac_lanes<true, true>(K, zr, zi, lr + a, li + a, wr + b, wi + b);
            }
            scale_lanes(K, zr, zi, dinv + i * K);
        }
    }

    double* __restrict yr = d_ev_yr.data(); // y of one symbol [Nr, K]
    double* __restrict yi = d_ev_yi.data();
    double* __restrict xr = d_ev_xr.data();
    double* __restrict xi = d_ev_xi.data();
    double* __restrict er = d_ev_er.data();
    double* __restrict ei = d_ev_ei.data();
    const bool grid = !d_grid_re.empty();
    double sum = 0.0;
    for (int d = 0; d < d_n_data_sym; ++d) {
        for (int k = 0; k < K; ++k)
            for (int r = 0; r < nr; ++r) {
                const size_t o = at(1 + d_n_train + d, d_data_pos[k], r);
                const cd v(d_fre[o], d_fim[o]);
                yr[r * K + k] = v.real();
                yi[r * K + k] = v.imag();
            }
        for (int t = 0; t < nt; ++t) {
            std::fill(xr, xr + K, 0.0);
            std::fill(xi, xi + K, 0.0);
            for (int r = 0; r < nr; ++r) {
                const size_t a = (t * nr + r) * K;
                mac_lanes<false, false>(K, xr, xi, wr + a, wi + a, yr + r * K, yi + r * K);
            }
            const double gr = d_g[static_cast<size_t>(d) * nt + t].real();
            const double gi = -d_g[static_cast<size_t>(d) * nt + t].imag(); // conj(g)
            for (int k = 0; k < K; ++k) {
                const double a = xr[k] * gr - xi[k] * gi;
                xi[k] = xr[k] * gi + xi[k] * gr;
                xr[k] = a;
            }
            // Nearest point: on a product grid (QAM, QPSK, BPSK: every point is
            // (a_i, b_j)) the nearest level on each axis, and since rounding is
            // monotonic, min_ij fl((x - a_i)^2 + (y - b_j)^2)
            //   = fl(min_i (x - a_i)^2 + min_j (y - b_j)^2):
            // the value of the search over all points.
            std::fill(er, er + K, std::numeric_limits<double>::infinity());
            if (grid) {
                std::fill(ei, ei + K, std::numeric_limits<double>::infinity());
                for (double a : d_grid_re)
                    for (int k = 0; k < K; ++k)
                        er[k] = std::min(er[k], (xr[k] - a) * (xr[k] - a));
                for (double b : d_grid_im)
                    for (int k = 0; k < K; ++k)
                        ei[k] = std::min(ei[k], (xi[k] - b) * (xi[k] - b));
                for (int k = 0; k < K; ++k)
                    er[k] += ei[k];
            } else {
                for (const cd& pt : d_points)
                    for (int k = 0; k < K; ++k)
                        er[k] = std::min(er[k],
                                         (xr[k] - pt.real()) * (xr[k] - pt.real()) +
                                             (xi[k] - pt.imag()) * (xi[k] - pt.imag()));
            }
            for (int k = 0; k < K; ++k)
                sum += er[k];
        }
    }
    return std::sqrt(sum / (static_cast<double>(d_n_data_sym) * K * nt));
}

} // namespace neuralmimo
} // namespace gr
