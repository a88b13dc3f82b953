# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detectors of the contract tests (tests/test_detector_contract.py,
tests/test_detector_hostile_inputs.py): the Case table (every name of nm.detector_names(), every
shipped ONNX model, and a training checkpoint), its pytest parameters, and the fixtures that
build a case's detector (case; the checkpoint case uses conftest's toy_checkpoint).

What a detector cannot do is declared on the case (a model has a fixed (Nt, Nr) and computes in
float32) or on the detector (allows_more_streams_than_antennas), never skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

import neuralmimo as nm

@dataclass(frozen=True)
class Case:
    """One detector of the contract.

    make(constellation) -> detector; a model ignores the argument (its constellation is fixed).
    fixed: (Nt, Nr, constellation) of a model, None for a detector that takes any system.
    double: complex128 input is computed and returned in double precision (else float32 always).
    outputs: the DetectorOutput fields the detector fills besides symbols.
    """

    id: str
    make: Callable[[str], object]
    fixed: tuple | None = None
    double: bool = True
    outputs: tuple = ("llr", "estimate")


def _classical(name: str) -> Case:
    return Case(name, lambda const: nm.detector(name, constellation=const))


def _shipped_models() -> list[Path]:
    models = sorted(Path(nm.model_path("lmmse_qam16_4x4.onnx")).parent.glob("*.onnx"))
    assert len(models) >= 4, models
    return models


def _onnx(path: Path) -> Case:
    det = nm.detector(str(path))
    return Case(path.name, lambda const: nm.detector(str(path)), (det.nt, det.nr, det.constellation.name),
                double=False, outputs=tuple(det.manifest["outputs"]))


CHECKPOINT = "checkpoint"
CLASSICAL = [_classical(name) for name in nm.detector_names()]
MODELS = [_onnx(p) for p in _shipped_models()]


def _params(with_checkpoint=True):
    out = [pytest.param(case.id, id=case.id) for case in CLASSICAL + MODELS]
    if with_checkpoint:
        out.append(pytest.param(CHECKPOINT, id=CHECKPOINT))
    return out


@pytest.fixture
def case(request) -> Case:
    if request.param == CHECKPOINT:
        path = request.getfixturevalue("toy_checkpoint")
        det = nm.detector(str(path))
        return Case(CHECKPOINT, lambda const: nm.detector(str(path)),
                    (det.module.nt, det.module.nr, det.constellation.name), outputs=tuple(det.module.outputs))
    return next(c for c in CLASSICAL + MODELS if c.id == request.param)


def system_of(case: Case, const="qpsk", nt=3, nr=6):
    """(detector, constellation, Nt, Nr): a model's own system, else the given one."""
    if case.fixed is not None:
        nt, nr, const = case.fixed
    return case.make(const), nm.constellation(const), nt, nr


def redraw(case: Case, det):
    """The detector for one of several calls whose answers a test compares: det itself, or for a
    detector that draws random numbers (Detector.deterministic False: SIC with a random order) a
    new one built as det was, whose first call draws what det's first call drew (same seed). Only
    calls with the same batch size then see the same draws."""
    if getattr(det, "deterministic", True):
        return det
    return case.make(det.constellation.name)
