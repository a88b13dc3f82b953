# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of the soft-bit quantiser: `python -m neuralmimo.cli.bench softbit`.

In one run, on this machine, one thread, LLR-like values (Gaussian, sigma 4) in vectors of N
(48 by default), uniform mode (clip 8) and codebook mode (one row of unevenly spaced levels per
position, as EQ-Net's per-latent k-means) at 3, 4, 6 and 8 bits:
  - the kernel alone (bench_softbit from <build>/bench/, no Python), when found;
  - the kernel through its binding (neuralmimo_python.softbit_quant: quantize = codes + packing,
    dequantize = unpacking + levels) on 2^20 values per call;
  - numpy on the same values: the reference (ScalarQuantizer.encode_counted + pack, what the
    kernel must equal) and the bare arithmetic (np.floor for uniform, np.searchsorted for
    codebooks; no NaN handling, no packing), with the binding's rate as a multiple of each;
  - a flowgraph: vector source (repeating random floats) -> softbit_quantizer ->
    softbit_dequantizer -> head -> null sink, in items (vectors) per second and LLRs per second.

    python -m neuralmimo.cli.bench softbit [--n 48] [--items 2000000] [--min-time 0.5]
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np

from ..cli import args as cli
from ..phy.quantizer import ScalarQuantizer, pack
from .common import rate

BITS = (3, 4, 6, 8)
CLIP = 8.0


def codebook(n: int, bits: int) -> ScalarQuantizer:
    """One row per position: levels 10 u|u| + 0.01 j over the cell centres u of (-1, 1) (denser in
    the middle, like a k-means codebook of LLRs); the same rows as bench_softbit.cc."""
    L = 1 << bits
    u = (2.0 * np.arange(L) + 1) / L - 1
    return ScalarQuantizer.from_codebook(10 * u * np.abs(u) + 0.01 * np.arange(n)[:, None])


def find_kernel_bench(name: str = "bench_softbit") -> Path | None:
    """<build>/bench/<name> (built by `make build`, not installed): $NEURALMIMO_BUILD_DIR, then
    paths.data_dirs("build")."""
    from ..paths import data_dirs

    bases = [Path(os.environ["NEURALMIMO_BUILD_DIR"])] if os.environ.get("NEURALMIMO_BUILD_DIR") else []
    for base in bases + data_dirs("build"):
        exe = base / "bench" / name
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    return None


def kernel_rates(exe: Path, n: int, min_time: float) -> dict:
    """{(mode, bits): (quantize values/s, dequantize values/s)} of bench_softbit."""
    out = subprocess.run([str(exe), str(n), str(min_time)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
    rates = {}
    for line in out.splitlines():
        f = dict(kv.split("=") for kv in line.split())
        rates[f["mode"], int(f["bits"])] = (float(f["quantize_values_per_s"]), float(f["dequantize_values_per_s"]))
    return rates


def numpy_bare(q: ScalarQuantizer, x: np.ndarray):
    """The arithmetic alone, in numpy: uniform floor/clip, or searchsorted per position."""
    if q.mode == "uniform":
        scale = np.float32((1 << q.bits) / (2 * float(q.clip)))
        return lambda: np.clip(np.floor((x + q.clip) * scale), 0, (1 << q.bits) - 1).astype(np.uint16)
    t = q.thresholds
    return lambda: [np.searchsorted(t[j], x[:, j], side="right") for j in range(x.shape[1])]


def flowgraph_rate(q: ScalarQuantizer, n: int, x: np.ndarray, items: int, dequantize: bool = True) -> float:
    """Vectors/s of vector source -> quantizer [-> dequantizer] -> head(items) -> null sink,
    start-up included."""
    from gnuradio import blocks, gr

    from ..blocks.softbit import softbit_dequantizer_from, softbit_quantizer_from

    tb = gr.top_block()
    src = blocks.vector_source_f(x[:4096].ravel(), True, n)
    qb = softbit_quantizer_from(q, n=n)
    if dequantize:
        head = blocks.head(4 * n, items)
        tb.connect(src, qb, softbit_dequantizer_from(q, n=n), head, blocks.null_sink(4 * n))
    else:   # the quantiser alone: its packed bytes into the sink
        width = q.bytes_per_vector(n)
        head = blocks.head(width, items)
        tb.connect(src, qb, head, blocks.null_sink(width))
    t0 = time.perf_counter()
    tb.run()
    return items / (time.perf_counter() - t0)


def main(argv=None) -> int:
    ap = cli.parser("bench softbit", __doc__)
    ap.add_argument("--n", type=cli.positive_int, default=48, help="values per vector (N)")
    ap.add_argument("--items", type=cli.positive_int, default=2_000_000, help="vectors through each flowgraph")
    ap.add_argument("--min-time", type=cli.positive_float, default=0.5, help="seconds per measurement")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    from ..neuralmimo_python import softbit_quant

    n = args.n
    count = max(1, (1 << 20) // n)
    x = (np.random.default_rng(3).standard_normal((count, n)) * 4).astype(np.float32)
    values = x.size
    load_before = os.getloadavg()[0]
    exe = find_kernel_bench()
    kernel = kernel_rates(exe, n, args.min_time) if exe else {}
    rows = []
    for mode in ("uniform", "codebook"):
        for bits in BITS:
            q = ScalarQuantizer.uniform(bits, CLIP) if mode == "uniform" else codebook(n, bits)
            k = softbit_quant(n, *q.block_args())
            data = k.quantize(x)
            rq = rate(lambda: k.quantize(x), values, args.min_time)
            rd = rate(lambda: k.dequantize(data), values, args.min_time)
            ref = rate(lambda: pack(q.encode_counted(x)[0], bits), values, args.min_time)
            bare = rate(numpy_bare(q, x), values, args.min_time)
            kq, kd = kernel.get((mode, bits), (None, None))
            rows.append((mode, bits, kq, kd, rq, rd, ref, bare))
    flows = []
    for mode, bits in (("uniform", 4), ("uniform", 8), ("codebook", 4), ("codebook", 8)):
        q = ScalarQuantizer.uniform(bits, CLIP) if mode == "uniform" else codebook(n, bits)
        flows.append((mode, bits, flowgraph_rate(q, n, x, args.items, dequantize=False),
                      flowgraph_rate(q, n, x, args.items)))

    print(f"soft-bit quantiser, N = {n}, LLRs ~ N(0, 16), one thread, {os.cpu_count()} CPU(s), 1-minute load "
          f"average {load_before:.2f} before / {os.getloadavg()[0]:.2f} after (other processes share the CPUs "
          "with every figure); values/s in millions\n")
    print("| mode | bits | kernel quantize | kernel dequantize | binding quantize | binding dequantize "
          "| numpy reference (encode + pack) | numpy bare (floor / searchsorted) | binding / reference "
          "| binding / bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode, bits, kq, kd, rq, rd, ref, bare in rows:
        kqs = "" if kq is None else f"{kq / 1e6:,.0f}"
        kds = "" if kd is None else f"{kd / 1e6:,.0f}"
        print(f"| {mode} | {bits} | {kqs} | {kds} | {rq / 1e6:,.0f} | {rd / 1e6:,.0f} | {ref / 1e6:,.1f} | "
              f"{bare / 1e6:,.1f} | {rq / ref:,.0f}x | {rq / bare:,.1f}x |")
    print(f"\nflowgraph: vector source -> softbit_quantizer [-> softbit_dequantizer] -> head({args.items}) "
          "-> null sink, start-up included\n")
    print("| mode | bits | quantiser alone: vectors/s | LLRs/s | quantiser + dequantiser: vectors/s | LLRs/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, bits, r1, r2 in flows:
        print(f"| {mode} | {bits} | {r1:,.0f} | {r1 * n / 1e6:,.1f} M | {r2:,.0f} | {r2 * n / 1e6:,.1f} M |")
    if exe is None:
        print("\n(kernel alone: bench_softbit not found; build with `make build`)")
    return 0
