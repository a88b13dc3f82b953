# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where shipped models and example flowgraphs are found (no GNU Radio needed)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dirs(kind: str) -> list[Path]:
    """Search order for kind "models", "examples" or "tests/data": $NEURALMIMO_<KIND>
    (MODELS, EXAMPLES, TESTS_DATA), $NEURALMIMO_SOURCE_DIR/<kind>, ./<kind>, the source
    tree's <kind>/, <prefix>/share/gr-neuralmimo/<kind>."""
    dirs = []
    env = f"NEURALMIMO_{kind.upper().replace('/', '_')}"
    if os.environ.get(env):
        dirs.append(Path(os.environ[env]))
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
    raise ValueError(f"{kind.rstrip('s')}: '{name}' not found in {', '.join(str(d) for d in data_dirs(kind))}")


def model_path(name: str) -> str:
    """Path of a shipped model by file name (e.g. "lmmse_qam16_4x4.onnx"); ValueError if not found."""
    return _find("models", name)


def example_path(name: str) -> str:
    """Path of a shipped example flowgraph by file name (e.g. "loopback_mimo.grc")."""
    return _find("examples", name)


def fixture_path(name: str) -> str:
    """Path of a shipped test recording by file name (e.g. "ofdm_loopback_2x2.sigmf-meta")."""
    return _find("tests/data", name)
