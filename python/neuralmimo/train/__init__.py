# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training: TOML configs, on-the-fly data from phy/, schedules, the shared trainer, DDP.

    from neuralmimo.train import load_config, Trainer
    result = Trainer(load_config("python/neuralmimo/train/configs/toy.toml")).fit()

Command line: ``python -m neuralmimo.cli.train <config.toml> ...`` (see cli/train.py).
Never imports gnuradio (runs on training machines without it).
"""
from pathlib import Path

from .checkpoint import load_checkpoint, model_from_checkpoint
from .config import TrainConfig, config_from_dict, load_config
from .schedules import SCHEDULES, Stage, build_stages, register_schedule
from .trainer import Trainer, TrainResult

#: Directory of the shipped training configs (configs/<family>.toml).
CONFIG_DIR = Path(__file__).resolve().parent / "configs"

__all__ = ["CONFIG_DIR", "SCHEDULES", "Stage", "TrainConfig", "TrainResult", "Trainer", "build_stages",
           "config_from_dict", "load_checkpoint", "load_config", "model_from_checkpoint",
           "register_schedule"]
