# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Symmetries every detector must respect, checked with hypothesis on every detector of the
contract test (classical names, shipped ONNX models, a trainer checkpoint):

- permuting the users (columns of H) permutes the outputs;
- scaling y and H by a complex c and σ² by |c|² leaves the answer unchanged (y = Hx + n with
  H → cH, n → cn is the same channel seen through a different gain and phase);
- negating column t of H (x_t → −x_t) negates exactly the LLRs of the bits that the Gray
  labelling ties to the signs of Re x_t and Im x_t (b0 and, for complex constellations, b1;
  docs/conventions.md, "Constellations and labelling"), the others are unchanged.

Where a property does not hold for a detector, it is declared below with the reason and that
detector is left out of that property's parameters (not run, not skipped).
Examples are few and derandomized (a fixed profile), so the file is fast and reproducible.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from detector_cases import _params, case, redraw, system_of  # noqa: F401 (case: a fixture)

import neuralmimo as nm

PROFILE = settings(derandomize=True, max_examples=3, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Case id prefix -> properties that do not hold, with the reason.
NOT_EQUIVARIANT = {
    "lcgnetv_": "LcgNetV learns one step size per real coordinate (alpha, beta in R^2Nt): stream t has its own steps",
    "checkpoint": "the toy model's first layer has a learned scale per stream",
    "wesnet_": "DetNet's layers are dense layers over the stacked real unknowns: each stream has its own weights",
    "detnet_": "the same (DetNet, family wesnet)",
    "hypermimo_": "HyperMIMO's hypernetwork maps R_A's entries, position by position, to MMNet's weights: "
                  "the QR of H depends on the column order, and user u's weights on its place",
    "mmse-sic-qr": "SIC detects the permuted columns in the order of its (random) draw, not the users' order: "
                   "a permutation of H changes which user is detected first",
    "zf-sic-qr": "the same (SIC order follows the columns)",
    "eqnet_": "EQ-Net's estimation encoder takes y and H flattened into dense ReLU layers, and its decoder has "
              "one branch per soft bit: every stream has its own weights",
}
#: Case id prefix -> negating a column does not negate the sign bits exactly, with the reason.
NOT_ODD = {
    "wesnet_": "DetNet's layers are ReLU layers with biases, not odd functions of Hᵀy, HᵀHs and s",
    "detnet_": "the same (DetNet, family wesnet)",
    "remimo_": "RE-MIMO's embedding and predictor are ReLU layers with biases over [Re h_i; Im h_i], δy and σ",
    "hypermimo_": "negating column k of H negates row k of R_A right of its diagonal (the unique QR keeps the "
                  "diagonal positive): another input to the hypernetwork's ELU layers, other weights",
    "eqnet_": "EQ-Net's layers are ReLU layers with biases over the raw [Re; Im] of y, H and σ",
}
#: Case id prefix -> the scale property holds for no c ≠ 1, not even a phase, with the reason.
NOT_SCALE_INVARIANT = {
    "remimo_": "RE-MIMO takes y, h_i and σ as raw real features [Re; Im] (no normalisation) into ReLU "
               "layers: a phase mixes Re and Im, a magnitude moves every pre-activation",
    "eqnet_": "the same (EQ-Net's estimation encoder: raw [Re; Im] of y, H and σ into ReLU layers)",
}
#: Case id prefix -> the scale property holds only for |c| = 1 (a phase), with the reason.
PHASE_ONLY = {
    "lcgnetv_": "LcgNet's learned steps are tuned to the training channel's scale: A = HᵀH + σ²I "
                "scales with |c|², the steps do not",
}


def _declared(table, case_id):
    return next((why for prefix, why in table.items() if case_id.startswith(prefix)), None)


def _system(det_case, seed):
    """(detector, constellation, y, H, σ²) of a model's own size or Nt = 2, Nr = 4 16-QAM, SNR 6..20 dB."""
    det, c, nt, nr = system_of(det_case, const="qam16", nt=2, nr=4)
    rng = np.random.default_rng(seed)
    b = 6
    h = (rng.standard_normal((b, nr, nt)) + 1j * rng.standard_normal((b, nr, nt))) / np.sqrt(2)
    nv = nt / 10 ** (rng.uniform(6, 20, b) / 10)
    x = c.points.astype(np.complex128)[rng.integers(0, c.order, (b, nt))]
    n = (rng.standard_normal((b, nr)) + 1j * rng.standard_normal((b, nr))) * np.sqrt(nv[:, None] / 2)
    y = np.einsum("brt,bt->br", h, x) + n
    if not det_case.double:               # a float32 model: give it float32 inputs
        y, h = y.astype(np.complex64), h.astype(np.complex64)
    return det, c, y, h, nv


def _tol(det_case):
    return (1e-6, 1e-6) if det_case.double else (2e-3, 2e-3)


def _same_answer(case_, a, b, perm=None, negate=None):
    """b is a's answer after the transformation: permuted streams (perm) or negated LLRs (negate, a
    bool[Nt, K] mask). LLRs within the precision's tolerance; hard symbols equal where no LLR of the
    item is within that tolerance of 0 (a tie may go either way)."""
    rtol, atol = _tol(case_)
    la = a.llr if perm is None else a.llr[:, perm]
    if negate is not None:
        la = np.where(negate, -la, la)
    np.testing.assert_allclose(b.llr, la, rtol=rtol, atol=atol)
    sure = (np.abs(la) > 10 * atol).all(axis=(1, 2))
    sa = a.symbols if perm is None else a.symbols[:, perm]
    if negate is not None:
        sa = np.where(negate[:, 0], -sa, sa)
    np.testing.assert_array_equal(b.symbols[sure], sa[sure])


@pytest.mark.parametrize("case", [p for p in _params() if not _declared(NOT_EQUIVARIANT, p.values[0])],
                         indirect=True)
def test_permuting_users_permutes_outputs(case):
    @PROFILE
    @given(seed=st.integers(0, 2 ** 32 - 1), data=st.data())
    def check(seed, data):
        det, c, y, h, nv = _system(case, seed)
        perm = np.array(data.draw(st.permutations(range(h.shape[2]))))
        _same_answer(case, det(y, h, nv), det(y, h[:, :, perm], nv), perm=perm)

    check()


@pytest.mark.parametrize("case", [p for p in _params() if not _declared(NOT_SCALE_INVARIANT, p.values[0])],
                         indirect=True)
def test_scaling_y_h_and_noise_leaves_the_answer(case):
    phase_only = _declared(PHASE_ONLY, case.id) is not None

    @PROFILE
    @given(seed=st.integers(0, 2 ** 32 - 1), log_mag=st.floats(-3, 3), phase=st.floats(0, 2 * np.pi))
    def check(seed, log_mag, phase):
        det, c, y, h, nv = _system(case, seed)
        scale = (1.0 if phase_only else 10.0 ** log_mag) * np.exp(1j * phase)
        cz = np.asarray(scale, dtype=y.dtype)
        _same_answer(case, det(y, h, nv), redraw(case, det)(y * cz, h * cz, nv * abs(scale) ** 2))

    check()


def _sign_bits(c):
    """bool[K]: the label bits whose flip negates Re x (b0) and, for complex constellations, Im x (b1);
    checked against the constellation itself: x(i with those bits flipped) = −x(i) for every i."""
    k = c.bits_per_symbol
    mask = np.zeros(k, bool)
    mask[0] = True
    if not c.is_real:
        mask[1] = True
    flip = sum(1 << (k - 1 - j) for j in range(k) if mask[j])
    np.testing.assert_array_equal(c.points[np.arange(c.order) ^ flip], -c.points)
    return mask


@pytest.mark.parametrize("case", [p for p in _params() if not _declared(NOT_ODD, p.values[0])], indirect=True)
def test_negating_a_column_negates_its_sign_bits(case):
    @PROFILE
    @given(seed=st.integers(0, 2 ** 32 - 1), data=st.data())
    def check(seed, data):
        det, c, y, h, nv = _system(case, seed)
        t = data.draw(st.integers(0, h.shape[2] - 1))
        h2 = h.copy()
        h2[:, :, t] *= -1
        negate = np.zeros((h.shape[2], c.bits_per_symbol), bool)
        negate[t] = _sign_bits(c)
        _same_answer(case, det(y, h, nv), redraw(case, det)(y, h2, nv), negate=negate)

    check()
