# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detector interface contract, checked for every detector nm.detector can build.

Cases: every name of nm.detector_names(), every shipped ONNX model, and a training checkpoint
(the toy config, trained for a few batches). For each: shapes and dtypes, numpy in -> numpy out
and torch in -> torch out with equal values, the LLR sign (LLR = ln P(b=1)/P(b=0), positive means
bit 1, docs/conventions.md), batch items independent, bad inputs raising a ValueError that
names the argument, and the output contract on finite but hostile inputs (H = 0, singular systems,
extreme scales and noise variances): finite outputs, |LLR| <= LLR_LIMIT, erasures counted and
logged once. What a detector cannot do is declared on the case (a model has a fixed
(Nt, Nr) and computes in float32) or on the detector (allows_more_streams_than_antennas), never
skipped.

Checks specific to one detector (values against references) live in that detector's test file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from conftest import random_system

import neuralmimo as nm
from neuralmimo.phy.demap import LLR_LIMIT

@dataclass(frozen=True)
class Case:
    """One detector of the contract.

    make(constellation) -> detector; a model ignores the argument (its constellation is fixed).
    fixed: (Nt, Nr, constellation) of a model, None for a detector that takes any system.
    double: complex128 input is computed and returned in double precision (else float32 always).
    outputs: the DetectorOutput fields the detector fills besides symbols.
    """

    id: str
    make: Callable[[str], object]
    fixed: tuple | None = None
    double: bool = True
    outputs: tuple = ("llr", "estimate")


def _classical(name: str) -> Case:
    return Case(name, lambda const: nm.detector(name, constellation=const))


def _shipped_models() -> list[Path]:
    models = sorted(Path(nm.model_path("lmmse_qam16_4x4.onnx")).parent.glob("*.onnx"))
    assert len(models) >= 4, models
    return models


def _onnx(path: Path) -> Case:
    det = nm.detector(str(path))
    return Case(path.name, lambda const: nm.detector(str(path)), (det.nt, det.nr, det.constellation.name),
                double=False, outputs=tuple(det.manifest["outputs"]))


CHECKPOINT = "checkpoint"
CLASSICAL = [_classical(name) for name in nm.detector_names()]
MODELS = [_onnx(p) for p in _shipped_models()]


def _params(with_checkpoint=True):
    out = [pytest.param(case.id, id=case.id) for case in CLASSICAL + MODELS]
    if with_checkpoint:
        out.append(pytest.param(CHECKPOINT, id=CHECKPOINT))
    return out


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory):
    """A trainer checkpoint of the toy config (4x8 QPSK), a few batches: final.pt."""
    from neuralmimo.train import CONFIG_DIR, Trainer, load_config

    cfg = load_config(CONFIG_DIR / "toy.toml", [
        "model.n_layers=2", "train.steps_per_epoch=2", "train.validation_vectors=100",
        "schedule.snr_curriculum_db=[[10, 20]]", "schedule.max_epochs=1", "data.batch=32"])
    result = Trainer(cfg, out_dir=tmp_path_factory.mktemp("toy"), quiet=True).fit()
    return result.final


@pytest.fixture
def case(request) -> Case:
    if request.param == CHECKPOINT:
        path = request.getfixturevalue("toy_checkpoint")
        det = nm.detector(str(path))
        return Case(CHECKPOINT, lambda const: nm.detector(str(path)),
                    (det.module.nt, det.module.nr, det.constellation.name), outputs=tuple(det.module.outputs))
    return next(c for c in CLASSICAL + MODELS if c.id == request.param)


def system_of(case: Case, const="qpsk", nt=3, nr=6):
    """(detector, constellation, Nt, Nr): a model's own system, else the given one."""
    if case.fixed is not None:
        nt, nr, const = case.fixed
    return case.make(const), nm.constellation(const), nt, nr


def orthogonal_system(rng, batch, nr, nt, const, noise_var):
    """y = Hx + n with H of orthogonal columns of norm √Nr (the CN(0,1) column norm on average):
    well conditioned, so every detector, truncated iterative ones included, is exact at high SNR."""
    g = (rng.standard_normal((batch, nr, nt)) + 1j * rng.standard_normal((batch, nr, nt))) / np.sqrt(2)
    h = np.linalg.qr(g)[0] * np.sqrt(nr)
    idx = rng.integers(0, const.order, (batch, nt))
    n = (rng.standard_normal((batch, nr)) + 1j * rng.standard_normal((batch, nr))) * np.sqrt(noise_var / 2)
    y = np.einsum("brt,bt->br", h, const.points.astype(np.complex128)[idx]) + n
    return y.astype(np.complex64), h.astype(np.complex64), idx


def check_output(case, out, b, nt, k, complex_dtype, real_dtype):
    assert out.symbols.shape == (b, nt) and out.symbols.dtype == complex_dtype
    assert (out.llr is not None) == ("llr" in case.outputs)
    assert (out.estimate is not None) == ("estimate" in case.outputs)
    if out.llr is not None:
        assert out.llr.shape == (b, nt, k) and out.llr.dtype == real_dtype
    if out.estimate is not None:
        assert out.estimate.shape == (b, nt) and out.estimate.dtype == complex_dtype


