# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time-domain MIMO channel for OFDM links: TDL multipath FIR, CFO, phase noise, AWGN.

A hardware-free stand-in for a radio pair. Unlike ``TdlChannel`` (one flat H
per subcarrier) this works on time samples, so an OFDM receiver has to do its
own synchronisation, CP removal and channel estimation against it.

Model, in order, per receive antenna r and absolute sample index n:

1. multipath: y[n, r] = Σ_t (h[r, t] * x[:, t])[n], with the FIR
   h[r, t, i] = Σ_l a_l · w(i − D − (τ_l·fs + timing_offset)), a_l ~ CN(0, p_l)
   independent per pair and path (Σ p_l = 1, TR 38.901 TDL-A/B/C from
   ``tdl.tdl_profile`` or one "flat" path), τ_l = τ_norm,l · delay_spread.
   w is a Kaiser(β=4)-windowed sinc of half-length K = 8 and D = K the bulk
   delay that makes it causal. The taps are drawn once (block fading) and are
   the channel: ``freq_response`` is computed from them exactly.
2. carrier frequency offset: · exp(j2π·cfo_hz·n/fs), n counted from the first
   sample ever processed (phase continuous across calls).
3. phase noise: · exp(jφ[n]), φ a Wiener process with increments
   N(0, 2π·phase_noise_hz/fs) (phase_noise_hz: 3-dB Lorentzian linewidth), one
   local oscillator shared by all receive antennas.
4. AWGN: + CN(0, σ²) independent per antenna and sample.

SNR convention "rx" (docs/conventions.md): σ² = Nt / 10^(snr_db/10). With
unit-energy frequency-domain symbols on every transmit stream and an
orthonormal IFFT (x = √N·ifft(X)), the time-domain noise variance σ² is also
the noise variance per subcarrier after an orthonormal FFT, and since
E|H_k[r, t]|² ≈ 1, snr_db is the per-resource-element receive SNR Nt/σ².
(Subcarriers near ±fs/2 see the interpolation filter's band edge; up to
±0.4·fs its power response stays within ±2 %.)

Streaming: ``process`` keeps the last L−1 inputs, the sample counter and the
phase, and draws noise and phase increments from their own generators exactly
m values (per quantity) per call in sample order, so splitting a stream into
chunks gives bit-identical output.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .channels.tdl import tdl_profile

__all__ = ["OfdmChannelSim", "SINC_HALF_LENGTH", "PROFILES"]

SINC_HALF_LENGTH = 8          # K: taps each side of a path's peak
_KAISER_BETA = 4.0            # flattest power response up to ±0.4·fs among β = 0..8 for K = 8
_BLOCK = 256                  # FIR output rows per matrix product, on a grid of absolute sample indices
PROFILES = ("A", "B", "C", "flat")


def _interp_taps(frac_delays: np.ndarray, length: int) -> np.ndarray:
    """Windowed-sinc rows w(i − K − d) for i = 0..length−1 -> float64[len(d), length]."""
    u = np.arange(length)[None, :] - SINC_HALF_LENGTH - frac_delays[:, None]
    inside = np.abs(u) < SINC_HALF_LENGTH
    win = np.i0(_KAISER_BETA * np.sqrt(np.clip(1.0 - (u / SINC_HALF_LENGTH) ** 2, 0.0, None)))
    # np.sinc leaves ~1e-17 at nonzero integers; exact zeros keep integer delays single taps.
    sinc = np.where(u == np.round(u), (u == 0).astype(np.float64), np.sinc(u))
    return np.where(inside, sinc * win / np.i0(_KAISER_BETA), 0.0)


def _real(name: str, value, low: Optional[float] = None, strict: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a real number") from None
    if not math.isfinite(v):
        raise ValueError(f"{name}: {value!r} is not finite")
    if low is not None and (v <= low if strict else v < low):
        raise ValueError(f"{name}: {value!r} is not {'>' if strict else '>='} {low:g}")
    return v


def _count(name: str, value) -> int:
    try:
        ok = not isinstance(value, (bool, np.bool_)) and float(value).is_integer() and value >= 1
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name}: {value!r} is not an integer >= 1")
    return int(value)


