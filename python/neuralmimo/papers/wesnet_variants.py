# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WeSNet study's trained variants: name -> overrides of train/configs/wesnet_30x60_bpsk.toml,
trained (or reused) under runs/reproduce/<name> (papers/common.py)."""
from __future__ import annotations

from pathlib import Path

from .common import train_or_reuse

CONFIG = "wesnet_30x60_bpsk.toml"
#: R-WeSNet's penalty (eq. 29): λ and the first penalised layer l; neither is given in the paper (WA7).
PENALTY, PENALTY_START = 1.0, 1
#: Layers removed from the 30-layer R-WeSNet: the paper's 10/20/30/40 of 90 layers, scaled to 30.
REMOVED = (3, 7, 10, 13)

VARIANTS = {
    "detnet": {},
    **{f"wesnet_{tag}{p}": {"model.profile": prof, "model.keep": p / 100}
       for tag, prof in (("l", "linear"), ("hf", "half_exp")) for p in (20, 50, 100)},
    # between L-20 % and L-50 %: the width where the cost goal (≤ 0.5x DetNet's MACs) is met
    "wesnet_l40": {"model.profile": "linear", "model.keep": 0.4},
    "wesnet_hf10": {"model.profile": "half_exp", "model.keep": 0.1},
    # R-WeSNet on the paper's HF-50 % and on L-50 % (the linear profile keeps the auxiliary path alive)
    **{f"r_wesnet_{tag}50": {"model.profile": prof, "model.keep": 0.5, "model.penalty": PENALTY,
                             "model.penalty_start": PENALTY_START}
       for tag, prof in (("hf", "half_exp"), ("l", "linear"))},
    **{f"l_wesnet_hf{p}": {"model.profile": "half_exp", "model.keep": p / 100, "model.learned_profile": True}
       for p in (20, 50)},
}


def variant_checkpoint(name: str, progress: bool, retrain: bool = False) -> Path:
    """runs/reproduce/wesnet_30x60/<name>/final.pt, trained when missing."""
    return train_or_reuse(f"wesnet_30x60/{name}", CONFIG, VARIANTS[name], progress, retrain)
