# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ofdm_rx: Nr receive channels -> per-RE (y, Ĥ, σ̂²) streams for any detector block.

In: complex[Nr] (sample n of all receive channels). Out (stream contract, docs/conventions.md):
y complex[Nr], h complex[Nr·Nt] (row-major Ĥ[r, t] at r·Nt + t), noise_var float,
config.n_re items per frame (data REs in order; frame_checker's frame boundaries).
Synchronisation, CFO correction, LS channel and noise estimates: phy/ofdm_rx.py (backend
"auto": the C++ kernel where built, else numpy; "numpy" or "cpp" to choose).

Tags at each frame's first item: "chan_est" on h (c32vector: Ĥ of every used carrier,
[n_used, Nr, Nt] row-major) and "frame_info" on y (dict: start sample, cfo in subcarrier
spacings, noise_var, snr_db, evm, metric). Detector blocks pass both on to their output.
frames_found() counts the frames.

max_backlog > 0 (a live radio): when more than this many input samples wait, the block
drops all but the last two frames' worth unprocessed (samples_skipped() counts them), so
a receiver slower than the radio decodes a fraction of the frames instead of letting the
radio overflow. Give the upstream block an output buffer larger than max_backlog.

ofdm_rx() returns the C++ block (neuralmimo_python.ofdm_rx_block, no Python per call or per
frame) wherever OfdmReceiver would use the C++ kernel (backend "auto" or "cpp"), and the
Python block _ofdm_rx_py otherwise; both give the same items and tags.
"""
from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

from ..phy.ofdm_rx import OfdmReceiver, uses_cpp_kernel
from . import item
from .ofdm_tx import _check_config


def ofdm_rx(config, threshold: float = 0.3, backoff: int = -1, max_backlog: int = 0, backend: str = "auto",
            tracking: str = "per_stream"):
    """The receiver block for config: C++ where OfdmReceiver(backend=backend) uses the C++ kernel,
    else the Python block. Both offer frames_found() and samples_skipped(). tracking: "per_stream"
    (each stream's phase per data symbol, in Ĥ: h differs from symbol to symbol) or "common" (one
    phase per symbol, removed from y: h is the carrier's Ĥ, bitwise the same for the frame's data
    symbols, so detectors set up one filter per carrier and frame; for transmitters that share an
    oscillator)."""
    c = _check_config("ofdm_rx", config)
    if not uses_cpp_kernel(c, backend):
        return _ofdm_rx_py(c, threshold=threshold, backoff=backoff, max_backlog=max_backlog, backend="numpy",
                           tracking=tracking)
    from ..neuralmimo_python import ofdm_rx_block
    from ..phy.ofdm_rx_cpp import cpp_spec

    # A numpy receiver (no kernel) checks the parameters and resolves the default backoff.
    rx = OfdmReceiver(c, threshold=threshold, backoff=None if int(backoff) < 0 else int(backoff),
                      tracking=tracking, backend="numpy")
    return ofdm_rx_block(*cpp_spec(rx, max_backlog=max_backlog))


class _ofdm_rx_py(gr.basic_block):  # noqa: N801
    """The receiver as a Python block (numpy backend, or where the compiled module is missing)."""

    def __init__(self, config, threshold: float = 0.3, backoff: int = -1, max_backlog: int = 0,
                 backend: str = "auto", tracking: str = "per_stream"):
        c = _check_config("ofdm_rx", config)
        max_backlog = int(max_backlog)
        if max_backlog and max_backlog < 2 * c.frame_len:
            raise ValueError(f"ofdm_rx: max_backlog must be 0 (off) or >= 2 frames = {2 * c.frame_len} "
                             f"samples, got {max_backlog}")
        self.config, self.max_backlog = c, max_backlog
        self.rx = OfdmReceiver(c, threshold=threshold, backoff=None if int(backoff) < 0 else int(backoff),
                               tracking=tracking, backend=backend)
        gr.basic_block.__init__(self, name="ofdm_rx", in_sig=[item(np.complex64, c.nr)],
                                out_sig=[item(np.complex64, c.nr), item(np.complex64, c.nr * c.nt), np.float32])
        for port in range(3):         # 8 frames, as the C++ block (several frames per downstream call)
            self.set_min_output_buffer(port, 8 * c.n_re)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self._pending = []          # frames not yet (fully) written: [frame, items already written]
        self._key_h, self._key_info = pmt.intern("chan_est"), pmt.intern("frame_info")
        gr.logger("ofdm_rx").info(f"{self.rx.backend} receiver, {c.nt}x{c.nr} {c.constellation}, "
                                  f"{c.n_re} REs per frame")

    def frames_found(self) -> int:
        return self.rx.frames_found

    def samples_skipped(self) -> int:
        """Input samples dropped unprocessed because the receiver fell behind (max_backlog)."""
        return self.rx.samples_skipped

    def forecast(self, noutput_items, ninputs):
        # Frames already demodulated can be written without any new input.
        return [0 if self._pending else 1]

    def general_work(self, input_items, output_items):
        c = self.config
        x = input_items[0].reshape(len(input_items[0]), c.nr)         # vlen 1 arrives 1-D
        if self.max_backlog and len(x) > self.max_backlog:
            # Behind real time: keep the newest frame's worth, drop the rest unprocessed.
            drop = len(x) - 2 * self.config.frame_len
            self.rx.skip(drop)
            self.consume(0, drop)
            x = x[drop:]
        if len(x):
            for f in self.rx.push(x):
                self._pending.append([f, 0])
            self.consume(0, len(x))
        y_out = output_items[0].reshape(len(output_items[0]), c.nr)
        h_out = output_items[1].reshape(len(output_items[1]), c.nr * c.nt)
        nv_out = output_items[2]
        room, written = len(y_out), 0
        while self._pending and written < room:
            f, done = self._pending[0]
            if done == 0:
                self._tag(f, self.nitems_written(0) + written)
            n = min(room - written, len(f.y) - done)
            y_out[written:written + n] = f.y[done:done + n]
            h_out[written:written + n] = f.h[done:done + n].reshape(n, -1)
            nv_out[written:written + n] = f.noise_var
            written += n
            if done + n == len(f.y):
                self._pending.pop(0)
            else:
                self._pending[0][1] = done + n
        return written

    def _tag(self, f, offset: int) -> None:
        src = pmt.intern(self.alias())
        self.add_item_tag(1, offset, self._key_h, pmt.init_c32vector(f.h_est.size, f.h_est.ravel().tolist()), src)
        self.add_item_tag(0, offset, self._key_info, pmt.to_pmt(f.info()), src)
