# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""DetectorSpec.parse: the one parser behind nm.detector, detector_select and the replay CLI."""
from pathlib import Path

import pytest

import neuralmimo as nm
from neuralmimo.registry import DetectorSpec


@pytest.mark.parametrize("spec, kind, name, options", [
    ("lmmse", "classical", "lmmse", {}),
    (" KBest ", "classical", "kbest", {}),
    ("models/x.onnx", "onnx", "models/x.onnx", {}),
    (Path("models/X.ONNX"), "onnx", "models/X.ONNX", {}),
    ("runs/a/final.pt", "checkpoint", "runs/a/final.pt", {}),
    ("cpp:lmmse", "cpp", "lmmse", {}),
    ("cpp:cg", "cpp", "cg", {}),
    ("cpp:cg:12", "cpp", "cg", {"iterations": 12}),
])
def test_every_kind_parses(spec, kind, name, options):
    assert DetectorSpec.parse(spec) == DetectorSpec(kind, name, options)


def test_every_detector_name_parses_as_classical():
    assert all(DetectorSpec.parse(n) == DetectorSpec("classical", n) for n in nm.detector_names())


@pytest.mark.parametrize("spec, match", [
    ("nosuch", "name: 'nosuch' is not a detector; known: .*lmmse.*cpp:cg"),
    ("cpp:qr", "name: 'cpp:qr' is not a detector"),
    ("cpp:lmmse:3", "name: 'cpp:lmmse:3' is not a detector"),
    ("cpp:cg:0", "name: 'cpp:cg:0' is not cpp:cg or cpp:cg:<iterations >= 1>"),
    ("cpp:cg:x", "name: 'cpp:cg:x' is not cpp:cg"),
    (3, "name: expected a detector name or a model path, got int"),
])
def test_bad_specs_name_the_parameter(spec, match):
    with pytest.raises(ValueError, match=match):
        DetectorSpec.parse(spec)


def test_cpp_specs_are_blocks_not_python_detectors():
    with pytest.raises(ValueError, match="C\\+\\+ block"):
        nm.detector("cpp:lmmse", constellation="qpsk")
