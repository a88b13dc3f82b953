# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constellations: unit energy, Gray property, 3GPP TS 38.211 §5.1 formulas."""
import numpy as np
import pytest

import neuralmimo as nm

NAMES = ["bpsk", "qpsk", "qam16", "qam64", "qam256"]


def formula_38211(name, b):
    """The 38.211 §5.1 modulation-mapper formulas written out, b = label bits b0..b(K-1)."""
    s = lambda i: 1 - 2 * b[i]
    if name == "bpsk":
        return s(0) + 0j                      # the project's real BPSK (docs/conventions.md)
    if name == "qpsk":
        return (s(0) + 1j * s(1)) / np.sqrt(2)
    if name == "qam16":
        return (s(0) * (2 - s(2)) + 1j * s(1) * (2 - s(3))) / np.sqrt(10)
    if name == "qam64":
        return (s(0) * (4 - s(2) * (2 - s(4))) + 1j * s(1) * (4 - s(3) * (2 - s(5)))) / np.sqrt(42)
    if name == "qam256":
        return (s(0) * (8 - s(2) * (4 - s(4) * (2 - s(6))))
                + 1j * s(1) * (8 - s(3) * (4 - s(5) * (2 - s(7))))) / np.sqrt(170)
    raise AssertionError(name)


@pytest.mark.parametrize("name", NAMES)
def test_unit_energy_and_size(name):
    c = nm.constellation(name)
    assert c.order == 2 ** c.bits_per_symbol
    assert c.points.dtype == np.complex64 and c.bits.dtype == np.int8
    assert np.mean(np.abs(c.points.astype(np.complex128)) ** 2) == pytest.approx(1.0, abs=1e-6)
    assert len(np.unique(np.round(c.points, 5))) == c.order


@pytest.mark.parametrize("name", NAMES)
def test_labels_follow_38211_msb_first(name):
    c = nm.constellation(name)
    for i in range(c.order):
        bits = [(i >> (c.bits_per_symbol - 1 - k)) & 1 for k in range(c.bits_per_symbol)]
        assert list(c.bits[i]) == bits
        assert abs(c.points[i] - formula_38211(name, bits)) < 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_gray_property(name):
    c = nm.constellation(name)
    d = np.abs(c.points[:, None] - c.points[None, :])
    dmin = np.min(d[d > 1e-6])
    for i in range(c.order):
        neighbours = np.flatnonzero(np.abs(d[i] - dmin) < 1e-5)
        assert neighbours.size >= 1
        for j in neighbours:
            assert np.sum(c.bits[i] != c.bits[j]) == 1, (i, j)


def test_map_and_nearest_round_trip(rng):
    c = nm.constellation("qam64")
    bits = rng.integers(0, 2, (50, 3 * 6))
    sym = c.map(bits)
    assert sym.shape == (50, 3)
    idx = c.nearest(sym + 0.01 * (rng.standard_normal(sym.shape) + 1j * rng.standard_normal(sym.shape)))
    assert np.array_equal(c.indices_to_bits(idx), bits)


def test_bad_names_and_bits():
    with pytest.raises(ValueError, match="qam32"):
        nm.constellation("qam32")
    c = nm.constellation("qpsk")
    with pytest.raises(ValueError, match="multiple"):
        c.map(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="0 or 1"):
        c.map(np.full((1, 2), 2))
