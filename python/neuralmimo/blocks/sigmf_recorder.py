# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""sigmf_recorder: records the multi-channel receiver input as a SigMF recording.

One input, complex[Nr] (Nr = config.nr): item n = sample n of all receive
channels, which is SigMF's interleaved multi-channel layout, so items go to
`<base>.sigmf-data` unchanged. `<base>.sigmf-meta` (see neuralmimo.recording)
is written when the flowgraph starts (so a crash still leaves a readable
recording) and again when it stops, then with the sample count and sha512.
An empty path turns recording off: the input is consumed and discarded.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from gnuradio import gr
from sigmf.utils import get_sigmf_iso8601_datetime_now

from ..recording import SAMPLE_DTYPE, gains_list, sigmf_paths, write_meta
from . import item


class sigmf_recorder(gr.sync_block):  # noqa: N801
    def __init__(self, path: str, config, samp_rate: float, center_freq: float = 0.0, gains=(),
                 hw: str = "", description: str = ""):
        nr = int(config.nr)
        if nr < 1:
            raise ValueError(f"sigmf_recorder: config.nr must be >= 1, got {nr}")
        if not samp_rate > 0:
            raise ValueError(f"sigmf_recorder: samp_rate must be > 0, got {samp_rate}")
        gr.sync_block.__init__(self, name="sigmf_recorder", in_sig=[item(np.complex64, nr)], out_sig=None)
        self._nr = nr
        self._config_dict = config.to_dict()
        try:  # fail here, not at stop() after a long capture
            json.dumps(self._config_dict, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sigmf_recorder: config.to_dict() is not JSON-serialisable ({exc})") from exc
        self._meta_args = dict(sample_rate=float(samp_rate), center_freq=float(center_freq), num_channels=nr,
                               config_dict=self._config_dict, gains=gains_list(gains, nr), hw=str(hw),
                               description=str(description))
        self._base = None
        path = os.fspath(path) if path else ""
        if path:
            meta_path, self._data_path = sigmf_paths(path)
            self._base = meta_path.with_suffix("")
            folder = self._data_path.parent
            if not folder.is_dir():
                raise ValueError(f"sigmf_recorder: path {path}: directory {folder} does not exist")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ValueError(f"sigmf_recorder: path {path}: directory {folder} is not writable")
        self._fh = None
        self._count = 0
        self._failed = False
        self._datetime = None
        self._log = gr.logger("sigmf_recorder")

    def samples_written(self) -> int:
        """Samples (items of Nr channels) written to the data file so far; 0 when recording is off."""
        return self._count

    def recording_path(self) -> Path | None:
        """The .sigmf-meta path, or None when recording is off."""
        return None if self._base is None else self._base.with_suffix(".sigmf-meta")

    def start(self):
        if self._base is None:
            return True
        self._count = 0
        self._failed = False
        self._datetime = get_sigmf_iso8601_datetime_now()
        self._fh = open(self._data_path, "wb")
        write_meta(self._base, datetime_utc=self._datetime, **self._meta_args)
        return True

    def work(self, input_items, output_items):
        x = input_items[0]
        if self._fh is not None and not self._failed:
            try:
                # GNU Radio buffers are native complex64; "<c8" is a no-op view on little-endian hosts.
                self._fh.write(np.ascontiguousarray(x, dtype=SAMPLE_DTYPE))
                self._count += x.shape[0]
            except OSError as exc:  # disk full etc.: keep the flowgraph running, keep what was written
                self._failed = True
                self._log.error(f"writing {self._data_path} failed after {self._count} samples ({exc}); "
                                "recording stopped")
        return x.shape[0]

    def stop(self):
        if self._fh is None:
            return True
        try:
            self._fh.close()
            if self._failed:  # drop a partial last write so the data holds whole samples
                os.truncate(self._data_path, self._count * self._nr * SAMPLE_DTYPE.itemsize)
            write_meta(self._base, datetime_utc=self._datetime, sample_count=self._count, **self._meta_args)
            self._log.info(f"recorded {self._count} samples x {self._nr} channels to {self.recording_path()}")
        except (OSError, ValueError) as exc:
            self._log.error(f"finishing {self.recording_path()} failed ({exc})")
        self._fh = None
        return True
