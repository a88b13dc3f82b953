# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the repository, shipped models and example flowgraphs are found (no GNU Radio needed)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

#: the tree this file lies in: <root>/python/neuralmimo/paths.py (for an installed package,
#: a folder of the environment that holds no models/, examples/, grc/ or build/)
_TREE_ROOT = Path(__file__).resolve().parents[2]


def source_dir() -> Path:
    """The repository root: $NEURALMIMO_SOURCE_DIR when set (ctest sets it, as the tests run
    the installed package), else the source tree this package lies in, else the current
    folder when it is a checkout (a QA script run by hand against the installed package)."""
    env = os.environ.get("NEURALMIMO_SOURCE_DIR")
    if env:
        return Path(env)
    for root in (_TREE_ROOT, Path.cwd()):
        if (root / "python" / "neuralmimo").is_dir():
            return root
    return _TREE_ROOT


def data_dirs(kind: str) -> list[Path]:
    """Search order for a folder of the repository, kind "models", "examples", "tests/data", "grc"
    or "build": $NEURALMIMO_<KIND> (e.g. MODELS, TESTS_DATA), $NEURALMIMO_SOURCE_DIR/<kind>,
    ./<kind>, the source tree's <kind>/, <prefix>/share/gr-neuralmimo/<kind>."""
    dirs = []
    env = f"NEURALMIMO_{kind.upper().replace('/', '_')}"
    if os.environ.get(env):
        dirs.append(Path(os.environ[env]))
    if os.environ.get("NEURALMIMO_SOURCE_DIR"):
        dirs.append(source_dir() / kind)
    dirs.append(Path.cwd() / kind)
    dirs.append(_TREE_ROOT / kind)
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
