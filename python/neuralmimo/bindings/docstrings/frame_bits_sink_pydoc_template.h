/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, neuralmimo, __VA_ARGS__)
/*
  Docstrings of the Python bindings. Without Doxygen the build copies this
  file as is; with Doxygen it fills in the docstrings scraped from the header.
 */


static const char* __doc_gr_neuralmimo_frame_bits_sink = R"doc(The streaming half of the OFDM frame checker (C++).

In: float[width] LLRs (bit = LLR > 0) or, with soft=False, byte[width] bits
(bit = byte & 1); frame_items items per frame from the first. Per whole frame:
the hard bits packed MSB first, whether the last 32 are the CRC-32 (zlib) of
the bits before them, and the frame_info tag of its first item, serialised.
neuralmimo.frame_checker uses it for uncoded frames; its FrameChecker numbers
and counts what take() returns.)doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_frame_bits_sink = R"doc()doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_make = R"doc(Make the sink.

Args:
    width: values per item (Nt*K), >= 1
    frame_items: items per frame (n_re), >= 1, width*frame_items > 32
    soft: True for float LLRs, False for bytes of bits

Raises ValueError naming the parameter and the value.)doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_take = R"doc(The frames completed since the last call: (crc_ok uint8[F], packed uint8[F, bytes_per_frame], list of F serialised frame_info tags, b"" without one).)doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_frames = R"doc(Frames completed so far.)doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_bytes_per_frame = R"doc(ceil(width*frame_items/8).)doc";


static const char* __doc_gr_neuralmimo_frame_bits_sink_set_stop_callback = R"doc(A function called when the flowgraph stops, after the last frame.)doc";
