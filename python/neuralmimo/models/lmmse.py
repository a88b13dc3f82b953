# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LMMSE as an exportable torch module on the ONNX contract (docs/conventions.md).

Same mathematics as detectors.linear.Lmmse, on the real-valued equivalent
system: with unit-energy symbols (1/2 per real dimension) and σ²/2 noise per
real dimension, x̂_r = (H_rᵀH_r + σ²I)⁻¹ H_rᵀ y_r equals the complex LMMSE, and
G_r = (H_rᵀH_r + σ²I)⁻¹ has G_r[t, t] = Re G[t, t] for t < Nt. Items singular to working
precision are erased as there (detectors/conditioning.py).

Split (export/split.py): the channel stage forms the filter W = G_r H_rᵀ [2Nt, 2Nr] and the
demapper's μ, ν per stream once per (H, σ²); the observation stage is x̂ = W y_r and the LLRs.
"""
from __future__ import annotations

import torch

from ..detectors.conditioning import erase_singular, singular_items
from ..phy.demap import check_demapping, gaussian_llr, linear_bias_variance, linear_llr
from ..phy.realvalued import apply_real_filter, real_channel, real_system
from .base import ExportableDetector
from .linalg import spd_inverse


class LmmseNet(ExportableDetector):
    """forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B])
    -> (llr float32[B,Nt,K], estimate float32[B,Nt,2])."""

    family = "lmmse"
    paper = "classical"
    outputs = ("llr", "estimate")

    def __init__(self, nt: int, nr: int, constellation: str, demapping: str = "maxlog"):
        super().__init__(nt, nr, constellation)
        self.demapping = check_demapping(demapping)
        self.register_constellation_buffers()

    def config(self) -> dict:
        return {**super().config(), "demapping": self.demapping}

    split_state = (("w", "[B, 2Nt, 2Nr]"), ("mu", "[B, Nt]"), ("nu", "[B, Nt]"))

    def _inverse(self, h_r, noise_var):
        eye = torch.eye(2 * self.nt, dtype=h_r.dtype, device=h_r.device)
        a = h_r.transpose(-1, -2) @ h_r + noise_var[:, None, None] * eye
        # As detectors.linear.Lmmse: an item singular to working precision (rank-deficient H with
        # a σ² lost in rounding) has no answer; NaN here, erased by the exported ContractOutputs.
        g = spd_inverse(a)
        return erase_singular(g, singular_items(a, g))

    def channel_stage(self, h, noise_var):
        """h [B, Nr, Nt, 2], noise_var [B] -> (W [B, 2Nt, 2Nr], μ [B, Nt], ν [B, Nt])."""
        h_r = real_channel(h)
        g = self._inverse(h_r, noise_var)
        mu, nu = linear_bias_variance(torch.diagonal(g, dim1=-2, dim2=-1)[:, :self.nt], noise_var)
        return g @ h_r.transpose(-1, -2), mu, nu

    def observation_stage(self, y, w, mu, nu):
        """y [B, Nr, 2] and the state -> (llr [B, Nt, K], estimate [B, Nt, 2])."""
        nt = self.nt
        xhat = apply_real_filter(w, y)
        x_re, x_im = xhat[:, :nt], xhat[:, nt:]
        llr = gaussian_llr(x_re / mu, x_im / mu, nu, self.pts_re, self.pts_im, self.bits, self.demapping)
        return llr, torch.stack([x_re, x_im], dim=-1)

    def forward(self, y, h, noise_var):
        nt = self.nt
        y_r, h_r = real_system(y, h)                                   # [B,2Nr], [B,2Nr,2Nt]
        g = self._inverse(h_r, noise_var)
        xhat = (g @ (h_r.transpose(-1, -2) @ y_r.unsqueeze(-1))).squeeze(-1)   # [B, 2Nt]
        g_diag = torch.diagonal(g, dim1=-2, dim2=-1)[:, :nt]
        x_re, x_im = xhat[:, :nt], xhat[:, nt:]
        llr, _ = linear_llr(x_re, x_im, g_diag, noise_var, self.pts_re, self.pts_im, self.bits, self.demapping)
        return llr, torch.stack([x_re, x_im], dim=-1)
