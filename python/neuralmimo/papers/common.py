# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers the paper studies share: a Monte-Carlo run of named detectors, a CSV
writer for free-form rows, and the reuse-or-train path of the training studies."""
from __future__ import annotations

import csv
import math
from pathlib import Path

#: where the training studies keep their runs (reused when finished)
RUNS = Path("runs") / "reproduce"


def eval_named(dets, channel, nt: int, nr: int, const: str, snrs, conv: str, target: int, max_vec: int,
               seed: int, progress: bool) -> list[dict]:
    """Monte-Carlo rows (eval.run_eval) of classical detectors given as (label, name, kwargs)."""
    import neuralmimo as nm
    from ..eval import EvalConfig, run_eval

    detectors = {label: nm.detector(name, constellation=const, **kw) for label, name, kw in dets}
    cfg = EvalConfig(nt=nt, nr=nr, constellation=const, snr_db=snrs, convention=conv,
                     target_errors=target, max_vectors=max_vec, batch=4096, seed=seed)
    return run_eval(detectors, channel, cfg, progress=progress)


def crossing_rows(rows: list[dict], metric: str, target: float, labels: dict) -> tuple[dict, list]:
    """SNR (dB) where each detector's ``metric`` crosses ``target`` (log-interpolated), and one table
    row per detector; labels: {detector: (display name, paper's value)}  ->  ({detector: dB}, rows)."""
    from ..eval.crossing import snr_at

    s = {d: snr_at(rows, d, metric, target) for d in labels}
    at = f"{metric.upper()} 1e{round(math.log10(target))}"  # targets are powers of ten: "BER 1e-3"
    return s, [(f"SNR at {at}, {name} (dB)", f"{s[d]:.2f}", paper) for d, (name, paper) in labels.items()]


def write_table(rows: list[dict], path: Path) -> None:
    """rows with any (shared) keys -> CSV with the first row's keys as header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def training_config(config: str, overrides: dict, out: Path):
    """train/configs/<config> with ``overrides`` {"section.key" or "section": value} (a whole-section
    value replaces the table, e.g. "schedule": {"name": "stages", "stages": [...]}), writing to
    ``out``  ->  the validated TrainConfig (ValueError naming the bad setting)."""
    from ..train import CONFIG_DIR, load_config

    sets = [(key.split("."), value) for key, value in {**overrides, "train.out": str(out)}.items()]
    return load_config(Path(CONFIG_DIR) / config, sets)


def train_or_reuse(name: str, config: str, overrides: dict, progress: bool, retrain: bool = False) -> Path:
    """The final checkpoint of runs/reproduce/<name>: reused when that run finished, otherwise
    trained from ``training_config(config, overrides)`` (continued from its last.pt when there is
    one). retrain: start afresh."""
    from ..train import Trainer

    out = RUNS / name
    final = out / "final.pt"
    if final.is_file() and not retrain:
        return final
    cfg = training_config(config, overrides, out)
    resume = (out / "last.pt").is_file() and not retrain
    result = Trainer(cfg, quiet=not progress).fit(resume=resume, overwrite=retrain)
    if not result.finished:
        raise RuntimeError(f"training {name} stopped before the end of its schedule")
    return result.final


def torch_detector(path: Path, widen_to: int | None = None):
    """A checkpoint as a detector in torch, as trained (not the export form: OAMPNet's export form
    unrolls its inverse, which is exact but slow in torch). widen_to: accept Nt up to this, beyond
    the trained range, to measure extrapolation (a deployed detector refuses an Nt outside it)."""
    from ..detectors.torch_model import TorchModelDetector
    from ..models.checkpoint import model_from_checkpoint

    module, _ = model_from_checkpoint(path)
    if widen_to is not None:
        module.nt = max(module.nt, int(widen_to))
    return TorchModelDetector(module)
