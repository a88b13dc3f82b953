# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HyperMIMO studies' trained detectors, one set per user drop D (the drop seed of the local
scattering channel "ls:spread=10,gain=1/nt,seed=D"), trained (or reused) under
runs/reproduce/hypermimo/<kind>_drop_D (papers/common.py), and the fixed-channel evaluation the
per-channel MMNet needs.

hypermimo   train/configs/hypermimo_12x6_qpsk.toml on drop D (one HyperMIMO per drop, reading HA10)
mmnet       train/configs/mmnet_12x6_qpsk.toml on drop D (offline MMNet-iid, 10 layers)
oampnet     train/configs/oampnet_64_qam16.toml as OAMPNet (variant "1": γ, θ per layer, as in the
            HyperMIMO paper's baseline), 10 layers, set to 12x6 QPSK on drop D with the HyperMIMO
            SNR convention and range; its short schedule (3 epochs of 100 steps, batch 500, lr 1e-2
            ×0.7 per epoch, loss bce) unchanged: two scalars per layer settle in a few hundred steps.

``train_steps`` (tiny runs: tests, smoke runs) replaces a schedule by one epoch of that many steps
and names the run <kind>_drop_D_steps<N>, so that a tiny run is never reused as the full one.
"""
from __future__ import annotations

import time
from pathlib import Path

import torch

from .common import train_or_reuse

NT, NR, CONST, CONV = 6, 12, "qpsk", "hypermimo"
#: the training SNR range of the HyperMIMO configs (their header: the paper's [0, 10] dB on the
#: gain-1 reading of HA1 is [7.78, 17.78] dB in our convention)
TRAIN_SNR = [7.78, 17.78]
CONFIGS = {"hypermimo": "hypermimo_12x6_qpsk.toml", "mmnet": "mmnet_12x6_qpsk.toml",
           "oampnet": "oampnet_64_qam16.toml"}


def channel_spec(drop: int) -> str:
    return f"ls:spread=10,gain=1/nt,seed={int(drop)}"


def overrides(kind: str, drop: int, train_steps: int | None = None) -> dict:
    """Overrides of CONFIGS[kind] for drop ``drop`` (module docstring)."""
    o: dict = {"data.channel": channel_spec(drop)}
    if kind == "oampnet":
        o.update({"model.variant": "1", "model.layers": 10, "data.nt": NT, "data.nr": NR,
                  "data.constellation": CONST, "data.snr_convention": CONV, "schedule.snr_db": TRAIN_SNR})
    elif kind not in CONFIGS:
        raise KeyError(f"{kind!r} is not one of {', '.join(CONFIGS)}")
    if train_steps is not None:
        o.update({"train.steps_per_epoch": int(train_steps), "schedule.max_epochs": 1, "schedule.patience": 1,
                  "train.validation_vectors": 500})
    return o


def run_name(kind: str, drop: int, train_steps: int | None = None) -> str:
    tail = "" if train_steps is None else f"_steps{int(train_steps)}"
    return f"hypermimo/{kind}_drop_{int(drop)}{tail}"


def checkpoint(kind: str, drop: int, progress: bool, retrain: bool = False, train_steps: int | None = None) -> Path:
    """runs/reproduce/hypermimo/<kind>_drop_<drop>[_steps<N>]/final.pt, trained when missing."""
    return train_or_reuse(run_name(kind, drop, train_steps), CONFIGS[kind], overrides(kind, drop, train_steps),
                          progress, retrain)


def _candidates(pts: torch.Tensor, n: int) -> torch.Tensor:
    """Every vector of ``n`` constellation points: index [M^n, n] (first user most significant)."""
    m = len(pts)
    k = torch.arange(m ** n)
    return torch.stack([(k // m ** (n - 1 - u)) % m for u in range(n)], -1)


def ml_indices(y: torch.Tensor, h: torch.Tensor, pts: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
    """Exact ML on one fixed channel: y [V, Nr], h [Nr, Nt] -> the argmin of ‖y − Hx‖² over all
    candidates, as constellation indices [V, Nt] (4^6 = 4096 candidates, one matrix product)."""
    hx = h.to(torch.complex128) @ pts.to(torch.complex128)[cand].T                 # [Nr, K]
    metric = (hx.abs() ** 2).sum(0) - 2 * (y.to(torch.complex128).conj() @ hx).real   # ‖y‖² dropped
    return cand[metric.argmin(-1)]


def nearest(symbols: torch.Tensor, pts: torch.Tensor) -> torch.Tensor:
    return (symbols.unsqueeze(-1) - pts.to(symbols.dtype)).abs().argmin(-1)


def fixed_channel_errors(dets: dict, online, h: torch.Tensor, snrs, vectors: int, seed: int,
                         with_ml: bool = True) -> list[dict]:
    """Symbol errors of every detector on the same fixed channels h [C, Nr, Nt]: per SNR,
    ``vectors`` random QPSK vectors and noise per channel (σ² = 1/SNR, "hypermimo"). dets:
    {label: Detector}; online: {label: OnlineMmNet on these channels}; with_ml: add "ml" (exact).
    -> rows {detector, snr_db, symbol_errors, symbols, ser}."""
    from ..phy.constellation import constellation
    from ..phy.snr import noise_var_from_snr

    c, nr, nt = h.shape
    gen = torch.Generator().manual_seed(int(seed))
    pts = torch.as_tensor(constellation(CONST).points.copy()).to(torch.complex64)
    cand = _candidates(pts, nt) if with_ml else None
    h = h.to(torch.complex64)
    rows = []
    for snr in snrs:
        idx = torch.randint(0, len(pts), (c, vectors, nt), generator=gen)
        x = pts[idx]
        nv = float(noise_var_from_snr(float(snr), nt, nr, CONV))
        noise = torch.complex(torch.randn(c, vectors, nr, generator=gen), torch.randn(c, vectors, nr, generator=gen))
        y = torch.einsum("cmn,cvn->cvm", h, x) + noise * (nv / 2) ** 0.5
        found = {}
        flat_h = h.unsqueeze(1).expand(c, vectors, nr, nt).reshape(c * vectors, nr, nt)
        nv_flat = torch.full((c * vectors,), nv)
        for name, det in dets.items():
            found[name] = nearest(det(y.reshape(-1, nr), flat_h, nv_flat).symbols, pts).reshape(c, vectors, nt)
        for name, net in online.items():
            est, _ = net.detect(y, torch.full((c, vectors), nv))
            found[name] = nearest(est, pts)
        if with_ml:
            found["ml"] = torch.stack([ml_indices(y[i], h[i], pts, cand) for i in range(c)])
        for name, got in found.items():
            e = int((got != idx).sum())
            rows.append({"detector": name, "snr_db": float(snr), "symbol_errors": e, "symbols": idx.numel(),
                         "ser": e / idx.numel()})
    return rows


def train_online(h: torch.Tensor, steps: int, batch: int, snr_db, lr: float, seed: int, layers: int = 10):
    """[8]'s MMNet trained on each channel of h [C, Nr, Nt] -> (OnlineMmNet, CPU seconds in all)."""
    from ..models.mmnet import OnlineMmNet
    from ..phy.constellation import constellation

    net = OnlineMmNet(h, constellation(CONST), layers=layers)
    t0 = time.process_time()
    if steps > 0:
        with torch.enable_grad():
            net.fit(steps=steps, batch=batch, snr_db=tuple(snr_db), lr=lr, snr_convention=CONV,
                    generator=torch.Generator().manual_seed(int(seed)))
    return net, time.process_time() - t0


def mean_over_drops(rows: list[dict], drops: int) -> list[dict]:
    """Per-drop rows {detector, snr_db, drop, symbol_errors, symbols, ser} -> one row per
    (detector, snr_db): ser = the mean of the drops' SERs (each drop weighs the same), the counts
    summed; in the eval.write_csv / plot_rows layout."""
    acc: dict = {}
    for r in rows:
        a = acc.setdefault((r["detector"], r["snr_db"]), {"symbol_errors": 0, "symbols": 0, "ser": 0.0})
        a["symbol_errors"] += r["symbol_errors"]
        a["symbols"] += r["symbols"]
        a["ser"] += r["ser"] / drops
    nan = float("nan")
    return [{"detector": d, "snr_db": s, "vectors": a["symbols"] // NT, "bits": "", "bit_errors": "", "ber": nan,
             "symbols": a["symbols"], "symbol_errors": a["symbol_errors"], "ser": a["ser"], "nmse": nan,
             "nmse_db": nan, "bmi": nan} for (d, s), a in acc.items()]
