# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Latency of EQ-Net and its baselines like the EQ-Net paper's Tables 1–2: `python -m neuralmimo.cli.bench eqnet`.

For 2x2 64-QAM (Table 2) and 4x4 16-QAM (Table 1), in one run, one thread, milliseconds per whole
batch at batch 1, 16 and a large batch (the paper's GPU batch 8192, here on the CPU), median of
``--reps`` timed calls after a warm-up:
  - EQ-Net (L) estimation (f_E then g_Q, the detector graph), its quantisation encoder f_Q and
    decoder g_Q (the codec graphs), each in onnxruntime (models exported with random weights into
    a temporary folder: latency does not depend on the weights);
  - the C++ soft-bit quantiser and dequantiser (neuralmimo_python.softbit_quant, codebook mode, one
    codebook per latent feature, 6 bits) on the batch's latents, when the compiled module is there;
  - the classical soft-bit sources: MMSE-SIC (the paper's, QR of [H; σI], random order,
    "mmse-sic-qr"), ordered MMSE-SIC ("mmse-sic"), LMMSE, and exact ML at 2x2, through nm.detector.
Ratios to MMSE-SIC (the paper's fastest soft-bit source) are of the same run.

    python -m neuralmimo.cli.bench eqnet [--reps 20] [--large 8192]
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ..cli import args as cli

#: (label, nt, nr, constellation): Table 2 and Table 1 of the paper
SYSTEMS = (("2x2 64-QAM", 2, 2, "qam64"), ("4x4 16-QAM", 4, 4, "qam16"))
#: the paper's latencies (ms per batch, CPU B = 1 / B = 16 / GPU B = 8192), Tables 1–2
PAPER = {("2x2 64-QAM", "EQ-Net (L) estimation"): "1.511 / 1.767 / 6.523 (GPU)",
         ("2x2 64-QAM", "MMSE-SIC (paper's)"): "0.603 / 0.831 / 7.907 (GPU)",
         ("4x4 16-QAM", "EQ-Net (L) estimation"): "1.807 / 2.256 / 9.107 (GPU)",
         ("4x4 16-QAM", "MMSE-SIC (paper's)"): "0.839 / 1.109 / 8.248 (GPU)"}


def median_ms(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def export_random(nt: int, nr: int, const: str, folder: Path) -> tuple:
    """EQ-Net (L) at the paper's widths with random weights, exported with its codec -> (model path,
    module)."""
    import torch

    from ..export.onnx_export import export_detector
    from ..models.eqnet import EqNet

    torch.manual_seed(0)
    module = EqNet(nt, nr, const, codebook_bits=(6,), codebook_samples=1).eval()
    path = folder / f"eqnet_{const}_{nt}x{nr}.onnx"
    export_detector(module, path)
    return path, module


def system_rows(label, nt, nr, const, batches, reps, folder) -> list[tuple]:
    import onnxruntime as ort
    import torch

    import neuralmimo as nm
    from ..export.codec import codec_paths
    from ..export.onnx_export import random_inputs
    from ..phy.constellation import constellation

    path, module = export_random(nt, nr, const, folder)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = lambda p: ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
    det, (enc, dec) = sess(path), (sess(p) for p in codec_paths(path))
    k = constellation(const).bits_per_symbol
    try:
        from .. import neuralmimo_python as cpp
        rng = np.random.default_rng(1)
        levels = np.sort(rng.uniform(-1, 1, (module.latent, 64)), axis=1).astype(np.float32)
        thr = (0.5 * (levels[:, 1:] + levels[:, :-1])).astype(np.float32)
        kernel = cpp.softbit_quant(module.latent, 6, "codebook", 1.0, thr.ravel().tolist(), levels.ravel().tolist())
    except (ImportError, AttributeError):
        kernel = None
    classical = {"MMSE-SIC (paper's)": "mmse-sic-qr", "MMSE-SIC (ordered)": "mmse-sic", "LMMSE": "lmmse"}
    if constellation(const).order ** nt <= 4096:
        classical["exact ML"] = "ml"
    rows = []
    for b in batches:
        y, h, nv = random_inputs(nt, nr, constellation(const), b, 3)
        feed = {"y": y.numpy(), "h": h.numpy(), "noise_var": nv.numpy()}
        llr = (4 * np.random.default_rng(2).standard_normal((b, nt, k))).astype(np.float32)
        z = np.tanh(np.random.default_rng(3).standard_normal((b, module.latent))).astype(np.float32)
        t = {"EQ-Net (L) estimation": median_ms(lambda: det.run(["llr"], feed), reps),
             "EQ-Net encoder f_Q": median_ms(lambda: enc.run(["latent"], {"llr": llr}), reps),
             "EQ-Net decoder g_Q": median_ms(lambda: dec.run(["llr"], {"latent": z}), reps)}
        if kernel is not None:
            packed = kernel.quantize(z)
            t["C++ quantiser (6 bits × latent)"] = median_ms(lambda: kernel.quantize(z), reps)
            t["C++ dequantiser"] = median_ms(lambda: kernel.dequantize(packed), reps)
        yc, hc = torch.complex(y[..., 0], y[..., 1]), torch.complex(h[..., 0], h[..., 1])
        for name, spec in classical.items():
            d = nm.detector(spec, constellation=const)
            t[name] = median_ms(lambda: d(yc, hc, nv), max(3, reps // 4) if b > 1000 else reps)
        for name, ms in t.items():
            rows.append((label, name, b, ms, ms / t["MMSE-SIC (paper's)"]))
    return rows


@cli.command("bench eqnet")
def main(argv=None) -> int:
    p = cli.parser("bench eqnet", __doc__)
    p.add_argument("--reps", type=int, default=20, help="timed calls per measurement (median)")
    p.add_argument("--large", type=int, default=8192, help="the large batch (the paper's GPU batch)")
    a = p.parse_args(argv)
    if a.reps < 1 or a.large < 1:
        raise ValueError(f"--reps, --large: must be >= 1, got {a.reps}, {a.large}")
    batches = (1, 16, a.large)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [r for s in SYSTEMS for r in system_rows(*s, batches, a.reps, Path(tmp))]
    print("| system | chain | batch | ms per batch | µs per vector | / MMSE-SIC | paper (ms, B = 1 / 16 / 8192) |")
    print("|---|---|---|---|---|---|---|")
    for label, name, b, ms, ratio in rows:
        paper = PAPER.get((label, name), "") if b == 1 else ""
        print(f"| {label} | {name} | {b} | {ms:.3f} | {1e3 * ms / b:.2f} | {ratio:.2f} | {paper} |")
    return 0
