# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalar LLR quantisers designed from data: the max-MI quantiser and the clipped uniform one.

EQ-Net's baseline [20] (Winkelbauer & Matz, "On quantization of log-likelihood ratios for maximum
mutual information", SPAWC 2015) quantises each LLR (each soft bit, the same thing through the
monotone map Λ = tanh(L/2)) with a scalar quantiser Q of 2**bits cells that maximises I(B; Q(L)).
Reconstruction level of a cell = the cell's own LLR ln P(b=1 | cell)/P(b=0 | cell), so a decoder
fed the levels gets correct (consistent) LLRs of the quantised channel.

Design (design_max_mi), exact on a fine histogram:
1. Fine bins: the training LLRs are cut at their quantiles (`bins` equal-mass bins; 0 is always
   an edge, so the sign decision is representable). Per fine bin j the joint masses
   p(b=0, j), p(b=1, j) come from the known bit values, or, with LLRs alone, from the consistent
   posterior P(b=1 | L) = sigmoid(L) summed over the bin's samples.
2. Optimal merge: Kurkoski & Yagi ("Quantization of binary-input discrete memoryless channels",
   IEEE Trans. IT 60(8), 2014) show that an MI-optimal quantiser of a binary-input channel's
   outputs is contiguous in the order of the posterior P(b=1 | j), and find it by dynamic
   programming over contiguous partitions. For consistent LLRs the posterior is sigmoid(L),
   increasing in L, so the order is the LLR order and the DP over contiguous runs of fine bins
   gives the exact optimum among quantisers whose thresholds are fine-bin edges. With labelled
   data whose per-bin posterior is not monotone in L (inconsistent LLRs), the same DP gives the
   best quantiser contiguous in LLR, which is what a threshold quantiser can be; its levels may
   then be out of order.
Winkelbauer & Matz reach the same optimum with an iterative (Lloyd-like) algorithm on the LLR
density; the DP is exact on the histogram and has no starting point to choose.

design_uniform_clip is the other baseline: 2**bits equal cells over [−c, c] (outer cells open),
with the clip c chosen by a grid search to maximise the same MI on the training data. It
reconstructs cell centres, not cell LLRs: its levels are not the LLRs of the quantised channel
(a decoder sees mis-scaled LLRs), which is part of why it loses to max-MI at equal bits.

Both return a one-group phy.quantizer.ScalarQuantizer (thresholds float32[1, L−1], levels
float32[1, L]; code = searchsorted(thresholds, x, side="right"), x on a threshold goes to the
upper cell), which the soft-bit blocks take as they are. MI is in bits throughout.
"""
from __future__ import annotations

import numpy as np

from .demap import LLR_LIMIT
from .quantizer import ScalarQuantizer

#: Most bits a scalar quantiser may have here (4096 cells): far beyond any use, and it bounds the
#: DP's work (cells · bins²).
MAX_BITS = 12

#: Default number of fine histogram bins of design_max_mi.
DEFAULT_BINS = 1024


def _check_llr(llr) -> np.ndarray:
    a = np.asarray(llr)
    if a.ndim != 1:
        raise ValueError(f"llr: expected a 1-D array of LLRs, got shape {a.shape}")
    if a.size == 0:
        raise ValueError("llr: empty")
    if not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise ValueError(f"llr: expected real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("llr: contains NaN or Inf")
    return a


def _check_bits(bits) -> int:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits: expected an integer in 1..{MAX_BITS}, got {bits!r}")
    return int(bits)


def _check_bit_values(bit_values, n: int) -> np.ndarray | None:
    if bit_values is None:
        return None
    b = np.asarray(bit_values)
    if b.shape != (n,):
        raise ValueError(f"bit_values: expected shape ({n},) like llr, got {b.shape}")
    if not np.all((b == 0) | (b == 1)):
        raise ValueError("bit_values: expected 0 or 1 only")
    return b.astype(bool)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of −|x| only, so no overflow for LLRs of ±1e4.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _joint_masses(llr: np.ndarray, cells: np.ndarray, n_cells: int, bit_values) -> np.ndarray:
    """float64[2, n_cells]: P(b=0, cell), P(b=1, cell) estimated from the samples (counts of the
    known bits, or the consistent posterior sigmoid(L) summed per cell)."""
    if bit_values is not None:
        p1 = np.bincount(cells, weights=bit_values.astype(np.float64), minlength=n_cells)
        p0 = np.bincount(cells, minlength=n_cells) - p1
    else:
        q = _sigmoid(llr)
        p1 = np.bincount(cells, weights=q, minlength=n_cells)
        p0 = np.bincount(cells, weights=1.0 - q, minlength=n_cells)
    return np.stack([p0, p1]) / llr.size


def _xlogy(x, y):
    """x·log2(y) with 0·log 0 = 0 (elementwise, float64)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = np.zeros(np.broadcast(x, y).shape)
    pos = np.broadcast_to(x > 0, out.shape)
    xb, yb = np.broadcast_to(x, out.shape), np.broadcast_to(y, out.shape)
    out[pos] = xb[pos] * np.log2(yb[pos])
    return out


