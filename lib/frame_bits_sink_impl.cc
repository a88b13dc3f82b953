/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "frame_bits_sink_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <array>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
        uint32_t c = n;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[n] = c;
    }
    return t;
}

// The CRC-32 register after n more bytes (no initial or final inversion).
uint32_t crc32_register(uint32_t c, const uint8_t* data, size_t n)
{
    static const std::array<uint32_t, 256> table = make_crc_table();
    for (size_t i = 0; i < n; ++i)
        c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return c;
}

// Eight values' bits, MSB first: LLR > 0 (NaN gives 0), or a byte's lowest bit.
inline uint8_t pack8(const float* v)
{
    unsigned b = 0;
    for (int j = 0; j < 8; ++j)
        b = (b << 1) | static_cast<unsigned>(v[j] > 0.0f);
    return static_cast<uint8_t>(b);
}

inline uint8_t pack8(const uint8_t* v)
{
    unsigned b = 0;
    for (int j = 0; j < 8; ++j)
        b = (b << 1) | (v[j] & 1u);
    return static_cast<uint8_t>(b);
}

} // namespace

bool frame_crc_ok(const uint8_t* packed, int64_t nbits)
{
    const int64_t body = nbits - 32;
    const size_t full = static_cast<size_t>(body / 8);
    const int rest = static_cast<int>(body % 8);
    uint32_t reg = crc32_register(0xFFFFFFFFu, packed, full);
    if (rest) { // the body's last bits, zero-padded to a byte, as numpy.packbits
        const uint8_t last = packed[full] & static_cast<uint8_t>(0xFF << (8 - rest));
        reg = crc32_register(reg, &last, 1);
    }
    const uint32_t crc = ~reg;
    uint32_t got = 0;
    for (int64_t b = body; b < nbits; ++b)
        got = (got << 1) | ((packed[b >> 3] >> (7 - (b & 7))) & 1u);
    return got == crc;
}

frame_bits_sink::sptr frame_bits_sink::make(int width, int frame_items, bool soft)
{
    if (width < 1)
        throw std::invalid_argument("frame_bits_sink: width = " + std::to_string(width) +
                                    " must be >= 1");
    if (frame_items < 1)
        throw std::invalid_argument("frame_bits_sink: frame_items = " +
                                    std::to_string(frame_items) + " must be >= 1");
    if (static_cast<int64_t>(width) * frame_items <= 32)
        throw std::invalid_argument("frame_bits_sink: width * frame_items = " +
                                    std::to_string(static_cast<int64_t>(width) * frame_items) +
                                    " bits must be more than the 32 of the CRC");
    return gnuradio::make_block_sptr<frame_bits_sink_impl>(width, frame_items, soft);
}

frame_bits_sink_impl::frame_bits_sink_impl(int width, int frame_items, bool soft)
    : gr::sync_block("frame_bits_sink",
                     gr::io_signature::make(1, 1, (soft ? sizeof(float) : sizeof(uint8_t)) * width),
                     gr::io_signature::make(0, 0, 0)),
      d_width(width),
      d_frame_items(frame_items),
      d_soft(soft),
      d_bits(static_cast<int64_t>(width) * frame_items),
      d_bytes(static_cast<int>((d_bits + 7) / 8)),
      d_key(pmt::intern("frame_info")),
      d_frame(d_bytes, 0)
{
}

frame_bits_batch frame_bits_sink_impl::take()
{
    frame_bits_batch out;
    std::lock_guard<std::mutex> lock(d_mutex);
    std::swap(out, d_done);
    return out;
}

void frame_bits_sink_impl::set_stop_callback(std::function<void()> callback)
{
    d_on_stop = std::move(callback);
}

bool frame_bits_sink_impl::stop()
{
    if (d_on_stop)
        d_on_stop();
    return true;
}

void frame_bits_sink_impl::finish_frame()
{
    const bool ok = frame_crc_ok(d_frame.data(), d_bits);
    {
        std::lock_guard<std::mutex> lock(d_mutex);
        d_done.crc_ok.push_back(ok ? 1 : 0);
        d_done.packed.insert(d_done.packed.end(), d_frame.begin(), d_frame.end());
        d_done.info.push_back(std::move(d_info));
    }
    d_info.clear();
    std::fill(d_frame.begin(), d_frame.end(), uint8_t(0));
    d_fill = 0;
    ++d_frames;
}

int frame_bits_sink_impl::work(int noutput_items,
                               gr_vector_const_void_star& input_items,
                               gr_vector_void_star&)
{
    const float* llr = static_cast<const float*>(input_items[0]);
    const uint8_t* hard = static_cast<const uint8_t*>(input_items[0]);
    const uint64_t base = nitems_read(0);
    std::vector<gr::tag_t> tags;
    for (int i = 0; i < noutput_items; ++i) {
        if (d_fill == 0) {
            get_tags_in_range(tags, 0, base + i, base + i + 1, d_key);
            if (!tags.empty())
                d_info = pmt::serialize_str(tags.front().value);
        }
        // The item's bits at bit offset fill * width of the frame, MSB first: whole bytes
        // when the item starts on one and fills whole bytes (width a multiple of 8), else bit
        // by bit.
        int64_t pos = static_cast<int64_t>(d_fill) * d_width;
        const size_t off = static_cast<size_t>(i) * d_width;
        if (d_width % 8 == 0) {
            uint8_t* dst = d_frame.data() + (pos >> 3);
            for (int k = 0; k < d_width; k += 8)
                dst[k >> 3] = d_soft ? pack8(llr + off + k) : pack8(hard + off + k);
        } else {
            for (int k = 0; k < d_width; ++k, ++pos) {
                const bool bit = d_soft ? llr[off + k] > 0.0f : (hard[off + k] & 1) != 0;
                d_frame[pos >> 3] |= static_cast<uint8_t>(bit) << (7 - (pos & 7));
            }
        }
        if (++d_fill == d_frame_items)
            finish_frame();
    }
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
