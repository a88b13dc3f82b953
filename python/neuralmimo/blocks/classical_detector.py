# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""classical_detector: any detector of nm.detector_names() as a GNU Radio block.

The baseline in a flowgraph: it runs the same Python code as nm.detector(name)
(torch on the CPU), on batches of `batch` items.
"""
from __future__ import annotations

from ..detectors import detector
from .detector_block import DetectorBlock


class classical_detector(DetectorBlock):  # noqa: N801
    def __init__(self, name: str = "lmmse", nt: int = 4, nr: int = 4, constellation: str = "qam16",
                 output: str = "llr", batch: int = 256):
        self.detector = detector(name, constellation=constellation)
        super().__init__(f"classical_detector({name})", nt, nr, self.detector.constellation, output,
                         batch, ("llr", "estimate", "symbols"))

    def _run(self, y, h, nv):
        out = self.detector(y, h.reshape(-1, self.nr, self.nt), nv)
        return {"llr": out.llr, "estimate": out.estimate, "symbols": out.symbols}
