# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hardware-free demo: the MIMO-OFDM link and the flat MIMO loopback, headless.

1. examples/ofdm_loopback.grc: numbered test frames -> 2-antenna OFDM transmitter -> 4 receive antennas:
   TDL-A multipath (300 ns), 10 kHz CFO, fractional timing offset, phase noise, AWGN ->
   Schmidl & Cox receiver with LS channel estimation -> three detectors side by side
   (C++ LMMSE block, K-best, ZF), each with a frame checker (CRC-32, BER).
2. examples/loopback_mimo.grc: random bits -> 16QAM -> 4x4 i.i.d. Rayleigh -> three LMMSE
   detectors (ONNX model, C++ block, Python) on the same samples.

    python -m neuralmimo.cli.demo [--snr 16 22 28] [--frames 60] [--vectors 40960] [--coding ldpc648]

--coding ldpc648 sends the OFDM frames LDPC-coded (802.11n (648, 324), phy/ofdm_coding.py): the
table then shows per detector the codeword error rate (BLER) and the decoded BER beside the
uncoded BER of the detector's hard decisions.

The demo checks what it states: in 1) every detector reports on every frame the receiver
passed on, in 2) every meter counted every bit sent and the three LMMSE BERs are equal within
the sampling tolerance. Exit status 1 when a check fails, 2 on a bad argument.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import time

from ..paths import example_path
from ..phy.ofdm_coding import CODINGS
from . import args as cli
from .grc_run import compile_grc, load_top_block

METERS = (("ber_onnx", "ONNX model (onnxruntime)"), ("ber_cpp", "C++ block"),
          ("ber_numpy", "nm.detector('lmmse')"))
OFDM_CHECKERS = ("check_a", "check_b", "check_c")

#: |z| bound of the two-proportion test of equal BERs: 0.1 % two-sided. The test treats the two
#: error counts as independent samples; the detectors see the same samples, so detectors that
#: compute the same LMMSE differ by far less than this allows, and a real difference (a lost
#: batch, a biased estimate) of a few tenths of a dB exceeds it at the demo's sample sizes.
Z_EQUAL_BER = 3.29


def ber_z(errors_a: int, errors_b: int, bits: int) -> float:
    """Two-proportion z statistic of error counts out of the same number of bits (0 when both are 0)."""
    p = (errors_a + errors_b) / (2 * bits)
    if p in (0.0, 1.0):
        return 0.0 if errors_a == errors_b else math.inf
    return (errors_a - errors_b) / bits / math.sqrt(2 * p * (1 - p) / bits)


def check_loopback(res: dict, bits_sent: int) -> list[str]:
    """The MIMO loopback's claims, {meter: (ber, errors, bits)} -> the failed ones (empty: all hold):
    each meter counted every bit sent, and each pair of BERs is equal within Z_EQUAL_BER."""
    failed = [f"{name} counted {bits} of the {bits_sent} bits sent"
              for name, (_, _, bits) in res.items() if bits != bits_sent]
    if failed:
        return failed
    names = list(res)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            z = ber_z(res[a][1], res[b][1], bits_sent)
            if abs(z) > Z_EQUAL_BER:
                failed.append(f"{a} {res[a][1]} against {b} {res[b][1]} errors in {bits_sent} bits "
                              f"(|z| = {abs(z):.1f} > {Z_EQUAL_BER})")
    return failed


def check_ofdm(summaries: dict, frames_sent: int) -> list[str]:
    """The OFDM table's claim, {detector: checker summary} -> the failed ones: every detector
    reports on the same frames (the receiver's, at most the frames sent) and the same bits."""
    failed = []
    counts = {name: (s["frames"], s["bits"]) for name, s in summaries.items()}
    if len(set(counts.values())) > 1:
        failed.append("the detectors saw different frames/bits: "
                      + ", ".join(f"{n} {f}/{b}" for n, (f, b) in counts.items()))
    failed += [f"{n} reports {f} frames of {frames_sent} sent" for n, (f, _) in counts.items() if f > frames_sent]
    return failed


def run_loopback(snr_db: float, vectors: int, seed: int = 1, workdir: str | None = None, module=None):
    """Run the flat MIMO loopback once; returns {meter: (ber, errors, bits)}, the module and the
    number of bits sent (vectors x the flowgraph's bits per vector)."""
    if module is None:
        module = load_top_block(compile_grc(example_path("loopback_mimo.grc"), workdir))
    tb = module.loopback_mimo(num_vectors=vectors, seed=seed, snr_db=snr_db)
    tb.run()
    return {name: (getattr(tb, name).ber(), getattr(tb, name).errors(), getattr(tb, name).bits())
            for name, _ in METERS}, module, vectors * int(tb.bits_per_vector)


def run_ofdm_loopback(snr_db: float, frames: int, workdir: str | None = None, module=None, **params):
    """Run examples/ofdm_loopback.grc once; returns the top block (read its checkers) and the module."""
    if module is None:
        module = load_top_block(compile_grc(example_path("ofdm_loopback.grc"), workdir))
    tb = module.ofdm_loopback(snr_db=snr_db, num_frames=frames, **params)
    tb.run()
    return tb, module


