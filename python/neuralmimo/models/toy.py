# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny trainable detector that exercises the trainer (family "toy"; no paper).

Layer 0 is the matched filter with a learned per-stream scale a [Nt] (init 1):

    x̂⁽⁰⁾_t = a_t · h_tᴴ y / (‖h_t‖² + σ²)

and each further layer l = 1..L−1 adds a learned scalar multiple w_l (init 0,
so a newly grown layer starts as the identity) of the normalised residual:

    x̂⁽ˡ⁾ = x̂⁽ˡ⁻¹⁾ + w_l · Hᴴ(y − H x̂⁽ˡ⁻¹⁾) / (‖h_t‖² + σ²)

i.e. a Jacobi-like iteration with learned steps, so more layers help and
layer-wise growth has something to learn. With "llr" in ``outputs``, LLRs come
from Gaussian demapping of x̂ with error variance
ν_t = e^g σ²/(‖h_t‖² + σ²) + e^f (two learned scalars, parameter group
"demapper"), divided by the setting ``llr_temperature`` (default 1).

forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B])
  -> (estimate float32[B,Nt,2],)  or  (llr float32[B,Nt,K], estimate float32[B,Nt,2])
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..phy.demap import NOISE_VAR_FLOOR, check_demapping, gaussian_llr
from .base import TrainableDetector

_OUTPUT_FORMS = (("estimate",), ("llr", "estimate"))


class _ScaleLayer(nn.Module):
    def __init__(self, nt: int):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(nt))


class _StepLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.step = nn.Parameter(torch.zeros(()))


class ToyNet(TrainableDetector):
    """Scaled matched filter + learned residual corrections (see module docstring)."""

    family = "toy"
    paper = "none (test model of the shared trainer)"
    parameter_groups = ("all", "last", "demapper")
    settable = ("llr_temperature",)

    def __init__(self, nt: int, nr: int, constellation: str, n_layers: int = 3,
                 outputs=("llr", "estimate"), demapping: str = "maxlog"):
        super().__init__(nt, nr, constellation)
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ValueError(f"n_layers: {n_layers!r} is not a positive integer")
        outs = tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)
        if outs not in _OUTPUT_FORMS:
            raise ValueError(f"outputs: {list(outs)!r} is not one of {[list(o) for o in _OUTPUT_FORMS]}")
        self.n_layers = n_layers
        self.outputs = outs
        self.demapping = check_demapping(demapping)
        self.llr_temperature = 1.0
        self.layers = nn.ModuleList([_ScaleLayer(nt)] + [_StepLayer() for _ in range(n_layers - 1)])
        self.log_noise_gain = nn.Parameter(torch.zeros(()))
        self.log_floor = nn.Parameter(torch.full((), math.log(1e-2)))
        self.register_constellation_buffers()

    def config(self) -> dict:
        return {**super().config(), "n_layers": self.n_layers, "outputs": list(self.outputs),
                "demapping": self.demapping}

    def parameter_group(self, name: str) -> list:
        if name == "demapper":
            return [self.log_noise_gain, self.log_floor]
        return super().parameter_group(name)

    def apply_settings(self, **settings) -> None:
        t = settings.get("llr_temperature", 1.0)
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0:
            raise ValueError(f"settings: llr_temperature={t!r} is not a number > 0")
        super().apply_settings(**settings)

    def manifest_extra(self) -> dict:
        return {"n_layers": self.n_layers}

    def _estimate(self, y, h, noise_var):
        """-> (x_re, x_im, den) each [B, Nt]; den = ‖h_t‖² + σ²."""
        hr, hi = h[..., 0], h[..., 1]                                  # [B, Nr, Nt]
        hrt, hit = hr.transpose(1, 2), hi.transpose(1, 2)              # [B, Nt, Nr]

        def h_herm(vr, vi):                                            # Hᴴ v, v [B, Nr] -> [B, Nt] x2
            vr, vi = vr.unsqueeze(-1), vi.unsqueeze(-1)
            return (hrt @ vr + hit @ vi).squeeze(-1), (hrt @ vi - hit @ vr).squeeze(-1)

        def h_times(xr, xi):                                           # H x, x [B, Nt] -> [B, Nr] x2
            xr, xi = xr.unsqueeze(-1), xi.unsqueeze(-1)
            return (hr @ xr - hi @ xi).squeeze(-1), (hr @ xi + hi @ xr).squeeze(-1)

        yr, yi = y[..., 0], y[..., 1]
        nv = noise_var.clamp_min(NOISE_VAR_FLOOR).unsqueeze(-1)         # [B, 1]
        den = (hr * hr + hi * hi).sum(1) + nv                           # [B, Nt]
        zr, zi = h_herm(yr, yi)
        a = self.layers[0].scale
        xr, xi = a * zr / den, a * zi / den
        for layer in self.layers[1:self.active_layers]:
            rr, ri = h_times(xr, xi)
            gr, gi = h_herm(yr - rr, yi - ri)
            xr = xr + layer.step * gr / den
            xi = xi + layer.step * gi / den
        return xr, xi, den, nv

    def forward(self, y, h, noise_var):
        xr, xi, den, nv = self._estimate(y, h, noise_var)
        estimate = torch.stack([xr, xi], dim=-1)
        if self.outputs == ("estimate",):
            return (estimate,)
        nu = torch.exp(self.log_noise_gain) * nv / den + torch.exp(self.log_floor)
        llr = gaussian_llr(xr, xi, nu, self.pts_re, self.pts_im, self.bits, self.demapping)
        return llr / self.llr_temperature, estimate
