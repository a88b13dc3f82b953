# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detector output contract on finite but hostile inputs (H = 0, singular systems, extreme
scales and noise variances; docs/conventions.md, "LLR sign and demapping"), for every detector
of the contract (tests/detector_cases.py): finite outputs, |LLR| <= LLR_LIMIT, erasures counted
and logged once. Then the regression tests of the findings of the reliability review.

The rest of the detector interface contract: tests/test_detector_contract.py.
"""
from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import random_system
from detector_cases import _params, case, redraw, system_of  # noqa: F401 (case: a fixture)

import neuralmimo as nm
from neuralmimo.phy.demap import LLR_LIMIT


# ---------------------------------------------------------------------------------------------
# The output contract on finite but hostile inputs (docs/conventions.md, "LLR sign and demapping")
# ---------------------------------------------------------------------------------------------

def _good(rng, nr, nt, c, batch=2, nv=0.1):
    y, h, _ = random_system(rng, batch, nr, nt, c, nv, dtype=np.complex64)
    return y, h, np.full(batch, nv)


def _rank_deficient(rng, nr, nt, rank, batch=2):
    """H = U V with U [Nr, rank], V [rank, Nt] of small integers: the product is exact in float32,
    so HᴴH is exactly singular (rank < Nt)."""
    u = rng.integers(-2, 3, (batch, nr, rank)) + 1j * rng.integers(-2, 3, (batch, nr, rank))
    v = rng.integers(-2, 3, (batch, rank, nt)) + 1j * rng.integers(-2, 3, (batch, rank, nt))
    u[:, 0, 0] = v[:, 0, 0] = 1 + 1j                     # never H = 0
    return (u @ v).astype(np.complex64)


def _with_h(rng, nr, nt, c, h, nv):
    y, _, _ = random_system(rng, h.shape[0], nr, nt, c, nv)
    x = c.points[rng.integers(0, c.order, (h.shape[0], nt))]
    n = (rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape)) * np.sqrt(nv / 2)
    return (np.einsum("brt,bt->br", h, x) + n).astype(np.complex64), h, np.full(h.shape[0], float(nv))


def _scaled(scale):
    """y and H times `scale`, σ² times scale² (given in float64: 1e39 does not fit in float32)."""
    def make(rng, nr, nt, c):
        y, h, nv = _good(rng, nr, nt, c)
        return (y * np.float32(scale)).astype(np.complex64), (h * np.float32(scale)).astype(np.complex64), nv * scale ** 2
    return make


def _one_bad_among_good(rng, nr, nt, c):
    y, h, nv = _good(rng, nr, nt, c, batch=5)
    h[2] = 0
    h[3] = _rank_deficient(rng, nr, nt, 1, 1)[0]
    return y, h, nv


#: name -> make(rng, Nr, Nt, constellation) -> (y complex64[B, Nr], H complex64[B, Nr, Nt], σ² float64[B]).
HOSTILE = {
    "H=0": lambda rng, nr, nt, c: (_good(rng, nr, nt, c)[0], np.zeros((2, nr, nt), np.complex64), np.full(2, 0.1)),
    "rank1-nv0.1": lambda rng, nr, nt, c: _with_h(rng, nr, nt, c, _rank_deficient(rng, nr, nt, 1), 0.1),
    "rank-deficient-nv0": lambda rng, nr, nt, c: _with_h(rng, nr, nt, c, _rank_deficient(rng, nr, nt, nt - 1), 0.0),
    "H~1e20": _scaled(2.0 ** 66),
    "H~1e-20": _scaled(2.0 ** -66),
    "y~1e30": lambda rng, nr, nt, c: ((_good(rng, nr, nt, c)[0] * np.float32(1e30)).astype(np.complex64),
                                      *_good(rng, nr, nt, c)[1:]),
    "nv=0": lambda rng, nr, nt, c: _good(rng, nr, nt, c, nv=0.0),
    "nv=1e-30": lambda rng, nr, nt, c: _good(rng, nr, nt, c, nv=1e-30),
    "nv=1e30": lambda rng, nr, nt, c: _good(rng, nr, nt, c, nv=1e30),
    "one-bad-among-good": _one_bad_among_good,
}


def _contract_holds(out, case, b):
    """Finite outputs, |LLR| <= LLR_LIMIT, erased items all 0; -> erased bool[B]."""
    assert out.erased.shape == (b,) and out.erased.dtype == bool
    for field in ("symbols",) + case.outputs:
        v = getattr(out, field)
        assert np.all(np.isfinite(v)), field
        assert np.all(v[out.erased] == 0), field
    if "llr" in case.outputs:
        assert np.all(np.abs(out.llr) <= LLR_LIMIT)
    return out.erased


@pytest.mark.parametrize("hostile", list(HOSTILE))
@pytest.mark.parametrize("case", _params(), indirect=True)
def test_hostile_inputs_give_the_output_contract(case, hostile, caplog):
    """Every detector on every hostile case: finite, bounded, erasures counted in `erased` and
    erased_items and logged exactly once per detector (two calls, one warning); H = 0 is an
    erasure or LLRs within 1e-3 of 0 (no information must never give confident LLRs)."""
    det, c, nt, nr = system_of(case, nt=2, nr=4)
    y, h, nv = HOSTILE[hostile](np.random.default_rng(7), nr, nt, c)
    with caplog.at_level(logging.WARNING, logger="neuralmimo"):
        out = det(y, h, nv)
        again = det(y, h, nv)
    erased = _contract_holds(out, case, y.shape[0])
    np.testing.assert_array_equal(again.erased, erased)
    assert det.erased_items == 2 * int(erased.sum())
    warnings = [r for r in caplog.records if r.name == "neuralmimo"]
    assert len(warnings) == (1 if erased.any() else 0), [r.getMessage() for r in warnings]
    if erased.any():
        assert f"item {int(np.flatnonzero(erased)[0])} " in warnings[0].getMessage()
    zero = ~h.reshape(h.shape[0], -1).any(axis=1)
    if zero.any():
        assert all(erased[zero]) or ("llr" in case.outputs and np.abs(out.llr[zero]).max() <= 1e-3)
    if hostile == "one-bad-among-good":
        for i in (0, 1, 4):   # the good items equal their result when run alone
            one = det(y[i:i + 1], h[i:i + 1], nv[i:i + 1])
            assert not one.erased[0] and not erased[i]
            if not det.deterministic:      # a random-order item's answer depends on its place
                continue
            for field in ("symbols",) + case.outputs:
                np.testing.assert_allclose(getattr(one, field)[0], getattr(out, field)[i], rtol=1e-5, atol=1e-5)
    if hostile.startswith("H~") and det.scale_invariant:
        # Power-of-two scaling is exact: the same answer as the unscaled system, bit for bit.
        base = redraw(case, det)(*_good(np.random.default_rng(7), nr, nt, c))
        for field in ("symbols", "erased") + case.outputs:
            np.testing.assert_array_equal(getattr(out, field), getattr(base, field), err_msg=field)


# Regression tests of the findings of the reliability review (each failed on the code before the
# output contract; what it gave is in the docstring).

def _rank1_batch(nr=4, nt=2):
    rng = np.random.default_rng(3)
    c = nm.constellation("qam16")
    y, h, nv = _good(rng, nr, nt, c, batch=4)
    h[1] = _rank_deficient(rng, nr, nt, 1, 1)[0]
    return c, y, h, nv


@pytest.mark.parametrize("name", ["zf", "vblast"])
def test_zf_and_vblast_erase_a_rank1_item_and_detect_the_others(name):
    """Before: ValueError "HᴴH is singular" / "singular system in vblast" for the whole batch (inside
    a classical_detector block's work(): the flowgraph hung); a rank-1 H that rounding left
    invertible gave |LLR| ≈ 6e10 instead."""
    c, y, h, nv = _rank1_batch()
    det = nm.detector(name, constellation=c.name)
    out = det(y, h, nv)
    np.testing.assert_array_equal(out.erased, [False, True, False, False])
    assert np.all(out.llr[1] == 0) and det.erased_items == 1
    for i in (0, 2, 3):
        np.testing.assert_array_equal(det(y[i:i + 1], h[i:i + 1], nv[i]).llr[0], out.llr[i])


def test_oamp_with_h_zero_is_erased_not_nan():
    """Before: all 16 LLRs NaN (0/0 in the de-correlated LMMSE step once v² overflows)."""
    c, y, h, nv = _rank1_batch()
    h[1] = 0
    out = nm.detector("oamp", constellation=c.name)(y, h, nv)
    assert np.all(np.isfinite(out.llr)) and out.erased[1] and np.all(out.llr[1] == 0)


def test_kbest_with_h_zero_gives_no_confident_llrs():
    """Before: LLRs of ±20 (llr_clip: every bit without a counter-hypothesis in the list) for an
    item whose H carries no information at all."""
    c, y, h, nv = _rank1_batch()
    h[1] = 0
    out = nm.detector("kbest", constellation=c.name)(y, h, nv)
    assert out.erased[1] and np.all(out.llr[1] == 0)


@pytest.mark.parametrize("scale", [1e20, 1e-20])
def test_lmmse_is_finite_at_extreme_channel_scales(scale):
    """Before: NaN LLRs for |H| ≈ 1e20 (HᴴH overflows float32); now the per-item power-of-two
    scaling gives the answer of the unscaled system (within float32 rounding of y·1e20)."""
    c, y, h, nv = _rank1_batch()
    h[1] = h[0]
    det = nm.detector("lmmse", constellation=c.name)
    out = det((y * np.float32(scale)).astype(np.complex64), (h * np.float32(scale)).astype(np.complex64),
              nv * scale ** 2)
    ref = det(y, h, nv)
    assert not out.erased.any()
    np.testing.assert_allclose(out.llr, ref.llr, rtol=1e-4, atol=1e-4)


def test_lmmse_and_its_onnx_model_erase_huge_y_and_singular_noise_free_items_alike():
    """Before, on this batch: the ONNX model returned NaN LLRs for the rank-3 noise-free item where
    the Python LMMSE gave |LLR| ≈ 2.4e10 (ValueError instead when the LU hit an exact zero pivot);
    |y| ≈ 1e30 gave NaN in both. Now both erase exactly those two items."""
    onnx = nm.detector(nm.model_path("lmmse_qam16_4x4.onnx"))
    c, y, h, nv = _rank1_batch(nr=4, nt=4)
    h[1] = _rank_deficient(np.random.default_rng(5), 4, 4, 3, 1)[0]
    nv[1] = 0.0
    y[2] *= np.float32(1e30)
    a, b = onnx(y, h, nv), nm.detector("lmmse", constellation=c.name)(y, h, nv)
    for out in (a, b):
        np.testing.assert_array_equal(out.erased, [False, True, True, False])
        assert np.all(np.isfinite(out.llr)) and np.all(out.llr[[1, 2]] == 0)
    np.testing.assert_allclose(a.llr, b.llr, rtol=1e-3, atol=1e-3)
