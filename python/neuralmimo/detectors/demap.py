# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-stream Gaussian demapping, in real arithmetic so it also exports to ONNX.

A linear detector gives z_t = x_t + e_t with e_t ~ CN(0, ν_t) (unbiased,
Gaussian approximation). Then, with LLR = ln P(b=1)/P(b=0):
  max-log: LLR_{t,k} = (min_{s: b_k=0} |z−s|² − min_{s: b_k=1} |z−s|²) / ν_t
  app:     LLR_{t,k} = lse_{s: b_k=1}(−|z−s|²/ν_t) − lse_{s: b_k=0}(−|z−s|²/ν_t)
"""
from __future__ import annotations

import torch

#: Added to distances of excluded points; large but finite so ONNX ReduceMin
#: and float32 arithmetic stay well defined.
_EXCLUDE = 1e30

DEMAPPING_METHODS = ("maxlog", "app")


def sq_distances(z_re: torch.Tensor, z_im: torch.Tensor, pts_re: torch.Tensor, pts_im: torch.Tensor) -> torch.Tensor:
    """z: [B, Nt], pts: [M]  ->  |z − s|²: [B, Nt, M]."""
    return (z_re.unsqueeze(-1) - pts_re) ** 2 + (z_im.unsqueeze(-1) - pts_im) ** 2


def gaussian_llr(z_re, z_im, nu, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """LLRs of unbiased estimates z with error variance nu.

    z_re, z_im, nu: [B, Nt]; pts_re, pts_im: [M]; bits: bool[M, K]  ->  llr [B, Nt, K].
    """
    d = sq_distances(z_re, z_im, pts_re, pts_im).unsqueeze(-1)        # [B, Nt, M, 1]
    one = bits.to(d.dtype)                                            # [M, K]
    if method == "maxlog":
        d1 = torch.amin(d + (1.0 - one) * _EXCLUDE, dim=-2)           # [B, Nt, K]
        d0 = torch.amin(d + one * _EXCLUDE, dim=-2)
        return (d0 - d1) / nu.unsqueeze(-1)
    if method == "app":
        m = -d / nu.unsqueeze(-1).unsqueeze(-1)
        l1 = torch.logsumexp(m - (1.0 - one) * _EXCLUDE, dim=-2)
        l0 = torch.logsumexp(m - one * _EXCLUDE, dim=-2)
        return l1 - l0
    raise ValueError(f"demapping: '{method}' is not one of {', '.join(DEMAPPING_METHODS)}")


def symbols_from_llr(llr: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Hard decisions: bits = (LLR > 0), mapped MSB first.  llr [B, Nt, K] -> complex [B, Nt]."""
    k = llr.shape[-1]
    weights = 2 ** torch.arange(k - 1, -1, -1, device=llr.device)
    idx = ((llr > 0).long() * weights).sum(-1)
    return points[idx]
