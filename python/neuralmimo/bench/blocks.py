# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of the detector blocks, against same-run references.

4x4 16QAM LMMSE with LLR output, in detections (one Nt-vector each) per second:
  - batched numpy LMMSE (np.linalg on the whole batch, max-log LLRs),
  - bare onnxruntime on the shipped LMMSE model at the block's batch size,
  - the onnx_detector block in a flowgraph (sources -> block -> head -> null sink),
  - the C++ lmmse_detector block in the same flowgraph, with a new H per item
    and with H held for 14 items (one slot on one subcarrier).

    python -m neuralmimo.cli.bench [--items 400000] [--batch 1024]
"""
from __future__ import annotations

import os
import time

import numpy as np

from ..cli import args as cli
from .common import make_system, numpy_lmmse, rate

NT = NR = 4
CONST = "qam16"


def make_data(n: int, hold: int, seed: int = 7):
    """4x4 16QAM at 14 dB (rx SNR): y complex64[n, Nr], h complex64[n, Nr, Nt] (H held `hold` items),
    nv float32[n]."""
    return make_system(np.random.default_rng(seed), NT, NR, CONST, n, hold, NT / 10 ** 1.4)


def flowgraph_rate(make_block, y, h, nv, items: int, out_dtype, out_vlen: int) -> float:
    """Detections/s of vector sources -> block -> head(items) -> null sink, start-up included.
    y [n, Nr], h [n, Nr, Nt] (any system size), nv [n]."""
    from gnuradio import blocks, gr

    nr, nt = h.shape[-2], h.shape[-1]
    tb = gr.top_block()
    srcs = [blocks.vector_source_c(y.ravel(), True, nr), blocks.vector_source_c(h.ravel(), True, nr * nt),
            blocks.vector_source_f(nv, True, 1)]
    blk = make_block()
    head = blocks.head(np.dtype(out_dtype).itemsize * out_vlen, items)
    sink = blocks.null_sink(np.dtype(out_dtype).itemsize * out_vlen)
    for i, s in enumerate(srcs):
        tb.connect(s, (blk, i))
    tb.connect(blk, head, sink)
    t0 = time.perf_counter()
    tb.run()
    return items / (time.perf_counter() - t0)


def main(argv=None) -> int:
    ap = cli.parser("bench", __doc__)
    ap.add_argument("--items", type=cli.positive_int, default=400_000, help="items through each flowgraph")
    ap.add_argument("--batch", type=cli.positive_int, default=1024, help="batch of numpy, onnxruntime and the ONNX block")
    ap.add_argument("--threads", type=cli.positive_int, default=1, help="onnxruntime intra-op threads")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    import neuralmimo as nm
    from ..detectors.onnx_model import OnnxDetector

    model = nm.model_path("lmmse_qam16_4x4.onnx")
    c = nm.constellation(CONST)
    k = c.bits_per_symbol
    bsz = args.batch
    pool = 16 * bsz
    y, h, nv = make_data(pool, 1)
    y14, h14, nv14 = make_data(pool - pool % 14, 14)

    yb, hb, nvb = y[:bsz], h[:bsz], nv[:bsz]
    bits = c.bits.astype(bool)
    r_numpy = rate(lambda: numpy_lmmse(yb, hb, nvb, c.points, bits), bsz)
    det = OnnxDetector(model, threads=args.threads)
    feeds = (yb.view(np.float32).reshape(bsz, NR, 2), hb.view(np.float32).reshape(bsz, NR, NT, 2), nvb)
    r_ort = rate(lambda: det.run_raw(*feeds), bsz)
    items = args.items - args.items % bsz
    r_onnx_blk = flowgraph_rate(lambda: nm.onnx_detector(model, NT, NR, CONST, "llr", threads=args.threads,
                                                         batch=bsz), y, h, nv, items, np.float32, NT * k)
    r_cpp = flowgraph_rate(lambda: nm.lmmse_detector(NT, NR, CONST, "llr"), y, h, nv, items, np.float32, NT * k)
    r_cpp14 = flowgraph_rate(lambda: nm.lmmse_detector(NT, NR, CONST, "llr"), y14, h14, nv14, items,
                             np.float32, NT * k)

    rows = [
        ("batched numpy LMMSE (max-log LLRs)", r_numpy, f"batch {bsz}"),
        ("bare onnxruntime, LMMSE model", r_ort, f"batch {bsz}, {args.threads} thread(s)"),
        ("onnx_detector block in a flowgraph", r_onnx_blk, f"batch {bsz}: {r_onnx_blk / r_ort:.0%} of bare onnxruntime"),
        ("lmmse_detector C++ block, new H per item", r_cpp, f"{r_cpp / r_numpy:.1f}x batched numpy"),
        ("lmmse_detector C++ block, H held 14 items", r_cpp14, f"{r_cpp14 / r_numpy:.1f}x batched numpy"),
    ]
    print(f"4x4 16QAM LMMSE, LLR output, {items} items per flowgraph, {os.cpu_count()} CPU(s)\n")
    print("| path | detections/s | note |")
    print("|---|---:|---|")
    for name, r, note in rows:
        print(f"| {name} | {r:,.0f} | {note} |")
    return 0
