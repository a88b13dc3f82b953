# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""MIMO-OFDM receiver front end: Nr sample streams -> per-RE (y, Ĥ, σ̂²) of each frame.

Steps per frame (frame format: phy/ofdm.py):
1. Detection and coarse timing: the Schmidl & Cox metric M(d) = |P(d)|² / (E₁(d) E₂(d)),
   P(d) = Σ_r Σ_m conj(x_r[d+m]) x_r[d+m+L], E₁, E₂ the energies of the two half windows
   (m = 0 … L−1), L = N/2, summed over all receive antennas (a fade on one antenna does
   not lose the frame). Normalising by both halves (not by the second alone, as S&C do)
   bounds M by 1, so the end of a burst followed by silence cannot trigger it.
   A frame is declared where M first exceeds `threshold`; the plateau is where M stays
   above 90 % of its maximum in the next cp + L samples.
2. CFO: ε = arg(Σ_plateau P)/π in subcarrier spacings (unambiguous for |ε| < 1, the
   stated limit: |CFO| < Δf = fs/N; beyond it the estimate wraps), removed from the
   frame's samples.
3. Fine timing: the peak of Σ_r |⟨preamble, x_r⟩|² after CFO correction marks the body
   of the strongest path; every FFT window starts `backoff` samples earlier, inside the
   cyclic prefix (the LS estimate absorbs the resulting phase ramp).
4. LS channel estimate per used carrier from the training symbols (averaged over the R
   repetitions; "comb": at each antenna's own carriers, then linear interpolation across
   carriers); σ̂² from the spread of the repetitions; phase of each data symbol, common
   and per transmit stream, from its pilots (tracks residual CFO and phase noise, and
   transmitters with their own oscillators); y and Ĥ of every data RE.

Streaming: push() takes any number of samples and returns the frames completed so far;
results do not depend on how the stream is chunked (tested).

Backends: "numpy" (this module) and "cpp" (lib/ofdm_rx_*.cc through phy/ofdm_rx_cpp.py: the
same steps in C++, 10 to 20 times faster, same frames and outputs to rounding; input rounded to
complex64). "auto" takes "cpp" where the compiled module is installed and fft_len is a power of
two, else "numpy"; `.backend` says which runs. Only "cpp" imports the compiled module (and with
it GNU Radio): the choice is phy/ofdm_rx_backend.py (uses_cpp_kernel). The frames both backends
hand out (RxFrame) and the check that their outputs are finite: phy/ofdm_rx_frame.py.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .ofdm import OfdmConfig
from .ofdm_rx_backend import uses_cpp_kernel
from .ofdm_rx_frame import RxFrame, _usable

__all__ = ["OfdmReceiver", "RxFrame"]

_WAIT = object()      # _demodulate: not enough samples buffered yet


