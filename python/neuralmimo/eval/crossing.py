# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading curves: the SNR at which an error-rate curve crosses a target."""
from __future__ import annotations

import math


def snr_at(rows: list[dict], detector: str, key: str, target: float) -> float:
    """SNR (dB) where rows[detector][key] crosses `target`, by linear interpolation of log10(rate)
    between the two bracketing points; NaN if the curve does not cross it."""
    pts = sorted((r["snr_db"], r[key]) for r in rows if r["detector"] == detector)
    for (s0, v0), (s1, v1) in zip(pts, pts[1:]):
        if v0 >= target > v1 and v1 > 0:
            a, b = math.log10(v0), math.log10(v1)
            return s0 + (math.log10(target) - a) / (b - a) * (s1 - s0)
    return float("nan")
