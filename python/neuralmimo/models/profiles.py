# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Weight-scaling profiles of WeSNet (eqs. 22-24), their learnable form (L-WeSNet) and the suffix of
a scaled weight matrix that pruning may drop (docs/papers.md, "WeSNet")."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

PROFILES = ("none", "linear", "half_exp")


def linear_profile(n: int) -> torch.Tensor:
    """Eq. (23): β_i = 1 − i/N, i = 1..N (float64)."""
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return 1.0 - i / n


def half_exp_profile(n: int) -> torch.Tensor:
    """Eq. (24): β_i = 1 for i ≤ N/2, exp(N/2 − i − 1) otherwise, i = 1..N (float64)."""
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return torch.where(i <= n / 2, torch.ones_like(i), torch.exp(n / 2 - i - 1))


def profile_coefficients(name: str, n: int) -> torch.Tensor:
    """β_1..β_N of the named profile (float64)."""
    if name == "linear":
        return linear_profile(n)
    if name == "half_exp":
        return half_exp_profile(n)
    raise ValueError(f"profile: '{name}' has no coefficients (one of linear, half_exp)")


def kept_units(keep: float, n: int) -> int:
    """⌈p·n⌉, at least 1: how many of n units a kept percentage p leaves."""
    return max(1, math.ceil(keep * n - 1e-9))


class LearnedProfile(nn.Module):
    """β_i = exp(−Σ_{k≤i} softplus(θ_k)): non-increasing, in (0, 1], trained (L-WeSNet)."""

    def __init__(self, init: torch.Tensor):
        super().__init__()
        b = init.double().clamp_min(1e-12)
        prev = torch.cat([torch.ones(1, dtype=b.dtype), b[:-1]])
        step = torch.log(prev / b).clamp(1e-6, 30.0)          # softplus(θ_k) = −log(β_k/β_{k−1})
        self.theta = nn.Parameter((step + torch.log(-torch.expm1(-step))).float())   # softplus⁻¹

    def forward(self) -> torch.Tensor:
        return torch.exp(-torch.cumsum(F.softplus(self.theta), 0))


def suffix_start(weight: torch.Tensor, tol: float) -> int:
    """How many leading columns of `weight` to keep: up to the last one whose largest |entry| exceeds
    tol · the largest entry (the columns after it are the droppable suffix)."""
    if weight.numel() == 0:
        return 0
    colmax = weight.abs().amax(0)
    keep = torch.nonzero(colmax > tol * colmax.max()).flatten()
    return int(keep[-1]) + 1 if keep.numel() else 0


__all__ = ["PROFILES", "linear_profile", "half_exp_profile", "profile_coefficients", "kept_units",
           "LearnedProfile", "suffix_start"]
