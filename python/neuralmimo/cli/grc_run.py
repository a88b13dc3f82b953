# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compile a .grc flowgraph with grcc and load its top block class (for the demo and the tests).

grcc evaluates the flowgraph's imports, so it runs under this interpreter
(the venv that has the module installed), with GRC_BLOCKS_PATH pointing at the
module's block YAML.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path


def grc_blocks_dir() -> Path:
    """The neuralmimo block YAML: the repository's grc/ (paths.data_dirs), else the installed copy."""
    from ..paths import data_dirs

    for d in (*data_dirs("grc"), Path(sys.prefix) / "share" / "gnuradio" / "grc" / "blocks"):
        if (d / "neuralmimo_onnx_detector.block.yml").is_file():
            return d
    raise ValueError("grc: the neuralmimo block YAML files were not found (set NEURALMIMO_SOURCE_DIR)")


def compile_grc(grc_file: str | Path, out_dir: str | Path) -> Path:
    """grcc grc_file -> out_dir/<id>.py; raises ValueError with grcc's output on failure."""
    grcc = shutil.which("grcc") or "/usr/bin/grcc"
    env = dict(os.environ, GRC_BLOCKS_PATH=str(grc_blocks_dir()))
    res = subprocess.run([sys.executable, grcc, "-o", str(out_dir), str(grc_file)],
                         capture_output=True, text=True, env=env)
    produced = sorted(Path(out_dir).glob("*.py"), key=lambda p: p.stat().st_mtime)
    if res.returncode != 0 or not produced:
        raise ValueError(f"grcc failed on {grc_file}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return produced[-1]


def load_top_block(py_file: Path):
    """Import a generated flowgraph module; returns the module."""
    spec = importlib.util.spec_from_file_location(py_file.stem, py_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
