# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rebuilding a trained model from a training checkpoint (the file the trainer writes).

A checkpoint is a torch.save of a plain dict, loaded with weights_only=True; the keys read
here are format, version, model_config, state_dict, active_layers and settings (the full
list, and the writer, are in neuralmimo.train.checkpoint).
"""
from __future__ import annotations

from pathlib import Path

import torch

FORMAT = "neuralmimo-train-checkpoint"
VERSION = 1


def load_checkpoint(path, map_location="cpu") -> dict:
    """-> checkpoint dict. ValueError naming the file when missing or not a training checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint: '{path}' not found")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # unpickling errors of many kinds: report them as one
        raise ValueError(f"checkpoint: '{path}' cannot be read as a torch checkpoint ({exc})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"checkpoint: '{path}' is not a neuralmimo training checkpoint")
    if ckpt.get("version") != VERSION:
        raise ValueError(f"checkpoint: '{path}' has version {ckpt.get('version')!r}, expected {VERSION}")
    return ckpt


def model_from_checkpoint(ckpt_or_path, device="cpu", deployed: bool = False):
    """Rebuild the trained module: from_config, load_state_dict, active_layers, settings;
    deployed=True also puts it in export_mode (computing what the exported graph computes).

    -> (module in eval mode on ``device``, checkpoint dict).
    """
    from . import FAMILIES

    ckpt = ckpt_or_path if isinstance(ckpt_or_path, dict) else load_checkpoint(ckpt_or_path)
    where = "checkpoint" if isinstance(ckpt_or_path, dict) else f"checkpoint '{ckpt_or_path}'"
    cfg = ckpt.get("model_config")
    if not isinstance(cfg, dict):
        raise ValueError(f"{where}: model_config is not a dict (got {type(cfg).__name__})")
    family = cfg.get("family")
    if not isinstance(family, str) or family not in FAMILIES:
        raise ValueError(f"{where}: family {family!r} is not one of {', '.join(FAMILIES)}")
    # The file's content is untrusted: a wrong type or a missing key anywhere in it is a bad
    # checkpoint (ValueError naming the file), not a crash of the caller.
    try:
        model = FAMILIES[family].from_config(cfg)
        model.load_state_dict(ckpt["state_dict"])
        model.active_layers = int(ckpt["active_layers"])
        model.apply_settings(**ckpt.get("settings", {}))
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, OverflowError) as exc:
        raise ValueError(f"{where}: cannot rebuild the model from it ({type(exc).__name__}: {exc})") from None
    if deployed:
        model.export_mode(True)
    return model.to(device).eval(), ckpt
