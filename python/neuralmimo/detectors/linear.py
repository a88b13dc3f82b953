# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linear detectors: ZF and LMMSE (unit-energy symbols, y = Hx + n, n ~ CN(0, σ²I)).

LMMSE: G = (HᴴH + σ²I)⁻¹, x̂ = G Hᴴ y (the biased MMSE estimate, `estimate`);
       μ_t = 1 − σ² G_tt, z_t = x̂_t / μ_t (unbiased), ν_t = σ² G_tt / μ_t.
ZF:    G = (HᴴH)⁻¹, z = x̂ = G Hᴴ y, ν_t = σ² G_tt.
LLRs by Gaussian demapping of z with variance ν (max-log by default, as the
C++ block; demapping="app" for log-sum-exp); symbols from the LLR signs, which
equal the nearest point to z for the Gray square constellations.
"""
from __future__ import annotations

import torch

from .base import NOISE_VAR_FLOOR, Detector, DetectorOutput, constellation_tensors
from .demap import DEMAPPING_METHODS, gaussian_llr, symbols_from_llr


class _LinearDetector(Detector):
    def __init__(self, constellation=None, demapping: str = "maxlog"):
        super().__init__(constellation)
        if demapping not in DEMAPPING_METHODS:
            raise ValueError(f"demapping: '{demapping}' is not one of {', '.join(DEMAPPING_METHODS)}")
        self.demapping = demapping

    def _filter(self, h, nv):
        """-> (G [B,Nt,Nt], bias μ [B,Nt] real)."""
        raise NotImplementedError

    def _detect(self, y, h, nv):
        hh = h.mH
        g, mu = self._filter(h, nv)
        xhat = (g @ (hh @ y.unsqueeze(-1))).squeeze(-1)
        g_diag = torch.diagonal(g, dim1=-2, dim2=-1).real
        nu = (nv.unsqueeze(-1) * g_diag / mu).clamp_min(NOISE_VAR_FLOOR)
        z = xhat / mu
        pts, bits = constellation_tensors(self.constellation, nv.dtype, nv.device)
        llr = gaussian_llr(z.real, z.imag, nu, pts.real, pts.imag, bits, self.demapping)
        return DetectorOutput(symbols=symbols_from_llr(llr, pts), llr=llr, estimate=xhat)


class ZeroForcing(_LinearDetector):
    name = "zf"
    allows_more_streams_than_antennas = False

    def _filter(self, h, nv):
        gram = h.mH @ h
        g, info = torch.linalg.inv_ex(gram)
        if (info != 0).any():
            raise ValueError(f"H: HᴴH is singular for {int((info != 0).sum())} item(s); ZF needs full column rank")
        return g, torch.ones(g.shape[:-1], dtype=nv.dtype, device=nv.device)


class Lmmse(_LinearDetector):
    name = "lmmse"

    def _filter(self, h, nv):
        nt = h.shape[-1]
        eye = torch.eye(nt, dtype=h.dtype, device=h.device)
        a = h.mH @ h + nv.to(h.dtype)[:, None, None] * eye
        g, info = torch.linalg.inv_ex(a)
        if (info != 0).any():
            raise ValueError("H: HᴴH + σ²I is singular (noise_var = 0 with a rank-deficient H)")
        mu = 1.0 - nv.unsqueeze(-1) * torch.diagonal(g, dim1=-2, dim2=-1).real
        # μ → 0 only when a stream is buried in noise; keep the division finite.
        return g, mu.clamp_min(1e-12)
