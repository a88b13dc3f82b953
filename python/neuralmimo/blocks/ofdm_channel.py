# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ofdm_channel: time-domain MIMO channel (TDL multipath, CFO, phase noise, AWGN) for OFDM links.

In: x complex[Nt] per sample (the Nt transmit streams). Out: y complex[Nr].
A thin adapter over ``phy.ofdm_channel.OfdmChannelSim`` (model, SNR
convention and streaming guarantees are documented there): static TDL-A/B/C or
flat channel drawn from `seed`, σ² = Nt / 10^(snr_db/10), the per-resource-
element SNR of a transmitter with unit-energy subcarrier symbols and an
orthonormal IFFT. The output does not depend on how GNU Radio chunks the stream.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.ofdm_channel import OfdmChannelSim
from . import item


class ofdm_channel(gr.sync_block):  # noqa: N801
    def __init__(self, nt: int = 2, nr: int = 2, samp_rate: float = 1e6, snr_db: float = 30.0,
                 profile: str = "A", delay_spread: float = 100e-9, cfo_hz: float = 0.0,
                 timing_offset: float = 0.0, phase_noise_hz: float = 0.0, seed: int = 0):
        try:
            self.sim = OfdmChannelSim(nt, nr, sample_rate=samp_rate, snr_db=snr_db, profile=profile,
                                      delay_spread=delay_spread, cfo_hz=cfo_hz, timing_offset=timing_offset,
                                      phase_noise_hz=phase_noise_hz, seed=seed)
        except ValueError as exc:
            msg = str(exc)
            if msg.startswith("sample_rate:"):          # the block's name for it
                msg = "samp_rate:" + msg[len("sample_rate:"):]
            raise ValueError(f"ofdm_channel: {msg}") from None
        self.nt, self.nr = self.sim.nt, self.sim.nr
        gr.sync_block.__init__(self, name="ofdm_channel", in_sig=[item(np.complex64, self.nt)], out_sig=[item(np.complex64, self.nr)])
        self._log = gr.logger("ofdm_channel")
        self._invalid = 0

    def set_snr(self, snr_db: float) -> None:
        self.sim.set_snr(snr_db)

    def set_cfo(self, cfo_hz: float) -> None:
        """New carrier frequency offset from the next sample, phase continuous (a live control)."""
        self.sim.set_cfo(cfo_hz)

    @property
    def noise_var(self) -> float:
        return self.sim.noise_var

    def invalid_items(self) -> int:
        """Number of input items that held NaN/Inf and went in as zeros."""
        return self._invalid

    def work(self, input_items, output_items):
        out = output_items[0]
        n = out.shape[0]
        x = input_items[0][:n].reshape(n, self.nt)
        bad = ~np.isfinite(x.view(np.float32)).all(axis=1)
        if bad.any():
            # Data problems never stop the flowgraph: the channel sees silence there.
            if not self._invalid:
                self._log.warn(f"NaN/Inf in x at item {self.nitems_read(0) + int(np.argmax(bad))}; "
                               "replaced by zeros (logged once, see invalid_items())")
            self._invalid += int(bad.sum())
            x = np.where(bad[:, None], np.complex64(0), x)
        out[:] = self.sim.process(x).reshape(out.shape)
        return n
