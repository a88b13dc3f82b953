/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * mmnet_kernel: the per-observation MMNet layers of HyperMIMO from a
 * per-channel state (the math is in the header). Complex vectors are kept
 * interleaved (re, im), as the state arrays are.
 */

#include <gnuradio/neuralmimo/mmnet_kernel.h>
#include "simd_v8.h"
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

} // namespace

mmnet_kernel::mmnet_kernel(int nu, int nr, int layers, const std::string& constellation)
    : d_nu(nu),
      d_nr(nr),
      d_layers(layers),
      d_const(checked_constellation(nu, nr, layers, constellation)),
      d_k(d_const.bits_per_symbol()),
      d_pam(d_const, "mmnet_kernel")
{
    for (auto* v : { &d_ys, &d_x, &d_res, &d_z })
        v->assign(2 * static_cast<size_t>(nu), 0.0f);
}

/*
 * One real dimension: the levels a_g of the PAM, g0 the nearest to z, and
 * D_g = (z - a_g)^2 - (z - a_g0)^2 = (a_g - a_g0)(a_g + a_g0 - 2z) >= 0,
 * written factored so that no large squares cancel. The posterior mean is
 * sum_g w_g a_g / sum_g w_g with w_g = exp(-D_g inv_tau) (w_g0 = 1). LLR of
 * dimension bit j (level g carries the bits of g, MSB first): with S_b the
 * levels whose bit j is b, D_b = min over S_b and s_b = sum over S_b of
 * exp(-(D_g - D_b) inv_tau),
 *   LLR_j = (D_0 - D_1) inv_tau + log s_1 - log s_0.
 * llr[j * stride] receives bit j.
 */
namespace {
inline float pam_denoise(
    const gray_pam& pam, float z, float inv_tau, float* llr, int stride)
{
    const int p = pam.levels(), b = pam.dim_bits();
    const float* a = pam.amp();
    int g0 = 0;
    float best = std::fabs(z - a[0]);
    for (int g = 1; g < p; ++g) {
        const float d = std::fabs(z - a[g]);
        if (d < best) {
            best = d;
            g0 = g;
        }
    }
    float dd[16];
    float num = a[g0], den = 1.0f;
    for (int g = 0; g < p; ++g) {
        if (g == g0) {
            dd[g] = 0.0f;
            continue;
        }
        dd[g] = std::max((a[g] - a[g0]) * (a[g] + a[g0] - 2.0f * z), 0.0f);
        const float w = std::exp(-dd[g] * inv_tau);
        num += w * a[g];
        den += w;
    }
    if (llr) {
        const float lim = detector_floors::llr_limit;
        for (int j = 0; j < b; ++j) {
            const int bit = b - 1 - j; // bit j, MSB first, of the level index
            float dmin[2] = { std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::infinity() };
            int gmin[2] = { 0, 0 };
            for (int g = 0; g < p; ++g) {
                const int v = (g >> bit) & 1;
                if (dd[g] < dmin[v]) {
                    dmin[v] = dd[g];
                    gmin[v] = g;
                }
            }
            float s[2] = { 1.0f, 1.0f };
            for (int g = 0; g < p; ++g) {
                const int v = (g >> bit) & 1;
                if (g != gmin[v])
                    s[v] += std::exp(-(dd[g] - dmin[v]) * inv_tau);
            }
            // Sets of one level (QPSK, BPSK): s = 1, no logarithm needed.
            float v = (dmin[0] - dmin[1]) * inv_tau;
            if (p > 2)
                v += std::log(s[1]) - std::log(s[0]);
            llr[j * stride] = std::min(std::max(v, -lim), lim);
        }
    }
    return num / den;
}
} // namespace

float mmnet_kernel::denoise(float z, float inv_tau, float* llr) const
{
    return pam_denoise(d_pam, z, inv_tau, llr, d_pam.bpsk() ? 1 : 2);
}

