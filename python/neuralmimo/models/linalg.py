# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linear algebra that exports to ONNX, which has no solve/inverse/Cholesky op.

Loops run over a fixed matrix size at trace time, each step vectorised over the
batch and over a whole column or row, so the graph grows like O(n) nodes, not
O(n³). Real-valued, float32-friendly; inputs must be symmetric positive definite
(LMMSE Gram matrices with σ²I added are).

Two exact inverses. spd_inverse (cholesky_unrolled, then lower_triangular_inverse)
is the faster graph to run (onnxruntime, one thread, batch 256: 23.7 ms against
40.8 ms at n = 32) and the one the shipped LMMSE graph holds; it stacks the
columns found so far at every step, so its export is slow at large n (about
4 minutes for one 32x32 inverse: torch.export, the ONNX translation and
onnxscript's rewriter all scale with it). spd_inverse_sweep, the sweep operator
(Gauss–Jordan without pivoting, symmetric), is one rank-1 update per pivot with
no growing lists: about 15 s to export at 32x32. OAMPNet, ten inverses of up to
64x64, exports with the sweep (docs/results.md, RE-MIMO).
"""
from __future__ import annotations

import torch


def cholesky_unrolled(a: torch.Tensor) -> torch.Tensor:
    """Lower Cholesky factor of SPD a: [B, n, n]  ->  L: [B, n, n], a = L Lᵀ.

    Left-looking, column by column: v = a[:, j] − L[:, :j] L[j, :j]ᵀ,
    L[j, j] = √v_j, L[i>j, j] = v_i / L[j, j].
    """
    n = a.shape[-1]
    cols: list[torch.Tensor] = []
    for j in range(n):
        v = a[:, :, j]                                            # [B, n]
        if j:
            prev = torch.stack(cols, dim=-1)                      # [B, n, j]
            v = v - (prev @ prev[:, j, :].unsqueeze(-1)).squeeze(-1)
        below = torch.zeros(n, dtype=a.dtype, device=a.device)
        below[j:] = 1.0                                           # rows above the diagonal stay 0
        cols.append(v * below / torch.sqrt(v[:, j:j + 1]))
    return torch.stack(cols, dim=-1)


def lower_triangular_inverse(l: torch.Tensor) -> torch.Tensor:
    """L⁻¹ for lower-triangular L: [B, n, n], by forward substitution row by row."""
    n = l.shape[-1]
    eye = torch.eye(n, dtype=l.dtype, device=l.device)
    rows: list[torch.Tensor] = []
    for i in range(n):
        r = eye[i].expand(l.shape[0], n)
        if i:
            prev = torch.stack(rows, dim=1)                       # [B, i, n]
            r = r - (l[:, i:i + 1, :i] @ prev).squeeze(1)
        rows.append(r / l[:, i, i:i + 1])
    return torch.stack(rows, dim=1)


def spd_inverse(a: torch.Tensor) -> torch.Tensor:
    """a⁻¹ for SPD a: [B, n, n], as L⁻ᵀ L⁻¹."""
    li = lower_triangular_inverse(cholesky_unrolled(a))
    return li.transpose(-1, -2) @ li


def spd_inverse_sweep(a: torch.Tensor) -> torch.Tensor:
    """a⁻¹ for SPD a: [B, n, n], by sweeping every pivot (Goodnight 1979).

    Sweeping pivot k of a symmetric matrix A, with c = A[:, k] and d = A[k, k]:
        A[i, j] ← A[i, j] − c_i c_j / d     (i, j ≠ k)
        A[i, k] = A[k, i] ← c_i / d         (i ≠ k),    A[k, k] ← −1/d
    Sweeping all n pivots once, in any order, leaves −A⁻¹. For SPD A every pivot met is a
    Schur complement's diagonal, hence > 0 (no pivoting, as Cholesky). The update is written
    as q qᵀ with q = c/√d, so the matrix stays exactly symmetric in floating point.
    """
    n = a.shape[-1]
    for k in range(n):
        on = [i == k for i in range(n)]
        e = torch.tensor(on, device=a.device)                         # [n]: the pivot's row/column
        c = a[:, :, k]                                                # [B, n]
        p = torch.reciprocal(c[:, k:k + 1])                           # 1/d, [B, 1]
        q = c * torch.sqrt(p)
        s = torch.where(e, -p, c * p)                                 # the new row and column k
        a = torch.where(e.unsqueeze(-1), s.unsqueeze(-2),
                        torch.where(e, s.unsqueeze(-1), a - q.unsqueeze(-1) * q.unsqueeze(-2)))
    return -a
