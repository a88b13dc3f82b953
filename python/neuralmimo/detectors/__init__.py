# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Detectors behind one interface: nm.detector(name or model.onnx, ...)."""
from __future__ import annotations

from pathlib import Path

from .base import Detector, DetectorOutput
from .amp import Amp, Oamp
from .cg import ConjugateGradient
from .kbest import KBest
from .linear import Lmmse, WidelyLinearLmmse, ZeroForcing
from .ml import MaximumLikelihood, MaximumLikelihoodMaxlog
from .sic import MmseSic, Vblast

_CLASSICAL = {cls.name: cls for cls in (ZeroForcing, Lmmse, WidelyLinearLmmse, MaximumLikelihood,
                                         MaximumLikelihoodMaxlog, ConjugateGradient, MmseSic, Vblast,
                                         KBest, Amp, Oamp)}


def detector_names() -> list[str]:
    """Every name nm.detector accepts (a path to an .onnx model is accepted too)."""
    return sorted(_CLASSICAL)


def detector(name, **kwargs) -> Detector:
    """A detector by name ("zf", "lmmse", "ml", ...), from an ONNX file ("models/x.onnx") or from a
    training checkpoint ("runs/x/final.pt", run in torch).

    kwargs go to the detector: constellation= for classical ones; threads=,
    provider= (and optional nt=, nr=, constellation= checks) for ONNX models.
    """
    if isinstance(name, Path) or (isinstance(name, str) and name.lower().endswith(".onnx")):
        from .onnx_model import OnnxDetector

        return OnnxDetector(name, **kwargs)
    if isinstance(name, str) and name.lower().endswith(".pt"):
        from .torch_model import TorchModelDetector, load_checkpoint_module

        return TorchModelDetector(load_checkpoint_module(name), **kwargs)
    if not isinstance(name, str):
        raise ValueError(f"name: expected a detector name or an .onnx path, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in _CLASSICAL:
        raise ValueError(f"name: '{name}' is not a detector; known: {', '.join(detector_names())} "
                         "or a path to an .onnx model")
    try:
        return _CLASSICAL[key](**kwargs)
    except TypeError as exc:
        raise ValueError(f"{key}: {exc}") from exc


__all__ = ["Detector", "DetectorOutput", "detector", "detector_names"]
