/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * ofdm_rx_kernel, synchronisation: frame detection by the Schmidl & Cox
 * metric, coarse and fine timing, the CFO estimate and its refinements, the
 * FFTs of a frame's symbols, and the per-frame outputs.
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

constexpr double k_r_floor = 1e-30;  // floor of E1 E2 in M(d), as the numpy receiver

/*
 * M(d) = |P|^2 / (E1 E2) of windows summed from their own terms (window_sums):
 * each is exact to a few ulp of its own magnitude whatever came before it in
 * the span, so M is within rounding of its true value (<= 1 by Cauchy-Schwarz).
 */
inline double sc_metric(cd p, double e1, double e2)
{
    return abs2(p) / std::max(e1 * e2, k_r_floor);
}

/*
 * out[n] = exp(i phase n), n < count, from 2 sqrt(count) calls of sincos:
 * exp(i phase (16 q + j)) = exp(i phase 16 q) exp(i phase j), each factor
 * exact to rounding, so the product is within a few ulp of a direct call.
 */
void phasors(double phase, int count, cd* out)
{
    constexpr int q_len = 16;
    cd lo[q_len];
    for (int j = 0; j < q_len && j < count; ++j)
        lo[j] = std::polar(1.0, phase * j);
    for (int q = 0; q * q_len < count; ++q) {
        const cd hi = std::polar(1.0, phase * (q * q_len));
        for (int j = 0; j < q_len && q * q_len + j < count; ++j)
            out[q * q_len + j] = mul(hi, lo[j]);
    }
}

} // namespace

/*
 * The first d >= d_pos with M(d) > threshold and E1 E2 > 0, or -1 when the
 * buffered samples hold none. P and E are window sums (window_sums) that
 * restart at the start of every span (d_block candidates), so each value
 * depends only on the span start and its own samples, never on how the input
 * was chunked, nor on a burst of huge samples before the window.
 */
int64_t ofdm_rx_kernel::impl::detect()
{
    const int L = d_L;
    const int64_t end = d_buf_start + buffered();
    while (true) {
        const int64_t last = std::min<int64_t>(d_anchor + d_block - 1, end - 2 * L);
        if (last < d_pos)
            return -1;
        const int need_p = static_cast<int>(last - d_anchor) + L;
        const int need_e = need_p + L;
        for (int n = d_span_p.size(); n < need_p; ++n) {
            const int64_t j = d_anchor + n;
            cd acc = 0.0;
            for (int r = 0; r < d_nr; ++r)
                acc += mul_conj(sample(j, r), sample(j + L, r));
            d_span_p.push(acc);
        }
        for (int n = d_span_e.size(); n < need_e; ++n) {
            const int64_t j = d_anchor + n;
            double acc = 0.0;
            for (int r = 0; r < d_nr; ++r)
                acc += abs2(sample(j, r));
            d_span_e.push(acc);
        }
        for (int64_t d = d_pos; d <= last; ++d) {
            const int i = static_cast<int>(d - d_anchor);
            const double e1 = d_span_e.window(i);
            const double e2 = d_span_e.window(i + L);
            const double m = sc_metric(d_span_p.window(i), e1, e2);
            if (m > d_threshold && e1 * e2 > 0.0) {
                d_pos = d;
                return d;
            }
        }
        d_pos = last + 1;
        if (d_pos < d_anchor + d_block)
            return -1; // wait for samples
        restart_search(d_pos);
    }
}

