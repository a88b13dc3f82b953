# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net: joint soft-bit estimation and quantisation (the EQ-Net paper; docs/papers.md, "EQ-Net").

Three networks around a latent z of ``latent`` = 3·Nt features (Theorem 3: MMSE-SIC needs
3 numbers per stream):

  f_Q  quantisation encoder: soft bits Λ float32[B, Nt·K] → z float32[B, L], 6 hidden ReLU
       layers of width 4·Nt·K, tanh output (features in (−1, 1)).
  g_Q  decoder: z → Λ̃ float32[B, Nt·K], Nt·K parallel branches (one per soft bit), each 6 hidden
       ReLU layers of width 4·Nt·K and a tanh output.
  f_E  estimation encoder: (y, H, σ) → z. y (2Nr reals), H (2NrNt) and σ (1) each through their
       own dense layer, concatenated, a dense layer to the width 16·Nt·K, ``est_blocks`` residual
       blocks of ``est_layers`` ReLU layers (x + block(x)), a linear output of L features.

Training (the shared trainer; the schedule's ``settings.stage`` picks what forward_train does):
  "autoencoder"  stage 1: Λ_ref → f_Q → + u → g_Q, u ~ N(0, noise_std²) the quantisation
                 surrogate, loss eq. (15) (``train.loss = "eqnet"``).
  "estimation"   stage 2: f_E(y, H, σ) against the frozen f_Q(Λ_ref), ℓ1 loss eq. (19).
  "joint"        the single-stage baseline (E8): g_Q(f_E(y, H, σ)) against Λ_ref, loss (15).
Λ_ref are the soft bits of the classical detector ``source`` ("ml": exact marginalisation,
eq. 6–7), computed on each batch. After the last stage, ``fit_after_training`` fits k-means++
scalar codebooks of 2^b levels per latent feature for each b in ``codebook_bits``, on the
latent features of fresh batches; they are buffers (they travel in checkpoints) and go into the
exported manifest (export/codec.py).

The exported detector (``forward``) is the estimation path g_Q(f_E(y, H, σ)) with LLRs
2·atanh(Λ̃). The quantisation path exports as two more graphs (``encode_softbits``,
``decode_latent``; export/codec.py).

Readings (docs/papers.md, "EQ-Net"): EA2 σ_u = 1e-3 is the standard deviation (the reference
code's GaussianNoise(stddev=1e-3)); EA8 f_E widths 16·Nt·K, one residual block of 6 layers for
EQ-Net (L), linear latent output (the reference code's); EA3, EA6, EA10 concern the soft-bit
sources, the coded evaluation and the bit budgets (papers/eqnet.py).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..phy.demap import LLR_LIMIT
from .base import TrainableDetector

STAGES = ("autoencoder", "estimation", "joint")

#: ε of the distortion loss (15): weights 1/(|Λ| + ε).
LOSS_EPS = 1e-3


class Branches(nn.Module):
    """G parallel MLPs (g_Q's per-soft-bit branches) as batched matrix products.

    forward(z float32[B, d_in]) -> float32[B, G]: branch g maps z to its one output through
    ``layers`` ReLU layers of ``width`` and a tanh. Weights [G, fan_in, fan_out], Glorot-uniform,
    biases zero (keras_init).
    """

    def __init__(self, groups: int, d_in: int, width: int, layers: int):
        super().__init__()
        sizes = [d_in] + [width] * layers + [1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            self.weights.append(nn.Parameter(torch.empty(groups, fan_in, fan_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.zeros(groups, 1, fan_out)))

    def forward(self, z: torch.Tensor, activate: bool = True) -> torch.Tensor:
        """activate=False: the last layer's pre-activation a (the output is tanh(a))."""
        a = z.unsqueeze(0)                                       # [1, B, d_in]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            a = a @ w + b                                        # [G, B, fan_out]
            if i < last:
                a = torch.relu(a)
            elif activate:
                a = torch.tanh(a)
        return a.squeeze(-1).transpose(0, 1)                     # [B, G]


def keras_init(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases for every nn.Linear in `module`: the reference code's
    (Keras) defaults. PyTorch's default (uniform ±1/√fan_in, random biases) shrinks the signal
    through these 7-layer ReLU stacks: on a fixed pool of 2x2 64-QAM ML soft bits, 900 Adam steps
    (batch 1024, lr 3e-3) reach loss (15) 1.92 (reconstruction BER 0.131) with this init and
    6.56 (BER 0.344) with PyTorch's."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def mlp(d_in: int, width: int, layers: int, d_out: int) -> nn.Sequential:
    """``layers`` ReLU layers of ``width``, then a linear layer to d_out."""
    mods, d = [], d_in
    for _ in range(layers):
        mods += [nn.Linear(d, width), nn.ReLU()]
        d = width
    mods.append(nn.Linear(d, d_out))
    return nn.Sequential(*mods)


class ResidualBlock(nn.Module):
    """x + MLP(x): ``layers`` ReLU layers of ``width`` (the last one linear into the skip)."""

    def __init__(self, width: int, layers: int):
        super().__init__()
        self.body = mlp(width, width, layers - 1, width)

    def forward(self, x):
        return torch.relu(x + self.body(x))


class EstimationEncoder(nn.Module):
    """f_E: (y [B,Nr,2], h [B,Nr,Nt,2], σ [B]) -> z [B, L] (module docstring)."""

    def __init__(self, nt: int, nr: int, latent: int, width: int, layers: int, blocks: int):
        super().__init__()
        self.y_in = nn.Linear(2 * nr, width)
        self.h_in = nn.Linear(2 * nr * nt, width)
        self.s_in = nn.Linear(1, width)
        self.merge = nn.Linear(3 * width, width)
        self.blocks = nn.Sequential(*[ResidualBlock(width, layers) for _ in range(blocks)])
        self.out = nn.Linear(width, latent)

    def forward(self, y, h, sigma):
        b = y.shape[0]
        parts = [self.y_in(y.reshape(b, -1)), self.h_in(h.reshape(b, -1)), self.s_in(sigma.reshape(b, 1))]
        a = torch.relu(self.merge(torch.relu(torch.cat(parts, dim=-1))))
        return self.out(self.blocks(a))


def kmeans_pp_1d(values: np.ndarray, levels: int, rng: np.random.Generator, iterations: int = 100) -> np.ndarray:
    """k-means++ seeding then Lloyd iterations on scalars: values float[S] -> sorted centres float32[levels].

    In one dimension the nearest-centre cells are the intervals between midpoints, so each Lloyd
    step is a searchsorted and a segment mean. A cell that empties keeps its centre.
    """
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size < levels:
        raise ValueError(f"values: {v.size} samples cannot fit {levels} levels")
    centres = [v[rng.integers(v.size)]]
    d2 = (v - centres[0]) ** 2
    for _ in range(1, levels):
        total = d2.sum()
        pick = rng.integers(v.size) if total <= 0 else rng.choice(v.size, p=d2 / total)
        centres.append(v[pick])
        d2 = np.minimum(d2, (v - v[pick]) ** 2)
    c = np.sort(np.array(centres))
    csum = np.concatenate([[0.0], np.cumsum(v)])
    for _ in range(iterations):
        edges = np.searchsorted(v, 0.5 * (c[1:] + c[:-1]), side="right")
        lo, hi = np.concatenate([[0], edges]), np.concatenate([edges, [v.size]])
        count = hi - lo
        new = np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), c)
        if np.allclose(new, c, rtol=0, atol=1e-9):
            c = new
            break
        c = np.sort(new)
    return c.astype(np.float32)


class EqNet(TrainableDetector):
    """EQ-Net (module docstring). Exported output: llr float32[B, Nt, K]."""

    family = "eqnet"
    paper = "EQ-Net"
    outputs = ("llr",)
    parameter_groups = ("all", "last", "quantizer", "estimator", "joint")
    settable = ("stage",)

    def __init__(self, nt: int, nr: int, constellation, latent: int = 0, ae_width: int = 0,
                 ae_layers: int = 6, est_width: int = 0, est_layers: int = 6, est_blocks: int = 1,
                 noise_std: float = 1e-3, source: str = "ml", codebook_bits: tuple = (4, 5, 6),
                 codebook_samples: int = 200_000):
        super().__init__(nt, nr, constellation)
        k = self.constellation.bits_per_symbol
        self.n_bits = nt * k
        self.latent = int(latent) or 3 * nt
        self.ae_width = int(ae_width) or 4 * self.n_bits
        self.ae_layers, self.est_layers, self.est_blocks = int(ae_layers), int(est_layers), int(est_blocks)
        self.est_width = int(est_width) or 16 * self.n_bits
        for name, value in (("latent", self.latent), ("ae_width", self.ae_width), ("ae_layers", self.ae_layers),
                            ("est_width", self.est_width), ("est_layers", self.est_layers),
                            ("est_blocks", self.est_blocks), ("codebook_samples", codebook_samples)):
            if value < 1:
                raise ValueError(f"model.{name}: must be >= 1, got {value}")
        if not noise_std >= 0:
            raise ValueError(f"model.noise_std: must be >= 0, got {noise_std}")
        from ..detectors import CLASSICAL
        if source not in CLASSICAL:
            raise ValueError(f"model.source: '{source}' is not a classical detector ({', '.join(sorted(CLASSICAL))})")
        bits = tuple(int(b) for b in codebook_bits)
        if any(not 1 <= b <= 16 for b in bits) or len(set(bits)) != len(bits):
            raise ValueError(f"model.codebook_bits: {list(codebook_bits)} must be distinct integers in 1..16")
        self.noise_std, self.source = float(noise_std), source
        self.codebook_bits, self.codebook_samples = bits, int(codebook_samples)
        self.stage = "estimation"
        self.f_q = mlp(self.n_bits, self.ae_width, self.ae_layers, self.latent)
        self.g_q = Branches(self.n_bits, self.latent, self.ae_width, self.ae_layers)
        self.f_e = EstimationEncoder(nt, nr, self.latent, self.est_width, self.est_layers, self.est_blocks)
        keras_init(self.f_q)
        keras_init(self.f_e)
        for b in bits:   # sorted levels per latent feature; filled by fit_after_training
            self.register_buffer(f"codebook_{b}", torch.zeros(self.latent, 1 << b))
        self.register_constellation_buffers()
        self._reference = None

    def config(self) -> dict:
        return {**super().config(), "latent": self.latent, "ae_width": self.ae_width, "ae_layers": self.ae_layers,
                "est_width": self.est_width, "est_layers": self.est_layers, "est_blocks": self.est_blocks,
                "noise_std": self.noise_std, "source": self.source, "codebook_bits": list(self.codebook_bits),
                "codebook_samples": self.codebook_samples}

    # ------------------------------------------------------------------ the three networks
    def encode_softbits(self, softbits: torch.Tensor) -> torch.Tensor:
        """f_Q: soft bits float32[B, Nt, K] -> latent float32[B, L] in (−1, 1)."""
        return torch.tanh(self.f_q(softbits.reshape(softbits.shape[0], self.n_bits)))

    def decode_softbits(self, z: torch.Tensor) -> torch.Tensor:
        """g_Q: latent float32[B, L] -> soft bits float32[B, Nt, K] in (−1, 1)."""
        return self.g_q(z).reshape(z.shape[0], self.nt, -1)

    def decode_latent(self, z: torch.Tensor) -> torch.Tensor:
        """g_Q's LLRs 2·atanh(Λ̃): latent float32[B, L] -> llr float32[B, Nt, K]. Λ̃ = tanh(a), so the
        LLR is 2a exactly, taken from the pre-activation: atanh of a saturated float32 tanh would
        turn rounding into LLR errors of tenths (torch and onnxruntime round differently there)."""
        return self._llr_of(self._decoder_preactivation(z))

    def _decoder_preactivation(self, z: torch.Tensor) -> torch.Tensor:
        """g_Q's last pre-activation a: latent [B, L] -> [B, Nt, K]; the soft bits are tanh(a)."""
        return self.g_q(z, activate=False).reshape(z.shape[0], self.nt, -1)

    @staticmethod
    def _llr_of(a: torch.Tensor) -> torch.Tensor:
        return (2.0 * a).clamp(-LLR_LIMIT, LLR_LIMIT)

    def estimate_latent(self, y, h, noise_var) -> torch.Tensor:
        """f_E: y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B] -> latent float32[B, L]."""
        return self.f_e(y, h, torch.sqrt(noise_var.clamp_min(0.0)))

    def forward(self, y, h, noise_var):
        return (self.decode_latent(self.estimate_latent(y, h, noise_var)),)

    # ------------------------------------------------------------------ training
    def reference_softbits(self, y, h, noise_var) -> torch.Tensor:
        """Soft bits tanh(L/2) of the classical detector ``source``: float32[B, Nt, K] (no gradient)."""
        if self._reference is None:
            from ..detectors import CLASSICAL
            self._reference = CLASSICAL[self.source](self.constellation)
        with torch.no_grad():
            yc = torch.complex(y[..., 0], y[..., 1])
            hc = torch.complex(h[..., 0], h[..., 1])
            return torch.tanh(0.5 * self._reference(yc, hc, noise_var).llr)

    def teacher(self, y, h, noise_var) -> torch.Tensor:
        """The trainer's stored target (models.base): the exact soft bits, which depend on the inputs only."""
        return self.reference_softbits(y, h, noise_var)

    def soft_estimate(self, softbits: torch.Tensor) -> torch.Tensor:
        """Posterior-mean symbol under independent bits: soft bits [B,Nt,K] -> estimate [B,Nt,2]."""
        p1 = (0.5 * (1.0 + softbits)).clamp(1e-7, 1.0 - 1e-7)                  # P(b = 1)
        bits = self.bits.to(softbits.dtype)                                       # [M, K]
        logp = torch.log(p1).unsqueeze(-2) * bits + torch.log1p(-p1).unsqueeze(-2) * (1 - bits)
        w = torch.softmax(logp.sum(-1), dim=-1)                                   # [B, Nt, M]
        return torch.stack([w @ self.pts_re, w @ self.pts_im], dim=-1)

    def forward_train(self, y, h, noise_var, teacher: torch.Tensor | None = None) -> dict:
        """What the "eqnet" loss sees: softbits, softbits_ref (and latent, latent_ref in stage
        "estimation"), plus estimate and llr for the validation metrics. teacher: the stored
        reference soft bits of these vectors (a training pool), else computed here."""
        ref = self.reference_softbits(y, h, noise_var) if teacher is None else teacher
        out = {"softbits_ref": ref}
        if self.stage == "autoencoder":
            z = self.encode_softbits(ref)
            if self.training and self.noise_std > 0:
                z = z + self.noise_std * torch.randn_like(z)
        elif self.stage == "estimation":
            z = self.estimate_latent(y, h, noise_var)
            with torch.no_grad():
                out["latent_ref"] = self.encode_softbits(ref)
            out["latent"] = z
        else:
            z = self.estimate_latent(y, h, noise_var)
        # One pass through g_Q: the soft bits tanh(a) for the loss, the LLRs 2a as decode_latent
        # gives them (so validation sees the exported graph's LLRs).
        a = self._decoder_preactivation(z)
        soft = torch.tanh(a)
        out["softbits"] = soft
        out["llr"] = self._llr_of(a)
        out["estimate"] = self.soft_estimate(soft)
        return out

    def apply_settings(self, **settings) -> None:
        if "stage" in settings and settings["stage"] not in STAGES:
            raise ValueError(f"settings.stage: '{settings['stage']}' is not one of {', '.join(STAGES)}")
        super().apply_settings(**settings)

    def parameter_group(self, name: str) -> list:
        if name == "quantizer":
            return list(self.f_q.parameters()) + list(self.g_q.parameters())
        if name == "estimator":
            return list(self.f_e.parameters())
        if name == "joint":
            return list(self.f_e.parameters()) + list(self.g_q.parameters())
        return super().parameter_group(name)

    # ------------------------------------------------------------------ codebooks
    def fit_after_training(self, sample, generator: torch.Generator) -> None:
        """Fit the k-means++ codebooks on f_Q's features of ``codebook_samples`` vectors.

        sample(n, generator) -> a train.data.Batch of up to n vectors (the trainer's data source, or
        its pool with the stored soft bits as teacher).
        """
        feats, left = [], self.codebook_samples
        was = self.training
        self.eval()
        with torch.no_grad():
            while left > 0:
                b = sample(min(left, 8192), generator)
                ref = self.reference_softbits(b.y, b.h, b.noise_var) if b.teacher is None else b.teacher
                feats.append(self.encode_softbits(ref).cpu().numpy())
                left -= len(b)
        self.train(was)
        z = np.concatenate(feats)
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item()))
        for bits in self.codebook_bits:
            book = np.stack([kmeans_pp_1d(z[:, j], 1 << bits, rng) for j in range(self.latent)])
            getattr(self, f"codebook_{bits}").copy_(torch.from_numpy(book))

    def codebook(self, bits: int) -> np.ndarray:
        """Sorted levels float32[L_features, 2^bits] of the fitted codebook of `bits` bits per feature."""
        if bits not in self.codebook_bits:
            raise ValueError(f"bits: {bits} has no codebook (fitted: {list(self.codebook_bits)})")
        book = getattr(self, f"codebook_{bits}").cpu().numpy()
        if not np.all(np.diff(book, axis=1) > 0):
            raise ValueError(f"codebook_{bits}: not fitted (levels not strictly increasing); train the model "
                             "to its end, which fits the codebooks")
        return book

    def manifest_extra(self) -> dict:
        return {"latent": self.latent, "softbit_source": self.source}
