# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""OAMPNet and OAMPNet-2: OAMP unfolded with learned scalars per layer (He, Wen, Jin, Li, "Model-driven
deep learning for MIMO detection", IEEE TSP 2020; the RE-MIMO paper's baselines, its Section V).

Layer t, on the OAMP iteration of detectors/amp.py (posterior-mean denoiser), with x̂_0 = 0:

    v_t²  = max((‖y − H x̂_t‖² − Nr σ²) / tr(HᴴH), ε)
    W_t   = Nt Ŵ_t / tr(Ŵ_t H),  Ŵ_t = (HᴴH + (σ²/v_t²) I)⁻¹ Hᴴ        (de-correlated LMMSE)
    r_t   = x̂_t + γ_t W_t (y − H x̂_t)
    τ_t²  = (tr(C_t C_tᴴ) v_t² + θ_t² tr(W_t W_tᴴ) σ²) / Nt,   C_t = I − θ_t W_t H
    x̂_{t+1} = E[x | r_t, τ_t²]                                  OAMPNet   (γ_t, θ_t)
    x̂_{t+1} = φ_t (E[x | r_t, τ_t²] − ξ_t r_t)                   OAMPNet-2 (γ_t, θ_t, φ_t, ξ_t)

Ŵ_t is the push-through form of v² Hᴴ(v² HHᴴ + σ² I)⁻¹: an Nt-sized inverse instead of an Nr-sized
one. With γ = θ = φ = 1 and ξ = 0 the network is the OAMP detector with the posterior-mean denoiser
(a test checks it). Everything runs on the real-valued system, in two computations of the same
layer (a test checks they agree to float32 rounding):

* training and evaluation: one eigendecomposition HᵀH = U Λ Uᵀ (torch.linalg.eigh) per forward,
  shared by the layers, which differ only in λ_t = σ²/v_t². Then with d = Λ/(Λ + λ_t) and
  k = 2Nt/Σd: W_t e = k U (Λ + λ_t)⁻¹ Uᵀ Hᵀ e, tr(C_t C_tᵀ) = Σ (1 − θ_t k d)², tr(W_t W_tᵀ) =
  k² Σ Λ/(Λ + λ_t)²: O(Nt²) per vector and layer, and no gradient through a factorisation (H is
  data; only λ_t depends on the scalars).
* export mode (and whenever torch is exporting a graph): ONNX has no eigh, Cholesky, solve or
  inverse op, so (HᵀH + λ_t I)⁻¹ is the unrolled sweep of models/linalg.py, once per layer;
  its graph grows with 2Nt (a Python-level loop), which makes it slow to train with and to
  export at 2Nt = 64.

The outputs are the posterior of the last layer: estimate E[x | r_T] and exact LLRs.
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.demap import NOISE_VAR_FLOOR, bit_llr
from ..phy.realvalued import real_system
from .base import TrainableDetector
from .linalg import spd_inverse_sweep

VARIANTS = ("1", "2")
#: Floor ε of v² and τ² (as detectors/amp.py).
VARIANCE_FLOOR = 1e-10


class _Layer(nn.Module):
    def __init__(self, variant: str):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(()))
        self.theta = nn.Parameter(torch.ones(()))
        if variant == "2":
            self.phi = nn.Parameter(torch.ones(()))
            self.xi = nn.Parameter(torch.zeros(()))


