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


def gaussian_llr(z_re, z_im, nu, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """LLRs of unbiased estimates z with circular error variance nu.

    z_re, z_im, nu: [B, Nt]; pts_re, pts_im: [M]; bits: bool[M, K]  ->  llr [B, Nt, K].
    """
    w = 1.0 / nu
    return weighted_llr(z_re, z_im, w, w, pts_re, pts_im, bits, method)


def weighted_llr(z_re, z_im, w_re, w_im, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """LLRs with separate weights per real dimension: metric(s) = w_re (z_re − s_re)² + w_im (z_im − s_im)².

    For a circular error of variance ν, w_re = w_im = 1/ν; for an improper error with per-dimension
    variances v_re, v_im, w = 1/(2v); a dimension that carries no information has weight 0.
    Shapes: z_*, w_*: [B, Nt]; pts_*: [M]; bits: bool[M, K]  ->  llr [B, Nt, K].
    """
    d = (w_re.unsqueeze(-1) * (z_re.unsqueeze(-1) - pts_re) ** 2
         + w_im.unsqueeze(-1) * (z_im.unsqueeze(-1) - pts_im) ** 2).unsqueeze(-1)   # [B, Nt, M, 1]
    one = bits.to(d.dtype)                                                       # [M, K]
    if method == "maxlog":
        d1 = torch.amin(d + (1.0 - one) * _EXCLUDE, dim=-2)                      # [B, Nt, K]
        d0 = torch.amin(d + one * _EXCLUDE, dim=-2)
        return d0 - d1
    if method == "app":
        l1 = torch.logsumexp(-d - (1.0 - one) * _EXCLUDE, dim=-2)
        l0 = torch.logsumexp(-d - one * _EXCLUDE, dim=-2)
        return l1 - l0
    raise ValueError(f"demapping: '{method}' is not one of {', '.join(DEMAPPING_METHODS)}")


def symbols_from_llr(llr: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Hard decisions: bits = (LLR > 0), mapped MSB first.  llr [B, Nt, K] -> complex [B, Nt]."""
    k = llr.shape[-1]
    weights = 2 ** torch.arange(k - 1, -1, -1, device=llr.device)
    idx = ((llr > 0).long() * weights).sum(-1)
    return points[idx]
