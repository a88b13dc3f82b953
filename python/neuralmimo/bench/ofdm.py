# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of the whole MIMO-OFDM receiver, in samples per second per channel.

For 2x2 and 4x4 16QAM (FFT 64, 52 carriers, 12 data symbols): a recorded-like stream of
simulated frames (TDL-A 30 ns at 20 MS/s, a new channel per frame, 45 dB) is replayed from memory through
    ofdm_rx -> detector -> frame_checker (CRC, BER)
with the C++ LMMSE block and with an ONNX LMMSE model (onnx_detector), and through
ofdm_rx alone (null sinks) to show where the time goes. Reference in the same run: the
sample rate a USRP configuration would stream (--rate, default 20 MS/s per channel).

    python -m neuralmimo.cli.bench ofdm [--samples 4000000] [--rate 20e6]
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from ..cli import args as cli


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


def run_chain(config, samples: np.ndarray, total: int, detector: str | None):
    """Samples/s through source -> ofdm_rx [-> detector -> frame_checker]; returns (rate, frames, crc failures)."""
    from gnuradio import blocks, gr

    import neuralmimo as nm

    tb = gr.top_block()
    src = blocks.vector_source_c(samples.ravel().tolist(), True, config.nr)
    head = blocks.head(gr.sizeof_gr_complex * config.nr, total)
    rx = nm.ofdm_rx(config)
    tb.connect(src, head, rx)
    chk = None
    if detector is None:
        for i, size in enumerate((config.nr, config.nr * config.nt, 1)):
            tb.connect((rx, i), blocks.null_sink(gr.sizeof_gr_complex * size if i < 2 else gr.sizeof_float))
    else:
        det = nm.detector_select(detector, config.nt, config.nr, config.constellation, "llr", batch=config.n_re)
        chk = nm.frame_checker(config)
        for i in range(3):
            tb.connect((rx, i), (det, i))
        tb.connect(det, chk)
    t0 = time.perf_counter()
    tb.run()
    dt = time.perf_counter() - t0
    return total / dt, (chk.frames() if chk else rx.frames_found()), (chk.crc_failures() if chk else 0)


def main(argv=None) -> int:
    ap = cli.parser("bench ofdm", __doc__)
    ap.add_argument("--samples", type=cli.positive_int, default=4_000_000, help="sample times through each flowgraph")
    ap.add_argument("--rate", type=cli.positive_float, default=20e6, help="USRP sample rate to compare with (S/s per channel)")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

    import neuralmimo as nm
    from ..export import export_detector
    from ..models import FAMILIES
    from ..phy.ofdm_rx import OfdmReceiver

    print(f"MIMO-OFDM receiver throughput, {os.cpu_count()} CPUs; reference: {args.rate / 1e6:g} MS/s per channel\n")
    head = f"{'system':>7} | {'stage':<48} | {'MS/s':>7} | {'x USRP rate':>11} | frames (CRC fail)"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for nt in (2, 4):
            cfg = nm.ofdm_config(nt=nt, nr=nt, gap=32)   # the gap holds the channel tail of each frame
            samples = simulated_stream(cfg)
            onnx = nm.model_path("lmmse_qam16_4x4.onnx") if nt == 4 else None
            if onnx is None:
                onnx = os.path.join(tmp, f"lmmse_qam16_{nt}x{nt}.onnx")
                export_detector(FAMILIES["lmmse"](nt, nt, "qam16"), onnx)
            rows = []
            for backend in ("numpy", "cpp"):
                rx = OfdmReceiver(cfg, backend=backend)
                t0 = time.perf_counter()
                n_fr = len(rx.push(samples))
                rows.append((f"OfdmReceiver.push, {backend} backend (no GNU Radio)",
                             len(samples) / (time.perf_counter() - t0), n_fr, 0))
            rows.append(("ofdm_rx -> null sinks", *run_chain(cfg, samples, args.samples, None)))
            rows.append(("ofdm_rx -> cpp:lmmse -> frame_checker", *run_chain(cfg, samples, args.samples, "cpp:lmmse")))
            rows.append(("ofdm_rx -> onnx LMMSE -> frame_checker", *run_chain(cfg, samples, args.samples, onnx)))
            # Longer frames: per-frame costs (sync search, tags, the checker's CRC) amortised.
            long_cfg = nm.ofdm_config(nt=nt, nr=nt, gap=32, n_data_symbols=96)
            rows.append(("same, 96 data symbols per frame (cpp:lmmse)",
                         *run_chain(long_cfg, simulated_stream(long_cfg, frames=8), args.samples, "cpp:lmmse")))
            for label, r, fr, bad in rows:
                print(f"{nt}x{nt:<5} | {label:<48} | {r / 1e6:>7.3f} | {r / args.rate:>11.3f} | {fr} ({bad})")
    print("\nMS/s: sample times per second (each carries one sample of every receive channel).")
    return 0

