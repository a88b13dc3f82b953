# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constellations: unit average energy, 3GPP TS 38.211 §5.1 Gray labelling.

Symbol index i carries the bits of i, most significant bit first (bit 0 of a
label is the MSB of the index). BPSK is real: bit 0 -> +1, bit 1 -> -1 (the
project's convention, docs/conventions.md "Constellations and labelling";
38.211's BPSK is rotated by 45°).
For QAM the real part is driven by the even label bits b0, b2, ... and the
imaginary part by the odd bits b1, b3, ..., as in 38.211:
  16QAM: (1/√10){(1−2b0)[2−(1−2b2)] + j(1−2b1)[2−(1−2b3)]}
and so on for 64/256QAM.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

_BITS_PER_SYMBOL = {"bpsk": 1, "qpsk": 2, "qam16": 4, "qam64": 6, "qam256": 8}
_ALIASES = {"4qam": "qpsk", "qam4": "qpsk", "16qam": "qam16", "64qam": "qam64",
            "256qam": "qam256", "2pam": "bpsk"}


def constellation_names() -> list[str]:
    """Canonical names accepted by :func:`constellation`."""
    return list(_BITS_PER_SYMBOL)


def _pam_amplitude(bits: np.ndarray) -> np.ndarray:
    """38.211 nested Gray PAM amplitude from label bits (MSB first).

    bits: int[..., m]  ->  int[...] in {±1, ±3, ..., ±(2^m − 1)}.
    m=1: (1−2b0); m=2: (1−2b0)[2−(1−2b1)]; m=3: (1−2b0)[4−(1−2b1)[2−(1−2b2)]].
    """
    m = bits.shape[-1]
    sign = 1 - 2 * bits.astype(np.int64)
    inner = sign[..., m - 1]
    for j in range(m - 2, -1, -1):
        inner = sign[..., j] * (2 ** (m - 1 - j) - inner)
    return inner


@dataclass(frozen=True)
class Constellation:
    """A labelled constellation.

    points: complex64[M], unit average energy; bits: int8[M, K], row i = label of
    point i, MSB first.
    """

    name: str
    points: np.ndarray = field(repr=False)
    bits: np.ndarray = field(repr=False)

    @property
    def bits_per_symbol(self) -> int:
        return int(self.bits.shape[1])

    @property
    def order(self) -> int:
        return int(self.points.shape[0])

    @property
    def is_real(self) -> bool:
        """True for BPSK: an improper (real) constellation."""
        return bool(np.all(self.points.imag == 0))

    def bits_to_indices(self, bits) -> np.ndarray:
        """bits: int[..., n·K] (0/1)  ->  int64[..., n] symbol indices."""
        bits = np.asarray(bits)
        k = self.bits_per_symbol
        if bits.shape[-1] % k:
            raise ValueError(f"bits: last axis {bits.shape[-1]} is not a multiple of "
                             f"bits_per_symbol={k} for {self.name}")
        if bits.size and (bits.min() < 0 or bits.max() > 1):
            raise ValueError("bits: values must be 0 or 1")
        b = bits.reshape(*bits.shape[:-1], -1, k).astype(np.int64)
        weights = 1 << np.arange(k - 1, -1, -1, dtype=np.int64)
        return b @ weights

    def map(self, bits) -> np.ndarray:
        """bits: int[..., n·K]  ->  complex64[..., n] constellation points."""
        return self.points[self.bits_to_indices(bits)]

    def indices_to_bits(self, indices) -> np.ndarray:
        """int[..., n]  ->  int8[..., n·K]."""
        indices = np.asarray(indices)
        b = self.bits[indices]
        return b.reshape(*indices.shape[:-1], -1)

    def nearest(self, symbols) -> np.ndarray:
        """complex[..., n]  ->  int64[..., n] index of the nearest point."""
        s = np.asarray(symbols)
        d = np.abs(s[..., None] - self.points) ** 2
        return np.argmin(d, axis=-1)


@lru_cache(maxsize=None)
def _build(name: str) -> Constellation:
    k = _BITS_PER_SYMBOL[name]
    m_count = 1 << k
    idx = np.arange(m_count)
    bits = ((idx[:, None] >> np.arange(k - 1, -1, -1)) & 1).astype(np.int8)
    if name == "bpsk":
        pts = (1 - 2 * bits[:, 0]).astype(np.float64) + 0j
    else:
        re = _pam_amplitude(bits[:, 0::2])
        im = _pam_amplitude(bits[:, 1::2])
        pts = re + 1j * im
        pts = pts / np.sqrt(np.mean(np.abs(pts) ** 2))
    points = pts.astype(np.complex64)
    points.setflags(write=False)
    bits.setflags(write=False)
    return Constellation(name, points, bits)


def constellation(name: str | Constellation) -> Constellation:
    """Look up a constellation by name ("bpsk", "qpsk", "qam16", "qam64", "qam256")."""
    if isinstance(name, Constellation):
        return name
    if not isinstance(name, str):
        raise ValueError(f"constellation: expected a name, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "")
    key = _ALIASES.get(key, key)
    if key not in _BITS_PER_SYMBOL:
        raise ValueError(f"constellation: '{name}' is not one of {', '.join(_BITS_PER_SYMBOL)}")
    return _build(key)
