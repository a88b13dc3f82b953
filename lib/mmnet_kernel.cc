/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * mmnet_kernel: the per-observation MMNet layers of HyperMIMO from a
 * per-channel state (the math is in the header). Up to 8 consecutive items
 * of one channel run side by side, one per SIMD lane (v8): every vector of
 * the recursion is an array of v8 per user (real and imaginary parts apart)
 * and the state enters as broadcast scalars. Each lane does the same
 * operations in the same order whatever the other lanes hold, so an item's
 * result does not depend on how the items were grouped.
 */

#include <gnuradio/neuralmimo/mmnet_kernel.h>
#include "simd_explog.h"
#include "simd_v8.h"
#include <cstring>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

const char* const k_who = "mmnet_kernel: ";

// Checks nu, nr and layers before the constellation table is built, so the
// messages come in the order of the parameters.
const std::string&
checked_constellation(int nu, int nr, int layers, const std::string& constellation)
{
    const std::string who = k_who;
    if (nu < 1)
        throw std::invalid_argument(who + "nu = " + std::to_string(nu) + " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument(who + "nr = " + std::to_string(nr) + " must be >= 1");
    if (nr < nu)
        throw std::invalid_argument(who + "nr = " + std::to_string(nr) +
                                    " must be >= nu = " + std::to_string(nu) +
                                    " (q is the thin QR factor, Nr x Nu)");
    if (layers < 1)
        throw std::invalid_argument(who + "layers = " + std::to_string(layers) +
                                    " must be >= 1");
    return constellation_table::checked_name("mmnet_kernel", constellation);
}

using simd::k_lanes;
using simd::v8;
using simd::vload;
using simd::vmax;
using simd::vmin;
using simd::vset1;
using simd::vexp;
using simd::vlog;
using simd::vstore;

// x - x is 0 for a finite x, NaN otherwise: accumulated, the sum says whether
// all were finite, without a branch per value.
inline float nonfinite_mark(const float* v, size_t n)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n; ++i)
        acc += v[i] - v[i];
    return acc;
}

} // namespace

mmnet_kernel::mmnet_kernel(int nu, int nr, int layers, const std::string& constellation)
    : d_nu(nu),
      d_nr(nr),
      d_layers(layers),
      d_const(checked_constellation(nu, nr, layers, constellation)),
      d_k(d_const.bits_per_symbol()),
      d_pam(d_const, "mmnet_kernel")
{
    d_y.assign(2 * static_cast<size_t>(nr) * k_lanes, 0.0f);
    d_vec.assign(8 * static_cast<size_t>(nu) * k_lanes, 0.0f);
}

/*
 * One real dimension (dim 0: real parts, 1: imaginary parts) of user u for
 * the 8 items of a group, P levels known at compile time (the level loops
 * unroll, c_g stay in registers). With c_g = a_g^2 - 2 a_g z = (z - a_g)^2 -
 * z^2 (no large squares to cancel) and c_min their minimum, the posterior
 * weights are w_g = exp((c_min - c_g) / tau) (1 at the nearest level), the
 * mean sum_g w_g a_g / sum_g w_g. LLR of dimension bit j (level g carries the
 * bits of g, MSB first; label bit 2j + dim, or j for BPSK): with S_b the
 * levels whose bit j is b, m_b = min over S_b of c_g and
 * s_b = sum over S_b of exp((m_b - c_g) / tau) (in [1, P/2]),
 *   LLR_j = (m_0 - m_1) / tau + log(s_1 / s_0),
 * written for the first g_items items at llr + q * stride (item q).
 */
