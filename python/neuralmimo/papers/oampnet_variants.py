# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RE-MIMO study's trained OAMPNet baselines: name -> overrides of
train/configs/oampnet_64_qam16.toml (OAMPNet-2, Nt = 16, Nr = 64, 16QAM, i.i.d.), trained (or
reused) under runs/reproduce/remimo_64/<name> (papers/common.py).

oampnet_*   OAMPNet (variant "1": γ, θ per layer);  oampnet2_*  OAMPNet-2 (variant "2": γ, θ, φ, ξ)
*_iid_*     i.i.d. CN(0, 1/Nr);  *_corr_*  Kronecker, ρ ∈ [0.55, 0.75];  *_partial_*  partially
            correlated, ρ ∈ [0.65, 0.85] (ρ triangular, drawn per batch: RE-MIMO's Section V-A)
*_16, *_32  Nt, with the RE-MIMO authors' SNR range [Nt·5/16 + 6, Nt·5/16 + 16] dB
"""
from __future__ import annotations

from pathlib import Path

from .common import RUNS, train_or_reuse

CONFIG = "oampnet_64_qam16.toml"
#: the study's directory under runs/reproduce/
STUDY = "remimo_64"
CHANNELS = {"iid": "rayleigh:var=1/nr",
            "corr": "remimo:rho_min=0.55,rho_max=0.75",
            "partial": "remimo:rho_min=0.65,rho_max=0.85,partial"}


def snr_range_db(nt: int) -> list:
    """The RE-MIMO authors' training SNR range at Nt users: [Nt·5/16 + 6, Nt·5/16 + 16] dB."""
    return [nt * 5 / 16 + 6, nt * 5 / 16 + 16]


def _overrides(variant: str, channel: str, nt: int) -> dict:
    return {"model.variant": variant, "data.channel": CHANNELS[channel], "data.nt": nt,
            "schedule.snr_db": snr_range_db(nt)}


VARIANTS = {
    **{f"oampnet_iid_{nt}": _overrides("1", "iid", nt) for nt in (16, 32)},
    **{f"oampnet2_{ch}_{nt}": _overrides("2", ch, nt) for ch in ("iid", "corr", "partial") for nt in (16, 32)},
}


def run_dir(name: str) -> Path:
    """runs/reproduce/remimo_64/<name>."""
    if name not in VARIANTS:
        raise KeyError(f"{name!r} is not one of {', '.join(VARIANTS)}")
    return RUNS / STUDY / name


def variant_checkpoint(name: str, progress: bool, retrain: bool = False) -> Path:
    """runs/reproduce/remimo_64/<name>/final.pt, trained when missing."""
    run_dir(name)
    return train_or_reuse(f"{STUDY}/{name}", CONFIG, VARIANTS[name], progress, retrain)


def train_missing(progress: bool = False, names=None) -> dict:
    """Train every variant (or ``names``) without a finished run, one after the other
    -> {name: final checkpoint}."""
    return {name: variant_checkpoint(name, progress) for name in (names or VARIANTS)}
