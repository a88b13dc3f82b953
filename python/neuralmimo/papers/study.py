# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry of paper studies: a name, the paper, the function that runs it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

#: one row of a study's table: (what is measured, measured value, the paper's value and where it is stated)
Row = tuple[str, str, str]


@dataclass(frozen=True)
class Study:
    """run(out, progress, retrain) writes <out>/<name>.csv and .png files and returns the table rows.
    trains: the study trains networks (reused from runs/reproduce/ unless retrain)."""
    name: str
    paper: str
    run: Callable[[Path, bool, bool], list[Row]]
    trains: bool = False


STUDIES: dict[str, Study] = {}


def study(name: str, paper: str, trains: bool = False):
    """Register the decorated ``fn(out: Path, progress: bool, retrain: bool) -> list[Row]``."""
    def register(fn):
        if name in STUDIES:
            raise ValueError(f"study: '{name}' registered twice")
        STUDIES[name] = Study(name, paper, fn, trains)
        return fn
    return register
