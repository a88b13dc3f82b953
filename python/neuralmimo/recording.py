# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SigMF recordings of the multi-channel receiver input (record once, replay offline).

A recording is a SigMF file pair `<base>.sigmf-data` + `<base>.sigmf-meta`.
The data file holds interleaved multi-channel samples exactly as the receiver
stream carries them: complex64[N, Nr], row n = sample n of all Nr channels
(SigMF datatype "cf32_le", core:num_channels = Nr). The OFDM frame
configuration travels with the samples under the "neuralmimo" extension
namespace, so a replay rebuilds the same receiver without side files:

    global["neuralmimo:ofdm"]         the frame configuration (config.to_dict())
    global["neuralmimo:gains_db"]     receive gain per channel, dB (optional)
    global["neuralmimo:sample_count"] samples per channel (present once complete)
    global["neuralmimo:<key>"]        anything passed as `extra`

The namespace keys, the bounds of the metadata fields and their range check are in
recording_fields.py (importable from here as before).

numpy + sigmf only (no GNU Radio): replay and training machines read these too.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import jsonschema
import numpy as np
import sigmf
from sigmf import validate as sigmf_validate
from sigmf.sigmffile import get_sigmf_filenames
from sigmf.utils import get_sigmf_iso8601_datetime_now

from .recording_fields import (  # noqa: F401  (the bounds and check_meta_ranges stay importable from here)
    MAX_ABS_FREQUENCY, MAX_ABS_GAIN_DB, MAX_CHANNELS, MAX_FFT_LEN, MAX_GAP, MAX_LTF_REPEATS, MAX_META_BYTES,
    MAX_SAMPLE_RATE, MAX_SAMPLES, MAX_SYMBOLS, NAMESPACE, NAMESPACE_VERSION, _COUNT_KEY, _GAINS_KEY, _OFDM_KEY,
    _RESERVED, check_meta_ranges)

DATATYPE = "cf32_le"
RECORDER = "gr-neuralmimo"
#: One sample of one channel on disk: little-endian complex64 (8 bytes).
SAMPLE_DTYPE = np.dtype("<c8")


def sigmf_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """(meta path, data path) for a .sigmf-meta path, a .sigmf-data path or a base name."""
    names = get_sigmf_filenames(path)
    return names["meta_fn"], names["data_fn"]


def gains_list(gains: float | Sequence[float] | None, num_channels: int) -> list[float] | None:
    """Per-channel gains in dB: None/empty -> None, one value -> repeated for every channel."""
    if gains is None:
        return None
    values = [float(g) for g in np.atleast_1d(np.asarray(gains, dtype=float))]
    if not values:
        return None
    if len(values) == 1:
        values *= num_channels
    if len(values) != num_channels:
        raise ValueError(f"gains: {len(values)} values for {num_channels} channels (give one per channel or one for all)")
    return values


def _sha512(path: Path) -> str:
    # Same digest as sigmf.hashing.calculate_sha512 (whole file), read in large blocks.
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha512").hexdigest()


