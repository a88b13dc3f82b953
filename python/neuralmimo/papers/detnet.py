# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WeSNet paper's DetNet setting: classical baselines (no training)."""
from __future__ import annotations

from pathlib import Path

from .common import crossing_rows, eval_named
from .study import Row, study


@study("detnet-baselines", "wesnet")
def detnet_baselines(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    """DetNet/WeSNet setting: 30x60 BPSK, i.i.d. Rayleigh, DetNet's per-sample SNR (WeSNet Sec. VI-A,
    Table III). The text gives no baseline BER, only WeSNet-10 % gains at BER 1e-3: 1.68 dB over ZF and
    0.79 dB over MMSE (Sec. VI-C, Fig. 5), hence a ZF-to-MMSE gap of 0.89 dB at BER 1e-3."""
    from ..eval import plot_rows, write_csv
    from ..phy.channels import make_channel

    rows = eval_named([("zf", "zf", {}), ("lmmse", "lmmse", {}), ("wl-lmmse", "wl-lmmse", {})],
                      make_channel("rayleigh", 60, 30), 30, 60, "bpsk", list(range(0, 16, 1)), "detnet",
                      1000, 400_000, 1, progress)
    write_csv(rows, out / "detnet_30x60_bpsk.csv")
    plot_rows(rows, out / "detnet_30x60_bpsk.png", "30x60 BPSK, i.i.d. Rayleigh, SNR convention detnet")
    s, table = crossing_rows(rows, "ber", 1e-3, {"zf": ("ZF", "not stated"), "lmmse": ("LMMSE", "not stated"),
                                                  "wl-lmmse": ("WL-LMMSE", "not stated")})
    return table + [("ZF minus LMMSE at BER 1e-3 (dB)", f"{s['zf'] - s['lmmse']:.2f}",
                     "0.89 (1.68 − 0.79, Sec. VI-C)")]
