# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""MIMO-OFDM transmit side: the numbered test payload source and the frame transmitter.

ofdm_payload_source(config, num_frames=0, first_frame=0)
    out: byte (one bit per item, 0/1), config.payload_bits items per frame: the numbered
    test payload of phy/ofdm_bits.py (frame_checker regenerates it for BER). num_frames = 0:
    forever.
ofdm_tx(config, amplitude=1.0)
    in: byte (payload bits, config.payload_bits per frame; the block appends the CRC and, with
    config.coding "ldpc648", LDPC-encodes payload and CRC into the frame: phy/ofdm_coding.py);
    out: complex[Nt], one vector per sample time (antenna t at index t), config.frame_len
    items per frame (gap included). A flowgraph feeds a channel simulator or, through
    usrp_mimo_sink, the Nt channels of one or more USRPs.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.ofdm import OfdmConfig, OfdmTransmitter
from ..phy.ofdm_bits import test_payload
from . import item


def _check_config(name: str, config) -> OfdmConfig:
    if not isinstance(config, OfdmConfig):
        raise ValueError(f"{name}: config must be an OfdmConfig (neuralmimo.ofdm_config(...)), "
                         f"got {type(config).__name__}")
    return config


class ofdm_payload_source(gr.sync_block):  # noqa: N801
    def __init__(self, config, num_frames: int = 0, first_frame: int = 0):
        self.config = _check_config("ofdm_payload_source", config)
        num_frames, first_frame = int(num_frames), int(first_frame)
        if num_frames < 0 or first_frame < 0:
            raise ValueError(f"ofdm_payload_source: num_frames and first_frame must be >= 0, "
                             f"got {num_frames}, {first_frame}")
        gr.sync_block.__init__(self, name="ofdm_payload_source", in_sig=None, out_sig=[np.uint8])
        self.set_output_multiple(config.payload_bits)
        self._next, self._end = first_frame, (first_frame + num_frames if num_frames else None)

    def work(self, input_items, output_items):
        out = output_items[0]
        k = self.config.payload_bits
        n = out.shape[0] // k
        if self._end is not None:
            n = min(n, self._end - self._next)
            if n <= 0:
                return -1                                   # WORK_DONE
        for i in range(n):
            out[i * k:(i + 1) * k] = test_payload(self.config, self._next + i)
        self._next += n
        return n * k


class ofdm_tx(gr.basic_block):  # noqa: N801
    def __init__(self, config, amplitude: float = 1.0):
        self.config = _check_config("ofdm_tx", config)
        self.tx = OfdmTransmitter(config, amplitude)
        gr.basic_block.__init__(self, name="ofdm_tx", in_sig=[np.uint8], out_sig=[item(np.complex64, config.nt)])
        self.set_output_multiple(config.frame_len)
        self.set_min_output_buffer(2 * config.frame_len)
        self.frames_sent = 0
        self._invalid = 0
        self._log = gr.logger("ofdm_tx")

    def invalid_items(self) -> int:
        """Payload bytes other than 0 and 1 (their least significant bit was sent)."""
        return self._invalid

    def set_amplitude(self, amplitude: float) -> None:
        self.tx = OfdmTransmitter(self.config, amplitude)

    def forecast(self, noutput_items, ninputs):
        return [noutput_items // self.config.frame_len * self.config.payload_bits]

    def general_work(self, input_items, output_items):
        c = self.config
        out = output_items[0].reshape(len(output_items[0]), c.nt)     # vlen 1 arrives 1-D
        n = min(len(input_items[0]) // c.payload_bits, len(out) // c.frame_len)
        raw = input_items[0][:n * c.payload_bits]
        bad = raw > 1
        if bad.any():
            # Data problems never stop the flowgraph (raising here would end the block's thread
            # and leave the flowgraph waiting): the byte's least significant bit is sent.
            if not self._invalid:
                self._log.warn(f"payload byte {int(raw[np.argmax(bad)])} (not 0 or 1) at item "
                               f"{self.nitems_read(0) + int(np.argmax(bad))}; its least significant bit is "
                               "sent (logged once, see invalid_items())")
            self._invalid += int(bad.sum())
            raw = raw & 1
        for i in range(n):
            out[i * c.frame_len:(i + 1) * c.frame_len] = self.tx.frame(raw[i * c.payload_bits:(i + 1) * c.payload_bits])
        self.consume(0, n * c.payload_bits)
        self.frames_sent += n
        return n * c.frame_len
