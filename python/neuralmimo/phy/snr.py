# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SNR conventions (DESIGN.md section 3), each by name.

"rx" (the default): H entries CN(0, 1), unit-energy symbols,
SNR = E‖Hx‖² / E‖n‖² per receive antenna = Nt / σ²  ->  σ² = Nt / SNR.
The papers' own conventions are added by name with the PHY library.
"""
from __future__ import annotations

import numpy as np

DEFAULT = "rx"


def _rx(snr_lin, nt, nr):
    return nt / snr_lin


_CONVENTIONS = {"rx": _rx}


def snr_conventions() -> list[str]:
    return list(_CONVENTIONS)


def noise_var_from_snr(snr_db, nt: int, nr: int, convention: str = DEFAULT):
    """σ² per complex receive dimension for an SNR in dB under a named convention."""
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention: '{convention}' is not one of {', '.join(_CONVENTIONS)}")
    snr_lin = 10.0 ** (np.asarray(snr_db, dtype=np.float64) / 10.0)
    return _CONVENTIONS[convention](snr_lin, nt, nr)
