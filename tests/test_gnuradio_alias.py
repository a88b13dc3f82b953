# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""gnuradio.neuralmimo is the neuralmimo package under a second name (installed from
_gnuradio_alias.py); here with a stand-in gnuradio package, so no GNU Radio is needed."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1] / "python"

CODE = """
import importlib
import gnuradio.neuralmimo as gnm
import gnuradio.neuralmimo.paths as gpaths
from gnuradio.neuralmimo.detectors import linear as glinear
import neuralmimo
import neuralmimo.paths as paths
from neuralmimo.detectors import linear

assert gnm is neuralmimo and gpaths is paths and glinear is linear
assert paths.__spec__.name == "neuralmimo.paths", paths.__spec__.name
assert linear.__spec__.name == "neuralmimo.detectors.linear", linear.__spec__.name
paths.model_path = None                          # a reload that runs the module restores it
importlib.reload(gpaths)
assert callable(paths.model_path)
assert sys.modules["gnuradio.neuralmimo.paths"] is sys.modules["neuralmimo.paths"]
print("ok")
"""


def test_alias_is_the_same_module_and_reloads(tmp_path):
    pkg = tmp_path / "gnuradio" / "neuralmimo"
    pkg.mkdir(parents=True)
    (tmp_path / "gnuradio" / "__init__.py").write_text("")
    shutil.copy(PYTHON_DIR / "neuralmimo" / "_gnuradio_alias.py", pkg / "__init__.py")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(PYTHON_DIR)]))
    res = subprocess.run([sys.executable, "-c", "import sys\n" + CODE], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
