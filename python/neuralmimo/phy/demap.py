# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-stream Gaussian demapping, in real arithmetic so it also exports to ONNX.

A linear detector gives z_t = x_t + e_t with e_t ~ CN(0, ν_t) (unbiased,
Gaussian approximation). Then, with LLR = ln P(b=1)/P(b=0):
  max-log: LLR_{t,k} = (min_{s: b_k=0} |z−s|² − min_{s: b_k=1} |z−s|²) / ν_t
  app:     LLR_{t,k} = lse_{s: b_k=1}(−|z−s|²/ν_t) − lse_{s: b_k=0}(−|z−s|²/ν_t)

The LMMSE estimate x̂ is biased, E[x̂_t | x_t] = μ_t x_t: `linear_llr` takes the
filter's diagonal G_tt and does the whole step (bias μ, post-detection variance ν,
z = x̂/μ, LLRs) for the classical detectors and the exportable models alike;
`real_dims_llr` is the same step per real dimension (widely-linear LMMSE, LcgNet).
"""
from __future__ import annotations

import torch

#: Smallest noise variance used inside detectors: noise_var = 0 is allowed
#: (noise-free analysis) and gives large but finite LLRs.
NOISE_VAR_FLOOR = 1e-10

#: Largest noise variance passed to a detector (after the per-item scaling of Detector.__call__,
#: i.e. relative to |H| ≈ 1): far beyond any SNR of interest (−300 dB), and small enough that
#: σ²·Nt·|H|² and its reciprocals stay finite in float32.
NOISE_VAR_CEIL = 1e30

#: Every LLR any detector, model, block or ONNX graph outputs lies in [−LLR_LIMIT, LLR_LIMIT]
#: (docs/conventions.md, "LLR sign and demapping"). e^−87 is the smallest normal float32, so no
#: float32 posterior is more certain than |LLR| ≈ 87: clipping at 100 changes no hard decision and
#: no probability a float32 decoder can represent, and keeps absurd magnitudes (1e10 from a
#: nearly singular system) away from decoders.
LLR_LIMIT = 100.0

#: Smallest bias μ = 1 − σ² G_tt of an LMMSE estimate. μ → 0 only when a stream is
#: buried in noise; the floor keeps z = x̂/μ and ν = σ² G_tt/μ finite.
BIAS_FLOOR = 1e-12

#: Added to distances of excluded points; large but finite so ONNX ReduceMin
#: and float32 arithmetic stay well defined.
_EXCLUDE = 1e30

DEMAPPING_METHODS = ("maxlog", "app")


def check_demapping(method: str) -> str:
    """The demapping= argument of detectors and models: one of DEMAPPING_METHODS, or ValueError."""
    if method not in DEMAPPING_METHODS:
        raise ValueError(f"demapping: '{method}' is not one of {', '.join(DEMAPPING_METHODS)}")
    return method


def bit_llr(metric: torch.Tensor, one: torch.Tensor, dim: int, method: str = "maxlog") -> torch.Tensor:
    """LLRs from a distance metric over candidates (smaller is likelier, metric = −log-likelihood).

    metric and one broadcast against each other; `dim` is the candidate axis, reduced away.
    one: 1.0 where the candidate's bit is 1, else 0.0.
    max-log: min over bit-0 candidates − min over bit-1 candidates; app: the log-sum-exp form.
    """
    if check_demapping(method) == "maxlog":
        d1 = torch.amin(metric + (1.0 - one) * _EXCLUDE, dim=dim)
        d0 = torch.amin(metric + one * _EXCLUDE, dim=dim)
        return d0 - d1
    l1 = torch.logsumexp(-metric - (1.0 - one) * _EXCLUDE, dim=dim)
    l0 = torch.logsumexp(-metric - one * _EXCLUDE, dim=dim)
    return l1 - l0


def candidate_weights(metric: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """exp(m − metric) in float64 with m the smallest metric per item: metric [B, C] -> [B, C], max 1.
    The unnormalised posterior of each candidate; NaN metrics stay NaN. out: a float64 [B, C]
    buffer to write into (a caller looping over chunks reuses one instead of allocating each time)."""
    m64 = metric.double()
    out = torch.sub(m64, m64.amin(dim=-1, keepdim=True), out=out)
    return out.neg_().exp_()


def bit_masks(one: torch.Tensor) -> torch.Tensor:
    """[one | 1 − one] in float64: one [C, J] -> [C, 2J], what llr_from_weights sums with."""
    one64 = one.double()
    return torch.cat([one64, 1.0 - one64], dim=1)


def llr_from_weights(weights: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Exact LLRs over a candidate list from candidate_weights [B, C] and bit_masks [C, 2J] -> float64 [B, J].

    With m = min metric per item, S_b(j) = Σ_{c: bit j = b} exp(m − metric_c) in float64 is one
    matrix product instead of a log-sum-exp per bit over every candidate (about 20 times faster
    for 2x2 64-QAM's 4096 candidates); exact but for float64 rounding. One of the two sums holds
    the best candidate's 1, so only the other can underflow, to 0, when the LLR's magnitude
    exceeds ~745: the ±inf that gives becomes ±LLR_LIMIT, which is what every detector's output
    clips it to anyway. NaN metrics stay NaN."""
    sums = weights @ masks                                                      # [B, 2J]: S_1 | S_0
    j = masks.shape[1] // 2
    return torch.clamp(torch.log(sums[:, :j]) - torch.log(sums[:, j:]), -LLR_LIMIT, LLR_LIMIT)


