# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""IEEE 802.11n (648, 324) rate-1/2 LDPC code: parity-check matrix, systematic encoder, BP decoder.

The code is the quasi-cyclic code of the 802.11n HT PHY (codeword n = 648 bits, k = 324
information bits, sub-block size Z = 27). Encoding and decoding use the `ldpc` package
(GF(2) routines `ldpc.mod2`, belief-propagation decoder `ldpc.bp_decoder`); this module only
builds H, derives the generator once, and converts between the project's LLR convention
(docs/conventions.md: LLR = ln P(b=1)/P(b=0), positive means bit 1) and the decoder's input.

    code = ldpc_code()                       # cached Ldpc80211n()
    cw = code.encode(info)                   # uint8[B, 324] -> uint8[B, 648] = [info | parity]
    res = code.decode(llr)                   # float32[B, 648] -> LdpcResult
    res.info, res.codeword, res.ok, res.iterations

Lifting: a base-matrix entry p >= 0 is the Z×Z identity with its columns cyclically shifted
right by p, i.e. row i of the block has its 1 in column (i + p) mod Z; -1 is the Z×Z zero
block. This is the standard's definition ("cyclic-permutation matrix obtained from the Z×Z
identity matrix by cyclically shifting the columns to the right by p elements").
"""
from __future__ import annotations

import dataclasses
import functools
import os
import threading

import numpy as np

#: Sub-block (lifting) size Z of the n = 648 codes.
Z = 27

#: Base matrix (12 × 24) of the n = 648, rate-1/2 code: IEEE Std 802.11-2012, Annex F
#: (HT LDPC matrix definitions), Table F-1 "Matrix prototypes for codeword block length
#: n = 648 bits, subblock size is Z = 27 bits", (a) coding rate R = 1/2 (Annex R, Table R.1 of
#: IEEE Std 802.11n-2009). Columns 0–11 carry the information bits, 12–23 the parity bits.
BASE_MATRIX = np.array([
    [0, -1, -1, -1, 0, 0, -1, -1, 0, -1, -1, 0, 1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
    [22, 0, -1, -1, 17, -1, 0, 0, 12, -1, -1, -1, -1, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1],
    [6, -1, 0, -1, 10, -1, -1, -1, 24, -1, 0, -1, -1, -1, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1],
    [2, -1, -1, 0, 20, -1, -1, -1, 25, 0, -1, -1, -1, -1, -1, 0, 0, -1, -1, -1, -1, -1, -1, -1],
    [23, -1, -1, -1, 3, -1, -1, -1, 0, -1, 9, 11, -1, -1, -1, -1, 0, 0, -1, -1, -1, -1, -1, -1],
    [24, -1, 23, 1, 17, -1, 3, -1, 10, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1, -1, -1, -1, -1],
    [25, -1, -1, -1, 8, -1, -1, -1, 7, 18, -1, -1, 0, -1, -1, -1, -1, -1, 0, 0, -1, -1, -1, -1],
    [13, 24, -1, -1, 0, -1, 8, -1, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1, -1, -1],
    [7, 20, -1, 16, 22, 10, -1, -1, 23, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1, -1],
    [11, -1, -1, -1, 19, -1, -1, -1, 13, -1, 3, 17, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1],
    [25, -1, 8, -1, 23, 18, -1, 14, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0],
    [3, -1, -1, -1, 16, -1, -1, 2, 25, 5, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0],
], dtype=np.int16)

#: |LLR| is clipped here before it becomes an error probability p = 1/(1 + e^|L|): the
#: decoder's product-sum update works on ratios p/(1−p), and e^−30 ≈ 1e−13 keeps them far from
#: 0 and from float64 underflow in the message products, while changing no decision (an LLR of
#: 30 already says the bit is wrong with probability 1e−13).
LLR_CLIP = 30.0

METHODS = ("product_sum", "min_sum")


def lift(base: np.ndarray, z: int) -> np.ndarray:
    """Expand a base matrix int[R, C] (entries −1 or a shift 0 ≤ p < z) to uint8[R·z, C·z].

    Entry p becomes the z×z identity with its columns shifted right by p (row i has its 1 in
    column (i + p) mod z); −1 becomes the zero block.
    """
    base = np.asarray(base)
    rows, cols = base.shape
    H = np.zeros((rows * z, cols * z), dtype=np.uint8)
    i = np.arange(z)
    for r in range(rows):
        for c in range(cols):
            p = int(base[r, c])
            if p >= 0:
                H[r * z + i, c * z + (i + p) % z] = 1
    return H


@dataclasses.dataclass
class LdpcResult:
    """Decoder output for B codewords.

    info: uint8[B, k] decoded information bits (the systematic part of `codeword`).
    codeword: uint8[B, n] decoded codeword (BP's final hard decision).
    ok: bool[B] H·codeword = 0 (mod 2) after decoding, i.e. BP converged to a codeword.
    iterations: int32[B] BP iterations run (1 when the hard decisions were a codeword).
    nan_llrs: int32[B] NaN input LLRs of the codeword, decoded as erasures (LLR 0).
    """

    info: np.ndarray
    codeword: np.ndarray
    ok: np.ndarray
    iterations: np.ndarray
    nan_llrs: np.ndarray


class Ldpc80211n:
    """The IEEE 802.11n (648, 324) rate-1/2 LDPC code with the `ldpc` package's BP decoder.

    max_iter: BP iterations at most (>= 1).
    method: "product_sum" (sum-product BP, the library's "ps") or "min_sum" (the library's
        log-domain min-sum, "ms", scaled by `ms_scaling_factor`).
    ms_scaling_factor: min-sum scaling (1.0: plain min-sum; 0: the library's 1 − 2^−iter
        schedule); ignored by product-sum.

    Attributes: n = 648, k = 324, z = 27, base (int16[12, 24]), H (uint8[324, 648]), and
    P (uint8[324, 324]) with parity = P·info (mod 2).
    """

    n = 648
    k = 324
    z = Z

    def __init__(self, max_iter: int = 50, method: str = "product_sum", ms_scaling_factor: float = 1.0):
        if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not np.isfinite(ms_scaling_factor) or ms_scaling_factor < 0:
            raise ValueError(f"ms_scaling_factor must be finite and >= 0, got {ms_scaling_factor!r}")
        self.max_iter = int(max_iter)
        self.method = method
        self.ms_scaling_factor = float(ms_scaling_factor)
        self.base = BASE_MATRIX
        self.H = _parity_check()
        self.P = _parity_map()
        self._decoder = None
        # The library's decoder object keeps the channel probabilities between calls: one caller
        # at a time (GNU Radio blocks run in threads and may share the cached ldpc_code()).
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- encoding
    def encode(self, info) -> np.ndarray:
        """info: uint8[B, 324] (or [324]) of 0/1 → codeword uint8[B, 648] = [info | parity]."""
        u = np.asarray(info)
        single = u.ndim == 1
        if single:
            u = u[None]
        if u.ndim != 2 or u.shape[1] != self.k:
            raise ValueError(f"info must have shape [B, {self.k}], got {np.shape(info)}")
        if not (np.issubdtype(u.dtype, np.integer) or u.dtype == np.bool_):
            raise ValueError(f"info must be an integer or bool array of 0/1, got dtype {u.dtype}")
        if u.size and (u.min() < 0 or u.max() > 1):
            raise ValueError("info must hold only 0 and 1")
        u = u.astype(np.uint8)
        # parity = P·u mod 2; an int32 product of 0/1 entries cannot overflow (row weight <= 324).
        parity = (u.astype(np.int32) @ self.P.T.astype(np.int32)) & 1
        cw = np.concatenate([u, parity.astype(np.uint8)], axis=1)
        return cw[0] if single else cw

    def syndrome(self, codeword) -> np.ndarray:
        """codeword: uint8[B, 648] → H·c mod 2, uint8[B, 324]."""
        c = np.asarray(codeword)
        if c.ndim != 2 or c.shape[1] != self.n:
            raise ValueError(f"codeword must have shape [B, {self.n}], got {np.shape(codeword)}")
        return ((c.astype(np.int32) @ self.H.T.astype(np.int32)) & 1).astype(np.uint8)

    # ----------------------------------------------------------------- decoding
    def _bp(self):
        if self._decoder is None:
            from ldpc import bp_decoder
            kwargs = dict(max_iter=self.max_iter, input_vector_type="received_vector",
                          channel_probs=[0.5] * self.n)
            if self.method == "product_sum":
                kwargs["bp_method"] = "ps"
            else:
                kwargs.update(bp_method="ms", ms_scaling_factor=self.ms_scaling_factor)
            self._decoder = bp_decoder(self.H, **kwargs)
        return self._decoder

    def decode(self, llr) -> LdpcResult:
        """llr: float[B, 648] (or [648]) channel LLRs, LLR = ln P(b=1)/P(b=0) → LdpcResult.

        The library's decoder is syndrome-based: it looks for the most likely error pattern e
        with H·e = H·r for a received hard word r, given per-bit probabilities P(e_j = 1), and
        returns r ⊕ e. With r_j = [L_j > 0] (the hard decision) and P(e_j = 1) = 1/(1 + e^|L_j|)
        (the probability that the hard decision is wrong) this is exactly BP on the LLRs L: the
        message of bit j is ±|L_j| with the sign of r_j either way. Hence `received_vector`
        input with per-codeword `update_channel_probs`.

        LLR 0 is an erasure (P = 1/2). |L| is clipped to LLR_CLIP; ±Inf is a clipped certain
        bit; NaN is decoded as an erasure and counted in `nan_llrs` (a detector's NaN output is
        data, not a caller error, so it does not raise).
        """
        x = np.asarray(llr)
        single = x.ndim == 1
        if single:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"llr must have shape [B, {self.n}], got {np.shape(llr)}")
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"llr must be a float array, got dtype {x.dtype}")
        x = x.astype(np.float64)
        nan = np.isnan(x)
        x = np.clip(np.where(nan, 0.0, x), -LLR_CLIP, LLR_CLIP)
        hard = (x > 0).astype(np.uint8)
        p_wrong = 1.0 / (1.0 + np.exp(np.abs(x)))

        B = x.shape[0]
        cw = np.empty((B, self.n), dtype=np.uint8)
        iters = np.empty(B, dtype=np.int32)
        with self._lock:
            dec = self._bp()
            for b in range(B):
                dec.update_channel_probs(p_wrong[b])
                cw[b] = dec.decode(hard[b])
                iters[b] = dec.iter
        ok = ~self.syndrome(cw).any(axis=1)
        res = LdpcResult(info=cw[:, :self.k].copy(), codeword=cw, ok=ok, iterations=iters,
                         nan_llrs=nan.sum(axis=1).astype(np.int32))
        if single:
            res = LdpcResult(*(getattr(res, f.name)[0] for f in dataclasses.fields(res)))
        return res

    # -------------------------------------------------------------------- alist
    def write_alist(self, path) -> None:
        """Write H as an alist file (MacKay's format, as GNU Radio's gr-fec reads it).

        Lines: "N M"; max column and row weight; the N column weights; the M row weights; per
        column its rows (1-based); per row its columns (1-based). N = 648 is the code length.
        """
        write_alist(path, self.H)


def write_alist(path, H) -> None:
    """Write the parity-check matrix H (0/1 [M, N]) to `path` in alist format (see above)."""
    H = np.asarray(H)
    if H.ndim != 2:
        raise ValueError(f"H must be a 2-D 0/1 matrix, got shape {H.shape}")
    M, N = H.shape
    col_w = H.sum(axis=0).astype(int)
    row_w = H.sum(axis=1).astype(int)
    lines = [f"{N} {M}", f"{col_w.max()} {row_w.max()}",
             " ".join(map(str, col_w)), " ".join(map(str, row_w))]
    lines += [" ".join(str(r + 1) for r in np.flatnonzero(H[:, j])) for j in range(N)]
    lines += [" ".join(str(c + 1) for c in np.flatnonzero(H[i])) for i in range(M)]
    with open(os.fspath(path), "w") as f:
        f.write("\n".join(lines) + "\n")


@functools.lru_cache(maxsize=1)
def _parity_check() -> np.ndarray:
    H = lift(BASE_MATRIX, Z)
    H.setflags(write=False)
    return H


@functools.lru_cache(maxsize=1)
def _parity_map() -> np.ndarray:
    """P (uint8[k, k]) with parity = P·info mod 2, derived once with the library's GF(2) inverse.

    H = [H_s | H_p] with H_p the 324×324 parity part; H·c = 0 for c = [u | p] gives
    H_p·p = H_s·u, so p = H_p⁻¹·H_s·u. H_p is invertible: its dual-diagonal structure (block
    column 12 holds shifts 1, 0, 1, which add up to the identity; columns 13–23 are a
    bidiagonal of identities) makes it so, and `ldpc.mod2.inverse` refuses a singular matrix.
    """
    from ldpc import mod2
    H = _parity_check()
    k = H.shape[1] - H.shape[0]
    Hs, Hp = H[:, :k].astype(np.int64), H[:, k:].astype(np.int64)
    Hp_inv = np.asarray(mod2.inverse(Hp)) % 2
    if np.any((Hp_inv @ Hp) % 2 != np.eye(Hp.shape[0], dtype=np.int64)):
        raise RuntimeError("the parity part of H is not invertible over GF(2)")
    P = ((Hp_inv @ Hs) % 2).astype(np.uint8)
    P.setflags(write=False)
    return P


@functools.lru_cache(maxsize=None)
def ldpc_code(max_iter: int = 50, method: str = "product_sum") -> Ldpc80211n:
    """A cached Ldpc80211n(max_iter, method): H, the generator and the decoder are built once.
    Thread-safe (decode calls on it run one at a time); a thread that decodes much makes its own."""
    return Ldpc80211n(max_iter=max_iter, method=method)
