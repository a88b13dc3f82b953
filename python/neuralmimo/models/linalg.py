# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linear algebra that exports to ONNX, which has no solve/inverse/Cholesky op.

Loops run over a fixed matrix size at trace time, each step vectorised over the
batch and over a whole column or row, so the graph grows like O(n) nodes, not
O(n³). Real-valued, float32-friendly; inputs must be symmetric positive definite
(LMMSE Gram matrices with σ²I added are).
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