namespace {
template <int P>
v8 pam_denoise(const gray_pam& pam,
               const v8& z,
               const v8& it,
               float* llr,
               int dim,
               int g_items,
               size_t stride)
{
    constexpr int b = P == 2 ? 1 : P == 4 ? 2 : P == 8 ? 3 : 4;
    static_assert(P == 2 || P == 4 || P == 8 || P == 16, "levels: 2, 4, 8 or 16");
    const float* a = pam.amp();
    const float* a2 = pam.amp2();
    const float* m2a = pam.m2amp();
    v8 c[P];
    v8 cmin = vset1(std::numeric_limits<float>::infinity());
    for (int g = 0; g < P; ++g) {
        c[g] = vset1(a2[g]) + vset1(m2a[g]) * z;
        cmin = vmin(cmin, c[g]);
    }
    v8 num = simd::vzero(), den = simd::vzero();
    for (int g = 0; g < P; ++g) {
        const v8 w = vexp((cmin - c[g]) * it);
        num += w * vset1(a[g]);
        den += w;
    }
    if (llr) {
        const float limit = detector_floors::llr_limit;
        const v8 lim = vset1(limit), neg_lim = vset1(-limit);
        const int step = pam.bpsk() ? 1 : 2;
        for (int j = 0; j < b; ++j) {
            const int bit = b - 1 - j; // bit j, MSB first, of the level index
            v8 m[2] = { vset1(std::numeric_limits<float>::infinity()),
                        vset1(std::numeric_limits<float>::infinity()) };
            for (int g = 0; g < P; ++g)
                m[(g >> bit) & 1] = vmin(m[(g >> bit) & 1], c[g]);
            v8 v = (m[0] - m[1]) * it;
            if (P > 2) { // sets of one level (BPSK, QPSK): s_0 = s_1 = 1
                v8 s[2] = { simd::vzero(), simd::vzero() };
                for (int g = 0; g < P; ++g) {
                    const int o = (g >> bit) & 1;
                    s[o] += vexp((m[o] - c[g]) * it);
                }
                v += vlog(s[1] / s[0]);
            }
            v = vmin(vmax(v, neg_lim), lim); // NaN stays NaN (an overflow erasure)
            float out[k_lanes];
            vstore(out, v);
            float* dst = llr + step * j + dim;
            for (int q = 0; q < g_items; ++q)
                dst[q * stride] = out[q];
        }
    }
    return num / den;
}

/*
 * The recursion of the header for a group of g_items (<= 8) items of one
 * channel, item q in lane q (idle lanes hold y = 0): writes the LLRs of the
 * last layer, leaves x in the scratch (rows 2 and 3 of vec) and adds to mark
 * e - e, z - z and x - x per lane (NaN where an item overflowed).
 */
template <int P>
void run_group(const gray_pam& pam,
               int nu,
               int nr,
               int layers,
               int kb,
               const float* yv, // [2 Nr] v8: Re y_i at 2i, Im y_i at 2i + 1
               const float* q,
               const float* r,
               const float* theta,
               const float* tau_gain,
               const float* tau_floor,
               float res_floor,
               float* vec, // [8 Nu] v8 of scratch
               int g_items,
               float* llr, // the first item's LLRs; item q at llr + q Nu K
               v8& mark)   // per lane: 0 if finite, else NaN
{
    const size_t n = nu;
    // Eight rows of Nu values, 8 floats each, read and written with
    // vload/vstore (no alignment or aliasing assumptions).
    const size_t row = n * k_lanes;
    float* ys_re = vec;
    float* ys_im = ys_re + row;
    float* x_re = ys_im + row;
    float* x_im = x_re + row;
    float* res_re = x_im + row;
    float* res_im = res_re + row;
    float* z_re = res_im + row;
    float* z_im = z_re + row;
    auto at = [](const float* a, int u) { return vload(a + static_cast<size_t>(u) * k_lanes); };
    auto put = [](float* a, int u, const v8& v) {
        vstore(a + static_cast<size_t>(u) * k_lanes, v);
    };
    const v8 zero = simd::vzero();
    // ys = q^H y: ys_u = sum_i conj(q[i, u]) y_i.
    for (int u = 0; u < nu; ++u) {
        v8 sr = zero, si = zero;
        for (int i = 0; i < nr; ++i) {
            const v8 yr = vload(yv + (2 * i) * k_lanes), yi = vload(yv + (2 * i + 1) * k_lanes);
            const float* qq = q + 2 * (static_cast<size_t>(i) * nu + u);
            const v8 qr = vset1(qq[0]), qi = vset1(qq[1]);
            sr += qr * yr + qi * yi;
            si += qr * yi - qi * yr;
        }
        put(ys_re, u, sr);
        put(ys_im, u, si);
        put(x_re, u, zero);
        put(x_im, u, zero);
    }
    const bool bpsk = pam.bpsk();
    const size_t stride = n * kb;
    for (int t = 0; t < layers; ++t) {
        // res = ys - r x, e = max(||res||^2 - res_floor, 0)
        v8 norm2 = zero;
        for (int u = 0; u < nu; ++u) {
            v8 rr = at(ys_re, u), ri = at(ys_im, u);
            const float* ru = r + 2 * static_cast<size_t>(u) * nu;
            for (int v = 0; v < nu; ++v) {
                const v8 ar = vset1(ru[2 * v]), ai = vset1(ru[2 * v + 1]);
                const v8 xr = at(x_re, v), xi = at(x_im, v);
                rr -= ar * xr - ai * xi;
                ri -= ar * xi + ai * xr;
            }
            put(res_re, u, rr);
            put(res_im, u, ri);
            norm2 += rr * rr + ri * ri;
        }
        const v8 e = vmax(norm2 - vset1(res_floor), zero);
        mark += e - e;
        // z = x + Theta^(t) res
        const float* th = theta + 2 * static_cast<size_t>(t) * nu * nu;
        for (int u = 0; u < nu; ++u) {
            v8 zr = at(x_re, u), zi = at(x_im, u);
            const float* tu = th + 2 * static_cast<size_t>(u) * nu;
            for (int v = 0; v < nu; ++v) {
                const v8 ar = vset1(tu[2 * v]), ai = vset1(tu[2 * v + 1]);
                const v8 rr = at(res_re, v), ri = at(res_im, v);
                zr += ar * rr - ai * ri;
                zi += ar * ri + ai * rr;
            }
            put(z_re, u, zr);
            put(z_im, u, zi);
            mark += (zr - zr) + (zi - zi);
        }
        // The denoiser, per user; the last layer also writes the LLRs.
        const bool last = t + 1 == layers;
        const float* gt = tau_gain + static_cast<size_t>(t) * nu;
        const float* ft = tau_floor + static_cast<size_t>(t) * nu;
        for (int u = 0; u < nu; ++u) {
            const v8 tau = vmax(vset1(gt[u]) * e + vset1(ft[u]), vset1(1e-10f));
            const v8 it = vset1(1.0f) / tau;
            float* l = last ? llr + static_cast<size_t>(u) * kb : nullptr;
            put(x_re, u, pam_denoise<P>(pam, at(z_re, u), it, l, 0, g_items, stride));
            put(x_im, u,
                bpsk ? zero : pam_denoise<P>(pam, at(z_im, u), it, l, 1, g_items, stride));
        }
    }
    for (int u = 0; u < nu; ++u)
        mark += (at(x_re, u) - at(x_re, u)) + (at(x_im, u) - at(x_im, u));
}

} // namespace