def _ofdm_table(snrs, frames, tmp, coding: str = "none") -> list[str]:
    coded = coding != "none"
    print("1) MIMO-OFDM link, examples/ofdm_loopback.grc: 2x4, 16QAM, FFT 64, 52 carriers, TDL-A 300 ns,")
    print(f"   CFO 10 kHz at 5 MS/s, timing offset 0.37 samples, phase noise 100 Hz; {frames} frames "
          "per SNR (4,608 bits each" + (", 7 LDPC (648, 324) codewords + 72 pad bits" if coded else "") + ")\n")
    module, rows = None, []
    for snr in snrs:
        t0 = time.perf_counter()
        tb, module = run_ofdm_loopback(snr, frames, tmp, module, coding=coding)
        rows.append((snr, tb, time.perf_counter() - t0))
    labels = [getattr(rows[0][1], f"detector_{k[-1]}") for k in OFDM_CHECKERS]
    width = 50 if coded else 24
    head = (f"{'SNR dB':>6} | {'rx SNR':>6} {'EVM dB':>6} | "
            + " | ".join(f"{lab:>{width}}" for lab in labels) + " | s")
    print(head)
    print("-" * len(head))
    failed = []
    for snr, tb, dt in rows:
        s0 = getattr(tb, OFDM_CHECKERS[0]).summary()
        cells = []
        for k in OFDM_CHECKERS:
            s = getattr(tb, k).summary()
            ok = s["frames"] - s["crc_failures"]
            cell = f"{ok:>3}/{s['frames']:<3} ok BER {s['ber']:.1e}"
            if coded:
                cell += f" BLER {s['bler']:.1e} uncoded {s['channel_ber']:.1e}"
            cells.append(cell.rjust(width))
        print(f"{snr:>6.1f} | {s0['snr_db']:>6.1f} {s0['evm_db']:>6.1f} | " + " | ".join(cells) + f" | {dt:.0f}")
        summaries = {f"{k} ({getattr(tb, f'detector_{k[-1]}')})": getattr(tb, k).summary() for k in OFDM_CHECKERS}
        failed += [f"OFDM {snr:g} dB: {f}" for f in check_ofdm(summaries, frames)]
    print("\n   rx SNR and EVM: the receiver's estimates per frame (mean); frames ok = CRC passed.")
    if coded:
        print("   BER: decoded information bits; BLER: codewords decoded wrong; uncoded: the detector's hard bits.")
    print("   check: every detector reported on the same frames: " + ("FAILED" if failed else "yes") + "\n")
    return failed


def _mimo_table(snrs, vectors, seed, tmp) -> list[str]:
    print("2) Flat MIMO loopback, examples/loopback_mimo.grc: 4x4, 16QAM, i.i.d. Rayleigh, new H per "
          f"vector; {vectors} vectors ({vectors * 16} bits) per SNR\n")
    module = None
    header = f"{'SNR dB':>7} | " + " | ".join(f"{label:>26}" for _, label in METERS) + " | s"
    print(header)
    print("-" * len(header))
    failed, worst = [], 0.0
    for snr in snrs:
        t0 = time.perf_counter()
        res, module, bits_sent = run_loopback(snr, vectors, seed, tmp, module)
        dt = time.perf_counter() - t0
        cells = " | ".join(f"{res[name][0]:>10.3e} ({res[name][1]:>6} err)".rjust(26) for name, _ in METERS)
        print(f"{snr:>7.1f} | {cells} | {dt:.0f}")
        problems = check_loopback(res, bits_sent)
        failed += [f"MIMO {snr:g} dB: {p}" for p in problems]
        if not problems:
            worst = max([worst] + [abs(ber_z(res[a][1], res[b][1], bits_sent)) for a, _ in METERS for b, _ in METERS])
    print("\n   Same samples through the three. Checked per SNR: every meter counted every bit sent, and each")
    print(f"   pair of BERs is equal within the sampling tolerance (two-proportion test, |z| <= {Z_EQUAL_BER}).")
    if failed:
        print("   FAILED: the three LMMSE detectors did not give the same result:")
        for f in failed:
            print(f"     {f}")
    else:
        print(f"   Holds (largest |z| {worst:.2f}): the ONNX graph and the C++ block compute the same LMMSE as")
        print("   the Python reference.")
    return failed


@cli.command("demo")
def main(argv=None) -> int:
    ap = cli.parser("demo", __doc__)
    ap.add_argument("--snr", type=cli.finite_float, nargs="+", default=[16.0, 22.0, 28.0],
                    help="OFDM link SNR points in dB per resource element (convention Nt/noise_var)")
    # 0 frames would mean "without end" to the flowgraph's frame source
    ap.add_argument("--frames", type=cli.positive_int, default=60, help="OFDM frames per SNR point")
    ap.add_argument("--mimo-snr", type=cli.finite_float, nargs="+", default=[10.0, 20.0],
                    help="flat MIMO loopback SNR points in dB")
    ap.add_argument("--vectors", type=cli.positive_int, default=40960,
                    help="flat MIMO loopback vectors per SNR point")
    ap.add_argument("--seed", type=cli.nonnegative_int, default=1)
    ap.add_argument("--coding", choices=CODINGS, default="none",
                    help="OFDM frame coding: none, or the 802.11n (648, 324) LDPC code")
    args = ap.parse_args(argv)
    # Keep GNU Radio's per-block info messages out of the tables.
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    print("gr-neuralmimo hardware-free demo\n")
    with tempfile.TemporaryDirectory() as tmp:
        failed = _ofdm_table(args.snr, args.frames, tmp, args.coding)
        failed += _mimo_table(args.mimo_snr, args.vectors, args.seed, tmp)
    if failed:
        print(f"demo: {len(failed)} check(s) failed; first: {failed[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
