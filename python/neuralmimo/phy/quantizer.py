# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalar quantiser of soft values (LLRs, soft bits, EQ-Net latents) and its wire format.

This module is the definition the C++ kernel (include/gnuradio/neuralmimo/softbit_quant.h), the
``softbit_quantizer`` / ``softbit_dequantizer`` blocks and their tests are checked against, bit
for bit. numpy only.

A quantiser has ``bits`` (1..16) and L = 2**bits cells per codebook row; G = 1 row for every
position of an N-vector, or G = N rows (position j uses row j, e.g. EQ-Net's per-latent k-means).

    thresholds: float32[G, L-1], strictly increasing per row
    levels:     float32[G, L]
    code(x)   = number of thresholds <= x           (np.searchsorted(t, x, side="right"))
    decode(c) = levels[row, c]

Modes:

- ``"codebook"``: any thresholds and levels (``from_codebook`` takes the nearest-neighbour
  thresholds, the midpoints of sorted levels).
- ``"uniform"`` (``ScalarQuantizer.uniform(bits, clip)``): L equal cells over [-clip, clip],
  defined by float32 arithmetic so that a vectorised C++ loop gives the same codes:

      scale = float32(L / (2 clip))                  (quotient in float64, rounded once)
      code  = clamp(floor(float32(float32(x + clip) * scale)), 0, L - 1)
      level_k = float32(clip (2k + 1 - L) / L)       (exact in float64, rounded once)

  Its thresholds are derived, not chosen: threshold k is the smallest float32 whose code is
  >= k. The arithmetic code is monotone in x, so searchsorted over these thresholds gives the
  arithmetic's code for every float32 but NaN (tests/test_quantizer.py checks it on both sides of
  every threshold). ``encode`` uses the arithmetic. clip must lie in [1e-20, 1e20] (all the
  arithmetic stays in normal float32 numbers, so every code has a cell).

Non-finite and out-of-range inputs (the same in the kernel and the blocks):

- NaN -> the code whose cell holds 0.0: for LLRs and soft bits 0 means "no information", so a
  NaN becomes an erasure rather than a confident value. Counted as ``erased``.
- +-Inf and values beyond the outer thresholds -> the outer codes (0 or L - 1). +-Inf is counted
  as ``clamped``; in uniform mode so is every finite x outside [-clip, clip].

Wire format (``pack`` / ``unpack``): the N codes of one vector, each ``bits`` wide, most
significant bit first, concatenated and zero-padded to whole bytes per vector:
ceil(N bits / 8) bytes per vector.

Manifest form (``to_dict`` / ``from_dict`` / ``from_manifest``): {"mode": "uniform" | "codebook",
"bits", "clip" (uniform only), "thresholds" [G][L-1], "levels" [G][L], "input": free text such as
"llr", "softbit", "latent"}. A uniform quantiser's thresholds and levels are informational; when
present they must equal the derived ones.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

MAX_BITS = 16
#: Range of a uniform quantiser's clip: every intermediate of the arithmetic stays a normal float32.
CLIP_MIN, CLIP_MAX = 1e-20, 1e20
MODES = ("uniform", "codebook")


def _bits_ok(bits) -> int:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= int(bits) <= MAX_BITS:
        raise ValueError(f"bits must be an integer in 1..{MAX_BITS}, got {bits!r}")
    return int(bits)


def _uniform_codes(x: np.ndarray, bits: int, clip: np.float32) -> np.ndarray:
    """The uniform arithmetic (module docstring) on float32 x of any shape; NaN gives code 0 here
    (the caller substitutes the erasure code)."""
    n_levels = 1 << bits
    scale = np.float32(n_levels / (2.0 * float(clip)))
    with np.errstate(over="ignore", invalid="ignore"):
        v = (x + clip) * scale                                   # float32, two roundings, no FMA
        v = np.where(v > 0, v, np.float32(0))                    # NaN -> 0 as well
        v = np.minimum(v, np.float32(n_levels - 1))
    return v.astype(np.uint16)                                   # v >= 0: truncation is floor


