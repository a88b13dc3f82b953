/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_FRAME_BITS_SINK_IMPL_H
#define INCLUDED_NEURALMIMO_FRAME_BITS_SINK_IMPL_H

#include <gnuradio/neuralmimo/frame_bits_sink.h>
#include <pmt/pmt.h>
#include <atomic>
#include <mutex>

namespace gr {
namespace neuralmimo {

class frame_bits_sink_impl : public frame_bits_sink
{
public:
    frame_bits_sink_impl(int width, int frame_items, bool soft);

    frame_bits_batch take() override;
    uint64_t frames() const override { return d_frames.load(); }
    int bytes_per_frame() const override { return d_bytes; }
    void set_stop_callback(std::function<void()> callback) override;
    bool stop() override;

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    void finish_frame();

    const int d_width, d_frame_items;
    const bool d_soft;
    const int64_t d_bits; // width * frame_items
    const int d_bytes;
    const pmt::pmt_t d_key;
    std::vector<uint8_t> d_frame; // the frame being filled, packed
    int d_fill = 0;               // its items so far
    std::string d_info;           // its frame_info tag, serialised
    frame_bits_batch d_done;      // completed, not yet taken (under d_mutex)
    std::mutex d_mutex;
    std::function<void()> d_on_stop;
    std::atomic<uint64_t> d_frames{ 0 };
};

//! True when the last 32 of the nbits bits packed MSB first in \p packed are
//! the CRC-32 (zlib's) of the bytes of the bits before them (the last byte zero-padded).
bool frame_crc_ok(const uint8_t* packed, int64_t nbits);

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_FRAME_BITS_SINK_IMPL_H */
