# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Detections per second of every nm.detector on the CPU (torch threads as set by the
environment) for 4x4 16QAM, 8x8 QPSK and 32x64 BPSK at batch 4096, as one table.

    python -m neuralmimo.cli.bench detectors
"""
from __future__ import annotations

import time

import numpy as np

from ..cli import args as cli
from .common import make_system, rate

DETECTOR_SYSTEMS = (("4x4 16QAM", 4, 4, "qam16"), ("8x8 QPSK", 8, 8, "qpsk"), ("32x64 BPSK", 32, 64, "bpsk"))


def main(argv=None, max_call_s: float = 20.0) -> int:
    """Detections/s of every classical detector on the three reference systems (CPU, same run)."""
    ap = cli.parser("bench detectors", __doc__)
    ap.add_argument("--batch", type=cli.positive_int, default=4096, help="vectors per detector call")
    batch = ap.parse_args(argv).batch

    import torch

    import neuralmimo as nm

    rng = np.random.default_rng(3)
    table = {}
    for label, nt, nr, const in DETECTOR_SYSTEMS:
        y, h, nv = make_system(rng, nt, nr, const, batch, 1, nt / 10.0)
        yt, ht, nv = torch.from_numpy(y), torch.from_numpy(h), nv[0]
        for name in nm.detector_names():
            det = nm.detector(name, constellation=const)
            try:
                t0 = time.perf_counter()
                det(yt, ht, nv)
                first = time.perf_counter() - t0
            except ValueError as exc:
                table[(name, label)] = "refused" if "max_candidates" in str(exc) else "n/a"
                continue
            if first > max_call_s:
                table[(name, label)] = f"{batch / first:,.0f} (1 call)"
            else:
                table[(name, label)] = f"{rate(lambda: det(yt, ht, nv), batch, min_time=1.0):,.0f}"
    print(f"detections/s at batch {batch}, CPU, torch threads {torch.get_num_threads()}\n")
    print("| detector | " + " | ".join(s[0] for s in DETECTOR_SYSTEMS) + " |")
    print("|---|" + "---:|" * len(DETECTOR_SYSTEMS))
    for name in nm.detector_names():
        print(f"| {name} | " + " | ".join(table[(name, s[0])] for s in DETECTOR_SYSTEMS) + " |")
    return 0
