# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""WL-LMMSE, CG, MMSE-SIC, V-BLAST and properties shared by every classical detector."""
import math

import numpy as np
import pytest
from conftest import random_system

import neuralmimo as nm


@pytest.mark.parametrize("const", ["qpsk", "qam16", "qam64"])
def test_wl_lmmse_equals_lmmse_for_proper_constellations(rng, const):
    c = nm.constellation(const)
    y, h, _ = random_system(rng, 40, 5, 3, c, 0.3)
    a = nm.detector("wl-lmmse", constellation=const)(y, h, 0.3)
    b = nm.detector("lmmse", constellation=const)(y, h, 0.3)
    np.testing.assert_allclose(a.estimate, b.estimate, atol=1e-10)
    np.testing.assert_allclose(a.llr, b.llr, rtol=1e-6, atol=1e-6)   # float64, different algebra


def test_wl_lmmse_beats_lmmse_for_bpsk():
    """BPSK is improper: WL-LMMSE uses Im x = 0 (2Nr real equations for Nt unknowns). With Nt = Nr = 8
    the complex LMMSE has diversity 1 while WL-LMMSE sees a tall real system; the gap is large.
    Tolerance: the difference of per-vector error fractions, 4 standard errors."""
    rng = np.random.default_rng(3)
    c = nm.constellation("bpsk")
    n, nv = 40000, 8 / 10 ** (10 / 10)
    y, h, idx = random_system(rng, n, 8, 8, c, nv, dtype=np.complex64)
    ref = c.bits[idx].astype(bool)
    e_wl = ((nm.detector("wl-lmmse", constellation=c)(y, h, nv).llr > 0) != ref).reshape(n, -1).mean(1)
    e_l = ((nm.detector("lmmse", constellation=c)(y, h, nv).llr > 0) != ref).reshape(n, -1).mean(1)
    d = e_l - e_wl
    assert d.mean() > 4 * d.std(ddof=1) / math.sqrt(n)
    assert e_wl.mean() < 0.5 * e_l.mean()


@pytest.mark.parametrize("form,iters", [("complex", 4), ("real", 8)])
def test_cg_with_full_iterations_equals_lmmse(rng, form, iters):
    c = nm.constellation("qam16")
    y, h, _ = random_system(rng, 50, 8, 4, c, 0.2)
    a = nm.detector("cg", constellation="qam16", iterations=iters, form=form)(y, h, 0.2)
    b = nm.detector("lmmse", constellation="qam16")(y, h, 0.2)
    np.testing.assert_allclose(a.estimate, b.estimate, atol=1e-4)
    np.testing.assert_allclose(a.llr, b.llr, rtol=1e-4, atol=1e-4)


def test_cg_few_iterations_is_not_lmmse_and_diag_variance_is_overconfident(rng):
    c = nm.constellation("qpsk")
    y, h, _ = random_system(rng, 200, 8, 8, c, 0.5)
    few = nm.detector("cg", constellation="qpsk", iterations=2)(y, h, 0.5)
    full = nm.detector("lmmse", constellation="qpsk")(y, h, 0.5)
    assert np.abs(few.estimate - full.estimate).max() > 1e-2
    diag = nm.detector("cg", constellation="qpsk", iterations=8, llr_variance="diag")(y, h, 0.5)
    assert np.mean(np.abs(diag.llr)) > np.mean(np.abs(full.llr))


def reference_sic(y, h, nv, const, mmse):
    """Per-item float64 ordered SIC written independently with numpy (pinv/inv on the remaining columns)."""
    pts = const.points.astype(np.complex128)
    nt = h.shape[1]
    remaining = list(range(nt))
    s_hat = np.zeros(nt, complex)
    order = []
    y = y.copy()
    while remaining:
        hr = h[:, remaining]
        g = np.linalg.inv(hr.conj().T @ hr + (nv if mmse else 0.0) * np.eye(len(remaining)))
        xhat = g @ hr.conj().T @ y
        gd = np.real(np.diag(g))
        mu = 1 - nv * gd if mmse else np.ones_like(gd)
        nu = nv * gd / mu
        j = int(np.argmin(nu))
        t = remaining[j]
        z = xhat[j] / mu[j]
        s_hat[t] = pts[np.argmin(np.abs(z - pts))]
        y = y - h[:, t] * s_hat[t]
        order.append(t)
        remaining.remove(t)
    return s_hat, order


