# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SNR conventions: simulate y = Hx + n with each convention's channel and check
that the ratio the paper names equals the requested SNR.

Tolerance: the realised ratio is R = mean(a)/mean(b) over N independent
vectors (a = signal term, b = noise term). Its relative standard error is,
by the delta method, se = sqrt(var(a)/(N·mean(a)²) + var(b)/(N·mean(b)²)),
estimated from the same samples; we require |R/SNR − 1| < 5·se, and also
se < 1.5 % so that a wrong convention (≥ 3 dB = factor 2 here) cannot pass.
"""
import math

import numpy as np
import pytest
import torch

from neuralmimo.phy import constellation
from neuralmimo.phy.channels import LocalScatteringChannel, RayleighChannel, RemimoCorrelatedChannel
from neuralmimo.phy.snr import (CONVENTION_CHANNEL_VARIANCE, DEFAULT, channel_variance_for, noise_var_from_snr,
                                snr_conventions)

N = 20_000
SNRS_DB = [0.0, 10.0, 20.0]


def _symbols(name, shape, gen):
    pts = torch.as_tensor(constellation(name).points.astype(np.complex128))
    idx = torch.randint(0, pts.numel(), shape, generator=gen)
    return pts[idx]


def _noise(shape, nv, gen):
    nv = torch.as_tensor(nv, dtype=torch.float64)
    if nv.ndim == 1:
        nv = nv.reshape(-1, *([1] * (len(shape) - 1)))
    z = torch.view_as_complex(torch.randn(*shape, 2, generator=gen, dtype=torch.float64))
    return z * (nv / 2).sqrt()


def _ratio(a, b):
    """mean(a)/mean(b) and its delta-method relative standard error."""
    a, b = a.double(), b.double()
    r = float(a.mean() / b.mean())
    se = math.sqrt(float(a.var() / (a.numel() * a.mean() ** 2) + b.var() / (b.numel() * b.mean() ** 2)))
    return r, se


def _link(const, channel, snr_db, convention, g, **noise_kw):
    """N vectors through `channel` at snr_db under `convention`, drawn in the order H, x, n from g
    (a torch.Generator, or a seed for a new one): (x complex128[N, Nt], Hx complex128[N, Nr],
    n complex128[N, Nr], σ²)."""
    g = torch.Generator().manual_seed(g) if isinstance(g, int) else g
    h = channel.sample(N, g, dtype=torch.complex128)
    x = _symbols(const, (N, channel.nt), g)
    nv = noise_var_from_snr(snr_db, channel.nt, channel.nr, convention, **noise_kw)
    n = _noise((N, channel.nr), nv, g)
    return x, (h @ x[..., None])[..., 0], n, nv


def _energy(v, mean=False):
    """‖v‖² per vector (or its mean over the entries with mean=True)."""
    e = v.abs() ** 2
    return e.mean(-1) if mean else e.sum(-1)


def _check(ratio, se, target):
    assert se < 0.015, f"test not sharp enough: se={se}"
    assert abs(ratio / target - 1) < 5 * se, f"ratio {ratio} vs {target} (rel se {se:.4f})"


def test_existing_api_unchanged():
    assert DEFAULT == "rx"
    assert snr_conventions()[0] == "rx"
    assert set(snr_conventions()) == {"rx", "detnet", "lcgnet", "remimo", "hypermimo", "eqnet"}
    assert set(CONVENTION_CHANNEL_VARIANCE) == set(snr_conventions())
    v = noise_var_from_snr(10, 4, 8)
    assert isinstance(v, (float, np.floating)) and v == pytest.approx(0.4)
    v = noise_var_from_snr(np.array([0.0, 10.0]), 4, 8, convention="rx")
    np.testing.assert_allclose(v, [4.0, 0.4])
    assert float(noise_var_from_snr(3.0, 2, 2)) == pytest.approx(2 / 10 ** 0.3)


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_rx(const, snr_db):
    nr, nt = 8, 4
    _, hx, n, _ = _link(const, RayleighChannel(nr, nt, channel_variance_for("rx", nr, nt)), snr_db, "rx", 1)
    _check(*_ratio(_energy(hx), _energy(n)), 10 ** (snr_db / 10))  # E‖Hx‖²/E‖n‖²


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
def test_detnet_per_sample(const):
    nr, nt = 8, 4
    g = torch.Generator().manual_seed(2)
    h = RayleighChannel(nr, nt).sample(3, g, dtype=torch.complex128)
    snr_db = np.array(SNRS_DB)
    nv = noise_var_from_snr(snr_db, nt, nr, "detnet", H=h)
    assert isinstance(nv, torch.Tensor) and nv.shape == (3,)
    # the defining identity, sample by sample: ‖H_b‖_F² / (Nt σ²_b) = SNR_b
    fro2 = (h.abs() ** 2).sum((-2, -1))
    np.testing.assert_allclose((fro2 / (nt * nv)).numpy(), 10 ** (snr_db / 10), rtol=1e-12)
    # simulated per sample: (E_x‖H_b x‖²/Nt) / (E‖n_b‖²/Nr) = SNR_b
    for b in range(3):
        x = _symbols(const, (N, nt), g)
        n = _noise((N, nr), float(nv[b]), g)
        hx = (h[b] @ x[..., None])[..., 0]
        r, se = _ratio(_energy(hx) / nt, _energy(n) / nr)
        _check(r, se, 10 ** (snr_db[b] / 10))
    # numpy H gives numpy out, same values
    nv_np = noise_var_from_snr(snr_db, nt, nr, "detnet", H=h.numpy())
    assert isinstance(nv_np, np.ndarray)
    np.testing.assert_allclose(nv_np, nv.numpy(), rtol=1e-12)


def test_detnet_needs_h():
    with pytest.raises(ValueError, match="H"):
        noise_var_from_snr(10, 4, 8, "detnet")
    with pytest.raises(ValueError, match="H"):
        noise_var_from_snr(10, 4, 8, "detnet", H=np.zeros((2, 4, 8), complex))


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_lcgnet(const, snr_db):
    """eq. 27: E‖s‖²/E‖n‖² = SNR, channel var 1/Nt; per-antenna received SNR is Nr/Nt × SNR."""
    nr, nt = 8, 4
    x, hx, n, _ = _link(const, RayleighChannel(nr, nt, channel_variance_for("lcgnet", nr, nt)), snr_db, "lcgnet", 3)
    snr = 10 ** (snr_db / 10)
    _check(*_ratio(_energy(x), _energy(n)), snr)
    _check(*_ratio(_energy(hx), _energy(n)), snr * nr / nt)


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
@pytest.mark.parametrize("correlated", [False, True])
def test_remimo(const, snr_db, correlated):
    """eq. 25: E‖Hx‖²/E‖n‖² = SNR with h ~ CN(0, 1/Nr) (also its correlated channel)."""
    nr, nt = 16, 4
    var = channel_variance_for("remimo", nr, nt)
    ch = RemimoCorrelatedChannel(nr, nt, 0.7) if correlated else RayleighChannel(nr, nt, var)
    assert ch.entry_variance == pytest.approx(var)
    _, hx, n, _ = _link(const, ch, snr_db, "remimo", 4)
    _check(*_ratio(_energy(hx), _energy(n)), 10 ** (snr_db / 10))


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_hypermimo(const, snr_db):
    """eq. 15: E[(1/Nr)‖Hx‖²]/σ² = SNR = 1/σ², local scattering with per-user gain 1/Nu."""
    nr, nt = 12, 6
    g = torch.Generator().manual_seed(5)
    ch = LocalScatteringChannel(nr, nt, spread_deg=10.0, gain=channel_variance_for("hypermimo", nr, nt),
                                generator=g)
    _, hx, n, nv = _link(const, ch, snr_db, "hypermimo", g)
    assert nv == pytest.approx(10 ** (-snr_db / 10))
    r, se = _ratio(_energy(hx) / nr, _energy(n) / nr)
    snr = 10 ** (snr_db / 10)
    _check(r, se, snr)
    # the formal numerator of (15) includes the noise: E[(1/Nr)‖y‖²]/σ² = SNR + 1
    y = hx + n
    r2 = float((_energy(y) / nr).mean() / nv)
    assert abs(r2 / (snr + 1) - 1) < 5 * se


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_eqnet(const, snr_db):
    """Es/N0 with Es = E|x_i|² and N0 = σ² (E‖n‖²/Nr)."""
    nr, nt = 8, 4
    g = torch.Generator().manual_seed(6)
    x = _symbols(const, (N, nt), g)
    n = _noise((N, nr), noise_var_from_snr(snr_db, nt, nr, "eqnet"), g)
    _check(*_ratio(_energy(x, mean=True), _energy(n, mean=True)), 10 ** (snr_db / 10))


def test_channel_variance_override_keeps_ratio():
    nr, nt, snr_db = 8, 4, 10.0
    g = torch.Generator().manual_seed(7)
    for conv in ("rx", "remimo", "hypermimo"):
        _, hx, n, nv = _link("qpsk", RayleighChannel(nr, nt, 0.25), snr_db, conv, g, channel_variance=0.25)
        assert nv == pytest.approx(0.25 * nt / 10.0)
        _check(*_ratio(_energy(hx), _energy(n)), 10.0)
    # no effect where the ratio does not involve H
    assert noise_var_from_snr(10, nt, nr, "lcgnet", channel_variance=0.25) == pytest.approx(nt / (nr * 10))
    assert noise_var_from_snr(10, nt, nr, "eqnet", channel_variance=0.25) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="channel_variance"):
        noise_var_from_snr(10, nt, nr, "rx", channel_variance=0)


def test_conventions_differ_as_documented():
    nr, nt, s = 64, 32, 10.0
    lin = 10 ** (s / 10)
    assert noise_var_from_snr(s, nt, nr, "rx") == pytest.approx(nt / lin)
    assert noise_var_from_snr(s, nt, nr, "lcgnet") == pytest.approx(nt / (nr * lin))
    assert noise_var_from_snr(s, nt, nr, "remimo") == pytest.approx(nt / (nr * lin))
    assert noise_var_from_snr(s, nt, nr, "hypermimo") == pytest.approx(1 / lin)
    assert noise_var_from_snr(s, nt, nr, "eqnet") == pytest.approx(1 / lin)
    assert channel_variance_for("lcgnet", nr, nt) == pytest.approx(1 / nt)
    assert channel_variance_for("remimo", nr, nt) == pytest.approx(1 / nr)


def test_torch_and_numpy_inputs():
    h = torch.zeros(5, 8, 4, dtype=torch.complex64)
    h[..., 0, 0] = 2.0
    out = noise_var_from_snr(torch.tensor([10.0] * 5), 4, 8, "detnet", H=h)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == (5,)
    np.testing.assert_allclose(out.numpy(), 4.0 / (4 * 10.0), rtol=1e-6)
    out = noise_var_from_snr(torch.tensor(20.0, dtype=torch.float64), 4, 8, "rx")
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    assert float(out) == pytest.approx(0.04)
    out = noise_var_from_snr(10.0, 4, 8, "remimo", H=h)  # H ignored, torch out
    assert isinstance(out, torch.Tensor) and float(out) == pytest.approx(4 / 80)
    out = noise_var_from_snr([0.0, 10.0], 4, 8, "hypermimo")
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    if torch.cuda.is_available():
        out = noise_var_from_snr(10.0, 4, 8, "detnet", H=h.cuda())
        assert out.device.type == "cuda"


def test_bad_convention_lists_names():
    with pytest.raises(ValueError) as err:
        noise_var_from_snr(10, 4, 8, "nope")
    for name in snr_conventions():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="lcgnet"):
        channel_variance_for("nope", 8, 4)
