/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * cg_kernel: the per-item estimate with the current channel (s = W y_r for
 * learned steps, classical CG on up to 8 items side by side); detector_core
 * demaps it.
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include "small_gemm.h"
#include <algorithm>
#include <cfloat>
#include <cmath>

namespace gr {
namespace neuralmimo {

using namespace simd;

static_assert(detector_core::group_size <= k_lanes, "one SIMD lane per item of a group");

/*
 * Classical CG from s = 0 on b = H_r^T y_r (the numbers of H^H y), with
 * alpha = r.r / p.Ap (0 when p.Ap <= tiny) and beta = r'.r' / r.r (0 when
 * r.r <= tiny), as neuralmimo.detectors.cg.conjugate_gradient. On the
 * interleaved (re, im) vectors, A_r p is the complex product A_c p, and the
 * real inner products are the real parts of the complex ones, so this one
 * loop is the complex form and the real form alike.
 *
 * Up to 8 items of one channel run together, one per SIMD lane: the
 * coordinates are stored as d_cg[k] = (item 0, ..., item 7), so the inner
 * products, step sizes and divisions are per lane and nothing is reduced
 * across lanes. Each lane does the same operations in the same order
 * whatever the other lanes hold, so an item's result does not depend on how
 * the items were grouped. yf: the g items' y, 2Nr floats each, consecutive;
 * s: g rows of np floats.
 */
void cg_kernel::run_cg_group(const float* yf, int g, float* s)
{
    const int np = d_np, n = d_n, m = d_m;
    float* r = d_cg_r.data(); // coordinate k at r + 8k
    float* p = d_cg_p.data();
    float* x = d_cg_s.data();
    float* ap = d_cg_ap.data();
    float* b = d_cg_b.data(); // [8 * np], item-major
    for (int q = 0; q < k_lanes; ++q) {
        if (q < g)
            matvec_cols(yf + static_cast<size_t>(q) * m, m, d_hy.data(), np, b + q * np);
        else
            std::fill(b + q * np, b + (q + 1) * np, 0.0f); // idle lanes: alpha = beta = 0
    }
    // CG is linear in b: each item runs on b scaled by a power of two to
    // max |b_k| in [1/2, 1) and its result is scaled back, exactly, so that
    // r.r cannot overflow (|y| ~ 1e30, or a y scaled up with a tiny H) nor
    // underflow. The exponent is clamped so that both factors are normal floats.
    // A b whose iteration can neither underflow nor overflow (r.r and A p stay
    // in range: |A_ij| <= max_k A_kk for a positive definite A) is left as it
    // is, bit for bit the scaled result: frexp and ldexp per item would cost
    // a fifth of a 4x4 detection.
    float a_max = 1.0f;
    for (int k = 0; k < n; ++k)
        a_max = std::max(a_max, d_a[static_cast<size_t>(k) * np + k]);
    const float b_hi = std::min(0x1p40f, FLT_MAX / (8.0f * static_cast<float>(n) * a_max));
    float down[k_lanes], up[k_lanes];
    for (int q = 0; q < k_lanes; ++q) {
        float peak = 0.0f;
        for (int k = 0; k < n; ++k)
            peak = std::max(peak, std::fabs(b[q * np + k]));
        down[q] = up[q] = 1.0f;
        if (peak >= 0x1p-40f && peak <= b_hi)
            continue;
        int e = 0;
        if (peak > 0.0f && peak <= FLT_MAX) // NaN fails both: left unscaled
            std::frexp(peak, &e);
        e = std::min(std::max(e, -120), 120);
        down[q] = std::ldexp(1.0f, -e);
        up[q] = std::ldexp(1.0f, e);
    }
    // Item-major b -> 8 items side by side per coordinate.
    for (int k = 0; k < n; ++k)
        for (int q = 0; q < k_lanes; ++q)
            r[k_lanes * k + q] = b[q * np + k] * down[q];
    const v8 tiny = vset1(FLT_MIN), zero = vzero();
    v8 rr = zero;
    for (int k = 0; k < n; ++k) {
        const v8 rk = vload(r + k_lanes * k);
        vstore(p + k_lanes * k, rk);
        vstore(x + k_lanes * k, zero);
        rr += rk * rk;
    }
    const float* a = d_a.data();
    for (int it = 0; it < d_iters; ++it) {
        v8 pap = zero;
        for (int k = 0; k < n; ++k) {
            const float* ak = a + static_cast<size_t>(k) * np;
            v8 acc0 = zero, acc1 = zero;
            for (int j = 0; j < n; j += 2) { // n is even
                acc0 += vset1(ak[j]) * vload(p + k_lanes * j);
                acc1 += vset1(ak[j + 1]) * vload(p + k_lanes * (j + 1));
            }
            const v8 apk = acc0 + acc1;
            vstore(ap + k_lanes * k, apk);
            pap += vload(p + k_lanes * k) * apk;
        }
        const v8 alpha = vselect_gt(pap, tiny, rr / vmax(pap, tiny), zero);
        v8 rr_new = zero;
        for (int k = 0; k < n; ++k) {
            const size_t o = static_cast<size_t>(k_lanes) * k;
            const v8 rk = vload(r + o) - alpha * vload(ap + o);
            vstore(x + o, vload(x + o) + alpha * vload(p + o));
            vstore(r + o, rk);
            rr_new += rk * rk;
        }
        const v8 beta = vselect_gt(rr, tiny, rr_new / vmax(rr, tiny), zero);
        for (int k = 0; k < n; ++k) {
            const size_t o = static_cast<size_t>(k_lanes) * k;
            vstore(p + o, vload(r + o) + beta * vload(p + o));
        }
        rr = rr_new;
    }
    // 8 items side by side -> item-major s (padding 0), scaled back (an
    // estimate past the float range becomes Inf: an overflow erasure).
    for (int q = 0; q < g; ++q) {
        for (int k = 0; k < n; ++k)
            s[q * np + k] = x[k_lanes * k + q] * up[q];
        for (int k = n; k < np; ++k)
            s[q * np + k] = 0.0f;
    }
}

const float* cg_kernel::estimate(const float* y, int count)
{
    float* s = d_s.data();
    if (d_learned) // s = W y_r, item by item
        for (int q = 0; q < count; ++q)
            matvec_cols(
                y + static_cast<size_t>(q) * d_m, d_m, d_wc.data(), d_np, s + q * d_np);
    else
        run_cg_group(y, count, s);
    return s;
}

} // namespace neuralmimo
} // namespace gr