class OampNet(TrainableDetector):
    """forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B])
    -> (llr float32[B,Nt,K], estimate float32[B,Nt,2])."""

    family = "oampnet"
    paper = "remimo"
    outputs = ("llr", "estimate")

    def __init__(self, nt: int, nr: int, constellation: str, layers: int = 10, variant: str = "2"):
        super().__init__(nt, nr, constellation)
        if variant not in VARIANTS:
            raise ValueError(f"variant: {variant!r} is not one of {', '.join(VARIANTS)} "
                             "(OAMPNet: 2 scalars per layer, OAMPNet-2: 4)")
        if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
            raise ValueError(f"layers: {layers!r} is not a positive integer")
        self.variant = variant
        self.n_layers = layers
        self.layers = nn.ModuleList([_Layer(variant) for _ in range(layers)])
        self.register_constellation_buffers()
        self._unrolled = False

    def export_mode(self, on: bool = True) -> "OampNet":
        """Use the unrolled inverse (what the exported graph contains) instead of torch.linalg."""
        self._unrolled = bool(on)
        return self

    def _exporting(self) -> bool:
        # export_detector may be given a module outside export mode (the family form of cli.export)
        return self._unrolled or torch.compiler.is_exporting() or torch.onnx.is_in_onnx_export()

    def config(self) -> dict:
        return {**super().config(), "layers": self.n_layers, "variant": self.variant}

    def manifest_extra(self) -> dict:
        with torch.no_grad():
            return {"variant": "OAMPNet" if self.variant == "1" else "OAMPNet-2",
                    "scalars": {name: [float(getattr(l, name)) for l in self.layers]
                                for name in ("gamma", "theta", "phi", "xi") if hasattr(self.layers[0], name)}}

    def _posterior(self, r, tau2):
        """r [B, n] real-valued (re parts, then im parts), tau2 [B] complex-dimension variance ->
        (mean [B, n], metric [B, Nt, M]): the posterior of x given r = x + CN(0, τ²)."""
        nt = self.nt
        d = (r[:, :nt].unsqueeze(-1) - self.pts_re) ** 2 + (r[:, nt:].unsqueeze(-1) - self.pts_im) ** 2
        metric = d / tau2.reshape(-1, 1, 1)                                   # −log p(s | r) + const
        p = torch.softmax(-metric, dim=-1)
        return torch.cat([p @ self.pts_re, p @ self.pts_im], dim=-1), metric

    @staticmethod
    def _eigh_system(h_r, ht):
        """The factorisation the layers share: (Λ [B, n], U [B, n, n]) of HᵀH, and Uᵀ Hᵀ."""
        lam, u = torch.linalg.eigh(ht @ h_r)
        return lam.clamp_min(0.0), u, u.transpose(1, 2)

    @staticmethod
    def _eigh_terms(system, ht, res, lam_reg, theta):
        """Layer terms from the eigendecomposition: (W res [B, n], tr(C Cᵀ) [B], tr(W Wᵀ) [B])
        of the real-valued system, λ_t = lam_reg [B] (module docstring)."""
        lam, u, ut = system
        n = lam.shape[-1]
        inv = 1.0 / (lam + lam_reg.unsqueeze(-1))                             # (Λ + λ_t)⁻¹
        d = lam * inv
        k = (n / d.sum(-1)).unsqueeze(-1)
        hres = (ht @ res.unsqueeze(-1))                                       # Hᵀ res [B, n, 1]
        w_res = k * (u @ (inv.unsqueeze(-1) * (ut @ hres))).squeeze(-1)
        tr_cc = ((1.0 - theta * k * d) ** 2).sum(-1)
        tr_ww = (k * k * lam * inv * inv).sum(-1)
        return w_res, tr_cc, tr_ww

    @staticmethod
    def _unrolled_terms(h_r, ht, gram, eye, res, lam_reg, theta):
        """The same terms with Ŵ = (HᵀH + λ_t I)⁻¹ Hᵀ by the unrolled sweep (exportable)."""
        n = gram.shape[-1]
        w_hat = spd_inverse_sweep(gram + lam_reg.reshape(-1, 1, 1) * eye) @ ht     # [B, n, 2Nr]
        # tr(Ŵ_r H_r) = 2 tr(ŴH) and W_r = 2Nt·Ŵ_r / tr(Ŵ_r H_r) is the real form of W = Nt Ŵ/tr(ŴH)
        w = (n / (w_hat @ h_r).diagonal(dim1=-2, dim2=-1).sum(-1)).reshape(-1, 1, 1) * w_hat
        c = eye - theta * (w @ h_r)
        return (w @ res.unsqueeze(-1)).squeeze(-1), (c * c).sum((1, 2)), (w * w).sum((1, 2))

    def forward(self, y, h, noise_var):
        nt, nr = self.nt, self.nr
        y_r, h_r = real_system(y, h)                                          # [B,2Nr], [B,2Nr,2Nt]
        ht = h_r.transpose(1, 2)
        n = h_r.shape[-1]
        tr_hh = (h * h).sum((1, 2, 3)).clamp_min(1e-30)                       # tr(HᴴH)
        sig2 = noise_var.clamp_min(NOISE_VAR_FLOOR)
        if self._exporting():
            gram = ht @ h_r
            eye = torch.eye(n, dtype=gram.dtype, device=gram.device)
            terms = lambda res, lam_reg, theta: self._unrolled_terms(h_r, ht, gram, eye, res, lam_reg, theta)
        else:
            system = self._eigh_system(h_r, ht)
            terms = lambda res, lam_reg, theta: self._eigh_terms(system, ht, res, lam_reg, theta)
        x = torch.zeros_like(y_r[:, :n])
        metric = None
        for t in range(self.active_layers):
            layer = self.layers[t]
            res = y_r - (h_r @ x.unsqueeze(-1)).squeeze(-1)
            v2 = (((res * res).sum(-1) - nr * sig2) / tr_hh).clamp_min(VARIANCE_FLOOR)
            w_res, tr_cc, tr_ww = terms(res, sig2 / v2, layer.theta)
            r = x + layer.gamma * w_res
            # complex traces are half the real-valued ones
            tau2 = ((tr_cc / 2 * v2 + layer.theta ** 2 * tr_ww / 2 * sig2) / nt).clamp_min(VARIANCE_FLOOR)
            mean, metric = self._posterior(r, tau2)
            x = layer.phi * (mean - layer.xi * r) if self.variant == "2" else mean
            if t == self.active_layers - 1:
                x = mean                                                       # the output is the posterior
        llr = bit_llr(metric.unsqueeze(-1), self.bits.to(metric.dtype), -2, "app")
        return llr, torch.stack([x[:, :nt], x[:, nt:]], dim=-1)


__all__ = ["OampNet", "VARIANTS"]
