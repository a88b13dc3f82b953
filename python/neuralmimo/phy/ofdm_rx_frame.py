# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the OFDM receiver (phy/ofdm_rx.py) hands out per frame: RxFrame, and _usable, the
check that every output of a frame is finite (frames that fail it are dropped by the receiver).

Shared by both backends: the C++ kernel's frames are turned into RxFrames too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RxFrame"]


@dataclass
class RxFrame:
    """One received frame.

    start: absolute index (in the receiver's input) of the frame's first sample as estimated
    (preamble CP start); fft_start: absolute index of the preamble's FFT window;
    cfo: estimated CFO in subcarrier spacings; h_est: complex64[n_used, Nr, Nt] Ĥ per used
    carrier (from the training); noise_var: σ̂²; y: complex64[n_re, Nr]; h: complex64[n_re, Nr, Nt]
    (Ĥ of each RE's carrier, with the phase tracked in its symbol); snr_db: estimated per-RE SNR, Σ_t|H_rt|² averaged over r and carriers
    over σ̂² (docs/conventions.md: received power per antenna over noise), with the LS
    noise in |Ĥ|² subtracted; evm: rms error
    of LMMSE-equalised data symbols against their nearest constellation points (decision
    directed, detector independent), as a fraction of unit symbol energy; metric: peak S&C metric.
    """

    start: int
    fft_start: int
    cfo: float
    h_est: np.ndarray
    noise_var: float
    y: np.ndarray
    h: np.ndarray
    snr_db: float
    evm: float
    metric: float

    def info(self) -> dict:
        """Scalar per-frame facts (for tags, logs and replay tables)."""
        return {"start": self.start, "fft_start": self.fft_start, "cfo": self.cfo,
                "noise_var": self.noise_var, "snr_db": self.snr_db, "evm": self.evm, "metric": self.metric}


def _usable(f: RxFrame) -> bool:
    """Whether every output of frame f is finite (under np.errstate(over="ignore",
    invalid="ignore"): _keep_usable). σ̂² travels as float32 to the detectors: it must be finite
    there too (|σ̂²| < 3.4e38). An array is tested by its sum (one vectorised pass, no temporary):
    a NaN or Inf anywhere makes it non-finite, and so does an overflow of finite entries, which
    are then far too large for any detector."""
    return bool(0.0 < f.noise_var < 3.4e38 and math.isfinite(f.cfo)
                and np.isfinite(f.y.sum()) and np.isfinite(f.h.sum()) and np.isfinite(f.h_est.sum()))
