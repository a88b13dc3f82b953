/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The max-log demapper of every detector kernel (internal: inline, so each
 * kernel's per-item loop compiles it with its own code).
 *
 * Each real coordinate k of the estimate is one Gray PAM of the square
 * constellation (gray_pam: even label bits on the real part, odd bits on the
 * imaginary part; BPSK one bit on the real part). With the unbiased estimate
 * z_k = s_k / mu_k, saturated at +-detector_floors::z_limit, and a0, a1 the
 * nearest levels whose bit is 0 and 1:
 *
 *   LLR = ((z_k - a0)^2 - (z_k - a1)^2) * w_k
 *
 * with w_k = 1 / (2 nu_k) for a variance nu_k per real dimension (1 / nu_t
 * for a variance per complex stream): the max-log value over the full
 * constellation, LLR = ln P(b=1)/P(b=0), clipped to +-detector_floors::llr_limit
 * (the hard decisions use the unclipped difference). Hard decisions are the nearest point
 * to z (the LLR signs).
 */

#ifndef INCLUDED_NEURALMIMO_GRAY_PAM_DEMAP_H
#define INCLUDED_NEURALMIMO_GRAY_PAM_DEMAP_H

#include <gnuradio/neuralmimo/detector_core.h>
#include "simd_v8.h"
#include <algorithm>
#include <cfloat>
#include <complex>
#include <cstdint>

namespace gr {
namespace neuralmimo {
namespace simd {

/*
 * The demapper's inputs of one item of Nt streams, each float32[np] per
 * interleaved coordinate (Re x_t at 2t, Im x_t at 2t + 1), np = a multiple
 * of 8 >= 2 Nt:
 *   s:      the biased estimate, zero in the padding
 *   inv_mu: 1 / mu_k (0 in the padding)
 *   w:      the LLR weight w_k (0 in the padding)
 */
struct demap_input {
    int nt;
    const float* s;
    const float* inv_mu;
    const float* w;
};

/*
 * 8 interleaved coordinates (4 streams) at a time, B bits per dimension known
 * at compile time so every loop unrolls. With the common term z^2 dropped,
 * (z - a)^2 ~ a (a - 2z) = a^2 - 2a z: no cancellation of large squares for
 * large |z|, one FMA per level. For each dimension bit the minimum over the
 * levels carrying 0 and those carrying 1 is kept; diff = min0 - min1 is the
 * LLR over w_k, and its sign the hard bit of the nearest level. Lane 2q + d
 * of a block is stream t0 + q, part d, whose dimension bit m is label bit
 * 2m + d (BPSK: the real part's bit only).
 */
template <int B, bool BPSK>
void demap_blocks(const gray_pam& pam, const demap_input& in, const detector_outputs& out)
{
    constexpr int P = 1 << B;
    constexpr int K = BPSK ? 1 : 2 * B;
    const float lim_f = detector_floors::z_limit, llr_f = detector_floors::llr_limit;
    const v8 lim = vset1(lim_f), neg_lim = vset1(-lim_f), big = vset1(FLT_MAX);
    const v8 llr_lim = vset1(llr_f), neg_llr_lim = vset1(-llr_f);
    const float* amp = pam.amp();
    const float* amp2 = pam.amp2();
    const float* m2amp = pam.m2amp();
    const int nt = in.nt;
    const float *s = in.s, *inv_mu = in.inv_mu, *w = in.w;
    float* llr = out.llr;
    uint8_t* bits = out.bits;
    float* sym_f = reinterpret_cast<float*>(out.symbols);
    for (int k0 = 0; k0 < 2 * nt; k0 += k_lanes) {
        const v8 z = vmin(vmax(vload(s + k0) * vload(inv_mu + k0), neg_lim), lim);
        v8 mn0[B], mn1[B];
        for (int m = 0; m < B; ++m)
            mn0[m] = mn1[m] = big;
        for (int g = 0; g < P; ++g) {
            const v8 dist = vset1(amp2[g]) + vset1(m2amp[g]) * z;
            for (int m = 0; m < B; ++m) {
                // Level g carries dimension bit m = bit (B-1-m) of g.
                if ((g >> (B - 1 - m)) & 1)
                    mn1[m] = vmin(mn1[m], dist);
                else
                    mn0[m] = vmin(mn0[m], dist);
            }
        }
        v8 diff[B];
        for (int m = 0; m < B; ++m)
            diff[m] = mn0[m] - mn1[m];
        const int t0 = k0 / 2;
        const int tn = std::min(k_lanes / 2, nt - t0);
        if (llr) {
            const v8 wk = vload(w + k0);
            v8 lv[B];
            for (int m = 0; m < B; ++m) // clipped: the contract's +-llr_limit
                lv[m] = vmin(vmax(diff[m] * wk, neg_llr_lim), llr_lim);
            if (!BPSK && B == 1 && tn == k_lanes / 2) {
                vstore(llr + 2 * t0, lv[0]); // QPSK: already user-major
            } else if (!BPSK && B == 2 && tn == k_lanes / 2) {
                // 16QAM: stream t0 + q is (bit 0 re, im, bit 1 re, im).
                v8 lo, hi;
                interleave_pairs(lv[0], lv[B - 1], lo, hi);
                vstore(llr + 4 * t0, lo);
                vstore(llr + 4 * t0 + 8, hi);
            } else {
                for (int q = 0; q < tn; ++q)
                    for (int m = 0; m < B; ++m) {
                        float* o = llr + static_cast<size_t>(t0 + q) * K;
                        if (BPSK) {
                            o[0] = vlane(lv[0], 2 * q);
                        } else {
                            o[2 * m] = vlane(lv[m], 2 * q);
                            o[2 * m + 1] = vlane(lv[m], 2 * q + 1);
                        }
                    }
            }
        }
        if (bits) {
            for (int q = 0; q < tn; ++q)
                for (int m = 0; m < B; ++m) {
                    uint8_t* o = bits + static_cast<size_t>(t0 + q) * K;
                    if (BPSK) {
                        o[0] = static_cast<uint8_t>(vlane(diff[0], 2 * q) > 0.0f);
                    } else {
                        o[2 * m] = static_cast<uint8_t>(vlane(diff[m], 2 * q) > 0.0f);
                        o[2 * m + 1] = static_cast<uint8_t>(vlane(diff[m], 2 * q + 1) > 0.0f);
                    }
                }
        }
        if (sym_f) {
            for (int l = 0; l < 2 * tn; ++l) {
                int g = 0;
                for (int m = 0; m < B; ++m)
                    g = (g << 1) | static_cast<int>(vlane(diff[m], l) > 0.0f);
                sym_f[k0 + l] = (BPSK && (l & 1)) ? 0.0f : amp[g];
            }
        }
    }
}

/*
 * Demaps the Nt streams of one item into the non-null outputs of \p out:
 * symbols complex64[Nt], llr float32[Nt * K], bits uint8[Nt * K]
 * (user-major: stream t, bit k at t*K + k); out.estimate is not read.
 */
inline void
demap_gray_pam(const gray_pam& pam, const demap_input& in, const detector_outputs& out)
{
    if (pam.bpsk()) {
        demap_blocks<1, true>(pam, in, out);
        return;
    }
    switch (pam.dim_bits()) {
    case 1:
        demap_blocks<1, false>(pam, in, out);
        break;
    case 2:
        demap_blocks<2, false>(pam, in, out);
        break;
    case 3:
        demap_blocks<3, false>(pam, in, out);
        break;
    default:
        demap_blocks<4, false>(pam, in, out);
        break;
    }
}

} // namespace simd
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_GRAY_PAM_DEMAP_H */