@pytest.mark.parametrize("name", ["mmse-sic", "vblast"])
def test_sic_equals_independent_reference(rng, name):
    c = nm.constellation("qam16")
    y, h, _ = random_system(rng, 30, 6, 4, c, 0.3)
    out = nm.detector(name, constellation="qam16")(y, h, 0.3)
    for i in range(30):
        s_ref, _ = reference_sic(y[i], h[i], 0.3, c, mmse=(name == "mmse-sic"))
        np.testing.assert_allclose(out.symbols[i], s_ref, atol=1e-6)


@pytest.mark.parametrize("name", ["wl-lmmse", "cg", "mmse-sic", "vblast", "mmse-sic-qr", "zf-sic-qr"])
def test_zero_noise_is_exact(rng, name):
    c = nm.constellation("qam16")
    y, h, idx = random_system(rng, 50, 6, 4, c, 0.0)
    out = nm.detector(name, constellation="qam16")(y, h, 0.0)
    assert np.array_equal(out.symbols, c.points[idx].astype(np.complex128))
    assert np.array_equal(out.llr > 0, c.bits[idx].astype(bool))


def test_zf_ser_matches_numerical_integration():
    """ZF, QPSK, Nr=4, Nt=2: per stream SER = 1 − (1 − Q(√(2γ)))², γ = g/(2σ²), g ~ Gamma(L=3, 1).
    Reference: the expectation by numerical integration over the Gamma density (independent of the
    closed-form BER test). Tolerance 4 standard errors of the per-vector symbol-error fraction."""
    rng = np.random.default_rng(17)
    c = nm.constellation("qpsk")
    nr, nt, n, nv = 4, 2, 200_000, 0.25
    y, h, idx = random_system(rng, n, nr, nt, c, nv, dtype=np.complex64)
    out = nm.detector("zf", constellation=c)(y, h, nv)
    e = (out.symbols != c.points[idx]).mean(axis=1)
    lv = nr - nt + 1
    g = np.linspace(1e-6, 60, 600_001)
    pdf = g ** (lv - 1) * np.exp(-g) / math.factorial(lv - 1)
    q = 0.5 * np.vectorize(math.erfc)(np.sqrt(2 * g / (2 * nv)) / math.sqrt(2))
    ref = np.trapz((1 - (1 - q) ** 2) * pdf, g) if hasattr(np, "trapz") else np.trapezoid((1 - (1 - q) ** 2) * pdf, g)
    assert abs(e.mean() - ref) < 4 * e.std(ddof=1) / math.sqrt(n), (e.mean(), ref)


def test_ml_has_the_lowest_ser():
    """Exact ML minimises the vector error probability; on shared samples its SER must not exceed any
    other detector's by more than 4 standard errors of the paired difference."""
    rng = np.random.default_rng(23)
    c = nm.constellation("qpsk")
    n, nv = 20000, 4 / 10 ** 0.8
    y, h, idx = random_system(rng, n, 4, 4, c, nv, dtype=np.complex64)
    x = c.points[idx]
    e_ml = (nm.detector("ml", constellation=c)(y, h, nv).symbols != x).mean(1)
    for name in nm.detector_names():
        if name in ("ml",):
            continue
        e = (nm.detector(name, constellation=c)(y, h, nv).symbols != x).mean(1)
        d = e - e_ml
        assert d.mean() >= -4 * d.std(ddof=1) / math.sqrt(n), name