bool mmnet_kernel::detect_one(const std::complex<float>* y,
                              const float* q,
                              const float* r,
                              const float* theta,
                              const float* tau_gain,
                              const float* tau_floor,
                              float res_floor,
                              std::complex<float>* estimate,
                              float* llr,
                              detector_status& why)
{
    const int nu = d_nu, nr = d_nr, n2 = 2 * nu;
    const float* yf = reinterpret_cast<const float*>(y);
    if (!simd::all_finite(yf, 2 * nr)) {
        why = detector_status::nonfinite_y;
        return false;
    }
    float* ys = d_ys.data();
    float* x = d_x.data();
    float* res = d_res.data();
    float* z = d_z.data();
    // ys = q^H y: ys_u = sum_r conj(q[r, u]) y_r.
    std::fill(ys, ys + n2, 0.0f);
    for (int i = 0; i < nr; ++i) {
        const float yr = yf[2 * i], yi = yf[2 * i + 1];
        const float* qi = q + static_cast<size_t>(i) * n2;
        for (int u = 0; u < nu; ++u) {
            const float a = qi[2 * u], b = qi[2 * u + 1];
            ys[2 * u] += a * yr + b * yi;
            ys[2 * u + 1] += a * yi - b * yr;
        }
    }
    std::fill(x, x + n2, 0.0f);
    const bool bpsk = d_pam.bpsk();
    for (int t = 0; t < d_layers; ++t) {
        // res = ys - r x, e = max(||res||^2 - res_floor, 0)
        float norm2 = 0.0f;
        for (int u = 0; u < nu; ++u) {
            const float* ru = r + static_cast<size_t>(u) * n2;
            float re = ys[2 * u], im = ys[2 * u + 1];
            for (int v = 0; v < nu; ++v) {
                const float a = ru[2 * v], b = ru[2 * v + 1];
                re -= a * x[2 * v] - b * x[2 * v + 1];
                im -= a * x[2 * v + 1] + b * x[2 * v];
            }
            res[2 * u] = re;
            res[2 * u + 1] = im;
            norm2 += re * re + im * im;
        }
        const float e = std::max(norm2 - res_floor, 0.0f);
        // z = x + Theta^(t) res
        const float* th = theta + static_cast<size_t>(t) * nu * n2;
        for (int u = 0; u < nu; ++u) {
            const float* tu = th + static_cast<size_t>(u) * n2;
            float re = x[2 * u], im = x[2 * u + 1];
            for (int v = 0; v < nu; ++v) {
                const float a = tu[2 * v], b = tu[2 * v + 1];
                re += a * res[2 * v] - b * res[2 * v + 1];
                im += a * res[2 * v + 1] + b * res[2 * v];
            }
            z[2 * u] = re;
            z[2 * u + 1] = im;
        }
        // Finite inputs: an Inf or NaN here is float overflow.
        if (!std::isfinite(e) || !simd::all_finite(z, n2)) {
            why = detector_status::overflow;
            return false;
        }
        // The denoiser, per user; the last layer also writes the LLRs.
        const bool last = t + 1 == d_layers;
        const float* g = tau_gain + static_cast<size_t>(t) * nu;
        const float* f = tau_floor + static_cast<size_t>(t) * nu;
        for (int u = 0; u < nu; ++u) {
            const float tau = std::max(g[u] * e + f[u], 1e-10f);
            const float inv_tau = 1.0f / tau;
            float* l = last ? llr + static_cast<size_t>(u) * d_k : nullptr;
            x[2 * u] = denoise(z[2 * u], inv_tau, l);
            x[2 * u + 1] = bpsk ? 0.0f : denoise(z[2 * u + 1], inv_tau, l ? l + 1 : nullptr);
        }
    }
    float* est = reinterpret_cast<float*>(estimate);
    std::copy(x, x + n2, est);
    if (!simd::all_finite(est, n2) || !simd::all_finite(llr, nu * d_k)) {
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
    if (n == 0)
        return fails;
    if (d_state_ok.size() < static_cast<size_t>(n_channels))
        d_state_ok.resize(n_channels);
    std::fill(d_state_ok.begin(), d_state_ok.begin() + n_channels, uint8_t(0));

    const size_t nu = d_nu, nr = d_nr, tl = d_layers, k = d_k;
    const size_t sq = 2 * nr * nu, sr = 2 * nu * nu, sth = tl * sr, st = tl * nu;
    const float* qf = reinterpret_cast<const float*>(q);
    const float* rf = reinterpret_cast<const float*>(r);
    const float* thf = reinterpret_cast<const float*>(theta);
    for (int i = 0; i < n; ++i) {
        const size_t c = static_cast<size_t>(chan[i]);
        const float* qc = qf + c * sq;
        const float* rc = rf + c * sr;
        const float* thc = thf + c * sth;
        const float* gc = tau_gain + c * st;
        const float* fc = tau_floor + c * st;
        if (d_state_ok[c] == 0) {
            const bool ok = simd::all_finite(qc, static_cast<int>(sq)) &&
                            simd::all_finite(rc, static_cast<int>(sr)) &&
                            simd::all_finite(thc, static_cast<int>(sth)) &&
                            simd::all_finite(gc, static_cast<int>(st)) &&
                            simd::all_finite(fc, static_cast<int>(st)) &&
                            std::isfinite(res_floor[c]);
            d_state_ok[c] = ok ? 1 : 2;
        }
        std::complex<float>* est = estimate + i * nu;
        float* l = llr + i * nu * k;
        detector_status why = detector_status::nonfinite_channel;
        if (d_state_ok[c] == 1 &&
            detect_one(y + i * nr, qc, rc, thc, gc, fc, res_floor[c], est, l, why))
            continue;
        std::fill(est, est + nu, std::complex<float>(0.0f, 0.0f));
        std::fill(l, l + nu * k, 0.0f);
        fails.note(i, why);
    }
    return fails;
}

} // namespace neuralmimo
} // namespace gr
