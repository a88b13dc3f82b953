/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * mmnet_kernel: the per-observation MMNet layers of HyperMIMO from a
 * per-channel state (the math is in the header). Inside, the real and
 * imaginary parts are kept apart and every vector is padded to np (a multiple
 * of 8) users, so that the loops over users run in SIMD registers: the
 * compiler vectorises them, the polynomial exp and log below included.
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
      d_pam(d_const, "mmnet_kernel"),
      d_np(simd::round_up(nu, simd::k_lanes))
{
    const size_t np = d_np;
    for (auto* v : { &d_q_re, &d_q_im })
        v->assign(static_cast<size_t>(nr) * np, 0.0f);
    for (auto* v : { &d_rt_re, &d_rt_im })
        v->assign(static_cast<size_t>(nu) * np, 0.0f);
    for (auto* v : { &d_th_re, &d_th_im })
        v->assign(static_cast<size_t>(layers) * nu * np, 0.0f);
    d_gain.assign(static_cast<size_t>(layers) * np, 0.0f);
    d_floor.assign(static_cast<size_t>(layers) * np, 1.0f);
    for (auto* v : { &d_ys_re, &d_ys_im, &d_x_re, &d_x_im, &d_res_re, &d_res_im, &d_z_re,
                     &d_z_im, &d_inv_tau })
        v->assign(np, 0.0f);
}

bool mmnet_kernel::prepare_channel(const float* q,
                                   const float* r,
                                   const float* theta,
                                   const float* tau_gain,
                                   const float* tau_floor,
                                   float res_floor)
{
    const size_t nu = d_nu, nr = d_nr, np = d_np, tl = d_layers;
    const float mark = nonfinite_mark(q, 2 * nr * nu) + nonfinite_mark(r, 2 * nu * nu) +
                       nonfinite_mark(theta, 2 * tl * nu * nu) +
                       nonfinite_mark(tau_gain, tl * nu) + nonfinite_mark(tau_floor, tl * nu) +
                       (res_floor - res_floor);
    if (mark != 0.0f)
        return false;
    for (size_t i = 0; i < nr; ++i)
        for (size_t u = 0; u < nu; ++u) {
            d_q_re[i * np + u] = q[2 * (i * nu + u)];
            d_q_im[i * np + u] = q[2 * (i * nu + u) + 1];
        }
    // Transposed: row v holds column v (r[u, v] for every u).
    for (size_t u = 0; u < nu; ++u)
        for (size_t v = 0; v < nu; ++v) {
            d_rt_re[v * np + u] = r[2 * (u * nu + v)];
            d_rt_im[v * np + u] = r[2 * (u * nu + v) + 1];
        }
    for (size_t t = 0; t < tl; ++t) {
        const float* th = theta + 2 * t * nu * nu;
        float* dre = d_th_re.data() + t * nu * np;
        float* dim = d_th_im.data() + t * nu * np;
        for (size_t u = 0; u < nu; ++u)
            for (size_t v = 0; v < nu; ++v) {
                dre[v * np + u] = th[2 * (u * nu + v)];
                dim[v * np + u] = th[2 * (u * nu + v) + 1];
            }
        std::copy(tau_gain + t * nu, tau_gain + (t + 1) * nu, d_gain.data() + t * np);
        std::copy(tau_floor + t * nu, tau_floor + (t + 1) * nu, d_floor.data() + t * np);
    }
    d_res_floor = res_floor;
    return true;
}

/*
 * One real dimension (dim 0: real parts, 1: imaginary parts) of np users.
 * With c_g = a_g^2 - 2 a_g z = (z - a_g)^2 - z^2 (no large squares to cancel)
 * and c_min their minimum, the posterior weights are
 * w_g = exp((c_min - c_g) / tau) (1 at the nearest level), the mean
 * sum_g w_g a_g / sum_g w_g. LLR of dimension bit j (level g carries the bits
 * of g, MSB first; label bit 2j + dim, or j for BPSK): with S_b the levels
 * whose bit j is b, m_b = min over S_b of c_g and
 * s_b = sum over S_b of exp((m_b - c_g) / tau) (in [1, P/2]),
 *   LLR_j = (m_0 - m_1) / tau + log(s_1 / s_0).
 */
