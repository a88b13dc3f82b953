/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_fft.h"
#include "ofdm_rx_math.h"
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gr {
namespace neuralmimo {

using namespace ofdm_math;

radix2_fft::radix2_fft(int n) : d_n(n)
{
    if (!power_of_two(n))
        throw std::invalid_argument(
            "radix2_fft: fft_len must be a power of two >= 2, got " + std::to_string(n));
    d_scale = 1.0 / std::sqrt(static_cast<double>(n));
    int bits = 0;
    while ((1 << bits) < n)
        ++bits;
    d_rev.resize(n);
    for (int i = 0; i < n; ++i) {
        int r = 0;
        for (int b = 0; b < bits; ++b)
            r |= ((i >> b) & 1) << (bits - 1 - b);
        d_rev[i] = r;
    }
    d_tw.resize(n / 2);
    for (int k = 0; k < n / 2; ++k)
        d_tw[k] = std::polar(1.0, -2.0 * k_pi * k / n);
}

void radix2_fft::transform(std::complex<double>* x, bool inverse) const
{
    const int n = d_n;
    for (int i = 0; i < n; ++i) {
        const int j = d_rev[i];
        if (i < j)
            std::swap(x[i], x[j]);
    }
    // Decimation in time: butterflies of span len, twiddle exp(-+2 pi i j / len)
    // = d_tw[j * n / len].
    for (int len = 2; len <= n; len <<= 1) {
        const int half = len / 2;
        const int step = n / len;
        for (int i = 0; i < n; i += len) {
            for (int j = 0; j < half; ++j) {
                cd w = d_tw[j * step];
                if (inverse)
                    w = std::conj(w);
                const cd u = x[i + j];
                const cd v = mul(x[i + j + half], w);
                x[i + j] = u + v;
                x[i + j + half] = u - v;
            }
        }
    }
    for (int i = 0; i < n; ++i)
        x[i] *= d_scale;
}

void radix2_fft::forward_batch(double* re, double* im, int batch) const
{
    const int n = d_n;
    for (int i = 0; i < n; ++i) {
        const int j = d_rev[i];
        if (i < j) {
            std::swap_ranges(re + static_cast<size_t>(i) * batch,
                             re + static_cast<size_t>(i + 1) * batch,
                             re + static_cast<size_t>(j) * batch);
            std::swap_ranges(im + static_cast<size_t>(i) * batch,
                             im + static_cast<size_t>(i + 1) * batch,
                             im + static_cast<size_t>(j) * batch);
        }
    }
    // The butterflies of transform(), each applied to a whole row of transforms:
    // the loop over b runs over contiguous memory and vectorises.
    for (int len = 2; len <= n; len <<= 1) {
        const int half = len / 2;
        const int step = n / len;
        for (int i = 0; i < n; i += len) {
            for (int j = 0; j < half; ++j) {
                const double wr = d_tw[j * step].real(), wi = d_tw[j * step].imag();
                double* __restrict ar = re + static_cast<size_t>(i + j) * batch;
                double* __restrict ai = im + static_cast<size_t>(i + j) * batch;
                double* __restrict br = re + static_cast<size_t>(i + j + half) * batch;
                double* __restrict bi = im + static_cast<size_t>(i + j + half) * batch;
                for (int b = 0; b < batch; ++b) {
                    const double vr = br[b] * wr - bi[b] * wi;
                    const double vi = br[b] * wi + bi[b] * wr;
                    const double ur = ar[b], ui = ai[b];
                    ar[b] = ur + vr;
                    ai[b] = ui + vi;
                    br[b] = ur - vr;
                    bi[b] = ui - vi;
                }
            }
        }
    }
    const size_t total = static_cast<size_t>(n) * batch;
    for (size_t i = 0; i < total; ++i) {
        re[i] *= d_scale;
        im[i] *= d_scale;
    }
}

} // namespace neuralmimo
} // namespace gr
