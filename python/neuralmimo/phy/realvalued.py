# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real-valued equivalent system, written once (docs/conventions.md, same section name).

[Re y; Im y] = [[Re H, −Im H]; [Im H, Re H]] [Re x; Im x] + n_r,
with noise variance σ²/2 per real dimension. Works on (re, im) pairs so that
exported ONNX graphs never see a complex tensor.
"""
from __future__ import annotations


def real_channel(h_ri):
    """h_ri: [B, Nr, Nt, 2] (torch)  ->  H_r [B, 2Nr, 2Nt]."""
    import torch

    hr, hi = h_ri[..., 0], h_ri[..., 1]
    top = torch.cat([hr, -hi], dim=-1)
    bottom = torch.cat([hi, hr], dim=-1)
    return torch.cat([top, bottom], dim=-2)


def real_system(y_ri, h_ri):
    """y_ri: [B, Nr, 2], h_ri: [B, Nr, Nt, 2] (torch)  ->  (y_r [B, 2Nr], H_r [B, 2Nr, 2Nt])."""
    import torch

    return torch.cat([y_ri[..., 0], y_ri[..., 1]], dim=-1), real_channel(h_ri)


def apply_real_filter(w, y_ri):
    """A linear filter on the real-valued system: w [B, n, 2Nr] (a per-channel W = M H_rᵀ),
    y_ri [B, Nr, 2] -> w [Re y; Im y]: [B, n] (torch). The observation stage of a split linear detector."""
    import torch

    y_real = torch.cat([y_ri[..., 0], y_ri[..., 1]], dim=-1)
    return (w @ y_real.unsqueeze(-1)).squeeze(-1)
