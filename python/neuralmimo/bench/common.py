# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmarks share: random systems, the batched numpy LMMSE reference, a timing loop."""
from __future__ import annotations

import time

import numpy as np


def make_system(rng: np.random.Generator, nt: int, nr: int, const: str, items: int, hold: int,
                noise_var: float, order: str = "held"):
    """Random system with i.i.d. CN(0, 1) channels, a new H every ``hold`` items (order "held"), or
    each channel on `hold` items in an OFDM frame's order (order "ofdm": 48 carriers, a carrier's H
    every 48 items, ofdm_order): y complex64[items, Nr], h complex64[items, Nr, Nt], nv float32[items]
    (all = noise_var)."""
    from ..phy.channels import RayleighChannel, complex_noise
    from ..phy.constellation import constellation

    c = constellation(const)
    hs = RayleighChannel(nr, nt).sample_numpy(-(-items // hold) + (48 if order == "ofdm" else 0), rng)
    h = ofdm_order(hs, items, symbols=hold) if order == "ofdm" else np.repeat(hs, hold, axis=0)[:items]
    x = c.points[rng.integers(0, c.order, (items, nt))]
    nv = np.full(items, noise_var, dtype=np.float32)
    y = (np.einsum("brt,bt->br", h, x) + complex_noise(rng, (items, nr), nv)).astype(np.complex64)
    return y, h, nv


def ofdm_order(h_channels: np.ndarray, items: int, carriers: int = 48, symbols: int = 12) -> np.ndarray:
    """Channels in an OFDM frame's order: frame f's carrier k has channel h_channels[f·carriers + k]
    at items f·carriers·symbols + s·carriers + k for its `symbols` data symbols (each carrier's H
    recurs every `carriers` items). h_channels: [>= frames·carriers, ...] -> [items, ...]."""
    per_frame = carriers * symbols
    frames = -(-items // per_frame)
    idx = (np.arange(frames)[:, None, None] * carriers + np.arange(carriers)[None, None, :]
           + np.zeros((1, symbols, 1), int)).reshape(-1)[:items]
    return h_channels[idx]


def numpy_lmmse(y, h, nv, points, bits):
    """Batched numpy LMMSE with max-log LLRs (the reference the C++ blocks should beat).

    y complex64[B, Nr], h complex64[B, Nr, Nt], nv float32[B], points complex64[M], bits bool[M, K]
    -> LLRs float32[B, Nt, K] (positive: bit 1).
    """
    nt = h.shape[-1]
    hh = np.conj(np.swapaxes(h, 1, 2))
    g = np.linalg.inv(hh @ h + nv[:, None, None] * np.eye(nt, dtype=np.complex64))
    xhat = (g @ (hh @ y[..., None]))[..., 0]
    gd = np.real(np.diagonal(g, axis1=1, axis2=2))
    mu = 1 - nv[:, None] * gd
    nu = nv[:, None] * gd / mu
    d = np.abs((xhat / mu)[..., None] - points) ** 2                     # [B, Nt, M]
    big = np.float32(1e30)
    d1 = np.min(d[..., None] + (~bits) * big, axis=2)
    d0 = np.min(d[..., None] + bits * big, axis=2)
    return (d0 - d1) / nu[..., None]


def rate(fn, items: int, min_time: float = 1.0) -> float:
    """Items per second of fn() (which processes `items`), repeated for at least min_time."""
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n * items / dt
