# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost of DetNet and the WeSNet variants, 30x60 BPSK (WeSNet Table II, Figs. 10-12), in one run:

  - multiply-adds and FLOPs counted in the exported graph (export/graph_cost.py), beside Table II's
    formula at the same depth,
  - parameters (initializer elements) and file size,
  - detections/s in bare onnxruntime at batch 1 and batch 1024, and in the onnx_detector block in a
    flowgraph (batch 1024), all with `--threads` intra-op threads.

    python -m neuralmimo.cli.bench wesnet [--items 40960] [--threads 1] [--csv docs/figures/wesnet_cost.csv]

The graphs are the study's exports (papers/wesnet.py; trained first when missing).
"""
from __future__ import annotations

import json
import os

import numpy as np

from ..cli import args as cli
from .blocks import flowgraph_rate
from .common import make_system, rate


def rates(path, items: int, threads: int) -> tuple[float, float, float]:
    """Detections/s: bare onnxruntime at batch 1 and 1024, and the onnx_detector block (batch 1024)."""
    import neuralmimo as nm
    from ..detectors.onnx_model import OnnxDetector
    from ..papers.wesnet import CONST, NR, NT

    rng = np.random.default_rng(3)
    y, h, nv = make_system(rng, NT, NR, CONST, 4096, 1, NT / 10.0)
    det = OnnxDetector(str(path), threads=threads)

    def feeds(b):
        return (y[:b].view(np.float32).reshape(b, NR, 2), h[:b].view(np.float32).reshape(b, NR, NT, 2), nv[:b])

    f1, fb = feeds(1), feeds(1024)
    r1 = rate(lambda: det.run_raw(*f1), 1, 0.5)
    rb = rate(lambda: det.run_raw(*fb), 1024, 0.5)
    n = max(items - items % 1024, 1024)
    blk = flowgraph_rate(lambda: nm.onnx_detector(str(path), NT, NR, CONST, "llr", threads=threads, batch=1024),
                         y, h, nv, n, np.float32, NT)
    return r1, rb, blk


def main(argv=None) -> int:
    ap = cli.parser("bench wesnet", __doc__)
    ap.add_argument("--items", type=cli.positive_int, default=40_960, help="items through each flowgraph")
    ap.add_argument("--threads", type=cli.positive_int, default=1, help="onnxruntime intra-op threads")
    ap.add_argument("--csv", type=cli.output_file, default=None, help="also write the rows as CSV")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    from ..export.graph_cost import graph_cost
    from ..papers.common import write_table
    from ..papers.wesnet import EXPORTS, exported, table_ii_flops

    rows = []
    for label in EXPORTS:
        path = exported(label, progress=True)
        man = json.loads(path.with_suffix(".json").read_text())
        layers = man["config"]["layers"] - len(man["removed_layers"])
        gc = graph_cost(path)
        r1, rb, blk = rates(path, args.items, args.threads)
        rows.append({"variant": man["variant"], "layers": layers, "hidden_units": man["hidden_units"],
                     "graph_macs": round(gc.macs_per_detection), "graph_flops": round(gc.flops_per_detection),
                     "table_ii_flops": round(table_ii_flops(man["config"], layers)), "params": gc.params,
                     "bytes": gc.file_bytes, "ort_b1": round(r1), "ort_b1024": round(rb), "block": round(blk)})
    if args.csv:
        write_table(rows, args.csv)
    d = rows[0]
    print(f"30x60 BPSK, {args.threads} onnxruntime thread(s), {os.cpu_count()} CPU(s); "
          f"ratios against {d['variant']} in the same run\n")
    print("| variant | layers | graph MACs | graph FLOPs | Table II FLOPs | params | bytes | "
          "ORT b=1 det/s | ORT b=1024 det/s | block det/s | MACs ratio | block speed ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['variant']} | {r['layers']} | {r['graph_macs']:,} | {r['graph_flops']:,} | "
              f"{r['table_ii_flops']:,} | {r['params']:,} | {r['bytes']:,} | {r['ort_b1']:,} | "
              f"{r['ort_b1024']:,} | {r['block']:,} | {r['graph_macs'] / d['graph_macs']:.3f} | "
              f"{r['block'] / d['block']:.2f} |")
    return 0
