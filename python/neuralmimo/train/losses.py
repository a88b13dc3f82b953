# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training losses and validation metrics.

Shapes: estimate, x float[B, Nt, 2]; llr float[B, Nt, K]; bits float[B, Nt, K] (0/1).

mse   (1/B) Σ_b ‖x_b − x̂_b‖² over the 2Nt real coordinates: LcgNet eq. (15),
      a squared norm per vector averaged over the batch.
nmse  (1/B) Σ_b ‖x_b − x̂_b‖² / ‖x_b‖²: LcgNet eq. (26), the quantity
      the validation reports and early stopping watches.
bce   binary cross-entropy of sigmoid(LLR) against the bits, mean over all
      bits; with LLR = ln P(b=1)/P(b=0) (docs/conventions.md) sigmoid(LLR) is P(b=1).
detnet  WeSNet eq. (27) (DetNet's loss): (1/B) Σ_b Σ_r log(r) · e_r,b / ‖x_b − x̃_b‖², x̃ the ZF
      estimate and e_r the error of layer r: ‖x − x̂_r‖² of its estimate, or for a one-hot head
      (``layer_probs``) DetNet's one-hot error ‖onehot(x) − p_r‖² over the PAM levels of each
      real unknown. Plus the model's ``penalty`` when it has one (R-WeSNet, eq. 29). Needs
      forward_train to give layer_estimates and zf_estimate (models/wesnet.py).
ce    RE-MIMO's loss (its Section IV-D): the cross-entropy of every block's class logits against
      the transmitted symbol, averaged over blocks (ω_t = 1/T), users and vectors. Needs
      forward_train to give block_logits [T, B, Nt, M] and points [M, 2], the classes' symbols
      (models/remimo.py); the target class is the point nearest x (x is a point).
eqnet EQ-Net's objective of the stage the model is in (models/eqnet.py): with latent and
      latent_ref (stage 2) the ℓ1 loss (19), mean |z − z_ref| over features and vectors;
      otherwise the weighted distortion (15), (1/B) Σ_b Σ_{i,k} (Λ̃ − Λ)² / (|Λ| + ε) of
      softbits against softbits_ref, ε = models.eqnet.LOSS_EPS.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

#: Guards ‖x‖² = 0 (cannot happen with the project's constellations, which have no zero point).
_TINY = 1e-12


def per_vector_nmse(estimate: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-> [B]: ‖x − x̂‖² / ‖x‖² per vector."""
    err = (estimate - x).pow(2).sum(dim=(-2, -1))
    return err / x.pow(2).sum(dim=(-2, -1)).clamp_min(_TINY)


def mse_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return (out["estimate"] - x).pow(2).sum(dim=(-2, -1)).mean()


def nmse_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return per_vector_nmse(out["estimate"], x).mean()


def bce_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out["llr"], bits)


#: Floor of the ZF error ‖x − x̃‖² per coordinate: a vector that ZF happens to hit exactly would
#: otherwise get an unbounded weight.
_ZF_ERROR_FLOOR = 1e-3


def _real_target(x: torch.Tensor, n: int) -> torch.Tensor:
    """x [B, Nt, 2] -> the detector's n real unknowns [B, n] (n = Nt: real parts only)."""
    nt = x.shape[-2]
    return x[..., 0] if n == nt else torch.cat([x[..., 0], x[..., 1]], dim=-1)


def detnet_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    if "layer_estimates" not in out or "zf_estimate" not in out:
        raise ValueError("train.loss = 'detnet' needs a model whose forward_train gives layer_estimates "
                         "and zf_estimate (family wesnet)")
    norm = (x - out["zf_estimate"]).pow(2).sum(dim=(-2, -1)).clamp_min(_ZF_ERROR_FLOOR * x[0].numel())
    if "layer_probs" in out:
        probs, levels = out["layer_probs"], out["pam_levels"]                  # [R,B,n,P], [P]
        target = _real_target(x, probs.shape[-2])
        onehot = (target.unsqueeze(-1) - levels).abs().argmin(-1)
        onehot = torch.nn.functional.one_hot(onehot, levels.numel()).to(probs.dtype)
        err = (probs - onehot).pow(2).sum(dim=(-2, -1))                        # [R, B]
    else:
        err = (out["layer_estimates"] - x).pow(2).sum(dim=(-2, -1))           # [R, B]
    r = torch.arange(1, err.shape[0] + 1, dtype=err.dtype, device=err.device)
    loss = (torch.log(r).unsqueeze(-1) * err / norm).sum(0).mean()
    return loss + out["penalty"] if "penalty" in out else loss


def ce_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    if "block_logits" not in out or "points" not in out:
        raise ValueError("train.loss = 'ce' needs a model whose forward_train gives block_logits and "
                         "points (family remimo)")
    logits = out["block_logits"]                                              # [T, B, Nt, M]
    target = (x.unsqueeze(-2) - out["points"]).pow(2).sum(-1).argmin(-1)      # [B, Nt]
    t = logits.shape[0]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.repeat(t, 1, 1).reshape(-1))


def eqnet_loss(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    from ..models.eqnet import LOSS_EPS

    if "softbits" not in out or "softbits_ref" not in out:
        raise ValueError("train.loss = 'eqnet' needs a model whose forward_train gives softbits and "
                         "softbits_ref (family eqnet)")
    if "latent_ref" in out:
        return (out["latent"] - out["latent_ref"]).abs().mean()
    ref = out["softbits_ref"]
    w = 1.0 / (ref.abs() + LOSS_EPS)
    return ((out["softbits"] - ref).pow(2) * w).sum(dim=(-2, -1)).mean()


#: name -> loss(forward_train dict, x [B,Nt,2], bits [B,Nt,K]) -> scalar
LOSSES = {"mse": mse_loss, "nmse": nmse_loss, "bce": bce_loss, "detnet": detnet_loss, "ce": ce_loss,
          "eqnet": eqnet_loss}


def metric_sums(out: dict, x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """float64[4]: (Σ per-vector NMSE, vectors, bit errors, bits); the last two 0 without LLRs.

    Sums, so that shards (DDP ranks, chunks) add up before the division.
    """
    nmse = per_vector_nmse(out["estimate"].double(), x.double())
    s = torch.zeros(4, dtype=torch.float64, device=x.device)
    s[0] = nmse.sum()
    s[1] = nmse.numel()
    if "llr" in out:
        s[2] = ((out["llr"] > 0) != (bits > 0.5)).sum()
        s[3] = bits.numel()
    return s
