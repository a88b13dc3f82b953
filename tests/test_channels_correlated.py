# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""I.i.d. Rayleigh, Kronecker and RE-MIMO correlated channels (phy/channels/correlated.py):
covariances against the closed forms and sample covariances, the numpy draw, the random ρ."""
import math

import numpy as np
import pytest
import torch
from channel_helpers import cov_ok, emp_cov, exp_corr_reference, gen

from neuralmimo.phy.channels import (KroneckerChannel, RayleighChannel, RemimoCorrelatedChannel, complex_noise,
                                     exponential_correlation, sample_triangular)


def test_rayleigh_covariance():
    n = 100_000
    ch = RayleighChannel(4, 3, variance=0.5)
    h = ch.sample(n, gen(0))
    assert h.shape == (n, 4, 3) and h.dtype == torch.complex64
    err, tol = cov_ok(emp_cov(h), ch.covariance(), n)
    assert err < tol, (err, tol)
    assert ch.entry_variance == 0.5


def test_rayleigh_numpy_draw():
    """The numpy path of RayleighChannel: numpy in, numpy out, the stated variance, reproducible,
    and the same draw as complex_noise with σ² = variance (one CN(0, v) sampler for both)."""
    n, nr, nt = 20_000, 3, 2
    ch = RayleighChannel(nr, nt, variance=0.5)
    h = ch.sample_numpy(n, np.random.default_rng(4))
    assert isinstance(h, np.ndarray) and h.dtype == np.complex64 and h.shape == (n, nr, nt)
    m = n * nr * nt
    assert abs(float(np.mean(np.abs(h.astype(np.complex128)) ** 2)) / 0.5 - 1) < 5 / math.sqrt(m)
    np.testing.assert_array_equal(h, ch.sample_numpy(n, np.random.default_rng(4)))
    np.testing.assert_array_equal(h, complex_noise(np.random.default_rng(4), (n, nr, nt), 0.5))
    nv = np.array([0.0, 2.0], np.float32)
    z = complex_noise(np.random.default_rng(5), (2, 50_000), nv)
    assert np.all(z[0] == 0) and abs(float(np.mean(np.abs(z[1]) ** 2)) / 2.0 - 1) < 5 / math.sqrt(50_000)
    with pytest.raises(ValueError, match="batch"):
        ch.sample_numpy(-1, np.random.default_rng(0))


def test_kronecker_covariance_and_structure():
    nr, nt, var, n = 6, 4, 2.0, 200_000
    rt, rr = 0.3 + 0.5j, 0.7
    ch = KroneckerChannel(nr, nt, rt, rr, variance=var)
    r_t, r_r = exp_corr_reference(nt, rt), exp_corr_reference(nr, rr)
    torch.testing.assert_close(ch.tx_correlation, r_t)
    torch.testing.assert_close(ch.rx_correlation, r_r)
    # row-major vec(H): E[h_{r,t} h*_{r',t'}] = var · R_r[r,r'] · R_t[t',t]
    cov = ch.covariance()
    torch.testing.assert_close(cov, var * torch.kron(r_r, r_t.T.contiguous()))
    h = ch.sample(n, gen(1), dtype=torch.complex128)
    emp = emp_cov(h)
    err, tol = cov_ok(emp, cov, n)
    assert err < tol, (err, tol)
    # the wrong transposition (R_t instead of R_tᵀ) is far outside the tolerance
    err_wrong = float(torch.linalg.matrix_norm(emp - var * torch.kron(r_r, r_t)))
    assert err_wrong > 5 * tol
    # Kronecker structure: E[H Hᴴ] = var·Nt·R_r and E[Hᴴ H] = var·Nr·R_t
    hh = (h @ h.mH).mean(0) / (var * nt)
    hth = (h.mH @ h).mean(0) / (var * nr)
    assert float(torch.linalg.matrix_norm(hh - r_r)) < 3 * nr / math.sqrt(n * nt) * math.sqrt(nr)
    assert float(torch.linalg.matrix_norm(hth - r_t)) < 3 * nt / math.sqrt(n * nr) * math.sqrt(nt)
    # the rearranged covariance (Van Loan) is rank one for a Kronecker product
    emp4 = emp.reshape(nr, nt, nr, nt).permute(0, 2, 1, 3).reshape(nr * nr, nt * nt)
    s = torch.linalg.svdvals(emp4)
    assert float(s[1] / s[0]) < 0.02


def test_kronecker_explicit_matrices_and_errors():
    rt = exponential_correlation(3, 0.4)
    ch = KroneckerChannel(5, 3, rt, 0.0)
    torch.testing.assert_close(ch.tx_correlation, rt)
    torch.testing.assert_close(ch.rx_correlation, torch.eye(5, dtype=torch.complex128))
    with pytest.raises(ValueError, match="r_tx"):
        KroneckerChannel(5, 3, torch.eye(4), 0.0)
    with pytest.raises(ValueError, match="r_rx"):
        KroneckerChannel(5, 3, 0.0, 1.5)
    with pytest.raises(ValueError, match="nr"):
        KroneckerChannel(0, 3)


def test_remimo_correlated_and_partial():
    nr, nt, n = 8, 4, 100_000
    full = RemimoCorrelatedChannel(nr, nt, 0.7)
    part = RemimoCorrelatedChannel(nr, nt, 0.7, partial=True)
    r_r, r_t = exp_corr_reference(nr, 0.7), exp_corr_reference(nt, 0.7)
    torch.testing.assert_close(full.covariance(), torch.kron(r_r, r_t.T.contiguous()) / nr)
    torch.testing.assert_close(part.covariance(), torch.kron(r_r, torch.eye(nt, dtype=torch.complex128)) / nr)
    assert full.entry_variance == pytest.approx(1 / nr)
    for ch, seed in ((full, 2), (part, 3)):
        h = ch.sample(n, gen(seed))
        err, tol = cov_ok(emp_cov(h), ch.covariance(), n)
        assert err < tol, (err, tol)


def test_remimo_rho_range_triangular():
    a, b = 0.55, 0.75
    g = gen(4)
    draws = np.array([sample_triangular(a, b, generator=g) for _ in range(4000)])
    assert draws.min() >= a and draws.max() <= b
    c = b
    mean, sd = (a + b + c) / 3, math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(len(draws))
    # the density rises towards the mode at b: upper half holds 3/4 of the mass
    frac = float(np.mean(draws > (a + b) / 2))
    assert abs(frac - 0.75) < 4 * math.sqrt(0.75 * 0.25 / len(draws))
    ch = RemimoCorrelatedChannel(16, 4, (a, b))
    g = gen(5)
    seen = set()
    for _ in range(5):
        h = ch.sample(8, g)
        assert h.shape == (8, 16, 4)
        assert a <= ch.last_rho <= b
        seen.add(ch.last_rho)
    assert len(seen) == 5
    with pytest.raises(ValueError, match="rho"):
        ch.covariance()
    torch.testing.assert_close(ch.with_rho(0.6).covariance(), RemimoCorrelatedChannel(16, 4, 0.6).covariance())
    with pytest.raises(ValueError, match="rho"):
        RemimoCorrelatedChannel(16, 4, 1.5)
