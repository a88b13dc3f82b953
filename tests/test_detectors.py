# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classical detectors against brute force and closed forms."""
import itertools

import numpy as np
import pytest
from conftest import random_system

import neuralmimo as nm
from neuralmimo.phy.demap import LLR_LIMIT


def brute_force_ml(y, h, nv, const, maxlog):
    """Independent float64 enumeration, one item at a time, with np.logaddexp."""
    nt = h.shape[1]
    k = const.bits_per_symbol
    pts = const.points.astype(np.complex128)
    cands = list(itertools.product(range(const.order), repeat=nt))
    metrics = np.array([np.sum(np.abs(y - h @ pts[list(c)]) ** 2) / nv for c in cands])
    llr = np.zeros(nt * k)
    for j in range(nt * k):
        t, b = divmod(j, k)
        one = np.array([const.bits[c[t], b] == 1 for c in cands])
        if maxlog:
            llr[j] = metrics[~one].min() - metrics[one].min()
        else:
            llr[j] = np.logaddexp.reduce(-metrics[one]) - np.logaddexp.reduce(-metrics[~one])
    best = pts[list(cands[int(np.argmin(metrics))])]
    post = np.exp(metrics.min() - metrics)
    mean = sum(p * pts[list(c)] for p, c in zip(post, cands)) / post.sum()      # E[x | y]
    return llr.reshape(nt, k), best, mean


@pytest.mark.parametrize("name,const,nr,nt", [("ml", "qpsk", 3, 2), ("ml", "qam16", 2, 2),
                                               ("ml-maxlog", "qpsk", 4, 3), ("ml", "bpsk", 2, 3)])
def test_ml_equals_brute_force(rng, name, const, nr, nt):
    c = nm.constellation(const)
    y, h, _ = random_system(rng, 6, nr, nt, c, 0.3)
    out = nm.detector(name, constellation=const)(y, h, 0.3)
    assert out.llr.dtype == np.float64
    for i in range(y.shape[0]):
        ref, best, mean = brute_force_ml(y[i], h[i], 0.3, c, maxlog=(name == "ml-maxlog"))
        np.testing.assert_allclose(out.llr[i], ref, atol=1e-5, rtol=1e-9)
        np.testing.assert_allclose(out.symbols[i], best, atol=1e-6)
        np.testing.assert_allclose(out.estimate[i], mean, atol=1e-9)


def test_ml_refuses_large_enumeration():
    det = nm.detector("ml", constellation="qam16")
    y = np.zeros((1, 8), np.complex64)
    h = np.ones((1, 8, 5), np.complex64)
    with pytest.raises(ValueError, match="16\\^5 = 1048576 candidates.*max_candidates=65536"):
        det(y, h, 1.0)


@pytest.mark.parametrize("const", ["qpsk", "qam16", "qam64"])
def test_lmmse_equals_closed_form(rng, const):
    c = nm.constellation(const)
    nv = 0.2
    y, h, _ = random_system(rng, 20, 6, 4, c, nv)
    out = nm.detector("lmmse", constellation=const)(y, h, nv)
    pts = c.points.astype(np.complex128)
    for i in range(y.shape[0]):
        hh = h[i].conj().T
        a = hh @ h[i] + nv * np.eye(4)
        xhat = np.linalg.solve(a, hh @ y[i])
        np.testing.assert_allclose(out.estimate[i], xhat, atol=1e-10)
        g = np.real(np.diag(np.linalg.inv(a)))
        mu = 1 - nv * g
        nu = nv * g / mu
        z = xhat / mu
        for t in range(4):
            d = np.abs(z[t] - pts) ** 2
            for b in range(c.bits_per_symbol):
                one = c.bits[:, b] == 1
                # Every detector clips its LLRs at ±LLR_LIMIT (docs/conventions.md).
                ref = np.clip((d[~one].min() - d[one].min()) / nu[t], -LLR_LIMIT, LLR_LIMIT)
                assert out.llr[i, t, b] == pytest.approx(ref, rel=1e-8, abs=1e-8)
        assert np.allclose(out.symbols[i], pts[np.argmin(np.abs(z[:, None] - pts) ** 2, axis=1)])


