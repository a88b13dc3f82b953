# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel models: covariances, structure, mobility, CSI error, TDL, specs.

Covariance tolerance: for N i.i.d. zero-mean circular complex Gaussian
vectors h with covariance C, the sample covariance Ĉ = (1/N) Σ h hᴴ has
Var(Ĉ_ij) = C_ii C_jj / N, so E‖Ĉ − C‖_F² = (tr C)² / N. We accept
‖Ĉ − C‖_F < 3·tr(C)/√N (three times the RMS Frobenius error).
"""
import math

import numpy as np
import pytest
import torch

from neuralmimo.phy.channels import (TDL_PROFILES, KroneckerChannel, LocalScatteringChannel, RayleighChannel,
                                     RemimoCorrelatedChannel, TdlChannel, channel_spec_forms, complex_noise,
                                     csi_error_var, draw_user_angles, exponential_correlation, imperfect_csi,
                                     imperfect_csi_snr, local_scattering_covariance, make_channel,
                                     sample_triangular, tdl_profile)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _emp_cov(h):
    """h: [N, Nr, Nt]  ->  (1/N) Σ vec(h) vec(h)ᴴ, row-major vec."""
    v = h.reshape(h.shape[0], -1).to(torch.complex128)
    return v.T @ v.conj() / v.shape[0]


def _cov_ok(emp, cov, n, factor=3.0):
    err = float(torch.linalg.matrix_norm(emp - cov))
    tol = factor * float(torch.diagonal(cov).real.sum()) / math.sqrt(n)
    return err, tol


def _exp_corr_reference(n, r):
    r = complex(r)
    m = np.zeros((n, n), complex)
    for i in range(n):
        for j in range(n):
            m[i, j] = r ** (j - i) if i <= j else np.conj(r) ** (i - j)
    return torch.as_tensor(m)


# ---------------------------------------------------------------- Rayleigh / Kronecker


def test_rayleigh_covariance():
    n = 100_000
    ch = RayleighChannel(4, 3, variance=0.5)
    h = ch.sample(n, _gen(0))
    assert h.shape == (n, 4, 3) and h.dtype == torch.complex64
    err, tol = _cov_ok(_emp_cov(h), ch.covariance(), n)
    assert err < tol, (err, tol)
    assert ch.entry_variance == 0.5


def test_exponential_correlation_matches_eq29():
    for r in (0.0, 0.5, 0.95, 0.3 + 0.5j, -0.4j, 1.0):
        ref = _exp_corr_reference(7, r)
        got = exponential_correlation(7, r)
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got, got.mH)
    real = exponential_correlation(5, 0.6)
    idx = torch.arange(5)
    torch.testing.assert_close(real.real, 0.6 ** (idx[:, None] - idx[None, :]).abs().double())
    with pytest.raises(ValueError, match="r"):
        exponential_correlation(4, 1.2)


def test_kronecker_covariance_and_structure():
    nr, nt, var, n = 6, 4, 2.0, 200_000
    rt, rr = 0.3 + 0.5j, 0.7
    ch = KroneckerChannel(nr, nt, rt, rr, variance=var)
    r_t, r_r = _exp_corr_reference(nt, rt), _exp_corr_reference(nr, rr)
    torch.testing.assert_close(ch.tx_correlation, r_t)
    torch.testing.assert_close(ch.rx_correlation, r_r)
    # row-major vec(H): E[h_{r,t} h*_{r',t'}] = var · R_r[r,r'] · R_t[t',t]
    cov = ch.covariance()
    torch.testing.assert_close(cov, var * torch.kron(r_r, r_t.T.contiguous()))
    h = ch.sample(n, _gen(1), dtype=torch.complex128)
    emp = _emp_cov(h)
    err, tol = _cov_ok(emp, cov, n)
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


# ---------------------------------------------------------------- RE-MIMO channel


def test_remimo_correlated_and_partial():
    nr, nt, n = 8, 4, 100_000
    full = RemimoCorrelatedChannel(nr, nt, 0.7)
    part = RemimoCorrelatedChannel(nr, nt, 0.7, partial=True)
    r_r, r_t = _exp_corr_reference(nr, 0.7), _exp_corr_reference(nt, 0.7)
    torch.testing.assert_close(full.covariance(), torch.kron(r_r, r_t.T.contiguous()) / nr)
    torch.testing.assert_close(part.covariance(), torch.kron(r_r, torch.eye(nt, dtype=torch.complex128)) / nr)
    assert full.entry_variance == pytest.approx(1 / nr)
    for ch, seed in ((full, 2), (part, 3)):
        h = ch.sample(n, _gen(seed))
        err, tol = _cov_ok(_emp_cov(h), ch.covariance(), n)
        assert err < tol, (err, tol)


def test_remimo_rho_range_triangular():
    a, b = 0.55, 0.75
    g = _gen(4)
    draws = np.array([sample_triangular(a, b, generator=g) for _ in range(4000)])
    assert draws.min() >= a and draws.max() <= b
    c = b
    mean, sd = (a + b + c) / 3, math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(len(draws))
    # the density rises towards the mode at b: upper half holds 3/4 of the mass
    frac = float(np.mean(draws > (a + b) / 2))
    assert abs(frac - 0.75) < 4 * math.sqrt(0.75 * 0.25 / len(draws))
    ch = RemimoCorrelatedChannel(16, 4, (a, b))
    g = _gen(5)
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


# ---------------------------------------------------------------- local scattering (HyperMIMO)


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
    h = ch.sample(n, _gen(6))
    assert h.shape == (n, 12, 6)
    cov = ch.covariance()
    err, tol = _cov_ok(_emp_cov(h), cov, n)
    assert err < tol, (err, tol)
    assert ch.entry_variance == 0.5
    # users are independent columns with covariance C_u
    for u in range(6):
        torch.testing.assert_close(cov.reshape(12, 6, 12, 6)[:, u, :, u], ch.user_covariances[u])


def test_user_angles_drop():
    a = draw_user_angles(6, _gen(7))
    assert a.shape == (6,) and float(a.abs().max()) <= 60.0
    torch.testing.assert_close(a, draw_user_angles(6, _gen(7)))
    assert not torch.equal(a, draw_user_angles(6, _gen(8)))
    b = draw_user_angles(6, _gen(7), min_separation_deg=15.0)
    diffs = (b[:, None] - b[None, :]).abs() + 1e3 * torch.eye(6)
    assert float(diffs.min()) >= 15.0
    with pytest.raises(ValueError, match="min_separation"):
        draw_user_angles(10, _gen(7), min_separation_deg=30.0)
    ch = LocalScatteringChannel(12, 6, generator=_gen(7))
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
    traj = ch.sample_trajectory(steps, n, rate, dirs, generator=_gen(9))
    assert traj.shape == (steps, n, 12, 4)
    last = ch.rotated((steps - 1) * rate, dirs)
    emp = _emp_cov(traj[-1])
    err, tol = _cov_ok(emp, last.covariance(), n)
    assert err < tol, (err, tol)
    # the covariance did move: step 0's covariance is far from the last step's samples
    assert float(torch.linalg.matrix_norm(emp - ch.covariance())) > 5 * tol
    err0, tol0 = _cov_ok(_emp_cov(traj[0]), ch.covariance(), n)
    assert err0 < tol0


def test_mobility_random_2d():
    ch = LocalScatteringChannel(12, 6, [-50, -25, 0, 10, 30, 55], spread_deg=10.0)
    same = ch.displaced(0.0, _gen(10))
    torch.testing.assert_close(same.angles_deg, ch.angles_deg)
    dist, r = 50.0, 250.0
    moved = ch.displaced(dist, _gen(10), radius_m=r)
    dphi = (moved.angles_deg - ch.angles_deg).abs()
    assert float(dphi.max()) <= math.degrees(math.asin(dist / r)) + 1e-9
    assert float(dphi.max()) > 0.0
    torch.testing.assert_close(moved.angles_deg, ch.displaced(dist, _gen(10), radius_m=r).angles_deg)


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


# ---------------------------------------------------------------- imperfect CSI


def test_imperfect_csi_error_variance():
    b, nr, nt = 20_000, 4, 4
    h = RayleighChannel(nr, nt).sample(b, _gen(11))
    ev = 0.05
    h_est = imperfect_csi(h, ev, _gen(12))
    assert h_est.shape == h.shape and h_est.dtype == h.dtype
    e2 = ((h_est - h).abs() ** 2).double()
    m = b * nr * nt
    assert abs(float(e2.mean()) / ev - 1) < 5 / math.sqrt(m)  # |e|² ~ Exp(mean ev): sd = mean
    # per-sample variances [B]
    evb = torch.tensor([0.0, 0.1, 1.0]).repeat_interleave(b // 4)
    hb = h[: evb.numel()]
    e2b = ((imperfect_csi(hb, evb, _gen(13)) - hb).abs() ** 2).double().reshape(3, -1).mean(-1)
    cnt = b // 4 * nr * nt
    assert float(e2b[0]) == 0.0
    for got, want in zip(e2b[1:], (0.1, 1.0)):
        assert abs(float(got) / want - 1) < 5 / math.sqrt(cnt)
    # numpy in, numpy out
    hn = RayleighChannel(nr, nt).sample_numpy(10, np.random.default_rng(0))
    out = imperfect_csi(hn, 0.1, _gen(14))
    assert isinstance(out, np.ndarray) and out.dtype == np.complex64 and out.shape == hn.shape
    with pytest.raises(ValueError, match="error_var"):
        imperfect_csi(h, -1.0)
    with pytest.raises(ValueError, match="error_var"):
        imperfect_csi(h, torch.ones(3))


def test_imperfect_csi_remimo_snr():
    nr, nt, n = 64, 16, 2000
    ch = RayleighChannel(nr, nt, 1 / nr)
    assert csi_error_var(20.0, 1 / nr) == pytest.approx(1 / (100 * nr))
    h = ch.sample(n, _gen(15), dtype=torch.complex128)
    for cv in (ch.entry_variance, None):
        w = imperfect_csi_snr(h, 20.0, cv, _gen(16)) - h
        ratio = float((h.abs() ** 2).sum() / (w.abs() ** 2).sum())  # eq. 28
        m = n * nr * nt
        assert abs(ratio / 100 - 1) < 5 * math.sqrt(2 / m)


# ---------------------------------------------------------------- TDL


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
    h = ch.sample(b, _gen(17), dtype=torch.complex128)
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
    h = ch.sample(n, _gen(18))
    err, tol = _cov_ok(_emp_cov(h[:, 3]), ch.covariance(), n)
    assert err < tol, (err, tol)
    flat = ch.sample_flat(3, _gen(19))
    assert flat.shape == (24, 4, 2)
    torch.testing.assert_close(flat, ch.sample(3, _gen(19)).reshape(24, 4, 2))


# ---------------------------------------------------------------- specs


def test_make_channel_parses():
    ch = make_channel("rayleigh", 8, 4)
    assert isinstance(ch, RayleighChannel) and ch.variance == 1.0
    assert make_channel("rayleigh:var=1/nt", 8, 4).variance == pytest.approx(0.25)
    ch = make_channel("kron:r=0.5", 8, 4)
    assert isinstance(ch, KroneckerChannel) and ch.r_tx == 0.5 and ch.r_rx == 0.5
    ch = make_channel("kron:rt=0.3,rr=0.7", 8, 4)
    assert (ch.r_tx, ch.r_rx) == (0.3, 0.7)
    ch = make_channel("kron:rt=0.3+0.4j", 8, 4)
    assert ch.r_tx == 0.3 + 0.4j and ch.r_rx == 0.0
    ch = make_channel("remimo:rho=0.5", 64, 16)
    assert isinstance(ch, RemimoCorrelatedChannel) and ch.rho == 0.5 and not ch.partial
    assert ch.variance == pytest.approx(1 / 64)
    ch = make_channel("remimo:rho_min=0.65,rho_max=0.85,partial", 64, 16)
    assert ch.rho_range == (0.65, 0.85) and ch.partial
    ch = make_channel("ls:spread=10", 12, 6)
    assert isinstance(ch, LocalScatteringChannel) and ch.spread_deg == 10.0
    torch.testing.assert_close(ch.angles_deg, make_channel("ls:spread=10", 12, 6).angles_deg)
    ch = make_channel("ls:spread=5,angles=-30/-10/0/10/30/50,gain=1/nt,model=integral,dist=laplace", 12, 6)
    assert ch.angles_deg.tolist() == [-30, -10, 0, 10, 30, 50] and ch.gain == pytest.approx(1 / 6)
    assert ch.model == "integral" and ch.distribution == "laplace"
    ch = make_channel("tdl:A,ds=30", 8, 4)
    assert isinstance(ch, TdlChannel) and ch.profile == "A" and ch.delay_spread_ns == 30.0
    ch = make_channel("tdl:c,ds=100,nsc=12,scs=15e3,rt=0.5,rr=0.5", 8, 4)
    assert ch.profile == "C" and ch.n_subcarriers == 12 and ch.subcarrier_spacing_hz == 15e3


@pytest.mark.parametrize("spec", [
    "", "nope", "rayleigh:var=abc", "rayleigh:foo=1", "kron", "kron:r=1.5", "kron:r=0.5,rt=0.2",
    "kron:r=0.5,r=0.4", "remimo", "remimo:rho=2", "remimo:rho=0.5,bogus", "remimo:rho_min=0.8,rho_max=0.6",
    "ls", "ls:spread=-1", "ls:spread=10,angles=1/2", "ls:spread=10,model=exact", "ls:spread=10,dist=cauchy",
    "ls:spread=10,model=eq13,dist=uniform", "tdl", "tdl:D", "tdl:A,B", "tdl:A,ds=0", "tdl:A,nsc=x",
    "rayleigh:", "kron:r=0.5,",
])
def test_make_channel_refuses(spec):
    with pytest.raises(ValueError) as err:
        make_channel(spec, 12, 6)
    msg = str(err.value)
    assert "allowed forms" in msg and "kron:r=R" in msg
    assert repr(spec)[1:-1] in msg or spec == ""


def test_spec_forms_listed():
    forms = channel_spec_forms()
    assert any(f.startswith("rayleigh") for f in forms) and any(f.startswith("tdl") for f in forms)


# ---------------------------------------------------------------- reproducibility / device / dtype

_MODELS = [
    lambda: RayleighChannel(6, 3),
    lambda: KroneckerChannel(6, 3, 0.3 + 0.2j, 0.5),
    lambda: RemimoCorrelatedChannel(6, 3, (0.5, 0.8)),
    lambda: LocalScatteringChannel(6, 3, [-20.0, 0.0, 20.0]),
    lambda: TdlChannel(6, 3, "B", n_subcarriers=4),
]


@pytest.mark.parametrize("make", _MODELS)
def test_reproducible_and_dtype(make):
    ch = make()
    a = ch.sample(5, _gen(21))
    b = make().sample(5, _gen(21))
    c = ch.sample(5, _gen(22))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)
    d = ch.sample(5, _gen(21), dtype=torch.complex128)
    assert d.dtype == torch.complex128 and a.dtype == torch.complex64
    torch.testing.assert_close(d, ch.sample(5, _gen(21), dtype=torch.complex128), rtol=0, atol=0)
    assert ch.sample(0, _gen(21)).shape[0] == 0
    with pytest.raises(ValueError, match="dtype"):
        ch.sample(2, _gen(21), dtype=torch.float32)
    with pytest.raises(ValueError, match="batch"):
        ch.sample(-1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("make", _MODELS)
def test_device(make):
    ch = make()
    cpu = ch.sample(4, _gen(23))
    gpu = ch.sample(4, _gen(23), device="cuda")
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-5, atol=1e-5)
    g = torch.Generator(device="cuda").manual_seed(1)
    assert ch.sample(4, g, device="cuda").device.type == "cuda"
    h = imperfect_csi(gpu, 0.1, torch.Generator(device="cuda").manual_seed(2))
    assert h.device.type == "cuda"


def test_device_cpu_explicit():
    h = LocalScatteringChannel(6, 3, [-20.0, 0.0, 20.0]).sample(4, _gen(24), device=torch.device("cpu"))
    assert h.device.type == "cpu"