class OfdmChannelSim:
    """Static TDL MIMO channel on time samples (module docstring for the model).

    nt, nr: transmit streams, receive antennas; sample_rate fs [Hz];
    snr_db: per-resource-element SNR, σ² = nt/10^(snr_db/10); profile: "A", "B",
    "C" (TR 38.901 TDL) or "flat"; delay_spread [s] scales the normalised
    delays; cfo_hz; timing_offset: extra delay in samples (real >= 0) common to
    all pairs; phase_noise_hz: 3-dB linewidth; seed: taps, noise and phase
    noise; max_delay [s] (optional): paths later than this are left out and the
    remaining powers renormalised to Σ p_l = 1.

    taps: complex128[nr, nt, L]; bulk_delay: D (samples); noise_var: σ²;
    path_delays: float64[P] in samples (τ_l·fs + timing_offset); path_powers: float64[P].
    process(x complex64[m, nt]) -> complex64[m, nr] (streaming, stateful);
    freq_response(fft_len, carriers, delay) -> complex128[len(carriers), nr, nt].
    """

    def __init__(self, nt: int, nr: int, sample_rate: float = 1e6, snr_db: float = 30.0,
                 profile: str = "A", delay_spread: float = 100e-9, cfo_hz: float = 0.0,
                 timing_offset: float = 0.0, phase_noise_hz: float = 0.0, seed: int = 0,
                 max_delay: Optional[float] = None):
        self.nt, self.nr = _count("nt", nt), _count("nr", nr)
        self.sample_rate = _real("sample_rate", sample_rate, 0.0, strict=True)
        self.delay_spread = _real("delay_spread", delay_spread, 0.0)
        self.cfo_hz = _real("cfo_hz", cfo_hz)
        self.timing_offset = _real("timing_offset", timing_offset, 0.0)
        self.phase_noise_hz = _real("phase_noise_hz", phase_noise_hz, 0.0)
        self.max_delay = None if max_delay is None else _real("max_delay", max_delay, 0.0)
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: {seed!r} is not an integer >= 0")
        self.seed = int(seed)
        if str(profile).strip().lower() == "flat":
            self.profile = "flat"
            norm_delays, powers = np.zeros(1), np.ones(1)
        else:
            if str(profile).strip().upper().replace("TDL-", "") not in PROFILES[:3]:
                raise ValueError(f"profile: {profile!r} is not one of {', '.join(PROFILES)}")
            self.profile = str(profile).strip().upper().replace("TDL-", "")
            norm_delays, powers = tdl_profile(self.profile)
        delays_s = norm_delays * self.delay_spread
        if self.max_delay is not None:
            # Every profile has a path at τ = 0, so at least one path stays.
            keep = delays_s <= self.max_delay
            delays_s, powers = delays_s[keep], powers[keep] / powers[keep].sum()
        self.path_delays = delays_s * self.sample_rate + self.timing_offset
        self.path_powers = powers
        self.set_snr(snr_db)
        self._pending_cfo = None

        tap_seed, noise_seed, pn_seed = np.random.SeedSequence(self.seed).spawn(3)
        g = np.random.default_rng(tap_seed).standard_normal((self.nr, self.nt, powers.size, 2))
        gains = (g[..., 0] + 1j * g[..., 1]) * np.sqrt(powers / 2)              # [nr, nt, P]
        self.bulk_delay = SINC_HALF_LENGTH
        length = int(math.floor(self.path_delays.max())) + 2 * SINC_HALF_LENGTH + 1
        self.taps = gains @ _interp_taps(self.path_delays, length)              # [nr, nt, L]
        # FIR as one matrix product per block: row n of the window matrix holds
        # x[n − L + 1 .. n, :] (time-major), so the matrix is the taps reversed
        # in time, complex64[L·nt, nr].
        self._hmat = np.ascontiguousarray(self.taps[:, :, ::-1].transpose(2, 1, 0).reshape(-1, self.nr),
                                          dtype=np.complex64)
        self._win = np.empty((_BLOCK, self.n_taps, self.nt), np.complex64)
        self._ybuf = np.empty((_BLOCK, self.nr), np.complex64)
        self._rng_noise = np.random.default_rng(noise_seed)
        self._rng_pn = np.random.default_rng(pn_seed)
        self.reset()

    def reset(self) -> None:
        """Empty the FIR, restart the sample counter and phase (generators keep going)."""
        # Inputs back to the window start of the earliest row of a block.
        self._hist = np.zeros((_BLOCK + self.n_taps - 2, self.nt), np.complex64)
        self._n = 0
        self._phase = 0.0
        # CFO phase = 2π·(cycles at sample n_ref + cfo/fs·(n − n_ref)): n_ref moves when set_cfo
        # changes the offset, so the carrier phase stays continuous.
        self._cfo_ref = (0, 0.0)

    # ------------------------------------------------------------------ SNR
    def set_snr(self, snr_db: float) -> None:
        """σ² = nt / 10^(snr_db/10) (per-resource-element SNR, convention "rx")."""
        self.snr_db = _real("snr_db", snr_db)
        self._noise_var = self.nt / 10.0 ** (self.snr_db / 10.0)

    @property
    def noise_var(self) -> float:
        return self._noise_var

    # ------------------------------------------------------------------ CFO
    def set_cfo(self, cfo_hz: float) -> None:
        """Changes the carrier frequency offset from the next sample process() makes, phase
        continuous. Safe from another thread (a GUI control): the change is applied by process()."""
        self._pending_cfo = _real("cfo_hz", cfo_hz)

    def _apply_pending_cfo(self) -> None:
        new, self._pending_cfo = self._pending_cfo, None
        if new is None or new == self.cfo_hz:
            return
        self._cfo_ref = (self._n, self._cfo_cycles(self._n))
        self.cfo_hz = new

    def _cfo_cycles(self, n):
        """Carrier cycles (fractional part) of the CFO at sample index/indices n."""
        n_ref, c_ref = self._cfo_ref
        cycles = self.cfo_hz / self.sample_rate * (n - n_ref) + c_ref
        return cycles - np.floor(cycles)

    @property
    def n_taps(self) -> int:
        return int(self.taps.shape[-1])

    # ------------------------------------------------------------- the truth
    def freq_response(self, fft_len: int, carriers, delay: float = 0.0) -> np.ndarray:
        """H_k[r, t] = Σ_i h[r, t, i]·e^{−j2π k (i − delay)/fft_len} -> complex128[K, nr, nt].

        carriers: signed integer subcarrier indices (DC = 0) in [−fft_len/2, fft_len/2];
        delay: samples between the start of the transmitted symbol (after its
        CP) and the start of the receiver's FFT window. Exact for windows that
        the channel response of this and the neighbouring symbols does not
        reach past (CP long enough).
        """
        fft_len = _count("fft_len", fft_len)
        try:
            k = np.asarray(carriers, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"carriers: {carriers!r} is not an array of integers") from None
        if k.ndim != 1 or not np.all(np.isfinite(k) & (k == np.round(k))):
            raise ValueError(f"carriers: expected integer indices of shape [K], got {carriers!r}")
        if k.size and (k.min() < -fft_len / 2 or k.max() > fft_len / 2):
            raise ValueError(f"carriers: indices {k.min():g}..{k.max():g} outside ±fft_len/2 = ±{fft_len / 2:g}")
        delay = _real("delay", delay)
        i = np.arange(self.n_taps) - delay
        steer = np.exp(-2j * np.pi * np.outer(k, i) / fft_len)     # [K, L]
        return np.einsum("kl,rtl->krt", steer, self.taps)

    # ------------------------------------------------------------- streaming
    def process(self, x: np.ndarray) -> np.ndarray:
        """x complex64[m, nt] (complex128 accepted) -> y complex64[m, nr]; continues the stream."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.nt:
            raise ValueError(f"x: expected shape [m, {self.nt}], got {list(x.shape)}")
        if x.dtype not in (np.complex64, np.complex128):
            raise ValueError(f"x: expected complex64 (or complex128), got {x.dtype}")
        if not np.isfinite(x).all():
            raise ValueError("x: contains NaN or Inf")
        m = x.shape[0]
        if m == 0:
            return np.empty((0, self.nr), np.complex64)
        self._apply_pending_cfo()
        nl, n0, hl = self.n_taps, self._n, self._hist.shape[0]
        # Bit-exact streaming: BLAS may round a row of a product differently
        # depending on the number of rows and the row's place (OpenBLAS does).
        # So every product has _BLOCK rows on a fixed grid of absolute sample
        # indices: sample n is always row n mod _BLOCK of the same-sized
        # product over the same window values, however the stream was cut.
        # Rows outside the chunk are computed from history or zeros and thrown
        # away. (FFT convolution, or carried partial sums as in scipy's FIR
        # lfilter, would round differently at chunk edges.)
        xe = np.concatenate([self._hist, x.astype(np.complex64, copy=False),
                             np.zeros((_BLOCK, self.nt), np.complex64)])      # row hl + j: x[j]
        self._hist = xe[m:m + hl].copy()
        y = np.empty((m, self.nr), np.complex64)
        s0, s1 = xe.strides
        win = self._win.reshape(_BLOCK, -1)
        for g in range(n0 - n0 % _BLOCK, n0 + m, _BLOCK):
            first = g - n0 + hl - (nl - 1)                     # xe row where row 0's window starts
            np.copyto(self._win, as_strided(xe[first:], (_BLOCK, nl, self.nt), (s0, s0, s1)))
            np.matmul(win, self._hmat, out=self._ybuf)
            lo, hi = max(g, n0), min(g + _BLOCK, n0 + m)
            y[lo - n0:hi - n0] = self._ybuf[lo - g:hi - g]

        # Elementwise from here on: every sample goes through the same
        # correctly rounded operations whatever its position in the chunk.
        if self.cfo_hz != 0.0 or self._cfo_ref[1] != 0.0 or self.phase_noise_hz != 0.0:
            theta = 2 * np.pi * self._cfo_cycles(self._n + np.arange(m, dtype=np.float64))
            if self.phase_noise_hz != 0.0:
                inc = self._rng_pn.standard_normal(m, dtype=np.float32).astype(np.float64)
                inc *= math.sqrt(2 * np.pi * self.phase_noise_hz / self.sample_rate)
                # Accumulate from the carried phase so the running sum is the
                # same sequence of additions however the stream is cut.
                phi = np.cumsum(np.concatenate(([self._phase], inc)))[1:]
                self._phase = float(phi[-1])
                theta = np.remainder(theta + phi, 2 * np.pi)
            # float32 is plenty for a phase in [0, 2π) and ten times faster than float64 cos/sin.
            theta = theta.astype(np.float32)
            c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
            # Real ufuncs, not a complex multiply: numpy's SIMD complex multiply
            # can round the tail of an array differently from its body.
            yr, yi = y.real.copy(), y.imag.copy()
            y.real, y.imag = yr * c - yi * s, yr * s + yi * c
        g = self._rng_noise.standard_normal((m, self.nr, 2), dtype=np.float32)
        g *= np.float32(math.sqrt(self._noise_var / 2))
        y += g.view(np.complex64)[..., 0]
        self._n += m
        return y

    def __repr__(self):
        return (f"OfdmChannelSim(nt={self.nt}, nr={self.nr}, sample_rate={self.sample_rate:g}, "
                f"snr_db={self.snr_db:g}, profile='{self.profile}', delay_spread={self.delay_spread:g}, "
                f"cfo_hz={self.cfo_hz:g}, timing_offset={self.timing_offset:g}, "
                f"phase_noise_hz={self.phase_noise_hz:g}, seed={self.seed}, max_delay={self.max_delay!r})")
