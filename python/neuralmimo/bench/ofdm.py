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
    checker    frame_checker's C++ streaming half (engine "cpp"; the Python block before), its
               counting done by a status poll every 0.5 s, as a live receiver's status line does
    split      the model's per-channel / per-observation graphs in onnxruntime (manifest "split"),
               where the model has them
    cpp        "model.onnx:split=cpp": LcgNet in the C++ CG block with its learned steps, the LMMSE
               model in the C++ LMMSE block, HyperMIMO's observation stage in the C++ MMNet kernel

Also ofdm_rx alone (null sinks), the receiver kernel without GNU Radio, onnxruntime alone on each
model (its ceiling), and what one stream hop of y and of Ĥ per RE costs. --levers off runs the
first column only (what an older checkout can run: `make bench` there with this file).

    python -m neuralmimo.cli.bench ofdm [--samples 4000000] [--slow-samples 600000] [--rate 20e6] [--repeat 2]
    python -m neuralmimo.cli.bench ofdm --goal-runs 10      (the goal rows, ten runs each)
"""
from __future__ import annotations

import inspect
import os
import tempfile
import threading
import time

import numpy as np

from ..cli import args as cli

LEVERS = ("off", "tracking", "verify", "checker", "split", "cpp")

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


def _status_poll(chk, done: threading.Event, period: float = 0.5) -> None:
    """What a live receiver's status line does: read the checker's counters every `period` s."""
    while chk is not None and not done.wait(period):
        chk.frames()


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
        if _accepts(nm.frame_checker, "verify"):
            kw["verify"] = "crc" if "verify" in levers else "payload"
        if _accepts(nm.frame_checker, "engine"):
            kw["engine"] = "cpp" if "checker" in levers else "python"
        chk = nm.frame_checker(config, **kw)
        for i in range(3):
            tb.connect((rx, i), (det, i))
        tb.connect(det, chk)
    done = threading.Event()
    poll = threading.Thread(target=_status_poll, args=(chk, done), daemon=True)
    t0 = time.perf_counter()
    poll.start()
    tb.run()            # the checker's last frames are counted when the flowgraph stops, inside
    dt = time.perf_counter() - t0
    done.set()
    poll.join()
    return total / dt, (chk.frames() if chk else rx.frames_found()), (chk.crc_failures() if chk else 0)


def _detector_spec(name: str, nt: int, nr: int, const: str, tmp: str) -> dict:
    """{"off": whole-graph spec, "split": split=onnx spec, "cpp": split=cpp spec} of a SYSTEMS
    detector entry (the last two where the model has them)."""
    import neuralmimo as nm

    if not name.endswith(".onnx"):
        return {"off": name}
    if name == "lmmse.onnx":
        from ..export import export_detector
        from ..models import FAMILIES

        path = os.path.join(tmp, f"lmmse_{const}_{nt}x{nr}.onnx")
        if not os.path.exists(path):
            export_detector(FAMILIES["lmmse"](nt, nr, const), path)
    else:
        path = str(nm.model_path(name))
    from ..blocks.detector_select import has_cpp_path
    from ..manifest import read_manifest

    manifest = read_manifest(path)
    specs = {"off": path}
    if "split" in manifest:
        specs["split"] = f"{path}:split=onnx"
    if has_cpp_path(manifest):
        specs["cpp"] = f"{path}:split=cpp"
    return specs


def stream_hop_ns(vlen: int, items: int = 2_000_000) -> float:
    """CPU ns per item of one stream hop of complex[vlen] items: source -> head -> copy -> null sink
    (three hops: the source's write, head's and copy's) over 3. What carrying Ĥ per RE costs
    (vlen Nr·Nt) against y (vlen Nr) on the receiver's stream."""
    from gnuradio import blocks, gr

    tb = gr.top_block()
    size = gr.sizeof_gr_complex * vlen
    src = blocks.vector_source_c(np.zeros(vlen * 4096, np.complex64).tolist(), True, vlen)
    tb.connect(src, blocks.head(size, items), blocks.copy(size), blocks.null_sink(size))
    c0 = time.process_time()
    tb.run()
    return (time.process_time() - c0) / items / 3 * 1e9


def bare_rate(path: str, frame) -> float:
    """Detections/s of onnxruntime alone on the whole graph, one frame's REs (y, Ĥ, σ̂² of a received
    frame) per call: the ceiling of the model's chain, whatever the blocks around it do."""
    from ..detectors.onnx_model import OnnxDetector
    from .common import rate

    det = OnnxDetector(path)
    n = len(frame.y)
    y = np.ascontiguousarray(frame.y).view(np.float32).reshape(n, -1, 2)
    h = np.ascontiguousarray(frame.h).view(np.float32).reshape(n, frame.h.shape[1], frame.h.shape[2], 2)
    nv = np.full(n, frame.noise_var, np.float32)
    return rate(lambda: det.run_raw(y, h, nv), n, min_time=0.5)


GOAL_ROWS = ((2, 2, "cpp:lmmse"), (4, 4, "cpp:lmmse"), (2, 4, "hypermimo_qam16_2x4.onnx:split=cpp"))


def goal_rows(runs: int, samples: int) -> int:
    """MS/s of the issue's goal chains with every lever, `runs` times each (the spread of a shared
    machine is large: the median says more than one run)."""
    import statistics

    import neuralmimo as nm

    for nt, nr, spec in GOAL_ROWS:
        cfg = nm.ofdm_config(nt=nt, nr=nr, gap=32)
        stream = simulated_stream(cfg)
        full = spec if spec.startswith("cpp:") else f"{nm.model_path(spec.split(':')[0])}:{spec.split(':')[1]}"
        total = samples if spec.startswith("cpp:") else samples // 4
        rates = sorted(run_chain(cfg, stream, total, full, LEVERS[1:])[0] / 1e6 for _ in range(runs))
        print(f"{nt}x{nr} {spec}: " + ", ".join(f"{r:.2f}" for r in rates)
              + f" MS/s; median {statistics.median(rates):.2f}", flush=True)
    return 0


def main(argv=None) -> int:
    ap = cli.parser("bench ofdm", __doc__)
    ap.add_argument("--samples", type=cli.positive_int, default=4_000_000,
                    help="sample times through each flowgraph with a C++ detector")
    ap.add_argument("--slow-samples", type=cli.positive_int, default=600_000,
                    help="sample times through each flowgraph with a Python or ONNX detector")
    ap.add_argument("--rate", type=cli.positive_float, default=20e6, help="USRP sample rate to compare with (S/s per channel)")
    ap.add_argument("--levers", choices=("all", "off"), default="all", help="'off': the first column only")
    ap.add_argument("--repeat", type=cli.positive_int, default=2,
                    help="runs per cell, the fastest reported (a shared machine's noise only slows a run)")
    ap.add_argument("--goal-runs", type=cli.positive_int, default=None,
                    help="instead of the table: the goal rows (cpp:lmmse 2x2 and 4x4, HyperMIMO 2x4 split=cpp, "
                         "every lever) this many times each, sorted, with the median")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    if args.goal_runs:
        return goal_rows(args.goal_runs, args.samples)

    import neuralmimo as nm
    from ..phy.ofdm_rx import OfdmReceiver

    cols = LEVERS if args.levers == "all" else LEVERS[:1]
    print(f"MIMO-OFDM receiver throughput, {os.cpu_count()} CPUs; MS/s = sample times per second per "
          f"channel; reference {args.rate / 1e6:g} MS/s\n")
    print("| system | path | " + " | ".join(f"{c} MS/s" for c in cols)
          + " | data RE/s (last) | × rate | bare onnxruntime RE/s | frames (CRC fail) |")
    print("|---|---|" + "---:|" * len(cols) + "---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for nt, nr, const, detectors in SYSTEMS:
            cfg = nm.ofdm_config(nt=nt, nr=nr, constellation=const, gap=32)   # the gap holds the channel tail
            samples = simulated_stream(cfg)
            name = f"{nt}×{nr} {const}"
            re_per_sample = cfg.n_re / cfg.frame_len
            rx = OfdmReceiver(cfg, backend="cpp")
            t0 = time.perf_counter()
            frames = rx.push(samples)
            r = len(samples) / (time.perf_counter() - t0)
            print(f"| {name} | receiver kernel, no GNU Radio | {r / 1e6:.2f} |" + " |" * (len(cols) - 1)
                  + f" {r * re_per_sample / 1e6:.2f} M | {r / args.rate:.3f} | | |")
            r, fr, bad = max(run_chain(cfg, samples, args.samples, None) for _ in range(args.repeat))
            print(f"| {name} | ofdm_rx → null sinks | {r / 1e6:.2f} |" + " |" * (len(cols) - 1)
                  + f" {r * re_per_sample / 1e6:.2f} M | {r / args.rate:.3f} | | {fr} |")
            for det in detectors:
                specs = _detector_spec(det, nt, nr, const, tmp)
                whole = specs["off"]
                rates, levers = [], []
                for col in cols:
                    if col != "off":
                        levers.append(col)
                    if col in ("split", "cpp") and col not in specs:
                        rates.append(None)
                        continue
                    spec = specs[col] if col in ("split", "cpp") else whole
                    fast = det.startswith("cpp:") or col == "cpp"
                    runs = [run_chain(cfg, samples, args.samples if fast else args.slow_samples, spec,
                                      levers if args.levers == "all" else ()) for _ in range(args.repeat)]
                    r, fr, bad = max(runs)
                    rates.append(r)
                last = next(r for r in reversed(rates) if r is not None)
                label = det if det.startswith("cpp:") or not det.endswith(".onnx") else os.path.basename(whole)
                cells = " | ".join("–" if r is None else f"{r / 1e6:.3f}" for r in rates)
                bare = f"{bare_rate(whole, frames[0]) / 1e6:.3f} M" if whole.endswith(".onnx") else ""
                print(f"| {name} | {label} | {cells} | {last * re_per_sample / 1e6:.3f} M | "
                      f"{last / args.rate:.3f} | {bare} | {fr} ({bad}) |", flush=True)
    print("\nStream traffic per data RE (the contract carries Ĥ per RE beside y): CPU per stream hop, and the"
          f" share of one core the h stream's hop takes at {args.rate / 1e6:g} MS/s\n")
    print("| system | y bytes/RE | h bytes/RE | y hop ns | h hop ns | REs/s at the rate | h hop, cores |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for nt, nr in ((2, 2), (4, 4)):
        cfg = nm.ofdm_config(nt=nt, nr=nr, gap=32)
        re_rate = args.rate * cfg.n_re / cfg.frame_len
        y_ns, h_ns = stream_hop_ns(nr), stream_hop_ns(nr * nt)
        print(f"| {nt}×{nr} | {8 * nr} | {8 * nr * nt} | {y_ns:.1f} | {h_ns:.1f} | {re_rate / 1e6:.2f} M | "
              f"{h_ns * 1e-9 * re_rate:.2f} |")
    print("\ndata RE/s: resource elements (detections) per second of the last column: MS/s × n_re / frame_len"
          " (576 per 1,392 samples at Nt = 2, 576 per 1,712 at Nt = 4).")
    return 0
