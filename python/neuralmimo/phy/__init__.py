# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Physical layer: constellations, channels, SNR conventions, real-valued system."""
from .constellation import Constellation, constellation, constellation_names
from .snr import (CONVENTION_CHANNEL_VARIANCE, CONVENTION_RATIO, channel_variance_for,
                  noise_var_from_snr, snr_conventions)
from .ldpc import Ldpc80211n, LdpcResult, ldpc_code
from . import channels
from .channels import (TDL_PROFILES, ChannelModel, KroneckerChannel, LocalScatteringChannel, RayleighChannel,
                       RemimoCorrelatedChannel, TdlChannel, channel_spec_forms, csi_error_var, draw_user_angles,
                       exponential_correlation, imperfect_csi, imperfect_csi_snr, local_scattering_covariance,
                       make_channel, sample_triangular, tdl_profile)

__all__ = ["Constellation", "constellation", "constellation_names",
           "noise_var_from_snr", "snr_conventions", "channels",
           "Ldpc80211n", "LdpcResult", "ldpc_code",
           "CONVENTION_CHANNEL_VARIANCE", "CONVENTION_RATIO", "channel_variance_for",
           "ChannelModel", "RayleighChannel", "KroneckerChannel", "RemimoCorrelatedChannel",
           "LocalScatteringChannel", "TdlChannel", "TDL_PROFILES", "tdl_profile",
           "make_channel", "channel_spec_forms", "exponential_correlation",
           "local_scattering_covariance", "draw_user_angles", "sample_triangular",
           "imperfect_csi", "csi_error_var", "imperfect_csi_snr"]
