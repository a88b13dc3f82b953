# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""DetNet's building blocks (WeSNet paper Section II-D, eqs. 14-18; docs/papers.md, "WeSNet").

The network works on the real-valued system (phy/realvalued.py) with n real unknowns: n = Nt
for BPSK (the imaginary half of x is known to be zero, so H_r keeps its first Nt columns and
y_r has 2Nr rows) and n = 2Nt otherwise. One layer r, with the state s_r ∈ Rⁿ and the auxiliary
state a_r ∈ R^A:

    x_r = Π(Hᵀy, HᵀH s_r, s_r, a_r)                 concatenation, 3n + A inputs
    u_r = ReLU(W1 (β_in ⊙ x_r) + b1)                input sublayer, eq. (15)/(25)
    ŝ   = Ψ(W2 u_r + b2)                             detection sublayer, eq. (17), never scaled
    â   = W3 (β_aux ⊙ u_r) + b3                      auxiliary sublayer, eq. (18)/(26)
    s_{r+1} = (1 − α) ŝ + α s_r,   a_{r+1} = (1 − α) â + α a_r

β_in and β_aux are the weight-scaling profiles (wesnet.py; all ones for DetNet). α is the
residual weight of DetNet's published code (0.9), not written in either paper's equations.

Two detection heads:
  sign    Ψ = the piecewise-linear soft sign ψ_t(z) = −1 + ReLU(z + t)/|t| − ReLU(z − t)/|t|
          with a learned t per layer (eq. 17, BPSK). ŝ ≈ E[s | y] under the squared loss, so
          the LLR is ln P(b=1)/P(b=0) = ln((1 − s)/(1 + s)) (bit 0 ↔ +1).
  onehot  DetNet's one-hot variant, for any constellation: the detection sublayer gives P
          logits per real unknown (P PAM levels), a softmax per unknown gives probabilities p;
          the state is p (with the same residual mixing) and s = Σ p·level. Real and imaginary
          parts are taken as independent, so log P(x = point) = log p_re + log p_im and the
          LLRs are exact marginals of that product (log-sum-exp).

