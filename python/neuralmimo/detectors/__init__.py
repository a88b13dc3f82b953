# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classical detectors and the adapters of trained ones (ONNX file, torch module), one interface.

Build them by spec with nm.detector (neuralmimo.registry), which also takes .onnx and .pt paths.
"""
from __future__ import annotations

from .base import Detector, DetectorOutput
from .amp import Amp, Oamp
from .cg import ConjugateGradient
from .kbest import KBest
from .linear import Lmmse, WidelyLinearLmmse, ZeroForcing
from .ml import MaximumLikelihood, MaximumLikelihoodMaxlog
from .sic import MmseSic, MmseSicQr, Vblast, ZfSicQr

#: Classical detector name -> class: what nm.detector(name) builds.
CLASSICAL = {cls.name: cls for cls in (ZeroForcing, Lmmse, WidelyLinearLmmse, MaximumLikelihood,
                                        MaximumLikelihoodMaxlog, ConjugateGradient, MmseSic, Vblast,
                                        MmseSicQr, ZfSicQr, KBest, Amp, Oamp)}


def detector_names() -> list[str]:
    """Every classical name nm.detector accepts (paths to .onnx models and .pt checkpoints too)."""
    return sorted(CLASSICAL)


__all__ = ["CLASSICAL", "Detector", "DetectorOutput", "detector_names"]
