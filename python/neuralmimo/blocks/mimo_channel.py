# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""mimo_channel: i.i.d. Rayleigh MIMO channel with AWGN, for hardware-free flowgraphs.

In: x complex[Nt]. Out: y complex[Nr], h complex[Nr·Nt] (row-major, the true
H), noise_var float (σ²). H ~ CN(0, 1) entries, redrawn every `coherence`
items (1 = a new H per item). σ² follows the SNR convention `convention`
(default "rx": SNR = Nt/σ², docs/conventions.md). H and noise come from two
generators seeded from `seed`, so the output does not depend on how GNU Radio
chunks the stream.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import RayleighChannel, complex_noise
from ..phy.snr import DEFAULT, noise_var_from_snr


class mimo_channel(gr.sync_block):  # noqa: N801
    def __init__(self, nt: int = 4, nr: int = 4, snr_db: float = 20.0, coherence: int = 1,
                 seed: int = 0, convention: str = DEFAULT):
        nt, nr, coherence = int(nt), int(nr), int(coherence)
        for key, val in (("nt", nt), ("nr", nr), ("coherence", coherence)):
            if val < 1:
                raise ValueError(f"mimo_channel: {key} must be >= 1, got {val}")
        gr.sync_block.__init__(self, name="mimo_channel", in_sig=[(np.complex64, nt)],
                               out_sig=[(np.complex64, nr), (np.complex64, nr * nt), np.float32])
        self.nt, self.nr, self.coherence, self.convention = nt, nr, coherence, convention
        h_seed, n_seed = np.random.SeedSequence(int(seed)).spawn(2)
        self._rng_h = np.random.default_rng(h_seed)
        self._rng_n = np.random.default_rng(n_seed)
        self._channel = RayleighChannel(nr, nt)
        self._h_cur = None          # H of the coherence block in progress
        self._blk_cur = -1
        self.set_snr(snr_db)

    def set_snr(self, snr_db: float) -> None:
        nv = float(noise_var_from_snr(float(snr_db), self.nt, self.nr, self.convention))
        self.snr_db, self.noise_var = float(snr_db), nv

    def work(self, input_items, output_items):
        x = input_items[0]
        y_out, h_out, nv_out = output_items
        n = y_out.shape[0]
        start = self.nitems_written(0)
        blk = (start + np.arange(n)) // self.coherence
        first, last = int(blk[0]), int(blk[-1])
        new = self._channel.sample_numpy(last - max(first, self._blk_cur + 1) + 1, self._rng_h)
        if first == self._blk_cur:
            hs = np.concatenate([self._h_cur[None], new])
        else:
            hs = new
        h = hs[blk - first]                                           # [n, Nr, Nt]
        self._h_cur, self._blk_cur = hs[-1], last
        y_out[:] = np.einsum("brt,bt->br", h, x[:n]) + complex_noise(self._rng_n, (n, self.nr), self.noise_var)
        h_out[:] = h.reshape(n, -1)
        nv_out[:] = self.noise_var
        return n
