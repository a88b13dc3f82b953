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

`python -m neuralmimo.cli.bench detectors` instead times every nm.detector on the
CPU (torch threads as set by the environment) for 4x4 16QAM, 8x8 QPSK and 32x64
BPSK at batch 4096 and prints a table of detections per second.

`python -m neuralmimo.cli.bench cg` times the C++ cg_detector block (see bench_cg).
`python -m neuralmimo.cli.bench ofdm` times the whole MIMO-OFDM receiver (see bench_ofdm).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

NT = NR = 4
CONST = "qam16"


def make_data(n: int, hold: int, seed: int = 7):
    """Random system: y complex64[n, Nr], h complex64[n, Nr·Nt] (H held `hold` items), nv float32[n]."""
    from ..phy.channels import RayleighChannel, complex_noise
    from ..phy.constellation import constellation

    rng = np.random.default_rng(seed)
    c = constellation(CONST)
    hs = RayleighChannel(NR, NT).sample_numpy(-(-n // hold), rng)
    h = np.repeat(hs, hold, axis=0)[:n]
    x = c.points[rng.integers(0, c.order, (n, NT))]
    nv = np.full(n, NT / 10 ** 1.4, dtype=np.float32)
    y = (np.einsum("brt,bt->br", h, x) + complex_noise(rng, (n, NR), nv)).astype(np.complex64)
    return y, h.reshape(n, -1).astype(np.complex64), nv


def numpy_lmmse(y, h, nv, points, bits):
    """Batched numpy LMMSE with max-log LLRs (the reference the C++ block should beat)."""
    b = y.shape[0]
    hm = h.reshape(b, NR, NT)
    hh = np.conj(np.swapaxes(hm, 1, 2))
    g = np.linalg.inv(hh @ hm + nv[:, None, None] * np.eye(NT, dtype=np.complex64))
    xhat = (g @ (hh @ y[..., None]))[..., 0]
    gd = np.real(np.diagonal(g, axis1=1, axis2=2))
    mu = 1 - nv[:, None] * gd
    nu = nv[:, None] * gd / mu
    d = np.abs((xhat / mu)[..., None] - points) ** 2                     # [B, Nt, M]
    big = np.float32(1e30)
    d1 = np.min(d[..., None] + (~bits) * big, axis=2)
    d0 = np.min(d[..., None] + bits * big, axis=2)
    return (d0 - d1) / nu[..., None]


def rate(fn, items: int, min_time: float = 1.0) -> float:
    """Items per second of fn() (which processes `items`), repeated for at least min_time."""
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n * items / dt


def flowgraph_rate(make_block, y, h, nv, items: int, out_dtype, out_vlen: int) -> float:
    from gnuradio import blocks, gr

    tb = gr.top_block()
    srcs = [blocks.vector_source_c(y.ravel(), True, NR), blocks.vector_source_c(h.ravel(), True, NR * NT),
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


DETECTOR_SYSTEMS = (("4x4 16QAM", 4, 4, "qam16"), ("8x8 QPSK", 8, 8, "qpsk"), ("32x64 BPSK", 32, 64, "bpsk"))


def bench_detectors(batch: int = 4096, max_call_s: float = 20.0) -> int:
    """Detections/s of every classical detector on the three reference systems (CPU, same run)."""
    import torch

    import neuralmimo as nm
    from ..phy.channels import RayleighChannel, complex_noise
    from ..phy.constellation import constellation

    rng = np.random.default_rng(3)
    table = {}
    for label, nt, nr, const in DETECTOR_SYSTEMS:
        c = constellation(const)
        h = RayleighChannel(nr, nt).sample_numpy(batch, rng)
        x = c.points[rng.integers(0, c.order, (batch, nt))]
        nv = np.float32(nt / 10.0)
        y = (np.einsum("brt,bt->br", h, x) + complex_noise(rng, (batch, nr), nv)).astype(np.complex64)
        yt, ht = torch.from_numpy(y), torch.from_numpy(h)
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


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["detectors"]:
        return bench_detectors()
    if argv[:1] == ["ofdm"]:
        from .bench_ofdm import main as ofdm_main

        return ofdm_main(argv[1:])
    if argv[:1] == ["cg"]:
        from .bench_cg import main as cg_main

        return cg_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m neuralmimo.cli.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=400_000, help="items through each flowgraph")
    ap.add_argument("--batch", type=int, default=1024, help="batch of numpy, onnxruntime and the ONNX block")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
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


if __name__ == "__main__":
    sys.exit(main())
