# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The numpy OFDM receiver never loads GNU Radio, from the source tree or the installed package.

Only the "cpp" backend imports the compiled module neuralmimo_python (which imports GNU Radio),
through phy/ofdm_rx_cpp.py. Each case runs in a fresh interpreter with GNU Radio importable and
then checks that neither it nor the compiled module was loaded (an import attempted and caught
would show in sys.modules too).
"""
import os
import subprocess
import sys

import pytest

CODE = """
import sys
import numpy as np
import neuralmimo.phy
from neuralmimo.phy.ofdm import OfdmTransmitter, ofdm_config
from neuralmimo.phy.ofdm_bits import test_payload
from neuralmimo.phy.ofdm_rx import OfdmReceiver

c = ofdm_config(nt=2, nr=2)
x = np.concatenate([np.zeros((50, 2)), OfdmTransmitter(c).frame(test_payload(c, 0)), np.zeros((100, 2))])
rng = np.random.default_rng(0)
y = x @ np.array([[1.0, 0.3j], [0.2, 0.9]]).T + 1e-3 * rng.standard_normal(x.shape)
rx = OfdmReceiver(c, backend="numpy")
frames = rx.push(y.astype(np.complex64))
assert rx.backend == "numpy" and len(frames) == 1 and frames[0].start == 50, frames
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] == "gnuradio" or m.endswith(("neuralmimo_python", "ofdm_rx_cpp")))
assert not loaded, loaded
print("ok")
"""


def _run(code: str, installed: bool, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if installed:      # the installed package only: the source tree off sys.path
        env.pop("PYTHONPATH", None)
    elif env.get("PYTHONPATH"):   # absolute, since the child runs in another folder
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.parametrize("installed", [False, True], ids=["as_run", "installed"])
def test_numpy_receiver_never_loads_gnuradio(installed, tmp_path):
    if installed:
        probe = _run("import importlib.util as u; print(u.find_spec('neuralmimo') is not None "
                     "and u.find_spec('neuralmimo.neuralmimo_python') is not None)", True, tmp_path)
        if probe.stdout.strip() != "True":
            pytest.skip("no installed package with the compiled module (run after `make build`)")
    res = _run(CODE, installed, tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
