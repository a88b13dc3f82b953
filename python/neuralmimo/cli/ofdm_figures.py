# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints the receiver figures of docs/results.md ("MIMO-OFDM radio link"), measured on the
set-ups of tests/test_ofdm.py (same seeds), where the tests only assert bounds.

    python -m neuralmimo.cli.ofdm_figures [--backend auto|numpy|cpp]

LS channel-estimate error over its expected value, noise-variance ratio, CFO estimate errors
up to the stated limit, SNR estimate, per-stream against common phase tracking.
"""
from __future__ import annotations

import sys

import numpy as np

from ..phy.ofdm import OfdmTransmitter, ofdm_config
from ..phy.ofdm_bits import test_payload
from ..phy.ofdm_channel import OfdmChannelSim
from ..phy.ofdm_rx import OfdmReceiver
from . import args as cli

FS = 5e6


def _link(c, frames, snr_db, backend, tx_drift=0.0, tracking="per_stream", **channel):
    tx = OfdmTransmitter(c)
    lead = 150
    x = np.concatenate([np.zeros((lead, c.nt), np.complex64)] + [tx.frame(test_payload(c, n)) for n in range(frames)])
    if tx_drift:           # antenna 1 on its own oscillator, tx_drift subcarrier spacings off
        x[:, 1] *= np.exp(2j * np.pi * tx_drift * np.arange(len(x)) / c.fft_len).astype(np.complex64)
    ch = OfdmChannelSim(c.nt, c.nr, sample_rate=FS, snr_db=snr_db, **channel)
    y = ch.process(np.concatenate([x, np.zeros((200, c.nt), np.complex64)]))
    rx = OfdmReceiver(c, tracking=tracking, backend=backend)
    return rx.push(y), ch, lead + np.arange(frames) * c.frame_len


@cli.command("ofdm_figures")
def main(argv=None) -> int:
    ap = cli.parser("ofdm_figures", __doc__)
    ap.add_argument("--backend", default="auto", choices=("auto", "numpy", "cpp"))
    args = ap.parse_args(argv)

    c = ofdm_config(nt=2, nr=2, gap=30)
    frames, ch, starts = _link(c, 20, 20.0, args.backend, profile="A", delay_spread=200e-9, timing_offset=0.41,
                               seed=5)
    err = n = 0
    for f, s in zip(frames, starts):
        h_true = ch.freq_response(c.fft_len, c.used_carriers, delay=f.fft_start - (s + c.cp_len))
        common = np.exp(-1j * np.angle(np.vdot(h_true, f.h_est)))
        err += np.sum(np.abs(f.h_est * common - h_true) ** 2)
        n += h_true.size
    print(f"receiver backend: {OfdmReceiver(c, backend=args.backend).backend}")
    print(f"LS estimate, 2x2, 20 dB, TDL-A 200 ns, 20 frames: E|H^-H|^2 / (sigma^2/R) = "
          f"{err / n / (ch.noise_var / c.ltf_repeats):.3f} over {n} entries; "
          f"mean sigma^2 estimate / sigma^2 = {np.mean([f.noise_var for f in frames]) / ch.noise_var:.3f}")

    c4 = ofdm_config(nt=2, nr=4, gap=40)
    for cfo in (-0.8, -0.3, 0.45, 0.8):
        frames, _, _ = _link(c4, 5, 30.0, args.backend, profile="A", delay_spread=100e-9,
                             cfo_hz=cfo * FS / c4.fft_len, seed=9)
        print(f"CFO {cfo:+.2f} spacings, 2x4, 30 dB: {len(frames)} frames, largest estimate error "
              f"{max(abs(f.cfo - cfo) for f in frames):.2e} spacings")

    c = ofdm_config(nt=2, nr=2, gap=10)
    frames, ch, _ = _link(c, 12, 22.0, args.backend, profile="flat", seed=4)
    true = np.mean(np.sum(np.abs(ch.freq_response(c.fft_len, c.used_carriers)) ** 2, axis=2)) / ch.noise_var
    print(f"SNR estimate, 2x2 flat, 22 dB, 12 frames: {np.mean([f.snr_db for f in frames]):.2f} dB "
          f"(true {10 * np.log10(true):.2f} dB)")

    c = ofdm_config(nt=2, nr=4, gap=20)
    evm = {}
    for tracking in ("per_stream", "common"):
        frames, _, _ = _link(c, 6, 35.0, args.backend, tx_drift=0.002, tracking=tracking, profile="A",
                             delay_spread=100e-9, seed=6)
        evm[tracking] = 20 * np.log10(np.mean([f.evm for f in frames]))
    print(f"phase tracking, antenna 1 0.002 spacings off, 2x4, 35 dB: EVM {evm['per_stream']:.1f} dB "
          f"per stream, {evm['common']:.1f} dB common phase only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
