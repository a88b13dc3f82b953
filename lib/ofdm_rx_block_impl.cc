/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_rx_block_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cstring>

namespace gr {
namespace neuralmimo {

namespace {

// Input slice per append(): the kernel's buffer stays a few frames long.
constexpr int64_t k_slice = 8192;
// Pending frames the queue holds before it grows.
constexpr size_t k_queue_slots = 4;
// Frames each output buffer holds.
constexpr int k_buffer_frames = 8;

} // namespace

ofdm_rx_block::sptr ofdm_rx_block::make(const ofdm_frame_spec& spec,
                                        const ofdm_rx_params& params)
{
    // The kernel checks spec and params (std::invalid_argument) before the
    // block's signatures are built from them.
    return gnuradio::make_block_sptr<ofdm_rx_block_impl>(
        std::make_unique<ofdm_rx_kernel>(spec, params));
}

ofdm_rx_block_impl::ofdm_rx_block_impl(std::unique_ptr<ofdm_rx_kernel> kernel)
    : gr::block("ofdm_rx",
                gr::io_signature::make(1, 1, sizeof(gr_complex) * kernel->spec().nr),
                gr::io_signature::make3(3,
                                        3,
                                        sizeof(gr_complex) * kernel->spec().nr,
                                        sizeof(gr_complex) * kernel->spec().nr *
                                            kernel->spec().nt,
                                        sizeof(float))),
      d_kernel(std::move(kernel)),
      d_nt(d_kernel->spec().nt),
      d_nr(d_kernel->spec().nr),
      d_n_re(d_kernel->n_re()),
      d_frame_len(d_kernel->spec().frame_len),
      d_max_backlog(d_kernel->params().max_backlog),
      d_key_h(pmt::intern("chan_est")),
      d_key_info(pmt::intern("frame_info")),
      d_k_start(pmt::intern("start")),
      d_k_fft_start(pmt::intern("fft_start")),
      d_k_cfo(pmt::intern("cfo")),
      d_k_nv(pmt::intern("noise_var")),
      d_k_snr(pmt::intern("snr_db")),
      d_k_evm(pmt::intern("evm")),
      d_k_metric(pmt::intern("metric"))
{
    // Output buffers of k_buffer_frames frames: one work() call hands on every frame an input
    // slice completes, and the detector and checker downstream then get several frames per call
    // (1.2-1.3x through ofdm_rx -> cpp:lmmse -> frame_checker at 2x2 against 2 frames: results.md).
    for (int port = 0; port < 3; ++port)
        set_min_output_buffer(port, k_buffer_frames * d_n_re);
    set_tag_propagation_policy(TPP_DONT);

    d_queue.resize(k_queue_slots);
    const size_t n_he = static_cast<size_t>(d_kernel->n_used()) * d_nr * d_nt;
    for (auto& f : d_queue) {
        f.h_est.reserve(n_he);
        f.y.reserve(static_cast<size_t>(d_n_re) * d_nr);
        f.h.reserve(static_cast<size_t>(d_n_re) * d_nr * d_nt);
    }
    d_logger->info("C++ receiver, {:d}x{:d}, {:d} REs per frame", d_nt, d_nr, d_n_re);
}

void ofdm_rx_block_impl::forecast(int, gr_vector_int& ninput_items_required)
{
    // Frames already demodulated can be written without any new input.
    ninput_items_required[0] = d_count ? 0 : 1;
}

void ofdm_rx_block_impl::enqueue(const ofdm_rx_frame& f)
{
    if (d_count == d_queue.size()) {
        // Full: put the oldest first, then add a slot at the end (moves, no copies).
        std::rotate(d_queue.begin(), d_queue.begin() + d_head, d_queue.end());
        d_head = 0;
        d_queue.emplace_back();
    }
    d_queue[(d_head + d_count) % d_queue.size()] = f; // reuses the vectors' memory
    ++d_count;
    ++d_frames_found;
}

void ofdm_rx_block_impl::add_tags(const ofdm_rx_frame& f, uint64_t offset)
{
    const pmt::pmt_t src = alias_pmt();
    add_item_tag(1, offset, d_key_h, pmt::init_c32vector(f.h_est.size(), f.h_est), src);
    // In the order of RxFrame.info() (pmt.to_pmt of that dict gives the same pmt).
    pmt::pmt_t info = pmt::make_dict();
    info = pmt::dict_add(info, d_k_start, pmt::from_long(f.start));
    info = pmt::dict_add(info, d_k_fft_start, pmt::from_long(f.fft_start));
    info = pmt::dict_add(info, d_k_cfo, pmt::from_double(f.cfo));
    info = pmt::dict_add(info, d_k_nv, pmt::from_double(f.noise_var));
    info = pmt::dict_add(info, d_k_snr, pmt::from_double(f.snr_db));
    info = pmt::dict_add(info, d_k_evm, pmt::from_double(f.evm));
    info = pmt::dict_add(info, d_k_metric, pmt::from_double(f.metric));
    add_item_tag(0, offset, d_key_info, info, src);
}

int ofdm_rx_block_impl::general_work(int noutput_items,
                                     gr_vector_int& ninput_items,
                                     gr_vector_const_void_star& input_items,
                                     gr_vector_void_star& output_items)
{
    const gr_complex* in = static_cast<const gr_complex*>(input_items[0]);
    int64_t n_in = ninput_items[0];

    if (d_max_backlog > 0 && n_in > d_max_backlog) {
        // Behind real time: keep the newest two frames' worth, drop the rest unprocessed.
        const int64_t drop = n_in - 2 * d_frame_len;
        d_kernel->skip(drop);
        consume(0, static_cast<int>(drop));
        d_samples_skipped += static_cast<uint64_t>(drop);
        in += drop * d_nr;
        n_in -= drop;
    }
    if (n_in > 0) {
        for (int64_t off = 0; off < n_in; off += k_slice) {
            d_kernel->append(in + off * d_nr, std::min(k_slice, n_in - off));
            while (const ofdm_rx_frame* f = d_kernel->next())
                enqueue(*f);
        }
        consume(0, static_cast<int>(n_in));
    }

    gr_complex* y_out = static_cast<gr_complex*>(output_items[0]);
    gr_complex* h_out = static_cast<gr_complex*>(output_items[1]);
    float* nv_out = static_cast<float*>(output_items[2]);
    const size_t y_len = d_nr, h_len = static_cast<size_t>(d_nr) * d_nt;
    int written = 0;
    while (d_count && written < noutput_items) {
        const ofdm_rx_frame& f = d_queue[d_head];
        if (d_done == 0)
            add_tags(f, nitems_written(0) + written);
        const int n = std::min(noutput_items - written, d_n_re - d_done);
        std::memcpy(y_out + written * y_len,
                    f.y.data() + d_done * y_len,
                    n * y_len * sizeof(gr_complex));
        std::memcpy(h_out + written * h_len,
                    f.h.data() + d_done * h_len,
                    n * h_len * sizeof(gr_complex));
        std::fill_n(nv_out + written, n, static_cast<float>(f.noise_var));
        written += n;
        d_done += n;
        if (d_done == d_n_re) {
            d_done = 0;
            d_head = (d_head + 1) % d_queue.size();
            --d_count;
        }
    }
    return written;
}

} // namespace neuralmimo
} // namespace gr
