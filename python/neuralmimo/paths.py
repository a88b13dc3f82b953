# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where shipped models and example flowgraphs are found (no GNU Radio needed)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dirs(kind: str) -> list[Path]:
    """Search order for kind "models" or "examples": $NEURALMIMO_<KIND>,
    $NEURALMIMO_SOURCE_DIR/<kind>, ./<kind>, the source tree's <kind>/,
    <prefix>/share/gr-neuralmimo/<kind>."""
    dirs = []
    if os.environ.get(f"NEURALMIMO_{kind.upper()}"):
        dirs.append(Path(os.environ[f"NEURALMIMO_{kind.upper()}"]))
    if os.environ.get("NEURALMIMO_SOURCE_DIR"):
        dirs.append(Path(os.environ["NEURALMIMO_SOURCE_DIR"]) / kind)
    dirs.append(Path.cwd() / kind)
    dirs.append(Path(__file__).resolve().parents[2] / kind)
    dirs.append(Path(sys.prefix) / "share" / "gr-neuralmimo" / kind)
    return dirs


def _find(kind: str, name: str) -> str:
    if Path(name).is_file():
        return str(name)
    for d in data_dirs(kind):
        if (d / name).is_file():
            return str(d / name)
    raise ValueError(f"{kind[:-1]}: '{name}' not found in {', '.join(str(d) for d in data_dirs(kind))}")


def model_path(name: str) -> str:
    """Path of a shipped model by file name (e.g. "lmmse_qam16_4x4.onnx"); ValueError if not found."""
    return _find("models", name)


def example_path(name: str) -> str:
    """Path of a shipped example flowgraph by file name (e.g. "loopback_mimo.grc")."""
    return _find("examples", name)
