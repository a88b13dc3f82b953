# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Monte-Carlo SER/BER/NMSE/BMI versus SNR for any detectors on any channel model.

All detectors see the same samples (same H, x, noise) at each SNR point. Each
detector stops on its own once it has `target_errors` bit errors (from its LLRs,
or from the labels of its hard decisions when it has no LLRs) or `max_vectors` vectors; the
point ends when every detector has stopped. Seeded: the same config gives the
same numbers.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch

from ..phy.constellation import constellation as _lookup
from ..phy.snr import noise_var_from_snr
from .metrics import Counts


@dataclass
class EvalConfig:
    nt: int
    nr: int
    constellation: str
    snr_db: list
    convention: str = "rx"
    target_errors: int = 300
    max_vectors: int = 2_000_000
    batch: int = 4096
    seed: int = 1
    device: str = "cpu"
    csi_error_var: float | None = None

    def __post_init__(self):
        # A batch of 0 never reaches max_vectors (run_eval would loop without end); a negative
        # error variance would make the CSI noise complex.
        for key in ("nt", "nr", "target_errors", "max_vectors", "batch"):
            v = getattr(self, key)
            if not (isinstance(v, numbers.Real) and math.isfinite(v) and v == int(v) and v >= 1):
                raise ValueError(f"eval: {key} must be a whole number >= 1, got {v!r}")
        if len(self.snr_db) == 0 or not all(math.isfinite(float(s)) for s in self.snr_db):
            raise ValueError(f"eval: snr_db must be a non-empty list of finite values, got {self.snr_db!r}")
        v = self.csi_error_var
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise ValueError(f"eval: csi_error_var must be finite and >= 0, got {v!r}")


def _noise_var(snr_db, cfg: EvalConfig, h):
    """σ² per item [B] (per-sample conventions such as "detnet" use H)."""
    nv = noise_var_from_snr(snr_db, cfg.nt, cfg.nr, cfg.convention, H=h)
    nv = torch.as_tensor(nv, dtype=torch.float64, device=h.device)
    return nv.expand(h.shape[0]) if nv.ndim == 0 else nv


def _sample_channel(channel, b: int, gen, dev) -> torch.Tensor:
    """b channel matrices [b, Nr, Nt]. A frequency-selective model returns [draws, subcarriers, Nr, Nt]:
    each subcarrier is one resource element, so ceil(b / subcarriers) draws are flattened."""
    per_draw = int(getattr(channel, "n_subcarriers", 1))
    h = channel.sample(-(-b // per_draw), generator=gen, device=dev)
    if h.ndim == 4:
        h = h.reshape(-1, *h.shape[-2:])
    return h[:b]


def run_eval(detectors: dict, channel, cfg: EvalConfig, progress: bool = True) -> list[dict]:
    """detectors: {label: Detector}; channel: object with sample(batch, generator=, device=).
    Returns one row (dict) per (snr, detector)."""
    from tqdm.auto import tqdm

    const = _lookup(cfg.constellation)
    dev = torch.device(cfg.device)
    gen = torch.Generator(device=dev).manual_seed(int(cfg.seed))
    pts = torch.as_tensor(const.points.copy(), device=dev).to(torch.complex64)
    bits = torch.as_tensor(const.bits.astype(bool), device=dev)
    rows = []
    for snr in cfg.snr_db:
        counts = {name: Counts() for name in detectors}
        done = {name: False for name in detectors}
        bar = tqdm(total=int(cfg.max_vectors), desc=f"SNR {snr:g} dB", unit="vec", leave=False,
                   disable=not progress)
        vectors = 0
        while not all(done.values()):
            b = int(min(cfg.batch, cfg.max_vectors - vectors))
            h = _sample_channel(channel, b, gen, dev).to(torch.complex64)
            idx = torch.randint(0, const.order, (b, cfg.nt), generator=gen, device=dev)
            x = pts[idx]
            nv = _noise_var(snr, cfg, h)
            noise = torch.randn(b, cfg.nr, 2, generator=gen, device=dev, dtype=torch.float64)
            noise = torch.view_as_complex(noise * (nv[:, None, None] / 2).sqrt()).to(torch.complex64)
            y = (h @ x.unsqueeze(-1)).squeeze(-1) + noise
            h_det = h
            if cfg.csi_error_var:
                err = torch.randn(*h.shape, 2, generator=gen, device=dev) * (cfg.csi_error_var / 2) ** 0.5
                h_det = h + torch.view_as_complex(err)
            x_bits = bits[idx]
            for name, det in detectors.items():
                if done[name]:
                    continue
                out = det(y, h_det, nv.to(torch.float32))
                hard = None
                if out.llr is None:   # BER from the labels of the hard decisions
                    hard = bits[torch.argmin((out.symbols.unsqueeze(-1) - pts.to(out.symbols.dtype)).abs(), dim=-1)]
                counts[name].add(out, x.to(out.symbols.dtype), x_bits, hard)
            vectors += b
            bar.update(b)
            for name, c in counts.items():
                done[name] = done[name] or c.errors >= cfg.target_errors or vectors >= cfg.max_vectors
            bar.set_postfix(errors=min(c.errors for c in counts.values()))
        bar.close()
        for name, c in counts.items():
            rows.append({"detector": name, "snr_db": float(snr), **c.row()})
    return rows
