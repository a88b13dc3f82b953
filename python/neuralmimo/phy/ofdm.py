# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""MIMO-OFDM frame: configuration and transmitter (the frame's bits, CRC and test payload: ofdm_bits.py).

One frame, per transmit antenna, in time samples (every symbol = cp_len + fft_len):

  preamble   1 symbol   Schmidl & Cox: a PN sequence on the even used carriers only,
                        so the time-domain body is two equal halves. Sent by antenna
                        0 alone at amplitude √Nt (the whole array's power), so the
                        receiver sees a single periodic signal (sent from all antennas
                        it could cancel at a receiver).
  training   Nt·R or R  "time": antenna j alone sends a QPSK pilot on every used carrier
                        in symbols j·R … j·R+R−1 (time-orthogonal; LS on every carrier).
                        "comb": all antennas send in every training symbol, antenna t on
                        the used carriers whose position ≡ t (mod Nt), at amplitude √Nt;
                        the receiver interpolates across carriers. R ≥ 2 repetitions
                        give the noise-variance estimate from their differences.
  data       n_data_symbols symbols. Pilot carriers carry a known ±1 pattern per
                        antenna (for common-phase tracking); data carriers carry Nt
                        constellation symbols, one per antenna (spatial multiplexing).
  gap        `gap` zero samples.

Frequency domain: carriers are signed indices k (DC = 0 unused); n_used carriers
−n_used/2 … −1, 1 … n_used/2. The IFFT is orthonormal and symbols have unit energy,
so with time-domain noise variance σ² every resource element (RE) sees y = H x + n,
n ~ CN(0, σ²) (SNR convention "rx": SNR = Nt/σ² per RE, docs/conventions.md).

Bits: a frame holds bits_per_frame = n_re·Nt·K bits. Uncoded (coding "none"): the payload
(payload_bits) then its CRC-32 (MSB first). Coded (coding "ldpc648"): the information bits
(payload then CRC-32) are LDPC-encoded into whole codewords that fill the frame, the rest is
known pad bits (the layout: ofdm_coding.py). RE i (data symbols in order, data carriers
ascending within a symbol) carries bits [(i·Nt + t)·K, (i·Nt + t + 1)·K) on antenna t, i.e. exactly the
user-major LLR layout of the detectors (docs/conventions.md, "GNU Radio stream
contract"), so a frame's LLRs flattened are its bits in order.

"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from .constellation import constellation as _constellation
from .ofdm_bits import CRC_BITS, HEADER_BITS, append_crc
from .ofdm_coding import CODINGS, LDPC_K, LDPC_N, encode_frame

__all__ = ["OfdmConfig", "ofdm_config", "OfdmTransmitter"]

TRAINING_KINDS = ("time", "comb")
# Fixed seeds of the known sequences (preamble, training pilots, phase pilots): part of
# the frame format, not of the payload.
_PREAMBLE_SEED, _TRAINING_SEED, _PILOT_SEED = 0x5C, 0x7A, 0x91


def _pn(seed: int, shape, qpsk: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if qpsk:
        b = rng.integers(0, 2, shape + (2,)) * 2 - 1
        return ((b[..., 0] + 1j * b[..., 1]) / np.sqrt(2)).astype(np.complex128)
    return (rng.integers(0, 2, shape) * 2 - 1).astype(np.complex128)


@dataclass(frozen=True)
class OfdmConfig:
    """Everything transmitter and receiver must agree on (stored in recordings as a dict).

    fft_len: even, >= 8; cp_len: 1 .. fft_len/2; n_used: even, carriers ±1 .. ±n_used/2;
    pilots: signed phase-pilot carriers; training: "time" or "comb", ltf_repeats R >= 2
    (module docstring); gap: zero samples after a frame; seed: of the test payload;
    coding: "none" or "ldpc648" (the 802.11n (648, 324) LDPC code, ofdm_coding.py).
    ValueError naming the field for an inconsistent configuration.
    """

    nt: int = 2
    nr: int = 2
    constellation: str = "qam16"
    fft_len: int = 64
    cp_len: int = 16
    n_used: int = 52
    pilots: tuple = (-21, -7, 7, 21)
    n_data_symbols: int = 12
    training: str = "time"
    ltf_repeats: int = 2
    gap: int = 0
    seed: int = 0
    coding: str = "none"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        for key in ("nt", "nr", "fft_len", "cp_len", "n_used", "n_data_symbols", "ltf_repeats", "gap", "seed"):
            val = getattr(self, key)
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)):
                raise ValueError(f"ofdm_config: {key} must be an integer, got {val!r}")
            object.__setattr__(self, key, int(val))
        object.__setattr__(self, "pilots", tuple(int(p) for p in self.pilots))
        _constellation(self.constellation)            # raises for an unknown name
        for key, low in (("nt", 1), ("nr", 1), ("n_data_symbols", 1), ("ltf_repeats", 2), ("gap", 0),
                         ("seed", 0), ("cp_len", 1)):
            if getattr(self, key) < low:
                raise ValueError(f"ofdm_config: {key} must be >= {low}, got {getattr(self, key)}")
        if self.fft_len < 8 or self.fft_len % 2:
            raise ValueError(f"ofdm_config: fft_len must be even and >= 8, got {self.fft_len}")
        if self.cp_len > self.fft_len // 2:
            # The Schmidl & Cox preamble is periodic with fft_len/2 through its CP only then.
            raise ValueError(f"ofdm_config: cp_len must be <= fft_len/2 = {self.fft_len // 2}, "
                             f"got {self.cp_len}")
        if self.n_used % 2 or not 2 <= self.n_used <= self.fft_len - 2:
            raise ValueError(f"ofdm_config: n_used must be even and in [2, fft_len-2 = {self.fft_len - 2}], "
                             f"got {self.n_used}")
        used = set(self.used_carriers.tolist())
        bad = [p for p in self.pilots if p not in used]
        if bad or len(set(self.pilots)) != len(self.pilots):
            raise ValueError(f"ofdm_config: pilots {list(self.pilots)} must be distinct used carriers "
                             f"(±1 … ±{self.n_used // 2}); not used: {bad}")
        if len(self.pilots) >= self.n_used:
            raise ValueError("ofdm_config: pilots leave no data carriers")
        if self.training not in TRAINING_KINDS:
            raise ValueError(f"ofdm_config: training '{self.training}' is not one of {', '.join(TRAINING_KINDS)}")
        if self.training == "comb" and self.n_used < 2 * self.nt:
            raise ValueError(f"ofdm_config: comb training needs n_used >= 2·nt, got {self.n_used} for nt={self.nt}")
        if self.coding not in CODINGS:
            raise ValueError(f"ofdm_config: coding '{self.coding}' is not one of {', '.join(CODINGS)}")
        if self.coding != "none" and self.n_codewords == 0:
            raise ValueError(f"ofdm_config: coding '{self.coding}' needs at least {LDPC_N} bits per frame, "
                             f"the frame holds {self.bits_per_frame}; add data symbols")
        if self.payload_bits < HEADER_BITS:
            raise ValueError(f"ofdm_config: a frame holds {self.info_bits} information bits, fewer than the "
                             f"{HEADER_BITS + CRC_BITS} of header and CRC; add data symbols")

    # --- derived sizes ---------------------------------------------------------------
    @property
    def const(self):
        return _constellation(self.constellation)

    @property
    def bits_per_symbol(self) -> int:
        return self.const.bits_per_symbol

    @property
    def used_carriers(self) -> np.ndarray:
        """int64[n_used] signed carrier indices, ascending."""
        h = self.n_used // 2
        return np.concatenate([np.arange(-h, 0), np.arange(1, h + 1)])

    @property
    def data_carriers(self) -> np.ndarray:
        if "data" not in self._cache:           # sizes below derive from it: compute once
            u = self.used_carriers
            self._cache["data"] = u[~np.isin(u, self.pilots)]
            self._cache["data"].flags.writeable = False
        return self._cache["data"]

    @property
    def pilot_carriers(self) -> np.ndarray:
        return np.array(sorted(self.pilots), dtype=np.int64)

    @property
    def symbol_len(self) -> int:
        return self.cp_len + self.fft_len

    @property
    def n_training_symbols(self) -> int:
        return self.ltf_repeats * (self.nt if self.training == "time" else 1)

    @property
    def n_symbols(self) -> int:
        """OFDM symbols per frame: preamble, training, data."""
        return 1 + self.n_training_symbols + self.n_data_symbols

    @property
    def frame_len(self) -> int:
        """Samples per frame, gap included (the frame period of a continuous transmission)."""
        return self.n_symbols * self.symbol_len + self.gap

    @property
    def n_re(self) -> int:
        """Data resource elements per frame (each carries Nt symbols)."""
        return self.n_data_symbols * len(self.data_carriers)

    @property
    def bits_per_frame(self) -> int:
        return self.n_re * self.nt * self.bits_per_symbol

    @property
    def n_codewords(self) -> int:
        """LDPC codewords per frame (0 uncoded): as many whole ones as the frame's bits hold."""
        return 0 if self.coding == "none" else self.bits_per_frame // LDPC_N

    @property
    def pad_bits(self) -> int:
        """Known pad bits at the end of a coded frame (bits_per_frame − n_codewords·648; 0 uncoded)."""
        return 0 if self.coding == "none" else self.bits_per_frame - self.n_codewords * LDPC_N

    @property
    def info_bits(self) -> int:
        """Information bits per frame: payload + CRC (all the frame's bits when uncoded)."""
        return self.bits_per_frame if self.coding == "none" else self.n_codewords * LDPC_K

    @property
    def payload_bits(self) -> int:
        return self.info_bits - CRC_BITS

    def fft_bins(self, carriers) -> np.ndarray:
        """Signed carrier indices -> FFT bin indices (numpy FFT order)."""
        return np.asarray(carriers) % self.fft_len

    # --- known sequences -------------------------------------------------------------
    @property
    def preamble_values(self) -> np.ndarray:
        """complex128[n_used]: the preamble's value per used carrier (0 on odd carriers)."""
        if "pre" not in self._cache:
            u = self.used_carriers
            v = np.where(u % 2 == 0, _pn(_PREAMBLE_SEED, (u.size,), qpsk=False) * np.sqrt(2), 0)
            self._cache["pre"] = v * np.sqrt(self.nt)
        return self._cache["pre"]

    @property
    def training_values(self) -> np.ndarray:
        """complex128[n_training_symbols, n_used, Nt]: what each antenna sends in each training symbol."""
        if "train" not in self._cache:
            p = _pn(_TRAINING_SEED, (self.n_used,), qpsk=True)
            t = np.zeros((self.n_training_symbols, self.n_used, self.nt), np.complex128)
            if self.training == "time":
                for j in range(self.nt):
                    t[j * self.ltf_repeats:(j + 1) * self.ltf_repeats, :, j] = p
            else:
                owner = np.arange(self.n_used) % self.nt
                t[:, np.arange(self.n_used), owner] = p * np.sqrt(self.nt)
            self._cache["train"] = t
        return self._cache["train"]

    @property
    def pilot_values(self) -> np.ndarray:
        """complex128[n_data_symbols, n_pilots, Nt]: ±1 phase pilots per data symbol and antenna."""
        if "pilot" not in self._cache:
            self._cache["pilot"] = _pn(_PILOT_SEED, (self.n_data_symbols, len(self.pilots), self.nt), qpsk=False)
        return self._cache["pilot"]

    # --- (de)serialisation -----------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("_cache")
        d["pilots"] = list(self.pilots)
        if d["coding"] == "none":
            # Uncoded frames are stored as before the field existed, so older readers still take them.
            d.pop("coding")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "OfdmConfig":
        if not isinstance(d, dict):
            raise ValueError(f"ofdm_config: expected a dict, got {type(d).__name__}")
        known = {k for k in cls.__dataclass_fields__ if not k.startswith("_")}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"ofdm_config: unknown keys {unknown}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def ofdm_config(nt: int = 2, nr: int = 2, constellation: str = "qam16", fft_len: int = 64,
                cp_len: int = 16, n_used: int = 52, pilots=(-21, -7, 7, 21), n_data_symbols: int = 12,
                training: str = "time", ltf_repeats: int = 2, gap: int = 0, seed: int = 0,
                coding: str = "none") -> OfdmConfig:
    """The frame configuration shared by every OFDM block (GRC: the 'OFDM Config' variable)."""
    return OfdmConfig(nt=nt, nr=nr, constellation=constellation, fft_len=fft_len, cp_len=cp_len,
                      n_used=n_used, pilots=tuple(pilots), n_data_symbols=n_data_symbols,
                      training=training, ltf_repeats=ltf_repeats, gap=gap, seed=seed, coding=coding)


