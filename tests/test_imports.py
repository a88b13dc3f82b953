# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The algorithm packages never import gnuradio (they run on training machines without it)."""
import subprocess
import sys

CODE = """
import sys
sys.modules["gnuradio"] = None          # any 'import gnuradio...' now raises ImportError
import neuralmimo as nm
import neuralmimo.phy, neuralmimo.detectors, neuralmimo.models, neuralmimo.train
import neuralmimo.export, neuralmimo.eval, neuralmimo.cli, neuralmimo.cli.export
assert nm.detector("lmmse", constellation="qpsk") is not None
try:
    nm.onnx_detector
except ImportError as exc:
    assert "needs GNU Radio" in str(exc)
else:
    raise SystemExit("blocks imported without GNU Radio")
print("ok")
"""


def test_algorithm_packages_import_without_gnuradio():
    res = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
