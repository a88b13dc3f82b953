# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ backend of the OFDM receiver: an OfdmConfig as the C++ frame spec.

Importing this module loads the compiled module neuralmimo_python, and with it GNU Radio:
phy/ofdm_rx.py imports it only once the backend is "cpp" (uses_cpp_kernel in
phy/ofdm_rx_backend.py), so that the numpy receiver runs without GNU Radio. The C++ side
(include/gnuradio/neuralmimo/ofdm_rx_kernel.h) checks the spec and the settings and raises
ValueError naming the field.
"""
from __future__ import annotations

from ..neuralmimo_python import ofdm_frame_spec, ofdm_rx_kernel, ofdm_rx_params

__all__ = ["cpp_spec", "cpp_kernel"]


def cpp_spec(rx, max_backlog: int = 0):
    """(ofdm_frame_spec, ofdm_rx_params) of the C++ receiver for an OfdmReceiver's config and
    settings (threshold, backoff, tracking), with the block's max_backlog (input samples).

    The one place where the frame format crosses into C++: a new frame field goes here, into
    ofdm_frame_spec (ofdm_rx_kernel.h, with its check in validate()) and into its binding."""
    c = rx.config
    spec = ofdm_frame_spec(
        nt=c.nt, nr=c.nr, fft_len=c.fft_len, cp_len=c.cp_len, used_carriers=c.used_carriers.tolist(),
        pilot_positions=rx._pilot_pos.tolist(), data_positions=rx._data_pos.tolist(),
        n_data_symbols=c.n_data_symbols, n_training_symbols=c.n_training_symbols, ltf_repeats=c.ltf_repeats,
        training=c.training, preamble_values=c.preamble_values, training_values=c.training_values,
        pilot_values=c.pilot_values, constellation_points=c.const.points, frame_len=c.frame_len)
    params = ofdm_rx_params(threshold=rx.threshold, backoff=rx.backoff, tracking=rx.tracking,
                            max_backlog=int(max_backlog))
    return spec, params


def cpp_kernel(rx) -> ofdm_rx_kernel:
    """The C++ receiver kernel for an OfdmReceiver's config and settings."""
    return ofdm_rx_kernel(*cpp_spec(rx))
