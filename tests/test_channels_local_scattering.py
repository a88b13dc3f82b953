# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local scattering channel of HyperMIMO (phy/channels/local_scattering.py): eq. 13 and the
angular integral against independent references, sample covariances, user drops, mobility."""
import math

import numpy as np
import pytest
import torch
from channel_helpers import cov_ok, emp_cov, gen

from neuralmimo.phy.channels import LocalScatteringChannel, draw_user_angles, local_scattering_covariance


def _eq13_reference(nr, phi_deg, sigma_deg, d=0.5):
    phi, s = math.radians(phi_deg), math.radians(sigma_deg)
    c = np.zeros((nr, nr), complex)
    for m in range(nr):
        for n in range(nr):
            c[m, n] = (np.exp(2j * np.pi * d * (m - n) * np.sin(phi))
                       * np.exp(-s ** 2 / 2 * (2 * np.pi * d * (m - n) * np.cos(phi)) ** 2))
    return c


def _density(dist, delta, s):
    if dist == "gaussian":
        return np.exp(-0.5 * (delta / s) ** 2) / (s * np.sqrt(2 * np.pi))
    if dist == "laplace":
        return np.exp(-np.sqrt(2) * np.abs(delta) / s) / (np.sqrt(2) * s)
    return np.full_like(delta, 1 / (2 * np.sqrt(3) * s))  # the grid spans exactly the support


def _integral_reference(nr, phi_deg, sigma_deg, dist, d=0.5, points=200_001):
    """Independent check: trapezoid over the absolute angle φ̄ on a fine grid."""
    phi, s = math.radians(phi_deg), math.radians(sigma_deg)
    half = {"gaussian": 10 * s, "laplace": 30 * s, "uniform": math.sqrt(3) * s}[dist]
    pb = np.linspace(phi - half, phi + half, points)
    f = _density(dist, pb - phi, s)
    w = np.full(points, pb[1] - pb[0])
    w[0] = w[-1] = w[0] / 2
    wf = w * f
    col = np.array([np.sum(wf * np.exp(2j * np.pi * d * k * np.sin(pb))) for k in range(nr)]) / np.sum(wf)
    k = np.arange(nr)[:, None] - np.arange(nr)[None, :]
    return np.where(k >= 0, col[np.abs(k)], np.conj(col[np.abs(k)]))


def test_local_scattering_eq13_closed_form():
    angles = [-50.0, 0.0, 30.0]
    c = local_scattering_covariance(12, angles, 10.0)
    assert c.shape == (3, 12, 12) and c.dtype == torch.complex128
    for i, a in enumerate(angles):
        np.testing.assert_allclose(c[i].numpy(), _eq13_reference(12, a, 10.0), atol=1e-12)


@pytest.mark.parametrize("dist", ["gaussian", "laplace", "uniform"])
def test_local_scattering_integral_vs_independent_integration(dist):
    angles = [-50.0, 0.0, 30.0]
    c = local_scattering_covariance(12, angles, 10.0, model="integral", distribution=dist)
    for i, a in enumerate(angles):
        ref = _integral_reference(12, a, 10.0, dist)
        np.testing.assert_allclose(c[i].numpy(), ref, atol=2e-6)


def test_local_scattering_eq13_approximates_integral_for_small_spread():
    # eq. 13 is the small-σ approximation of the Gaussian integral (HyperMIMO Sec. IV-A)
    angles = [-50.0, 0.0, 30.0]
    errs = []
    for sigma in (1.0, 0.5, 0.25):
        a = local_scattering_covariance(12, angles, sigma, model="eq13")
        b = local_scattering_covariance(12, angles, sigma, model="integral")
        errs.append(float((a - b).abs().max()))
    assert errs[0] < 5e-3
    # the approximation error shrinks about as σ² (a factor ~4 per halving)
    assert errs[1] < errs[0] / 2.5 and errs[2] < errs[1] / 2.5


@pytest.mark.parametrize("model,dist", [("eq13", "gaussian"), ("integral", "gaussian"),
                                        ("integral", "laplace"), ("integral", "uniform")])
def test_local_scattering_hermitian_psd_trace(model, dist):
    beta = 0.3
    c = local_scattering_covariance(16, torch.linspace(-60, 60, 7), 10.0, gain=beta, model=model,
                                    distribution=dist)
    torch.testing.assert_close(c, c.mH)
    assert float(torch.linalg.eigvalsh(c).min()) > -1e-10
    torch.testing.assert_close(torch.diagonal(c, dim1=-2, dim2=-1).real.sum(-1),
                               torch.full((7,), 16 * beta, dtype=torch.float64))


def test_local_scattering_samples_match_covariance():
    n = 100_000
    ch = LocalScatteringChannel(12, 6, [-40, -20, 0, 15, 35, 55], spread_deg=10.0, gain=0.5)
    h = ch.sample(n, gen(6))
    assert h.shape == (n, 12, 6)
    cov = ch.covariance()
    err, tol = cov_ok(emp_cov(h), cov, n)
    assert err < tol, (err, tol)
    assert ch.entry_variance == 0.5
    # users are independent columns with covariance C_u
    for u in range(6):
        torch.testing.assert_close(cov.reshape(12, 6, 12, 6)[:, u, :, u], ch.user_covariances[u])


def test_user_angles_drop():
    a = draw_user_angles(6, gen(7))
    assert a.shape == (6,) and float(a.abs().max()) <= 60.0
    torch.testing.assert_close(a, draw_user_angles(6, gen(7)))
    assert not torch.equal(a, draw_user_angles(6, gen(8)))
    b = draw_user_angles(6, gen(7), min_separation_deg=15.0)
    diffs = (b[:, None] - b[None, :]).abs() + 1e3 * torch.eye(6)
    assert float(diffs.min()) >= 15.0
    with pytest.raises(ValueError, match="min_separation"):
        draw_user_angles(10, gen(7), min_separation_deg=30.0)
    ch = LocalScatteringChannel(12, 6, generator=gen(7))
    torch.testing.assert_close(ch.angles_deg, a)
    with pytest.raises(ValueError, match="angles_deg"):
        LocalScatteringChannel(12, 6, [0.0, 10.0])


def test_mobility_rotation_and_trajectory():
    ch = LocalScatteringChannel(12, 4, [-30.0, 0.0, 20.0, 45.0], spread_deg=10.0)
    dirs = [1, -1, 1, -1]
    rot = ch.rotated(5.0, dirs)
    torch.testing.assert_close(rot.angles_deg, ch.angles_deg + 5.0 * torch.tensor(dirs, dtype=torch.float64))
    torch.testing.assert_close(rot.user_covariances, local_scattering_covariance(12, rot.angles_deg, 10.0))
    steps, rate = 4, 2.5
    ang = ch.trajectory_angles(steps, rate, dirs)
    for t in range(steps):
        torch.testing.assert_close(ang[t], ch.angles_deg + t * rate * torch.tensor(dirs, dtype=torch.float64))
    n = 40_000
    traj = ch.sample_trajectory(steps, n, rate, dirs, generator=gen(9))
    assert traj.shape == (steps, n, 12, 4)
    last = ch.rotated((steps - 1) * rate, dirs)
    emp = emp_cov(traj[-1])
    err, tol = cov_ok(emp, last.covariance(), n)
    assert err < tol, (err, tol)
    # the covariance did move: step 0's covariance is far from the last step's samples
    assert float(torch.linalg.matrix_norm(emp - ch.covariance())) > 5 * tol
    err0, tol0 = cov_ok(emp_cov(traj[0]), ch.covariance(), n)
    assert err0 < tol0


def test_mobility_random_2d():
    ch = LocalScatteringChannel(12, 6, [-50, -25, 0, 10, 30, 55], spread_deg=10.0)
    same = ch.displaced(0.0, gen(10))
    torch.testing.assert_close(same.angles_deg, ch.angles_deg)
    dist, r = 50.0, 250.0
    moved = ch.displaced(dist, gen(10), radius_m=r)
    dphi = (moved.angles_deg - ch.angles_deg).abs()
    assert float(dphi.max()) <= math.degrees(math.asin(dist / r)) + 1e-9
    assert float(dphi.max()) > 0.0
    torch.testing.assert_close(moved.angles_deg, ch.displaced(dist, gen(10), radius_m=r).angles_deg)
