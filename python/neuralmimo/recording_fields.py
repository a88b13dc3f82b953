# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fields of a recording's .sigmf-meta that neuralmimo defines or sizes buffers from.

The "neuralmimo" extension namespace and its keys (recording.py writes and reads them), the
bounds of every field the reader or the receiver sizes anything from, and check_meta_ranges,
which refuses a recording with a field outside them before anything is allocated.

numpy only (no GNU Radio, no sigmf): replay and training machines read these too.
"""
from __future__ import annotations

import numpy as np

#: The extension namespace of the neuralmimo fields (global["neuralmimo:<key>"]).
NAMESPACE = "neuralmimo"
NAMESPACE_VERSION = "1.0.0"

_OFDM_KEY = f"{NAMESPACE}:ofdm"
_GAINS_KEY = f"{NAMESPACE}:gains_db"
_COUNT_KEY = f"{NAMESPACE}:sample_count"
_RESERVED = {"ofdm", "gains_db", "sample_count"}


# --- range checks of the metadata (before anything is allocated from it) ------------------
#: Bounds of the metadata fields. A recording is refused when a field lies outside, before any
#: array is sized from it: a corrupted or hostile .sigmf-meta (fft_len 2**62, say) must give a
#: ValueError naming the field, not a MemoryError or an exhausted machine. The bounds are far
#: beyond any real link (the project's largest system is 32x128, FFT 2048) and small enough that
#: every buffer the receiver sizes from them fits in memory.
MAX_META_BYTES = 64 << 20          # a .sigmf-meta larger than this is not read
MAX_CHANNELS = 1024                 # core:num_channels, nt, nr
MAX_FFT_LEN = 1 << 16               # fft_len (cp_len, n_used and pilots follow from it)
MAX_SYMBOLS = 1 << 12               # n_data_symbols
MAX_LTF_REPEATS = 64
MAX_GAP = 1 << 24                   # gap samples after a frame
MAX_SAMPLES = 1 << 48               # sample counts and offsets (2 PiB of 8-byte samples)
MAX_SAMPLE_RATE = 1e12              # S/s
MAX_ABS_FREQUENCY = 1e12            # Hz
MAX_ABS_GAIN_DB = 300.0

# neuralmimo:ofdm integer fields: (low, high).
_OFDM_INT_RANGES = {"nt": (1, MAX_CHANNELS), "nr": (1, MAX_CHANNELS), "fft_len": (8, MAX_FFT_LEN),
                    "cp_len": (1, MAX_FFT_LEN // 2), "n_used": (2, MAX_FFT_LEN - 2),
                    "n_data_symbols": (1, MAX_SYMBOLS), "ltf_repeats": (2, MAX_LTF_REPEATS),
                    "gap": (0, MAX_GAP), "seed": (0, (1 << 63) - 1)}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int_in(where: str, field: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {field} must be an integer, got {_short(value)}")
    if not low <= value <= high:
        raise ValueError(f"{where}: {field} = {_short(value)} is out of range [{low}, {high}]")


def _number_in(where: str, field: str, value, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {field} must be a number, got {_short(value)}")
    if not (np.isfinite(float(value)) and low <= value <= high):
        raise ValueError(f"{where}: {field} = {_short(value)} is out of range [{low:g}, {high:g}]")


def check_meta_ranges(meta: dict, where: str) -> None:
    """Range-check every field the reader or the receiver sizes anything from; ValueError naming
    the field. meta: the parsed .sigmf-meta (already SigMF-schema valid); where: for messages."""
    g = meta["global"]
    _int_in(where, "core:num_channels", g.get("core:num_channels"), 1, MAX_CHANNELS)
    if "core:sample_rate" in g:
        _number_in(where, "core:sample_rate", g["core:sample_rate"], 0.0, MAX_SAMPLE_RATE)
        if g["core:sample_rate"] <= 0:
            raise ValueError(f"{where}: core:sample_rate must be > 0, got {_short(g['core:sample_rate'])}")
    for key in ("core:offset", _COUNT_KEY):
        if key in g:
            _int_in(where, key, g[key], 0, MAX_SAMPLES)
    for section in ("captures", "annotations"):
        for i, item in enumerate(meta[section]):
            for key in ("core:sample_start", "core:sample_count", "core:global_index", "core:header_bytes"):
                if key in item:
                    _int_in(where, f"{section}[{i}].{key}", item[key], 0, MAX_SAMPLES)
            for key in ("core:frequency", "core:freq_lower_edge", "core:freq_upper_edge"):
                if key in item:
                    _number_in(where, f"{section}[{i}].{key}", item[key], -MAX_ABS_FREQUENCY, MAX_ABS_FREQUENCY)
    gains = g.get(_GAINS_KEY)
    if gains is not None:
        if not isinstance(gains, list):
            raise ValueError(f"{where}: {_GAINS_KEY} must be a list, got {_short(gains)}")
        for i, v in enumerate(gains):
            _number_in(where, f"{_GAINS_KEY}[{i}]", v, -MAX_ABS_GAIN_DB, MAX_ABS_GAIN_DB)
    ofdm = g.get(_OFDM_KEY)
    if not isinstance(ofdm, dict):
        return                       # missing or malformed: Recording.open says which
    for key, (low, high) in _OFDM_INT_RANGES.items():
        if key in ofdm:
            _int_in(where, f"{_OFDM_KEY}.{key}", ofdm[key], low, high)
    if "pilots" in ofdm:
        pilots = ofdm["pilots"]
        if not isinstance(pilots, list) or len(pilots) > MAX_FFT_LEN:
            raise ValueError(f"{where}: {_OFDM_KEY}.pilots must be a list of at most {MAX_FFT_LEN} "
                             f"carriers, got {_short(pilots)}")
        for i, v in enumerate(pilots):
            _int_in(where, f"{_OFDM_KEY}.pilots[{i}]", v, -MAX_FFT_LEN // 2, MAX_FFT_LEN // 2)
    for key in ("constellation", "training", "coding"):
        if key in ofdm and not isinstance(ofdm[key], str):
            raise ValueError(f"{where}: {_OFDM_KEY}.{key} must be a string, got {_short(ofdm[key])}")
    if "constellation" in ofdm:
        from .phy.constellation import constellation   # numpy only, no GNU Radio

        try:
            constellation(ofdm["constellation"])
        except ValueError as exc:
            raise ValueError(f"{where}: {_OFDM_KEY}.constellation: {exc}") from None
