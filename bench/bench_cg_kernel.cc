/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Throughput of cg_kernel alone (no GNU Radio), for the bench CLI:
 *
 *   bench_cg_kernel NT NR CONSTELLATION LAYERS HOLD THREADS [FORM]
 *
 * LAYERS > 0: learned steps (random, stable: alpha in [0.3, 1] / (Nr + Nt),
 * beta in [0, 0.3]); LAYERS = 0: classical CG with Nt iterations in FORM
 * ("complex" by default). A new H every HOLD items; LLR output. THREADS
 * threads each run their own kernel on their share of a pre-generated pool,
 * repeated for about a second. Prints one line:
 *
 *   detections_per_s=<float> setups_per_s=<float> detections_per_cpu_s=<float>
 *
 * detections_per_cpu_s divides by the CPU time the threads got (the same as
 * the wall-clock rate on an otherwise idle machine).
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include <algorithm>
#include <chrono>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

using gr::neuralmimo::cg_kernel;
using gr::neuralmimo::detector_inputs;
using gr::neuralmimo::detector_outputs;
using cf = std::complex<float>;

int main(int argc, char** argv)
{
    if (argc < 7) {
        std::fprintf(stderr,
                     "usage: %s NT NR CONSTELLATION LAYERS HOLD THREADS [FORM]\n",
                     argv[0]);
        return 2;
    }
    const int nt = std::atoi(argv[1]), nr = std::atoi(argv[2]);
    const std::string constellation = argv[3];
    const int layers = std::atoi(argv[4]), hold = std::atoi(argv[5]),
              threads = std::atoi(argv[6]);
    const std::string form = argc > 7 ? argv[7] : "complex";
    if (nt < 1 || nr < nt || layers < 0 || hold < 1 || threads < 1) {
        std::fprintf(stderr, "bad arguments\n");
        return 2;
    }

    std::mt19937_64 gen(11);
    std::normal_distribution<float> g(0.0f, 0.70710678f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const int n = 2 * nt;
    std::vector<float> alpha, beta;
    for (int l = 0; l < layers; ++l)
        for (int k = 0; k < n; ++k) {
            alpha.push_back((0.3f + 0.7f * u(gen)) / static_cast<float>(nr + nt));
            beta.push_back(0.3f * u(gen));
        }
    cg_kernel proto(nt, nr, constellation, layers > 0 ? layers : nt, alpha, beta, form);

    // A pool of about 4 MB of H (at least 2 channels and 1024 items per thread).
    const size_t hsize = static_cast<size_t>(nr) * nt;
    const size_t want = std::max<size_t>((size_t(4) << 20) / (hsize * sizeof(cf)),
                                         size_t(1024) * threads);
    const size_t channels = std::max<size_t>(2 * threads, (want + hold - 1) / hold);
    const size_t items = channels * hold;
    std::vector<cf> h(items * hsize), y(items * nr);
    std::vector<float> nv(items, 0.1f * nt);
    for (size_t c = 0; c < channels; ++c) {
        std::vector<cf> hc(hsize);
        for (auto& v : hc)
            v = cf(g(gen), g(gen));
        for (int i = 0; i < hold; ++i)
            std::copy(hc.begin(), hc.end(), h.begin() + (c * hold + i) * hsize);
    }
    for (auto& v : y)
        v = cf(2.0f * g(gen), 2.0f * g(gen));
    const int kb = proto.bits_per_symbol();

    std::vector<double> rates(threads, 0.0), setups(threads, 0.0), cpu_rates(threads, 0.0);
    auto cpu_now = [] {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec + 1e-9 * ts.tv_nsec;
    };
    auto run = [&](int w) {
        cg_kernel k(proto);
        std::vector<float> llr(items * nt * kb);
        const size_t begin = items * w / threads, end = items * (w + 1) / threads;
        const detector_inputs in{ y.data(), h.data(), nv.data() };
        detector_outputs out;
        out.llr = llr.data();
        auto pass = [&] {
            k.detect_items(static_cast<int>(end - begin),
                           in.from_item(begin, nt, nr),
                           out.from_item(begin, nt, kb));
        };
        pass();
        const uint64_t f0 = k.factorizations();
        size_t done = 0;
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_now();
        double dt = 0.0;
        do {
            pass();
            done += end - begin;
            dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (dt < 1.0);
        rates[w] = done / dt;
        cpu_rates[w] = done / (cpu_now() - c0);
        setups[w] = (k.factorizations() - f0) / dt;
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < threads; ++w)
        pool.emplace_back(run, w);
    run(0);
    for (auto& t : pool)
        t.join();
    double total = 0.0, total_setups = 0.0, total_cpu = 0.0;
    for (int w = 0; w < threads; ++w) {
        total += rates[w];
        total_setups += setups[w];
        total_cpu += cpu_rates[w];
    }
    std::printf("detections_per_s=%.1f setups_per_s=%.1f detections_per_cpu_s=%.1f\n",
                total,
                total_setups,
                total_cpu);
    return 0;
}
