# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training checkpoints (torch.save of plain dicts; loaded with weights_only=True).

Keys of last.pt (written after every epoch) and final.pt (end of training):

    format, version               "neuralmimo-train-checkpoint", 1
    model_config, state_dict      rebuild with FAMILIES[family].from_config + load_state_dict
                                  (models.checkpoint.model_from_checkpoint)
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

# Reading a checkpoint back (and rebuilding its model) is the models layer's job; the names stay
# importable from here, beside the writer.
from ..models.checkpoint import FORMAT, VERSION, load_checkpoint, model_from_checkpoint

__all__ = ["FORMAT", "VERSION", "deployed_from_checkpoint", "load_checkpoint", "manifest_extra_from_checkpoint", "training_domain", "model_from_checkpoint",
           "save_checkpoint"]


def save_checkpoint(path, state: dict) -> Path:
    """Atomic write (temporary file + rename): a crash mid-write leaves the previous file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
    tmp.replace(path)
    return path


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


def training_domain(extra: dict) -> dict | None:
    """The export check's input domain: the model's training channel, convention and SNR span."""
    ranges = extra.get("training_snr_db") or []
    if not ranges or not extra.get("training_channel"):
        return None
    return {"channel": extra["training_channel"], "snr_convention": extra["snr_convention"],
            "snr_db": [min(r[0] for r in ranges), max(r[1] for r in ranges)]}


def deployed_from_checkpoint(path, settings: dict | None = None):
    """The module of a training checkpoint as the exporter takes it: in export mode, with model
    ``settings`` applied first (e.g. R-WeSNet's remove_layers)  ->  (module, manifest extra, ckpt).
    ValueError naming a bad setting."""
    module, ckpt = model_from_checkpoint(path)
    if settings:
        module.apply_settings(**settings)
    module.export_mode(True)          # after the settings, which may change what the graph computes
    return module, manifest_extra_from_checkpoint(ckpt, module), ckpt