bool mmnet_kernel::check_channel(const float* q,
                                 const float* r,
                                 const float* theta,
                                 const float* tau_gain,
                                 const float* tau_floor,
                                 float res_floor) const
{
    const size_t nu = d_nu, nr = d_nr, tl = d_layers;
    const float mark = nonfinite_mark(q, 2 * nr * nu) + nonfinite_mark(r, 2 * nu * nu) +
                       nonfinite_mark(theta, 2 * tl * nu * nu) +
                       nonfinite_mark(tau_gain, tl * nu) + nonfinite_mark(tau_floor, tl * nu) +
                       (res_floor - res_floor);
    return mark == 0.0f;
}

item_failures mmnet_kernel::detect(const std::complex<float>* y,
                                   const int32_t* chan,
                                   int n,
                                   const std::complex<float>* q,
                                   const std::complex<float>* r,
                                   const std::complex<float>* theta,
                                   const float* tau_gain,
                                   const float* tau_floor,
                                   const float* res_floor,
                                   int n_channels,
                                   std::complex<float>* estimate,
                                   float* llr)
{
    const std::string who = k_who;
    if (n < 0)
        throw std::invalid_argument(who + "n = " + std::to_string(n) + " must be >= 0");
    if (n_channels < 0 || (n > 0 && n_channels < 1))
        throw std::invalid_argument(who + "n_channels = " + std::to_string(n_channels) +
                                    " must be >= 1 (or 0 with no items)");
    for (int i = 0; i < n; ++i)
        if (chan[i] < 0 || chan[i] >= n_channels)
            throw std::invalid_argument(who + "item " + std::to_string(i) + ": channel " +
                                        std::to_string(chan[i]) + " is not in [0, " +
                                        std::to_string(n_channels) + ")");
    item_failures fails;
    const size_t nu = d_nu, nr = d_nr, tl = d_layers, k = d_k;
    const size_t sq = 2 * nr * nu, sr = 2 * nu * nu, sth = tl * sr, st = tl * nu;
    const float* qf = reinterpret_cast<const float*>(q);
    const float* rf = reinterpret_cast<const float*>(r);
    const float* thf = reinterpret_cast<const float*>(theta);
    const float* yf = reinterpret_cast<const float*>(y);
    int32_t checked = -1; // the channel whose state was checked last
    bool state_ok = false;
    float* yv = d_y.data();
    for (int i0 = 0; i0 < n;) {
        // A group: up to 8 consecutive items of one channel.
        const int32_t c = chan[i0];
        int g = 1;
        while (g < k_lanes && i0 + g < n && chan[i0 + g] == c)
            ++g;
        const size_t cs = static_cast<size_t>(c);
        if (c != checked) {
            state_ok = check_channel(qf + cs * sq, rf + cs * sr, thf + cs * sth,
                                     tau_gain + cs * st, tau_floor + cs * st, res_floor[c]);
            checked = c;
        }
        // y of the group, transposed (item q in lane q; idle lanes 0) and
        // checked per item.
        v8 y_mark = simd::vzero();
        if (state_ok) {
            for (size_t j = 0; j < 2 * nr; ++j) {
                float lane[k_lanes] = {};
                for (int qq = 0; qq < g; ++qq)
                    lane[qq] = yf[(i0 + qq) * 2 * nr + j];
                const v8 v = vload(lane);
                vstore(yv + j * k_lanes, v);
                y_mark += v - v;
            }
            v8 mark = y_mark;
            float* l0 = llr + static_cast<size_t>(i0) * nu * k;
            const float* qc = qf + cs * sq;
            const float* rc = rf + cs * sr;
            const float* thc = thf + cs * sth;
            const float* gc = tau_gain + cs * st;
            const float* fc = tau_floor + cs * st;
            float* vec = d_vec.data();
            switch (d_pam.levels()) {
            case 2:
                run_group<2>(d_pam, d_nu, d_nr, d_layers, d_k, yv, qc, rc, thc, gc, fc,
                             res_floor[c], vec, g, l0, mark);
                break;
            case 4:
                run_group<4>(d_pam, d_nu, d_nr, d_layers, d_k, yv, qc, rc, thc, gc, fc,
                             res_floor[c], vec, g, l0, mark);
                break;
            case 8:
                run_group<8>(d_pam, d_nu, d_nr, d_layers, d_k, yv, qc, rc, thc, gc, fc,
                             res_floor[c], vec, g, l0, mark);
                break;
            default:
                run_group<16>(d_pam, d_nu, d_nr, d_layers, d_k, yv, qc, rc, thc, gc, fc,
                              res_floor[c], vec, g, l0, mark);
                break;
            }
            // Estimates (x_re, x_im after ys_re, ys_im in the scratch).
            const float* x_re = vec + 2 * nu * k_lanes;
            const float* x_im = x_re + nu * k_lanes;
            for (int qq = 0; qq < g; ++qq) {
                std::complex<float>* est = estimate + static_cast<size_t>(i0 + qq) * nu;
                for (size_t u = 0; u < nu; ++u)
                    est[u] = std::complex<float>(x_re[u * k_lanes + qq], x_im[u * k_lanes + qq]);
            }
            float ym[k_lanes], mk[k_lanes];
            vstore(ym, y_mark);
            vstore(mk, mark);
            for (int qq = 0; qq < g; ++qq) {
                float* l = llr + static_cast<size_t>(i0 + qq) * nu * k;
                const bool ok = mk[qq] == 0.0f && nonfinite_mark(l, nu * k) == 0.0f;
                if (ok)
                    continue;
                std::complex<float>* est = estimate + static_cast<size_t>(i0 + qq) * nu;
                std::fill(est, est + nu, std::complex<float>(0.0f, 0.0f));
                std::fill(l, l + nu * k, 0.0f);
                fails.note(i0 + qq,
                           ym[qq] != 0.0f ? detector_status::nonfinite_y
                                          : detector_status::overflow);
            }
        } else {
            for (int qq = 0; qq < g; ++qq) {
                std::complex<float>* est = estimate + static_cast<size_t>(i0 + qq) * nu;
                float* l = llr + static_cast<size_t>(i0 + qq) * nu * k;
                std::fill(est, est + nu, std::complex<float>(0.0f, 0.0f));
                std::fill(l, l + nu * k, 0.0f);
                fails.note(i0 + qq, detector_status::nonfinite_channel);
            }
        }
        i0 += g;
    }
    return fails;
}

} // namespace neuralmimo
} // namespace gr
