# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""MMNet (Khani, Alizadeh, Hoydis, Fleming, "Adaptive neural signal detection for massive MIMO",
IEEE TWC 2020, the HyperMIMO paper's ref. [8]): the layer every MMNet variant here shares, the
offline-trained family ``mmnet`` and the per-channel (online) trained MMNet.

One layer on a system ys = R x + n (R: [m, n] complex, n ~ CN(0, σ² I)), HyperMIMO eq. (8)-(10):

    res = ys − R x̃                      (x̃: the soft estimate of the previous layer, x̃ = 0 first)
    z   = x̃ + A res
    τ_u = ψ_u/Nu (‖I − A R‖²_F/‖R‖²_F [‖res‖² − m σ²]₊ + ‖A‖²_F σ²)
    x̃_u = Σ_x x exp(−|z_u − x|²/τ_u) / Σ_x exp(−|z_u − x|²/τ_u)

For a given (A, R, ψ, σ²) the bracketed factors are per-channel constants, so the layer is written
as ``mmnet_layer(x, ys, R, A, tau_gain, tau_floor, res_floor)`` with tau_gain = ψ/Nu·‖I − AR‖²/‖R‖²,
tau_floor = ψ/Nu·‖A‖²σ², res_floor = m σ² (``tau_coefficients``): what a per-channel stage computes
once and a per-observation stage (HyperMIMO's split graph, the C++ kernel lib/mmnet_kernel.cc) uses for
every y. The residual dimension m is Nr on the full system and Nu on HyperMIMO's QR-rotated one (its
eq. 9 writes Nr σ² there; reading HA4: Nu σ², the dimension of the residual, as MMNet's own code).

Everything is real-valued: a complex [m, n] matrix is its real form [[Re, −Im], [Im, Re]] (2m × 2n,
phy/realvalued.py), a complex vector [Re; Im]; complex Frobenius norms are half the real-form ones.

Variants:
* ``MmNet`` (family "mmnet"), offline: MMNet-iid of [8], A_t = θ_t Nu Hᴴ/‖H‖²_F with one learned step
  θ_t and ψ_t ∈ R^Nu per layer, trained once on a channel distribution (the drop's).
* ``OnlineMmNet``: [8]'s MMNet trained for one channel realisation, A_t ∈ C^{Nu×Nr} and ψ_t free,
  started at MMNet-iid's A_t (θ = 1) rather than [8]'s random N(0, 0.01) entries so that a few
  hundred Adam steps suffice; C channels train side by side (one batched model, independent
  gradients and Adam moments per channel).
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.demap import NOISE_VAR_FLOOR, bit_llr
from ..phy.realvalued import real_system
from .base import TrainableDetector

#: Floor of τ (as models/oampnet.py and detectors/amp.py).
VARIANCE_FLOOR = 1e-10


def real_form(re: torch.Tensor, im: torch.Tensor) -> torch.Tensor:
    """Complex matrices as (re, im) [..., m, n] -> real form [..., 2m, 2n]."""
    return torch.cat([torch.cat([re, -im], -1), torch.cat([im, re], -1)], -2)


def tau_coefficients(a_r, r_r, psi, noise_var, n: int):
    """Per-channel factors of τ (module docstring) from real forms a_r [..., 2n, 2m], r_r [..., 2m, 2n],
    psi [..., n], noise_var [...]: -> (tau_gain [..., n], tau_floor [..., n])."""
    eye = torch.eye(2 * n, dtype=a_r.dtype, device=a_r.device)
    c = eye - a_r @ r_r
    ratio = (c * c).sum((-2, -1)) / (r_r * r_r).sum((-2, -1)).clamp_min(1e-30)   # real-form ratio = complex
    a_fro = (a_r * a_r).sum((-2, -1)) / 2
    scale = psi / n
    return scale * ratio.unsqueeze(-1), scale * (a_fro * noise_var).unsqueeze(-1)


def mmnet_layer(x, ys, r_r, a_r, tau_gain, tau_floor, res_floor, pts_re, pts_im):
    """One MMNet layer (module docstring), real forms: x [B, 2n], ys [B, 2m], r_r [B, 2m, 2n],
    a_r [B, 2n, 2m], tau_gain/tau_floor [B, n], res_floor [B]  ->  (x̃ [B, 2n], metric [B, n, M]),
    metric = |z_u − x|²/τ_u (the posterior's −log, up to a constant)."""
    n = x.shape[-1] // 2
    # matrix-vector products as broadcast multiply + sum, over the whole batch at once: onnxruntime
    # runs a batched MatMul of small matrices as one GEMM or GEMV call per item
    res = ys - (r_r * x.unsqueeze(-2)).sum(-1)
    e = ((res * res).sum(-1) - res_floor).clamp_min(0.0)
    z = x + (a_r * res.unsqueeze(-2)).sum(-1)
    tau = (tau_gain * e.unsqueeze(-1) + tau_floor).clamp_min(VARIANCE_FLOOR)
    d = (z[:, :n].unsqueeze(-1) - pts_re) ** 2 + (z[:, n:].unsqueeze(-1) - pts_im) ** 2
    metric = d / tau.unsqueeze(-1)
    p = torch.softmax(-metric, dim=-1)
    # (p·points as a sum too: a MatMul of [B, n, M] by [M] is one tiny GEMV per item in onnxruntime)
    return torch.cat([(p * pts_re).sum(-1), (p * pts_im).sum(-1)], dim=-1), metric


def matched_filter(h_r: torch.Tensor, n: int) -> torch.Tensor:
    """MMNet-iid's linear step at θ = 1: Nu Hᴴ/‖H‖²_F in real form, from H_r [..., 2m, 2n]."""
    fro = (h_r * h_r).sum((-2, -1), keepdim=True) / 2
    return n * h_r.transpose(-2, -1) / fro.clamp_min(1e-30)


class MmNet(TrainableDetector):
    """MMNet-iid, offline-trained: forward(y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B])
    -> (llr [B,Nt,K], estimate [B,Nt,2]); the LLRs are the exact ones of the last layer's posterior."""

    family = "mmnet"
    paper = "hypermimo"
    outputs = ("llr", "estimate")

    def __init__(self, nt: int, nr: int, constellation: str, layers: int = 10):
        super().__init__(nt, nr, constellation)
        if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
            raise ValueError(f"layers: {layers!r} is not a positive integer")
        self.n_layers = layers
        self.step = nn.Parameter(torch.ones(layers))             # θ_t
        self.psi = nn.Parameter(torch.ones(layers, nt))         # ψ_t, used as |ψ_t|
        self.register_constellation_buffers()

    def config(self) -> dict:
        return {**super().config(), "layers": self.n_layers}

    def layer_parameters(self, index: int) -> list:
        raise NotImplementedError("mmnet: the per-layer scalars live in two tensors; train 'all'")

    def forward(self, y, h, noise_var):
        n, m = self.nt, self.nr
        y_r, h_r = real_system(y, h)
        sig2 = noise_var.clamp_min(NOISE_VAR_FLOOR)
        mf = matched_filter(h_r, n)
        x = torch.zeros_like(y_r[:, :2 * n])
        res_floor = m * sig2
        metric = None
        for t in range(self.active_layers):
            a_r = self.step[t] * mf
            gain, floor = tau_coefficients(a_r, h_r, self.psi[t].abs(), sig2, n)
            x, metric = mmnet_layer(x, y_r, h_r, a_r, gain, floor, res_floor, self.pts_re, self.pts_im)
        llr = bit_llr(metric.unsqueeze(-1), self.bits.to(metric.dtype), -2, "app")
        return llr, torch.stack([x[:, :n], x[:, n:]], -1)


class OnlineMmNet(nn.Module):
    """[8]'s MMNet for C fixed channels at once, trained on each (``fit``), T layers.

    h: complex [C, Nr, Nu] (the channels), constellation: phy Constellation.
    Parameters a_re, a_im [C, T, Nu, Nr] (A_t), psi [C, T, Nu] (ψ_t, used as |ψ_t|).
    ``detect(y [C, B, Nr] complex, noise_var [C, B])`` -> (estimate complex [C, B, Nu],
    llr [C, B, Nu, K]).
    """

    def __init__(self, h: torch.Tensor, constellation, layers: int = 10):
        super().__init__()
        c, m, n = h.shape
        self.n, self.m, self.layers = n, m, int(layers)
        self.constellation = constellation
        h_r = real_form(h.real.float(), h.imag.float())
        self.register_buffer("h_r", h_r)
        mf = matched_filter(h_r, n)                                          # [C, 2n, 2m]
        init = mf.unsqueeze(1).expand(c, self.layers, 2 * n, 2 * m)
        self.a_re = nn.Parameter(init[..., :n, :m].clone())
        self.a_im = nn.Parameter(init[..., n:, :m].clone())
        self.psi = nn.Parameter(torch.ones(c, self.layers, n))
        pts = torch.as_tensor(constellation.points.copy())
        self.register_buffer("pts_re", pts.real.float())
        self.register_buffer("pts_im", pts.imag.float())
        self.register_buffer("bits", torch.as_tensor(constellation.bits.astype(bool)))

    def _layers(self, y_r, noise_var):
        """y_r [C, B, 2m], noise_var [C, B] -> per-layer estimates [T][C·B, 2n] and the last metric."""
        c, b, _ = y_r.shape
        n = self.n
        h_r = self.h_r.unsqueeze(1).expand(c, b, *self.h_r.shape[1:]).reshape(c * b, *self.h_r.shape[1:])
        ys = y_r.reshape(c * b, -1)
        sig2 = noise_var.reshape(-1).clamp_min(NOISE_VAR_FLOOR)
        x = torch.zeros(c * b, 2 * n, dtype=ys.dtype, device=ys.device)
        out, metric = [], None
        for t in range(self.layers):
            a_r = real_form(self.a_re[:, t], self.a_im[:, t])                # [C, 2n, 2m]
            gain, floor = tau_coefficients(a_r.unsqueeze(1), self.h_r.unsqueeze(1), self.psi[:, t].abs().unsqueeze(1),
                                           noise_var.clamp_min(NOISE_VAR_FLOOR), n)   # [C, B, n]
            a_rb = a_r.unsqueeze(1).expand(c, b, *a_r.shape[1:]).reshape(c * b, *a_r.shape[1:])
            # gain is per channel [C, 1, n], floor per observation [C, B, n]: broadcast both to [C, B, n]
            gain, floor = gain.expand(c, b, n), floor.expand(c, b, n)
            x, metric = mmnet_layer(x, ys, h_r, a_rb, gain.reshape(c * b, n), floor.reshape(c * b, n),
                                    self.m * sig2, self.pts_re, self.pts_im)
            out.append(x)
        return out, metric

    def fit(self, steps: int = 500, batch: int = 500, snr_db=(0.0, 10.0), lr: float = 1e-3,
            snr_convention: str = "hypermimo", generator: torch.Generator | None = None, progress=None) -> list:
        """Train every channel's MMNet for ``steps`` Adam steps on its own channel: per step ``batch``
        random symbol vectors per channel, SNR uniform in dB over ``snr_db``, loss [8]'s mean over the
        layers of ‖x̃_t − x‖². -> the loss per step (mean over channels)."""
        from ..phy.snr import noise_var_from_snr

        opt = torch.optim.Adam(self.parameters(), lr=lr)
        c = self.h_r.shape[0]
        pts = torch.complex(self.pts_re, self.pts_im)
        h = torch.complex(self.h_r[:, :self.m, :self.n], self.h_r[:, self.m:, :self.n])
        losses = []
        for _ in (progress(range(steps)) if progress else range(steps)):
            idx = torch.randint(0, len(pts), (c, batch, self.n), generator=generator)
            x = pts[idx]
            snr = torch.rand(c, batch, generator=generator) * (snr_db[1] - snr_db[0]) + snr_db[0]
            nv = noise_var_from_snr(snr, self.n, self.m, snr_convention).float()
            noise = torch.complex(torch.randn(c, batch, self.m, generator=generator),
                                  torch.randn(c, batch, self.m, generator=generator)) * (nv / 2).sqrt().unsqueeze(-1)
            y = torch.einsum("cmn,cbn->cbm", h, x) + noise
            xs, _ = self._layers(torch.cat([y.real, y.imag], -1), nv)
            target = torch.cat([x.real, x.imag], -1).reshape(c * batch, -1)
            loss = torch.stack([((e - target) ** 2).sum(-1).mean() for e in xs]).mean() * c
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()) / c)
        return losses

    @torch.no_grad()
    def detect(self, y: torch.Tensor, noise_var: torch.Tensor):
        n = self.n
        xs, metric = self._layers(torch.cat([y.real, y.imag], -1).float(), noise_var.float())
        c, b = y.shape[:2]
        llr = bit_llr(metric.unsqueeze(-1), self.bits.float(), -2, "app")
        x = xs[-1]
        return torch.complex(x[:, :n], x[:, n:]).reshape(c, b, n), llr.reshape(c, b, n, -1)


__all__ = ["MmNet", "OnlineMmNet", "mmnet_layer", "tau_coefficients", "real_form", "matched_filter"]
