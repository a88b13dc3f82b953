# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compiled soft-bit kernel (lib/softbit_quant.cc) against the reference
neuralmimo.phy.quantizer: codes, bytes, levels and counts bit for bit, on random values and on the
edges (every threshold and its float32 neighbours, +-clip, +-0, NaN, +-Inf, huge, denormal).

Needs the compiled module: run after `make build` without PYTHONPATH=python, e.g.
`.venv/bin/python -m pytest -q tests/test_softbit_kernel.py`; skipped where it does not import
(fails under NEURALMIMO_REQUIRE_CPP=1)."""
import numpy as np
import pytest

from neuralmimo.phy.quantizer import ScalarQuantizer, pack, unpack

from conftest import compiled  # tests/ is on sys.path under pytest

softbit_quant = compiled("softbit_quant")
F32 = np.float32


def edge_values(q):
    t = q.thresholds.ravel()
    v = [t, np.nextafter(t, F32(np.inf)), np.nextafter(t, F32(-np.inf)),
         np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-45, -1e-45, 1e-40, 1e-38], F32)]
    if q.clip is not None:
        c = q.clip
        v.append(np.array([c, -c, np.nextafter(c, F32(np.inf)), np.nextafter(-c, F32(-np.inf)),
                           np.nextafter(c, F32(0)), np.nextafter(-c, F32(0))], F32))
    return np.concatenate(v).astype(F32)


def quantizers(bits, n, rng):
    yield ScalarQuantizer.uniform(bits, float(rng.uniform(0.5, 20)))
    yield ScalarQuantizer.uniform(bits, 1e-3)
    L = 1 << bits
    # Distinct, unevenly spaced levels (random gaps; a k-means codebook is denser in the middle).
    gaps = rng.uniform(0.2, 1.8, (n, L)) * (1 + 3 * np.abs(np.linspace(-1, 1, L)) ** 2)
    rows = np.cumsum(gaps, axis=1) * (6.0 / gaps.sum(axis=1, keepdims=True)) - 3.0
    yield ScalarQuantizer.from_codebook(rows[0] * 3)
    yield ScalarQuantizer.from_codebook(rows * rng.uniform(0.1, 5, (n, 1)) + rng.uniform(-2, 2, (n, 1)))


@pytest.mark.parametrize("bits", range(1, 17))
def test_kernel_equals_reference(bits):
    rng = np.random.default_rng(100 + bits)
    n = 7
    for q in quantizers(bits, n, rng):
        ev = edge_values(q)
        scale = 1e-3 if q.clip is not None and q.clip < 0.01 else 4.0
        x = np.concatenate([rng.standard_normal(7000).astype(F32) * scale, ev])
        x = np.concatenate([x, np.zeros(-len(x) % n, F32)]).reshape(-1, n)
        x = np.concatenate([x, np.roll(x, 3, axis=1)])      # every edge value at several positions
        k = softbit_quant(n, *q.block_args())
        codes, erased, clamped = q.encode_counted(x)
        got = k.encode(x)
        assert got.dtype == np.uint16
        assert np.array_equal(got, codes), (q, np.argwhere(got != codes)[:3])
        assert (k.erased, k.clamped) == (erased, clamped)
        data = k.quantize(x)
        assert np.array_equal(data, pack(codes, bits))
        assert (k.erased, k.clamped) == (erased, clamped)
        assert np.array_equal(k.dequantize(data), q.decode(codes))
        assert np.array_equal(k.decode(codes), q.decode(codes))
        assert np.array_equal(k.levels, q.levels.ravel() if q.mode == "codebook" else q.levels[0])
        assert erased == 2                                  # one NaN, at two positions


def test_kernel_unpacks_any_bytes_like_the_reference():
    rng = np.random.default_rng(7)
    for bits in (1, 3, 5, 8, 12, 16):
        n = 9
        k = softbit_quant(n, bits, "uniform", 2.0)
        data = rng.integers(0, 256, (40, k.bytes_per_vector), dtype=np.uint8)   # padding bits too
        q = ScalarQuantizer.uniform(bits, 2.0)
        assert np.array_equal(k.dequantize(data), q.decode(unpack(data, bits, n)))


def test_kernel_argument_errors():
    k = softbit_quant(4, 3, "uniform", 1.0)
    with pytest.raises(ValueError, match=r"x must be float32\[count, 4\], got dtype float64"):
        k.encode(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"got shape \(2, 5\)"):
        k.quantize(np.zeros((2, 5), F32))
    with pytest.raises(ValueError, match=r"codes must lie in \[0, L = 8\), got 8"):
        k.decode(np.full((1, 4), 8, np.uint16))
    with pytest.raises(ValueError, match=r"softbit_quant: clip = 0 is out of range"):
        softbit_quant(4, 3, "uniform", 0.0)
