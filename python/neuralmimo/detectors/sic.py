# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Successive interference cancellation: ordered MMSE-SIC and V-BLAST (ZF-SIC), and the QR-based
MMSE-SIC / ZF-SIC of EQ-Net with a random detection order (_QrSic, at the end).

At each of Nt stages, on the streams not yet detected: compute the linear
filter (LMMSE with σ²I for "mmse-sic", ZF for "vblast"), pick per item the
stream with the highest post-detection SINR, output its LLRs (Gaussian
max-log of the unbiased estimate, as the linear detectors), decide its symbol
from them, subtract H[:, t]·ŝ_t from y and drop the column. Ordering is per
item; everything stays batched (removed columns are zeroed and regularised).
"""
from __future__ import annotations

import numpy as np
import torch

from ..phy.demap import NOISE_VAR_FLOOR, bit_llr, gaussian_llr, linear_bias_variance, symbols_from_llr
from .base import Detector, DetectorOutput, constellation_tensors
from .conditioning import checked_inverse, singular_items


class _OrderedSic(Detector):
    """Shared part of MMSE-SIC and V-BLAST (module docstring); `mmse` picks the filter."""

    mmse = True

    def __init__(self, constellation=None, demapping: str = "maxlog"):
        super().__init__(constellation, demapping)

    def _detect(self, y, h, nv):
        b, nr = y.shape
        nt = h.shape[-1]
        k = self.constellation.bits_per_symbol
        pts, bits = constellation_tensors(self.constellation, nv.dtype, nv.device)
        eye = torch.eye(nt, dtype=h.dtype, device=h.device)
        rows = torch.arange(b, device=y.device)
        active = torch.ones(b, nt, dtype=torch.bool, device=y.device)
        y_res = y.clone()
        llr = torch.zeros(b, nt, k, dtype=nv.dtype, device=y.device)
        symbols = torch.zeros(b, nt, dtype=y.dtype, device=y.device)
        estimate = torch.zeros(b, nt, dtype=y.dtype, device=y.device)
        reg_noise = nv.to(h.dtype)[:, None, None] if self.mmse else 0.0
        for _ in range(nt):
            hm = h * active.unsqueeze(1)
            # Removed columns get a unit diagonal so the matrix stays invertible; they decouple.
            a = hm.mH @ hm + reg_noise * eye + torch.diag_embed((~active).to(h.dtype))
            # An item singular to working precision (V-BLAST: rank-deficient H) gets NaN here and
            # at every later stage, so the contract erases it; the others go on.
            g = checked_inverse(a)
            xhat = (g @ (hm.mH @ y_res.unsqueeze(-1))).squeeze(-1)
            gd = torch.diagonal(g, dim1=-2, dim2=-1).real
            mu, nu = linear_bias_variance(gd, nv, self.mmse)                    # [B, Nt] each
            score = torch.where(active, -nu, torch.full_like(nu, -float("inf")))
            t = torch.argmax(score, dim=-1)                                     # [B]
            # Only the chosen stream is demapped at this stage.
            z_t = xhat[rows, t] / mu[rows, t]
            l_t = gaussian_llr(z_t.real[:, None], z_t.imag[:, None], nu[rows, t][:, None],
                               pts.real, pts.imag, bits, self.demapping)[:, 0]  # [B, K]
            s_t = symbols_from_llr(l_t.unsqueeze(1), pts)[:, 0]
            llr[rows, t] = l_t
            symbols[rows, t] = s_t
            estimate[rows, t] = xhat[rows, t]
            y_res = y_res - h[rows, :, t] * s_t.unsqueeze(-1)
            active = active.clone()
            active[rows, t] = False
        return DetectorOutput(symbols=symbols, llr=llr, estimate=estimate)


class MmseSic(_OrderedSic):
    """Ordered MMSE successive interference cancellation; see the module docstring.

    Per stage: LMMSE filter on the remaining streams, detect the stream with the highest
    post-detection SINR (bias-corrected Gaussian LLRs, as Lmmse), subtract its decided symbol.
    constellation: name or Constellation (required); demapping: "maxlog" (default) or "app".
    estimate = each stream's LMMSE estimate at its stage; symbols from its LLRs.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "mmse-sic"
    mmse = True


