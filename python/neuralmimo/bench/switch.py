# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What detector_switch (the live detector choice of the GUI examples) costs against the same
detector behind detector_select, in the same run: 2x4 16QAM, LLR output, vector sources -> block
-> head -> null sink (bench.blocks.flowgraph_rate), best of `--repeats`.

    python -m neuralmimo.cli.bench switch [--items 300000] [--repeats 2]
"""
from __future__ import annotations

import os

import numpy as np

from ..cli import args as cli
from .blocks import flowgraph_rate
from .common import make_system

NT, NR, CONST = 2, 4, "qam16"
#: (detector, the other spec in the switch's list)
CASES = (("cpp:lmmse", "cpp:cg"), ("zf", "cpp:cg"))


def main(argv=None) -> int:
    ap = cli.parser("bench", __doc__)
    ap.add_argument("--items", type=cli.positive_int, default=300_000, help="items through each flowgraph")
    ap.add_argument("--repeats", type=cli.positive_int, default=2, help="runs per path (the best is reported)")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    import neuralmimo as nm

    y, h, nv = make_system(np.random.default_rng(3), NT, NR, CONST, 16 * 576, 1, NT / 10 ** 2.0)
    width = NT * nm.constellation(CONST).bits_per_symbol
    print(f"2x4 16QAM, LLR output, {args.items} items per flowgraph, best of {args.repeats}, "
          f"{os.cpu_count()} CPU(s)\n")
    print("| detector | detector_select (items/s) | detector_switch (items/s) | switch / select |")
    print("|---|---:|---:|---:|")
    for spec, other in CASES:
        def best(make):
            return max(flowgraph_rate(make, y, h, nv, args.items, np.float32, width) for _ in range(args.repeats))
        alone = best(lambda: nm.detector_select(spec, NT, NR, CONST, "llr", 576))
        switched = best(lambda: nm.detector_switch([spec, other], spec, NT, NR, CONST, "llr", 576))
        print(f"| `{spec}` | {alone:,.0f} | {switched:,.0f} | {switched / alone:.2f} |")
    return 0