def write_meta(path_base: str | os.PathLike, *, sample_rate: float, center_freq: float, num_channels: int,
               config_dict: Mapping[str, Any], gains: float | Sequence[float] | None = None, hw: str = "",
               description: str = "", extra: Mapping[str, Any] | None = None, sample_count: int | None = None,
               datetime_utc: str | None = None) -> Path:
    """Write `<base>.sigmf-meta` for the samples in `<base>.sigmf-data`; returns the meta path.

    sample_count given means the recording is finished: the data file must then
    hold exactly sample_count * num_channels complex64 values, and its sha512 is
    stored. Without it (a recording still being written) neither is stored, so a
    crash mid-recording still leaves a readable recording.
    datetime_utc: capture start, ISO 8601 UTC ("...Z"); default now.
    Raises ValueError for a bad argument or metadata the SigMF schema refuses.
    """
    meta_path, data_path = sigmf_paths(path_base)
    num_channels = int(num_channels)
    if num_channels < 1:
        raise ValueError(f"write_meta: num_channels must be >= 1, got {num_channels}")
    g = {
        "core:datatype": DATATYPE,
        "core:version": sigmf.__specification__,
        "core:sample_rate": float(sample_rate),
        "core:num_channels": num_channels,
        "core:hw": str(hw),
        "core:description": str(description),
        "core:recorder": RECORDER,
        "core:extensions": [{"name": NAMESPACE, "version": NAMESPACE_VERSION, "optional": False}],
        _OFDM_KEY: dict(config_dict),
    }
    gl = gains_list(gains, num_channels)
    if gl is not None:
        g[_GAINS_KEY] = gl
    for key, value in (extra or {}).items():
        if key in _RESERVED:
            raise ValueError(f"write_meta: extra key '{key}' is reserved (use the parameter of that name)")
        g[f"{NAMESPACE}:{key}"] = value
    if sample_count is not None:
        sample_count = int(sample_count)
        expected = sample_count * num_channels * SAMPLE_DTYPE.itemsize
        size = data_path.stat().st_size if data_path.is_file() else None
        if size != expected:
            raise ValueError(f"write_meta: {data_path} holds {size} bytes, expected {expected} "
                             f"({sample_count} samples x {num_channels} channels x {SAMPLE_DTYPE.itemsize} bytes)")
        g[_COUNT_KEY] = sample_count
        g["core:sha512"] = _sha512(data_path)
    capture = {"core:sample_start": 0, "core:frequency": float(center_freq),
               "core:datetime": datetime_utc or get_sigmf_iso8601_datetime_now()}
    meta = {"global": g, "captures": [capture], "annotations": []}
    try:
        text = json.dumps(meta, indent=4, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"write_meta: metadata for {meta_path} is not JSON-serialisable ({exc})") from exc
    try:
        sigmf_validate.validate(meta)
    except jsonschema.exceptions.ValidationError as exc:
        raise ValueError(f"write_meta: SigMF schema refuses the metadata for {meta_path}: {exc.message}") from exc
    # Write then rename, so a reader never sees half a metadata file.
    tmp = meta_path.with_name(meta_path.name + ".tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, meta_path)
    return meta_path



class Recording:
    """A validated SigMF recording of complex64[N, num_channels] samples; build with Recording.open()."""

    def __init__(self, meta_path: Path, data_path: Path, meta: dict, sample_count: int):
        self.meta_path = meta_path
        self.data_path = data_path
        self.meta = meta
        self._global = meta["global"]
        self._capture = meta["captures"][0] if meta["captures"] else {}
        self.sample_count = sample_count

    @classmethod
    def open(cls, path: str | os.PathLike, *, verify: bool = True,
             config_from_dict: Callable[[dict], Any] | None = None) -> "Recording":
        """Open and check a recording (path: .sigmf-meta, .sigmf-data or the base name).

        verify: check core:sha512 when present (reads the whole data file once).
        config_from_dict: if given, the stored frame configuration must rebuild
        with it, and the rebuilt object's .nr is what num_channels is checked
        against; otherwise the stored dict's "nr".
        Raises ValueError naming the file and the reason.
        """
        meta_path, data_path = sigmf_paths(path)
        try:
            if meta_path.stat().st_size > MAX_META_BYTES:
                raise ValueError(f"{meta_path}: metadata file of {meta_path.stat().st_size} bytes is larger "
                                 f"than {MAX_META_BYTES} (not a recording's metadata)")
            meta = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise ValueError(f"{meta_path}: metadata file not found") from None
        except RecursionError:
            raise ValueError(f"{meta_path}: malformed metadata, JSON nested too deeply") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{meta_path}: malformed metadata, not valid JSON ({exc})") from exc
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: malformed metadata, the top level is not a JSON object")
        try:
            sigmf_validate.validate(meta)
        except jsonschema.exceptions.ValidationError as exc:
            field = ".".join(str(k) for k in exc.absolute_path) or "top level"
            raise ValueError(f"{meta_path}: not valid SigMF metadata, {field}: {exc.message}") from exc
        check_meta_ranges(meta, str(meta_path))
        g = meta["global"]
        if g.get("core:dataset") or g.get("core:metadata_only") or g.get("core:trailing_bytes") \
                or any(c.get("core:header_bytes") for c in meta["captures"]):
            raise ValueError(f"{meta_path}: only conforming SigMF datasets (<base>.sigmf-data, no header or "
                             "trailing bytes) are supported")
        if not data_path.is_file():
            raise ValueError(f"{meta_path}: data file {data_path} is missing")
        if g["core:datatype"] != DATATYPE:
            raise ValueError(f"{meta_path}: datatype is '{g['core:datatype']}', only '{DATATYPE}' "
                             "(interleaved complex float32, little-endian) is supported")
        nc = g.get("core:num_channels")
        if not isinstance(nc, int) or nc < 1:
            raise ValueError(f"{meta_path}: core:num_channels is missing or < 1 (got {nc!r})")
        size = data_path.stat().st_size
        frame = nc * SAMPLE_DTYPE.itemsize
        count, rest = divmod(size, frame)
        if rest:
            raise ValueError(f"{data_path}: truncated, {size} bytes is not a whole number of {frame}-byte "
                             f"samples ({nc} channels x {SAMPLE_DTYPE.itemsize} bytes)")
        declared = g.get(_COUNT_KEY)
        if declared is not None and declared != count:
            raise ValueError(f"{data_path}: truncated, holds {count} samples but the metadata says {declared}")
        if verify and "core:sha512" in g and _sha512(data_path) != g["core:sha512"].lower():
            raise ValueError(f"{data_path}: corrupted, its sha512 does not match core:sha512 in {meta_path.name}")
        ofdm = g.get(_OFDM_KEY)
        if ofdm is None:
            raise ValueError(f"{meta_path}: no frame configuration ({_OFDM_KEY} is missing)")
        if not isinstance(ofdm, dict):
            raise ValueError(f"{meta_path}: malformed {_OFDM_KEY} (a JSON object is expected, got {type(ofdm).__name__})")
        if config_from_dict is not None:
            try:
                nr = config_from_dict(dict(ofdm)).nr
            except Exception as exc:  # any failure to rebuild means the stored dict is unusable
                raise ValueError(f"{meta_path}: malformed {_OFDM_KEY} ({exc})") from exc
        else:
            nr = ofdm.get("nr")
        if not isinstance(nr, int) or isinstance(nr, bool) or nr < 1:
            raise ValueError(f"{meta_path}: malformed {_OFDM_KEY} (no positive integer 'nr', got {nr!r})")
        if nr != nc:
            raise ValueError(f"{meta_path}: recording has {nc} channels but its frame configuration says nr = {nr}")
        gains = g.get(_GAINS_KEY)
        if gains is not None and (not isinstance(gains, list) or len(gains) != nc):
            raise ValueError(f"{meta_path}: {_GAINS_KEY} must be a list of {nc} values, got {gains!r}")
        return cls(meta_path, data_path, meta, count)

    # --- metadata ---------------------------------------------------------
    @property
    def sample_rate(self) -> float | None:
        return self._global.get("core:sample_rate")

    @property
    def center_freq(self) -> float | None:
        """core:frequency of the (first) capture, Hz."""
        return self._capture.get("core:frequency")

    @property
    def datetime(self) -> str | None:
        """Capture start, ISO 8601 UTC."""
        return self._capture.get("core:datetime")

    @property
    def num_channels(self) -> int:
        return self._global["core:num_channels"]

    @property
    def config_dict(self) -> dict:
        """The stored frame configuration (a copy)."""
        return json.loads(json.dumps(self._global[_OFDM_KEY]))

    def config(self, config_from_dict: Callable[[dict], Any] | None = None):
        """The frame configuration object, rebuilt by config_from_dict (default OfdmConfig.from_dict)."""
        if config_from_dict is None:
            from .phy.ofdm import OfdmConfig  # lazily: only replay needs the OFDM code

            config_from_dict = OfdmConfig.from_dict
        return config_from_dict(self.config_dict)

    @property
    def gains(self) -> list[float] | None:
        """Receive gain per channel in dB, or None when not recorded."""
        gains = self._global.get(_GAINS_KEY)
        return None if gains is None else list(gains)

    @property
    def hw(self) -> str:
        return self._global.get("core:hw", "")

    @property
    def description(self) -> str:
        return self._global.get("core:description", "")

    @property
    def extra(self) -> dict:
        """The other neuralmimo:<key> entries, keyed by <key>."""
        prefix = f"{NAMESPACE}:"
        return {k[len(prefix):]: v for k, v in self._global.items()
                if k.startswith(prefix) and k[len(prefix):] not in _RESERVED}

    # --- samples ----------------------------------------------------------
    def samples(self, start: int = 0, count: int | None = None) -> np.ndarray:
        """complex64[count, num_channels], samples start .. start+count-1 (default: to the end).

        A read-only memory map of just that range: nothing is read until used.
        """
        start = int(start)
        if not 0 <= start <= self.sample_count:
            raise ValueError(f"samples: start {start} is outside 0..{self.sample_count}")
        avail = self.sample_count - start
        count = avail if count is None else int(count)
        if not 0 <= count <= avail:
            raise ValueError(f"samples: count {count} from start {start} goes past the end "
                             f"({self.sample_count} samples)")
        if count == 0:  # np.memmap refuses an empty map
            return np.empty((0, self.num_channels), dtype=np.complex64)
        return np.memmap(self.data_path, dtype=SAMPLE_DTYPE, mode="r",
                         offset=start * self.num_channels * SAMPLE_DTYPE.itemsize,
                         shape=(count, self.num_channels))

    def iter_chunks(self, chunk: int) -> Iterator[np.ndarray]:
        """Yield complex64[m, num_channels] blocks of m = chunk samples (the last may be shorter)."""
        chunk = int(chunk)
        if chunk < 1:
            raise ValueError(f"iter_chunks: chunk must be >= 1, got {chunk}")
        for start in range(0, self.sample_count, chunk):
            yield self.samples(start, min(chunk, self.sample_count - start))

    def __len__(self) -> int:
        return self.sample_count

    def __repr__(self) -> str:
        return (f"Recording({str(self.meta_path)!r}, {self.sample_count} samples x {self.num_channels} channels, "
                f"{self.sample_rate} S/s)")


def check_channels(recording: Recording, expected_nr: int) -> None:
    """Raise ValueError if the recording's channel count is not the receiver's Nr."""
    if recording.num_channels != int(expected_nr):
        raise ValueError(f"{recording.meta_path}: recording has {recording.num_channels} channels "
                         f"but the receiver expects nr = {int(expected_nr)}")
