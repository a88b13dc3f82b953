# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training schedules: a schedule turns the config's [schedule] table into a list of Stages.

Each stage trains one parameter group of the model at a fixed number of active
layers on SNRs drawn uniformly from its range, with Adam at
lr · lr_decay^(epoch − 1) in epoch 1, 2, ..., and stops once the validation NMSE
has not improved for ``patience`` epochs (or after ``max_epochs``); the weights
of its best epoch (or of its start, if no epoch improved on it) are kept.

Schedules (pluggable: ``@register_schedule("name")`` on a
``builder(keys: Keys, n_layers: int) -> list[Stage]``):

fixed      one stage.
stages     an explicit list, [[schedule.stages]] tables in the config.
layerwise  LcgNet's recipe (Section III-D, Fig. 3): SNR curriculum from high to
           low SNR and layer-by-layer growth; see :func:`layerwise`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

from .checks import Keys, boolean, integer, number, snr_range, string, table

#: name -> builder(keys, n_layers) -> list[Stage]
SCHEDULES: dict[str, Callable] = {}


@dataclass(frozen=True)
class Stage:
    """One training stage.

    name: label in logs; snr_db: (lo, hi) training SNR range in dB (per-sample
    uniform); active_layers: layers the model runs; group: parameter group
    trained (model.parameter_group); lr: initial learning rate; lr_decay: factor
    per epoch; max_epochs, patience: early stopping; settings: passed to
    model.apply_settings at the start of the stage (they persist into later
    stages unless those set them again); min_improvement_db: an epoch counts as
    an improvement when it lowers the best validation NMSE by more than this
    (0: any decrease, the paper's "stops decreasing").
    """

    name: str
    snr_db: tuple
    active_layers: int
    group: str = "all"
    lr: float = 1e-3
    lr_decay: float = 1.0
    max_epochs: int = 10
    patience: int = 1
    settings: dict = field(default_factory=dict)
    min_improvement_db: float = 0.0

    def lr_at(self, epoch: int) -> float:
        """Learning rate of epoch ``epoch`` (1-based)."""
        return self.lr * self.lr_decay ** (epoch - 1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["snr_db"] = list(self.snr_db)
        return d


def register_schedule(name: str):
    def deco(fn):
        SCHEDULES[name] = fn
        return fn
    return deco


def schedule_names() -> list[str]:
    return list(SCHEDULES)


def build_stages(schedule: dict, n_layers: int) -> list[Stage]:
    """schedule: the [schedule] table (with "name"); n_layers: the model's  ->  list of Stages.

    ValueError naming the key on unknown keys or bad values.
    """
    keys = Keys(schedule, "schedule")
    name = keys.get("name", Keys.REQUIRED, string)
    if name not in SCHEDULES:
        raise ValueError(f"schedule.name: {name!r} is not one of {', '.join(SCHEDULES)}")
    stages = SCHEDULES[name](keys, n_layers)
    keys.finish()
    if not stages:
        raise ValueError(f"schedule: '{name}' produced no stage")
    return stages


def snr_label(rng: tuple) -> str:
    lo, hi = rng
    return f"{lo:g}dB" if lo == hi else f"{lo:g}-{hi:g}dB"


def _layers(n_layers: int):
    return lambda where, v: _layer_count(where, v, n_layers)


def _layer_count(where: str, value, n_layers: int) -> int:
    v = integer(where, value, 1)
    if v > n_layers:
        raise ValueError(f"{where}: {v} is more than the model's n_layers = {n_layers}")
    return v


def _settings(where: str, value) -> dict:
    return dict(table(where, value))


def _stage_from(keys: Keys, n_layers: int, default_name: str, name_key: str) -> Stage:
    """The common stage keys of one table (fixed schedule, or one [[schedule.stages]] entry)."""
    return Stage(
        name=keys.get(name_key, default_name, string),
        snr_db=keys.get("snr_db", Keys.REQUIRED, snr_range),
        active_layers=keys.get("active_layers", n_layers, _layers(n_layers)),
        group=keys.get("group", "all", string),
        lr=keys.get("lr", 1e-3, lambda w, v: number(w, v, positive=True)),
        lr_decay=keys.get("lr_decay", 1.0, lambda w, v: number(w, v, positive=True)),
        max_epochs=keys.get("max_epochs", 10, lambda w, v: integer(w, v, 1)),
        patience=keys.get("patience", 2, lambda w, v: integer(w, v, 1)),
        settings=keys.get("settings", {}, _settings),
        min_improvement_db=keys.get("min_improvement_db", 0.0, lambda w, v: number(w, v, minimum=0.0)),
    )


@register_schedule("fixed")
def fixed(keys: Keys, n_layers: int) -> list[Stage]:
    """One stage. Keys: snr_db (required), active_layers, group, lr, lr_decay,
    max_epochs, patience, settings, min_improvement_db, stage_name."""
    return [_stage_from(keys, n_layers, "fixed", "stage_name")]


@register_schedule("stages")
def stages(keys: Keys, n_layers: int) -> list[Stage]:
    """[[schedule.stages]] tables, each with the keys of "fixed" (name instead of stage_name)."""
    entries = keys.get("stages", Keys.REQUIRED)
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"schedule.stages: {entries!r} is not a non-empty list of tables")
    out = []
    for i, entry in enumerate(entries):
        sub = Keys(entry, f"schedule.stages[{i}]")
        out.append(_stage_from(sub, n_layers, f"stage{i + 1}", "name"))
        sub.finish()
    return out