def _smallest_with_code(code_of, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """For each k, the smallest float32 t in [lo, hi] with code_of(t) >= k, code_of monotone;
    a bisection over the ordered integer images of the float32 numbers."""
    def key(f):          # float32 -> int64, order preserving (-0.0 and 0.0 map to 0)
        b = np.asarray(f, np.float32).view(np.int32).astype(np.int64)
        return np.where(b < 0, -(b & 0x7FFFFFFF), b)

    def unkey(i):
        i = np.asarray(i, np.int64)
        b = np.where(i < 0, (-i) | np.int64(-2 ** 31), i).astype(np.int32)
        return b.view(np.float32)

    a = np.full(k.shape, key(np.float32(lo)), np.int64)           # code_of(unkey(a)) < k assumed
    b = np.full(k.shape, key(np.float32(hi)), np.int64)           # code_of(unkey(b)) >= k
    while np.any(b - a > 1):
        m = (a + b) // 2
        ok = code_of(unkey(m)) >= k
        b = np.where(ok, m, b)
        a = np.where(ok, a, m)
    return unkey(b)


class ScalarQuantizer:
    """Per-position scalar quantiser (module docstring has the definitions).

    thresholds: float32[G, L-1] strictly increasing per row; levels: float32[G, L];
    bits: 1..16 with L = 2**bits; G = 1 (every position) or G = N (row j for position j).
    Built directly it is a codebook quantiser; mode="uniform" (with clip) is what uniform() builds,
    whose thresholds and levels are the derived ones (from_dict checks them).
    """

    def __init__(self, thresholds, levels, bits, *, mode: str = "codebook", clip: float | None = None,
                 input: str = ""):
        bits = _bits_ok(bits)
        n_levels = 1 << bits
        t = np.array(thresholds, dtype=np.float32, ndmin=2)
        lv = np.array(levels, dtype=np.float32, ndmin=2)
        if t.ndim != 2 or t.shape[1] != n_levels - 1:
            raise ValueError(f"thresholds must have shape [G, L-1 = {n_levels - 1}] for bits = {bits}, "
                             f"got {np.shape(thresholds)}")
        if lv.ndim != 2 or lv.shape != (t.shape[0], n_levels):
            raise ValueError(f"levels must have shape [G = {t.shape[0]}, L = {n_levels}] for bits = {bits}, "
                             f"got {np.shape(levels)}")
        if t.shape[0] < 1:
            raise ValueError("thresholds must have at least one row, got 0")
        if not np.all(np.isfinite(t)):
            g, j = np.argwhere(~np.isfinite(t))[0]
            raise ValueError(f"thresholds must be finite, got thresholds[{g}, {j}] = {t[g, j]}")
        if n_levels > 2 and not np.all(np.diff(t, axis=1) > 0):
            g, j = np.argwhere(~(np.diff(t, axis=1) > 0))[0]
            raise ValueError(f"thresholds must be strictly increasing per row, got thresholds[{g}, {j}] = "
                             f"{t[g, j]} >= thresholds[{g}, {j + 1}] = {t[g, j + 1]}")
        if not np.all(np.isfinite(lv)):
            g, j = np.argwhere(~np.isfinite(lv))[0]
            raise ValueError(f"levels must be finite, got levels[{g}, {j}] = {lv[g, j]}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "uniform" and clip is None:
            raise ValueError("clip is required in uniform mode, got None")
        self.bits, self.n_levels, self.mode, self.input = bits, n_levels, mode, str(input)
        self.clip = None if clip is None else np.float32(clip)
        self.thresholds, self.levels = t, lv
        self.thresholds.flags.writeable = False
        self.levels.flags.writeable = False
        # The erasure code of each row: the cell holding 0.0.
        self.zero_code = np.array([np.searchsorted(r, np.float32(0), side="right") for r in t], np.uint16)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def uniform(cls, bits, clip, n_groups: int = 1, input: str = "") -> "ScalarQuantizer":
        """L = 2**bits equal cells over [-clip, clip] (module docstring: the exact arithmetic),
        the same row repeated n_groups times. clip: float in [1e-20, 1e20]."""
        bits = _bits_ok(bits)
        try:
            c = float(clip)
        except (TypeError, ValueError):
            raise ValueError(f"clip must be a number, got {clip!r}") from None
        c32 = np.float32(c)
        if not (math.isfinite(c) and CLIP_MIN <= float(c32) <= CLIP_MAX):
            raise ValueError(f"clip must be finite and in [{CLIP_MIN:g}, {CLIP_MAX:g}], got {clip!r}")
        if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
            raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
        n_levels = 1 << bits
        k = np.arange(n_levels, dtype=np.float64)
        levels = (float(c32) * (2 * k + 1 - n_levels) / n_levels).astype(np.float32)
        ks = np.arange(1, n_levels, dtype=np.int64)
        t = _smallest_with_code(lambda v: _uniform_codes(v, bits, c32).astype(np.int64), ks,
                                -float(c32), float(c32))
        return cls(np.tile(t, (int(n_groups), 1)), np.tile(levels, (int(n_groups), 1)), bits,
                   mode="uniform", clip=float(c32), input=input)

    @classmethod
    def from_codebook(cls, levels, input: str = "") -> "ScalarQuantizer":
        """Nearest-neighbour quantiser of a codebook: levels float[G, L] (or [L]), L a power of two
        in 2..2**16, distinct per row once rounded to float32; each row is sorted, thresholds are
        the midpoints of neighbouring levels (computed in float64, rounded to float32)."""
        lv = np.array(levels, dtype=np.float64, ndmin=2)
        if lv.ndim != 2:
            raise ValueError(f"levels must have shape [G, L] or [L], got {np.shape(levels)}")
        n_levels = lv.shape[1]
        if n_levels < 2 or n_levels & (n_levels - 1) or n_levels > 1 << MAX_BITS:
            raise ValueError(f"levels must have L = 2**bits entries per row (bits 1..{MAX_BITS}), got L = {n_levels}")
        if not np.all(np.isfinite(lv)):
            raise ValueError("levels must be finite, got a NaN or Inf")
        lv = np.sort(lv, axis=1).astype(np.float32)
        same = np.argwhere(~(np.diff(lv, axis=1) > 0))
        if len(same):
            g, j = same[0]
            raise ValueError(f"levels must be distinct per row (as float32), got levels[{g}] holding {lv[g, j]} twice")
        t = ((lv[:, 1:].astype(np.float64) + lv[:, :-1]) / 2).astype(np.float32)
        # Levels one or two ulps apart can round neighbouring midpoints to the same float32: such a
        # threshold moves up by one ulp, so that the rows stay strictly increasing.
        for g, j in np.argwhere(~(np.diff(t, axis=1) > 0)):
            t[g, j + 1] = np.nextafter(t[g, j], np.float32(np.inf))
        return cls(t, lv, n_levels.bit_length() - 1, mode="codebook", input=input)

    # --- coding ---------------------------------------------------------------------------------
    @property
    def n_groups(self) -> int:
        return self.thresholds.shape[0]

    def bytes_per_vector(self, n: int) -> int:
        """ceil(n bits / 8): the packed size of one N-vector."""
        return (int(n) * self.bits + 7) // 8

    def _check_n(self, n: int, what: str):
        if self.n_groups != 1 and n != self.n_groups:
            raise ValueError(f"{what} must have last axis N = {self.n_groups} (one codebook row per position), got {n}")

    def encode_counted(self, x):
        """x: float32[..., N] -> (codes uint16[..., N], erased, clamped): the codes, the number of
        NaN inputs (coded as the cell of 0.0) and of clamped ones (+-Inf; in uniform mode also
        finite |x| > clip)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim < 1:
            raise ValueError(f"x must have shape [..., N], got a scalar {x!r}")
        n = x.shape[-1]
        self._check_n(n, "x")
        nan = np.isnan(x)
        if self.mode == "uniform":
            codes = _uniform_codes(x, self.bits, self.clip)
            clamped = int(np.count_nonzero(np.abs(x) > self.clip))
        else:
            flat = x.reshape(-1, n)
            codes = np.empty(flat.shape, np.uint16)
            if self.n_groups == 1:
                codes[:] = np.searchsorted(self.thresholds[0], flat, side="right")
            else:
                for j in range(n):
                    codes[:, j] = np.searchsorted(self.thresholds[j], flat[:, j], side="right")
            codes = codes.reshape(x.shape)
            clamped = int(np.count_nonzero(np.isinf(x)))
        zero = np.broadcast_to(self.zero_code if self.n_groups > 1 else self.zero_code[0], x.shape)
        codes = np.where(nan, zero, codes).astype(np.uint16)
        return codes, int(np.count_nonzero(nan)), clamped

    def encode(self, x) -> np.ndarray:
        """x: float32[..., N] -> codes uint16[..., N] (encode_counted without the counts)."""
        return self.encode_counted(x)[0]

    def decode(self, codes) -> np.ndarray:
        """codes: integer[..., N], each < L -> float32[..., N] levels."""
        c = np.asarray(codes)
        if c.ndim < 1 or c.dtype.kind not in "iu":
            raise ValueError(f"codes must be integers of shape [..., N], got dtype {c.dtype}, shape {c.shape}")
        self._check_n(c.shape[-1], "codes")
        if c.size and (c.min() < 0 or c.max() >= self.n_levels):
            bad = c[(c < 0) | (c >= self.n_levels)].ravel()[0]
            raise ValueError(f"codes must lie in [0, L = {self.n_levels}), got {bad}")
        c = c.astype(np.int64)
        if self.n_groups == 1:
            return self.levels[0][c]
        return self.levels[np.arange(c.shape[-1]), c]

    def __call__(self, x) -> np.ndarray:
        """Q(x) = decode(encode(x)), float32[..., N]."""
        return self.decode(self.encode(x))

    # --- manifest form --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The manifest form (module docstring); JSON-serialisable, float32 values exact."""
        d = {"mode": self.mode, "bits": self.bits}
        if self.mode == "uniform":
            d["clip"] = float(self.clip)
        d["thresholds"] = self.thresholds.astype(np.float64).tolist()
        d["levels"] = self.levels.astype(np.float64).tolist()
        d["input"] = self.input
        return d

    @classmethod
    def from_dict(cls, d) -> "ScalarQuantizer":
        """Inverse of to_dict. ValueError names a missing key or a bad value."""
        if not isinstance(d, dict):
            raise ValueError(f"a quantiser must be a dict, got {type(d).__name__}")
        for key in ("mode", "bits"):
            if key not in d:
                raise ValueError(f"quantiser dict is missing key {key!r} (has {sorted(d)})")
        mode, inp = d["mode"], d.get("input", "")
        if not isinstance(inp, str):
            raise ValueError(f"input must be a string, got {inp!r}")
        if mode == "uniform":
            if "clip" not in d:
                raise ValueError(f"uniform quantiser dict is missing key 'clip' (has {sorted(d)})")
            t = d.get("thresholds")
            rows = len(t) if isinstance(t, list) and t and isinstance(t[0], list) else 1
            q = cls.uniform(d["bits"], d["clip"], n_groups=max(rows, 1), input=inp)
            for key in ("thresholds", "levels"):
                if key in d:
                    try:
                        same = np.array_equal(np.array(d[key], np.float32, ndmin=2), getattr(q, key))
                    except (TypeError, ValueError):
                        same = False
                    if not same:
                        raise ValueError(f"{key} of a uniform quantiser must equal the ones derived from "
                                         f"bits = {d['bits']}, clip = {d['clip']}")
            return q
        if mode == "codebook":
            for key in ("thresholds", "levels"):
                if key not in d:
                    raise ValueError(f"codebook quantiser dict is missing key {key!r} (has {sorted(d)})")
            try:
                t = np.asarray(d["thresholds"], np.float32)
                lv = np.asarray(d["levels"], np.float32)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"thresholds and levels must be arrays of numbers ({exc})") from None
            return cls(t, lv, d["bits"], mode="codebook", input=inp)
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    @classmethod
    def from_manifest(cls, source, key: str = "quantizer") -> "ScalarQuantizer":
        """source: a JSON manifest path (str or Path) or an already-read dict, holding the quantiser
        dict under ``key`` (EQ-Net manifests: "quantizer")."""
        if isinstance(source, dict):
            m = source
        else:
            p = Path(source)
            try:
                m = json.loads(p.read_text())
            except OSError as exc:
                raise ValueError(f"manifest {str(p)!r} cannot be read ({exc.strerror})") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"manifest {str(p)!r} is not JSON ({exc})") from None
            if not isinstance(m, dict):
                raise ValueError(f"manifest {str(p)!r} must hold a JSON object, got {type(m).__name__}")
        if key not in m:
            raise ValueError(f"manifest has no key {key!r} (keys: {sorted(m)})")
        return cls.from_dict(m[key])

    def block_args(self):
        """(bits, mode, clip, thresholds, levels) for the C++ blocks' make(n, ...): thresholds and
        levels flattened row-major (empty in uniform mode, where the kernel derives them)."""
        if self.mode == "uniform":
            return self.bits, "uniform", float(self.clip), [], []
        return (self.bits, "codebook", 0.0, self.thresholds.ravel().astype(np.float64).tolist(),
                self.levels.ravel().astype(np.float64).tolist())

    def __repr__(self):
        extra = f", clip={float(self.clip)!r}" if self.mode == "uniform" else ""
        return f"ScalarQuantizer(mode={self.mode!r}, bits={self.bits}, groups={self.n_groups}{extra})"


