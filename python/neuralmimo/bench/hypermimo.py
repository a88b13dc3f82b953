# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost of HyperMIMO (models/hypermimo.py), all in one run:

  - parameters of the shipped models beside the paper's derived 15,224 (CLAIMS 4.1);
  - the per-channel MMNet's online training (models/mmnet.OnlineMmNet, T = 10, `--online-steps`
    Adam steps of 500 vectors: the baseline HyperMIMO replaces) against one hypernetwork pass
    (the channel graph in onnxruntime, per channel at batch 1 and at `--hold-channels` channels per
    call, an OFDM symbol's carriers);
  - detections/s of the whole graph per item against the per-H / per-y split path with H held
    for `--hold` items (12: one OFDM frame's data symbols on a carrier), in bare onnxruntime
    (the detector's run_raw) and in the onnx_detector block in a flowgraph, observation stage in
    onnxruntime ("onnx") and in the C++ MMNet kernel ("cpp", when the compiled module has it);
    the ratios to the whole graph are of the same run;
  - the OFDM link at the link model's size (2x4 16QAM, bench/ofdm.py's stream of TDL-A frames):
    sample times/s through ofdm_rx -> detector -> frame_checker with cpp:lmmse, the whole graph
    and the split path (the receiver emits a frame's REs symbol by symbol; one carrier's H is
    the same for the frame's 12 data symbols).

    python -m neuralmimo.cli.bench hypermimo [--hold 12] [--batch 1024] [--items 120000]
        [--online-steps 500] [--reps 5] [--models models/a.onnx,models/b.onnx] [--no-flowgraph]
        [--ofdm-samples 400000]
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np

from ..cli import args as cli
from .common import make_system

MODELS = ("hypermimo_qpsk_12x6.onnx", "hypermimo_qam16_2x4.onnx")
#: The paper's hypernetwork size derived in CLAIMS 4.1 (43 inputs: R_A's 21 entries, re and im, and σ).
PAPER_PARAMS = 15_224


def engines() -> tuple:
    try:
        from .. import neuralmimo_python as cpp
    except ImportError:
        return ("onnx",)
    return ("onnx", "cpp") if hasattr(cpp, "mmnet_kernel") else ("onnx",)


def median_rate(fn, n_items: int, reps: int) -> float:
    fn()                                                             # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n_items / statistics.median(times)


def online_training_cost(nt: int, nr: int, const: str, steps: int, channels: int) -> dict:
    """Seconds per channel of OnlineMmNet.fit (batch 500): one channel alone and `channels` side by side."""
    import torch

    from ..models.mmnet import OnlineMmNet
    from ..phy.constellation import constellation

    out = {}
    for c in (1, channels):
        h = torch.complex(torch.randn(c, nr, nt), torch.randn(c, nr, nt)) / np.sqrt(2 * nt)
        model = OnlineMmNet(h, constellation(const), layers=10)
        t0 = time.perf_counter()
        with torch.enable_grad():
            model.fit(steps=steps, batch=500, snr_db=(8.0, 20.0), generator=torch.Generator().manual_seed(0))
        out[c] = (time.perf_counter() - t0) / c
    return out


def measure(path: str, hold: int, batch: int, items: int, reps: int, online_steps: int, hold_channels: int,
            flowgraph: bool, threads: int = 1) -> dict:
    import neuralmimo as nm
    from ..detectors.onnx_model import OnnxDetector
    from ..export.graph_cost import graph_cost

    whole = OnnxDetector(path, threads=threads)
    nt, nr, const = whole.nt, whole.nr, whole.constellation.name
    k = whole.constellation.bits_per_symbol
    rng = np.random.default_rng(3)
    y, h, nv = make_system(rng, nt, nr, const, max(batch, items), hold, nt / 10 ** 1.5)
    feeds = (y[:batch].view(np.float32).reshape(batch, nr, 2), h[:batch].view(np.float32).reshape(batch, nr, nt, 2),
             nv[:batch])
    r = {"model": os.path.basename(path), "size": f"{nt}x{nr} {const}",
         "params": whole.manifest.get("parameters", graph_cost(path, batch=1).float_params)}
    r["ort"] = {"whole": median_rate(lambda: whole.run_raw(*feeds), batch, reps)}
    for e in engines():
        det = OnnxDetector(path, threads=threads, split=e)

        def run(d=det):
            d.split.reset()                                          # every rep pays its channel stages
            d.run_raw(*feeds)
        r["ort"][e] = median_rate(run, batch, reps)
    # one hypernetwork pass (the channel graph, the same in every engine) per channel, at batch 1 and hold_channels
    chan = det.split.channel_session
    for b in (1, hold_channels):
        hb = np.ascontiguousarray(feeds[1][:1].repeat(b, 0))
        nb = np.ascontiguousarray(feeds[2][:1].repeat(b, 0))
        r[f"hyper_s_{b}"] = 1.0 / median_rate(lambda: chan.run(None, {"h": hb, "noise_var": nb}), b, max(reps, 20))
    r["online_s"] = online_training_cost(nt, nr, const, online_steps, hold_channels)
    r["block"] = {}
    if flowgraph:
        from .blocks import flowgraph_rate

        n = max(items - items % batch, batch)
        for mode in ("whole",) + engines():
            split = "off" if mode == "whole" else mode
            r["block"][mode] = flowgraph_rate(
                lambda s=split: nm.onnx_detector(path, nt, nr, const, "llr", threads=threads, batch=batch, split=s),
                y, h, nv, n, np.float32, nt * k)
    return r


def ofdm_chain(model: str, samples: int) -> list:
    """(detector, sample times/s, frames, CRC failures) through the 2x4 OFDM receiver chain."""
    import neuralmimo as nm
    from .ofdm import run_chain, simulated_stream

    cfg = nm.ofdm_config(nt=2, nr=4, gap=32)
    stream = simulated_stream(cfg)
    return [(d, *run_chain(cfg, stream, samples, d)) for d in
            ["cpp:lmmse", model] + [f"{model}:split={e}" for e in engines()]]


def report(rs: list, hold: int, hold_channels: int, online_steps: int) -> str:
    lines = [f"## HyperMIMO cost (H held for {hold} items; ratios to the whole graph, same run)", "",
             "| model | trained parameters (paper 15,224) | path | ORT det/s | × whole | block det/s | × whole |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in rs:
        for mode, rate in r["ort"].items():
            blk = r["block"].get(mode)
            b0 = r["block"].get("whole")
            lines.append(f"| {r['model']} ({r['size']}) | {r['params']:,} | {mode} | {rate:,.0f} | "
                         f"{rate / r['ort']['whole']:.2f} | {'-' if blk is None else f'{blk:,.0f}'} | "
                         f"{'-' if blk is None or not b0 else f'{blk / b0:.2f}'} |")
    lines += ["", f"| model | online MMNet training per channel ({online_steps} steps × 500), 1 channel | "
                  f"same, {hold_channels} side by side | hypernetwork pass per channel, batch 1 | "
                  f"batch {hold_channels} | online / hypernetwork (batch 1) |", "|---|---:|---:|---:|---:|---:|"]
    for r in rs:
        on = r["online_s"]
        one, many = on[1], on[max(on)]
        lines.append(f"| {r['model']} | {one:.2f} s | {many:.3f} s | {r['hyper_s_1'] * 1e6:.0f} µs | "
                     f"{r[f'hyper_s_{hold_channels}'] * 1e6:.1f} µs | {one / r['hyper_s_1']:,.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = cli.parser("bench hypermimo", __doc__)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated .onnx files or shipped names")
    ap.add_argument("--hold", type=cli.positive_int, default=12, help="items per channel (OFDM data symbols)")
    ap.add_argument("--hold-channels", type=cli.positive_int, default=52, help="channels per hypernetwork call")
    ap.add_argument("--batch", type=cli.positive_int, default=1024)
    ap.add_argument("--items", type=cli.positive_int, default=120_000, help="items through each flowgraph")
    ap.add_argument("--reps", type=cli.positive_int, default=5)
    ap.add_argument("--online-steps", type=cli.positive_int, default=500)
    ap.add_argument("--no-flowgraph", action="store_true", help="skip the block measurements (no GNU Radio)")
    ap.add_argument("--ofdm-samples", type=cli.positive_int, default=400_000,
                    help="sample times through the OFDM chain per detector")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    from ..paths import model_path

    rs = [measure(model_path(m.strip()), args.hold, args.batch, args.items, args.reps, args.online_steps,
                  args.hold_channels, not args.no_flowgraph) for m in args.models.split(",")]
    print(report(rs, args.hold, args.hold_channels, args.online_steps))
    if not args.no_flowgraph:
        rows = ofdm_chain(model_path(MODELS[1]), args.ofdm_samples)
        base = rows[0][1]
        print("\n| OFDM 2x4 16QAM: ofdm_rx -> detector -> frame_checker | sample times/s | × cpp:lmmse | frames (CRC fail) |")
        print("|---|---:|---:|---|")
        for d, rate, frames, bad in rows:
            print(f"| {os.path.basename(d)} | {rate:,.0f} | {rate / base:.3f} | {frames} ({bad}) |")
    return 0


__all__ = ["measure", "report", "main", "PAPER_PARAMS"]
