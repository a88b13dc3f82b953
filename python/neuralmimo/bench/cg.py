# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of the C++ cg_detector block: `python -m neuralmimo.cli.bench cg`.

In one run, on this machine:
  - the block in a flowgraph (file sources repeating pre-generated buffers ->
    cg_detector -> null sink, large buffers, steady state) for 4x4 16QAM (LcgNet,
    L = 4, and classical CG, Nt = 4 complex iterations) and 32x64 BPSK
    (LcgNet, L = 8), H changing every 14 items, LLR output, threads 1 and 2;
  - the kernel alone (bench_cg_kernel from <build>/bench/, no GNU Radio), when found;
  - batched numpy LMMSE (max-log LLRs) on the same sizes;
  - numpy float32 matrix multiply (1024 x 1024, best of 10, 2 BLAS threads, and 1 for context);
and the block's FLOP rate, from the operations the kernel does per detection
(flops_per_detection below), as a fraction of that matrix-multiply rate.

Learned steps are random but stable (alpha in [0.3, 1] / (Nr + Nt), beta in
[0, 0.3]): the cost does not depend on their values.

    python -m neuralmimo.cli.bench cg [--hold 14] [--order held|ofdm] [--min-time 1.0] [--kernel-bench PATH]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..cli import args as cli
from .common import make_system, numpy_lmmse, rate

# (label, Nt, Nr, constellation, layers: 0 = classical CG with Nt complex iterations)
SYSTEMS = (("4x4 16QAM LcgNet L=4", 4, 4, "qam16", 4),
           ("4x4 16QAM classical CG", 4, 4, "qam16", 0),
           ("32x64 BPSK LcgNet L=8", 32, 64, "bpsk", 8))


def flops_per_detection(nt: int, nr: int, k: int, layers: int, hold: int) -> float:
    """Floating-point operations of cg_kernel per detection (a multiply-add is 2), per-channel work
    divided by the items per channel. n = 2Nt real coordinates, m = 2Nr real observations.

    Learned (LcgNet), per channel: G = H_r^T H_r 2n²m, layers 2..L (A D) 2n³ each, step updates
    6n² per layer, T = M G 2n³, W = M H_r^T 2n²m, μ and ν 5n²; per item: s = W y 2nm.
    Classical, per channel: G 2n²m plus the LMMSE variance (lmmse_kernel, double: Gram, Cholesky,
    inverse, filter ≈ 8(1.5 Nt² Nr + Nt³/3)); per item: b = H_r^T y 2nm and per iteration
    A p 2n², two inner products 4n, three vector updates 6n.
    Demapping, per item: z = s/μ n, per coordinate one FMA per PAM level (2P) and a subtraction
    and a multiplication per dimension bit (2B): n (1 + 2P + 2B) (BPSK demaps both halves too).
    """
    n, m = 2 * nt, 2 * nr
    b = 1 if k == 1 else k // 2
    p = 1 << b
    demap = n * (1 + 2 * p + 2 * b)
    if layers > 0:
        per_h = 2 * n * n * m + (layers - 1) * 2 * n ** 3 + 6 * n * n * layers + 2 * n ** 3 \
            + 2 * n * n * m + 5 * n * n
        per_item = 2 * n * m + demap
    else:
        per_h = 2 * n * n * m + 8 * (1.5 * nt * nt * nr + nt ** 3 / 3)
        per_item = 2 * n * m + nt * (2 * n * n + 10 * n) + demap
    return per_h / hold + per_item


def stable_steps(rng, layers: int, nt: int, nr: int):
    n = 2 * nt
    alpha = (rng.uniform(0.3, 1.0, (layers, n)) / (nr + nt)).astype(np.float32)
    beta = rng.uniform(0.0, 0.3, (layers, n)).astype(np.float32)
    return alpha.ravel().tolist(), beta.ravel().tolist()