# --- transmitter --------------------------------------------------------------------
class OfdmTransmitter:
    """payload bits -> one frame of time samples for every antenna.

    frame(payload: uint8[payload_bits]) -> complex64[frame_len, Nt], samples scaled by
    `amplitude` (1: orthonormal IFFT of unit-energy symbols; a USRP wants about 0.2–0.3
    to keep the peaks of the OFDM signal inside its DAC range).
    """

    def __init__(self, config: OfdmConfig, amplitude: float = 1.0):
        if not np.isfinite(amplitude) or amplitude <= 0:
            raise ValueError(f"ofdm_tx: amplitude must be > 0, got {amplitude}")
        self.config, self.amplitude = config, float(amplitude)
        c = config
        self._used_bins = c.fft_bins(c.used_carriers)
        self._data_bins = c.fft_bins(c.data_carriers)
        self._pilot_bins = c.fft_bins(c.pilot_carriers)
        # Everything before the data symbols is fixed: build it once.
        grid = np.zeros((1 + c.n_training_symbols, c.fft_len, c.nt), np.complex128)
        grid[0, self._used_bins, 0] = c.preamble_values
        grid[1:, self._used_bins, :] = c.training_values
        self._head = self._to_time(grid)

    def _to_time(self, grid: np.ndarray) -> np.ndarray:
        """grid: complex[S, fft_len, Nt] -> complex128[S·(cp+N), Nt] with cyclic prefixes."""
        c = self.config
        t = np.fft.ifft(grid, axis=1, norm="ortho")
        t = np.concatenate([t[:, -c.cp_len:], t], axis=1)
        return t.reshape(-1, c.nt)

    def frame(self, payload) -> np.ndarray:
        c = self.config
        payload = np.asarray(payload)
        if payload.shape != (c.payload_bits,):
            raise ValueError(f"ofdm_tx: payload must have shape ({c.payload_bits},), got {payload.shape}")
        if payload.size and (payload.min() < 0 or payload.max() > 1):
            raise ValueError("ofdm_tx: payload bits must be 0 or 1")
        bits = encode_frame(c, append_crc(payload.astype(np.uint8)))
        sym = c.const.map(bits.reshape(c.n_data_symbols, len(c.data_carriers), c.nt * c.bits_per_symbol))
        grid = np.zeros((c.n_data_symbols, c.fft_len, c.nt), np.complex128)
        grid[:, self._data_bins, :] = sym
        grid[:, self._pilot_bins, :] = c.pilot_values
        out = np.concatenate([self._head, self._to_time(grid), np.zeros((c.gap, c.nt))])
        return (out * self.amplitude).astype(np.complex64)
