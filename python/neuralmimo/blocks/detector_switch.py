# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""detector_switch: a detector chosen live from a list, switched at a frame boundary, no item lost.

    detector_switch(specs, spec, nt, nr, constellation, output, batch, threads)

Every spec of `specs` is built once by detector_select (so a bad one fails at construction, not
when a person picks it); only the active one runs. set_spec(s) (a QT GUI Chooser's callback)
switches to s at the next frame start, the next "frame_info" tag of ofdm_rx on y (at once when the
stream carries none), so every frame is detected by one detector and a frame checker downstream
sees each frame whole, in order, with its tags.

Why not reconnect the flowgraph (lock / disconnect / connect / unlock): GNU Radio then drops the
items in flight between the blocks and restarts every block's item counters, and a checker that
frames its input by counting stays misaligned. Here a router sends each item to the active
detector only and a merger takes the detectors' outputs back in the order the router sent them:

    y, h, noise_var -> _router -> detector k (the active one) -> _merger -> out

Ports as detector_select's: in y complex[Nr], h complex[Nr·Nt], noise_var float; out by `output`.
"""
from __future__ import annotations

import threading
from collections import deque

import numpy as np
import pmt
from gnuradio import gr

from .detector_select import detector_select

_FRAME_INFO = pmt.intern("frame_info")


class _Schedule:
    """The switch points the router decided, read by the merger: (item index, detector index)."""

    def __init__(self):
        self._points = deque()
        self._lock = threading.Lock()

    def add(self, at: int, index: int) -> None:
        with self._lock:
            self._points.append((at, index))

    def next(self):
        with self._lock:
            return self._points[0] if self._points else None

    def pop(self) -> None:
        with self._lock:
            self._points.popleft()


class _router(gr.basic_block):  # noqa: N801
    """y, h, noise_var -> the same three streams on the outputs of the active detector only."""

    def __init__(self, sizes: list[int], count: int, active: int, schedule: _Schedule):
        gr.basic_block.__init__(self, name="detector_switch_router",
                                in_sig=[np.dtype((np.uint8, s)) for s in sizes],
                                out_sig=[np.dtype((np.uint8, s)) for s in sizes] * count)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.active, self.pending, self.schedule = active, None, schedule
        self._seen_frame_tag = False

    def forecast(self, noutput_items, ninputs):
        return [noutput_items] * ninputs

    def general_work(self, input_items, output_items):
        n = min(len(x) for x in input_items)
        n = min(n, len(output_items[3 * self.active]))
        if n == 0:
            return 0
        read = self.nitems_read(0)
        starts = sorted(t.offset - read for t in self.get_tags_in_window(0, 0, n, _FRAME_INFO))
        self._seen_frame_tag |= bool(starts)
        pending = self.pending
        if pending is not None and pending != self.active:
            if (starts and starts[0] == 0) or not self._seen_frame_tag:
                self.schedule.add(read, pending)        # items from `read` on go to `pending`
                self.active = pending
                self.pending = None
                starts = [s for s in starts if s > 0]
            elif starts:
                n = starts[0]                           # up to the next frame start, then switch
            # else: no frame start in this window; the old detector keeps the whole window
        elif pending is not None:
            self.pending = None
        base = 3 * self.active
        for p in range(3):
            out = output_items[base + p]
            out[:n] = input_items[p][:n]
            written = self.nitems_written(base + p)
            for t in self.get_tags_in_window(p, 0, n):
                self.add_item_tag(base + p, written + t.offset - read, t.key, t.value, t.srcid)
            self.produce(base + p, n)
        self.consume_each(n)
        return gr.WORK_CALLED_PRODUCE


class _merger(gr.basic_block):  # noqa: N801
    """The detectors' outputs -> one stream, in the order the router sent the items."""

    def __init__(self, size: int, count: int, active: int, schedule: _Schedule):
        gr.basic_block.__init__(self, name="detector_switch_merger",
                                in_sig=[np.dtype((np.uint8, size))] * count, out_sig=[np.dtype((np.uint8, size))])
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.active, self.schedule = active, schedule

    def forecast(self, noutput_items, ninputs):
        # Items are needed from the active detector only (the others may have none for ever); a
        # switch at the current output item makes the next detector the active one first.
        self._advance(self.nitems_written(0))
        return [1 if i == self.active else 0 for i in range(ninputs)]

    def _advance(self, written: int):
        """Moves to the next detector when the output has reached its switch point; -> the next
        switch point still ahead (or None)."""
        point = self.schedule.next()
        while point is not None and point[0] <= written:
            self.active = point[1]
            self.schedule.pop()
            point = self.schedule.next()
        return point

    def general_work(self, input_items, output_items):
        out = output_items[0]
        written = self.nitems_written(0)
        point = self._advance(written)
        k = self.active
        n = min(len(input_items[k]), len(out))
        if point is not None:
            n = min(n, point[0] - written)
        if n <= 0:
            return 0
        out[:n] = input_items[k][:n]
        read = self.nitems_read(k)
        for t in self.get_tags_in_window(k, 0, n):
            self.add_item_tag(0, written + t.offset - read, t.key, t.value, t.srcid)
        self.consume(k, n)
        # Switch now, not at the next call: forecast() must ask the next detector for items.
        self._advance(written + n)
        return n


class detector_switch(gr.hier_block2):  # noqa: N801
    """Detectors of `specs` behind one block; set_spec() picks the one that runs (module docstring)."""

    def __init__(self, specs, spec: str = "", nt: int = 2, nr: int = 2, constellation: str = "qam16",
                 output: str = "llr", batch: int = 256, threads: int = 1):
        specs = [specs] if isinstance(specs, str) else list(specs)
        if not specs or not all(isinstance(s, str) and s for s in specs):
            raise ValueError(f"detector_switch: specs must be a non-empty list of detector strings, got {specs!r}")
        if len(set(specs)) != len(specs):
            raise ValueError(f"detector_switch: specs {specs!r} name a detector twice")
        self.specs = specs
        spec = spec or specs[0]
        self._check_spec(spec)
        self.detectors = [detector_select(s, nt, nr, constellation, output, batch, threads) for s in specs]
        first = self.detectors[0]
        sizes = [first.input_signature().sizeof_stream_item(p) for p in range(3)]
        out_size = first.output_signature().sizeof_stream_item(0)
        gr.hier_block2.__init__(self, "detector_switch", gr.io_signaturev(3, 3, sizes),
                                gr.io_signature(1, 1, out_size))
        active = specs.index(spec)
        schedule = _Schedule()
        self.router = _router(sizes, len(specs), active, schedule)
        self.merger = _merger(out_size, len(specs), active, schedule)
        for p in range(3):
            self.connect((self, p), (self.router, p))
        for k, det in enumerate(self.detectors):
            for p in range(3):
                self.connect((self.router, 3 * k + p), (det, p))
            self.connect(det, (self.merger, k))
        self.connect(self.merger, self)
        self._log = gr.logger("detector_switch")

    def _check_spec(self, spec) -> None:
        if spec not in self.specs:
            raise ValueError(f"detector_switch: spec {spec!r} is not one of its detectors {self.specs!r}")

    def set_spec(self, spec: str) -> None:
        """Switches to `spec` (one of specs) at the next frame start. A spec not in the list is
        logged and ignored (a live control must not stop the receiver)."""
        try:
            self._check_spec(spec)
        except ValueError as exc:
            self._log.error(str(exc))
            return
        self.router.pending = self.specs.index(spec)

    def spec(self) -> str:
        """The spec of the detector that gets the incoming items now."""
        return self.specs[self.router.active]

    def detector(self):
        """The active detector block (its counters: invalid_items(), ...)."""
        return self.detectors[self.router.active]
