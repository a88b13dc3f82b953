# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training logs: history rows -> CSV, and a loss / validation-metric PNG.

A history row is one epoch of one stage (epoch 0 = the stage's starting point,
validated before any step; its train_loss is empty).
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

FIELDS = ["stage_index", "stage", "epoch", "active_layers", "group", "snr_db", "lr", "train_loss",
          "val_nmse_db", "val_ber", "best_val_nmse_db", "elapsed_s"]


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "/".join(f"{x:g}" for x in v)
    return v


def write_csv(history: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for row in history:
            w.writerow({k: _cell(row.get(k)) for k in FIELDS})
    tmp.replace(path)
    return path


def plot_history(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Train loss (log) and validation NMSE (dB), plus validation BER when present, against
    the epoch count over all stages; dotted lines mark stage starts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    xs = list(range(len(history)))
    has_ber = any(isinstance(r.get("val_ber"), float) and r["val_ber"] > 0 for r in history)
    fig, axes = plt.subplots(1, 3 if has_ber else 2, figsize=(15 if has_ber else 10, 4))

    def series(key, positive=False):
        pts = [(x, r[key]) for x, r in zip(xs, history) if isinstance(r.get(key), float)
               and not math.isnan(r[key]) and (not positive or r[key] > 0)]
        return [p[0] for p in pts], [p[1] for p in pts]

    panels = [("train_loss", "train loss", True), ("val_nmse_db", "validation NMSE (dB)", False)]
    if has_ber:
        panels.append(("val_ber", "validation BER", True))
    starts = [x for x, r in zip(xs, history) if r.get("epoch") == 0]
    for ax, (key, label, log) in zip(axes, panels):
        px, py = series(key, positive=log)
        ax.plot(px, py, marker=".")
        if log and py:
            ax.set_yscale("log")
        for s in starts:
            ax.axvline(s, color="0.8", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch (all stages; dotted: stage start)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
