/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * cg_kernel: the per-channel set-up (H_r, G = H_r^T H_r, and for learned
 * steps the LcgNet map M, T, W, mu, nu; for classical CG A and the LMMSE LLR
 * variance). Runs only when H or noise_var change.
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include "small_gemm.h"
#include <cstring>

namespace gr {
namespace neuralmimo {

using namespace simd;

namespace {

/*
 * One LcgNet layer on the transposed recursion state, rows [0, M) of np
 * columns: (A D)^T = D^T A, then per element (step of column j)
 *   S^T += alpha_j D^T;  R^T -= alpha_j (A D)^T;  D^T = R^T + beta_j D^T.
 * With np = 8 CV (one register tile spans whole rows), each row block's
 * product stays in registers and the update happens in place: the block
 * reads only its own rows of D^T, all of them before it writes.
 */
template <int R, int CV>
inline void lcg_layer_tile(int np,
                           const float* __restrict a,
                           const float* __restrict al,
                           const float* __restrict be,
                           float* __restrict st,
                           float* __restrict rt,
                           float* __restrict dt)
{
    v8 acc[R][CV]; // (D^T A) of these rows
    gemm_acc<false, R, CV>(np, dt, np, a, np, acc);
    for (int j = 0; j < CV; ++j) {
        const v8 aj = vload(al + 8 * j), bj = vload(be + 8 * j);
        for (int i = 0; i < R; ++i) {
            const size_t o = static_cast<size_t>(i) * np + 8 * j;
            const v8 d = vload(dt + o);
            const v8 r = vload(rt + o) - aj * acc[i][j];
            vstore(st + o, vload(st + o) + aj * d);
            vstore(rt + o, r);
            vstore(dt + o, r + bj * d);
        }
    }
}

template <int CV>
void lcg_layer_small(const float* a,
                     const float* al,
                     const float* be,
                     float* st,
                     float* rt,
                     float* dt)
{
    constexpr int np = 8 * CV;
    constexpr int R = CV == 1 ? 8 : 4; // accumulators that fit 16 registers
    for (int i = 0; i < np; i += R) {
        const size_t o = static_cast<size_t>(i) * np;
        lcg_layer_tile<R, CV>(np, a, al, be, st + o, rt + o, dt + o);
    }
}

} // namespace

cg_kernel::status cg_kernel::setup_channel(const std::complex<float>* H, float noise_var)
{
    // Everything below reads H, not the cached copy (store forwarding).
    const float* hf = reinterpret_cast<const float*>(H);
    // H_r in the interleaved orders of y (rows: Re y_r, Im y_r) and x
    // (columns: Re x_t, Im x_t):
    //   Re y_r = Re H_rt Re x_t - Im H_rt Im x_t,
    //   Im y_r = Im H_rt Re x_t + Re H_rt Im x_t.
    // Padded columns stay zero.
    // Whole 8-float blocks of an H row: the Re row is the row times
    // (+1, -1, ...), the Im row its pairs swapped; the rest one by one.
    const int nt = d_nt, np = d_np, n = d_n;
    const v8 sign = v8{ 1, -1, 1, -1, 1, -1, 1, -1 };
    for (int r = 0; r < d_nr; ++r) {
        float* re_row = d_hy.data() + static_cast<size_t>(2 * r) * np;
        float* im_row = re_row + np;
        const float* hr = hf + static_cast<size_t>(2 * r) * nt;
        int j = 0;
        for (; j + k_lanes <= n; j += k_lanes) {
            const v8 v = vload(hr + j);
            vstore(re_row + j, v * sign);
            vstore(im_row + j, swap_pairs(v));
        }
        for (; j < n; j += 2) {
            re_row[j] = hr[j];
            re_row[j + 1] = -hr[j + 1];
            im_row[j] = hr[j + 1];
            im_row[j + 1] = hr[j];
        }
    }
    // G = H_r^T H_r, padded rows and columns zero.
    gemm_tn(np, np, d_m, d_hy.data(), np, d_hy.data(), np, d_g.data(), np);
    return d_learned ? setup_learned(noise_var) : setup_classical(H, noise_var);
}

/*
 * The recursion with the identity as right-hand side gives M. It runs on
 * the transposes (S^T, R^T, D^T; (A D)^T = D^T A as A is symmetric, and
 * layer 0 needs no product: D = I), so that the step of coordinate k scales
 * column k: a vector of steps per row, and M^T comes out directly. Then
 * T^T = G M^T (G symmetric), W^T = H_r M^T (the per-item matrix, stored by
 * columns of s) and mu_k, nu_k with sums down the columns of T^T, M^T.
 * Cost (n = 2Nt, m = 2Nr, flops): 2n^2 m (G) + (L-1) 2n^3 (layers) +
 * 6 n^2 L (updates) + 2n^3 (T) + 2n^2 m (W) + 5 n^2 (mu, nu).
 */
cg_kernel::status cg_kernel::setup_learned(float noise_var)
{
    const int n = d_n, np = d_np, m = d_m;
    const size_t nn = static_cast<size_t>(np) * np;
    float* a = d_a.data();
    std::memcpy(a, d_g.data(), nn * sizeof(float));
    for (int k = 0; k < n; ++k)
        a[static_cast<size_t>(k) * np + k] += noise_var;

    float* st = d_sm.data();
    float* rt = d_rm.data();
    float* dt = d_dm.data();
    float* adt = d_adm.data();
    std::fill(d_sm.begin(), d_sm.end(), 0.0f);
    std::fill(d_rm.begin(), d_rm.end(), 0.0f);
    for (int k = 0; k < n; ++k)
        rt[static_cast<size_t>(k) * np + k] = 1.0f;
    std::memcpy(dt, rt, nn * sizeof(float));
    for (int l = 0; l < d_iters; ++l) {
        const float* al = d_alpha.data() + static_cast<size_t>(l) * np;
        const float* be = d_beta.data() + static_cast<size_t>(l) * np;
        if (l > 0 && np == 8) {
            lcg_layer_small<1>(a, al, be, st, rt, dt);
            continue;
        }
        if (l > 0 && np == 16) {
            lcg_layer_small<2>(a, al, be, st, rt, dt);
            continue;
        }
        const float* ad = a; // (A D)^T = A in the first layer
        if (l > 0) {
            gemm_nn(np, np, np, dt, np, a, np, adt, np);
            ad = adt;
        }
        for (size_t i = 0; i < nn; i += np) {
            for (int j = 0; j < np; j += k_lanes) {
                const v8 aj = vload(al + j), bj = vload(be + j);
                const v8 d = vload(dt + i + j);
                const v8 r = vload(rt + i + j) - aj * vload(ad + i + j);
                vstore(st + i + j, vload(st + i + j) + aj * d);
                vstore(rt + i + j, r);
                vstore(dt + i + j, r + bj * d);
            }
        }
    }
    // st is M^T now.
    float* tt = d_t.data();
    gemm_nn(np, np, np, d_g.data(), np, st, np, tt, np);
    gemm_nn(m, np, np, d_hy.data(), np, st, np, d_wc.data(), np);
    if (!all_finite_padded(d_wc.data(), m * np))
        return status::overflow;

    // Column k of T^T / M^T is row k of T / M: per coordinate k,
    // noise_k = (T M^T)_kk = sum_j T_kj M_kj and interference_k =
    // sum_{j != k} T_kj^2 e_j, the latter with the energies of d_ek (zero on
    // the diagonal) rather than by subtracting T_kk^2 e_k (no cancellation).
    for (int k0 = 0; k0 < np; k0 += k_lanes) {
        v8 si = vzero(), sn = vzero();
        for (int j = 0; j < n; ++j) {
            const size_t o = static_cast<size_t>(j) * np + k0;
            const v8 t = vload(tt + o);
            si += t * t * vload(d_ek.data() + o);
            sn += t * vload(st + o);
        }
        // mu_k = T_kk: the diagonal of this block, gathered through a small array.
        float diag[k_lanes];
        for (int l = 0; l < k_lanes; ++l)
            diag[l] = tt[static_cast<size_t>(k0 + l) * np + k0 + l];
        v8 mu = vload(diag);
        const v8 floor_mu = vset1(static_cast<float>(detector_floors::bias));
        // |mu| <= floor (or NaN) -> floor; vmax(mu, -mu) is |mu|.
        const v8 abs_mu = vmax(mu, vzero() - mu);
        mu = vselect_gt(abs_mu, floor_mu, mu, floor_mu);
        v8 nu = (si + vset1(0.5f * noise_var) * sn) / (mu * mu);
        nu = vmax(nu, vset1(static_cast<float>(detector_floors::noise_var)));
        const v8 inv_mu = vset1(1.0f) / mu;
        // A coordinate with no gain (mu_k at the floor: a zero column of H, or
        // H ~ 0) carries no information: weight 0, LLR 0. Its v_k is then ~0
        // too, and v_k / mu_k^2 floored would claim certainty (|LLR| ~ 4e9).
        const v8 w = vselect_gt(abs_mu, floor_mu, vset1(0.5f) / nu, vzero());
        vstore(d_inv_mu.data() + k0, inv_mu);
        vstore(d_w.data() + k0, w);
        vstore(diag, mu);
        float nus[k_lanes];
        vstore(nus, nu);
        for (int l = 0; l < k_lanes && k0 + l < n; ++l) {
            const int k = k0 + l, pub = (k & 1) * d_nt + k / 2; // [Re; Im] order of bias()
            d_mu[pub] = diag[l];
            d_nu[pub] = nus[l];
        }
    }
    // Padded coordinates: zero weights (their s is 0, their outputs unused).
    for (int k = n; k < np; ++k)
        d_inv_mu[k] = d_w[k] = 0.0f;
    if (!all_finite_padded(d_inv_mu.data(), np) || !all_finite_padded(d_w.data(), np))
        return status::overflow;
    return status::ok;
}

/*
 * The LLR variance of the LMMSE filter (lmmse_kernel: Cholesky in double),
 * and A = G + s2 I for the per-item iterations.
 */
cg_kernel::status cg_kernel::setup_classical(const std::complex<float>* H, float noise_var)
{
    // The kernels share the status (singular). H is already scaled and
    // noise_var floored, so the LMMSE kernel's own scaling is the identity.
    if (!d_lmmse.set_channel(H, noise_var))
        return d_lmmse.channel_status();
    const int nt = d_nt, n = d_n, np = d_np;
    std::memcpy(d_a.data(), d_g.data(), d_g.size() * sizeof(float));
    for (int k = 0; k < n; ++k)
        d_a[static_cast<size_t>(k) * np + k] += noise_var;
    const float* mu = d_lmmse.bias();
    const float* nu = d_lmmse.post_noise_var();
    for (int t = 0; t < nt; ++t) {
        const float inv_mu = static_cast<float>(1.0 / mu[t]);
        const float w = static_cast<float>(1.0 / nu[t]); // 1 / (2 * nu_t / 2)
        for (int d = 0; d < 2; ++d) {
            d_mu[d * nt + t] = mu[t];
            d_nu[d * nt + t] = 0.5f * nu[t];
            d_inv_mu[2 * t + d] = inv_mu;
            d_w[2 * t + d] = w;
        }
    }
    return status::ok;
}

} // namespace neuralmimo
} // namespace gr
