# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real-time throughput of the whole MIMO-OFDM receiver, in samples per second per channel.

A recorded-like stream of simulated frames (FFT 64, 52 carriers, 12 data symbols, gap 32; TDL-A
30 ns at 20 MS/s, a new channel per frame, 45 dB) is replayed from memory through

    ofdm_rx -> detector -> frame_checker (CRC, BER)

for every detector a link of that size can run: the C++ LMMSE and CG blocks, the classical CG,
the ONNX LMMSE and every shipped neural model whose Nt x Nr and constellation an OFDM link has
(2x2, 2x4 and 4x4 16QAM, 2x2 64QAM). Each chain runs with the real-time levers off, then added one
at a time (the factor of each is the ratio of neighbouring columns, same run):

    off        per-stream phase tracking (h differs per data symbol), whole ONNX graph, every
               frame compared with its regenerated payload (the behaviour before the levers)
    tracking   ofdm_rx(tracking="common"): one phase per symbol, removed from y, so h is the
               carrier's Ĥ for the whole frame and detectors set up one filter per carrier
               (C++: detect_items groups items by channel; ONNX split: one channel stage)
    verify     frame_checker(verify="crc"): a CRC-passing uncoded frame counts as sent
    split      the model's per-channel / per-observation graphs (manifest "split"; HyperMIMO's
               observation stage in C++), where the model has them

Also ofdm_rx alone (null sinks) and the receiver kernel without GNU Radio. --levers off runs the
first column only (what an older checkout can run: `make bench` there with this file).

    python -m neuralmimo.cli.bench ofdm [--samples 4000000] [--slow-samples 600000] [--rate 20e6]
