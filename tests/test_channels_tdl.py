# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""3GPP TR 38.901 TDL channels (phy/channels/tdl.py): the tables, power and frequency
correlation per subcarrier, spatial correlation and the flat view."""
import math

import numpy as np
import pytest
import torch
from channel_helpers import cov_ok, emp_cov, gen

from neuralmimo.phy.channels import TDL_PROFILES, TdlChannel, tdl_profile


def test_tdl_tables():
    assert {k: len(v) for k, v in TDL_PROFILES.items()} == {"A": 23, "B": 23, "C": 24}
    assert TDL_PROFILES["A"][0] == (0.0, -13.4) and TDL_PROFILES["A"][-1] == (9.6586, -29.7)
    assert TDL_PROFILES["B"][0] == (0.0, 0.0) and TDL_PROFILES["B"][-1] == (4.7834, -11.3)
    assert TDL_PROFILES["C"][5] == (0.6366, 0.0) and TDL_PROFILES["C"][-1] == (8.6523, -22.8)
    for name in TDL_PROFILES:
        d, p = tdl_profile(name)
        assert p.sum() == pytest.approx(1.0)
        # the 38.901 normalised tables have unit RMS delay spread: a check on the transcription
        mean = float((p * d).sum())
        assert math.sqrt(float((p * (d - mean) ** 2).sum())) == pytest.approx(1.0, abs=1e-4)
        ch = TdlChannel(2, 2, name, delay_spread_ns=30.0)
        assert ch.rms_delay_spread_s() == pytest.approx(30e-9, rel=1e-4)
    with pytest.raises(ValueError, match="profile"):
        tdl_profile("D")


@pytest.mark.parametrize("profile", ["A", "B", "C"])
def test_tdl_power_and_frequency_correlation(profile):
    b, nr, nt, k = 5000, 2, 2, 16
    ch = TdlChannel(nr, nt, profile, delay_spread_ns=300.0, n_subcarriers=k, subcarrier_spacing_hz=60e3)
    h = ch.sample(b, gen(17), dtype=torch.complex128)
    assert h.shape == (b, k, nr, nt)
    m = b * nr * nt
    # per-subcarrier average power 1 per entry; |H|² ~ Exp(1) so se = 1/√m
    p = (h.abs() ** 2).mean((0, 2, 3))
    assert float((p - 1).abs().max()) < 5 / math.sqrt(m)
    # E[H_k H_0^*] = Σ p_l e^{−j2π (f_k − f_0) τ_l}; sd of each product <= √2
    emp = (h * h[:, :1].conj()).mean((0, 2, 3))
    want = ch.frequency_correlation(ch.frequencies_hz - ch.frequencies_hz[0])
    assert float((emp - want).abs().max()) < 5 * math.sqrt(2) / math.sqrt(m)
    assert float(want.abs().min()) < 0.8  # the channel is frequency selective over this band
    # closed form written out
    d, pw = tdl_profile(profile)
    df = 3 * 60e3
    ref = np.sum(pw * np.exp(-2j * np.pi * df * d * 300e-9))
    assert complex(ch.frequency_correlation(df)) == pytest.approx(ref, abs=1e-12)
    torch.testing.assert_close(ch.frequency_covariance()[:, 0], want)


def test_tdl_spatial_correlation_and_flat():
    ch = TdlChannel(4, 2, "A", delay_spread_ns=30.0, n_subcarriers=8, r_tx=0.5, r_rx=0.5)
    n = 20_000
    h = ch.sample(n, gen(18))
    err, tol = cov_ok(emp_cov(h[:, 3]), ch.covariance(), n)
    assert err < tol, (err, tol)
    flat = ch.sample_flat(3, gen(19))
    assert flat.shape == (24, 4, 2)
    torch.testing.assert_close(flat, ch.sample(3, gen(19)).reshape(24, 4, 2))
