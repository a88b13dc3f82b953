# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backend choice of the OFDM receiver (phy/ofdm_rx.py): uses_cpp_kernel decides whether a
receiver runs the numpy steps or the C++ kernel (phy/ofdm_rx_cpp.py), and imports the compiled
module only when it does, so that the numpy receiver runs without GNU Radio.
"""
from __future__ import annotations

import importlib.util

from .ofdm import OfdmConfig

__all__ = ["uses_cpp_kernel"]


def uses_cpp_kernel(config: OfdmConfig, backend: str) -> bool:
    """Whether a receiver for config with this backend runs the C++ kernel.

    "numpy": no; "cpp": yes, ValueError when the compiled module is missing; "auto": yes
    unless the module is absent (no GNU Radio, or the source tree on sys.path) or fft_len is
    not a power of two (the kernel's FFT); a module that is there but fails to load raises."""
    if backend not in ("auto", "numpy", "cpp"):
        raise ValueError(f"ofdm_rx: backend must be 'auto', 'numpy' or 'cpp', got '{backend}'")
    if backend == "numpy":
        return False
    if backend == "auto" and (config.fft_len & (config.fft_len - 1)
                              or importlib.util.find_spec("..neuralmimo_python", __package__) is None):
        return False
    try:
        from . import ofdm_rx_cpp  # noqa: F401  (loads the compiled module and GNU Radio)
    except ImportError as exc:
        raise ValueError(f"ofdm_rx: backend '{backend}' needs the compiled module neuralmimo_python "
                         f"(built with GNU Radio): {exc}") from exc
    return True
