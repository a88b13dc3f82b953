# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ MMNet kernel (the per-observation half of HyperMIMO, lib/mmnet_kernel.cc) against a
numpy float64 reference of the formulas in include/gnuradio/neuralmimo/mmnet_kernel.h.

Needs the compiled module neuralmimo.neuralmimo_python: run after `make build`, without
PYTHONPATH=python (the source tree has no compiled module and shadows the installed package),
e.g. `.venv/bin/python -m pytest -q tests/test_mmnet_kernel.py`; skipped where it does not import.

The reference enumerates all M points per user (the kernel uses the separable PAM form) and takes
exact log-sum-exps. The kernel computes in float32; over the random states below (theta near
R^-1, tau from 0.01 up, median |LLR| 3 to 80) the largest errors measured were about 1e-6 on the
estimates and 1e-5 of max(1, |LLR|) on the LLRs; the asserted bounds are 1e-4.
"""

import numpy as np
import pytest

from neuralmimo.phy.constellation import constellation
from neuralmimo.phy.demap import LLR_LIMIT

from conftest import compiled  # tests/ is on sys.path under pytest

mmnet_kernel = compiled("mmnet_kernel")

EST_ATOL = 1e-4
LLR_TOL = 1e-4          # of max(1, |LLR|)


def reference(y, chan, q, r, theta, tau_gain, tau_floor, res_floor, const_name):
    """The header's formulas in float64, all M points per user -> (estimate [n, Nu], llr [n, Nu, K])."""
    c = constellation(const_name)
    pts = c.points.astype(np.complex128)                  # [M]
    bits = c.bits.astype(bool)                            # [M, K]
    n, nu, layers = y.shape[0], q.shape[2], theta.shape[1]
    est = np.zeros((n, nu), np.complex128)
    llr = np.zeros((n, nu, c.bits_per_symbol))
    for i in range(n):
        s = chan[i]
        ys = q[s].astype(np.complex128).conj().T @ y[i].astype(np.complex128)
        x = np.zeros(nu, np.complex128)
        for t in range(layers):
            res = ys - r[s].astype(np.complex128) @ x
            e = max(np.sum(np.abs(res) ** 2) - float(res_floor[s]), 0.0)
            z = x + theta[s, t].astype(np.complex128) @ res
            tau = np.maximum(tau_gain[s, t].astype(np.float64) * e + tau_floor[s, t], 1e-10)
            m = np.abs(z[:, None] - pts[None, :]) ** 2 / tau[:, None]          # [Nu, M]
            w = np.exp(-(m - m.min(axis=1, keepdims=True)))
            x = (w @ pts) / w.sum(axis=1)
        est[i] = x
        for k in range(c.bits_per_symbol):
            l1 = np.logaddexp.reduce(-m[:, bits[:, k]], axis=1)
            l0 = np.logaddexp.reduce(-m[:, ~bits[:, k]], axis=1)
            llr[i, :, k] = l1 - l0
    return est, np.clip(llr, -LLR_LIMIT, LLR_LIMIT)


def random_states(rng, channels, nu, nr, layers, s2=0.05):
    """Channels H = Q R and MMNet-like states: theta near R^-1, tau gains and floors of the size
    HyperMIMO produces, res_floor = Nu s2."""
    h = (rng.standard_normal((channels, nr, nu)) + 1j * rng.standard_normal((channels, nr, nu))) / np.sqrt(2)
    q, r = np.linalg.qr(h)
    rinv = np.linalg.inv(r)
    theta = rinv[:, None] * rng.uniform(0.6, 1.1, (channels, layers, 1, 1))
    theta = theta + 0.05 * (rng.standard_normal(theta.shape) + 1j * rng.standard_normal(theta.shape))
    return dict(
        q=q.astype(np.complex64), r=r.astype(np.complex64), theta=theta.astype(np.complex64),
        tau_gain=rng.uniform(0.002, 0.05, (channels, layers, nu)).astype(np.float32),
        tau_floor=rng.uniform(0.01, 0.1, (channels, layers, nu)).astype(np.float32),
        res_floor=np.full(channels, nu * s2, np.float32)), h


def random_items(rng, h, const_name, n, s2=0.05):
    """n items y = H_c x + noise, c drawn at random -> (y complex64[n, Nr], chan int32[n])."""
    c = constellation(const_name)
    channels, nr, nu = h.shape
    chan = rng.integers(0, channels, n).astype(np.int32)
    x = c.points.astype(np.complex128)[rng.integers(0, c.order, (n, nu))]
    noise = (rng.standard_normal((n, nr)) + 1j * rng.standard_normal((n, nr))) * np.sqrt(s2 / 2)
    y = np.einsum("nrt,nt->nr", h[chan], x) + noise
    return y.astype(np.complex64), chan


def order_of(state):
    return [state[k] for k in ("q", "r", "theta", "tau_gain", "tau_floor", "res_floor")]


# The last two: more than 8 users (several SIMD blocks); their residuals (so tau) are larger.
@pytest.mark.parametrize("const_name,nu,nr,layers,min_median_llr", [
    ("qpsk", 6, 12, 5, 1.0), ("qam16", 6, 12, 5, 1.0), ("qam16", 2, 4, 5, 1.0), ("bpsk", 3, 5, 2, 1.0),
    ("qam64", 4, 6, 3, 1.0), ("qam256", 9, 10, 2, 0.1), ("qpsk", 17, 20, 3, 0.1)])
