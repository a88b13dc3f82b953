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

/*
 * Checks the block's own arguments and returns the output kind. Called from
 * the signature helpers, i.e. before the base class is built, so a bad
 * argument gives its own message instead of an io_signature error. The
 * algorithm parameters (iterations, steps, form) are checked by cg_kernel.
 */
output_kind check_args(int nt,
                       int nr,
                       const std::string& constellation,
                       const std::string& output,
                       int threads)
{
    check_dimensions("cg_detector", nt, nr, constellation, true);
    if (threads < 1 || threads > k_max_threads)
        throw std::invalid_argument("cg_detector: threads = " + std::to_string(threads) +
                                    " must be in 1.." + std::to_string(k_max_threads));
    return parse_output("cg_detector", output);
}

gr::io_signature::sptr make_input_signature(int nt,
                                            int nr,
                                            const std::string& constellation,
                                            const std::string& output,
                                            int threads)
{
    check_args(nt, nr, constellation, output, threads);
    return detector_input_signature(nt, nr);
}

gr::io_signature::sptr make_output_signature(int nt,
                                             int nr,
                                             const std::string& constellation,
                                             const std::string& output,
                                             int threads)
{
    return detector_output_signature(
        check_args(nt, nr, constellation, output, threads), nt, constellation);
}

// The kernel's configuration errors, under the block's name.
std::unique_ptr<cg_kernel> make_kernel(int nt,
                                       int nr,
                                       const std::string& constellation,
                                       int iterations,
                                       const std::vector<float>& alpha,
                                       const std::vector<float>& beta,
                                       const std::string& form)
{
    try {
        return std::make_unique<cg_kernel>(nt, nr, constellation, iterations, alpha, beta, form);
    } catch (const std::invalid_argument& e) {
        const std::string prefix = "cg_kernel: ";
        std::string msg = e.what();
        if (msg.compare(0, prefix.size(), prefix) == 0)
            msg = msg.substr(prefix.size());
        throw std::invalid_argument("cg_detector: " + msg);
    }
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
    return gnuradio::make_block_sptr<cg_detector_impl>(
        nt, nr, constellation, output, iterations, alpha, beta, form, threads);
}

cg_detector_impl::cg_detector_impl(int nt,
                                   int nr,
                                   const std::string& constellation,
                                   const std::string& output,
                                   int iterations,
                                   const std::vector<float>& alpha,
                                   const std::vector<float>& beta,
                                   const std::string& form,
                                   int threads)
    : gr::sync_block("cg_detector",
                     // Both helpers validate the block arguments first,
                     // whatever order the compiler evaluates them in.
                     make_input_signature(nt, nr, constellation, output, threads),
                     make_output_signature(nt, nr, constellation, output, threads)),
      d_nt(nt),
      d_nr(nr),
      d_output(check_args(nt, nr, constellation, output, threads)),
      d_threads(threads)
{
    d_kernels.push_back(make_kernel(nt, nr, constellation, iterations, alpha, beta, form));
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
    chunk_result& res = d_results[worker];
    res = chunk_result();
    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    const size_t o = static_cast<size_t>(begin) * d_out_stride;
    gr_complex* out_c = static_cast<gr_complex*>(d_out) + o;
    // The kernel refreshes its channel only when H or noise_var change
    // (bitwise compare), and erases the outputs of invalid items.
    res.invalid = d_kernels[worker]->detect_items(
        end - begin,
        d_in_y + static_cast<size_t>(begin) * d_nr,
        d_in_h + static_cast<size_t>(begin) * hsize,
        d_in_nv + begin,
        d_output == output_kind::estimate ? out_c : nullptr,
        d_output == output_kind::symbols ? out_c : nullptr,
        d_output == output_kind::llr ? static_cast<float*>(d_out) + o : nullptr,
        d_output == output_kind::bits ? static_cast<uint8_t*>(d_out) + o : nullptr,
        &res.first_bad,
        &res.first_status);
    if (res.first_bad >= 0)
        res.first_bad += begin;
}

int cg_detector_impl::work(int noutput_items,
                           gr_vector_const_void_star& input_items,
                           gr_vector_void_star& output_items)
{
    d_in_y = static_cast<const gr_complex*>(input_items[0]);
    d_in_h = static_cast<const gr_complex*>(input_items[1]);
    d_in_nv = static_cast<const float*>(input_items[2]);
    d_out = output_items[0];
    d_out_stride = (d_output == output_kind::llr || d_output == output_kind::bits)
                       ? static_cast<size_t>(d_nt) * d_kernels[0]->bits_per_symbol()
                       : static_cast<size_t>(d_nt);

    const int chunks =
        std::max(1, std::min(d_threads, noutput_items / min_items_per_thread(d_nt, d_nr)));
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

    uint64_t invalid = 0;
    for (int c = 0; c < chunks; ++c) {
        const chunk_result& res = d_results[c];
        invalid += res.invalid;
        if (res.first_bad >= 0 && !d_warned) {
            // Log the first problem only.
            d_warned = true;
            d_logger->warn("{} at item {}; outputs erased (logged once, "
                           "invalid_items() counts them)",
                           cg_kernel::describe(res.first_status),
                           nitems_read(0) + res.first_bad);
        }
    }
    if (invalid)
        d_invalid.fetch_add(invalid, std::memory_order_relaxed);
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
