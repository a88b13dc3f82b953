/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * ofdm_rx_kernel, estimation: the LS channel estimate and sigma^2 from the
 * training symbols, and the phase tracking on the pilots of the data symbols.
 */

#include "ofdm_rx_impl.h"
#include "ofdm_rx_math.h"
#include <algorithm>
#include <cmath>
#include <utility>

namespace gr {
namespace neuralmimo {

using namespace ofdm_math;

namespace {

constexpr double k_track_reg = 1e-9; // regularisation of the per-stream phase fit

/*
 * Solves m x = b in place (m: n x n, b: n x k, row-major; x overwrites b) by
 * Gaussian elimination with partial pivoting, the pivot chosen by
 * |re| + |im| and rows scaled by its reciprocal, as LAPACK's zgesv
 * (numpy.linalg.solve) does. The matrices here are regularised Gram matrices
 * (+1e-9 I or + sigma^2 I), so a zero pivot only comes from non-finite input,
 * which then gives non-finite output. m's diagonal ends up holding the
 * reciprocal pivots.
 */
void solve(cd* m, cd* b, int n, int k)
{
    for (int c = 0; c < n; ++c) {
        int piv = c;
        double best = std::abs(m[c * n + c].real()) + std::abs(m[c * n + c].imag());
        for (int r = c + 1; r < n; ++r) {
            const double v =
                std::abs(m[r * n + c].real()) + std::abs(m[r * n + c].imag());
            if (v > best) {
                best = v;
                piv = r;
            }
        }
        if (piv != c) {
            for (int j = 0; j < n; ++j)
                std::swap(m[c * n + j], m[piv * n + j]);
            for (int j = 0; j < k; ++j)
                std::swap(b[c * k + j], b[piv * k + j]);
        }
        const cd inv = div(1.0, m[c * n + c]);
        m[c * n + c] = inv;
        for (int r = c + 1; r < n; ++r) {
            const cd f = mul(m[r * n + c], inv);
            for (int j = c + 1; j < n; ++j)
                m[r * n + j] -= mul(f, m[c * n + j]);
            for (int j = 0; j < k; ++j)
                b[r * k + j] -= mul(f, b[c * k + j]);
        }
    }
    for (int c = n - 1; c >= 0; --c) {
        for (int j = 0; j < k; ++j) {
            cd acc = b[c * k + j];
            for (int i = c + 1; i < n; ++i)
                acc -= mul(m[c * n + i], b[i * k + j]);
            b[c * k + j] = mul(acc, m[c * n + c]);
        }
    }
}

} // namespace

/*
 * LS estimate per used carrier and sigma^2 from the training symbols 1 ... T:
 * d_hest [n_used, Nr, Nt], d_nv.
 */
void ofdm_rx_kernel::impl::estimate()
{
    const int nr = d_nr, nt = d_nt, R = d_reps, nu = d_n_used;
    const int groups = d_n_train / R; // repeats of one pattern
    const size_t sym = static_cast<size_t>(nu) * nr;
    double ss = 0.0;
    for (int g = 0; g < groups; ++g) {
        cd* mean = d_mean.data() + g * sym;
        for (int u = 0; u < nu; ++u)
            for (int r = 0; r < nr; ++r) {
                cd acc = 0.0;
                for (int rep = 0; rep < R; ++rep)
                    acc += value(1 + g * R + rep, u, r);
                mean[u * nr + r] = acc / static_cast<double>(R);
            }
        for (int rep = 0; rep < R; ++rep)
            for (int u = 0; u < nu; ++u)
                for (int r = 0; r < nr; ++r)
                    ss += abs2(value(1 + g * R + rep, u, r) - mean[u * nr + r]);
    }
    d_nv = ss / (static_cast<double>(groups) * (R - 1) * nu * nr);

    if (!d_comb) {
        for (int j = 0; j < nt; ++j) // antenna j alone sends in group j
            for (int u = 0; u < nu; ++u) {
                const cd tv = d_train[(static_cast<size_t>(j) * R * nu + u) * nt + j];
                for (int r = 0; r < nr; ++r)
                    d_hest[(static_cast<size_t>(u) * nr + r) * nt + j] =
                        div(d_mean[(static_cast<size_t>(j) * nu + u) * nr + r], tv);
            }
        return;
    }
    for (int t = 0; t < nt; ++t) {
        const int* own = d_own.data() + d_own_start[t];
        const int n_own = d_own_start[t + 1] - d_own_start[t];
        for (int i = 0; i < n_own; ++i) {
            const int u = own[i];
            const cd den = mul(d_train[static_cast<size_t>(u) * nt + t], d_ramp[u]);
            for (int r = 0; r < nr; ++r)
                d_ls[static_cast<size_t>(i) * nr + r] =
                    div(d_mean[static_cast<size_t>(u) * nr + r], den);
        }
        for (int u = 0; u < nu; ++u) {
            const int j = d_interp_j[t * nu + u];
            const bool at = d_interp_at[t * nu + u];
            const double x = d_car[u];
            for (int r = 0; r < nr; ++r) {
                const cd lo = d_ls[static_cast<size_t>(j) * nr + r];
                double re = lo.real(), im = lo.imag();
                if (!at) { // real and imaginary parts interpolated apart, as np.interp
                    const cd hi = d_ls[static_cast<size_t>(j + 1) * nr + r];
                    const double x0 = d_car[own[j]];
                    const double dx = d_car[own[j + 1]] - x0;
                    re = (hi.real() - lo.real()) / dx * (x - x0) + lo.real();
                    im = (hi.imag() - lo.imag()) / dx * (x - x0) + lo.imag();
                }
                d_hest[(static_cast<size_t>(u) * nr + r) * nt + t] =
                    mul(cd(re, im), d_ramp[u]);
            }
        }
    }
}

/*
 * Phase tracking on the pilots of every data symbol: removes each symbol's
 * common phase from its spectrum (d_fre, d_fim) and sets d_g [D, Nt], the phase
 * of each stream relative to d_hest (all 1 for "common" tracking, or with fewer
 * than 2 Nt pilot observations).
 *
 * The per-stream fit is argmin_g ||b - A g||^2 + 1e-9 ||g||^2 over the P Nr pilot
 * observations b, A[(p, r), t] = H[p, r, t] v[p, t] (v: pilot values). Its
 * normal equations use A^H A = sum_p conj(v_p,i) v_p,j G_p,ij with the per-pilot
 * Gram matrices G_p = H_p^H H_p, which do not change from symbol to symbol.
 */
void ofdm_rx_kernel::impl::track()
{
    const int nr = d_nr, nt = d_nt, nu = d_n_used, np = d_n_pilot;
    const bool fit = d_per_stream && np * nr >= 2 * nt;
    if (fit)
        for (int p = 0; p < np; ++p) {
            const cd* h = d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
            for (int i = 0; i < nt; ++i)
                for (int j = 0; j < nt; ++j) {
                    cd acc = 0.0;
                    for (int r = 0; r < nr; ++r)
                        acc += mul_conj(h[r * nt + i], h[r * nt + j]);
                    d_gp[(static_cast<size_t>(p) * nt + i) * nt + j] = acc;
                }
        }
    for (int d = 0; d < d_n_data_sym; ++d) {
        const int s = 1 + d_n_train + d;
        const cd* pv = d_pilots.data() + static_cast<size_t>(d) * np * nt;
        cd acc = 0.0;
        for (int p = 0; p < np; ++p) {
            const cd* h = d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
            for (int r = 0; r < nr; ++r) {
                cd expect = 0.0;
                for (int t = 0; t < nt; ++t)
                    expect += mul(h[r * nt + t], pv[p * nt + t]);
                acc += mul_conj(expect, value(s, d_pilot_pos[p], r));
            }
        }
        const cd rot = std::exp(cd(0.0, -std::arg(acc)));
        for (int u = 0; u < nu; ++u)
            for (int r = 0; r < nr; ++r) {
                const size_t o = at(s, u, r);
                const cd v = mul(cd(d_fre[o], d_fim[o]), rot);
                d_fre[o] = v.real();
                d_fim[o] = v.imag();
            }
        cd* g = d_g.data() + static_cast<size_t>(d) * nt;
        std::fill(g, g + nt, cd(1.0));
        if (!fit)
            continue;
        for (int i = 0; i < nt; ++i) {
            for (int j = 0; j < nt; ++j) {
                cd sum = 0.0;
                for (int p = 0; p < np; ++p)
                    sum += mul(mul_conj(pv[p * nt + i], pv[p * nt + j]),
                               d_gp[(static_cast<size_t>(p) * nt + i) * nt + j]);
                d_ata[i * nt + j] = sum + (i == j ? k_track_reg : 0.0);
            }
            cd sum = 0.0;
            for (int p = 0; p < np; ++p) {
                const cd* h =
                    d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
                cd hb = 0.0; // (H_p^H b_p)_i
                for (int r = 0; r < nr; ++r)
                    hb += mul_conj(h[r * nt + i], value(s, d_pilot_pos[p], r));
                sum += mul_conj(pv[p * nt + i], hb);
            }
            d_atb[i] = sum;
        }
        solve(d_ata.data(), d_atb.data(), nt, 1);
        // The 1e-9 regularisation is absolute: with samples ~1e16 (or streams
        // alike on every pilot) A^H A is singular in double, the solve gives
        // NaN, and so would every estimate and the EVM. Such a fit has no
        // answer: the symbol keeps the common phase only (g = 1), as with too
        // few pilots.
        bool solved = true;
        for (int t = 0; t < nt; ++t)
            solved = solved && std::isfinite(d_atb[t].real()) && std::isfinite(d_atb[t].imag());
        if (solved)
            for (int t = 0; t < nt; ++t)
                g[t] = std::exp(cd(0.0, std::arg(d_atb[t])));
    }
}

} // namespace neuralmimo
} // namespace gr