@register_schedule("layerwise")
def layerwise(keys: Keys, n_layers: int) -> list[Stage]:
    """LcgNet's training recipe (its Section III-D and Fig. 3; docs/papers.md, "LcgNet").

    Keys (defaults): snr_curriculum_db ([30, 25, 20, 15, 10, 5, 0]; each entry a
    number or a [lo, hi] range, trained in this order), layers (model n_layers),
    lr_last (1e-3), decay_last (1.0), lr_all (5e-4), decay_all (0.5: halved every
    epoch), max_epochs (50), patience (1: stop as soon as the validation NMSE
    stops decreasing), min_improvement_db (0.0), grow_at_every_level (false),
    settings ({}: applied in every stage).

    At the first SNR level, for l = 1..layers: stage "L<l>-last" trains only
    layer l (group "last") with layers 1..l−1 frozen, lr_last; stage "L<l>-all"
    fine-tunes all l layers (group "all"), lr_all decayed by decay_all per epoch.
    At each later level: one "all" fine-tuning stage of the full network, or,
    with grow_at_every_level = true, the whole growth again.

    Why growth only at the first level by default: the paper says "for each SNR
    level, we train the proposed network with the same strategy" (Section III-D),
    and its Fig. 3 draws the train/fine-tune sequence under both SNRs, but it never
    says whether the later levels start again from one layer or continue from
    the grown network (docs/papers.md, "LcgNet", curriculum). Layer-wise growth exists to
    initialise each new layer well and to expose the 1..L-layer networks; at a
    later level every layer is already trained, so re-running "train the newest
    layer alone" with the others frozen mostly repeats the fine-tuning, at about
    twice the stage count per level (2L instead of 1: 14L stages for the paper's
    seven levels). Set grow_at_every_level = true for the literal reading.
    """
    levels = keys.get("snr_curriculum_db", [30, 25, 20, 15, 10, 5, 0])
    if not isinstance(levels, list) or not levels:
        raise ValueError(f"schedule.snr_curriculum_db: {levels!r} is not a non-empty list")
    ranges = [snr_range(f"schedule.snr_curriculum_db[{i}]", v) for i, v in enumerate(levels)]
    n = keys.get("layers", n_layers, _layers(n_layers))
    positive = lambda w, v: number(w, v, positive=True)
    lr_last = keys.get("lr_last", 1e-3, positive)
    decay_last = keys.get("decay_last", 1.0, positive)
    lr_all = keys.get("lr_all", 5e-4, positive)
    decay_all = keys.get("decay_all", 0.5, positive)
    max_epochs = keys.get("max_epochs", 50, lambda w, v: integer(w, v, 1))
    patience = keys.get("patience", 1, lambda w, v: integer(w, v, 1))
    min_db = keys.get("min_improvement_db", 0.0, lambda w, v: number(w, v, minimum=0.0))
    every = keys.get("grow_at_every_level", False, boolean)
    settings = keys.get("settings", {}, _settings)

    out: list[Stage] = []
    for level, rng in enumerate(ranges):
        tag = snr_label(rng)
        if level == 0 or every:
            for l in range(1, n + 1):
                out.append(Stage(f"{tag}-L{l}-last", rng, l, "last", lr_last, decay_last, max_epochs,
                                 patience, dict(settings), min_db))
                out.append(Stage(f"{tag}-L{l}-all", rng, l, "all", lr_all, decay_all, max_epochs,
                                 patience, dict(settings), min_db))
        else:
            out.append(Stage(f"{tag}-L{n}-all", rng, n, "all", lr_all, decay_all, max_epochs,
                             patience, dict(settings), min_db))
    return out
