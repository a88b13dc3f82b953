# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LcgNet: unfolded conjugate gradient with learned step sizes (docs/papers.md, "LcgNet").

Works on the real-valued equivalent system (phy/realvalued.py), for every
constellation: x_r = [Re x; Im x] has n = 2Nt coordinates, A = H_rᵀH_r + σ²I,
b = H_rᵀy_r. One layer i (eqs. 16-17):

    s ← s + α_i ⊙ d;   r ← r − α_i ⊙ (A d);   d ← r + β_i ⊙ d,     s⁽⁰⁾ = 0, r⁽⁰⁾ = d⁽⁰⁾ = b.

LcgNetS learns one scalar α_i, β_i per layer; LcgNetV learns vectors in Rⁿ.
For BPSK the imaginary half of x_r is zero and the vector steps can learn to
suppress it (the paper's steps are in R^{2Nt}, eq. 17; docs/papers.md, "LcgNet").
For QAM the real and imaginary halves are two PAMs with energy 1/2 each.

LLRs (Gaussian approximation, exact for this linear map): s = M b, where M
depends only on A and the steps. Running the same recursion with the n×n
identity as right-hand side gives M; T = M·H_rᵀH_r is the effective gain.
Per real coordinate k: μ_k = T_kk and the error of z_k = s_k/μ_k has variance
ν_k = (Σ_{j≠k} T_kj² e_j + (σ²/2)(T Mᵀ)_kk) / μ_k², e_j the symbol energy of
coordinate j (1/2 for QAM, 1 and 0 for BPSK's real and imaginary halves).
This costs L·n³ per item, which is why forward_train skips it.

QLcgNetV (section IV): the step sizes pass through one shared soft staircase
(TanhSum with learnable Φ = {w1, w2, b1, b2}, eq. 24) whose smoothness σ is
annealed; the exported model uses its σ → ∞ limit, a true staircase with at
most 2l+1 levels. Departure (docs/papers.md, "LcgNet"): each tanh has amplitude
G/2 (the paper's eq. 23 writes G_b/(2l)), so that at σ → ∞ with Φ at its initial
value the soft quantiser equals the uniform hard quantiser (19)-(21) exactly.
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.demap import BIAS_FLOOR, NOISE_VAR_FLOOR, real_dims_llr
from ..phy.realvalued import apply_real_filter, real_channel
from .base import TrainableDetector

VARIANTS = ("S", "V")
QUANTIZERS = (None, "soft", "hard")


def levels_for_bits(bits: int) -> int:
    """l such that the 2l+1 levels of the staircase fit in `bits` bits (3 → 3, 4 → 7)."""
    if int(bits) < 2:
        raise ValueError(f"quant_bits: need at least 2 bits for a symmetric staircase, got {bits}")
    return (2 ** int(bits) - 2) // 2


class SoftStaircase(nn.Module):
    """Q_s(x) = Σ_t (G/2)·w1_t·tanh(σ(w2_t·x + G_b − (t−1)G + b1_t)) + b2_t, t = 1..2l (eq. 24).

    G is the step between levels, G_b = lG − G/2 the outermost threshold; the
    levels of the hard staircase are 0, ±G, …, ±lG.
    """

    def __init__(self, levels: int, step: float):
        super().__init__()
        self.levels = int(levels)
        n = 2 * self.levels
        self.register_buffer("step", torch.tensor(float(step)))
        self.w1 = nn.Parameter(torch.ones(n))
        self.w2 = nn.Parameter(torch.ones(n))
        self.b1 = nn.Parameter(torch.zeros(n))
        self.b2 = nn.Parameter(torch.zeros(n))
        self.sigma = 10.0

    def _offsets(self):
        g = self.step
        gb = self.levels * g - g / 2
        return gb - torch.arange(2 * self.levels, dtype=g.dtype, device=g.device) * g

    def forward(self, x: torch.Tensor, hard: bool = False) -> torch.Tensor:
        arg = self.w2 * x.unsqueeze(-1) + self._offsets() + self.b1
        act = torch.sign(arg) if hard else torch.tanh(self.sigma * arg)
        return (self.step / 2 * self.w1 * act + self.b2).sum(-1)


def hard_staircase(x: torch.Tensor, levels: int, step: float) -> torch.Tensor:
    """Uniform hard quantiser (19)-(21): nearest of 0, ±G, …, ±lG (ties away from zero)."""
    q = torch.floor(torch.abs(x) / step + 0.5).clamp(max=levels)
    return torch.sign(x) * q * step


class LcgNet(TrainableDetector):
    """forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B])
    -> (llr float32[B,Nt,K], estimate float32[B,Nt,2])."""

    family = "lcgnet"
    paper = "lcgnet"
    outputs = ("llr", "estimate")
    parameter_groups = ("all", "last", "quantizer")
    settable = ("quant_sigma", "quantizer", "quant_step")

    def __init__(self, nt: int, nr: int, constellation: str, layers: int = 15, variant: str = "V",
                 quant_bits: int | None = None, quantizer: str | None = None, quant_step: float | None = None):
        if variant not in VARIANTS:
            raise ValueError(f"variant: '{variant}' is not one of {', '.join(VARIANTS)}")
        if int(nt) < 1 or int(nr) < int(nt):
            raise ValueError(f"nt, nr: LcgNet needs 1 <= Nt <= Nr, got Nt={nt}, Nr={nr}")
        if int(layers) < 1:
            raise ValueError(f"layers: must be >= 1, got {layers}")
        if quantizer not in QUANTIZERS:
            raise ValueError(f"quantizer: '{quantizer}' is not one of soft, hard or None")
        if quantizer is not None and quant_bits is None:
            raise ValueError("quant_bits: required when quantizer is set")
        super().__init__(nt, nr, constellation)
        self.variant = variant
        self.n_layers = int(layers)
        width = 2 * self.nt if variant == "V" else 1
        # The paper initialises every step size at zero (Section III-D).
        # One parameter per layer so that layer-by-layer training can freeze earlier layers.
        self.alphas = nn.ParameterList([nn.Parameter(torch.zeros(width)) for _ in range(self.n_layers)])
        self.betas = nn.ParameterList([nn.Parameter(torch.zeros(width)) for _ in range(self.n_layers)])
        self.quant_bits = None if quant_bits is None else int(quant_bits)
        self.quantizer_kind = quantizer
        self.quantizer = None
        if quant_bits is not None:
            levels = levels_for_bits(quant_bits)
            self.quantizer = SoftStaircase(levels, quant_step if quant_step is not None else 1.0)
        self._hard_export = False
        self.register_constellation_buffers()
        # Symbol energy per real coordinate: BPSK is real ±1, QAM splits 1/2 + 1/2.
        e_re, e_im = (1.0, 0.0) if self.constellation.is_real else (0.5, 0.5)
        self.register_buffer("energy", torch.tensor([e_re] * self.nt + [e_im] * self.nt))

    # -- interface -----------------------------------------------------------
    def config(self) -> dict:
        return {**super().config(), "layers": self.n_layers, "variant": self.variant,
                "quant_bits": self.quant_bits, "quantizer": self.quantizer_kind,
                "quant_step": None if self.quantizer is None else float(self.quantizer.step)}

    def layer_parameters(self, index: int) -> list:
        if not 0 <= int(index) < self.n_layers:
            raise ValueError(f"layer index: {index!r} is not in 0..{self.n_layers - 1}")
        return [self.alphas[index], self.betas[index]]

    def parameter_group(self, name: str) -> list:
        """all (steps of the active layers), last (steps of the newest active layer), quantizer (Φ)."""
        if name == "all":
            return [p for i in range(self.active_layers) for p in self.layer_parameters(i)]
        if name == "last":
            return self.layer_parameters(self.active_layers - 1)
        if name == "quantizer":
            if self.quantizer is None:
                raise ValueError("parameter_group: 'quantizer' needs a model built with quant_bits")
            return list(self.quantizer.parameters())
        raise ValueError(f"parameter_group: '{name}' is not one of all, last, quantizer")

    def apply_settings(self, **kw) -> None:
        for key, value in kw.items():
            if key == "quant_sigma":
                if self.quantizer is None:
                    raise ValueError("apply_settings: quant_sigma needs a model built with quant_bits")
                if not float(value) > 0:
                    raise ValueError(f"apply_settings: quant_sigma must be > 0, got {value}")
                self.quantizer.sigma = float(value)
            elif key == "quantizer":
                if value not in QUANTIZERS:
                    raise ValueError(f"apply_settings: quantizer '{value}' is not one of soft, hard, None")
                if value is not None and self.quantizer is None:
                    raise ValueError("apply_settings: quantizer needs a model built with quant_bits")
                self.quantizer_kind = value
            elif key == "quant_step":
                if self.quantizer is None:
                    raise ValueError("apply_settings: quant_step needs a model built with quant_bits")
                if value == "auto":   # top level lG = the largest trained step magnitude
                    with torch.no_grad():
                        a = torch.stack(list(self.alphas)[: self.active_layers])
                        b = torch.stack(list(self.betas)[: self.active_layers])
                    value = quantizer_step_for(a, b, self.quantizer.levels)
                if not float(value) > 0:
                    raise ValueError(f"apply_settings: quant_step must be > 0, got {value}")
                self.quantizer.step.fill_(float(value))
            else:
                raise ValueError(f"apply_settings: unknown setting '{key}' for LcgNet")

    def manifest_extra(self) -> dict:
        return {"steps": self.steps_dict()}

    # -- step sizes ------------------------------------------------------------
    def step_sizes(self, hard: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(α, β) as used in the recursion, [L, n] or [L, 1]: quantised when a quantiser is active.
        hard=True forces the σ → ∞ staircase of the soft quantiser (what export uses)."""
        a, b = torch.stack(list(self.alphas)), torch.stack(list(self.betas))
        kind = self.quantizer_kind
        if kind == "hard":
            lv, g = self.quantizer.levels, float(self.quantizer.step)
            return hard_staircase(a, lv, g), hard_staircase(b, lv, g)
        if kind == "soft":
            use_hard = self._hard_export if hard is None else hard
            return self.quantizer(a, hard=use_hard), self.quantizer(b, hard=use_hard)
        return a, b

    def set_steps(self, alpha, beta) -> None:
        """Load step sizes [L, n] (or [L, 1] for the S variant) from arrays."""
        shape = (self.n_layers, self.alphas[0].shape[0])
        dtype = self.alphas[0].dtype
        a = torch.as_tensor(alpha, dtype=dtype)
        b = torch.as_tensor(beta, dtype=dtype)
        if tuple(a.shape) != shape or tuple(b.shape) != shape:
            raise ValueError(f"set_steps: expected alpha and beta of shape {shape}, "
                             f"got {tuple(a.shape)} and {tuple(b.shape)}")
        if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
            raise ValueError("set_steps: step sizes must be finite")
        with torch.no_grad():
            for i in range(self.n_layers):
                self.alphas[i].copy_(a[i])
                self.betas[i].copy_(b[i])

    def steps_dict(self) -> dict:
        """Step sizes as the C++ cg_detector reads them: [L][2Nt] lists (scalars repeated), the values
        the exported graph uses (quantised when the model is)."""
        with torch.no_grad():
            a, b = self.step_sizes(hard=True)
            n = 2 * self.nt
            a = a[: self.active_layers].expand(-1, n) if a.shape[1] == 1 else a[: self.active_layers]
            b = b[: self.active_layers].expand(-1, n) if b.shape[1] == 1 else b[: self.active_layers]
        q = None
        if self.quantizer_kind is not None:
            values = torch.unique(torch.cat([a.flatten(), b.flatten()]))
            q = {"bits": self.quant_bits, "kind": self.quantizer_kind, "levels": values.tolist()}
        return {"family": self.family, "variant": self.variant, "nt": self.nt, "layers": self.active_layers,
                "alpha": a.double().tolist(), "beta": b.double().tolist(), "quantization": q}

    def step_memory_bits(self, bits_per_value: int = 32) -> int:
        """Memory of the step sizes of the active layers (4·Nt·L values for LcgNetV, Sections V-C/V-D)."""
        per_layer = 2 * (2 * self.nt if self.variant == "V" else 1)
        return per_layer * self.active_layers * int(bits_per_value)

    # -- computation ---------------------------------------------------------
    def _system(self, y, h, noise_var):
        """(A [B,n,n], b [B,n], H_rᵀH_r [B,n,n]) of the real-valued system, built from the complex Gram
        blocks: H_rᵀH_r = [[G_re, −G_im], [G_im, G_re]] with G = HᴴH, which costs half of forming H_r
        (phy/realvalued.py) and multiplying it out."""
        a, gram, (hr, hi) = self._normal_matrix(h, noise_var)
        yr, yi = y[..., 0].unsqueeze(-2).contiguous(), y[..., 1].unsqueeze(-2).contiguous()   # [B,1,Nr]
        # Row-vector products: batched (1×Nr)(Nr×Nt) runs much faster than (Nt×Nr)(Nr×1) on CPU.
        b_re = (yr @ hr + yi @ hi).squeeze(-2)
        b_im = (yi @ hr - yr @ hi).squeeze(-2)
        return a, torch.cat([b_re, b_im], dim=-1), gram

    def _normal_matrix(self, h, noise_var):
        """(A [B,n,n], H_rᵀH_r [B,n,n], (Re H, Im H) contiguous [B,Nr,Nt]) of the real-valued system."""
        # Contiguous parts: batched matmul on the strided (re, im) views copies per batch element.
        hr, hi = h[..., 0].contiguous(), h[..., 1].contiguous()        # [B,Nr,Nt]
        hrt, hit = hr.transpose(-1, -2), hi.transpose(-1, -2)
        g_re = hrt @ hr + hit @ hi
        g_im = hrt @ hi - hit @ hr
        gram = torch.cat([torch.cat([g_re, -g_im], dim=-1), torch.cat([g_im, g_re], dim=-1)], dim=-2)
        eye = torch.eye(2 * self.nt, dtype=h.dtype, device=h.device)
        return gram + noise_var[:, None, None] * eye, gram, (hr, hi)

    def _recursion(self, a, b, alpha, beta):
        """b: [B, n] or [B, n, m] (m right-hand sides); returns s of the same shape."""
        matrix = b.ndim == 3
        s = torch.zeros_like(b)
        r, d = b, b
        for i in range(self.active_layers):
            al, be = alpha[i], beta[i]
            if matrix:
                al, be = al.unsqueeze(-1), be.unsqueeze(-1)
                ad = a @ d
            else:
                ad = (d.unsqueeze(-2) @ a).squeeze(-2)                 # A symmetric: dᵀA = (Ad)ᵀ
            s = s + al * d
            r = r - al * ad
            d = r + be * d
        return s

    def _estimate(self, s):
        return torch.stack([s[:, : self.nt], s[:, self.nt:]], dim=-1)

    def forward_train(self, y, h, noise_var) -> dict:
        a, b, _ = self._system(y, h, noise_var)
        alpha, beta = self.step_sizes()
        return {"estimate": self._estimate(self._recursion(a, b, alpha, beta))}

    def linear_map(self, a, alpha, beta):
        """M [B, n, n]: the unfolded recursion applied to the identity, so that s = M b."""
        n = 2 * self.nt
        eye = torch.eye(n, dtype=a.dtype, device=a.device).expand(a.shape[0], n, n)
        return self._recursion(a, eye, alpha, beta)

    def post_detection(self, m, gram, noise_var):
        """(μ [B, n], ν [B, n]) of the linear map s = M b (see the module docstring); m: linear_map()."""
        t = m @ gram
        mu = torch.diagonal(t, dim1=-2, dim2=-1)
        interference = (t * t * self.energy).sum(-1) - mu * mu * self.energy
        noise = noise_var.unsqueeze(-1) / 2 * (t * m).sum(-1)
        safe_mu = torch.where(mu.abs() > BIAS_FLOOR, mu, torch.full_like(mu, BIAS_FLOOR))
        nu = ((interference + noise) / (safe_mu * safe_mu)).clamp_min(NOISE_VAR_FLOOR)
        return safe_mu, nu

    def forward(self, y, h, noise_var):
        a, b, gram = self._system(y, h, noise_var)
        alpha, beta = self.step_sizes()
        s = self._recursion(a, b, alpha, beta)
        mu, nu = self.post_detection(self.linear_map(a, alpha, beta), gram, noise_var)
        llr = real_dims_llr(s, mu, nu, self.energy, self.pts_re, self.pts_im, self.bits)
        return llr, self._estimate(s)

    # -- the per-channel / per-observation split (export/split.py) ------------------------------
    # The unfolded recursion is linear in b = H_rᵀ y_r: s = M b with M = linear_map(A), which
    # post_detection reads as well. The channel stage hands on W = M H_rᵀ and the demapper's μ, ν;
    # the observation stage is s = W y_r and the LLRs (the same values up to float rounding).
    split_state = (("w", "[B, 2Nt, 2Nr]"), ("mu", "[B, 2Nt]"), ("nu", "[B, 2Nt]"))

    def channel_stage(self, h, noise_var):
        """h [B, Nr, Nt, 2], noise_var [B] -> (W [B, 2Nt, 2Nr], μ [B, 2Nt], ν [B, 2Nt])."""
        a, gram, _ = self._normal_matrix(h, noise_var)
        m = self.linear_map(a, *self.step_sizes())
        mu, nu = self.post_detection(m, gram, noise_var)
        # H_rᵀ in the layout of b = [Re Hᴴy; Im Hᴴy] over y_r = [Re y; Im y].
        return m @ real_channel(h).transpose(-1, -2), mu, nu

    def observation_stage(self, y, w, mu, nu):
        """y [B, Nr, 2] and the state -> (llr [B, Nt, K], estimate [B, Nt, 2])."""
        s = apply_real_filter(w, y)
        return real_dims_llr(s, mu, nu, self.energy, self.pts_re, self.pts_im, self.bits), self._estimate(s)

    def export_mode(self, on: bool = True) -> "LcgNet":
        """Make step_sizes() use the σ → ∞ staircase (what the exported graph must contain)."""
        self._hard_export = bool(on)
        return self


def quantizer_step_for(alpha: torch.Tensor, beta: torch.Tensor, levels: int) -> float:
    """G such that the top level lG equals the largest trained step magnitude (the paper's G_b comes
    from "prior knowledge obtained by LcgNetV", Section IV-B)."""
    top = float(torch.cat([alpha.detach().abs().flatten(), beta.detach().abs().flatten()]).max())
    return top / levels if top > 0 else 1.0 / max(levels, 1)


__all__ = ["LcgNet", "SoftStaircase", "hard_staircase", "levels_for_bits", "quantizer_step_for"]
