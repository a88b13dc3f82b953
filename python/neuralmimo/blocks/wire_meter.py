# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""wire_meter: counts the bytes of a stream (what a link would carry) and reports its rate.

In: dtype "byte" / "float" / "complex" with vlen; a sink. Counters: items(), bytes() (items ·
item size), bytes_per_s() (measured: bytes over the time from the first work() call to the
last), realtime_bytes_per_s() (items at `realtime_items_per_s`, the rate of the stream when the
flowgraph runs in real time, e.g. config.n_re · samp_rate / config.frame_len resource elements
per second of an OFDM link; 0: not given, NaN). The totals are logged when the flowgraph stops.
"""
from __future__ import annotations

import math
import time

import numpy as np
from gnuradio import gr

from .pubsub_gate import _DTYPES, _port


class wire_meter(gr.sync_block):  # noqa: N801
    def __init__(self, dtype="byte", vlen: int = 1, label: str = "", realtime_items_per_s: float = 0.0):
        port = _port("wire_meter", dtype, vlen)
        rate = float(realtime_items_per_s)
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"wire_meter: realtime_items_per_s must be >= 0, got {realtime_items_per_s!r}")
        gr.sync_block.__init__(self, name="wire_meter", in_sig=[port], out_sig=None)
        self.item_bytes = int(np.dtype(_DTYPES.get(dtype, dtype)).itemsize) * int(vlen)
        self.label, self.realtime = label or "wire_meter", rate
        self._first = self._last = None
        self._log = gr.logger(f"wire_meter({self.label})")

    def work(self, input_items, output_items):
        now = time.perf_counter()
        if self._first is None:
            self._first = now
        self._last = now
        return len(input_items[0])

    def items(self) -> int:
        return int(self.nitems_read(0))

    def bytes(self) -> int:
        return self.items() * self.item_bytes

    def bytes_per_s(self) -> float:
        """Measured rate (NaN before two work() calls)."""
        if self._first is None or self._last == self._first:
            return float("nan")
        return self.bytes() / (self._last - self._first)

    def realtime_bytes_per_s(self) -> float:
        return self.realtime * self.item_bytes if self.realtime else float("nan")

    def stop(self):
        self._log.info(f"{self.bytes()} bytes ({self.items()} items of {self.item_bytes} B), "
                       f"{self.bytes_per_s():.4g} B/s as run, {self.realtime_bytes_per_s():.4g} B/s in real time")
        return True