ofdm_rx_kernel::impl::outcome ofdm_rx_kernel::impl::demodulate(int64_t d0,
                                                               ofdm_rx_frame& f)
{
    const int L = d_L, N = d_n, nr = d_nr, nt = d_nt;
    const int64_t avail = d_buf_start + buffered() - d0; // samples from d0 on
    const int n_head = d_search + N;

    // --- coarse synchronisation (kept while the frame waits for its samples)
    if (!d_stage1) {
        if (avail < d_search + N + 1)
            return outcome::wait;
        // M(d) afresh from d0 for d = 0 ... search, as numpy's metric(seg[:search + 2L]).
        d_p.clear();
        d_r.clear();
        for (int i = 0; i < d_search + L; ++i) {
            cd acc = 0.0;
            for (int r = 0; r < nr; ++r)
                acc += mul_conj(sample(d0 + i, r), sample(d0 + i + L, r));
            d_p.push(acc);
        }
        for (int i = 0; i < d_search + 2 * L; ++i) {
            double acc = 0.0;
            for (int r = 0; r < nr; ++r)
                acc += abs2(sample(d0 + i, r));
            d_r.push(acc);
        }
        // Plateau: M >= 0.9 max M within cp + L + 1 samples of the crossing.
        const int n_win = d_cp + L + 1;
        double wmax = -std::numeric_limits<double>::infinity();
        for (int d = 0; d < n_win; ++d) {
            d_score[d] = sc_metric(d_p.window(d), d_r.window(d), d_r.window(d + L));
            wmax = std::max(wmax, d_score[d]);
        }
        cd psum = 0.0;
        for (int d = 0; d < n_win; ++d)
            if (d_score[d] >= 0.9 * wmax)
                psum += d_p.window(d);
        const double cfo0 = std::arg(psum) / k_pi;

        // Fine timing: sum_r |<preamble body, head_r[d:d+N]>|^2 after the coarse
        // correction, for d = 0 ... search. Candidates run in the inner loop
        // (no reduction there, so it vectorises; each sum keeps its order).
        phasors(-k_pi * cfo0 / L, n_head, d_head_rot.data());
        for (int n = 0; n < n_head; ++n) {
            const cd rot = d_head_rot[n];
            for (int r = 0; r < nr; ++r) {
                const cd v = mul(sample(d0 + n, r), rot);
                d_head_re[static_cast<size_t>(r) * n_head + n] = v.real();
                d_head_im[static_cast<size_t>(r) * n_head + n] = v.imag();
            }
        }
        const int n_cand = d_search + 1;
        std::fill(d_score.begin(), d_score.begin() + n_cand, 0.0);
        for (int r = 0; r < nr; ++r) {
            const double* hr = d_head_re.data() + static_cast<size_t>(r) * n_head;
            const double* hi = d_head_im.data() + static_cast<size_t>(r) * n_head;
            double* xr = d_xc_re.data();
            double* xi = d_xc_im.data();
            std::fill(xr, xr + n_cand, 0.0);
            std::fill(xi, xi + n_cand, 0.0);
            for (int n = 0; n < N; ++n) {
                const double cr = d_pre_re[n], ci = d_pre_im[n];
                const double* a = hr + n;
                const double* b = hi + n;
                for (int d = 0; d < n_cand; ++d) {
                    xr[d] += a[d] * cr - b[d] * ci;
                    xi[d] += a[d] * ci + b[d] * cr;
                }
            }
            for (int d = 0; d < n_cand; ++d)
                d_score[d] += xr[d] * xr[d] + xi[d] * xi[d];
        }
        int peak = 0;
        for (int d = 1; d < n_cand; ++d)
            if (d_score[d] > d_score[peak])
                peak = d;
        d_peak = peak;
        d_cfo0 = cfo0;
        d_wmax = wmax;
        d_stage1 = true;
    }
    const int fft0 = d_peak - d_backoff; // FFT window of the preamble body, from d0
    if (fft0 < 0) {
        d_stage1 = false;
        return outcome::none;
    }
    if (avail < static_cast<int64_t>(fft0) + static_cast<int64_t>(d_n_sym) * d_sl - d_cp)
        return outcome::wait;
    d_stage1 = false;

    // --- CFO refinements: the timed preamble body (still in d_head, coarsely
    // corrected), then the training repeats, which lie a whole symbol apart.
    double cfo = d_cfo0;
    {
        cd acc = 0.0;
        for (int n = 0; n < L; ++n)
            for (int r = 0; r < nr; ++r) {
                const size_t o = static_cast<size_t>(r) * n_head + d_peak + n;
                acc += mul_conj(cd(d_head_re[o], d_head_im[o]),
                                cd(d_head_re[o + L], d_head_im[o + L]));
            }
        cfo += std::arg(acc) / k_pi;
    }
    {
        const int64_t t0 = d0 + fft0 + d_sl; // first training FFT window
        cd acc = 0.0;
        for (int g = 0; g < d_n_train / d_reps; ++g)
            for (int rep = 0; rep + 1 < d_reps; ++rep) {
                const int64_t w0 = t0 + static_cast<int64_t>(g * d_reps + rep) * d_sl;
                for (int n = 0; n < N; ++n)
                    for (int r = 0; r < nr; ++r)
                        acc += mul_conj(sample(w0 + n, r), sample(w0 + n + d_sl, r));
            }
        acc = mul(acc, std::exp(cd(0.0, -2.0 * k_pi * cfo * d_sl / N)));
        cfo += std::arg(acc) * N / (2.0 * k_pi * d_sl);
    }

    // --- one rotation by the total CFO per FFT window (phase counted from d0, as
    // numpy does), then the FFTs of all symbols and antennas side by side
    // (transform s Nr + r, element n at n B + s Nr + r).
    const int B = d_n_sym * nr;
    phasors(-2.0 * k_pi * cfo / N, N, d_rot.data());
    for (int s = 0; s < d_n_sym; ++s) {
        const int64_t base = fft0 + static_cast<int64_t>(s) * d_sl;
        const cd rot_s =
            std::exp(cd(0.0, -2.0 * k_pi * cfo * static_cast<double>(base) / N));
        const cf* x = d_buf.data() + (d0 + base - d_buf_start) * nr;
        for (int n = 0; n < N; ++n) {
            const cd rot = mul(rot_s, d_rot[n]);
            double* fr = d_fre.data() + static_cast<size_t>(n) * B + s * nr;
            double* fi = d_fim.data() + static_cast<size_t>(n) * B + s * nr;
            for (int r = 0; r < nr; ++r) {
                const cd v = mul(cd(x[n * nr + r]), rot);
                fr[r] = v.real();
                fi[r] = v.imag();
            }
        }
    }
    d_fft.forward_batch(d_fre.data(), d_fim.data(), B);
    // d_fre, d_fim now hold every symbol's spectrum; at() finds a used carrier's value.

    estimate();
    if (!std::isfinite(d_nv) || d_nv <= 0.0)
        return outcome::none;
    track();

    // --- outputs
    const int rt = nr * nt;
    for (size_t i = 0; i < d_hest.size(); ++i) {
        d_hest_re[i] = d_hest[i].real();
        d_hest_im[i] = d_hest[i].imag();
    }
    float* hout = reinterpret_cast<float*>(f.h.data());
    for (int d = 0; d < d_n_data_sym; ++d) {
        for (int i = 0; i < rt; ++i) { // g of symbol d per entry of one H
            d_gt_re[i] = d_g[static_cast<size_t>(d) * nt + i % nt].real();
            d_gt_im[i] = d_g[static_cast<size_t>(d) * nt + i % nt].imag();
        }
        for (int k = 0; k < d_n_data; ++k) {
            const size_t re = static_cast<size_t>(d) * d_n_data + k;
            const size_t u = d_data_pos[k];
            for (int r = 0; r < nr; ++r)
                f.y[re * nr + r] = cf(value(1 + d_n_train + d, static_cast<int>(u), r));
            const double* __restrict hr = d_hest_re.data() + u * rt;
            const double* __restrict hi = d_hest_im.data() + u * rt;
            float* __restrict o = hout + 2 * re * rt;
            for (int i = 0; i < rt; ++i) {
                o[2 * i] = static_cast<float>(hr[i] * d_gt_re[i] - hi[i] * d_gt_im[i]);
                o[2 * i + 1] =
                    static_cast<float>(hr[i] * d_gt_im[i] + hi[i] * d_gt_re[i]);
            }
        }
    }
    double pw = 0.0;
    for (size_t i = 0; i < d_hest.size(); ++i) {
        f.h_est[i] = cf(d_hest[i]);
        pw += abs2(d_hest[i]);
    }
    // E|H_est|^2 = |H|^2 + sigma^2 / R' per entry (R' = R, comb: R Nt): remove that bias.
    const int reps = d_reps * (d_comb ? nt : 1);
    const double snr = std::max(pw / (static_cast<double>(d_n_used) * nr) / d_nv -
                                    static_cast<double>(nt) / reps,
                                1e-3);
    f.fft_start = d0 + fft0;
    f.start = f.fft_start + d_backoff - d_cp;
    f.cfo = cfo;
    f.noise_var = d_nv;
    f.snr_db = 10.0 * std::log10(snr);
    f.evm = evm();
    f.metric = d_wmax;
    return outcome::frame;
}

} // namespace neuralmimo
} // namespace gr
