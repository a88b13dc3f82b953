# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""One parser of detector specs, for the API, the CLIs and the blocks.

    "lmmse", "kbest", ...       classical detector (nm.detector_names())
    "path/model.onnx"           exported model, run by onnxruntime (its manifest is checked)
    "path/model.onnx:split=E"   its per-channel / per-observation graphs, observation stage in
                                E = onnx (onnxruntime) or cpp (C++ kernel); split models only
    "runs/x/final.pt"           trainer checkpoint, run in torch
    "cpp:lmmse", "cpp:cg[:N]"   C++ kernels: blocks only (detector_select), N CG iterations

nm.detector(spec) builds the first three; blocks.detector_select builds GNU Radio blocks
from the same DetectorSpec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .detectors import CLASSICAL, Detector, detector_names

#: DetectorSpec.kind values.
KINDS = ("classical", "onnx", "checkpoint", "cpp")
#: C++ kernels behind "cpp:<name>" and the options each takes.
CPP_KERNELS = {"lmmse": (), "cg": ("iterations",)}
#: Engines of a split model's observation stage ("model.onnx:split=E", detectors/onnx_split.py).
SPLIT_ENGINES = ("onnx", "cpp")


def _known(spec) -> str:
    return (f"'{spec}' is not a detector; known: {', '.join(detector_names())}, a path to an .onnx "
            "model or a .pt checkpoint, cpp:lmmse, cpp:cg[:N]")


@dataclass(frozen=True)
class DetectorSpec:
    """A parsed detector spec.

    kind: one of KINDS; name: the classical name, the model or checkpoint path, or the C++
    kernel ("lmmse", "cg"); options: {"iterations": N} for "cpp:cg:N", {"split": E} for
    "model.onnx:split=E", else empty.
    """

    kind: str
    name: str
    options: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, spec, param: str = "name") -> "DetectorSpec":
        """str or Path -> DetectorSpec. ValueError naming `param` (the caller's argument) and the spec."""
        if isinstance(spec, Path):
            spec = str(spec)
        if not isinstance(spec, str):
            raise ValueError(f"{param}: expected a detector name or a model path, got {type(spec).__name__}")
        text = spec.strip()
        low = text.lower()
        if low.endswith(".onnx"):
            return cls("onnx", text)
        if ".onnx:" in low:
            path, _, opt = text.rpartition(":")
            key, _, value = opt.partition("=")
            if key.strip().lower() != "split" or value.strip().lower() not in SPLIT_ENGINES:
                raise ValueError(f"{param}: '{spec}': after the model path only split=onnx or split=cpp")
            return cls("onnx", path, {"split": value.strip().lower()})
        if low.endswith(".pt"):
            return cls("checkpoint", text)
        if low.startswith("cpp:"):
            kernel, _, arg = low[4:].partition(":")
            if kernel == "cg" and arg:
                if not arg.isdigit() or int(arg) < 1:
                    raise ValueError(f"{param}: '{spec}' is not cpp:cg or cpp:cg:<iterations >= 1>")
                return cls("cpp", "cg", {"iterations": int(arg)})
            if kernel not in CPP_KERNELS or arg:
                raise ValueError(f"{param}: {_known(spec)}")
            return cls("cpp", kernel)
        if low not in CLASSICAL:
            raise ValueError(f"{param}: {_known(spec)}")
        return cls("classical", low)


def detector(name, **kwargs) -> Detector:
    """A detector by spec (see the module docstring): a classical name ("zf", "lmmse", "ml", ...), an
    ONNX file ("models/x.onnx") or a training checkpoint ("runs/x/final.pt", run in torch).

    kwargs go to the detector: constellation= (and e.g. demapping=, iterations=) for classical ones;
    threads=, provider= (and optional nt=, nr=, constellation= checks) for ONNX models;
    decisions= for checkpoints.
    """
    spec = DetectorSpec.parse(name)
    if spec.kind == "onnx":
        from .detectors.onnx_model import OnnxDetector

        return OnnxDetector(spec.name, **{**spec.options, **kwargs})
    if spec.kind == "checkpoint":
        from .detectors.torch_model import TorchModelDetector
        from .models.checkpoint import model_from_checkpoint

        return TorchModelDetector(model_from_checkpoint(spec.name, deployed=True)[0], **kwargs)
    if spec.kind == "cpp":
        raise ValueError(f"name: '{name}' is a C++ block (detector_select), not a Python detector")
    try:
        return CLASSICAL[spec.name](**kwargs)
    except TypeError as exc:
        raise ValueError(f"{spec.name}: {exc}") from exc


__all__ = ["CPP_KERNELS", "DetectorSpec", "KINDS", "detector", "detector_names"]
