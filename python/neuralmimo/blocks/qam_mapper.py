# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""qam_mapper: unpacked bits -> one constellation symbol per transmit stream.

In: byte[Nt·K] (one bit per byte, the least significant bit is used, as
GNU Radio's unpacked-bit blocks produce); out: complex[Nt]. Stream t takes
bits t·K .. t·K+K−1, most significant first (docs/conventions.md).
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.constellation import constellation as _lookup


class qam_mapper(gr.sync_block):  # noqa: N801
    def __init__(self, nt: int = 4, constellation: str = "qam16"):
        nt = int(nt)
        if nt < 1:
            raise ValueError(f"qam_mapper: nt must be >= 1, got {nt}")
        self.constellation = _lookup(constellation)
        self.nt = nt
        k = self.constellation.bits_per_symbol
        gr.sync_block.__init__(self, name="qam_mapper", in_sig=[(np.uint8, nt * k)],
                               out_sig=[(np.complex64, nt)])
        self._weights = 1 << np.arange(k - 1, -1, -1)
        self._k = k

    def work(self, input_items, output_items):
        bits = input_items[0]
        out = output_items[0]
        n = out.shape[0]
        idx = (bits[:n].reshape(n, self.nt, self._k) & 1).astype(np.int64) @ self._weights
        out[:] = self.constellation.points[idx]
        return n
