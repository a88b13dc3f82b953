# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Maximum-likelihood detection by enumeration of all M^Nt transmit vectors.

metric(x) = ‖y − Hx‖² / σ²  (uniform prior).
"ml":        exact LLRs, LLR_j = lse_{x: b_j=1}(−metric) − lse_{x: b_j=0}(−metric);
             estimate = posterior mean E[x | y].
"ml-maxlog": LLR_j = min_{x: b_j=0} metric − min_{x: b_j=1} metric.
symbols: the ML vector (argmin of the metric) in both cases.
"""
from __future__ import annotations

import itertools

import numpy as np
import torch

from ..phy.demap import NOISE_VAR_FLOOR, candidate_llr
from .base import Detector, DetectorOutput, constellation_tensors

#: Default refusal limit on M^Nt: 65536 candidates (e.g. 16QAM with 4 streams,
#: QPSK with 8). Raise it with max_candidates= if memory and time allow.
DEFAULT_MAX_CANDIDATES = 1 << 16

#: Elements of the [batch, Nr, candidates] residual tensor per chunk.
_CHUNK_ELEMENTS = 1 << 22


class MaximumLikelihood(Detector):
    """Exact ML by enumeration of all M^Nt candidate vectors, exact (log-sum-exp) LLRs.

    metric(x) = ‖y − Hx‖²/σ²; llr from the full posterior, symbols = argmin of the metric,
    estimate = posterior mean E[x | y]. constellation: name or Constellation (required);
    max_candidates: refuse systems with more than this many candidates (default 65536), since
    time and memory grow as M^Nt.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "ml"
    maxlog = False

    def __init__(self, constellation=None, max_candidates: int = DEFAULT_MAX_CANDIDATES):
        super().__init__(constellation)
        if int(max_candidates) < 1:
            raise ValueError(f"max_candidates: must be >= 1, got {max_candidates}")
        self.max_candidates = int(max_candidates)

    def _check_dims(self, nr, nt):
        count = self.constellation.order ** nt
        if count > self.max_candidates:
            raise ValueError(
                f"H: {self.name} would enumerate {self.constellation.order}^{nt} = {count} candidates, "
                f"above the limit max_candidates={self.max_candidates}; use fewer streams, a smaller "
                "constellation, or raise max_candidates")

    def _candidates(self, nt, dtype, device):
        """(vectors complex[C, Nt], bits bool[C, Nt·K]) in index order."""
        pts, bits = constellation_tensors(self.constellation, dtype, device)
        m = self.constellation.order
        idx = torch.as_tensor(np.array(list(itertools.product(range(m), repeat=nt))), device=device)
        return pts[idx], bits[idx].reshape(idx.shape[0], -1)

    def _detect(self, y, h, nv):
        b, nr = y.shape
        nt = h.shape[2]
        k = self.constellation.bits_per_symbol
        cand, cbits = self._candidates(nt, nv.dtype, nv.device)
        c = cand.shape[0]
        one = cbits.to(nv.dtype)                                    # [C, Nt·K]
        inv_nv = 1.0 / nv.clamp_min(NOISE_VAR_FLOOR)
        chunk = max(1, _CHUNK_ELEMENTS // (nr * c))
        llrs, syms, ests = [], [], []
        # range(0, max(b, 1)): an empty batch runs one empty chunk, so the outputs keep their shapes.
        for s in range(0, max(b, 1), chunk):
            hc, yc = h[s:s + chunk], y[s:s + chunk]
            r = yc.unsqueeze(-1) - hc @ cand.T                        # [b, Nr, C]
            metric = (r.real ** 2 + r.imag ** 2).sum(1) * inv_nv[s:s + chunk, None]   # [b, C]
            llrs.append(candidate_llr(metric, one, "maxlog" if self.maxlog else "app"))   # [b, Nt·K]
            syms.append(cand[torch.argmin(metric, dim=-1)])
            post = torch.softmax(-metric, dim=-1).to(cand.dtype)
            ests.append(post @ cand)
        llr = torch.cat(llrs).reshape(b, nt, k)
        return DetectorOutput(symbols=torch.cat(syms), llr=llr, estimate=torch.cat(ests))


class MaximumLikelihoodMaxlog(MaximumLikelihood):
    """ML with max-log LLRs: LLR_j = min_{x: b_j=0} metric − min_{x: b_j=1} metric.

    Same options, symbols and estimate as MaximumLikelihood; the LLRs are what a complete
    K-best list (K ≥ M^Nt) gives.
    """

    name = "ml-maxlog"
    maxlog = True
