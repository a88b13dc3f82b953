# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ber_meter: counts bit errors between reference bits and detected bits.

Two inputs, byte[vlen] each (0/1 per byte, least significant bit used),
aligned item by item. ber(), errors(), bits() read the counts at any time; the
result is logged when the flowgraph stops.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr


class ber_meter(gr.sync_block):  # noqa: N801
    def __init__(self, vlen: int = 16, label: str = "BER"):
        vlen = int(vlen)
        if vlen < 1:
            raise ValueError(f"ber_meter: vlen must be >= 1, got {vlen}")
        gr.sync_block.__init__(self, name="ber_meter", in_sig=[(np.uint8, vlen), (np.uint8, vlen)],
                               out_sig=None)
        self.label = label
        self._errors = 0
        self._bits = 0
        self._log = gr.logger(f"ber_meter({label})")

    def errors(self) -> int:
        return self._errors

    def bits(self) -> int:
        return self._bits

    def ber(self) -> float:
        """Bit error rate so far (NaN before the first item)."""
        return self._errors / self._bits if self._bits else float("nan")

    def work(self, input_items, output_items):
        ref, det = input_items
        self._errors += int(np.count_nonzero((ref & 1) != (det & 1)))
        self._bits += ref.size
        return ref.shape[0]

    def stop(self):
        if not self._bits:  # a NaN BER would read as a result; say what happened instead
            self._log.warn(f"{self.label}: no bits received (the detector produced no items)")
        else:
            self._log.info(f"{self.label}: {self.ber():.3e} ({self._errors} errors in {self._bits} bits)")
        return True