# ---------------------------------------------------------------------------------------------
# Shapes, dtypes, numpy and torch
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _params(), indirect=True)
def test_shapes_and_dtypes(rng, case):
    """complex64 in: complex64 / float32 out; complex128 in: complex128 / float64 out where the
    detector computes in double precision, float32 otherwise (ONNX graphs are float32)."""
    det, c, nt, nr = system_of(case)
    y, h, _ = random_system(rng, 5, nr, nt, c, 0.2)
    check_output(case, det(y.astype(np.complex64), h.astype(np.complex64), np.full(5, 0.2, np.float32)),
                 5, nt, c.bits_per_symbol, np.complex64, np.float32)
    double = case.double
    check_output(case, det(y, h, 0.2), 5, nt, c.bits_per_symbol,
                 np.complex128 if double else np.complex64, np.float64 if double else np.float32)


@pytest.mark.parametrize("case", _params(), indirect=True)
def test_torch_in_torch_out_equals_numpy(rng, case):
    det, c, nt, nr = system_of(case)
    y, h, _ = random_system(rng, 5, nr, nt, c, 0.2)
    b = y.shape[0]
    for cdtype, rtol in ((np.complex64, 1e-6), (np.complex128, 1e-12)):
        a = det(y.astype(cdtype), h.astype(cdtype), np.full(b, 0.2, np.float32))
        t = det(torch.from_numpy(y.astype(cdtype)), torch.from_numpy(h.astype(cdtype)), torch.full((b,), 0.2))
        for field in ("symbols",) + case.outputs:
            got, want = getattr(t, field), getattr(a, field)
            assert isinstance(got, torch.Tensor) and isinstance(want, np.ndarray), field
            assert got.numpy().dtype == want.dtype, field
            np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=rtol, err_msg=field)
    # Single against double precision: the same values to float32 accuracy.
    single = det(torch.from_numpy(y.astype(np.complex64)), torch.from_numpy(h.astype(np.complex64)), 0.2)
    double = det(y, h, 0.2)
    if "llr" in case.outputs:
        np.testing.assert_allclose(single.llr.numpy(), double.llr, rtol=1e-3, atol=1e-3)
    if "estimate" in case.outputs:
        np.testing.assert_allclose(single.estimate.numpy(), double.estimate, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("case", _params(), indirect=True)
def test_batch_items_are_independent(rng, case):
    """Detecting a batch equals detecting its items one at a time (no cross-item coupling)."""
    det, c, nt, nr = system_of(case, nt=4)
    nv = np.linspace(0.05, 2.0, 7)
    y, h, _ = random_system(rng, 7, nr, nt, c, nv[:, None])
    tol = 1e-9 if case.double else 1e-5
    out = det(y, h, nv)
    for i in range(7):
        one = det(y[i:i + 1], h[i:i + 1], nv[i])
        np.testing.assert_array_equal(one.symbols[0], out.symbols[i])
        if "llr" in case.outputs:
            np.testing.assert_allclose(one.llr[0], out.llr[i], rtol=tol, atol=tol)
        if "estimate" in case.outputs:
            np.testing.assert_allclose(one.estimate[0], out.estimate[i], rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize("case", _params(), indirect=True)
def test_empty_batch(case):
    det, c, nt, nr = system_of(case, nt=2, nr=4)
    out = det(np.zeros((0, nr), np.complex64), np.zeros((0, nr, nt), np.complex64), 1.0)
    check_output(case, out, 0, nt, c.bits_per_symbol, np.complex64, np.float32)


@pytest.mark.parametrize("case", _params(with_checkpoint=False), indirect=True)
def test_single_stream_or_fixed_shape(case):
    """One stream, noise-free: the symbol itself. A model has a fixed Nt and refuses Nt = 1."""
    det, c, nt, nr = system_of(case)
    y = c.points[None, :1] * np.ones((1, 3))
    if case.fixed is not None:
        with pytest.raises(ValueError, match="H: "):
            det(y, np.ones((1, 3, 1), np.complex128), 0.0)
        return
    out = det(y, np.ones((1, 3, 1), np.complex128), 0.0)
    assert out.symbols[0, 0] == c.points[0]


# ---------------------------------------------------------------------------------------------
# LLR sign
# ---------------------------------------------------------------------------------------------

def _sign_params():
    """Every detector that takes any system on three constellations; a model on its own one."""
    out = [pytest.param(c.id, const, id=f"{c.id}-{const}") for c in CLASSICAL for const in ("bpsk", "qpsk", "qam16")]
    return out + [pytest.param(p.values[0], None, id=p.id) for p in _params() if p.values[0] not in
                  {c.id for c in CLASSICAL}]


@pytest.mark.parametrize("case, const", _sign_params(), indirect=["case"])
def test_llr_sign_at_high_snr(case, const):
    """LLR = ln P(b=1)/P(b=0): at high SNR on a well-conditioned channel LLR > 0 exactly where the
    transmitted bit is 1, the hard symbols are the transmitted ones and carry the LLR signs' bits."""
    det, c, nt, nr = system_of(case, const=const, nt=2, nr=4)
    rng = np.random.default_rng(20261124 + nt)
    y, h, idx = orthogonal_system(rng, 64, nr, nt, c, 1e-4)
    out = det(y, h, 1e-4)
    np.testing.assert_array_equal(out.symbols, c.points[idx])
    if "llr" in case.outputs:
        assert np.all(np.isfinite(out.llr))
        np.testing.assert_array_equal(out.llr > 0, c.bits[idx] == 1)
        np.testing.assert_array_equal(c.bits[c.nearest(out.symbols)] == 1, out.llr > 0)


# ---------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _params(), indirect=True)
def test_bad_inputs_raise_value_errors_naming_the_argument(case):
    det, c, nt, nr = system_of(case, nt=2, nr=4)
    y = np.zeros((3, nr), np.complex64)
    h = np.ones((3, nr, nt), np.complex64) + np.eye(nr, nt)
    with pytest.raises(ValueError, match="y: expected 2 dimensions"):
        det(y[0], h, 1.0)
    with pytest.raises(ValueError, match="y: expected 2 dimensions"):
        det(y[None], h, 1.0)
    with pytest.raises(ValueError, match="H: expected 3 dimensions"):
        det(y, h[0], 1.0)
    with pytest.raises(ValueError, match="H: shape .* does not match y"):
        det(y, h[:2], 1.0)                                   # batch of 2 against 3
    with pytest.raises(ValueError, match="H: shape .* does not match y"):
        det(y, h[:, :-1], 1.0)                               # Nr - 1 rows
    with pytest.raises(ValueError, match="noise_var: must be >= 0"):
        det(y, h, -1.0)
    with pytest.raises(ValueError, match="noise_var: must be >= 0"):
        det(y, h, np.array([0.1, -0.1, 0.1]))
    with pytest.raises(ValueError, match=r"noise_var: expected a scalar or shape \[3\]"):
        det(y, h, np.ones(2))
    for value in (np.nan, np.inf):
        y_bad = y.copy()
        y_bad[1, 0] = value
        with pytest.raises(ValueError, match="y: contains NaN or Inf"):
            det(y_bad, h, 1.0)
        h_bad = h.copy()
        h_bad[0, 0, 0] = value
        with pytest.raises(ValueError, match="H: contains NaN or Inf"):
            det(y, h_bad, 1.0)
        with pytest.raises(ValueError, match="noise_var: contains NaN or Inf"):
            det(y, h, value)


@pytest.mark.parametrize("case", _params(), indirect=True)
def test_more_streams_than_antennas(case):
    """Nt > Nr: a detector either handles it or refuses it as it declares
    (allows_more_streams_than_antennas); a model refuses every other shape than its own."""
    det, c, _, _ = system_of(case)
    y, h = np.zeros((1, 2), np.complex64), np.ones((1, 2, 3), np.complex64)
    if case.fixed is not None:
        with pytest.raises(ValueError, match="H: "):
            det(y, h, 1.0)
    elif det.allows_more_streams_than_antennas:
        out = det(y, h, 1.0)
        assert out.symbols.shape == (1, 3) and out.llr.shape == (1, 3, c.bits_per_symbol)
    else:
        with pytest.raises(ValueError, match=f"H: {det.name} needs Nr >= Nt, got Nr=2, Nt=3"):
            det(y, h, 1.0)


@pytest.mark.parametrize("name", nm.detector_names())
def test_classical_detector_needs_a_constellation(name):
    with pytest.raises(ValueError, match="constellation= is required"):
        nm.detector(name)


def test_checkpoint_errors(toy_checkpoint, tmp_path):
    """A checkpoint holds its constellation and its (Nt, Nr); a missing file is named."""
    with pytest.raises(ValueError, match="constellation"):
        nm.detector(str(toy_checkpoint), constellation="qam16")
    det = nm.detector(str(toy_checkpoint), constellation="qpsk")
    with pytest.raises(ValueError, match="Nt=4, Nr=8"):
        det(np.zeros((2, 6), np.complex64), np.zeros((2, 6, 4), np.complex64), 1.0)
    with pytest.raises(ValueError, match="not found"):
        nm.detector(str(tmp_path / "missing.pt"))


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
            for field in ("symbols",) + case.outputs:
                np.testing.assert_allclose(getattr(one, field)[0], getattr(out, field)[i], rtol=1e-5, atol=1e-5)
    if hostile.startswith("H~") and det.scale_invariant:
        # Power-of-two scaling is exact: the same answer as the unscaled system, bit for bit.
        base = det(*_good(np.random.default_rng(7), nr, nt, c))
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