def flowgraph_rate(make_block, files, nt: int, nr: int, k: int, min_time: float) -> float:
    """Steady-state detections/s of the block between repeating file sources and a null sink.

    The flowgraph runs for a warm-up of min_time / 4, then the items the block writes are
    counted over three windows of min_time / 2 and the best window is kept (start-up and buffer
    allocation are not timed; the best of three discounts other load on the machine). Buffers
    hold about 4 MB per port so that work() calls are long and the scheduler's per-call cost is
    small.
    """
    from gnuradio import blocks, gr

    sizes = (8 * nr, 8 * nr * nt, 4)
    out_size = 4 * nt * k
    tb = gr.top_block()
    blk = make_block()
    srcs = [blocks.file_source(sz, str(f), True) for sz, f in zip(sizes, files)]
    for i, (src, sz) in enumerate(zip(srcs, sizes)):
        src.set_min_output_buffer(max(1024, (4 << 20) // sz))
        tb.connect(src, (blk, i))
    blk.set_min_output_buffer(max(1024, (4 << 20) // out_size))
    tb.connect(blk, blocks.null_sink(out_size))
    tb.start()
    time.sleep(min_time / 4)
    best = 0.0
    for _ in range(3):
        n0, t0 = blk.nitems_written(0), time.perf_counter()
        time.sleep(min_time / 2)
        n1, t1 = blk.nitems_written(0), time.perf_counter()
        best = max(best, (n1 - n0) / (t1 - t0))
    tb.stop()
    tb.wait()
    return best


def numpy_lmmse_rate(y, h, nv, nt: int, nr: int, const: str, batch: int, min_time: float) -> float:
    """Batched numpy LMMSE with max-log LLRs, a new H per item (numpy does not reuse it)."""
    from ..phy.constellation import constellation

    c = constellation(const)
    pts, bits = c.points, c.bits.astype(bool)
    yb, hb, nvb = y[:batch], h[:batch].reshape(batch, nr, nt), nv[:batch]
    return rate(lambda: numpy_lmmse(yb, hb, nvb, pts, bits), batch, min_time)


_SGEMM = """
import time, numpy as np
a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
b = a.T.copy()
a @ b
best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(10))
print(2 * 1024 ** 3 / best)
"""


def onnx_lcgnet_rate(tmp: Path, y, h, nv, nt, nr, const, layers, alpha, beta, threads, batch, min_time) -> float:
    """Detections/s of models/lcgnet.py with the same steps, exported to ONNX (LLR + estimate outputs,
    the exact post-detection variance computed per item in the graph), through bare onnxruntime."""
    import onnxruntime as ort

    from ..export import export_detector
    from ..models.lcgnet import LcgNet

    path = tmp / f"lcgnet_{nt}x{nr}_{layers}.onnx"
    if not path.exists():
        net = LcgNet(nt, nr, const, layers=layers)
        net.set_steps(np.asarray(alpha, np.float32).reshape(layers, 2 * nt),
                      np.asarray(beta, np.float32).reshape(layers, 2 * nt))
        export_detector(net, path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = {"y": np.ascontiguousarray(y[:batch]).view(np.float32).reshape(batch, nr, 2),
            "h": np.ascontiguousarray(h[:batch]).view(np.float32).reshape(batch, nr, nt, 2),
            "noise_var": nv[:batch]}
    sess.run(None, feed)
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time:
        sess.run(None, feed)
        done += batch
    return done / (time.perf_counter() - t0)


def sgemm_rate(threads: int = 2) -> float:
    """FLOP/s of numpy float32 1024x1024 matrix multiply, best of 10, in a fresh process so that
    the BLAS thread count can be set."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", _SGEMM], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def find_kernel_bench(explicit: str | None) -> Path | None:
    """bench_cg_kernel from the build tree (it is built, not installed): --kernel-bench, else
    bench/bench_cg_kernel under $NEURALMIMO_BUILD_DIR, $NEURALMIMO_SOURCE_DIR/build, ./build,
    the source tree's build/ (paths.data_dirs("build"))."""
    from ..paths import data_dirs

    candidates = [Path(explicit)] if explicit else []
    if os.environ.get("NEURALMIMO_BUILD_DIR"):
        candidates.append(Path(os.environ["NEURALMIMO_BUILD_DIR"]) / "bench" / "bench_cg_kernel")
    candidates += [base / "bench" / "bench_cg_kernel" for base in data_dirs("build")]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def kernel_rate(exe: Path, nt, nr, const, layers, hold, threads) -> tuple[float, float]:
    """(detections/s, detections per CPU second) of bench_cg_kernel."""
    args = [str(exe), str(nt), str(nr), const, str(layers), str(hold), str(threads)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["detections_per_s"]), float(fields["detections_per_cpu_s"])


def main(argv=None) -> int:
    ap = cli.parser("bench cg", __doc__)
    ap.add_argument("--hold", type=cli.positive_int, default=14, help="items per channel (H changes every HOLD items)")
    ap.add_argument("--order", choices=("held", "ofdm"), default="held",
                    help="'held': a channel on HOLD consecutive items; 'ofdm': on HOLD items in an OFDM frame's "
                         "order (48 carriers: a carrier's H recurs every 48 items)")
    ap.add_argument("--min-time", type=cli.positive_float, default=1.0, help="seconds per flowgraph measurement")
    ap.add_argument("--kernel-bench", type=cli.existing_file, default=None, help="path of bench_cg_kernel (default: build tree)")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    import neuralmimo as nm
    from ..phy.constellation import constellation

    rng = np.random.default_rng(5)
    load_before = os.getloadavg()[0]
    gemm = sgemm_rate(2)
    gemm1 = sgemm_rate(1)
    kexe = find_kernel_bench(args.kernel_bench)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, nt, nr, const, layers in SYSTEMS:
            k = constellation(const).bits_per_symbol
            # About 64 MB of H per system, at least 64 channels.
            unit = args.hold * (48 if args.order == "ofdm" else 1)
            pool = max(64 * unit, (64 << 20) // (8 * nr * nt)) // unit * unit
            y, h, nv = make_system(rng, nt, nr, const, pool, args.hold, nt / 10.0, args.order)
            files = [Path(tmp) / f"{i}.bin" for i in range(3)]
            for f, a in zip(files, (y, h, nv)):
                a.tofile(f)
            alpha, beta = stable_steps(rng, layers, nt, nr) if layers else ([], [])
            iters = layers if layers else nt
            flops = flops_per_detection(nt, nr, k, layers, args.hold)
            for threads in (1, 2):
                make = (lambda t=threads: nm.cg_detector(nt, nr, const, "llr", iters, alpha, beta, "complex", t))
                r = flowgraph_rate(make, files, nt, nr, k, args.min_time)
                rows.append((label, f"cg_detector block, {threads} thread(s)", r, r * flops))
            if kexe is not None and args.order == "held":
                for threads in (1, 2):
                    r, r_cpu = kernel_rate(kexe, nt, nr, const, layers, args.hold, threads)
                    rows.append((label, f"kernel alone, {threads} thread(s) ({r_cpu:,.0f} per CPU-s)",
                                 r, r * flops))
            if layers:
                for threads in (1, 2):
                    r = onnx_lcgnet_rate(Path(tmp), y, h, nv, nt, nr, const, layers, alpha, beta, threads,
                                         1024 if nt <= 8 else 256, args.min_time)
                    rows.append((label, f"Python LcgNet exported to ONNX, onnxruntime, {threads} thread(s)",
                                 r, None))
            if layers or (nt, nr) != (4, 4):
                batch = 1024 if nt <= 8 else 256
                r = numpy_lmmse_rate(y, h, nv, nt, nr, const, batch, args.min_time)
                rows.append((label.split(" Lcg")[0], f"batched numpy LMMSE (batch {batch})", r, None))
            rows.append((label, f"flops per detection: {flops:,.0f}", None, None))

    how = f"H changes every {args.hold} items" if args.order == "held" else \
        f"each H on {args.hold} items, in an OFDM frame's order (48 carriers)"
    print(f"cg_detector, LLR output, {how}, {os.cpu_count()} CPU(s), "
          f"1-minute load average {load_before:.2f} before / {os.getloadavg()[0]:.2f} after "
          f"(other processes share the CPUs with every figure); "
          f"numpy float32 1024x1024 matmul: {gemm / 1e9:.1f} GFLOP/s with 2 threads (the reference of "
          f"the last column), {gemm1 / 1e9:.1f} GFLOP/s with 1\n")
    print("| system | path | detections/s | GFLOP/s | of matmul |")
    print("|---|---|---:|---:|---:|")
    for system, path, r, fl in rows:
        rate = "" if r is None else f"{r:,.0f}"
        gf = "" if fl is None else f"{fl / 1e9:.2f}"
        frac = "" if fl is None else f"{fl / gemm:.1%}"
        print(f"| {system} | {path} | {rate} | {gf} | {frac} |")
    if kexe is None:
        print("\n(kernel alone: bench_cg_kernel not found; build with `make build` or pass --kernel-bench)")
    return 0

