# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""3GPP TR 38.901 tapped delay line channels TDL-A/B/C, per OFDM subcarrier.

LcgNet evaluates on TDL-A (LcgNet Sec. V-B and Table II: NLOS, Rayleigh, RMS
delay 30 ns, Tx/Rx exponential correlation 0.5, generated with MATLAB's 5G
Toolbox; how the frequency-selective channel was reduced to one flat 64×32
matrix is not stated). Here every subcarrier's H is one flat MIMO
channel: ``sample`` returns complex[B, K, Nr, Nt] and ``sample_flat`` folds
the subcarriers into the batch.

Model (block fading, no Doppler): for each tx–rx pair, independent Rayleigh
taps a_l ~ CN(0, p_l) with Σ_l p_l = 1 (powers of the table, normalised), at
delays τ_l = τ_norm,l · DS (TR 38.901 §7.7.3 scaling); subcarrier k at
f_k = (k − ⌊K/2⌋)·Δf has H_k = Σ_l a_l e^{−j2π f_k τ_l}. So E|H_k[r,t]|² = 1
and E[H_k H_{k'}^*] = Σ_l p_l e^{−j2π (f_k − f_{k'}) τ_l}. Optional spatial
correlation per tap: a_l = R_r^{1/2} G_l R_t^{1/2} (exponential model, as
LcgNet's Table II set-up).
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

from .common import (ChannelModel, DeviceCache, SpatialCorrelation, SpecArgs, SpecError, check_batch,
                     check_dim, check_positive, complex_normal, real_dtype)

__all__ = ["TDL_PROFILES", "TdlChannel", "tdl_profile"]

# 3GPP TR 38.901 (V16/V17) Table 7.7.2-1: TDL-A. Columns: normalised delay, power [dB].
# All taps Rayleigh.
_TDL_A = (
    (0.0000, -13.4), (0.3819, 0.0), (0.4025, -2.2), (0.5868, -4.0), (0.4610, -6.0),
    (0.5375, -8.2), (0.6708, -9.9), (0.5750, -10.5), (0.7618, -7.5), (1.5375, -15.9),
    (1.8978, -6.6), (2.2242, -16.7), (2.1718, -12.4), (2.4942, -15.2), (2.5119, -10.8),
    (3.0582, -11.3), (4.0810, -12.7), (4.4579, -16.2), (4.5695, -18.3), (4.7966, -18.9),
    (5.0066, -16.6), (5.3043, -19.9), (9.6586, -29.7),
)

# 3GPP TR 38.901 Table 7.7.2-2: TDL-B. Columns: normalised delay, power [dB]. All taps Rayleigh.
_TDL_B = (
    (0.0000, 0.0), (0.1072, -2.2), (0.2155, -4.0), (0.2095, -3.2), (0.2870, -9.8),
    (0.2986, -1.2), (0.3752, -3.4), (0.5055, -5.2), (0.3681, -7.6), (0.3697, -3.0),
    (0.5700, -8.9), (0.5283, -9.0), (1.1021, -4.8), (1.2756, -5.7), (1.5474, -7.5),
    (1.7842, -1.9), (2.0169, -7.6), (2.8294, -12.2), (3.0219, -9.8), (3.6187, -11.4),
    (4.1067, -14.9), (4.2790, -9.2), (4.7834, -11.3),
)

# 3GPP TR 38.901 Table 7.7.2-3: TDL-C. Columns: normalised delay, power [dB]. All taps Rayleigh.
_TDL_C = (
    (0.0000, -4.4), (0.2099, -1.2), (0.2219, -3.5), (0.2329, -5.2), (0.2176, -2.5),
    (0.6366, 0.0), (0.6448, -2.2), (0.6560, -3.9), (0.6584, -7.4), (0.7935, -7.1),
    (0.8213, -10.7), (0.9336, -11.1), (1.2285, -5.1), (1.3083, -6.8), (2.1704, -8.7),
    (2.7105, -13.2), (4.2589, -13.9), (4.6003, -13.9), (5.4902, -15.8), (5.6077, -17.1),
    (6.3065, -16.0), (6.6374, -15.7), (7.0427, -21.6), (8.6523, -22.8),
)

TDL_PROFILES = {"A": _TDL_A, "B": _TDL_B, "C": _TDL_C}


def tdl_profile(profile: str):
    """(normalised delays float64[L], powers float64[L] linear, summing to 1) of TDL-A/B/C."""
    key = str(profile).strip().upper()
    if key.startswith("TDL-"):
        key = key[4:]
    if key not in TDL_PROFILES:
        raise ValueError(f"profile: '{profile}' is not one of {', '.join(TDL_PROFILES)}")
    tab = np.asarray(TDL_PROFILES[key], dtype=np.float64)
    p = 10.0 ** (tab[:, 1] / 10.0)
    return tab[:, 0].copy(), p / p.sum()


class TdlChannel(ChannelModel):
    """TDL-A/B/C MIMO channel per subcarrier (module docstring for the model).

    nr, nt: antennas; profile: "A", "B" or "C" (TR 38.901 Tables 7.7.2-1..3);
    delay_spread_ns: DS scaling the normalised delays (TR 38.901 Table 7.7.3-1
    lists 10-1000 ns; LcgNet Table II: 30 ns); n_subcarriers K, subcarrier_spacing_hz
    Δf; r_tx, r_rx: exponential correlation coefficients (or [n, n] matrices)
    applied to every tap; variance: total power per tx–rx pair (default 1).

    sample -> complex[B, K, Nr, Nt]; sample_flat -> complex[B·K, Nr, Nt];
    sample_taps -> complex[B, L, Nr, Nt]. delays_s: float64[L], powers: float64[L]
    (linear, Σ = 1), frequencies_hz: float64[K].
    covariance(): per subcarrier, variance · R_r ⊗ R_tᵀ (row-major vec);
    frequency_covariance(): complex128[K, K], E[H_k H_{k'}^*] of any entry
    (divided by its spatial variance).
    """

    per_subcarrier = True
    SPEC_NAMES = ("tdl",)
    SPEC_FORM = "tdl:A|B|C[,ds=NS][,nsc=K][,scs=HZ][,rt=R][,rr=R][,var=V]"

    def __init__(self, nr: int, nt: int, profile: str = "A", delay_spread_ns: float = 100.0,
                 n_subcarriers: int = 64, subcarrier_spacing_hz: float = 30e3, r_tx=0.0, r_rx=0.0,
                 variance: float = 1.0):
        self.nr, self.nt = check_dim("nr", nr), check_dim("nt", nt)
        self.n_subcarriers = check_dim("n_subcarriers", n_subcarriers)
        self.delay_spread_ns = check_positive("delay_spread_ns", delay_spread_ns)
        self.subcarrier_spacing_hz = check_positive("subcarrier_spacing_hz", subcarrier_spacing_hz)
        self.variance = check_positive("variance", variance)
        norm_delays, powers = tdl_profile(profile)
        self.profile = str(profile).strip().upper().replace("TDL-", "")
        self.delays_s = torch.as_tensor(norm_delays * self.delay_spread_ns * 1e-9)
        self.powers = torch.as_tensor(powers)
        k = torch.arange(self.n_subcarriers, dtype=torch.float64) - (self.n_subcarriers // 2)
        self.frequencies_hz = k * self.subcarrier_spacing_hz
        phase = -2 * math.pi * self.frequencies_hz[:, None] * self.delays_s[None, :]
        self._steer = torch.polar(torch.ones_like(phase), phase)  # [K, L] complex128
        self.r_tx, self.r_rx = r_tx, r_rx
        self._corr = SpatialCorrelation(self.nr, self.nt, r_tx, r_rx)
        self.tx_correlation, self.rx_correlation = self._corr.tx, self._corr.rx
        self._correlated = not (torch.equal(self.tx_correlation, torch.eye(self.nt, dtype=torch.complex128))
                                and torch.equal(self.rx_correlation, torch.eye(self.nr, dtype=torch.complex128)))
        self._cache = DeviceCache()

    @classmethod
    def from_spec(cls, args: SpecArgs) -> "TdlChannel":
        """The profile is a flag (``tdl:A``) or ``profile=A``."""
        args.allow(("ds", "nsc", "scs", "rt", "rr", "var", "profile"), tuple(p.lower() for p in TDL_PROFILES))
        prof = [f.upper() for f in args.flags]
        if "profile" in args.params:
            prof.append(args.params["profile"].upper())
        if len(prof) != 1:
            raise SpecError(f"needs exactly one profile out of {', '.join(TDL_PROFILES)}")
        nsc = args.integer("nsc", 64)
        return cls(args.nr, args.nt, prof[0], delay_spread_ns=args.number("ds", 100.0), n_subcarriers=nsc,
                   subcarrier_spacing_hz=args.number("scs", 30e3), r_tx=args.coefficient("rt"),
                   r_rx=args.coefficient("rr"), variance=args.number("var", 1.0))

    @property
    def n_taps(self) -> int:
        return int(self.delays_s.numel())

    def sample_taps(self, batch, generator: Optional[torch.Generator] = None, device="cpu",
                    dtype=torch.complex64) -> torch.Tensor:
        """Tap gains a_l -> complex[batch, L, Nr, Nt], E|a_l|² = variance · p_l."""
        batch = check_batch(batch)
        real = real_dtype(dtype)
        g = complex_normal((batch, self.n_taps, self.nr, self.nt), generator, device, dtype)
        amp = self._cache.get("amp", (self.powers * self.variance).sqrt(), device, real)
        g = g * amp[None, :, None, None]
        if self._correlated:
            g = self._corr.apply(g)
        return g

    def frequency_response(self, taps: torch.Tensor) -> torch.Tensor:
        """taps complex[B, L, Nr, Nt]  ->  H complex[B, K, Nr, Nt], H_k = Σ_l a_l e^{−j2π f_k τ_l}."""
        b, nl, nr, nt = taps.shape
        if nl != self.n_taps:
            raise ValueError(f"taps: {nl} taps given, the profile has {self.n_taps}")
        steer = self._cache.get("steer", self._steer, taps.device, taps.dtype)
        return (steer @ taps.reshape(b, nl, nr * nt)).reshape(b, self.n_subcarriers, nr, nt)

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        """-> complex[batch, K, Nr, Nt] (one flat MIMO channel per subcarrier)."""
        return self.frequency_response(self.sample_taps(batch, generator, device, dtype))

    def sample_flat(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        """-> complex[batch·K, Nr, Nt] (subcarriers folded into the batch, k fastest)."""
        return self.sample(batch, generator, device, dtype).reshape(-1, self.nr, self.nt)

    def frequency_correlation(self, delta_f_hz) -> torch.Tensor:
        """Σ_l p_l e^{−j2π Δf τ_l} (= E[H_{f+Δf} H_f^*] / variance per entry) -> complex128[...]."""
        df = torch.as_tensor(delta_f_hz, dtype=torch.float64)
        ph = -2 * math.pi * df[..., None] * self.delays_s
        return (self.powers.to(torch.complex128) * torch.polar(torch.ones_like(ph), ph)).sum(-1)

    def frequency_covariance(self) -> torch.Tensor:
        """complex128[K, K]: variance · Σ_l p_l e^{−j2π (f_k − f_k') τ_l}."""
        df = self.frequencies_hz[:, None] - self.frequencies_hz[None, :]
        return self.variance * self.frequency_correlation(df)

    def covariance(self) -> torch.Tensor:
        """Spatial covariance of one subcarrier's row-major vec(H): variance · R_r ⊗ R_tᵀ."""
        return self._corr.covariance(self.variance)

    @property
    def entry_variance(self):
        return self._corr.entry_variance(self.variance)

    def rms_delay_spread_s(self) -> float:
        """RMS delay spread of the scaled profile (≈ delay_spread_ns·1e-9 for the 38.901 tables)."""
        p, t = self.powers, self.delays_s
        mean = float((p * t).sum())
        return math.sqrt(float((p * (t - mean) ** 2).sum()))

    def __repr__(self):
        return (f"TdlChannel(nr={self.nr}, nt={self.nt}, profile='{self.profile}', "
                f"delay_spread_ns={self.delay_spread_ns:g}, n_subcarriers={self.n_subcarriers}, "
                f"subcarrier_spacing_hz={self.subcarrier_spacing_hz:g}, r_tx={self.r_tx!r}, r_rx={self.r_rx!r}, "
                f"variance={self.variance:g})")