def _mi_from_joint(joint: np.ndarray) -> float:
    """I(B; Q) in bits of a joint mass table float[2, cells] (sums to 1)."""
    pb = joint.sum(axis=1, keepdims=True)
    pq = joint.sum(axis=0, keepdims=True)
    return float(np.sum(_xlogy(joint, joint)) - np.sum(_xlogy(pb, pb)) - np.sum(_xlogy(pq, pq)))


def mutual_information(codes, n_cells: int, bit_values=None, llr=None) -> float:
    """I(B; cell) in bits from cell indices.

    codes: int[S] in 0..n_cells−1 (e.g. ScalarQuantizer.encode); either bit_values int/bool[S] (the
    plug-in estimate from the empirical joint distribution) or llr float[S] (the consistent-LLR
    estimate, P(b=1 | L) = sigmoid(L) summed per cell; lower variance, and never above
    llr_mutual_information(llr) on the same samples, by concavity of the binary entropy).
    """
    c = np.asarray(codes)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"codes: expected a non-empty 1-D array, got shape {c.shape}")
    if not np.issubdtype(c.dtype, np.integer) or c.min() < 0 or c.max() >= n_cells:
        raise ValueError(f"codes: expected integers in 0..{n_cells - 1}")
    if (bit_values is None) == (llr is None):
        raise ValueError("bit_values: give exactly one of bit_values and llr")
    ref = _check_llr(llr) if llr is not None else np.zeros(c.size)
    if ref.size != c.size:
        raise ValueError(f"llr: expected shape ({c.size},) like codes, got ({ref.size},)")
    bv = _check_bit_values(bit_values, c.size)
    return _mi_from_joint(_joint_masses(ref, c.astype(np.int64), n_cells, bv))


def llr_mutual_information(llr, bit_values=None) -> float:
    """I(B; L) in bits of unquantised LLRs llr float[S].

    With bit_values [S]: H(B) − mean log2(1 + exp(−(2b−1)L)) (the usual estimate for LLRs that are
    true log posteriors of a uniform bit); without: the consistent estimate
    h2(mean sigmoid(L)) − mean h2(sigmoid(L)).
    """
    a = _check_llr(llr)
    bv = _check_bit_values(bit_values, a.size)
    if bv is not None:
        s = np.where(bv, a, -a)
        # log2(1 + e^−s) without overflow: logaddexp.
        p1 = bv.mean()
        hb = -float(_xlogy(p1, p1) + _xlogy(1 - p1, 1 - p1))
        return hb - float(np.mean(np.logaddexp(0.0, -s)) / np.log(2.0))
    q = _sigmoid(a)
    m = q.mean()
    hb = -float(_xlogy(m, m) + _xlogy(1 - m, 1 - m))
    return hb + float(np.mean(_xlogy(q, q) + _xlogy(1 - q, 1 - q)))