namespace {
// The denoiser of mmnet_kernel::denoise with P levels known at compile time,
// so that the level loops unroll and c_g stay in registers.
template <int P>
void pam_denoise(const gray_pam& pam,
                 int np,
                 int nu,
                 int kb,
                 const float* z,
                 const float* inv_tau,
                 float* x,
                 float* llr,
                 int dim)
{
    constexpr int b = P == 2 ? 1 : P == 4 ? 2 : P == 8 ? 3 : 4;
    static_assert(P == 2 || P == 4 || P == 8 || P == 16, "levels: 2, 4, 8 or 16");
    const float* a = pam.amp();
    const float* a2 = pam.amp2();
    const float* m2a = pam.m2amp();
    const float limit = detector_floors::llr_limit;
    const v8 lim = vset1(limit), neg_lim = vset1(-limit);
    const int step = pam.bpsk() ? 1 : 2;
    v8 c[P];
    for (int u0 = 0; u0 < np; u0 += k_lanes) {
        const v8 zz = vload(z + u0), it = vload(inv_tau + u0);
        v8 cmin = vset1(std::numeric_limits<float>::infinity());
        for (int g = 0; g < P; ++g) {
            c[g] = vset1(a2[g]) + vset1(m2a[g]) * zz;
            cmin = vmin(cmin, c[g]);
        }
        v8 num = simd::vzero(), den = simd::vzero();
        for (int g = 0; g < P; ++g) {
            const v8 w = vexp((cmin - c[g]) * it);
            num += w * vset1(a[g]);
            den += w;
        }
        vstore(x + u0, num / den);
        if (!llr)
            continue;
        const int n_here = std::min(k_lanes, nu - u0);
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
            float* dst = llr + static_cast<size_t>(u0) * kb + step * j + dim;
            for (int l = 0; l < n_here; ++l)
                dst[l * kb] = out[l];
        }
    }
}

} // namespace

void mmnet_kernel::denoise(const float* z, const float* inv_tau, float* x, float* llr, int dim)
{
    switch (d_pam.levels()) {
    case 2:
        return pam_denoise<2>(d_pam, d_np, d_nu, d_k, z, inv_tau, x, llr, dim);
    case 4:
        return pam_denoise<4>(d_pam, d_np, d_nu, d_k, z, inv_tau, x, llr, dim);
    case 8:
        return pam_denoise<8>(d_pam, d_np, d_nu, d_k, z, inv_tau, x, llr, dim);
    default:
        return pam_denoise<16>(d_pam, d_np, d_nu, d_k, z, inv_tau, x, llr, dim);
    }
}

