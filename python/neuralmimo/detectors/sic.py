# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ordered successive interference cancellation: MMSE-SIC and V-BLAST (ZF-SIC).

At each of Nt stages, on the streams not yet detected: compute the linear
filter (LMMSE with σ²I for "mmse-sic", ZF for "vblast"), pick per item the
stream with the highest post-detection SINR, output its LLRs (Gaussian
max-log of the unbiased estimate, as the linear detectors), decide its symbol
from them, subtract H[:, t]·ŝ_t from y and drop the column. Ordering is per
item; everything stays batched (removed columns are zeroed and regularised).
"""
from __future__ import annotations

import torch

from ..phy.demap import gaussian_llr, linear_bias_variance, symbols_from_llr
from .base import Detector, DetectorOutput, constellation_tensors
from .conditioning import checked_inverse


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