def pack(codes, bits) -> np.ndarray:
    """codes: integer[..., N], each < 2**bits -> uint8[..., ceil(N bits / 8)]: per vector the codes
    MSB first, concatenated, zero-padded to whole bytes."""
    bits = _bits_ok(bits)
    c = np.asarray(codes)
    if c.ndim < 1 or c.dtype.kind not in "iu":
        raise ValueError(f"codes must be integers of shape [..., N], got dtype {c.dtype}, shape {c.shape}")
    if c.size and (c.min() < 0 or c.max() >= 1 << bits):
        raise ValueError(f"codes must lie in [0, 2**bits = {1 << bits}), got {c.max() if c.max() >= 1 << bits else c.min()}")
    n = c.shape[-1]
    shifts = np.arange(bits - 1, -1, -1, dtype=np.uint32)
    bitplane = ((c[..., None].astype(np.uint32) >> shifts) & 1).astype(np.uint8)     # [..., N, bits]
    flat = bitplane.reshape(c.shape[:-1] + (n * bits,))
    return np.packbits(flat, axis=-1) if n else np.zeros(c.shape[:-1] + (0,), np.uint8)


def unpack(data, bits, n) -> np.ndarray:
    """data: uint8[..., ceil(n bits / 8)] -> codes uint16[..., n] (inverse of pack; padding ignored)."""
    bits = _bits_ok(bits)
    d = np.asarray(data)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    want = (int(n) * bits + 7) // 8
    if d.dtype != np.uint8 or d.ndim < 1 or d.shape[-1] != want:
        raise ValueError(f"data must be uint8[..., ceil(n * bits / 8) = {want}], got dtype {d.dtype}, shape {d.shape}")
    flat = np.unpackbits(d, axis=-1)[..., : n * bits].reshape(d.shape[:-1] + (n, bits))
    weights = (1 << np.arange(bits - 1, -1, -1)).astype(np.uint32)
    return (flat.astype(np.uint32) @ weights).astype(np.uint16)