bool mmnet_kernel::detect_one(const std::complex<float>* y,
                              std::complex<float>* estimate,
                              float* llr,
                              detector_status& why)
{
    const int nu = d_nu, nr = d_nr, np = d_np;
    const float* yf = reinterpret_cast<const float*>(y);
    if (nonfinite_mark(yf, 2 * static_cast<size_t>(nr)) != 0.0f) {
        why = detector_status::nonfinite_y;
        return false;
    }
    float* x_re = d_x_re.data();
    float* x_im = d_x_im.data();
    float* res_re = d_res_re.data();
    float* res_im = d_res_im.data();
    float* z_re = d_z_re.data();
    float* z_im = d_z_im.data();
    float* inv_tau = d_inv_tau.data();
    const v8 zero = simd::vzero();
    for (int u0 = 0; u0 < np; u0 += k_lanes) {
        // ys = q^H y: ys_u = sum_i conj(q[i, u]) y_i.
        v8 sr = zero, si = zero;
        for (int i = 0; i < nr; ++i) {
            const v8 yr = vset1(yf[2 * i]), yi = vset1(yf[2 * i + 1]);
            const v8 qr = vload(d_q_re.data() + static_cast<size_t>(i) * np + u0);
            const v8 qi = vload(d_q_im.data() + static_cast<size_t>(i) * np + u0);
            sr += qr * yr + qi * yi;
            si += qr * yi - qi * yr;
        }
        vstore(d_ys_re.data() + u0, sr);
        vstore(d_ys_im.data() + u0, si);
        vstore(x_re + u0, zero);
        vstore(x_im + u0, zero);
    }
    const bool bpsk = d_pam.bpsk();
    for (int t = 0; t < d_layers; ++t) {
        // res = ys - r x (column by column), e = max(||res||^2 - res_floor, 0)
        v8 norm2 = zero;
        for (int u0 = 0; u0 < np; u0 += k_lanes) {
            v8 rr = vload(d_ys_re.data() + u0), ri = vload(d_ys_im.data() + u0);
            for (int v = 0; v < nu; ++v) {
                const v8 xr = vset1(x_re[v]), xi = vset1(x_im[v]);
                const v8 ar = vload(d_rt_re.data() + static_cast<size_t>(v) * np + u0);
                const v8 ai = vload(d_rt_im.data() + static_cast<size_t>(v) * np + u0);
                rr -= ar * xr - ai * xi;
                ri -= ar * xi + ai * xr;
            }
            vstore(res_re + u0, rr);
            vstore(res_im + u0, ri);
            norm2 += rr * rr + ri * ri;
        }
        float n2 = 0.0f;
        for (int l = 0; l < k_lanes; ++l)
            n2 += simd::vlane(norm2, l);
        const float e = std::max(n2 - d_res_floor, 0.0f);
        // z = x + Theta^(t) res; 1 / tau
        const size_t th0 = static_cast<size_t>(t) * nu * np;
        v8 mark = vset1(e - e);
        const v8 ev = vset1(e);
        for (int u0 = 0; u0 < np; u0 += k_lanes) {
            v8 zr = vload(x_re + u0), zi = vload(x_im + u0);
            for (int v = 0; v < nu; ++v) {
                const v8 rr = vset1(res_re[v]), ri = vset1(res_im[v]);
                const v8 ar = vload(d_th_re.data() + th0 + static_cast<size_t>(v) * np + u0);
                const v8 ai = vload(d_th_im.data() + th0 + static_cast<size_t>(v) * np + u0);
                zr += ar * rr - ai * ri;
                zi += ar * ri + ai * rr;
            }
            vstore(z_re + u0, zr);
            vstore(z_im + u0, zi);
            mark += (zr - zr) + (zi - zi);
            const size_t o = static_cast<size_t>(t) * np + u0;
            const v8 tau = vmax(vload(d_gain.data() + o) * ev + vload(d_floor.data() + o),
                                vset1(1e-10f));
            vstore(inv_tau + u0, vset1(1.0f) / tau);
        }
        // Finite inputs: an Inf or NaN here is float overflow.
        float m = 0.0f;
        for (int l = 0; l < k_lanes; ++l)
            m += simd::vlane(mark, l);
        if (m != 0.0f) {
            why = detector_status::overflow;
            return false;
        }
        // The denoiser; the last layer also writes the LLRs.
        float* l = t + 1 == d_layers ? llr : nullptr;
        denoise(z_re, inv_tau, x_re, l, 0);
        if (!bpsk)
            denoise(z_im, inv_tau, x_im, l, 1);
    }
    for (int u = 0; u < nu; ++u)
        estimate[u] = std::complex<float>(x_re[u], x_im[u]);
    if (nonfinite_mark(x_re, np) + nonfinite_mark(x_im, np) +
            nonfinite_mark(llr, static_cast<size_t>(nu) * d_k) !=
        0.0f) {
        why = detector_status::overflow;
        return false;
    }
    return true;
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
    int32_t prepared = -1; // the channel in the kernel's layout
    bool state_ok = false;
    for (int i = 0; i < n; ++i) {
        const int32_t c = chan[i];
        if (c != prepared) {
            const size_t cs = static_cast<size_t>(c);
            state_ok = prepare_channel(qf + cs * sq, rf + cs * sr, thf + cs * sth,
                                       tau_gain + cs * st, tau_floor + cs * st, res_floor[c]);
            prepared = c;
        }
        std::complex<float>* est = estimate + i * nu;
        float* l = llr + i * nu * k;
        detector_status why = detector_status::nonfinite_channel;
        if (state_ok && detect_one(y + i * nr, est, l, why))
            continue;
        std::fill(est, est + nu, std::complex<float>(0.0f, 0.0f));
        std::fill(l, l + nu * k, 0.0f);
        fails.note(i, why);
    }
    return fails;
}

} // namespace neuralmimo
} // namespace gr
