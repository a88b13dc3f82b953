/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_FRAME_BITS_SINK_H
#define INCLUDED_NEURALMIMO_FRAME_BITS_SINK_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

//! The frames a frame_bits_sink completed since the last take().
struct frame_bits_batch {
    //! 1 where the frame's last 32 bits are the CRC-32 of the bits before them: uint8[F]
    std::vector<uint8_t> crc_ok;
    //! each frame's hard bits packed MSB first (numpy.packbits): uint8[F * bytes_per_frame]
    std::vector<uint8_t> packed;
    //! each frame's "frame_info" tag value, pmt-serialised ("" without one): F strings
    std::vector<std::string> info;
};

/*!
 * \brief The streaming half of the OFDM frame checker (C++): per frame of
 *        frame_items items, the hard bits, their CRC-32 and the frame_info tag.
 * \ingroup neuralmimo
 *
 * In: float[width] LLRs (bit = LLR > 0, NaN gives 0) or, with soft = false,
 * byte[width] bits (bit = byte & 1); frames are frame_items consecutive items
 * from the first. For every whole frame the bits are packed MSB first, the
 * last 32 are compared with the CRC-32 (zlib's polynomial, as
 * neuralmimo.phy.ofdm_bits.crc32_bits) of the bytes of the bits before them
 * (zero-padded to a whole byte), and the value of the "frame_info" tag at the
 * frame's first item is kept serialised. take() hands the frames done so far
 * to the frame_checker block, whose FrameChecker (Python) numbers and counts
 * them; its stop callback runs when the flowgraph stops. An incomplete frame
 * at the end of a stream is not a frame. Thread-safe: take() may run while
 * work() does.
 */
class NEURALMIMO_API frame_bits_sink : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<frame_bits_sink> sptr;

    /*!
     * \param width values per item (Nt * K), >= 1
     * \param frame_items items per frame (the OFDM config's n_re), >= 1, with
     *        width * frame_items > 32 (a frame holds its CRC)
     * \param soft true: float LLRs in; false: bytes of bits in
     * \throws std::invalid_argument naming the parameter and the value
     */
    static sptr make(int width, int frame_items, bool soft);

    //! The frames completed since the last call (and forgets them).
    virtual frame_bits_batch take() = 0;
    //! Frames completed so far, taken or not.
    virtual uint64_t frames() const = 0;
    //! ceil(width * frame_items / 8).
    virtual int bytes_per_frame() const = 0;
    //! Called (once per stop) when the flowgraph stops, after the last frame.
    virtual void set_stop_callback(std::function<void()> callback) = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_FRAME_BITS_SINK_H */
