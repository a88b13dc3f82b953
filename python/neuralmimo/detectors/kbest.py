# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""K-best (breadth-first, fixed-complexity) sphere decoding on the complex system.

QR: H P = Q R (thin, Q ∈ C^{Nr×Nt}, R upper triangular; needs Nr ≥ Nt) with a column
permutation P. Then ‖y − Hx‖² = ‖ỹ − R x̃‖² + ‖(I − QQᴴ) y‖², ỹ = Qᴴ y, x̃ = Pᵀ x, and the
second term does not depend on x, so it cancels in every LLR difference and is left out.
Layers are visited from the last row of R (layer Nt−1 of x̃) to the first; a path of depth d
fixes x̃_{Nt−d..Nt−1} and has the partial Euclidean distance
  PED = Σ_{i ≥ Nt−d} |ỹ_i − Σ_{j ≥ i} R_ij x̃_j|².
At each layer every kept path is extended by all M points and the K smallest PEDs are kept
(all of them while fewer than K exist). Everything is batched: paths are a tensor [B, K, depth].

ordering="sqrd" (default): the sorted QR decomposition of Wübben et al. ("Efficient algorithm for
decoding layered space-time codes", Electron. Lett. 2001): modified Gram-Schmidt that at step i
takes, among the remaining columns, the one with the smallest residual norm. So the weakest
streams sit in the top-left of R and are detected last; the layers detected first, where pruning
errors would propagate furthest, get the large |R_ii|.
The permutation is found with MGS and R itself comes from a Householder QR of the permuted H.
ordering="none": the natural order (stream Nt−1 detected first).

Outputs (from the final list of K full paths with metrics m = ‖ỹ − R x̃‖²):
  symbols  = the best path;
  estimate = the list posterior mean Σ_list softmax(−m/σ²) x (the ML posterior mean when the list
             is complete);
  llr      = max-log over the list: LLR_j = (min_{list: b_j=0} m − min_{list: b_j=1} m) / σ².
If no list entry has one of the two bit values, the bit gets the sign of the best path and the
magnitude max(llr_clip, (m_worst − m_best)/σ²): the missing counter-hypothesis is taken to be no
better than the worst path kept (a lower bound on the magnitude when the list is the true K best),
and at least llr_clip (default 20.0, i.e. P(error) ≈ 2e-9, large enough to keep these bits the most
reliable ones at low SNR, finite for decoders). With K ≥ M^Nt the list is complete and the LLRs
are exactly those of "ml-maxlog".
"""
from __future__ import annotations

import torch

from ..phy.demap import NOISE_VAR_FLOOR
from .base import Detector, DetectorOutput, constellation_tensors, positive_int

DEFAULT_K = 16
DEFAULT_LLR_CLIP = 20.0
ORDERINGS = ("sqrd", "none")

#: Elements of the [batch, K, M] expansion tensor per chunk of the batch.
_CHUNK_ELEMENTS = 1 << 22


def sorted_qr_order(h: torch.Tensor) -> torch.Tensor:
    """SQRD column order (Wübben et al. 2001) by modified Gram-Schmidt.  h [B, Nr, Nt] -> perm long [B, Nt].

    Column perm[:, i] of H becomes column i of H P: the smallest residual norm goes first.
    """
    b, _, nt = h.shape
    q = h.clone()
    perm = torch.arange(nt, device=h.device).expand(b, nt).clone()
    rows = torch.arange(b, device=h.device)
    for i in range(nt):
        norms = (q[:, :, i:].real ** 2 + q[:, :, i:].imag ** 2).sum(1)       # [B, Nt−i]
        k = torch.argmin(norms, dim=1) + i                                   # [B]
        swap = torch.arange(nt, device=h.device).expand(b, nt).clone()
        swap[rows, i] = k
        swap[rows, k] = i
        q = torch.gather(q, 2, swap.unsqueeze(1).expand_as(q))
        perm = torch.gather(perm, 1, swap)
        qi = q[:, :, i]
        nrm = (qi.real ** 2 + qi.imag ** 2).sum(1).sqrt().clamp_min(torch.finfo(qi.real.dtype).tiny)
        qi = qi / nrm.unsqueeze(-1).to(q.dtype)
        if i + 1 < nt:
            rest = q[:, :, i + 1:]
            proj = (qi.conj().unsqueeze(-1) * rest).sum(1, keepdim=True)     # [B, 1, Nt−i−1]
            q = torch.cat([q[:, :, :i], qi.unsqueeze(-1), rest - qi.unsqueeze(-1) * proj], dim=2)
    return perm


class KBest(Detector):
    """K-best sphere decoder with max-log list LLRs; see the module docstring.

    k: paths kept per layer (>= 1; default 16). llr_clip: minimum |LLR| for bits without a
    counter-hypothesis in the final list (> 0; default 20). ordering: "sqrd" (default) or "none".
    constellation: name or Constellation (required). Needs Nr >= Nt. estimate = the list posterior mean.
    Call, shapes, dtypes and LLR sign as Detector.
    """

    name = "kbest"
    repr_fields = ("k", "llr_clip", "ordering")
    allows_more_streams_than_antennas = False

    def __init__(self, constellation=None, k: int = DEFAULT_K, llr_clip: float = DEFAULT_LLR_CLIP,
                 ordering: str = "sqrd"):
        super().__init__(constellation)
        kk = positive_int("k", k)
        try:
            clip = float(llr_clip)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"llr_clip: expected a positive number, got {llr_clip!r}") from exc
        if not clip > 0.0:
            raise ValueError(f"llr_clip: expected a positive number, got {llr_clip!r}")
        if ordering not in ORDERINGS:
            raise ValueError(f"ordering: '{ordering}' is not one of {', '.join(ORDERINGS)}")
        self.k, self.llr_clip, self.ordering = kk, clip, ordering

    def _detect(self, y, h, nv):
        b = y.shape[0]
        nt = h.shape[-1]
        m = self.constellation.order
        if self.ordering == "sqrd":
            perm = sorted_qr_order(h)
            h = torch.gather(h, 2, perm.unsqueeze(1).expand_as(h))
        else:
            perm = torch.arange(nt, device=h.device).expand(b, nt)
        q, r = torch.linalg.qr(h, mode="reduced")                             # [B,Nr,Nt], [B,Nt,Nt]
        yt = (q.mH @ y.unsqueeze(-1)).squeeze(-1)                            # [B, Nt]
        chunk = max(1, _CHUNK_ELEMENTS // (min(self.k, m ** nt) * m * nt))
        parts = [self._search(yt[s:s + chunk], r[s:s + chunk]) for s in range(0, max(b, 1), chunk)]
        paths = torch.cat([p[0] for p in parts])                             # [B, L, Nt] point indices
        metric = torch.cat([p[1] for p in parts])                            # [B, L]
        # Back to the original stream order: x[perm[i]] = x̃[i].
        inv = torch.argsort(perm, dim=1)
        paths = torch.gather(paths, 2, inv.unsqueeze(1).expand_as(paths))
        return self._soft_output(paths, metric, nv)

    def _search(self, yt, r):
        """Breadth-first K-best search.  -> (paths long [b, L, Nt] in x̃ order, metrics [b, L])."""
        b, nt = yt.shape
        pts, _ = constellation_tensors(self.constellation, yt.real.dtype, yt.device)
        m = pts.shape[0]
        rows = torch.arange(b, device=yt.device)
        paths = torch.zeros(b, 1, 0, dtype=torch.long, device=yt.device)    # x̃ indices of layers i..Nt−1
        ped = torch.zeros(b, 1, dtype=yt.real.dtype, device=yt.device)
        for i in range(nt - 1, -1, -1):
            # Interference of the already detected layers j > i on row i.
            if paths.shape[2]:
                xs = pts[paths]                                               # [b, L, Nt−1−i]
                interf = (xs * r[:, i, i + 1:].unsqueeze(1)).sum(-1)         # [b, L]
            else:
                interf = torch.zeros(b, 1, dtype=yt.dtype, device=yt.device)
            bt = yt[:, i].unsqueeze(1) - interf                              # [b, L]
            d = bt.unsqueeze(-1) - r[:, i, i].reshape(b, 1, 1) * pts         # [b, L, M]
            cand = ped.unsqueeze(-1) + d.real ** 2 + d.imag ** 2             # [b, L, M]
            n_paths = paths.shape[1]
            cand = cand.reshape(b, n_paths * m)
            keep = min(self.k, n_paths * m)
            ped, sel = torch.topk(cand, keep, dim=1, largest=False, sorted=True)
            parent = torch.div(sel, m, rounding_mode="floor")
            sym = sel - parent * m
            paths = torch.cat([sym.unsqueeze(-1), paths[rows.unsqueeze(-1), parent]], dim=2)
        return paths, ped

    def _soft_output(self, paths, metric, nv):
        """paths long [B, L, Nt] (original order), metric [B, L] sorted ascending."""
        b, _, nt = paths.shape
        kb = self.constellation.bits_per_symbol
        pts, bits = constellation_tensors(self.constellation, nv.dtype, nv.device)
        inv_nv = 1.0 / nv.clamp_min(NOISE_VAR_FLOOR)
        met = metric * inv_nv.unsqueeze(-1)                                  # [B, L]
        pb = bits[paths].reshape(b, paths.shape[1], nt * kb)                 # bool [B, L, Nt·K]
        big = torch.full_like(met, float("inf")).unsqueeze(-1)
        mm = met.unsqueeze(-1)
        d1 = torch.where(pb, mm, big).amin(1)                                # [B, Nt·K]
        d0 = torch.where(pb, big, mm).amin(1)
        best_bit = pb[:, 0, :]
        spread = (met[:, -1] - met[:, 0]).unsqueeze(-1)
        mag = torch.maximum(spread, torch.full_like(spread, self.llr_clip))
        clipped = torch.where(best_bit, mag, -mag)
        llr = torch.where(torch.isfinite(d0) & torch.isfinite(d1), d0 - d1, clipped)
        llr = llr.reshape(b, nt, kb)
        x = pts[paths]                                                       # [B, L, Nt]
        post = torch.softmax(-met, dim=1).to(x.dtype)
        estimate = (post.unsqueeze(-1) * x).sum(1)
        return DetectorOutput(symbols=x[:, 0, :], llr=llr, estimate=estimate)