def test_app_demapping_is_log_sum_exp(rng):
    c = nm.constellation("qam16")
    y, h, _ = random_system(rng, 5, 4, 2, c, 0.5)
    app = nm.detector("lmmse", constellation=c, demapping="app")(y, h, 0.5)
    mx = nm.detector("lmmse", constellation=c)(y, h, 0.5)
    # The two demappers differ in value but nearly always agree on the sign.
    assert np.mean(np.sign(app.llr) == np.sign(mx.llr)) > 0.97
    pts = c.points.astype(np.complex128)
    g = np.real(np.diagonal(np.linalg.inv(np.conj(np.swapaxes(h, 1, 2)) @ h + 0.5 * np.eye(2)), axis1=1, axis2=2))
    mu = 1 - 0.5 * g
    z = mx.estimate / mu
    nu = 0.5 * g / mu
    d = np.abs(z[..., None] - pts) ** 2 / nu[..., None]
    one = c.bits[:, 0] == 1
    ref = np.logaddexp.reduce(-d[..., one], axis=-1) - np.logaddexp.reduce(-d[..., ~one], axis=-1)
    np.testing.assert_allclose(app.llr[..., 0], ref, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name", ["zf", "lmmse"])
@pytest.mark.parametrize("const", ["bpsk", "qpsk", "qam16", "qam256"])
def test_zero_noise_recovers_x_exactly(rng, name, const):
    c = nm.constellation(const)
    y, h, idx = random_system(rng, 50, 6, 4, c, 0.0)
    out = nm.detector(name, constellation=const)(y, h, 0.0)
    np.testing.assert_allclose(out.estimate, c.points.astype(np.complex128)[idx], atol=1e-8)
    assert np.array_equal(out.symbols, c.points[idx].astype(np.complex128))
    assert np.array_equal(out.llr > 0, c.bits[idx].astype(bool))


def test_zf_ber_matches_closed_form_on_rayleigh():
    """ZF, QPSK, Nr=4, Nt=2 on i.i.d. Rayleigh: each stream sees L = Nr−Nt+1 = 3 fold diversity with
    mean bit SNR γ̄ = 1/(2σ²) (1/[(HᴴH)⁻¹]_tt ~ Gamma(L, 1)), so
    P_b = ((1−μ)/2)^L Σ_k C(L−1+k, k) ((1+μ)/2)^k with μ = √(γ̄/(1+γ̄)).
    Tolerance: 4 standard errors of the per-vector error fraction (bits of one vector share H)."""
    from math import comb

    rng = np.random.default_rng(5)
    c = nm.constellation("qpsk")
    nr, nt, n, nv = 4, 2, 200_000, 0.25
    y, h, idx = random_system(rng, n, nr, nt, c, nv, dtype=np.complex64)
    out = nm.detector("zf", constellation=c)(y, h, nv)
    err = ((out.llr > 0) != c.bits[idx].astype(bool)).reshape(n, -1).mean(axis=1)
    ber, se = err.mean(), err.std(ddof=1) / np.sqrt(n)
    g = 1 / (2 * nv)
    mu = np.sqrt(g / (1 + g))
    lv = nr - nt + 1
    ref = ((1 - mu) / 2) ** lv * sum(comb(lv - 1 + k, k) * ((1 + mu) / 2) ** k for k in range(lv))
    assert abs(ber - ref) < 4 * se, (ber, ref, se)


def test_registry():
    names = nm.detector_names()
    assert {"zf", "lmmse", "ml", "ml-maxlog"} <= set(names)
    with pytest.raises(ValueError, match="'foo' is not a detector; known: .*lmmse"):
        nm.detector("foo", constellation="qpsk")
    with pytest.raises(ValueError, match="constellation= is required"):
        nm.detector("lmmse")
    with pytest.raises(ValueError, match="demapping"):
        nm.detector("lmmse", constellation="qpsk", demapping="exact")
