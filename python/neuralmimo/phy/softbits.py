# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soft bits: Λ = tanh(L/2) = P(b=1|y) − P(b=0|y), with the LLR sign of docs/conventions.md.

EQ-Net (eq. 3–4) compresses soft bits rather than LLRs because they are bounded to (−1, 1).
The inverse maps back to an LLR for a decoder; soft bits within SOFT_BIT_EDGE of ±1 are
clipped so the LLR stays within ±LLR_LIMIT. Both work on numpy arrays and torch tensors
(float32 in, float32 out) and keep the shape.
"""
from __future__ import annotations

import numpy as np

from .demap import LLR_LIMIT

#: |Λ| ≤ tanh(LLR_LIMIT/2) in float64 rounds to 1.0 in float32: the inverse clips |Λ| to
#: 1 − 2^−24 (the largest float32 below 1), i.e. |LLR| ≤ 2·atanh(1 − 2^−24) ≈ 17.3, before it
#: clips to LLR_LIMIT.
SOFT_BIT_EDGE = float(np.float32(1.0) - np.nextafter(np.float32(1.0), np.float32(0.0)))


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def soft_bits(llr):
    """llr: float[...] → soft bits Λ = tanh(L/2), float[...] in [−1, 1]; NaN stays NaN."""
    if _is_torch(llr):
        import torch
        return torch.tanh(0.5 * llr)
    return np.tanh(0.5 * np.asarray(llr, dtype=np.float32)).astype(np.float32)


def llr_from_soft_bits(soft):
    """soft: float[...] in [−1, 1] → LLR 2·atanh(Λ), float[...] clipped to ±LLR_LIMIT."""
    edge = 1.0 - SOFT_BIT_EDGE
    if _is_torch(soft):
        import torch
        return torch.clamp(2.0 * torch.atanh(torch.clamp(soft, -edge, edge)), -LLR_LIMIT, LLR_LIMIT)
    s = np.clip(np.asarray(soft, dtype=np.float32), -edge, edge)
    return np.clip(2.0 * np.arctanh(s), -LLR_LIMIT, LLR_LIMIT).astype(np.float32)
