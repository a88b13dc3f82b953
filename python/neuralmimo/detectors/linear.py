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

from ..phy.demap import BIAS_FLOOR, NOISE_VAR_FLOOR, real_dims_llr, symbols_from_llr
from .base import Detector, DetectorOutput, constellation_tensors
from .conditioning import checked_inverse


class _LinearDetector(Detector):
    """Shared part of ZF and LMMSE: x̂ = G Hᴴ y, bias-corrected Gaussian LLRs of z = x̂/μ
    (docs/conventions.md, "Bias-corrected Gaussian LLRs of linear detectors")."""

    #: G is the biased LMMSE filter (True) or the unbiased ZF one (False); see phy.demap.linear_llr.
    biased = True

    def __init__(self, constellation=None, demapping: str = "maxlog"):
        super().__init__(constellation, demapping)

    def _filter(self, h, nv):
        """-> G complex[B, Nt, Nt]."""
        raise NotImplementedError

    def _detect(self, y, h, nv):
        g = self._filter(h, nv)
        xhat = (g @ (h.mH @ y.unsqueeze(-1))).squeeze(-1)
        return self.linear_output(xhat, torch.diagonal(g, dim1=-2, dim2=-1).real, nv, self.biased)


class ZeroForcing(_LinearDetector):
    """Zero forcing: x̂ = (HᴴH)⁻¹Hᴴy, unbiased, error variance ν_t = σ² [(HᴴH)⁻¹]_tt.

    constellation: name or Constellation (required); demapping: "maxlog" (default) or "app".
    Needs Nr >= Nt (ValueError otherwise); an item whose H is rank-deficient to working precision
    is erased (conditioning.py). estimate = x̂.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "zf"
    allows_more_streams_than_antennas = False
    biased = False

    def _filter(self, h, nv):
        return checked_inverse(h.mH @ h)


class Lmmse(_LinearDetector):
    """Linear MMSE: x̂ = (HᴴH + σ²I)⁻¹Hᴴy (the biased MMSE estimate, returned as estimate);
    LLRs of the unbiased z_t = x̂_t/μ_t, μ_t = 1 − σ²G_tt, with variance ν_t = σ²G_tt/μ_t.

    constellation: name or Constellation (required); demapping: "maxlog" (default, the C++
    lmmse_detector's) or "app". Any Nr, Nt; with σ² (floored at NOISE_VAR_FLOOR) too small to
    regularise a rank-deficient H in the working precision, the item is erased (conditioning.py).
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "lmmse"

    def _filter(self, h, nv):
        nt = h.shape[-1]
        eye = torch.eye(nt, dtype=h.dtype, device=h.device)
        a = h.mH @ h + nv.to(h.dtype)[:, None, None] * eye
        return checked_inverse(a)


class WidelyLinearLmmse(Detector):
    """Widely-linear (real-valued) LMMSE: the LMMSE estimate on the real-valued system with the
    constellation's per-real-dimension symbol variances c = (E[Re x²], E[Im x²]).

    With D = diag(√c): x̂_r = D (D H_rᵀ H_r D + σ²/2 I)⁻¹ D H_rᵀ y_r; per-dimension MSE
    e_i = (σ²/2) c_i [(·)⁻¹]_ii, bias μ_i = 1 − e_i/c_i, unbiased z_i = x̂_i/μ_i with error variance
    v_i = e_i/μ_i; LLR metric Σ_i (z_i − s_i)²/(2 v_i) over the dimensions that carry symbols.
    For proper constellations (QAM ≥ 4) this is exactly the complex LMMSE; for BPSK (improper) it
    uses that Im x = 0 and gains up to 3 dB.

    constellation: name or Constellation (required); demapping: "maxlog" (default) or "app".
    estimate = the biased x̂ as a complex vector.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "wl-lmmse"

    def __init__(self, constellation=None, demapping: str = "maxlog"):
        super().__init__(constellation, demapping)

    def _detect(self, y, h, nv):
        from ..phy.realvalued import real_system

        nt = h.shape[-1]
        rdt = nv.dtype
        y_r, h_r = real_system(torch.view_as_real(y), torch.view_as_real(h))      # [B,2Nr], [B,2Nr,2Nt]
        pts, bits = constellation_tensors(self.constellation, rdt, nv.device)
        c = torch.cat([(pts.real ** 2).mean().expand(nt), (pts.imag ** 2).mean().expand(nt)]).to(rdt)
        d = c.sqrt()
        hd = h_r * d
        eye = torch.eye(2 * nt, dtype=rdt, device=nv.device)
        a = hd.transpose(-1, -2) @ hd + (nv / 2)[:, None, None] * eye
        g = checked_inverse(a)
        xhat = d * (g @ (hd.transpose(-1, -2) @ y_r.unsqueeze(-1))).squeeze(-1)        # [B, 2Nt]
        e = (nv / 2).unsqueeze(-1) * c * torch.diagonal(g, dim1=-2, dim2=-1)
        used = c > 0
        mu = torch.where(used, 1.0 - e / torch.where(used, c, 1.0), torch.ones_like(e)).clamp_min(BIAS_FLOOR)
        v = (e / mu).clamp_min(NOISE_VAR_FLOOR / 2)
        llr = real_dims_llr(xhat, mu, v, c, pts.real, pts.imag, bits, self.demapping)
        estimate = torch.complex(xhat[:, :nt], xhat[:, nt:])
        return DetectorOutput(symbols=symbols_from_llr(llr, pts), llr=llr, estimate=estimate)
