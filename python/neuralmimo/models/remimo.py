# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""RE-MIMO (Pratik, Rao, Welling, "RE-MIMO: recurrent and permutation equivariant neural MIMO
detection", IEEE TSP 2021): one detector for every number of users Nt in [nt_min, nt].

Each user i is a token. Its state s_i (width d_s) is refined by T EP blocks; each block gives the
user's class logits x̂_i over the constellation (M classes). All on the real-valued system:
y_r = [Re y; Im y], h_i = [Re h_i; Im h_i] (2Nr each), σ = √noise_var (per complex dimension).

    embedding (22)  f_i = [y_r/√(2Nt), h_i, σ/√(2Nt), TE(Nt)] → Linear(4d_s) → ReLU → Linear(d_s);
                    s_i⁰ = √d_s · γ(f_i), x̂_i⁰ = 0 (logits: the uniform prior, so z⁰ = 0)
    residual (12)   z_i = Σ_j softmax(x̂_i)_j X_j,  δy = y_r − H_r z  (the soft estimate's residual)
    encoder (20)    φ_i = [s_i, δy/√(2Nt), h_i, x̂_i]  (d_φ = d_s + 4Nr + M)
                    a = MHSA(φ) with q, k, v of width d_φ, `heads` heads, out-projection d_φ → d_s
                    s_i ← LN(s_i + a_i);  s_i ← LN(s_i + FFN(s_i)),  FFN d_s → 4d_s → d_s (ReLU)
    predictor (21)  ψ_i = [s_i, δy/√(2Nt), h_i, x̂_i, σ/√(2Nt)]  (d_ψ = d_φ + 1)
                    x̂_i ← Linear(⌈d_ψ/2⌉) → ReLU → Linear(⌈⌈d_ψ/2⌉/2⌉) → ReLU → Linear(M)
    TE              TE_{2k}(Nt) = sin(Nt/(2Nr)^{2k/d_TE})/√d_s, TE_{2k+1} = cos(…)/√d_s, d_TE = Nr

Readings of the paper's ambiguities (CLAIMS.md RA2–RA5), settled with the authors' code:
  RA2 class space: the M complex QAM symbols (16 classes for 16QAM), not PAM per real component;
      the logits x̂ (not the probabilities) are what φ and ψ carry.
  RA3 d_ψ/2, d_ψ/4: rounded up, ⌈d_ψ/2⌉ then ⌈·/2⌉ of that.
  RA4 residuals: post-norm transformer layer; the attention output (width d_s) is added to the
      previous state s, then LayerNorm; the FFN sublayer is the usual s + FFN(s), then LayerNorm.
      The state update is that layer (S^{t+1} = LN(…)), not an extra S^t + h(…).
  RA5 weights: not tied; every EP block has its own parameters (θ^t).
The batch shares Nt (the paper's training draws one Nt per batch); the graph takes Nt from the
shape of h, so one exported file serves every Nt in [nt_min, nt] (export: a dynamic Nt axis).

Option ``gradient`` (not in the paper; off by default): the predictor also gets the per-user
matched filter of the residual, h_iᴴ δy (Re, Im), i.e. the likelihood gradient of eq. (12) up to
the 1/σ² the predictor can apply from its σ input. The paper gives h_i and δy and leaves the
product to the network; a network trained for 1/1000 of the paper's steps does not find it
(docs/results.md, RE-MIMO), so the scaled CPU configuration turns this on. d_ψ = d_φ + 3 then.

Parts of φ and ψ that are the same for every user (δy) go through their slice of the first
weight matrix once per item rather than once per user: the same function, Nt times fewer
multiply-adds on that slice.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..phy.demap import NOISE_VAR_FLOOR, bit_llr
from .base import TrainableDetector


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: {value!r} is not a positive integer")
    return int(value)


class _SplitLinear(nn.Module):
    """Linear over the concatenation [per-user parts…, per-item parts…] without building it:
    W·[u; c] = W_u·u + W_c·c, with W_c·c computed once per item and broadcast over the users.
    The weight is one [out, in] matrix, as nn.Linear's, sliced by columns."""

    def __init__(self, user_dims: tuple, item_dims: tuple, out: int, order: tuple):
        super().__init__()
        sizes = {**dict(user_dims), **dict(item_dims)}
        self.order = order
        self.user = tuple(n for n, _ in user_dims)
        self.linear = nn.Linear(sum(sizes.values()), out)
        start = 0
        self.slices = {}
        for name in order:
            self.slices[name] = (start, start + sizes[name])
            start += sizes[name]

    def forward(self, parts: dict) -> torch.Tensor:
        """parts: name -> [B, Nt, d] (a user part) or [B, d] (an item part) -> [B, Nt, out]."""
        w = self.linear.weight
        user = item = None
        for name in self.order:
            a, b = self.slices[name]
            term = parts[name] @ w[:, a:b].t()
            if name in self.user:
                user = term if user is None else user + term
            else:
                item = term if item is None else item + term
        out = user + self.linear.bias
        return out if item is None else out + item.unsqueeze(1)


class _Block(nn.Module):
    """One EP block: the transformer encoder layer (20) and the predictor (21)."""

    def __init__(self, width: int, heads: int, ffn: int, nr: int, m: int, gradient: bool):
        super().__init__()
        d_phi = width + 4 * nr + m
        if d_phi % heads:
            raise ValueError(f"heads: {heads} does not divide d_φ = width + 4·Nr + M = {d_phi}")
        self.heads, self.d_phi = heads, d_phi
        user = (("s", width), ("h", 2 * nr), ("x", m))
        order = ("s", "dy", "h", "x")
        self.qkv = _SplitLinear(user, (("dy", 2 * nr),), 3 * d_phi, order)
        self.out = nn.Linear(d_phi, width)
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, ffn), nn.ReLU(), nn.Linear(ffn, width))
        d_psi = d_phi + 1 + (2 if gradient else 0)
        h1 = -(-d_psi // 2)
        h2 = -(-h1 // 2)
        pred_user = user + ((("grad", 2),) if gradient else ())
        self.pred_in = _SplitLinear(pred_user, (("dy", 2 * nr), ("sigma", 1)), h1,
                                    order + ("sigma",) + (("grad",) if gradient else ()))
        self.pred = nn.Sequential(nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, m))

    def forward(self, s, x, hcol, dy, sigma, grad=None):
        """s [B,Nt,d_s], x logits [B,Nt,M], hcol [B,Nt,2Nr], dy [B,2Nr], sigma [B,1],
        grad [B,Nt,2] or None -> (s, x)."""
        b = s.shape[0]
        qkv = self.qkv({"s": s, "dy": dy, "h": hcol, "x": x})                  # [B, Nt, 3d_φ]
        dh = self.d_phi // self.heads
        q, k, v = (t.reshape(b, -1, self.heads, dh).transpose(1, 2) for t in qkv.chunk(3, dim=-1))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)    # [B, heads, Nt, Nt]
        a = (att @ v).transpose(1, 2).reshape(b, -1, self.d_phi)
        s = self.norm1(s + self.out(a))
        s = self.norm2(s + self.ffn(s))
        x = self.pred(self.pred_in({"s": s, "dy": dy, "h": hcol, "x": x, "sigma": sigma, "grad": grad}))
        return s, x


