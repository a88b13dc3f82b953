/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * cg_kernel: the per-item detection with the current channel (s = W y_r for
 * learned steps, classical CG on up to 8 items side by side), then the Gray
 * PAM demapper shared by every detector kernel.
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include "gray_pam_demap.h"
#include "small_gemm.h"
#include <algorithm>
#include <cfloat>
#include <cstring>

namespace gr {
namespace neuralmimo {

using namespace simd;

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
    // Item-major b -> 8 items side by side per coordinate.
    for (int k = 0; k < n; ++k)
        for (int q = 0; q < k_lanes; ++q)
            r[k_lanes * k + q] = b[q * np + k];
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
    // 8 items side by side -> item-major s (padding 0).
    for (int q = 0; q < g; ++q) {
        for (int k = 0; k < n; ++k)
            s[q * np + k] = x[k_lanes * k + q];
        for (int k = n; k < np; ++k)
            s[q * np + k] = 0.0f;
    }
}

// The outputs of one item from its s; false (outputs erased) if s is not finite.
inline bool cg_kernel::emit(const float* yf,
                            const float* s,
                            std::complex<float>* estimate,
                            std::complex<float>* symbols,
                            float* llr,
                            uint8_t* bits)
{
    // A NaN/Inf in y always reaches s (0 * Inf is NaN), so one check on s
    // covers y as well.
    if (!all_finite_padded(s, d_np)) {
        erase(estimate, symbols, llr, bits);
        d_last = all_finite(yf, d_m) ? status::overflow : status::nonfinite_y;
        return false;
    }
    if (estimate) // s is interleaved (re, im): the complex estimate as it is
        std::memcpy(reinterpret_cast<float*>(estimate), s, sizeof(float) * d_n);
    if (symbols || llr || bits)
        demap_gray_pam(d_pam, d_nt, s, d_inv_mu.data(), d_w.data(), symbols, llr, bits);
    d_last = status::ok;
    return true;
}

bool cg_kernel::detect(const std::complex<float>* y,
                       std::complex<float>* estimate,
                       std::complex<float>* symbols,
                       float* llr,
                       uint8_t* bits)
{
    if (d_chan_status != status::ok)
        return reject_item({ estimate, symbols, llr, bits });
    const float* yf = reinterpret_cast<const float*>(y);
    float* s = d_s.data();
    if (d_learned)
        matvec_cols(yf, d_m, d_wc.data(), d_np, s); // s = W y_r
    else
        run_cg_group(yf, 1, s);
    return emit(yf, s, estimate, symbols, llr, bits);
}

uint64_t cg_kernel::detect_items(int n,
                                 const std::complex<float>* y,
                                 const std::complex<float>* H,
                                 const float* noise_var,
                                 std::complex<float>* estimate,
                                 std::complex<float>* symbols,
                                 float* llr,
                                 uint8_t* bits,
                                 int* first_bad,
                                 status* first_status)
{
    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    const detector_outputs out{ estimate, symbols, llr, bits };
    item_failures failures;
    int i = 0;
    while (i < n) {
        const size_t iu = static_cast<size_t>(i);
        if (!same_channel(H + iu * hsize, noise_var[i]))
            refresh_channel(H + iu * hsize, noise_var[i]);
        // Items [i, i + g) share this channel: g = 1 for learned steps (a
        // matrix-vector product each), up to 8 for classical CG (one lane each).
        int g = 1;
        if (!d_learned && d_chan_status == status::ok)
            while (g < k_lanes && i + g < n &&
                   same_channel(H + (iu + g) * hsize, noise_var[i + g]))
                ++g;
        const float* yf = reinterpret_cast<const float*>(y + iu * d_nr);
        float* s = d_s.data();
        if (d_chan_status == status::ok) {
            if (d_learned)
                matvec_cols(yf, d_m, d_wc.data(), d_np, s); // s = W y_r
            else
                run_cg_group(yf, g, s);
        }
        for (int q = 0; q < g; ++q, ++i) {
            const detector_outputs o = out.from_item(static_cast<size_t>(i), d_nt, d_k);
            const bool ok =
                d_chan_status == status::ok
                    ? emit(yf + static_cast<size_t>(q) * d_m,
                           s + q * d_np,
                           o.estimate,
                           o.symbols,
                           o.llr,
                           o.bits)
                    : reject_item(o);
            if (!ok)
                failures.note(i, d_last);
        }
    }
    return failures.report(first_bad, first_status);
}

} // namespace neuralmimo
} // namespace gr
