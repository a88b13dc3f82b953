# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training losses and validation metrics.

Shapes: estimate, x float[B, Nt, 2]; llr float[B, Nt, K]; bits float[B, Nt, K] (0/1).

mse   (1/B) Σ_b ‖x_b − x̂_b‖² over the 2Nt real coordinates: LcgNet eq. (15),
      a squared norm per vector averaged over the batch.
nmse  (1/B) Σ_b ‖x_b − x̂_b‖² / ‖x_b‖²: LcgNet eq. (26), the quantity
      the validation reports and early stopping watches.
bce   binary cross-entropy of sigmoid(LLR) against the bits, mean over all
      bits; with LLR = ln P(b=1)/P(b=0) (docs/conventions.md) sigmoid(LLR) is P(b=1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

#: Guards ‖x‖² = 0 (cannot happen with the project's constellations, which have no zero point).
_TINY = 1e-12


def per_vector_nmse(estimate: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-> [B]: ‖x − x̂‖² / ‖x‖² per vector."""
    err = (estimate - x).pow(2).sum(dim=(-2, -1))
    return err / x.pow(2).sum(dim=(-2, -1)).clamp_min(_TINY)


def mse_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return (out["estimate"] - x).pow(2).sum(dim=(-2, -1)).mean()


def nmse_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return per_vector_nmse(out["estimate"], x).mean()


def bce_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out["llr"], bits)


#: name -> loss(forward_train dict, x [B,Nt,2], bits [B,Nt,K]) -> scalar
LOSSES = {"mse": mse_loss, "nmse": nmse_loss, "bce": bce_loss}


def metric_sums(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """float64[4]: (Σ per-vector NMSE, vectors, bit errors, bits); the last two 0 without LLRs.

    Sums, so that shards (DDP ranks, chunks) add up before the division.
    """
    nmse = per_vector_nmse(out["estimate"].double(), x.double())
    s = torch.zeros(4, dtype=torch.float64, device=x.device)
    s[0] = nmse.sum()
    s[1] = nmse.numel()
    if "llr" in out:
        s[2] = ((out["llr"] > 0) != (bits > 0.5)).sum()
        s[3] = bits.numel()
    return s