class ReMimo(TrainableDetector):
    """forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B]) with nt_min ≤ Nt ≤ nt
    -> (llr float32[B,Nt,K], estimate float32[B,Nt,2]): the last block's class posteriors, their
    mean and their exact bit marginals."""

    family = "remimo"
    paper = "remimo"
    outputs = ("llr", "estimate")

    def __init__(self, nt: int, nr: int, constellation: str, nt_min: int | None = None, blocks: int = 12,
                 width: int = 512, heads: int | None = None, ffn: int | None = None, te_dim: int | None = None,
                 gradient: bool = False):
        super().__init__(nt, nr, constellation)
        self.nt_min = self.nt if nt_min is None else _positive("nt_min", nt_min)
        if self.nt_min > self.nt:
            raise ValueError(f"nt_min: {self.nt_min} is above nt = {self.nt} (the range is nt_min..nt)")
        self.width = _positive("width", width)
        d_phi = self.width + 4 * nr + self.constellation.order
        # default: the paper's 8 heads where they divide d_φ (784 at Nr = 64, 16QAM), else fewer
        self.heads = (next(n for n in (8, 4, 2, 1) if d_phi % n == 0) if heads is None
                      else _positive("heads", heads))
        self.ffn = 4 * self.width if ffn is None else _positive("ffn", ffn)
        self.te_dim = nr if te_dim is None else _positive("te_dim", te_dim)
        if self.te_dim % 2:
            raise ValueError(f"te_dim: {self.te_dim} must be even (sine and cosine pairs)")
        if not isinstance(gradient, bool):
            raise ValueError(f"gradient: {gradient!r} is not true or false")
        self.gradient = gradient
        self.n_layers = _positive("blocks", blocks)
        m = self.constellation.order
        self.embed = nn.Sequential(nn.Linear(4 * nr + 1 + self.te_dim, 4 * self.width), nn.ReLU(),
                                   nn.Linear(4 * self.width, self.width))
        self.layers = nn.ModuleList([_Block(self.width, self.heads, self.ffn, nr, m, gradient) for _ in range(blocks)])
        self.register_constellation_buffers()
        # TE wavelengths: Nt / (2Nr)^{2k/d_TE}, k = 0 .. d_TE/2 − 1
        k2 = torch.arange(0, self.te_dim, 2, dtype=torch.float32)
        self.register_buffer("te_freq", torch.exp(-k2 * math.log(2.0 * nr) / self.te_dim))

    def config(self) -> dict:
        return {**super().config(), "nt_min": self.nt_min, "blocks": self.n_layers, "width": self.width,
                "heads": self.heads, "ffn": self.ffn, "te_dim": self.te_dim,
                "gradient": self.gradient}

    @property
    def nt_range(self) -> tuple:
        return (self.nt_min, self.nt)

    def manifest_extra(self) -> dict:
        return {"parameters": int(sum(p.numel() for p in self.parameters()))}   # nt_range: the exporter

    def _tokens(self, y, h, noise_var):
        """-> hcol [B,Nt,2Nr], y_r [B,2Nr], norm [B,1] = 1/√(2Nt), sigma [B,1] = σ/√(2Nt), te [B,d_TE]."""
        b, nr = y.shape[0], self.nr
        hcol = h.permute(0, 2, 3, 1).reshape(b, -1, 2 * nr)                    # [Re h_i; Im h_i]
        y_r = y.transpose(1, 2).reshape(b, 2 * nr)
        # Nt as a tensor per item, [B, 1] (the dynamic axis; no item is indexed, so B = 0 works)
        nt_f = torch.ones_like(h[:, 0, :, :1]).sum(1)
        norm = torch.rsqrt(2.0 * nt_f)
        sigma = noise_var.clamp_min(NOISE_VAR_FLOOR).sqrt().reshape(b, 1) * norm
        arg = nt_f * self.te_freq                                              # [B, d_TE/2]
        te = torch.stack([torch.sin(arg), torch.cos(arg)], dim=-1).flatten(-2) / math.sqrt(self.width)
        return hcol, y_r, norm, sigma, te

    def _run(self, y, h, noise_var) -> list:
        """-> the logits of each active block, [B, Nt, M] each."""
        hcol, y_r, norm, sigma, te = self._tokens(y, h, noise_var)
        b, n_users = hcol.shape[0], hcol.shape[1]
        w1, nr2 = self.embed[0].weight, 2 * self.nr                           # columns: y, h_i, σ, TE
        # embedding (22): the h_i slice per user, the rest once per item
        per_item = ((y_r * norm) @ w1[:, :nr2].t() + sigma @ w1[:, 2 * nr2:2 * nr2 + 1].t()
                    + te @ w1[:, 2 * nr2 + 1:].t() + self.embed[0].bias)
        e = hcol @ w1[:, nr2:2 * nr2].t() + per_item.unsqueeze(1)
        s = self.embed[2](self.embed[1](e)) * math.sqrt(self.width)
        x = torch.zeros(b, n_users, self.constellation.order, dtype=s.dtype, device=s.device)
        hr, hi = h[..., 0], h[..., 1]                                          # [B, Nr, Nt]
        logits = []
        for t in range(self.active_layers):
            p = torch.softmax(x, dim=-1)
            z_re, z_im = p @ self.pts_re, p @ self.pts_im                       # [B, Nt]
            r_re = y[..., 0] - (hr @ z_re.unsqueeze(-1) - hi @ z_im.unsqueeze(-1)).squeeze(-1)
            r_im = y[..., 1] - (hr @ z_im.unsqueeze(-1) + hi @ z_re.unsqueeze(-1)).squeeze(-1)
            dy = torch.cat([r_re, r_im], dim=-1)                                # [B, 2Nr]
            grad = None
            if self.gradient:   # h_iᴴ δy per user: (Re, Im)
                g_re = (hr * r_re.unsqueeze(-1) + hi * r_im.unsqueeze(-1)).sum(1)
                g_im = (hr * r_im.unsqueeze(-1) - hi * r_re.unsqueeze(-1)).sum(1)
                grad = torch.stack([g_re, g_im], dim=-1)                        # [B, Nt, 2]
            s, x = self.layers[t](s, x, hcol, dy * norm, sigma, grad)
            logits.append(x)
        return logits

    def _outputs(self, logits):
        logp = torch.log_softmax(logits, dim=-1)
        p = logp.exp()
        est = torch.stack([p @ self.pts_re, p @ self.pts_im], dim=-1)
        llr = bit_llr(-logp.unsqueeze(-1), self.bits.to(logp.dtype), -2, "app")
        return llr, est

    def forward(self, y, h, noise_var):
        return self._outputs(self._run(y, h, noise_var)[-1])

    def forward_train(self, y, h, noise_var) -> dict:
        logits = self._run(y, h, noise_var)
        llr, est = self._outputs(logits[-1])
        return {"llr": llr, "estimate": est, "block_logits": torch.stack(logits),
                "points": torch.stack([self.pts_re, self.pts_im], dim=-1)}


__all__ = ["ReMimo"]
