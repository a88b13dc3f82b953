/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_IMPL_H
#define INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_IMPL_H

#include <gnuradio/neuralmimo/ofdm_rx_block.h>
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <pmt/pmt.h>
#include <atomic>
#include <memory>
#include <vector>

namespace gr {
namespace neuralmimo {

class ofdm_rx_block_impl : public ofdm_rx_block
{
public:
    explicit ofdm_rx_block_impl(std::unique_ptr<ofdm_rx_kernel> kernel);

    uint64_t frames_found() const override { return d_frames_found.load(); }
    uint64_t samples_skipped() const override { return d_samples_skipped.load(); }

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;

    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

private:
    //! Appends a copy of f to the pending frames (reusing a slot's memory).
    void enqueue(const ofdm_rx_frame& f);
    void add_tags(const ofdm_rx_frame& f, uint64_t offset);

    std::unique_ptr<ofdm_rx_kernel> d_kernel;
    const int d_nt, d_nr, d_n_re;
    const int64_t d_frame_len, d_max_backlog;

    // Frames not yet (fully) written, in order: d_queue[d_head ... d_head + d_count)
    // modulo its size; d_done items of the first one are written.
    std::vector<ofdm_rx_frame> d_queue;
    size_t d_head = 0, d_count = 0;
    int d_done = 0;

    std::atomic<uint64_t> d_frames_found{ 0 };
    std::atomic<uint64_t> d_samples_skipped{ 0 };

    const pmt::pmt_t d_key_h, d_key_info;
    const pmt::pmt_t d_k_start, d_k_fft_start, d_k_cfo, d_k_nv, d_k_snr, d_k_evm,
        d_k_metric;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_IMPL_H */
