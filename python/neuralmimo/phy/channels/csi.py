# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imperfect channel state information: H_est = H + E with Gaussian E (RE-MIMO eq. 27-28, EQ-Net Fig. 4)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from .common import complex_normal

__all__ = ["imperfect_csi", "csi_error_var", "imperfect_csi_snr"]


def imperfect_csi(h, error_var, generator: Optional[torch.Generator] = None):
    """Channel estimate with additive Gaussian error: H_est = H + E, E i.i.d. CN(0, error_var).

    RE-MIMO eq. (27) H* = H + W, w_ij ~ CN(0, σ_w²) (Sec. V-C);
    EQ-Net Ĥ = H + N, N ~ CN(0, σ_CSI² I) (the CSI impairment behind EQ-Net Fig. 4).
    h: complex[B, Nr, Nt] (or any shape) torch or numpy; error_var: scalar or
    [B] (one variance per batch element)  ->  same type, shape, dtype, device.
    """
    is_np = isinstance(h, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(h)) if is_np else h
    if not isinstance(t, torch.Tensor) or not t.is_complex():
        raise ValueError(f"H: expected a complex tensor/array, got {type(h).__name__} "
                         f"{getattr(h, 'dtype', '')}")
    ev = torch.as_tensor(np.asarray(error_var) if not isinstance(error_var, torch.Tensor) else error_var,
                         dtype=torch.float64)
    if torch.any(ev < 0) or not torch.all(torch.isfinite(ev)):
        raise ValueError(f"error_var: must be finite and >= 0, got {error_var!r}")
    if ev.ndim == 1:
        if t.ndim < 1 or ev.shape[0] != t.shape[0]:
            raise ValueError(f"error_var: shape {tuple(ev.shape)} does not match H batch {tuple(t.shape)[:1]}")
        ev = ev.reshape(-1, *([1] * (t.ndim - 1)))
    elif ev.ndim > 1:
        raise ValueError(f"error_var: expected a scalar or [B], got shape {tuple(ev.shape)}")
    e = complex_normal(tuple(t.shape), generator, t.device, t.dtype)
    out = t + e * ev.sqrt().to(device=t.device, dtype=e.real.dtype)
    return out.numpy() if is_np else out


def csi_error_var(csi_snr_db, channel_variance: float) -> float:
    """σ_w² for RE-MIMO's CSI-error SNR, eq. (28) (Sec. V-C):
    SNR_csi = E‖H‖_F² / E‖W‖_F² = channel_variance / σ_w²  ->  σ_w² = channel_variance / 10^(dB/10).
    RE-MIMO uses 20 dB with channel_variance = 1/Nr."""
    if not float(channel_variance) > 0:
        raise ValueError(f"channel_variance: {channel_variance!r} is not > 0")
    return float(channel_variance) / 10.0 ** (float(csi_snr_db) / 10.0)


def imperfect_csi_snr(h, csi_snr_db, channel_variance: Optional[float] = None,
                      generator: Optional[torch.Generator] = None):
    """H* = H + W with σ_w² set by the CSI SNR in dB, eq. (28), RE-MIMO Sec. V-C.

    channel_variance: E|h_ij|² of the channel model (e.g. ``model.entry_variance``);
    None estimates E‖H‖_F²/(Nr·Nt) from the batch (mean |h|² over all entries).
    """
    if channel_variance is None:
        t = torch.as_tensor(h)
        channel_variance = float((t.abs() ** 2).mean())
    return imperfect_csi(h, csi_error_var(csi_snr_db, channel_variance), generator)

