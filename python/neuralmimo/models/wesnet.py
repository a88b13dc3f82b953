# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WeSNet family: DetNet with weight-scaling profiles, kept percentages, a log-L1 layer penalty
and learnable profiles (WeSNet paper Sections III-IV; docs/papers.md, "WeSNet").

One family ("wesnet"); the variants are settings of it:

    DetNet          profile = "none", keep = 1                      (β ≡ 1, the paper's baseline)
    WeSNet-L-p%     profile = "linear", keep = p                    eq. (23)
    WeSNet-HF-p%    profile = "half_exp", keep = p                  eq. (24)
    R-WeSNet        penalty = λ > 0 (eq. 29 from layer penalty_start), then remove_layers = k
    L-WeSNet        learned_profile = true (β trained, initialised from the named profile)

The layer is DetNet's (detnet.py). Readings of the paper's open points (docs/papers.md):

* Profiles (eqs. 22-26). β_in (eq. 25) spans the 3n + A inputs of the input sublayer,
  β_aux (eq. 26) the hidden units feeding the auxiliary sublayer; the detection sublayer is not
  scaled. The half-exponential profile is used as printed, β_i = 1 for i ≤ N/2 and
  exp(N/2 − i − 1) beyond: the half-exp profile of incomplete dot products ([39]), a soft cut at
  N/2 (e⁻², e⁻³, ...), not an extraction error.
* Kept percentage p (WA5): the input sublayer keeps its first ⌈p·M⌉ hidden units (M = 8n); the
  rest do not exist, so W1's rows and W2's and W3's columns go with them, and β_aux is the first
  ⌈p·M⌉ coefficients of the profile over M. This is what Table II's cost formula scales by β
  (β·Nt(128Nt + 5): the 8Nt-wide hidden layer). ``mask = true`` keeps all M units and zeroes the
  dropped ones instead (the same function; the tests compare the two).
* Real pruning (export_mode): β is folded into W1 and W3; an input column whose largest scaled
  weight is at most prune_tol (2⁻²⁴, half a float32 ulp) times the sublayer's largest is dropped
  from the end of each profile (profiles are non-increasing, so the dropped inputs are a
  suffix and the graph slices instead of gathering); auxiliary units no layer reads any more are
  removed, and with them the auxiliary sublayer when none is left.
* R-WeSNet (WA7, WA16): f = Σ_{r=l}^{L} log(1 + (r − 1)·‖β_r W̃_r‖₁), ‖β_r W̃_r‖₁ the L1 norm of
  the scaled weights of the layer's three sublayers (eq. 30). λ (``penalty``) and l
  (``penalty_start``) are config. ``remove_layers = k`` removes the k layers from l on whose
  norm is smallest; a removed layer passes (s, a) through unchanged.
* L-WeSNet (WA17): β_i = exp(−Σ_{k≤i} softplus(θ_k)) per layer and sublayer, non-increasing
  and in (0, 1] by construction, with θ initialised to reproduce the named profile.
"""
from __future__ import annotations

import torch
from torch import nn

from ..phy.demap import bit_llr
from .base import TrainableDetector
from .detnet import (_PROB_FLOOR, _SIGN_MARGIN, CompactLayer, DetNetLayer, compact_step, layer_step,
                     pam_levels, real_unknowns, soft_sign, to_contract, zf_solution)
from .profiles import PROFILES, LearnedProfile, kept_units, profile_coefficients, suffix_start

HEADS = ("auto", "sign", "onehot")
#: Default pruning tolerance: half a float32 ulp of the sublayer's largest scaled weight.
PRUNE_TOL = 2.0 ** -24


class WeSNet(TrainableDetector):
    """forward(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B])
    -> (llr float32[B,Nt,K], estimate float32[B,Nt,2]); noise_var is not used (module docstring)."""

    family = "wesnet"
    paper = "wesnet"
    outputs = ("llr", "estimate")
    parameter_groups = ("all", "last", "profile")
    settable = ("remove_layers", "removed_layers")

    def __init__(self, nt: int, nr: int, constellation: str, layers: int | None = None,
                 hidden: int | None = None, aux: int | None = None, residual: float = 0.9,
                 head: str = "auto", profile: str = "none", keep: float = 1.0,
                 learned_profile: bool = False, mask: bool = False, penalty: float = 0.0,
                 penalty_start: int = 1, removed_layers=(), prune_tol: float = PRUNE_TOL):
        super().__init__(nt, nr, constellation)
        self.real = bool(self.constellation.is_real)
        self.n = n = self.nt if self.real else 2 * self.nt
        self.n_layers = self._int("layers", 3 * self.nt if layers is None else layers, 1)
        self.hidden = self._int("hidden", 8 * n if hidden is None else hidden, 1)
        self.aux = self._int("aux", 2 * n if aux is None else aux, 0)
        if isinstance(residual, bool) or not isinstance(residual, (int, float)) or not 0 <= residual < 1:
            raise ValueError(f"residual: {residual!r} is not a number in [0, 1)")
        self.residual = float(residual)
        if head not in HEADS:
            raise ValueError(f"head: {head!r} is not one of {', '.join(HEADS)}")
        self.head = ("sign" if self.real else "onehot") if head == "auto" else head
        if self.head == "sign" and not self.real:
            raise ValueError(f"head: 'sign' is for BPSK only, not {self.constellation.name} (use onehot)")
        if profile not in PROFILES:
            raise ValueError(f"profile: {profile!r} is not one of {', '.join(PROFILES)}")
        self.profile = profile
        if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0 < keep <= 1:
            raise ValueError(f"keep: {keep!r} is not a fraction in (0, 1]")
        self.keep = float(keep)
        self.learned_profile, self.mask = bool(learned_profile), bool(mask)
        if self.learned_profile and profile == "none":
            raise ValueError("learned_profile: needs profile = linear or half_exp to start from")
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not penalty >= 0:
            raise ValueError(f"penalty: {penalty!r} is not a number >= 0")
        self.penalty = float(penalty)
        self.penalty_start = self._int("penalty_start", penalty_start, 1)
        if self.penalty_start > self.n_layers:
            raise ValueError(f"penalty_start: {penalty_start} is beyond the {self.n_layers} layers")
        if isinstance(prune_tol, bool) or not isinstance(prune_tol, (int, float)) or not 0 <= prune_tol < 1:
            raise ValueError(f"prune_tol: {prune_tol!r} is not a number in [0, 1)")
        self.prune_tol = float(prune_tol)

        self.units = kept_units(self.keep, self.hidden)            # hidden units that exist
        width = self.hidden if self.mask else self.units
        levels = pam_levels(self.constellation)
        self.n_levels = len(levels)
        out = n if self.head == "sign" else n * self.n_levels
        n_in = 3 * n + self.aux
        self.layers = nn.ModuleList([DetNetLayer(n_in, width, self.aux, out, self.head == "sign")
                                     for _ in range(self.n_layers)])
        self.register_buffer("hidden_mask", (torch.arange(width) < self.units).float() if self.mask else None)
        self.profiles = None
        if profile != "none":
            b_in = profile_coefficients(profile, n_in).float()
            b_aux = profile_coefficients(profile, self.hidden)[:width].float()
            if self.learned_profile:
                self.profiles = nn.ModuleList([nn.ModuleList([LearnedProfile(b_in), LearnedProfile(b_aux)])
                                               for _ in range(self.n_layers)])
            else:
                self.register_buffer("beta_in", b_in)
                self.register_buffer("beta_aux", b_aux)
        self.register_buffer("levels", torch.tensor(levels))
        idx = {v: i for i, v in enumerate(levels)}
        pts = self.constellation.points
        self.register_buffer("idx_re", torch.tensor([idx[round(float(p), 6)] for p in pts.real]))
        self.register_buffer("idx_im", torch.tensor([idx.get(round(float(p), 6), 0) for p in pts.imag]))
        self.register_constellation_buffers()
        self.removed_layers = self._check_removed(removed_layers)
        self._compact = None

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _int(name, value, minimum):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}: {value!r} is not an integer >= {minimum}")
        return int(value)

    def _check_removed(self, removed) -> list:
        if not isinstance(removed, (list, tuple)):
            raise ValueError(f"removed_layers: {removed!r} is not a list of layer numbers")
        out = sorted({self._int("removed_layers entry", r, 1) for r in removed})
        if out and out[-1] > self.n_layers:
            raise ValueError(f"removed_layers: layer {out[-1]} is beyond the {self.n_layers} layers")
        if len(out) >= self.n_layers:
            raise ValueError("removed_layers: at least one layer must stay")
        return out

    # ------------------------------------------------------------------ interface
    def config(self) -> dict:
        return {**super().config(), "layers": self.n_layers, "hidden": self.hidden, "aux": self.aux,
                "residual": self.residual, "head": self.head, "profile": self.profile, "keep": self.keep,
                "learned_profile": self.learned_profile, "mask": self.mask, "penalty": self.penalty,
                "penalty_start": self.penalty_start, "removed_layers": list(self.removed_layers),
                "prune_tol": self.prune_tol}

    def variant(self) -> str:
        """The paper's name for this configuration, e.g. DetNet, WeSNet-HF-50%, R-WeSNet-HF-50%-10L."""
        if self.profile == "none":
            name = "DetNet"
        else:
            name = f"WeSNet-{'L' if self.profile == 'linear' else 'HF'}-{round(100 * self.keep)}%"
            name = ("L-" if self.learned_profile else "") + name
        if self.penalty > 0:
            name = "R-" + name
        return name + (f"-{len(self.removed_layers)}L" if self.removed_layers else "")

    def manifest_extra(self) -> dict:
        return {"variant": self.variant(), "removed_layers": list(self.removed_layers),
                "hidden_units": self.units}

    def layer_parameters(self, index: int) -> list:
        params = super().layer_parameters(index)
        if self.profiles is not None:
            params += list(self.profiles[index].parameters())
        return params

    def parameter_group(self, name: str) -> list:
        if name == "profile":
            if self.profiles is None:
                raise ValueError("parameter_group: 'profile' needs learned_profile = true")
            return list(self.profiles.parameters())
        return super().parameter_group(name)

    def apply_settings(self, **settings) -> None:
        for key, value in settings.items():
            if key == "removed_layers":
                self.removed_layers = self._check_removed(value)
            elif key == "remove_layers":
                self.removed_layers = self._check_removed(self.weakest_layers(self._int(key, value, 0)))
            else:
                raise ValueError(f"settings: unknown key '{key}' for family 'wesnet' "
                                 f"(allowed: {', '.join(self.settable)})")
        self._compact = None

    # ------------------------------------------------------------------ profiles and norms
    def betas(self, index: int):
        """(β_in [3n + A] or None, β_aux [hidden width] or None) of layer ``index`` (0-based)."""
        if self.profile == "none":
            return None, None
        if self.profiles is not None:
            return self.profiles[index][0](), self.profiles[index][1]()
        return self.beta_in, self.beta_aux

    def layer_norms(self) -> torch.Tensor:
        """‖β_r W̃_r‖₁ per layer [L] (eq. 30)."""
        return torch.stack([layer.l1_norm(*self.betas(r)) for r, layer in enumerate(self.layers)])

    def penalty_term(self) -> torch.Tensor:
        """λ Σ_{r=l}^{L} log(1 + (r − 1)‖β_r W̃_r‖₁) (eq. 29), r 1-based."""
        norms = self.layer_norms()[self.penalty_start - 1:]
        r = torch.arange(self.penalty_start, self.n_layers + 1, dtype=norms.dtype, device=norms.device)
        return self.penalty * torch.log1p((r - 1) * norms).sum()

    def weakest_layers(self, k: int) -> list:
        """The k layers (1-based) from penalty_start on with the smallest ‖β_r W̃_r‖₁."""
        with torch.no_grad():
            norms = self.layer_norms()
        candidates = list(range(self.penalty_start, self.n_layers + 1))
        if k > len(candidates) - (1 if self.penalty_start == 1 else 0):
            raise ValueError(f"remove_layers: {k} is more than the {len(candidates)} layers from "
                             f"penalty_start = {self.penalty_start} on, with one layer kept")
        return sorted(sorted(candidates, key=lambda r: float(norms[r - 1]))[:k])

    # ------------------------------------------------------------------ export
    def export_mode(self, on: bool = True) -> "WeSNet":
        """Fold the profiles into the weights and remove what they drop (module docstring)."""
        self._compact = self._build_compact() if on else None
        return self

    @torch.no_grad()
    def _build_compact(self) -> nn.ModuleList:
        n, tol = self.n, self.prune_tol
        kept = [r for r in range(self.active_layers) if r + 1 not in self.removed_layers]
        parts = []
        for r in kept:
            layer = self.layers[r]
            b_in, b_aux = self.betas(r)
            u = self.units
            w1 = (layer.lin1.weight if b_in is None else layer.lin1.weight * b_in)[:u]
            w3 = None
            if layer.lin3 is not None:
                w3 = (layer.lin3.weight if b_aux is None else layer.lin3.weight * b_aux)[:, :u]
            parts.append([w1, layer.lin1.bias[:u], layer.lin2.weight[:, :u], layer.lin2.bias, w3,
                          None if w3 is None else layer.lin3.bias, layer.t, suffix_start(w1, tol)])
        # auxiliary units that some layer still reads
        aux = max([0] + [min(max(p[7] - 3 * n, 0), self.aux) for p in parts])
        compact, hty_w, hty_b = [], [], []
        for w1, b1, w2, b2, w3, b3, t, k_in in parts:
            w1 = w1[:, : min(k_in, 3 * n + aux)]
            if aux == 0 or w3 is None:
                w3 = b3 = None
                k_aux = 0
            else:
                w3, b3 = w3[:aux], b3[:aux]
                k_aux = max(suffix_start(w3, tol), 1)
                w3 = w3[:, :k_aux]
            head = torch.zeros(w1.shape[0], n, dtype=w1.dtype)   # the Hᵀy block, zero-padded if cut
            head[:, : min(n, w1.shape[1])] = w1[:, :n]
            hty_w.append(head)
            hty_b.append(b1)
            compact.append(CompactLayer(w1, b1, w2, b2, w3, b3, t, n, k_aux))
        self._aux_width = aux
        # every layer's W1_hty·Hᵀy + b1 in one product: [n, Σ hidden] and [Σ hidden]
        self.register_buffer("_hty_w", torch.cat(hty_w).t().contiguous() if hty_w else None, persistent=False)
        self.register_buffer("_hty_b", torch.cat(hty_b) if hty_b else None, persistent=False)
        return nn.ModuleList(compact)

    # ------------------------------------------------------------------ forward
    def _run(self, y, h, collect: bool):
        hty, gram = real_unknowns(y, h, self.real)
        b, n, alpha = hty.shape[0], self.n, self.residual
        compact = self._compact is not None
        aux = self._aux_width if compact else self.aux
        s = hty.new_zeros(b, n)
        p = hty.new_zeros(b, n, self.n_levels) if self.head == "onehot" else None
        a = hty.new_zeros(b, aux) if aux > 0 else None
        if compact:
            steps = list(self._compact)
            hty_terms = torch.split(hty @ self._hty_w + self._hty_b, [c.hidden for c in steps], dim=-1)
        else:
            steps = [r for r in range(self.active_layers) if r + 1 not in self.removed_layers]
        per_layer = []
        for i, step in enumerate(steps):
            hths = (gram @ s.unsqueeze(-1)).squeeze(-1)
            if compact:
                out, a_new = compact_step(step, hty_terms[i], hths, s, a)
                t = step.t
            else:
                x = torch.cat([hty, hths, s] + ([a] if a is not None else []), dim=-1)
                out, a_new = layer_step(self.layers[step], x, *self.betas(step), self.hidden_mask)
                t = self.layers[step].t
            if self.head == "sign":
                s = (1 - alpha) * soft_sign(out, t) + alpha * s
            else:
                p = (1 - alpha) * torch.softmax(out.reshape(b, n, self.n_levels), -1) + alpha * p
                s = (p @ self.levels) / p.sum(-1).clamp_min(_PROB_FLOOR)
            if a_new is not None:
                a = (1 - alpha) * a_new + alpha * a
            if collect:
                per_layer.append((s, None if p is None else p / p.sum(-1, keepdim=True).clamp_min(_PROB_FLOOR)))
        return hty, gram, s, p, per_layer

    def _llr(self, s, p):
        if self.head == "sign":
            sc = s.clamp(-1 + _SIGN_MARGIN, 1 - _SIGN_MARGIN)
            return torch.log((1 - sc) / (1 + sc)).unsqueeze(-1)
        q = p / p.sum(-1, keepdim=True).clamp_min(_PROB_FLOOR)
        logq = torch.log(q.clamp_min(_PROB_FLOOR))
        nt = self.nt
        logp = logq[:, :nt][..., self.idx_re]                                     # [B, Nt, M]
        if not self.real:
            logp = logp + logq[:, nt:][..., self.idx_im]
        return bit_llr(-logp.unsqueeze(-1), self.bits.to(logp.dtype), -2, "app")

    def forward(self, y, h, noise_var):
        _, _, s, p, _ = self._run(y, h, collect=False)
        return self._llr(s, p), to_contract(s, self.nt)

    def forward_train(self, y, h, noise_var) -> dict:
        """Besides llr and estimate: layer_estimates [R,B,Nt,2], zf_estimate [B,Nt,2], for the one-hot
        head layer_probs [R,B,n,P] and pam_levels [P], and penalty (eq. 29) when λ > 0."""
        hty, gram, s, p, per_layer = self._run(y, h, collect=True)
        out = {"llr": self._llr(s, p), "estimate": to_contract(s, self.nt),
               "layer_estimates": torch.stack([to_contract(sr, self.nt) for sr, _ in per_layer]),
               "zf_estimate": to_contract(zf_solution(hty, gram), self.nt)}
        if self.head == "onehot":
            out["layer_probs"] = torch.stack([pr for _, pr in per_layer])
            out["pam_levels"] = self.levels
        if self.penalty > 0:
            out["penalty"] = self.penalty_term()
        return out


__all__ = ["WeSNet", "HEADS", "PRUNE_TOL"]
