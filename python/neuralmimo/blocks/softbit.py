# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ soft-bit quantiser blocks built from a ScalarQuantizer or a manifest.

    q = nm.softbit_quantizer_from("models/eqnet.json", n=24)          # the manifest's "quantizer"
    d = nm.softbit_dequantizer_from(ScalarQuantizer.uniform(4, 8.0), n=24)

In: float32[N] per item -> byte[ceil(N bits / 8)] per item (quantiser), and back (dequantiser);
the codes and bytes are those of neuralmimo.phy.quantizer, bit for bit.
"""
from __future__ import annotations

from ..phy.quantizer import ScalarQuantizer


def quantizer_of(source, key: str = "quantizer") -> ScalarQuantizer:
    """source: a ScalarQuantizer, a manifest dict, or a JSON manifest path holding one under key."""
    if isinstance(source, ScalarQuantizer):
        return source
    return ScalarQuantizer.from_manifest(source, key=key)


def _checked(source, n, key, bits):
    """(the quantiser, N) after checking n and, when given, bits against it."""
    q = quantizer_of(source, key)
    if bits is not None and bits != q.bits:
        raise ValueError(f"bits = {bits} does not match the quantiser's bits = {q.bits}")
    return q, _n(q, n)


def _n(q: ScalarQuantizer, n) -> int:
    """The vector length: given, or implied by a per-position codebook (G = N rows)."""
    if n is None or n == 0:
        if q.n_groups == 1:
            raise ValueError("n (the vector length) is required: the quantiser has one codebook for "
                             "every position")
        return q.n_groups
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if q.n_groups not in (1, int(n)):
        raise ValueError(f"n = {n} does not match the quantiser's {q.n_groups} per-position codebooks")
    return int(n)


def softbit_quantizer_from(source, n: int | None = None, key: str = "quantizer", bits: int | None = None):
    """The C++ softbit_quantizer block of a ScalarQuantizer, manifest dict or manifest path.
    n: vector length N (optional for a per-position codebook, which implies it); bits: when given,
    checked against the quantiser's (GRC sets the port sizes from it)."""
    from ..neuralmimo_python import softbit_quantizer

    q, n = _checked(source, n, key, bits)
    return softbit_quantizer(n, *q.block_args())


def softbit_dequantizer_from(source, n: int | None = None, key: str = "quantizer", bits: int | None = None):
    """The C++ softbit_dequantizer block of a ScalarQuantizer, manifest dict or manifest path."""
    from ..neuralmimo_python import softbit_dequantizer

    q, n = _checked(source, n, key, bits)
    return softbit_dequantizer(n, *q.block_args())
