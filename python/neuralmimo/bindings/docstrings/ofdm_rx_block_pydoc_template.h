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


static const char* __doc_gr_neuralmimo_ofdm_rx_block = R"doc(MIMO-OFDM receiver block (C++) around ofdm_rx_kernel.

Use it through neuralmimo.ofdm_rx(config, ...), which builds it from an
OfdmConfig where the C++ kernel applies.

Input:  complex[Nr], sample n of every receive antenna.
Outputs (n_re items per frame, the data REs in order):
  0 y:         complex[Nr]
  1 h:         complex[Nr*Nt], row-major, H[r, t] at r*Nt + t
  2 noise_var: float, the frame's noise variance per complex receive dimension
Tags at each frame's first item: "chan_est" on h (c32vector, [n_used, Nr, Nt]
row-major) and "frame_info" on y (dict: start, fft_start, cfo, noise_var,
snr_db, evm, metric). max_backlog > 0: when more input waits, all but the last
2 frame_len samples are dropped unprocessed (samples_skipped()).)doc";


static const char* __doc_gr_neuralmimo_ofdm_rx_block_ofdm_rx_block = R"doc()doc";


static const char* __doc_gr_neuralmimo_ofdm_rx_block_make = R"doc(Make an OFDM receiver block.

Args:
    spec: ofdm_frame_spec, the frame format (spec.frame_len: samples per frame,
        n_symbols * (cp_len + fft_len) + gap)
    params: ofdm_rx_params, the receiver's settings (max_backlog: 0 (off) or
        >= 2 * frame_len input samples)

Raises ValueError naming the parameter and the value.)doc";


static const char* __doc_gr_neuralmimo_ofdm_rx_block_frames_found = R"doc(Frames found so far.)doc";


static const char* __doc_gr_neuralmimo_ofdm_rx_block_samples_skipped = R"doc(Input samples dropped unprocessed because of max_backlog.)doc";
