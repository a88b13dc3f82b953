# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""HyperMIMO (Goutay, Aoudia, Hoydis, "Deep hypernetwork-based MIMO detection", SPAWC 2020): a
hypernetwork that maps the channel to the weights of an MMNet on the QR-rotated system.

Per channel (H, σ²), the **channel stage**:
    H = Q_A R_A (thin QR, unique: R_A's diagonal real and positive, reading HA11), computed in the
    graph by Gram–Schmidt with one re-orthogonalisation pass, a loop over the Nu columns;
    input  u = [diag R_A (Nu reals), Re and Im of the Nu(Nu−1)/2 entries above it, σ]   (37 for Nu = 6)
    hyper  u → dense(len u, ELU) → dense(75, ELU) → dense(2Nu² + 2T·Nu, linear) = (Θ, θ⁽ᵗ⁾, ψ⁽ᵗ⁾)
    Θ⁽ᵗ⁾ = Θ (I + diag θ⁽ᵗ⁾)  (eq. 11, column scaling),  ψ⁽ᵗ⁾ = |·| + PSI_FLOOR
    and the τ factors of models/mmnet.py (tau_gain, tau_floor, res_floor = Nu σ²; HA4 read as Nu σ²).
Per observation y, the **observation stage**: y* = Q_Aᴴ y, then T MMNet layers on y* = R_A x + n*
(mmnet_layer; the residual uses the soft estimate x̃⁽ᵗ⁾, reading HA5), outputs the last layer's
soft estimate and its exact LLRs.

Scale (``scale_invariant``, default true; a departure from the paper): the hypernetwork sees R_A/c
and σ/c and its Θ is divided by c, c = ‖H‖_F/√Nu. Scaling (y, H, σ) by s then scales Θ by 1/s and
leaves z, τ and every output unchanged (the τ factors are scale free), so channel estimates of any
gain (a receiver's Ĥ) are detected alike; the paper's form (false) fails completely on a well
conditioned channel of twice its training gain (100 % symbol errors on orthogonal 12x6 channels of
column norm √12 against its ‖h_u‖ ≈ √2). Within one drop c varies little, so the setting changes
what the hypernetwork learns from, not what it can express: σ/c carries the SNR.

The paper feeds "the non-zero entries of R_A" (43 inputs for Nu = 6, 2·21 + 1, CLAIMS 4.1); with
the unique QR the 6 imaginary parts of the diagonal are identically zero, so they are not fed: 37
inputs, 14,288 parameters for Nu = 6, T = 5 (15,224 with the 6 dead inputs).

``channel_stage(h, noise_var) -> state`` and ``observation_stage(y, *state)`` are the two halves
the split export (export/split.py) writes as two ONNX graphs; ``forward`` is their composition, so
the whole graph and the split path compute the same thing.
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.demap import NOISE_VAR_FLOOR, bit_llr
from .base import TrainableDetector
from .mmnet import mmnet_layer, real_form, tau_coefficients

#: The "small constant" added to |ψ| (HyperMIMO Sec. III-B; its value is not given, HA6).
PSI_FLOOR = 1e-3
#: Names and shapes (B first; n = Nu, m = Nr, T layers) of the state the channel stage hands on.
STATE = (("q", "[B, Nr, Nu, 2]"), ("r", "[B, Nu, Nu, 2]"), ("theta", "[B, T, Nu, Nu, 2]"),
         ("tau_gain", "[B, T, Nu]"), ("tau_floor", "[B, T, Nu]"), ("res_floor", "[B]"))


def unique_qr(h_re: torch.Tensor, h_im: torch.Tensor):
    """Thin QR of complex H [B, m, n] given as (re, im): -> (q_re, q_im [B, m, n], r_re, r_im [B, n, n]),
    H = Q R, Qᴴ Q = I, R upper triangular with a real positive diagonal (Gram–Schmidt, each column
    projected twice for float32 orthogonality on ill-conditioned channels). H with a zero column
    gives a zero column of Q and of R's diagonal."""
    n = h_re.shape[-1]
    qs: list[tuple] = []
    r = [[None] * n for _ in range(n)]
    zero = torch.zeros_like(h_re[..., 0, 0])
    for k in range(n):
        v_re, v_im = h_re[..., k], h_im[..., k]
        coef = [(zero, zero)] * k
        for _ in range(2):
            for j, (q_re, q_im) in enumerate(qs):
                c_re = (q_re * v_re + q_im * v_im).sum(-1)              # q_jᴴ v
                c_im = (q_re * v_im - q_im * v_re).sum(-1)
                v_re = v_re - (q_re * c_re.unsqueeze(-1) - q_im * c_im.unsqueeze(-1))
                v_im = v_im - (q_re * c_im.unsqueeze(-1) + q_im * c_re.unsqueeze(-1))
                coef[j] = (coef[j][0] + c_re, coef[j][1] + c_im)
        norm = (v_re * v_re + v_im * v_im).sum(-1).sqrt()
        inv = 1.0 / norm.clamp_min(1e-30)
        qs.append((v_re * inv.unsqueeze(-1), v_im * inv.unsqueeze(-1)))
        for j in range(n):
            r[j][k] = coef[j] if j < k else ((norm, zero) if j == k else (zero, zero))
    q_re = torch.stack([q[0] for q in qs], -1)
    q_im = torch.stack([q[1] for q in qs], -1)
    r_re = torch.stack([torch.stack([r[j][k][0] for k in range(n)], -1) for j in range(n)], -2)
    r_im = torch.stack([torch.stack([r[j][k][1] for k in range(n)], -1) for j in range(n)], -2)
    return q_re, q_im, r_re, r_im


def hyper_inputs(r_re: torch.Tensor, r_im: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """The hypernetwork's input from R_A [B, n, n] (re, im) and σ [B]: [B, n + n(n−1) + 1]."""
    n = r_re.shape[-1]
    rows, cols = torch.triu_indices(n, n, offset=1)
    diag = r_re.diagonal(dim1=-2, dim2=-1)
    return torch.cat([diag, r_re[..., rows, cols], r_im[..., rows, cols], sigma.unsqueeze(-1)], -1)


class HyperMimo(TrainableDetector):
    """forward(y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B]) -> (llr [B,Nt,K], estimate [B,Nt,2]).
    Needs Nr >= Nt (the QR-rotated system has Nt rows)."""

    family = "hypermimo"
    paper = "hypermimo"
    outputs = ("llr", "estimate")
    split_state = STATE

    def __init__(self, nt: int, nr: int, constellation: str, layers: int = 5, hidden: int = 75,
                 scale_invariant: bool = True):
        super().__init__(nt, nr, constellation)
        if nr < nt:
            raise ValueError(f"nr: HyperMIMO rotates y onto the Nt = {nt} columns of H and needs Nr >= Nt, "
                             f"got nr={nr}")
        for name, value in (("layers", layers), ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {value!r} is not a positive integer")
        if not isinstance(scale_invariant, bool):
            raise ValueError(f"scale_invariant: {scale_invariant!r} is not true or false")
        self.n_layers, self.hidden, self.scale_invariant = layers, hidden, scale_invariant
        n_in = nt * nt + 1                                    # n + n(n−1) + 1
        self.n_out = 2 * nt * nt + 2 * layers * nt
        self.hyper = nn.Sequential(nn.Linear(n_in, n_in), nn.ELU(), nn.Linear(n_in, hidden), nn.ELU(),
                                   nn.Linear(hidden, self.n_out))
        self.register_constellation_buffers()

    def config(self) -> dict:
        return {**super().config(), "layers": self.n_layers, "hidden": self.hidden,
                "scale_invariant": self.scale_invariant}

    def manifest_extra(self) -> dict:
        return {"layers": self.n_layers, "hypernetwork_inputs": self.nt * self.nt + 1,
                "mmnet_parameters": self.n_out, "parameters": sum(p.numel() for p in self.parameters())}

    def layer_parameters(self, index: int) -> list:
        raise NotImplementedError("hypermimo: the hypernetwork generates every layer; train 'all'")

    # ------------------------------------------------------------------ stages
    def generated(self, r_re, r_im, sigma):
        """The MMNet weights for R_A: -> (Θ⁽ᵗ⁾ re, im [B, T, n, n], ψ [B, T, n])."""
        n, t = self.nt, self.n_layers
        out = self.hyper(hyper_inputs(r_re, r_im, sigma))
        th_re = out[:, :n * n].reshape(-1, 1, n, n)
        th_im = out[:, n * n:2 * n * n].reshape(-1, 1, n, n)
        scale = 1.0 + out[:, 2 * n * n:2 * n * n + t * n].reshape(-1, t, 1, n)     # I + diag θ⁽ᵗ⁾ on columns
        psi = out[:, 2 * n * n + t * n:].reshape(-1, t, n).abs() + PSI_FLOOR
        return th_re * scale, th_im * scale, psi

    def channel_stage(self, h, noise_var):
        """h [B, Nr, Nt, 2], noise_var [B] -> the state tuple (STATE order)."""
        n = self.nt
        sig2 = noise_var.clamp_min(NOISE_VAR_FLOOR)
        q_re, q_im, r_re, r_im = unique_qr(h[..., 0], h[..., 1])
        if self.scale_invariant:   # R_A/c, σ/c in, Θ/c out, c = ‖H‖_F/√Nu: the detector ignores H's scale
            c = ((r_re * r_re + r_im * r_im).sum((-2, -1)) / n).sqrt().clamp_min(1e-30)
            th_re, th_im, psi = self.generated(r_re / c.reshape(-1, 1, 1), r_im / c.reshape(-1, 1, 1), sig2.sqrt() / c)
            th_re, th_im = th_re / c.reshape(-1, 1, 1, 1), th_im / c.reshape(-1, 1, 1, 1)
        else:
            th_re, th_im, psi = self.generated(r_re, r_im, sig2.sqrt())
        a_r = real_form(th_re, th_im)                                                # [B, T, 2n, 2n]
        r_r = real_form(r_re, r_im).unsqueeze(1)
        gain, floor = tau_coefficients(a_r, r_r, psi, sig2.unsqueeze(-1), n)
        return (torch.stack([q_re, q_im], -1), torch.stack([r_re, r_im], -1), torch.stack([th_re, th_im], -1),
                gain, floor, n * sig2)

    def observation_stage(self, y, q, r, theta, tau_gain, tau_floor, res_floor):
        """y [B, Nr, 2] and the state -> (llr [B, Nt, K], estimate [B, Nt, 2])."""
        n = self.nt
        yr, yi = y[..., 0].unsqueeze(-1), y[..., 1].unsqueeze(-1)
        qr, qi = q[..., 0], q[..., 1]
        ys = torch.cat([(qr * yr + qi * yi).sum(-2), (qr * yi - qi * yr).sum(-2)], -1)   # Q_Aᴴ y [B, 2n]
        r_r = real_form(r[..., 0], r[..., 1])
        x = torch.zeros_like(ys)
        metric = None
        for t in range(self.n_layers):
            a_r = real_form(theta[:, t, ..., 0], theta[:, t, ..., 1])
            x, metric = mmnet_layer(x, ys, r_r, a_r, tau_gain[:, t], tau_floor[:, t], res_floor,
                                    self.pts_re, self.pts_im)
        llr = bit_llr(metric.unsqueeze(-1), self.bits.to(metric.dtype), -2, "app")
        return llr, torch.stack([x[:, :n], x[:, n:]], -1)

    def forward(self, y, h, noise_var):
        return self.observation_stage(y, *self.channel_stage(h, noise_var))


__all__ = ["HyperMimo", "unique_qr", "hyper_inputs", "STATE", "PSI_FLOOR"]
