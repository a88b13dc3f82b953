# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The GRC blocks offer exactly the detectors the library has (one registry: detector_names())."""
from pathlib import Path

import yaml

import neuralmimo as nm

GRC = Path(__file__).resolve().parents[1] / "grc"


def _parameter(block: str, pid: str) -> dict:
    doc = yaml.safe_load((GRC / f"{block}.block.yml").read_text())
    return next(p for p in doc["parameters"] if p["id"] == pid)


def test_classical_detector_block_offers_every_detector_name():
    param = _parameter("neuralmimo_classical_detector", "name")
    assert sorted(param["options"]) == nm.detector_names()
    assert len(param["option_labels"]) == len(param["options"])
    assert param["default"] in param["options"]


def test_detector_select_default_is_a_spec():
    param = _parameter("neuralmimo_detector_select", "spec")
    assert nm.DetectorSpec.parse(param["default"]).kind == "cpp"


def test_ofdm_config_block_offers_every_coding():
    from neuralmimo.phy.ofdm_coding import CODINGS
    param = _parameter("neuralmimo_ofdm_config", "coding")
    assert tuple(param["options"]) == CODINGS and param["default"] == "none"
    # A string (not an enum), so that a flowgraph parameter can set it.
    assert param["dtype"] == "string"