class OfdmReceiver:
    """Streaming receiver. push(x: complex[m, Nr]) -> list[RxFrame]."""

    def __init__(self, config: OfdmConfig, threshold: float = 0.3, backoff: int | None = None,
                 tracking: str = "per_stream", backend: str = "auto"):
        if not 0 < threshold < 1:
            raise ValueError(f"ofdm_rx: threshold must be in (0, 1), got {threshold}")
        if tracking not in ("common", "per_stream"):
            raise ValueError(f"ofdm_rx: tracking must be 'common' or 'per_stream', got '{tracking}'")
        self.tracking = tracking
        c = config
        backoff = c.cp_len // 4 if backoff is None else int(backoff)
        if not 0 <= backoff < c.cp_len:
            raise ValueError(f"ofdm_rx: backoff must be in [0, cp_len = {c.cp_len}), got {backoff}")
        self.config, self.threshold, self.backoff = c, float(threshold), backoff
        self._L = c.fft_len // 2
        self._used = c.fft_bins(c.used_carriers)
        self._data_pos = np.flatnonzero(~np.isin(c.used_carriers, c.pilots))   # positions in used
        self._pilot_pos = np.searchsorted(c.used_carriers, c.pilot_carriers)
        # Time-domain preamble body as antenna 0 sends it (for fine timing).
        grid = np.zeros(c.fft_len, np.complex128)
        grid[self._used] = c.preamble_values
        self._pre_time = np.fft.ifft(grid, norm="ortho")
        # The preamble body starts at most L + cp samples after the first threshold crossing
        # (M rises over L samples before its plateau of cp samples): fine-timing search span.
        self._search = self._L + c.cp_len + self.backoff
        self._buf = np.zeros((0, c.nr), np.complex128)
        self._buf_start = 0          # absolute index of _buf[0]
        self._pos = 0                # absolute index where the search continues
        self.frames_found = 0
        self.frames_dropped = 0      # detected, but their outputs were not finite (see _usable)
        self.samples_skipped = 0
        self.samples_invalid = 0     # NaN/Inf input samples, replaced by 0
        self._kernel = None
        if uses_cpp_kernel(c, backend):          # "cpp": phy/ofdm_rx_cpp.py loads the compiled module
            from .ofdm_rx_cpp import cpp_kernel
            self._kernel = cpp_kernel(self)
        self.backend = "numpy" if self._kernel is None else "cpp"

    # --- streaming ---------------------------------------------------------------------
    def push(self, x) -> list[RxFrame]:
        x = np.asarray(x)
        c = self.config
        if x.ndim != 2 or x.shape[1] != c.nr:
            raise ValueError(f"ofdm_rx: samples must have shape [m, nr={c.nr}], got {x.shape}")
        x = self._sanitize(x)
        if self._kernel is not None:
            return self._keep_usable([RxFrame(**f) for f in self._kernel.push(x)])
        self._buf = np.concatenate([self._buf, x.astype(np.complex128)])
        frames = []
        while True:
            d0 = self._detect()
            if d0 is None:
                break
            frame = self._demodulate(d0)
            if frame is _WAIT:                       # wait for the rest of this frame
                self._pos = d0
                break
            if frame is None:                        # false alarm: move past it
                self._pos = d0 + 1
                continue
            frames.append(frame)
            # Resume the search just before this frame's end (the next preamble's metric
            # starts rising up to L samples before it).
            self._pos = frame.start + c.n_symbols * c.symbol_len - c.cp_len
        keep = max(0, self._pos - self._buf_start)
        self._buf, self._buf_start = self._buf[keep:], self._buf_start + keep
        return self._keep_usable(frames)

    def _sanitize(self, x: np.ndarray) -> np.ndarray:
        """x with its NaN/Inf samples replaced by 0 (counted in samples_invalid).

        One NaN would otherwise spread through the running sums of the detection metric and
        hide every frame whose preamble shares its search span; a zero sample only weakens
        the frame it falls in (which then fails its CRC or is not detected: a lost frame)."""
        bad = ~np.isfinite(x)
        if bad.any():
            x = np.where(bad, 0, x)
            self.samples_invalid += int(np.count_nonzero(bad))
        return x

    def _keep_usable(self, frames: list[RxFrame]) -> list[RxFrame]:
        """The frames whose outputs are all finite; the others are dropped (frames_dropped).

        Absurd samples (|x| ~ 1e30, say) are finite but overflow once squared or cast to
        complex64: σ̂², y or Ĥ come out Inf or NaN, and such a frame has no usable output
        for any detector (the detector API refuses non-finite input). It is a lost frame,
        like one never detected, and the stream goes on."""
        if not frames:
            return frames
        with np.errstate(over="ignore", invalid="ignore"):      # once per push, not per frame
            good = [f for f in frames if _usable(f)]
        self.frames_found += len(good)
        self.frames_dropped += len(frames) - len(good)
        return good

    def skip(self, n: int) -> None:
        """Drops the next n input samples unprocessed (a receiver falling behind real time
        skips ahead instead of letting the radio overflow); buffered samples go too.
        Frames in the dropped samples are lost; later frames are found as usual."""
        if self._kernel is not None:
            self._kernel.skip(int(n))
            self.samples_skipped += int(n)
            return
        end = self._buf_start + len(self._buf) + int(n)
        self._buf = np.zeros((0, self.config.nr), np.complex128)
        self._buf_start = self._pos = end
        self.samples_skipped += int(n)

    def _metric(self, seg: np.ndarray):
        """S&C P(d) and E₁(d)·E₂(d) for every d with seg[d : d + 2L] inside seg."""
        L = self._L
        corr = np.sum(np.conj(seg[:-L]) * seg[L:], axis=1)
        energy = np.sum(np.abs(seg) ** 2, axis=1)
        # Each window summed on its own, not as a difference of running sums: after a burst of
        # absurd samples (|x| ~ 1e30) a difference of running sums loses every digit of the
        # windows that follow it, which would hide a good frame behind a corrupted one.
        p = sliding_window_view(corr, L).sum(axis=1)
        e = sliding_window_view(energy, L).sum(axis=1)  # energy of seg[d : d + L]
        return p, e[:len(p)] * e[L:L + len(p)]

    def _detect(self):
        """Absolute index of the next threshold crossing of M at or after self._pos, or None.

        Searches in spans of a few symbols, so that a long buffer (a big push, a recording)
        costs the metric once per sample searched, not once per frame found."""
        span = 4 * self.config.symbol_len
        while True:
            off = self._pos - self._buf_start
            seg = self._buf[off:off + span + 2 * self._L]
            if len(seg) < 2 * self._L + 1:
                return None
            p, r = self._metric(seg)
            m = np.abs(p) ** 2 / np.maximum(r, 1e-30)
            hit = np.flatnonzero((m > self.threshold) & (r > 0))
            if hit.size:
                return self._pos + int(hit[0])
            self._pos += len(m)                                 # nothing here: never look again

    # --- one frame ---------------------------------------------------------------------
    def _demodulate(self, d0: int):
        c, L = self.config, self._L
        off = d0 - self._buf_start
        seg = self._buf[off:]
        if len(seg) < self._search + c.fft_len + 1:
            return _WAIT
        p, r = self._metric(seg[:self._search + 2 * L])
        m = np.abs(p) ** 2 / np.maximum(r, 1e-30)
        win = m[:c.cp_len + L + 1]
        plateau = np.flatnonzero(win >= 0.9 * win.max())
        cfo = float(np.angle(np.sum(p[plateau])) / np.pi)
        # Fine timing: correlate the coarsely corrected start against the known preamble body.
        n_head = self._search + c.fft_len
        head = seg[:n_head] * np.exp(-1j * np.pi * cfo * np.arange(n_head) / L)[:, None]
        idx = np.arange(self._search + 1)[:, None] + np.arange(c.fft_len)[None, :]
        xc = np.einsum("dnr,n->dr", head[idx], np.conj(self._pre_time))
        peak = int(np.argmax(np.sum(np.abs(xc) ** 2, axis=1)))
        fft0 = peak - self.backoff                          # FFT window of the preamble body
        if fft0 < 0:
            return None
        if len(seg) < fft0 + c.n_symbols * c.symbol_len - c.cp_len:
            return _WAIT
        # Refine the CFO on the timed preamble body alone (the plateau average above mixes in
        # a little of the next symbol), then on the repeated training symbols, which lie a
        # whole symbol apart (|residual| < N / (2 (cp + N)) Δf, far above the coarse error).
        body = head[peak:peak + c.fft_len]
        cfo += float(np.angle(np.sum(np.conj(body[:L]) * body[L:])) / np.pi)
        sl = c.symbol_len
        t0 = fft0 + sl                                      # first training FFT window
        first = np.arange(c.n_training_symbols).reshape(-1, c.ltf_repeats)[:, :-1].ravel()
        w = t0 + first[:, None] * sl + np.arange(c.fft_len)[None, :]
        acc = np.sum(np.conj(seg[w]) * seg[w + sl]) * np.exp(-2j * np.pi * cfo * sl / c.fft_len)
        cfo += float(np.angle(acc) * c.fft_len / (2 * np.pi * sl))
        starts = fft0 + np.arange(c.n_symbols) * c.symbol_len
        idx = starts[:, None] + np.arange(c.fft_len)[None, :]
        sym = seg[idx] * np.exp(-2j * np.pi * cfo * idx / c.fft_len)[..., None]    # [S, N, Nr]
        grid = np.fft.fft(sym, axis=1, norm="ortho")[:, self._used, :]    # [S, n_used, Nr]
        h_est, nv = self._estimate(grid[1:1 + c.n_training_symbols])
        if not np.isfinite(nv) or nv <= 0:
            return None
        data = grid[1 + c.n_training_symbols:]                            # [D, n_used, Nr]
        data, g = self._track(data, h_est)
        y = data[:, self._data_pos, :].reshape(-1, c.nr)
        h = (h_est[self._data_pos][None] * g[:, None, None, :]).reshape(-1, c.nr, c.nt)
        # E|Ĥ|² = |H|² + σ²/R' per entry (R' = training repeats, comb: R·Nt): remove that bias.
        reps = c.ltf_repeats * (c.nt if c.training == "comb" else 1)
        snr = max(float(np.mean(np.sum(np.abs(h_est) ** 2, axis=2)) / nv) - c.nt / reps, 1e-3)
        abs_fft0 = d0 + fft0
        with np.errstate(over="ignore"):        # absurd samples overflow complex64: _usable drops them
            y64, h64, he64 = y.astype(np.complex64), h.astype(np.complex64), h_est.astype(np.complex64)
        return RxFrame(start=abs_fft0 + self.backoff - c.cp_len, fft_start=abs_fft0, cfo=cfo,
                       h_est=he64, noise_var=float(nv), y=y64, h=h64,
                       snr_db=float(10 * np.log10(snr)), evm=self._evm(data[:, self._data_pos], h_est, g, nv),
                       metric=float(win.max()))

    def _estimate(self, train: np.ndarray):
        """train: complex[T, n_used, Nr] -> Ĥ complex[n_used, Nr, Nt], σ̂²."""
        c, R = self.config, self.config.ltf_repeats
        tv = c.training_values                                            # [T, n_used, Nt]
        groups = train.reshape(-1, R, c.n_used, c.nr)                     # repeats of one pattern
        mean = groups.mean(axis=1)
        nv = float(np.sum(np.abs(groups - mean[:, None]) ** 2) / (groups.shape[0] * (R - 1) * c.n_used * c.nr))
        h = np.zeros((c.n_used, c.nr, c.nt), np.complex128)
        if c.training == "time":
            for j in range(c.nt):
                h[:, :, j] = mean[j] / tv[j * R, :, j][:, None]
        else:
            pos = np.arange(c.n_used)
            car = c.used_carriers
            # The FFT windows start `backoff` samples early, which turns H into a phasor rotating
            # by 2π·backoff/N per carrier: interpolate the channel with that ramp removed.
            ramp = np.exp(-2j * np.pi * car * self.backoff / c.fft_len)
            for t in range(c.nt):
                own = pos[pos % c.nt == t]
                ls = mean[0, own] / (tv[0, own, t] * ramp[own])[:, None]     # [n_own, Nr]
                for rx in range(c.nr):
                    h[:, rx, t] = (np.interp(car, car[own], ls[:, rx].real)
                                   + 1j * np.interp(car, car[own], ls[:, rx].imag)) * ramp
        return h, nv

    def _track(self, data: np.ndarray, h_est: np.ndarray):
        """Phase tracking on the pilots of every data symbol.

        data: complex[D, n_used, Nr] -> (data with each symbol's common phase removed,
        g complex[D, Nt] unit-modulus phase of each stream in each symbol, relative to Ĥ).
        Per stream because Ĥ's columns were measured at different times (time-orthogonal
        training) and, over the air, may come from different oscillators: phase noise or
        a residual CFO turns them apart. g is the least-squares fit of the P·Nr pilot
        observations to Σ_t Ĥ[:, t] p_t g_t; with fewer than 2·Nt observations only the
        common phase is tracked (g = 1).
        """
        c = self.config
        hp = h_est[self._pilot_pos]                                         # [P, Nr, Nt]
        a = hp[None] * c.pilot_values[:, :, None, :]                        # [D, P, Nr, Nt]
        expect = a.sum(axis=3)                                              # [D, P, Nr]
        got = data[:, self._pilot_pos, :]
        phase = np.angle(np.sum(got * np.conj(expect), axis=(1, 2)))
        data = data * np.exp(-1j * phase)[:, None, None]
        g = np.ones((c.n_data_symbols, c.nt), np.complex128)
        if self.tracking == "per_stream" and len(self._pilot_pos) * c.nr >= 2 * c.nt:
            a = a.reshape(c.n_data_symbols, -1, c.nt)                       # [D, P·Nr, Nt]
            b = data[:, self._pilot_pos, :].reshape(c.n_data_symbols, -1)
            ah = np.conj(np.swapaxes(a, 1, 2))
            fit = np.linalg.solve(ah @ a + 1e-9 * np.eye(c.nt), (ah @ b[..., None]))[..., 0]
            g = np.exp(1j * np.angle(fit))
        return data, g

    def _evm(self, data: np.ndarray, h_est: np.ndarray, g: np.ndarray, nv: float) -> float:
        """rms error of LMMSE estimates against their nearest points. data: complex[D, n_data, Nr].

        Ĥ of symbol d is Ĥ·diag(g_d) with |g_d| = 1, so one LMMSE filter per carrier serves
        every symbol: x̂ = conj(g_d) ⊙ (W_k y)."""
        c = self.config
        hk = h_est[self._data_pos]                                          # [K, Nr, Nt]
        hh = np.conj(np.swapaxes(hk, 1, 2))
        w = np.linalg.solve(hh @ hk + nv * np.eye(c.nt), hh)                # [K, Nt, Nr]
        x = np.einsum("ktr,dkr->dkt", w, data) * np.conj(g)[:, None, :]
        pts = c.const.points
        err = np.min(np.abs(x[..., None] - pts) ** 2, axis=-1)
        return float(np.sqrt(np.mean(err)))