class Vblast(_OrderedSic):
    """V-BLAST: ordered ZF-SIC (Wolniansky et al. 1998), largest post-detection SNR first.

    As MmseSic with the ZF filter (no bias correction); needs Nr >= Nt.
    constellation: name or Constellation (required); demapping: "maxlog" (default) or "app".
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "vblast"
    mmse = False
    allows_more_streams_than_antennas = False


#: Detection orders of the QR-based SIC detectors.
QR_ORDERS = ("random", "natural")
#: Scalar channel models of the QR-based MMSE-SIC (see _QrSic).
QR_SCALAR_MODELS = ("unbiased", "paper")


class _QrSic(Detector):
    """SIC by back-substitution on a QR decomposition with EQ-Net's random order (EQ-Net §2.1.2,
    eqs. 8-12; the paper cites its QR-based MMSE-SIC as ref. [39]; the augmented-QR form is that
    of Wübben et al., "MMSE extension of V-BLAST based on sorted QR decomposition", VTC 2003).

    Per item: permute the columns of H (detection order), factor H̄ = Q̄R̄ with
    H̄ = [H; σ I_Nt] (MMSE) or H̄ = H (ZF), ỹ = Q̄₁ᴴ y with Q̄₁ the first Nr rows of Q̄, then for
    i = Nt−1, ..., 0: ŷ_i = ỹ_i − Σ_{j>i} r_ij ŝ_j, demap stream i from the scalar model of ŷ_i,
    decide ŝ_i = the constellation point nearest under that model (the hard decision fed back).

    The augmentation is σ·I (the standard MMSE-SIC one), reading the paper's "σn2 INt" as σ_n·I:
    only then is R̄ᴴR̄ = HᴴH + σ²I, the LMMSE Gram matrix, and Q̄₁ᴴ the MMSE filter; σ²·I would
    regularise by σ⁴ and is not dimensionally a noise standard deviation.

    Scalar model of ŷ_i given correct earlier decisions. With Q̄ = [Q̄₁; Q̄₂], R̄ = Q̄₁ᴴH + σQ̄₂ᴴ
    and Q̄₂ = σR̄⁻¹, so ŷ_i = (r_ii − σ²/r_ii) x_i + (interference of the undetected streams j < i)
    + (Q̄₁ᴴn)_i; the last two have total variance σ²(1 − σ²/r_ii²).
    - "unbiased" (default): exactly those moments, i.e. z_i = ŷ_i/(μ_i r_ii), μ_i = 1 − σ²/r_ii²,
      error variance ν_i = σ²/(r_ii² − σ²), treated as circular Gaussian: the bias-corrected
      Gaussian LLRs of docs/conventions.md with G_ii = 1/r_ii². With one stream this is the
      exact posterior (ML LLRs with demapping="app").
    - "paper": eqs. (10)-(12) as written: ŷ_i = r_ii x_i + ñ_i with ñ_i of standard deviation
      σ‖Q̄₁[:, i]‖ (bias and undetected-stream interference ignored).
    For ZF-SIC the two coincide (Q̄₁ has orthonormal columns, no bias, no interference): ν = σ²/r_ii².
    The EQ-Net reference code has ZF-SIC only (natural order, exact sums over the constellation,
    a Gaussian of variance 2σ² where the complex noise has σ²); here the variance is σ².

    order: "random" (EQ-Net: a uniform permutation per channel use, from a torch generator seeded
    by `seed` and advanced by every call, so the detector is not deterministic) or "natural"
    (stream Nt−1 first, as eq. (11)). estimate = ŷ_i/r_ii (the biased MMSE estimate for MMSE-SIC);
    symbols = the decisions fed back. Items singular to working precision (R̄ᴴR̄ as in
    conditioning.py: ZF-SIC with a rank-deficient H) are erased.
    """

    mmse = True
    repr_fields = ("demapping", "order", "seed", "scalar_model")

    def __init__(self, constellation=None, demapping: str = "app", order: str = "random", seed: int = 0,
                 scalar_model: str = "unbiased"):
        super().__init__(constellation, demapping)
        if order not in QR_ORDERS:
            raise ValueError(f"order: '{order}' is not one of {', '.join(QR_ORDERS)}")
        if scalar_model not in QR_SCALAR_MODELS:
            raise ValueError(f"scalar_model: '{scalar_model}' is not one of {', '.join(QR_SCALAR_MODELS)}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
        self.order, self.seed, self.scalar_model = order, int(seed), scalar_model
        self.deterministic = order != "random"
        self._generator = torch.Generator().manual_seed(self.seed)

    def _orders(self, b: int, nt: int, device) -> torch.Tensor:
        """int64[B, Nt]: column k of the permuted H is stream perm[:, k]; detected last to first."""
        if self.order == "natural":
            return torch.arange(nt, device=device).expand(b, nt)
        # Drawn on the CPU generator whatever the device, so a seed gives the same orders everywhere.
        return torch.rand(b, nt, generator=self._generator, dtype=torch.float64).argsort(dim=1).to(device)

    def _detect(self, y, h, nv):
        b, nr = y.shape
        nt = h.shape[-1]
        k = self.constellation.bits_per_symbol
        pts, bits = constellation_tensors(self.constellation, nv.dtype, nv.device)
        one = bits.to(nv.dtype)                                                    # [M, K]
        perm = self._orders(b, nt, y.device)
        hp = torch.gather(h, 2, perm[:, None, :].expand(b, nr, nt))
        sigma = nv.sqrt()
        if self.mmse:
            eye = torch.eye(nt, dtype=h.dtype, device=h.device)
            hp = torch.cat([hp, sigma.to(h.dtype)[:, None, None] * eye], dim=1)    # [B, Nr+Nt, Nt]
        q, r = torch.linalg.qr(hp, mode="reduced")
        # Make diag(R) real and positive (LAPACK's may be negative): R ← D*R, Q ← QD, D = phase.
        d = torch.diagonal(r, dim1=-2, dim2=-1)
        mag = d.abs()
        phase = torch.where(mag > 0, d / torch.where(mag > 0, mag, torch.ones_like(mag)).to(d.dtype),
                            torch.ones_like(d))
        r = phase.conj().unsqueeze(-1) * r
        q = q * phase.unsqueeze(-2)
        # Singular to working precision: the Gram matrix R̄ᴴR̄ (= HᴴH + σ²I) and its inverse.
        r_inv = torch.linalg.solve_triangular(r, torch.eye(nt, dtype=r.dtype, device=r.device).expand_as(r),
                                              upper=True)
        bad = singular_items(r.mH @ r, r_inv @ r_inv.mH)
        q1 = q[:, :nr, :]
        yt = (q1.mH @ y.unsqueeze(-1)).squeeze(-1)                                 # [B, Nt]
        rd = torch.diagonal(r, dim1=-2, dim2=-1).real                              # [B, Nt] > 0
        col_norm2 = (q1.real ** 2 + q1.imag ** 2).sum(1)                           # ‖Q̄₁[:, i]‖² [B, Nt]
        llr_p = torch.zeros(b, nt, k, dtype=nv.dtype, device=y.device)
        est_p = torch.zeros(b, nt, dtype=y.dtype, device=y.device)
        dec_p = torch.zeros(b, nt, dtype=y.dtype, device=y.device)
        for i in range(nt - 1, -1, -1):
            yi = yt[:, i] - (r[:, i, i + 1:] * dec_p[:, i + 1:]).sum(-1)
            ri = rd[:, i]
            xhat = yi / ri
            if self.mmse and self.scalar_model == "unbiased":
                mu, nu = linear_bias_variance((1.0 / ri ** 2)[:, None], nv, True)
                z, nu = xhat / mu[:, 0], nu[:, 0]
            else:
                z, nu = xhat, (nv * col_norm2[:, i] / ri ** 2).clamp_min(NOISE_VAR_FLOOR)
            dist = ((z.real[:, None] - pts.real) ** 2 + (z.imag[:, None] - pts.imag) ** 2) / nu[:, None]  # [B, M]
            llr_p[:, i] = bit_llr(dist.unsqueeze(-1), one, -2, self.demapping)
            est_p[:, i] = xhat
            dec_p[:, i] = pts[torch.argmin(dist, dim=-1)]
        # Back to the streams' own order: permuted column c is stream perm[:, c].
        llr = torch.zeros_like(llr_p).scatter_(1, perm[:, :, None].expand(b, nt, k), llr_p)
        est = torch.zeros_like(est_p).scatter_(1, perm, est_p)
        sym = torch.zeros_like(dec_p).scatter_(1, perm, dec_p)
        nan = torch.tensor(float("nan"), dtype=nv.dtype, device=y.device)
        llr = torch.where(bad[:, None, None], nan, llr)
        return DetectorOutput(symbols=sym, llr=llr, estimate=est, erased=bad)


class MmseSicQr(_QrSic):
    """EQ-Net's MMSE-SIC soft bits: QR of [H; σI], random order, exact per-stream marginalisation.

    See _QrSic for the algorithm, the scalar model and the options (demapping "app" default,
    order "random" | "natural", seed, scalar_model "unbiased" | "paper"). Works for Nt > Nr too.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "mmse-sic-qr"
    mmse = True


class ZfSicQr(_QrSic):
    """ZF-SIC of EQ-Net: as MmseSicQr without the augmentation (QR of H itself); needs Nr >= Nt.

    Options as MmseSicQr (scalar_model has no effect: both models coincide for ZF).
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "zf-sic-qr"
    mmse = False
    allows_more_streams_than_antennas = False