def test_kernel_equals_reference(rng, const_name, nu, nr, layers, min_median_llr):
    state, h = random_states(rng, 4, nu, nr, layers)
    y, chan = random_items(rng, h, const_name, 300)
    k = mmnet_kernel(nu, nr, layers, const_name)
    est, llr = k.detect(y, chan, *order_of(state))
    assert est.dtype == np.complex64 and est.shape == (300, nu)
    assert llr.dtype == np.float32 and llr.shape == (300, nu, k.bits_per_symbol)
    assert k.erased == 0 and k.first_erased == -1
    want_est, want_llr = reference(y, chan, *order_of(state), const_name)
    np.testing.assert_allclose(est, want_est, rtol=0, atol=EST_ATOL)
    err = np.abs(llr - want_llr) / np.maximum(1.0, np.abs(want_llr))
    assert err.max() <= LLR_TOL, f"LLR error {err.max():.2e} of max(1, |LLR|)"
    # Not a degenerate comparison: most LLRs informative, few clipped.
    assert np.median(np.abs(want_llr)) > min_median_llr and np.mean(np.abs(want_llr) >= LLR_LIMIT) < 0.5
    # Up to 8 consecutive items of a channel run side by side: each item's values do not depend
    # on its neighbours, bitwise: alone, or sorted by channel (long runs), as in the random order.
    e1, l1 = k.detect(y[7:8], chan[7:8], *order_of(state))
    assert np.array_equal(e1[0], est[7]) and np.array_equal(l1[0], llr[7])
    order = np.argsort(chan, kind="stable")
    e2, l2 = k.detect(y[order], chan[order], *order_of(state))
    assert np.array_equal(e2, est[order]) and np.array_equal(l2, llr[order])


def test_nonfinite_items_are_erased(rng):
    nu, nr, layers = 3, 6, 3
    state, h = random_states(rng, 2, nu, nr, layers)
    y, chan = random_items(rng, h, "qam16", 10)
    chan[:] = [0, 1] * 5
    k = mmnet_kernel(nu, nr, layers, "qam16")
    est0, llr0 = k.detect(y, chan, *order_of(state))
    y[3, 1] = np.nan
    state["theta"][1, 2, 0, 0] = np.inf                    # channel 1: items 1, 3, 5, 7, 9
    est, llr = k.detect(y, chan, *order_of(state))
    assert k.erased == 5 and k.first_erased == 1
    bad = chan == 1
    assert not est[bad].any() and not llr[bad].any()
    assert np.array_equal(est[~bad], est0[~bad]) and np.array_equal(llr[~bad], llr0[~bad])


def test_bad_arguments_raise(rng):
    nu, nr, layers, n = 2, 4, 3, 5
    state, h = random_states(rng, 3, nu, nr, layers)
    y, chan = random_items(rng, h, "qpsk", n)
    k = mmnet_kernel(nu, nr, layers, "qpsk")
    args = dict(y=y, chan=chan, **state)
    k.detect(**args)                                        # the valid call
    k.detect(**{**args, "chan": chan.astype(np.int64)})    # any integer dtype for chan
    bad = [("y", y[:, :3], r"y must have shape \[n, Nr=4\]"), ("y", y.astype(np.complex128), "y must be complex64"),
           ("y", y.real.copy(), "y must be complex64"),
           ("chan", chan[:4], r"chan must have shape \[n=5\]"), ("chan", chan.astype(np.float32), "chan must be"),
           ("chan", np.array([0, 1, 2, 3, 0], np.int32), r"item 3: channel 3 is not in \[0, 3\)"),
           ("chan", np.array([0, -1, 2, 1, 0], np.int64), "item 1: channel -1"),
           ("q", state["q"][:, :, :1], r"q must have shape \[C, Nr=4, Nu=2\]"),
           ("q", state["q"].astype(np.complex128), "q must be complex64"),
           ("r", state["r"][:2], r"r must have shape \[C=3, Nu=2, Nu=2\]"), ("r", state["r"][:, :1], "r must have"),
           ("theta", state["theta"][:, :2], r"theta must have shape \[C=3, T=3, Nu=2, Nu=2\]"),
           ("theta", state["theta"][..., :1], "theta must have"),
           ("tau_gain", state["tau_gain"].astype(np.float64), "tau_gain must be float32"),
           ("tau_gain", state["tau_gain"][:, :, :1], r"tau_gain must have shape \[C=3, T=3, Nu=2\]"),
           ("tau_floor", state["tau_floor"][:1], "tau_floor must have shape"),
           ("res_floor", state["res_floor"][:2], r"res_floor must have shape \[C=3\]"),
           ("res_floor", state["res_floor"][:, None], "res_floor must have shape")]
    for name, v, match in bad:
        with pytest.raises(ValueError, match=match):
            k.detect(**{**args, name: v})
    for a in [(0, 4, 3, "qpsk"), (2, 1, 3, "qpsk"), (2, 4, 0, "qpsk"), (2, 4, 3, "qam32")]:
        with pytest.raises(ValueError, match="mmnet_kernel"):
            mmnet_kernel(*a)
    # No items: empty outputs of the right shapes.
    est, llr = k.detect(y[:0], chan[:0], *order_of(state))
    assert est.shape == (0, nu) and llr.shape == (0, nu, 2)