"""
from __future__ import annotations

import inspect
import json
import os
import tempfile
import time

import numpy as np

from ..cli import args as cli

LEVERS = ("off", "tracking", "verify", "split")

#: (Nt, Nr, constellation, detectors): a detector is "cpp:lmmse"-style spec, a classical name, or a
#: shipped model's file name (models/); "lmmse.onnx" is the LMMSE exported for the system's size.
SYSTEMS = (
    (2, 2, "qam16", ("cpp:lmmse", "cpp:cg", "cg", "lmmse.onnx", "wesnet_qam16_2x2.onnx")),
    (4, 4, "qam16", ("cpp:lmmse", "cpp:cg", "cg", "lmmse_qam16_4x4.onnx", "lcgnetv_qam16_4x4.onnx",
                     "remimo_qam16_4x4.onnx", "eqnet_qam16_4x4.onnx")),
    (2, 4, "qam16", ("cpp:lmmse", "hypermimo_qam16_2x4.onnx")),
    (2, 2, "qam64", ("cpp:lmmse", "eqnet_qam64_2x2.onnx")),
)


def simulated_stream(config, frames: int = 40, snr_db: float = 45.0, seed: int = 5) -> np.ndarray:
    from ..phy.ofdm import OfdmTransmitter
    from ..phy.ofdm_bits import test_payload
    from ..phy.ofdm_channel import OfdmChannelSim

    tx = OfdmTransmitter(config)
    out = []
    for n in range(frames):            # a new channel per frame, as a moving radio would see
        ch = OfdmChannelSim(config.nt, config.nr, sample_rate=20e6, snr_db=snr_db, profile="A",
                            delay_spread=30e-9, seed=seed + n)
        out.append(ch.process(tx.frame(test_payload(config, n))))
    return np.concatenate(out)


def _accepts(fn, name: str) -> bool:
    return name in inspect.signature(fn).parameters


def run_chain(config, samples: np.ndarray, total: int, detector: str | None, levers=()):
    """Samples/s through source -> ofdm_rx [-> detector -> frame_checker] with `levers` (LEVERS
    names) on; returns (rate, frames, crc failures)."""
    from gnuradio import blocks, gr

    import neuralmimo as nm

    tb = gr.top_block()
    src = blocks.vector_source_c(samples.ravel().tolist(), True, config.nr)
    head = blocks.head(gr.sizeof_gr_complex * config.nr, total)
    rx = nm.ofdm_rx(config, tracking="common") if "tracking" in levers else nm.ofdm_rx(config)
    tb.connect(src, head, rx)
    chk = None
    if detector is None:
        for i, size in enumerate((config.nr, config.nr * config.nt, 1)):
            tb.connect((rx, i), blocks.null_sink(gr.sizeof_gr_complex * size if i < 2 else gr.sizeof_float))
    else:
        det = nm.detector_select(detector, config.nt, config.nr, config.constellation, "llr", batch=config.n_re)
        kw = {}
        if _accepts(nm.frame_checker.__init__, "verify"):
            kw["verify"] = "crc" if "verify" in levers else "payload"
        chk = nm.frame_checker(config, **kw)
        for i in range(3):
            tb.connect((rx, i), (det, i))
        tb.connect(det, chk)
    t0 = time.perf_counter()
    tb.run()
    dt = time.perf_counter() - t0
    return total / dt, (chk.frames() if chk else rx.frames_found()), (chk.crc_failures() if chk else 0)


def _detector_spec(name: str, nt: int, nr: int, const: str, tmp: str) -> tuple[str, str | None]:
    """(whole-graph spec, split spec or None) of a SYSTEMS detector entry."""
    import neuralmimo as nm

    if not name.endswith(".onnx"):
        return name, None
    if name == "lmmse.onnx":
        from ..export import export_detector
        from ..models import FAMILIES

        path = os.path.join(tmp, f"lmmse_{const}_{nt}x{nr}.onnx")
        if not os.path.exists(path):
            export_detector(FAMILIES["lmmse"](nt, nr, const), path)
    else:
        path = str(nm.model_path(name))
    with open(os.path.splitext(path)[0] + ".json") as f:
        manifest = json.load(f)
    if "split" not in manifest:
        return path, None
    return path, f"{path}:split={'cpp' if manifest['family'] == 'hypermimo' else 'onnx'}"


def main(argv=None) -> int:
    ap = cli.parser("bench ofdm", __doc__)
    ap.add_argument("--samples", type=cli.positive_int, default=4_000_000,
                    help="sample times through each flowgraph with a C++ detector")
    ap.add_argument("--slow-samples", type=cli.positive_int, default=600_000,
                    help="sample times through each flowgraph with a Python or ONNX detector")
    ap.add_argument("--rate", type=cli.positive_float, default=20e6, help="USRP sample rate to compare with (S/s per channel)")
    ap.add_argument("--levers", choices=("all", "off"), default="all", help="'off': the first column only")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    import neuralmimo as nm
    from ..phy.ofdm_rx import OfdmReceiver

    cols = LEVERS if args.levers == "all" else LEVERS[:1]
    print(f"MIMO-OFDM receiver throughput, {os.cpu_count()} CPUs; MS/s = sample times per second per "
          f"channel; reference {args.rate / 1e6:g} MS/s\n")
    print("| system | path | " + " | ".join(f"{c} MS/s" for c in cols) + " | data RE/s (last) | × rate | frames (CRC fail) |")
    print("|---|---|" + "---:|" * len(cols) + "---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for nt, nr, const, detectors in SYSTEMS:
            cfg = nm.ofdm_config(nt=nt, nr=nr, constellation=const, gap=32)   # the gap holds the channel tail
            samples = simulated_stream(cfg)
            name = f"{nt}×{nr} {const}"
            re_per_sample = cfg.n_re / cfg.frame_len
            rx = OfdmReceiver(cfg, backend="cpp")
            t0 = time.perf_counter()
            rx.push(samples)
            r = len(samples) / (time.perf_counter() - t0)
            print(f"| {name} | receiver kernel, no GNU Radio | {r / 1e6:.2f} |" + " |" * (len(cols) - 1)
                  + f" {r * re_per_sample / 1e6:.2f} M | {r / args.rate:.3f} | |")
            r, fr, bad = run_chain(cfg, samples, args.samples, None)
            print(f"| {name} | ofdm_rx → null sinks | {r / 1e6:.2f} |" + " |" * (len(cols) - 1)
                  + f" {r * re_per_sample / 1e6:.2f} M | {r / args.rate:.3f} | {fr} |")
            for det in detectors:
                whole, split = _detector_spec(det, nt, nr, const, tmp)
                total = args.samples if det.startswith("cpp:") else args.slow_samples
                rates, levers = [], []
                for col in cols:
                    if col != "off":
                        levers.append(col)
                    if col == "split" and split is None:
                        rates.append(None)
                        continue
                    spec = split if "split" in levers and split else whole
                    r, fr, bad = run_chain(cfg, samples, total, spec, levers if args.levers == "all" else ())
                    rates.append(r)
                last = next(r for r in reversed(rates) if r is not None)
                label = det if det.startswith("cpp:") or not det.endswith(".onnx") else os.path.basename(whole)
                cells = " | ".join("–" if r is None else f"{r / 1e6:.3f}" for r in rates)
                print(f"| {name} | {label} | {cells} | {last * re_per_sample / 1e6:.3f} M | "
                      f"{last / args.rate:.3f} | {fr} ({bad}) |", flush=True)
    print("\ndata RE/s: resource elements (detections) per second of the last column: MS/s × n_re / frame_len"
          " (576 per 1,392 samples at Nt = 2, 576 per 1,712 at Nt = 4).")
    return 0