def _fine_edges(llr: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges float64[E] of the fine histogram: LLR quantiles (equal-mass bins) plus 0,
    deduplicated and sorted; a sample x falls in bin searchsorted(edges, x, "right")."""
    q = np.quantile(llr, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    edges = np.unique(np.concatenate([q, [0.0]]))
    # An edge at or below the smallest sample leaves an empty first bin: drop it; so does an edge
    # whose bin holds no sample (repeated values, 0 in a gap): its bin merges with the left one.
    edges = edges[edges > llr.min()]
    counts = np.bincount(np.searchsorted(edges, llr, side="right"), minlength=edges.size + 1)
    return edges[counts[1:] > 0]


def _best_partition(joint: np.ndarray, n_cells: int) -> np.ndarray:
    """Dynamic programming (Kurkoski & Yagi 2014): the partition of the N fine bins (joint
    float[2, N]) into n_cells contiguous non-empty runs maximising I(B; cell).
    -> int64[n_cells − 1]: the index of the first fine bin of each cell after the first."""
    n = joint.shape[1]
    pb = joint.sum(axis=1)
    cum = np.concatenate([np.zeros((2, 1)), np.cumsum(joint, axis=1)], axis=1)     # [2, N+1]
    # Cell (i, j] = fine bins i..j−1; its MI contribution Σ_b p(b,c) log p(b,c)/(p(b) p(c)).
    a0 = cum[0][None, :] - cum[0][:, None]                                         # [N+1, N+1]
    a1 = cum[1][None, :] - cum[1][:, None]
    tot = a0 + a1
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = (np.where(a0 > 0, a0 * np.log2(a0 / (pb[0] * tot)), 0.0)
                + np.where(a1 > 0, a1 * np.log2(a1 / (pb[1] * tot)), 0.0))
    # Rounding can make a0 of an empty cell slightly negative: such a cell has no mass, gain 0.
    gain = np.nan_to_num(gain, nan=0.0)
    upper = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=1)                       # i < j only
    gain = np.where(upper, gain, -np.inf)
    # best[j] = max MI of the first j fine bins cut into `level` cells; arg[level][j] = last cut.
    best = gain[0].copy()
    args = []
    for _ in range(1, n_cells):
        cand = best[:, None] + gain                                                # [i, j]
        arg = np.argmax(cand, axis=0)
        best = cand[arg, np.arange(n + 1)]
        args.append(arg)
    cuts = []
    j = n
    for arg in reversed(args):
        j = int(arg[j])
        cuts.append(j)
    return np.array(cuts[::-1], dtype=np.int64)


def _cell_llr(joint: np.ndarray) -> np.ndarray:
    """ln P(b=1 | cell)/P(b=0 | cell) per cell of joint float[2, L], clipped to ±LLR_LIMIT."""
    with np.errstate(divide="ignore"):
        lv = np.log(joint[1]) - np.log(joint[0])
    return np.clip(lv, -LLR_LIMIT, LLR_LIMIT)


def design_max_mi(llr, bits: int, bit_values=None, bins: int = DEFAULT_BINS) -> ScalarQuantizer:
    """Max-MI scalar quantiser of LLRs (module docstring: fine histogram + Kurkoski–Yagi DP).

    llr: float[S] training LLRs (LLR = ln P(b=1)/P(b=0)); bits: 1..MAX_BITS (2**bits cells);
    bit_values: int/bool[S] of the known bits, or None to assume consistent LLRs
    (P(b=1 | L) = sigmoid(L)); bins: fine histogram bins (>= 2**bits; DP work ∝ 2**bits·bins²).
    -> ScalarQuantizer (thresholds float32[1, 2**bits − 1] increasing, levels float32[1, 2**bits]:
    each cell's LLR, clipped to ±LLR_LIMIT). ValueError naming the argument for bad input, or when the
    training LLRs have fewer distinct values than cells.
    """
    a = _check_llr(llr)
    n_cells = 1 << _check_bits(bits)
    bv = _check_bit_values(bit_values, a.size)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < n_cells:
        raise ValueError(f"bins: expected an integer >= 2**bits = {n_cells}, got {bins!r}")
    edges = _fine_edges(a, int(bins))
    if edges.size + 1 < n_cells:
        raise ValueError(f"llr: {edges.size + 1} distinct fine bins (too few distinct values) "
                         f"for 2**bits = {n_cells} cells")
    fine = np.searchsorted(edges, a, side="right")
    joint = _joint_masses(a, fine, edges.size + 1, bv)
    cuts = _best_partition(joint, n_cells)
    thresholds = edges[cuts - 1]                      # fine bin k starts at edges[k − 1]
    cells = np.searchsorted(thresholds, a, side="right")
    levels = _cell_llr(_joint_masses(a, cells, n_cells, bv))
    return ScalarQuantizer(thresholds.astype(np.float32)[None, :], levels.astype(np.float32)[None, :], bits,
                           input="llr")


def best_uniform_clip(llr, bits: int, bit_values=None, grid: int = 200) -> float:
    """The clip c of ScalarQuantizer.uniform(bits, c) maximising I(B; Q(L)) on the training LLRs
    (the mutual_information estimate with bit_values, or the consistent one without), by a grid
    search over `grid` values of c in (0, max|L|]; ties keep the smaller c.

    llr: float[S]; bits: 1..MAX_BITS; bit_values: int/bool[S] or None -> c (float). For bits = 1
    every c gives the sign quantiser (c only scales the levels ±c/2): the smallest grid value.
    """
    a = _check_llr(llr)
    _check_bits(bits)
    bv = _check_bit_values(bit_values, a.size)
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 1:
        raise ValueError(f"grid: expected an integer >= 1, got {grid!r}")
    top = float(np.max(np.abs(a)))
    if top == 0.0:
        raise ValueError("llr: all zero, no scale to clip at")
    n_cells = 1 << bits
    best_mi, best_c = -np.inf, top
    for c in top * np.arange(1, grid + 1) / grid:
        codes = ScalarQuantizer.uniform(bits, float(c)).encode(a.astype(np.float32))
        mi = _mi_from_joint(_joint_masses(a, codes, n_cells, bv))
        if mi > best_mi + 1e-12:
            best_mi, best_c = mi, float(c)
    return best_c


def design_uniform_clip(llr, bits: int, bit_values=None, grid: int = 200) -> ScalarQuantizer:
    """Uniform LLR quantiser baseline: ScalarQuantizer.uniform(bits, best_uniform_clip(llr, bits,
    bit_values, grid)), 2**bits equal cells over [−c, c]. The levels are cell
    centres, not the cells' LLRs (module docstring): a decoder fed them sees mis-scaled LLRs."""
    return ScalarQuantizer.uniform(bits, best_uniform_clip(llr, bits, bit_values, grid), input="llr")


__all__ = ["DEFAULT_BINS", "MAX_BITS", "best_uniform_clip", "design_max_mi", "design_uniform_clip",
           "llr_mutual_information", "mutual_information"]
