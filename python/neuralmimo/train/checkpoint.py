# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training checkpoints (torch.save of plain dicts; loaded with weights_only=True).

Keys of last.pt (written after every epoch) and final.pt (end of training):

    format, version               "neuralmimo-train-checkpoint", 1
    model_config, state_dict      rebuild with FAMILIES[family].from_config + load_state_dict
    active_layers, settings       what the last stage ran with (settings: merged apply_settings kwargs)
    stage_index, epoch            last completed epoch (1-based) of stage stage_index (0-based)
    stage_done, finished          that stage ended (weights = its best); the whole schedule ended
    optimizer                     Adam state_dict of the current stage (None in final.pt)
    best_metric, best_state, bad_epochs   early-stopping state of the current stage
    rng                           torch CPU RNG and data generator states at the save, and the seed
                                  scheme (data is reseeded per epoch from (seed, rank, stage, epoch))
    history                       list of per-epoch log rows (plot.FIELDS)
    stages                        the schedule's stages as dicts
    config, config_hash           resolved config and its hash (config.TrainConfig.hash)
    training_snr_db               distinct training SNR ranges [lo, hi] of the stages run so far
    snr_convention, channel       from [data]
    world_size, torch_version
    ddp                           final.pt only: {"world_size", "rank_digests"} (sha256 of each rank's weights)
"""
from __future__ import annotations

from pathlib import Path

import torch

FORMAT = "neuralmimo-train-checkpoint"
VERSION = 1


def save_checkpoint(path, state: dict) -> Path:
    """Atomic write (temporary file + rename): a crash mid-write leaves the previous file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
    tmp.replace(path)
    return path


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
    from ..models import FAMILIES

    ckpt = ckpt_or_path if isinstance(ckpt_or_path, dict) else load_checkpoint(ckpt_or_path)
    cfg = ckpt["model_config"]
    family = cfg.get("family")
    if family not in FAMILIES:
        raise ValueError(f"checkpoint: family {family!r} is not one of {', '.join(FAMILIES)}")
    model = FAMILIES[family].from_config(cfg)
    model.load_state_dict(ckpt["state_dict"])
    model.active_layers = int(ckpt["active_layers"])
    model.apply_settings(**ckpt.get("settings", {}))
    if deployed:
        model.export_mode(True)
    return model.to(device).eval(), ckpt


def manifest_extra_from_checkpoint(ckpt: dict, model) -> dict:
    """Manifest keys of a trained model: training provenance + model.manifest_extra()."""
    best = [r["best_val_nmse_db"] for r in ckpt.get("history", []) if r.get("best_val_nmse_db") is not None]
    extra = {
        "training_config_hash": ckpt["config_hash"],
        "training_snr_db": ckpt["training_snr_db"],
        "snr_convention": ckpt["snr_convention"],
        "training_channel": ckpt.get("channel"),
        "training_config": ckpt["config"],
        "training_checkpoint": {"stage_index": ckpt["stage_index"], "epoch": ckpt["epoch"],
                                "finished": bool(ckpt.get("finished")),
                                "final_val_nmse_db": best[-1] if best else None},
        "active_layers": int(ckpt["active_layers"]),
        "settings": ckpt.get("settings", {}),
    }
    extra.update(model.manifest_extra())
    return extra
