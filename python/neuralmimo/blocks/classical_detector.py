# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""classical_detector: any detector of nm.detector_names() as a GNU Radio block.

The baseline in a flowgraph: it runs the same Python code as nm.detector(name)
(torch on the CPU), on batches of `batch` items.
"""
from __future__ import annotations

import numpy as np

from ..registry import detector
from .detector_block import DetectorBlock


class classical_detector(DetectorBlock):  # noqa: N801
    """nm.detector(name) as a block. In: y complex[Nr], h complex[Nr·Nt] (row-major),
    noise_var float; out by `output`: symbols/estimate complex[Nt], llr float[Nt·K]
    (user-major, LLR = ln P(b=1)/P(b=0)), bits byte[Nt·K] (docs/conventions.md)."""

    def __init__(self, name: str = "lmmse", nt: int = 4, nr: int = 4, constellation: str = "qam16",
                 output: str = "llr", batch: int = 256):
        self.detector = detector(name, constellation=constellation)
        _check_dimensions(self.detector, name, int(nt), int(nr))
        super().__init__(f"classical_detector({name})", nt, nr, self.detector.constellation, output,
                         batch, ("llr", "estimate", "symbols"))

    def _run(self, y, h, nv):
        # The detector erases (rather than raises on) items without an answer: singular systems,
        # H = 0, overflow (detectors/base.py); "erased" tells the block which ones.
        out = self.detector(y, h.reshape(-1, self.nr, self.nt), nv)
        return {"llr": out.llr, "estimate": out.estimate, "symbols": out.symbols, "erased": out.erased}


def _check_dimensions(det, name: str, nt: int, nr: int) -> None:
    """Runs the detector once on a random channel, so that a size it cannot handle (e.g. ZF or
    K-best with Nr < Nt) is a constructor error instead of an exception inside work()."""
    if nt < 1 or nr < 1:
        return                              # DetectorBlock names the bad value
    rng = np.random.default_rng(0)
    h = (rng.standard_normal((1, nr, nt)) + 1j * rng.standard_normal((1, nr, nt))).astype(np.complex64)
    try:
        det(np.zeros((1, nr), np.complex64), h, np.ones(1, np.float32))
    except ValueError as exc:
        raise ValueError(f"classical_detector({name}) with nt={nt}, nr={nr}: {exc}") from exc