def gaussian_llr(z_re, z_im, nu, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """LLRs of unbiased estimates z with circular error variance nu.

    z_re, z_im, nu: [B, Nt]; pts_re, pts_im: [M]; bits: bool[M, K]  ->  llr [B, Nt, K].
    """
    w = 1.0 / nu
    return weighted_llr(z_re, z_im, w, w, pts_re, pts_im, bits, method)


def weighted_llr(z_re, z_im, w_re, w_im, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """LLRs with separate weights per real dimension: metric(s) = w_re (z_re − s_re)² + w_im (z_im − s_im)².

    For a circular error of variance ν, w_re = w_im = 1/ν; for an improper error with per-dimension
    variances v_re, v_im, w = 1/(2v); a dimension that carries no information has weight 0.
    Shapes: z_*, w_*: [B, Nt]; pts_*: [M]; bits: bool[M, K]  ->  llr [B, Nt, K].
    """
    d = (w_re.unsqueeze(-1) * (z_re.unsqueeze(-1) - pts_re) ** 2
         + w_im.unsqueeze(-1) * (z_im.unsqueeze(-1) - pts_im) ** 2).unsqueeze(-1)   # [B, Nt, M, 1]
    return bit_llr(d, bits.to(d.dtype), -2, method)                                  # [B, Nt, K]


def linear_bias_variance(g_diag, noise_var, biased: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Bias μ and post-detection variance ν of a linear filter's estimate x̂ = G Hᴴ y.

    g_diag (real diagonal G_tt): [B, Nt]; noise_var σ²: [B] -> (μ [B, Nt], ν [B, Nt]).
    biased=True (LMMSE, G = (HᴴH + σ²I)⁻¹): μ_t = 1 − σ² G_tt, ν_t = σ² G_tt / μ_t;
    biased=False (ZF, G = (HᴴH)⁻¹): μ_t = 1, ν_t = σ² G_tt. z = x̂/μ is unbiased with variance ν.
    """
    nv = noise_var.unsqueeze(-1)
    if biased:
        mu = (1.0 - nv * g_diag).clamp_min(BIAS_FLOOR)
        return mu, (nv * g_diag / mu).clamp_min(NOISE_VAR_FLOOR)
    return torch.ones_like(g_diag), (nv * g_diag).clamp_min(NOISE_VAR_FLOOR)


def linear_llr(x_re, x_im, g_diag, noise_var, pts_re, pts_im, bits, method: str = "maxlog",
               biased: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Bias-corrected Gaussian LLRs of a linear filter's estimate x̂ = G Hᴴ y (linear_bias_variance).

    x_re, x_im, g_diag: [B, Nt]; noise_var: [B]; pts_*: [M]; bits: bool[M, K]
    -> (llr [B, Nt, K] of z = x̂/μ with variance ν, ν [B, Nt]).
    """
    mu, nu = linear_bias_variance(g_diag, noise_var, biased)
    if biased:
        x_re, x_im = x_re / mu, x_im / mu
    return gaussian_llr(x_re, x_im, nu, pts_re, pts_im, bits, method), nu


def real_dims_llr(x_r, mu, var, energy, pts_re, pts_im, bits, method: str = "maxlog") -> torch.Tensor:
    """Bias-corrected Gaussian LLRs on the real-valued equivalent x_r = [Re x; Im x].

    x_r, mu, var: [B, 2Nt]: estimate, bias and error variance of z = x_r/μ per real dimension;
    energy: [2Nt] symbol energy per real dimension (a dimension without energy, BPSK's imaginary
    half, carries no information and gets weight 0); pts_*: [M]; bits: bool[M, K] -> llr [B, Nt, K].
    """
    nt = x_r.shape[-1] // 2
    z = x_r / mu
    w = torch.where(energy > 0, 1.0 / (2.0 * var), torch.zeros_like(var))
    return weighted_llr(z[:, :nt], z[:, nt:], w[:, :nt], w[:, nt:], pts_re, pts_im, bits, method)


def symbols_from_llr(llr: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Hard decisions: bits = (LLR > 0), mapped MSB first.  llr [B, Nt, K] -> complex [B, Nt]."""
    k = llr.shape[-1]
    weights = 2 ** torch.arange(k - 1, -1, -1, device=llr.device)
    idx = ((llr > 0).long() * weights).sum(-1)
    return points[idx]
