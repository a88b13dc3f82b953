/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Throughput of softbit_quant alone (no GNU Radio), one thread, for the
 * bench CLI (`python -m neuralmimo.cli.bench softbit`):
 *
 *   bench_softbit [N] [MIN_TIME]
 *
 * A pool of 2^20 LLR-like values (Gaussian, sigma 4; N per vector, 48 by
 * default) is quantised and dequantised repeatedly for about MIN_TIME
 * seconds (0.3 by default) per case, best of three. Uniform mode: clip 8;
 * codebook mode: one row per position of unevenly spaced levels (denser in
 * the middle, as a k-means codebook of LLRs). One line per case:
 *
 *   mode=<uniform|codebook> bits=<b> quantize_values_per_s=<f> dequantize_values_per_s=<f>
 */

#include <gnuradio/neuralmimo/softbit_quant.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using gr::neuralmimo::softbit_counts;
using gr::neuralmimo::softbit_quant;

namespace {

template <class F>
double best_rate(F&& fn, double values, double min_time)
{
    using clock = std::chrono::steady_clock;
    fn(); // warm-up: caches, page faults
    double best = 0.0;
    for (int rep = 0; rep < 3; ++rep) {
        const auto t0 = clock::now();
        long calls = 0;
        double dt = 0.0;
        do {
            fn();
            ++calls;
            dt = std::chrono::duration<double>(clock::now() - t0).count();
        } while (dt < min_time / 3);
        best = std::max(best, calls * values / dt);
    }
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    const int n = argc > 1 ? std::atoi(argv[1]) : 48;
    const double min_time = argc > 2 ? std::atof(argv[2]) : 0.3;
    if (n < 1 || min_time <= 0) {
        std::fprintf(stderr, "usage: %s [N] [MIN_TIME]\n", argv[0]);
        return 2;
    }
    const int count = std::max(1, (1 << 20) / n);
    std::mt19937 gen(3);
    std::normal_distribution<float> g(0.0f, 4.0f);
    std::vector<float> x(static_cast<size_t>(count) * n), y(x.size());
    for (auto& v : x)
        v = g(gen);
    for (const char* mode : { "uniform", "codebook" }) {
        for (int bits : { 3, 4, 6, 8 }) {
            const int L = 1 << bits;
            std::vector<float> t, lv;
            if (std::string(mode) == "codebook") {
                for (int j = 0; j < n; ++j) {
                    std::vector<float> row(L);
                    for (int k = 0; k < L; ++k) {
                        const double u = (2.0 * k + 1) / L - 1; // (-1, 1)
                        row[k] = static_cast<float>(10.0 * u * std::fabs(u) + 0.01 * j);
                    }
                    lv.insert(lv.end(), row.begin(), row.end());
                    for (int k = 0; k + 1 < L; ++k)
                        t.push_back(0.5f * (row[k] + row[k + 1]));
                }
            }
            softbit_quant q(n, bits, mode, 8.0f, t, lv);
            std::vector<uint8_t> bytes(static_cast<size_t>(count) * q.bytes_per_vector());
            softbit_counts c;
            const double values = static_cast<double>(x.size());
            const double rq =
                best_rate([&] { q.quantize(x.data(), count, bytes.data(), c); }, values, min_time);
            const double rd =
                best_rate([&] { q.dequantize(bytes.data(), count, y.data()); }, values, min_time);
            std::printf("mode=%s bits=%d quantize_values_per_s=%.0f dequantize_values_per_s=%.0f\n",
                        mode, bits, rq, rd);
        }
    }
    return 0;
}
