# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel models. Here: i.i.d. Rayleigh and AWGN (more models: PHY issue)."""
from __future__ import annotations

import numpy as np


def rayleigh(rng: np.random.Generator, batch: int, nr: int, nt: int,
             dtype=np.complex64) -> np.ndarray:
    """i.i.d. Rayleigh channel, entries CN(0, 1).  ->  complex[batch, nr, nt]."""
    scale = np.sqrt(0.5)
    h = rng.standard_normal((batch, nr, nt, 2)) * scale
    return (h[..., 0] + 1j * h[..., 1]).astype(dtype)


def complex_noise(rng: np.random.Generator, shape, noise_var, dtype=np.complex64) -> np.ndarray:
    """CN(0, σ²) samples; noise_var: scalar or array broadcastable to shape[:1]."""
    nv = np.asarray(noise_var, dtype=np.float64)
    if nv.ndim == 1:
        nv = nv.reshape(-1, *([1] * (len(shape) - 1)))
    n = rng.standard_normal((*shape, 2)) * np.sqrt(nv / 2.0)[..., None]
    return (n[..., 0] + 1j * n[..., 1]).astype(dtype)
