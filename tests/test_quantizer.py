# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soft-bit quantiser reference (neuralmimo.phy.quantizer): uniform arithmetic against its
derived thresholds, codebooks, NaN/Inf policy and counts, wire format, manifest form, errors, and
the error bound of an ample budget. The comparison with the compiled kernel is
tests/test_softbit_kernel.py."""
import json

import numpy as np
import pytest

from neuralmimo.phy.quantizer import ScalarQuantizer, pack, unpack

F32 = np.float32


def around(t):
    """Every threshold and its two float32 neighbours."""
    t = np.asarray(t, F32).ravel()
    return np.concatenate([t, np.nextafter(t, F32(np.inf)), np.nextafter(t, F32(-np.inf))])


@pytest.mark.parametrize("bits", range(1, 17))
@pytest.mark.parametrize("clip", [1.0, 17.3, 100.0, 3e-5])
def test_uniform_arithmetic_equals_searchsorted_on_its_thresholds(bits, clip):
    q = ScalarQuantizer.uniform(bits, clip)
    t = q.thresholds[0]
    assert np.all(np.diff(t) > 0)
    x = np.concatenate([around(t), around([-q.clip, q.clip, 0.0]),
                        np.random.default_rng(bits).uniform(-1.2 * clip, 1.2 * clip, 5000).astype(F32),
                        np.array([-0.0, 1e-45, -1e-45, 3e38, -3e38, np.inf, -np.inf], F32)])
    codes = q.encode(x[None])[0]
    assert np.array_equal(codes, np.searchsorted(t, x, side="right"))
    # Each threshold is the smallest float32 of its code: the one just below has the code before.
    k = np.arange(1, 1 << bits)
    assert np.array_equal(q.encode(t[None])[0], k)
    assert np.array_equal(q.encode(np.nextafter(t, F32(-np.inf))[None])[0], k - 1)


def test_uniform_codes_and_levels_by_hand():
    # bits 3, clip 1: scale 4, code = floor((x + 1) 4) clamped to 0..7, levels -0.875 + 0.25 k
    q = ScalarQuantizer.uniform(3, 1.0)
    x = np.array([[np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0, 0.3]], F32)
    codes, erased, clamped = q.encode_counted(x)
    assert codes.tolist() == [[4, 7, 0, 4, 4, 7, 0, 7, 5]]
    assert (erased, clamped) == (1, 3)           # NaN; +Inf, -Inf, 2.0 (|x| = clip is inside)
    assert codes.dtype == np.uint16
    assert q.levels[0].tolist() == [-0.875 + 0.25 * k for k in range(8)]
    assert q(x).tolist() == [[0.125, 0.875, -0.875, 0.125, 0.125, 0.875, -0.875, 0.875, 0.375]]
    assert q.thresholds[0, 4] > 0 and q.thresholds[0, 3] < 0      # 0.0 lies in cell 4


@pytest.mark.parametrize("bits", [3, 8, 12, 16])
@pytest.mark.parametrize("clip", [1.0, 17.3, 100.0])
def test_uniform_error_bound_inside_the_range(bits, clip):
    """|x - Q(x)| <= clip/L + 8 clip 2^-24 on [-clip, clip]: half a cell, plus the roundings of
    x + clip (<= clip 2^-23 in x), of the scale and the product (<= 3L 2^-24 in code units, i.e.
    6 clip 2^-24 in x) and of the level (clip 2^-24)."""
    q = ScalarQuantizer.uniform(bits, clip)
    x = np.random.default_rng(3).uniform(-clip, clip, (100, 64)).astype(F32)
    x[0, :4] = [-q.clip, q.clip, 0.0, np.nextafter(q.clip, F32(0))]
    codes, erased, clamped = q.encode_counted(x)
    err = np.abs(x.astype(np.float64) - q.decode(codes))
    bound = clip / 2 ** bits + 8 * clip * 2.0 ** -24
    assert err.max() <= bound
    assert err.max() >= 0.45 * clip / 2 ** bits          # and the bound is not vacuous
    assert (erased, clamped) == (0, 0)


def test_codebook_is_searchsorted_per_row_and_nan_is_the_cell_of_zero():
    rng = np.random.default_rng(5)
    levels = np.sort(rng.standard_normal((3, 16)) * [[1.0], [4.0], [0.2]], axis=1) + [[0.5], [-3.0], [0.0]]
    q = ScalarQuantizer.from_codebook(levels, input="latent")
    assert q.bits == 4 and q.n_groups == 3 and q.mode == "codebook"
    assert np.array_equal(q.thresholds, ((q.levels[:, 1:].astype(np.float64) + q.levels[:, :-1]) / 2).astype(F32))
    x = rng.standard_normal((200, 3)).astype(F32) * 5
    x[0] = [np.nan, np.inf, -np.inf]
    codes, erased, clamped = q.encode_counted(x)
    for j in range(3):
        want = np.searchsorted(q.thresholds[j], np.nan_to_num(x[:, j], nan=0.0), side="right")
        assert np.array_equal(codes[:, j], want)
    assert codes[0].tolist() == [np.searchsorted(q.thresholds[0], 0.0, side="right"), 15, 0]
    assert (erased, clamped) == (1, 2)
    # nearest neighbour: decode(encode(x)) is the closest level of the row
    y = q(x[1:])
    nearest = np.take_along_axis(q.levels.T[None].repeat(len(y), 0),
                                 np.argmin(np.abs(x[1:, None, :] - q.levels.T[None]), axis=1)[:, None, :], 1)[:, 0]
    assert np.allclose(y, nearest)
    with pytest.raises(ValueError, match="last axis N = 3"):
        q.encode(np.zeros((2, 4), F32))


def test_codebook_midpoints_of_levels_an_ulp_apart_stay_increasing():
    a = np.float32(1.0)
    lv = [a, np.nextafter(a, F32(2)), np.nextafter(np.nextafter(a, F32(2)), F32(2)), F32(5)]
    q = ScalarQuantizer.from_codebook(lv)
    assert np.all(np.diff(q.thresholds[0]) > 0)
    assert q.thresholds[0, 0] >= lv[0] and q.thresholds[0, 1] <= lv[2]


def test_codebook_mode_exact_at_thresholds_and_edges():
    q = ScalarQuantizer(np.array([[-1.0, 0.0, 2.5]]), np.array([[-2, -0.5, 1, 3]]), 2)
    x = np.concatenate([around(q.thresholds), [0.0, -0.0, 1e-45, -1e-45, 3e38, -3e38]]).astype(F32)
    assert np.array_equal(q.encode(x[None])[0], np.searchsorted(q.thresholds[0], x, side="right"))
    assert q.encode(np.array([[-0.0, 0.0, np.nan]], F32)).tolist() == [[2, 2, 2]]
    assert q.encode_counted(np.array([[1e30, -1e30]], F32))[1:] == (0, 0)   # finite: not clamped here


@pytest.mark.parametrize("bits", range(1, 17))
def test_pack_unpack_round_trip(bits):
    rng = np.random.default_rng(bits)
    for n in (1, 3, 8, 13):
        codes = rng.integers(0, 1 << bits, (4, 5, n)).astype(np.uint16)
        data = pack(codes, bits)
        assert data.shape == (4, 5, (n * bits + 7) // 8) and data.dtype == np.uint8
        assert np.array_equal(unpack(data, bits, n), codes)
        pad = data.shape[-1] * 8 - n * bits
        assert np.all(data[..., -1] & ((1 << pad) - 1) == 0)


def test_pack_layout_by_hand():
    assert pack(np.array([1, 2, 3, 4, 5]), 3).tolist() == [0x29, 0xCA]
    assert pack(np.array([0xABC, 0x123, 0x007]), 12).tolist() == [0xAB, 0xC1, 0x23, 0x00, 0x70]
    assert pack(np.array([[7, 0, 7], [1, 2, 3]]), 3).tolist() == [[0xE3, 0x80], [0x29, 0x80]]
    assert pack(np.array([0x1234, 0xFFFF]), 16).tolist() == [0x12, 0x34, 0xFF, 0xFF]


@pytest.mark.parametrize("make", [lambda: ScalarQuantizer.uniform(5, 17.3, input="llr"),
                                  lambda: ScalarQuantizer.uniform(2, 1.0, n_groups=4, input="softbit"),
                                  lambda: ScalarQuantizer.from_codebook(
                                      np.random.default_rng(1).standard_normal((6, 8)), input="latent")])
def test_manifest_round_trip(make, tmp_path):
    q = make()
    d = json.loads(json.dumps(q.to_dict()))
    r = ScalarQuantizer.from_dict(d)
    assert (r.mode, r.bits, r.input, r.n_groups) == (q.mode, q.bits, q.input, q.n_groups)
    assert np.array_equal(r.thresholds, q.thresholds) and np.array_equal(r.levels, q.levels)
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"family": "eqnet", "quantizer": q.to_dict()}))
    for src in (path, str(path), json.loads(path.read_text())):
        m = ScalarQuantizer.from_manifest(src)
        assert np.array_equal(m.levels, q.levels) and m.mode == q.mode
    x = np.random.default_rng(2).standard_normal((50, q.n_groups)).astype(F32) * 3
    assert np.array_equal(r.encode(x), q.encode(x))


def test_block_args():
    q = ScalarQuantizer.uniform(4, 8.0)
    assert q.block_args() == (4, "uniform", 8.0, [], [])
    c = ScalarQuantizer.from_codebook([[0.0, 1.0], [2.0, 4.0]])
    assert c.block_args() == (1, "codebook", 0.0, [0.5, 3.0], [0.0, 1.0, 2.0, 4.0])


@pytest.mark.parametrize("call, message", [
    (lambda: ScalarQuantizer.uniform(0, 1.0), r"bits must be an integer in 1..16, got 0"),
    (lambda: ScalarQuantizer.uniform(17, 1.0), r"got 17"),
    (lambda: ScalarQuantizer.uniform(2.5, 1.0), r"got 2.5"),
    (lambda: ScalarQuantizer.uniform(3, 0.0), r"clip must be finite and in \[1e-20, 1e\+20\], got 0.0"),
    (lambda: ScalarQuantizer.uniform(3, float("nan")), r"clip .* got nan"),
    (lambda: ScalarQuantizer.uniform(3, "x"), r"clip must be a number, got 'x'"),
    (lambda: ScalarQuantizer.uniform(3, 1.0, n_groups=0), r"n_groups must be a positive integer, got 0"),
    (lambda: ScalarQuantizer([[0.0, 1.0]], [[0, 1, 2, 3]], 2), r"thresholds must have shape \[G, L-1 = 3\].*\(1, 2\)"),
    (lambda: ScalarQuantizer([[0.0, 1.0, 2.0]], [[0, 1, 2]], 2), r"levels must have shape \[G = 1, L = 4\].*\(1, 3\)"),
    (lambda: ScalarQuantizer([[0.0, 1.0, 1.0]], [[0, 1, 2, 3]], 2),
     r"strictly increasing per row, got thresholds\[0, 1\] = 1.0 >= thresholds\[0, 2\] = 1.0"),
    (lambda: ScalarQuantizer([[0.0, np.inf, 2.0]], [[0, 1, 2, 3]], 2), r"thresholds must be finite, got thresholds\[0, 1\] = inf"),
    (lambda: ScalarQuantizer([[0.0, 1.0, 2.0]], [[0, np.nan, 2, 3]], 2), r"levels must be finite, got levels\[0, 1\] = nan"),
    (lambda: ScalarQuantizer([[0.0, 1.0, 2.0]], [[0, 1, 2, 3]], 2, mode="log"), r"mode must be one of .* got 'log'"),
    (lambda: ScalarQuantizer([[0.0, 1.0, 2.0]], [[0, 1, 2, 3]], 2, mode="uniform"), r"clip is required in uniform mode"),
    (lambda: ScalarQuantizer.from_codebook([0.0, 1.0, 2.0]), r"L = 2\*\*bits entries per row .* got L = 3"),
    (lambda: ScalarQuantizer.from_codebook([0.0, np.nan]), r"levels must be finite"),
    (lambda: ScalarQuantizer.from_codebook([[0.0, 1.0], [2.0, 2.0]]), r"levels must be distinct per row .* levels\[1\] holding 2.0 twice"),
    (lambda: ScalarQuantizer.uniform(2, 1.0).decode(np.array([[4]])), r"codes must lie in \[0, L = 4\), got 4"),
    (lambda: ScalarQuantizer.uniform(2, 1.0).decode(np.array([[0.5]])), r"codes must be integers"),
    (lambda: pack(np.array([8]), 3), r"codes must lie in \[0, 2\*\*bits = 8\), got 8"),
    (lambda: pack(np.array([1]), 0), r"bits must be an integer in 1..16, got 0"),
    (lambda: unpack(np.zeros(3, np.uint8), 3, 3), r"data must be uint8\[..., ceil\(n \* bits / 8\) = 2\], got dtype uint8, shape \(3,\)"),
    (lambda: unpack(np.zeros(2, np.int16), 3, 3), r"got dtype int16"),
    (lambda: unpack(np.zeros(2, np.uint8), 3, -1), r"n must be a non-negative integer, got -1"),
    (lambda: ScalarQuantizer.from_dict([1]), r"a quantiser must be a dict, got list"),
    (lambda: ScalarQuantizer.from_dict({"bits": 3}), r"missing key 'mode'"),
    (lambda: ScalarQuantizer.from_dict({"mode": "uniform", "bits": 3}), r"missing key 'clip'"),
    (lambda: ScalarQuantizer.from_dict({"mode": "codebook", "bits": 1, "levels": [[0, 1]]}), r"missing key 'thresholds'"),
    (lambda: ScalarQuantizer.from_dict({"mode": "fancy", "bits": 3}), r"mode must be one of .* got 'fancy'"),
    (lambda: ScalarQuantizer.from_dict({"mode": "uniform", "bits": 1, "clip": 1.0, "levels": [[-0.5, 0.6]]}),
     r"levels of a uniform quantiser must equal the ones derived from bits = 1, clip = 1.0"),
    (lambda: ScalarQuantizer.from_dict({"mode": "codebook", "bits": 1, "thresholds": [["a"]], "levels": [[0, 1]]}),
     r"thresholds and levels must be arrays of numbers"),
    (lambda: ScalarQuantizer.from_dict({"mode": "uniform", "bits": 1, "clip": 1.0, "input": 3}), r"input must be a string, got 3"),
    (lambda: ScalarQuantizer.from_manifest({"family": "eqnet"}), r"manifest has no key 'quantizer' \(keys: \['family'\]\)"),
])
def test_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_manifest_file_errors(tmp_path):
    with pytest.raises(ValueError, match=r"cannot be read"):
        ScalarQuantizer.from_manifest(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"is not JSON"):
        ScalarQuantizer.from_manifest(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"must hold a JSON object, got list"):
        ScalarQuantizer.from_manifest(tmp_path / "list.json")
    (tmp_path / "other.json").write_text(json.dumps({"q": ScalarQuantizer.uniform(2, 1.0).to_dict()}))
    assert ScalarQuantizer.from_manifest(tmp_path / "other.json", key="q").bits == 2
    with pytest.raises(ValueError, match=r"no key 'quantizer' \(keys: \['q'\]\)"):
        ScalarQuantizer.from_manifest(tmp_path / "other.json")
