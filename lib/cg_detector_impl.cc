/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "cg_detector_impl.h"
#include "detector_ports.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

constexpr int k_max_threads = 64;

/*
 * Fewer items than this per thread are not worth waking a worker for (tens
 * of microseconds): about 16384 / (Nr Nt) items, i.e. some 50 us of work
 * (1024 items for 4x4, 16 for 32x64), and at least 16.
 */
int min_items_per_thread(int nt, int nr)
{
    return std::max(16, static_cast<int>(16384 / (static_cast<int64_t>(nt) * nr)));
}

// threads in 1..k_max_threads.
void check_threads(int threads)
{
    if (threads < 1 || threads > k_max_threads)
        throw std::invalid_argument("cg_detector: threads = " + std::to_string(threads) +
                                    " must be in 1.." + std::to_string(k_max_threads));
}

} // namespace

cg_detector::sptr cg_detector::make(int nt,
                                    int nr,
                                    const std::string& constellation,
                                    const std::string& output,
                                    int iterations,
                                    const std::vector<float>& alpha,
                                    const std::vector<float>& beta,
                                    const std::string& form,
                                    int threads)
{
    // The block's own arguments are checked before the block is built, so a
    // bad one gets its own message instead of an io_signature error; the
    // algorithm parameters (iterations, steps, form) are checked by cg_kernel.
    check_block_dimensions("cg_detector", nt, nr, constellation, true);
    check_threads(threads);
    const detector_config cfg(nt, nr, constellation, parse_output("cg_detector", output));
    return gnuradio::make_block_sptr<cg_detector_impl>(
        cfg, iterations, alpha, beta, form, threads);
}

cg_detector_impl::cg_detector_impl(const detector_config& cfg,
                                   int iterations,
                                   const std::vector<float>& alpha,
                                   const std::vector<float>& beta,
                                   const std::string& form,
                                   int threads)
    : gr::sync_block(
          "cg_detector", detector_input_signature(cfg), detector_output_signature(cfg)),
      d_cfg(cfg),
      d_threads(threads)
{
    d_kernels.push_back(make_kernel_as("cg_detector", "cg_kernel", [&] {
        return std::make_unique<cg_kernel>(
            cfg.nt, cfg.nr, cfg.constellation, iterations, alpha, beta, form);
    }));
    for (int i = 1; i < threads; ++i)
        d_kernels.push_back(std::make_unique<cg_kernel>(*d_kernels[0]));
    d_results.resize(threads);
    d_begin.assign(threads, 0);
    d_end.assign(threads, 0);
    for (int i = 1; i < threads; ++i)
        d_workers.emplace_back(&cg_detector_impl::worker_loop, this, i);
}

cg_detector_impl::~cg_detector_impl()
{
    {
        std::lock_guard<std::mutex> lock(d_mutex);
        d_stop = true;
    }
    d_cv_start.notify_all();
    for (auto& t : d_workers)
        t.join();
}

void cg_detector_impl::worker_loop(int worker)
{
    uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(d_mutex);
            d_cv_start.wait(lock, [&] { return d_stop || d_generation != seen; });
            if (d_stop)
                return;
            seen = d_generation;
            if (worker >= d_active)
                continue;
        }
        run_chunk(worker, d_begin[worker], d_end[worker]);
        {
            std::lock_guard<std::mutex> lock(d_mutex);
            if (--d_pending == 0)
                d_cv_done.notify_one();
        }
    }
}

void cg_detector_impl::run_chunk(int worker, int begin, int end)
{
    const size_t b = static_cast<size_t>(begin);
    // The kernel refreshes its channel only when H or noise_var change
    // (bitwise compare), and erases the outputs of invalid items.
    item_failures& res = d_results[worker];
    res = d_kernels[worker]->detect_items(
        end - begin, d_in.from_item(b, d_cfg.nt, d_cfg.nr), d_cfg.outputs(d_out, b));
    if (res.first >= 0)
        res.first += begin;
}

int cg_detector_impl::work(int noutput_items,
                           gr_vector_const_void_star& input_items,
                           gr_vector_void_star& output_items)
{
    d_in = d_cfg.inputs(input_items);
    d_out = output_items[0];

    const int chunks =
        std::max(1, std::min(d_threads, noutput_items / min_items_per_thread(d_cfg.nt, d_cfg.nr)));
    if (chunks == 1) {
        run_chunk(0, 0, noutput_items);
    } else {
        // Contiguous chunks; each thread's kernel keeps its own channel cache.
        for (int c = 0; c < chunks; ++c) {
            d_begin[c] = static_cast<int>(static_cast<int64_t>(noutput_items) * c / chunks);
            d_end[c] = static_cast<int>(static_cast<int64_t>(noutput_items) * (c + 1) / chunks);
        }
        {
            std::lock_guard<std::mutex> lock(d_mutex);
            d_active = chunks;
            d_pending = chunks - 1;
            ++d_generation;
        }
        d_cv_start.notify_all();
        run_chunk(0, d_begin[0], d_end[0]);
        std::unique_lock<std::mutex> lock(d_mutex);
        d_cv_done.wait(lock, [&] { return d_pending == 0; });
    }

    // In item order, so the first problem logged is the first of the call.
    for (int c = 0; c < chunks; ++c)
        d_invalid.add(d_results[c], nitems_read(0), cg_kernel::describe, d_logger);
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