Input scaling (a departure from DetNet's code, which feeds Hᵀy and HᵀH raw): both are divided by
d = ‖H_r‖_F²/n per item, so HᵀH/d has unit mean diagonal. The detector does not take σ² (the
paper assumes the noise variance unknown), so with this scaling it is invariant to the scale of
H and y together, which the OFDM link needs (its channel estimates are not normalised).
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.realvalued import real_system

#: Guards d = ‖H_r‖²/n of an all-zero channel (the contract erases such items anyway).
_SCALE_FLOOR = 1e-30
#: |ŝ| is kept below 1 − this before the BPSK LLR ln((1 − s)/(1 + s)), which bounds it by ≈ 14.5.
_SIGN_MARGIN = 1e-6
#: Probabilities are floored here before the log of the one-hot head's LLRs.
_PROB_FLOOR = 1e-30
#: Tikhonov term (relative to the unit mean diagonal) of the training-time ZF normaliser.
_ZF_RIDGE = 1e-6


def real_unknowns(y: torch.Tensor, h: torch.Tensor, real_only: bool):
    """-> (hty [B, n], gram [B, n, n]) scaled by d = ‖H_r‖²/n, the inputs every layer shares.

    real_only (BPSK): H_r keeps its first Nt columns, the real parts of x.
    """
    if real_only:
        # H_r = [Re H; Im H] (the imaginary half of x is zero): HᵀH and Hᵀy from the two halves
        # directly, without building H_r, whose concatenation was a large share of the graph's time
        hr, hi = h[..., 0], h[..., 1]
        hrt, hit = hr.transpose(1, 2), hi.transpose(1, 2)
        gram = hrt @ hr + hit @ hi
        hty = (hrt @ y[..., 0:1] + hit @ y[..., 1:2]).squeeze(-1)
    else:
        y_r, h_r = real_system(y, h)
        ht = h_r.transpose(1, 2)
        gram = ht @ h_r
        hty = (ht @ y_r.unsqueeze(-1)).squeeze(-1)
    n = gram.shape[-1]
    # ‖H_r‖²/n: H_r holds each entry of H once (BPSK) or twice (the real-valued equivalent)
    d = (h * h).sum((1, 2, 3)).mul(1.0 if real_only else 2.0).div(n).clamp_min(_SCALE_FLOOR)
    return hty / d.unsqueeze(-1), gram / d.reshape(-1, 1, 1)


def zf_solution(hty: torch.Tensor, gram: torch.Tensor) -> torch.Tensor:
    """s̃ = (HᵀH)⁻¹Hᵀy [B, n], the normaliser of the loss (eq. 27); training only (not exportable)."""
    eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
    return torch.linalg.solve(gram + _ZF_RIDGE * eye, hty.unsqueeze(-1)).squeeze(-1)


def soft_sign(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """ψ_t(z) = −1 + ReLU(z + t)/|t| − ReLU(z − t)/|t|: linear on [−t, t], ±1 outside."""
    at = t.abs() + 1e-5
    return -1.0 + torch.relu(z + t) / at - torch.relu(z - t) / at


def to_contract(s: torch.Tensor, nt: int) -> torch.Tensor:
    """Real unknowns [..., n] -> (re, im) pairs [..., Nt, 2] (n = Nt: imaginary part 0)."""
    if s.shape[-1] == nt:
        return torch.stack([s, torch.zeros_like(s)], dim=-1)
    return torch.stack([s[..., :nt], s[..., nt:]], dim=-1)


def pam_levels(constellation) -> list[float]:
    """The PAM levels of one real dimension, ascending (BPSK: −1, +1)."""
    pts = constellation.points
    return sorted({round(float(v), 6) for v in pts.real})


class DetNetLayer(nn.Module):
    """The three sublayers of one layer (module docstring); widths fixed at construction."""

    def __init__(self, inputs: int, hidden: int, aux: int, outputs: int, sign_head: bool):
        super().__init__()
        self.lin1 = nn.Linear(inputs, hidden)
        self.lin2 = nn.Linear(hidden, outputs)
        self.lin3 = nn.Linear(hidden, aux) if aux > 0 else None
        # Xavier initialisation (Table III), zero biases.
        for lin in (self.lin1, self.lin2, self.lin3):
            if lin is not None:
                nn.init.xavier_uniform_(lin.weight)
                nn.init.zeros_(lin.bias)
        # ψ_t's threshold. DetNet's code starts at 0.1 with weights of std 0.01; with Xavier weights
        # the pre-activations are O(1), so t starts at 1 to keep ψ out of its flat parts.
        self.t = nn.Parameter(torch.ones(())) if sign_head else None

    def l1_norm(self, beta_in=None, beta_aux=None) -> torch.Tensor:
        """‖β W̃‖₁ of eq. (30): the scaled weights of the three sublayers, summed."""
        w1 = self.lin1.weight if beta_in is None else self.lin1.weight * beta_in
        total = w1.abs().sum() + self.lin2.weight.abs().sum()
        if self.lin3 is not None:
            w3 = self.lin3.weight if beta_aux is None else self.lin3.weight * beta_aux
            total = total + w3.abs().sum()
        return total


class CompactLayer(nn.Module):
    """A layer with the profiles folded into its weights and the dropped inputs and units removed
    (what the exported graph runs). Weights are buffers, stored transposed: a compact layer is not
    trained.

    W1 is kept in column blocks, one per part of x_r = Π(Hᵀy, HᵀHs, s, a), so the graph never
    concatenates x_r (a copy per layer that cost a fifth of the run time): u = W1·x_r + b1 is the sum
    of the blocks' products. The Hᵀy block does not depend on the layer's input, so the model
    computes it for every layer in one product before the first layer (WeSNet._hty_terms); this
    layer keeps the other three. A block that pruning shortened reads only the leading entries.
    """

    def __init__(self, w1, b1, w2, b2, w3, b3, t, n: int, aux_inputs: int):
        super().__init__()
        blocks = {"wg": w1[:, n:2 * n], "ws": w1[:, 2 * n:3 * n], "wa": w1[:, 3 * n:]}
        for name, v in blocks.items():
            self.register_buffer(name, v.detach().t().contiguous() if v.shape[1] else None)
        self.reads = {name: v.shape[1] for name, v in blocks.items()}
        for name, v in (("w2", w2), ("w3", w3)):
            self.register_buffer(name, None if v is None else v.detach().t().contiguous())
        for name, v in (("b2", b2), ("b3", b3), ("t", t)):
            self.register_buffer(name, None if v is None else v.detach().clone())
        self.hidden = int(w1.shape[0])
        self.aux_inputs = int(aux_inputs)  # u_r[:aux_inputs] is what W3 still reads


def layer_step(layer, x, beta_in, beta_aux, hidden_mask):
    """One layer's (u-side) computations for a trainable DetNetLayer -> (head output, â or None)."""
    if beta_in is not None:
        x = x * beta_in
    u = torch.relu(layer.lin1(x))
    if hidden_mask is not None:
        u = u * hidden_mask
    out = layer.lin2(u)
    if layer.lin3 is None:
        return out, None
    ua = u if beta_aux is None else u * beta_aux
    return out, layer.lin3(ua)


def compact_step(layer: CompactLayer, hty_term, hths, s, a):
    """The same for a CompactLayer: hty_term = W1_hty·Hᵀy + b1 of this layer [B, hidden]."""
    z = hty_term
    for w, v, k in ((layer.wg, hths, layer.reads["wg"]), (layer.ws, s, layer.reads["ws"]),
                    (layer.wa, a, layer.reads["wa"])):
        if w is not None:
            z = z + (v if v.shape[-1] == k else v[..., :k]) @ w
    u = torch.relu(z)
    out = u @ layer.w2 + layer.b2
    if layer.w3 is None:
        return out, None
    return out, u[..., : layer.aux_inputs] @ layer.w3 + layer.b3


__all__ = ["DetNetLayer", "CompactLayer", "real_unknowns", "zf_solution", "soft_sign", "to_contract",
           "pam_levels", "layer_step", "compact_step"]
