# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imperfect CSI (phy/channels/csi.py): the error variance, per sample and as RE-MIMO's CSI SNR."""
import math

import numpy as np
import pytest
import torch
from channel_helpers import gen

from neuralmimo.phy.channels import RayleighChannel, csi_error_var, imperfect_csi, imperfect_csi_snr


def test_imperfect_csi_error_variance():
    b, nr, nt = 20_000, 4, 4
    h = RayleighChannel(nr, nt).sample(b, gen(11))
    ev = 0.05
    h_est = imperfect_csi(h, ev, gen(12))
    assert h_est.shape == h.shape and h_est.dtype == h.dtype
    e2 = ((h_est - h).abs() ** 2).double()
    m = b * nr * nt
    assert abs(float(e2.mean()) / ev - 1) < 5 / math.sqrt(m)  # |e|² ~ Exp(mean ev): sd = mean
    # per-sample variances [B]
    evb = torch.tensor([0.0, 0.1, 1.0]).repeat_interleave(b // 4)
    hb = h[: evb.numel()]
    e2b = ((imperfect_csi(hb, evb, gen(13)) - hb).abs() ** 2).double().reshape(3, -1).mean(-1)
    cnt = b // 4 * nr * nt
    assert float(e2b[0]) == 0.0
    for got, want in zip(e2b[1:], (0.1, 1.0)):
        assert abs(float(got) / want - 1) < 5 / math.sqrt(cnt)
    # numpy in, numpy out
    hn = RayleighChannel(nr, nt).sample_numpy(10, np.random.default_rng(0))
    out = imperfect_csi(hn, 0.1, gen(14))
    assert isinstance(out, np.ndarray) and out.dtype == np.complex64 and out.shape == hn.shape
    with pytest.raises(ValueError, match="error_var"):
        imperfect_csi(h, -1.0)
    with pytest.raises(ValueError, match="error_var"):
        imperfect_csi(h, torch.ones(3))


def test_imperfect_csi_remimo_snr():
    nr, nt, n = 64, 16, 2000
    ch = RayleighChannel(nr, nt, 1 / nr)
    assert csi_error_var(20.0, 1 / nr) == pytest.approx(1 / (100 * nr))
    h = ch.sample(n, gen(15), dtype=torch.complex128)
    for cv in (ch.entry_variance, None):
        w = imperfect_csi_snr(h, 20.0, cv, gen(16)) - h
        ratio = float((h.abs() ** 2).sum() / (w.abs() ** 2).sum())  # eq. 28
        m = n * nr * nt
        assert abs(ratio / 100 - 1) < 5 * math.sqrt(2 / m)
