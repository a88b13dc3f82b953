# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Batched channel models for training and evaluation (no GNU Radio).

Every model is a small class with ``nr``, ``nt``, ``entry_variance`` (the
average E|h_ij|²) and

    sample(batch, generator=None, device="cpu", dtype=torch.complex64)
        -> H complex[batch, Nr, Nt]        (TdlChannel: complex[batch, K, Nr, Nt])

plus, where it is meaningful, ``covariance()``: the exact theoretical
covariance E[h hᴴ] of h = H.reshape(Nr·Nt) (row-major, H[r, t] at r·Nt + t,
the order of the GNU Radio stream contract), complex128[Nr·Nt, Nr·Nt].

Randomness comes only from the ``generator`` passed in (a ``torch.Generator``;
``None`` uses torch's global generator). Random numbers are drawn on the
generator's device and then moved to ``device``, so a CPU generator with a
given seed gives the same channels whatever ``device`` is asked for. Numpy-only
code draws i.i.d. Rayleigh channels with ``RayleighChannel.sample_numpy`` and
AWGN with ``complex_noise`` (numpy Generator in, numpy out).

Modules
-------
common            argument checks, CN(0, 1) draws, correlation matrices, the base
                  class ``ChannelModel`` and the spec parameters ``SpecArgs``.
correlated        RayleighChannel (i.i.d.), KroneckerChannel (LcgNet eq. 28-29),
                  RemimoCorrelatedChannel (RE-MIMO eq. 26, random ρ).
local_scattering  LocalScatteringChannel (HyperMIMO eq. 13-14) with mobility.
tdl               TdlChannel: 3GPP TR 38.901 TDL-A/B/C per subcarrier.
csi               imperfect_csi, csi_error_var, imperfect_csi_snr (RE-MIMO eq. 27-28).
spec              make_channel / channel_spec_forms: one lookup over the models'
                  ``from_spec``; a new model adds itself to ``SPEC_MODELS``.
"""
from .common import ChannelModel, complex_noise, complex_normal, exponential_correlation, hermitian_sqrt
from .correlated import KroneckerChannel, RayleighChannel, RemimoCorrelatedChannel, sample_triangular
from .csi import csi_error_var, imperfect_csi, imperfect_csi_snr
from .local_scattering import LocalScatteringChannel, draw_user_angles, local_scattering_covariance
from .spec import channel_spec_forms, make_channel
from .tdl import TDL_PROFILES, TdlChannel, tdl_profile

__all__ = [
    "ChannelModel", "RayleighChannel", "KroneckerChannel", "RemimoCorrelatedChannel",
    "LocalScatteringChannel", "TdlChannel", "TDL_PROFILES", "tdl_profile",
    "exponential_correlation", "hermitian_sqrt", "complex_normal", "complex_noise",
    "local_scattering_covariance", "draw_user_angles", "sample_triangular",
    "imperfect_csi", "csi_error_var", "imperfect_csi_snr", "make_channel", "channel_spec_forms",
]
