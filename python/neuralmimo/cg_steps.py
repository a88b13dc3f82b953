# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Learned CG step sizes (LcgNet) from a JSON file, for the C++ cg_detector block.

Two file kinds are read:
  - a model manifest (the JSON beside an exported model) whose "steps" key
    holds the steps object below;
  - a standalone steps object:

    {"family": "lcgnet", "variant": "V" | "S", "nt": Nt, "layers": L,
     "alpha": [[2Nt floats] x L], "beta": [[2Nt floats] x L],
     "quantization": null | {"bits": n, ...}}

Row l of alpha/beta holds layer l's steps per real coordinate k of
x_r = [Re x; Im x] (k < Nt real parts). The scalar variant "S" repeats one
value 2Nt times per layer. With "quantization": {"levels": [...]} every
value must be one of the levels. Nothing here imports gnuradio.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["load_cg_steps"]

_KEYS = ("family", "variant", "nt", "layers", "alpha", "beta", "quantization")


def _fail(path, msg: str):
    raise ValueError(f"{path}: {msg}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _rows(path, name: str, value, layers: int, width: int) -> list[float]:
    """[[width floats] x layers] -> flat list, layer-major; refuses ragged or non-finite input."""
    if not isinstance(value, list) or len(value) != layers:
        got = len(value) if isinstance(value, list) else type(value).__name__
        _fail(path, f"{name}: expected {layers} rows (layers), got {got}")
    flat = []
    for l, row in enumerate(value):
        if not isinstance(row, list) or len(row) != width:
            got = len(row) if isinstance(row, list) else type(row).__name__
            _fail(path, f"{name}[{l}]: expected {width} values (2Nt), got {got}")
        for k, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                _fail(path, f"{name}[{l}][{k}] = {v!r} is not a finite number")
            flat.append(float(v))
    return flat


def load_cg_steps(path, nt: int) -> tuple[list[float], list[float], int]:
    """Read learned step sizes for an Nt-stream cg_detector.

    path: a steps JSON file or a model manifest with a "steps" key.
    nt: the flowgraph's Nt; steps for another Nt are refused.
    Returns (alpha float list [L·2Nt], beta float list [L·2Nt], L), layer-major
    (layer l, coordinate k at l·2Nt + k), as cg_detector(alpha=..., beta=...) takes them.
    Raises ValueError naming the file for an unreadable file, missing keys, steps
    for another Nt, ragged lists, non-finite values or values off the quantisation levels.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        _fail(path, f"cannot read step sizes ({exc})")
    if not isinstance(doc, dict):
        _fail(path, f"expected a JSON object, got {type(doc).__name__}")
    steps = doc.get("steps", doc) if "alpha" not in doc else doc
    if not isinstance(steps, dict):
        _fail(path, f"'steps' must be an object, got {type(steps).__name__}")
    missing = [k for k in _KEYS if k not in steps]
    if missing:
        _fail(path, f"missing key(s) {', '.join(missing)} (a steps object needs {', '.join(_KEYS)})")
    if steps["family"] != "lcgnet":
        _fail(path, f"family '{steps['family']}' is not 'lcgnet'")
    if steps["variant"] not in ("V", "S"):
        _fail(path, f"variant '{steps['variant']}' is not one of V, S")
    if not _is_int(steps["nt"]) or not _is_int(nt) or steps["nt"] != nt:
        _fail(path, f"steps are for Nt = {steps['nt']!r}, the detector has Nt = {nt!r}")
    if "nt" in doc and doc is not steps and doc["nt"] != steps["nt"]:
        _fail(path, f"manifest Nt = {doc['nt']!r} differs from its steps' Nt = {steps['nt']!r}")
    layers = steps["layers"]
    if not _is_int(layers) or layers < 1:
        _fail(path, f"layers = {layers!r} must be an integer >= 1")
    width = 2 * nt
    alpha = _rows(path, "alpha", steps["alpha"], layers, width)
    beta = _rows(path, "beta", steps["beta"], layers, width)
    if steps["variant"] == "S":
        for name, flat in (("alpha", alpha), ("beta", beta)):
            for l in range(layers):
                row = flat[l * width:(l + 1) * width]
                if any(v != row[0] for v in row):
                    _fail(path, f"{name}[{l}]: variant S needs one value per layer, got {row}")
    q = steps["quantization"]
    if q is not None:
        if not isinstance(q, dict) or not _is_int(q.get("bits")) or q["bits"] < 1:
            _fail(path, f"quantization must be null or an object with integer 'bits' >= 1, got {q!r}")
        levels = q.get("levels")
        if levels is not None:
            lv = [float(v) for v in levels]
            for name, flat in (("alpha", alpha), ("beta", beta)):
                for i, v in enumerate(flat):
                    if not any(abs(v - x) <= 1e-6 * max(1.0, abs(x)) for x in lv):
                        _fail(path, f"{name}[{i // width}][{i % width}] = {v} is not one of the "
                                    f"quantisation levels {lv}")
    return alpha, beta, layers
