# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The max-MI and clipped-uniform scalar LLR quantisers (phy/maxmi.py) on BPSK over AWGN, where
the answers are known: L = 2y/σ² (in the project's sign, L = −2y/σ² with bit 0 → +1) is
Gaussian with mean ±2/σ² and variance 4/σ²; one bit of max-MI quantisation is the sign, i.e.
the hard-decision BSC with crossover Q(1/σ); unquantised MI by numerical integration."""
from __future__ import annotations

import math

import numpy as np
import pytest

from neuralmimo.phy.demap import LLR_LIMIT
from neuralmimo.phy.maxmi import (best_uniform_clip, design_max_mi, design_uniform_clip, llr_mutual_information,
                                  mutual_information)
from neuralmimo.phy.quantizer import ScalarQuantizer

SIGMA = 1.0            # MI ≈ 0.49 bit unquantised, 0.37 bit hard: the quantiser matters
SAMPLES = 200_000


def h2(p):
    return -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def bpsk_awgn_llrs(sigma=SIGMA, n=SAMPLES, seed=7):
    """(llr float32[n], bits int8[n]) of BPSK over AWGN, LLR = ln P(b=1|y)/P(b=0|y), bit 0 → +1."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, n)
    y = (1 - 2 * bits) + sigma * rng.standard_normal(n)
    return (-2.0 * y / sigma ** 2).astype(np.float32), bits.astype(np.int8)


def awgn_mi_integral(sigma=SIGMA):
    """I(B; Y) in bits by the trapezoidal rule: 1 − E[log2(1 + exp(−2(1 + σn)/σ²))], n ~ N(0, 1)."""
    n = np.linspace(-12, 12, 200_001)
    f = np.exp(-0.5 * n ** 2) / math.sqrt(2 * math.pi) * np.logaddexp(0.0, -2 * (1 + sigma * n) / sigma ** 2)
    integral = np.trapezoid(f, n) if hasattr(np, "trapezoid") else np.trapz(f, n)
    return 1.0 - integral / math.log(2.0)


def mi_of(llr, q, bits):
    codes = q.encode(llr)
    return mutual_information(codes, 1 << bits, llr=llr)


@pytest.fixture(scope="module")
def awgn():
    return bpsk_awgn_llrs()


@pytest.fixture(scope="module")
def designs(awgn):
    """bits -> (max-MI quantiser, uniform quantiser) on the AWGN LLRs."""
    llr, _ = awgn
    return {b: (design_max_mi(llr, b), design_uniform_clip(llr, b)) for b in range(1, 7)}


@pytest.mark.parametrize("labelled", [False, True])
def test_one_bit_max_mi_is_the_hard_decision_bsc(awgn, labelled):
    """MI of the 1-bit quantiser = 1 − h2(Q(1/σ)) within 4 standard errors of the plug-in estimate
    (the information density log2 p(b,q)/(p(b)p(q)) of the BSC has a known spread)."""
    llr, bits = awgn
    bv = bits if labelled else None
    q = design_max_mi(llr, 1, bit_values=bv)
    t, v = q.thresholds, q.levels
    p = 0.5 * math.erfc(1 / SIGMA / math.sqrt(2))
    ref = 1 - h2(p)
    dens = np.array([math.log2(2 * (1 - p)), math.log2(2 * p)])
    se = math.sqrt(np.average((dens - ref) ** 2, weights=[1 - p, p]) / llr.size)
    codes = q.encode(llr)
    values = q.decode(codes)
    got = mutual_information(codes, 2, bit_values=bv, llr=None if labelled else llr)
    assert abs(got - ref) < 4 * se, (got, ref, se)
    # The single threshold is the sign (within a fine bin of 0), the levels the cells' LLRs: by
    # symmetry ±ln((1 − p)/p).
    assert abs(t[0, 0]) < 0.05
    np.testing.assert_allclose(v[0], [-math.log((1 - p) / p), math.log((1 - p) / p)], rtol=0.03)
    assert np.array_equal(values, v[0][codes])


def test_mi_grows_with_bits_towards_the_unquantised_mi(awgn, designs):
    """MI(bits) strictly increases; on the same samples it stays below the unquantised consistent
    estimate (Jensen: a deterministic inequality, no tolerance), which matches the integral within
    sampling error; 6 bits lose < 0.002 bit."""
    llr, _ = awgn
    mi = [mi_of(llr, designs[b][0], b) for b in range(1, 7)]
    unq = llr_mutual_information(llr)
    exact = awgn_mi_integral()
    assert abs(unq - exact) < 0.005, (unq, exact)
    assert all(b > a for a, b in zip(mi, mi[1:])), mi
    assert all(m <= unq for m in mi), (mi, unq)
    assert unq - mi[-1] < 0.002, (mi[-1], unq)
    assert unq - mi[0] > 0.1                      # the hard decision loses a lot at this SNR


def test_max_mi_beats_the_best_uniform_quantiser(awgn, designs):
    """At every budget max-MI ≥ best uniform (optimal over contiguous quantisers; the uniform
    thresholds are not on the fine-bin edges, hence the 1e-4 bit allowance), and better by more
    than that at 3 and 4 bits, where equal cells cannot follow the LLR density (at 5-6 bits both
    are within 3e-4 bit of the unquantised MI)."""
    llr, _ = awgn
    for b in range(1, 7):
        qm, qu = designs[b]
        mm, mu = mi_of(llr, qm, b), mi_of(llr, qu, b)
        assert mm >= mu - 1e-4, (b, mm, mu)
        if b in (3, 4):
            assert mm > mu + 1e-4, (b, mm, mu)


def test_levels_are_increasing_cell_llrs(awgn, designs):
    """Levels increase, lie within ±LLR_LIMIT and inside their own cells (a cell's LLR is a mean of
    sigmoid-weighted LLRs of that cell), and each equals the empirical LLR of its cell."""
    llr, bits = awgn
    for b in range(1, 7):
        t, v = designs[b][0].thresholds, designs[b][0].levels
        assert t.shape == (1, (1 << b) - 1) and v.shape == (1, 1 << b)
        assert t.dtype == np.float32 and v.dtype == np.float32
        assert np.all(np.diff(t[0]) > 0) and np.all(np.diff(v[0]) > 0)
        assert np.all(np.abs(v) <= LLR_LIMIT)
        inner = v[0][1:-1]
        assert np.all(inner > t[0][:-1]) and np.all(inner < t[0][1:])
    # Labelled design: level = ln(#ones/#zeros) in the cell.
    q = design_max_mi(llr, 2, bit_values=bits)
    v = q.levels
    codes = q.encode(llr)
    for c in range(4):
        ones = int(bits[codes == c].sum())
        zeros = int((codes == c).sum()) - ones
        assert v[0, c] == pytest.approx(math.log(ones / zeros), rel=1e-5)


def test_uniform_quantizer_levels_are_cell_centres():
    q = ScalarQuantizer.uniform(2, 4.0)
    np.testing.assert_allclose(q.thresholds, [[-2.0, 0.0, 2.0]], atol=1e-6)
    np.testing.assert_array_equal(q.levels, [[-3.0, -1.0, 1.0, 3.0]])
    llr, _ = bpsk_awgn_llrs(n=20_000)
    c = best_uniform_clip(llr, 3)
    assert 0 < c <= np.abs(llr).max()
    np.testing.assert_array_equal(design_uniform_clip(llr, 3).levels, ScalarQuantizer.uniform(3, c).levels)


def test_bad_input_raises_value_error_naming_the_argument():
    llr, bits = bpsk_awgn_llrs(n=1000)
    with pytest.raises(ValueError, match="llr: expected a 1-D"):
        design_max_mi(llr.reshape(10, 100), 2)
    with pytest.raises(ValueError, match="llr: empty"):
        design_max_mi(np.zeros(0, np.float32), 2)
    with pytest.raises(ValueError, match="llr: contains NaN"):
        design_max_mi(np.array([0.0, np.nan, 1.0]), 1)
    for b in (0, 13, 2.5, True):
        with pytest.raises(ValueError, match="bits: expected an integer"):
            design_max_mi(llr, b)
    with pytest.raises(ValueError, match="bit_values: expected shape"):
        design_max_mi(llr, 2, bit_values=bits[:-1])
    with pytest.raises(ValueError, match="bit_values: expected 0 or 1"):
        design_max_mi(llr, 2, bit_values=bits * 2)
    with pytest.raises(ValueError, match="bins: expected an integer >= 2\\*\\*bits = 16"):
        design_max_mi(llr, 4, bins=8)
    with pytest.raises(ValueError, match="llr: .*too few distinct values"):
        design_max_mi(np.array([1.0, 1.0, -1.0, -1.0]), 2)
    with pytest.raises(ValueError, match="llr: all zero"):
        design_uniform_clip(np.zeros(10), 2)
    with pytest.raises(ValueError, match="bit_values: give exactly one"):
        mutual_information(np.zeros(3, np.int64), 2)
    with pytest.raises(ValueError, match="codes: expected integers in 0..1"):
        mutual_information(np.array([0, 2]), 2, llr=np.zeros(2))
