# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conjugate-gradient detection on the LMMSE normal equations (HᴴH + σ²I) x = Hᴴ y.

form="complex" iterates on the Nt-dimensional complex system (exact after Nt
iterations in exact arithmetic); form="real" on the 2Nt-dimensional real-valued
system (H_rᵀH_r + σ²I) x_r = H_rᵀ y_r (exact after 2Nt), which is what LcgNet
unfolds. iterations=None runs to that exact count.

LLRs: Gaussian demapping of the bias-corrected estimate. The post-detection
variance needs diag((HᴴH + σ²I)⁻¹): llr_variance="exact" computes it (the
LMMSE value, O(Nt³) per item); "diag" approximates G_tt ≈ 1/A_tt, which gives
μ_t = ‖h_t‖²/A_tt and ν_t = σ²/‖h_t‖² (interference ignored, so over-confident
LLRs; cheap, and accurate when HᴴH is diagonally dominant, e.g. Nr ≫ Nt).
"""
from __future__ import annotations

import torch

from ..phy.realvalued import real_system
from .base import Detector
from .conditioning import checked_inverse


def conjugate_gradient(a: torch.Tensor, b: torch.Tensor, iterations: int) -> torch.Tensor:
    """Batched CG for Hermitian PD a [B, n, n], b [B, n], from x0 = 0, a fixed number of iterations."""
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rr = (r.conj() * r).real.sum(-1)
    tiny = torch.finfo(rr.dtype).tiny
    for _ in range(iterations):
        ap = (a @ p.unsqueeze(-1)).squeeze(-1)
        pap = (p.conj() * ap).real.sum(-1)
        alpha = torch.where(pap > tiny, rr / pap.clamp_min(tiny), torch.zeros_like(rr)).to(b.dtype)
        x = x + alpha.unsqueeze(-1) * p
        r = r - alpha.unsqueeze(-1) * ap
        rr_new = (r.conj() * r).real.sum(-1)
        beta = torch.where(rr > tiny, rr_new / rr.clamp_min(tiny), torch.zeros_like(rr)).to(b.dtype)
        p = r + beta.unsqueeze(-1) * p
        rr = rr_new
    return x


class ConjugateGradient(Detector):
    """Conjugate gradient on the LMMSE normal equations (HᴴH + σ²I) x = Hᴴy; see the module docstring.

    constellation: name or Constellation (required); iterations: CG iterations (>= 1; None =
    Nt for form="complex", 2Nt for form="real", where CG is exact); form: "complex" (default)
    or "real" (the real-valued system LcgNet unfolds, its Algorithm 1);
    llr_variance: "exact" (the LMMSE post-detection variance) or "diag" (1/A_tt, cheaper,
    over-confident); demapping: "maxlog" (default) or "app". estimate = the CG iterate x̂.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "cg"

    def __init__(self, constellation=None, iterations: int | None = None, form: str = "complex",
                 llr_variance: str = "exact", demapping: str = "maxlog"):
        super().__init__(constellation, demapping)
        if iterations is not None and int(iterations) < 1:
            raise ValueError(f"iterations: must be >= 1, got {iterations}")
        if form not in ("complex", "real"):
            raise ValueError(f"form: '{form}' is not one of complex, real")
        if llr_variance not in ("exact", "diag"):
            raise ValueError(f"llr_variance: '{llr_variance}' is not one of exact, diag")
        self.iterations = None if iterations is None else int(iterations)
        self.form, self.llr_variance = form, llr_variance

    def _detect(self, y, h, nv):
        nt = h.shape[-1]
        eye = torch.eye(nt, dtype=h.dtype, device=h.device)
        a = h.mH @ h + nv.to(h.dtype)[:, None, None] * eye
        if self.form == "complex":
            xhat = conjugate_gradient(a, (h.mH @ y.unsqueeze(-1)).squeeze(-1), self.iterations or nt)
        else:
            y_r, h_r = real_system(torch.view_as_real(y), torch.view_as_real(h))
            eye_r = torch.eye(2 * nt, dtype=nv.dtype, device=nv.device)
            a_r = h_r.transpose(-1, -2) @ h_r + nv[:, None, None] * eye_r
            x_r = conjugate_gradient(a_r, (h_r.transpose(-1, -2) @ y_r.unsqueeze(-1)).squeeze(-1),
                                     self.iterations or 2 * nt)
            xhat = torch.complex(x_r[:, :nt], x_r[:, nt:])
        if self.llr_variance == "exact":
            g_diag = torch.diagonal(checked_inverse(a), dim1=-2, dim2=-1).real
        else:
            g_diag = 1.0 / torch.diagonal(a, dim1=-2, dim2=-1).real
        return self.linear_output(xhat, g_diag, nv)
