# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""CSV and PNG output of evaluation rows."""
from __future__ import annotations

import csv
import math
from pathlib import Path

FIELDS = ["detector", "snr_db", "vectors", "bits", "bit_errors", "ber", "symbols", "symbol_errors",
          "ser", "nmse", "nmse_db", "bmi"]


def write_csv(rows: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FIELDS})
    return path


def plot_rows(rows: list[dict], path: str | Path, title: str = "") -> Path:
    """Figure of the panels with data among BLER (coded rows, eval/coded.py), SER, BER (log), NMSE (dB)
    and bitwise mutual information, against SNR."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    names = list(dict.fromkeys(r["detector"] for r in rows))

    def points(name, key, log):
        return [(r["snr_db"], r[key]) for r in rows if r["detector"] == name
                and isinstance(r.get(key), float) and not math.isnan(r[key]) and (not log or r[key] > 0)]

    panels = [(key, label, log) for key, label, log in
              (("bler", "BLER (coded)", True), ("ser", "SER", True), ("ber", "BER", True), ("nmse_db", "NMSE (dB)", False),
               ("bmi", "bitwise MI (bit/bit)", False))
              if any(points(n, key, log) for n in names)] or [("ser", "SER", True)]
    # Only panels with data: a harness run without LLRs or estimates has no BER / NMSE / MI curves.
    shape = {1: (1, 1), 2: (1, 2)}.get(len(panels), (2, 2))
    fig, axes = plt.subplots(*shape, figsize=(5.5 * shape[1], 4 * shape[0]), squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for ax, (key, label, log) in zip(axes.ravel(), panels):
        for name in names:
            pts = points(name, key, log)
            if pts:
                ax.plot(*zip(*pts), marker="o", label=name)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("SNR (dB)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
