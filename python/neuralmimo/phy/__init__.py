# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Physical layer: constellations, channels, SNR conventions, real-valued system."""
from .constellation import Constellation, constellation, constellation_names
from .snr import noise_var_from_snr, snr_conventions
from . import channels

__all__ = ["Constellation", "constellation", "constellation_names",
           "noise_var_from_snr", "snr_conventions", "channels"]
