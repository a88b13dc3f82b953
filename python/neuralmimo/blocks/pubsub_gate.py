# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A gate that holds a stream until a ZMQ PUB/SUB link is known to deliver, and its receiving end.

A PUB socket drops what it publishes while no subscriber is known, and a SUB socket subscribes
asynchronously after it connects: the first items of a stream sent at once would be lost, and a
receiver that frames its input by counting (frame_checker: n_re items per frame) would stay
misaligned. So:

    sender:   data -> pubsub_gate -> zeromq.pub_sink (pass_tags)
    receiver: zeromq.sub_source (pass_tags) -> pubsub_ungate -> data

While closed, pubsub_gate publishes probe items (zeros, each tagged "pubsub_probe") a few ms
apart and holds its input; pubsub_ungate drops the probes and, at the first one, opens the gate
(a threading.Event both hold, so both blocks live in one process). The probes that were sent
before the subscription are the ones lost; those after it arrive before the first data item
(a PUB/SUB link keeps the order), so the data stream arrives whole. After the gate opens both
blocks pass items and their tags through unchanged, tag offsets shifted by the probes.

The two ends share the Event: pass one threading.Event to both, or the same link name (a string,
as GRC does; the ends of one name share one Event of this process, cleared when the gate starts).

A SUB source never ends by itself (not even when every block after it has): pubsub_ungate with
items > 0 ends after that many data items and then ends its source too (a "done" message on the
source block's system port), so a finite flowgraph finishes.

Ports: dtype "byte" / "float" (or a numpy dtype) with vlen; in = out.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pmt
from gnuradio import gr

from . import item

PROBE = pmt.intern("pubsub_probe")
#: Seconds between probes while the gate is closed: keeps a closed gate from spinning a core.
PROBE_PERIOD = 0.005
_LINKS: dict = {}
_DTYPES = {"byte": np.uint8, "float": np.float32, "complex": np.complex64}


def _event(opened) -> threading.Event:
    """The Event of a link: given, or the one of its name."""
    if isinstance(opened, str):
        return _LINKS.setdefault(opened, threading.Event())
    if not isinstance(opened, threading.Event):
        raise ValueError(f"opened must be a threading.Event or a link name, got {opened!r}")
    return opened


def _port(name: str, dtype, vlen):
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        dtype = _DTYPES[dtype]
    if isinstance(vlen, bool) or int(vlen) != vlen or vlen < 1:
        raise ValueError(f"{name}: vlen must be an integer >= 1, got {vlen!r}")
    return item(dtype, int(vlen))


class pubsub_gate(gr.basic_block):  # noqa: N801
    """Sender side: in/out dtype[vlen]; `opened` the Event (or link name) the pubsub_ungate sets."""

    def __init__(self, dtype, vlen: int, opened):
        port = _port("pubsub_gate", dtype, vlen)
        gr.basic_block.__init__(self, name="pubsub_gate", in_sig=[port], out_sig=[port])
        self.opened = _event(opened)
        self.probes = 0
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def start(self):
        # A link name outlives a flowgraph: a new run waits for its own subscription. Nothing can
        # set the Event before this gate's first probe.
        self.opened.clear()
        self.probes = 0
        return True

    def forecast(self, noutput_items, ninputs):
        # Closed: a probe needs no input (the scheduler calls work without any).
        return [noutput_items if self.opened.is_set() else 0] * ninputs

    def general_work(self, input_items, output_items):
        out = output_items[0]
        if not self.opened.is_set():
            time.sleep(PROBE_PERIOD)
            out[:1] = 0
            self.add_item_tag(0, self.nitems_written(0), PROBE, pmt.PMT_T)
            self.probes += 1
            return 1
        n = min(len(input_items[0]), len(out))
        out[:n] = input_items[0][:n]
        shift = self.probes
        for t in self.get_tags_in_window(0, 0, n):
            self.add_item_tag(0, t.offset + shift, t.key, t.value, t.srcid)
        self.consume(0, n)
        return n

    def data_items(self) -> int:
        """Data items passed (probes not counted)."""
        return int(self.nitems_read(0))


class pubsub_ungate(gr.basic_block):  # noqa: N801
    """Receiver side: in/out dtype[vlen]; drops probe items, sets `opened` at the first one.

    items: data items to pass before ending (0: no end); source: the block before it (the SUB
    source), or a callable returning it (GRC: lambda: self.sub), ended with this block."""

    def __init__(self, dtype, vlen: int, opened, items: int = 0, source=None):
        port = _port("pubsub_ungate", dtype, vlen)
        if isinstance(items, bool) or int(items) != items or items < 0:
            raise ValueError(f"pubsub_ungate: items must be an integer >= 0 (0: no end), got {items!r}")
        gr.basic_block.__init__(self, name="pubsub_ungate", in_sig=[port], out_sig=[port])
        self.opened = _event(opened)
        self.items, self.source = int(items), source
        self.dropped = 0
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def forecast(self, noutput_items, ninputs):
        return [noutput_items] * ninputs

    def general_work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        n = min(len(x), len(out))
        passed = self.nitems_written(0)
        if self.items and passed >= self.items:
            self._end_source()
            return -1                                   # WORK_DONE
        base = self.nitems_read(0)
        tags = self.get_tags_in_window(0, 0, n)
        probes = {t.offset - base for t in tags if pmt.eq(t.key, PROBE)}
        if probes:
            self.opened.set()
        keep = np.array([i not in probes for i in range(n)], bool) if probes else None
        m = n if keep is None else int(keep.sum())
        if self.items:                                  # data beyond the count is not passed on
            m = min(m, self.items - passed)
        out[:m] = (x[:n] if keep is None else x[:n][keep])[:m]
        # New offset of input item i: the items before it that are kept.
        kept_before = np.arange(n) if keep is None else np.cumsum(keep) - keep
        for t in tags:
            i = t.offset - base
            if i not in probes and kept_before[i] < m:
                self.add_item_tag(0, passed + int(kept_before[i]), t.key, t.value, t.srcid)
        self.dropped += len(probes)
        self.consume(0, n)
        if self.items and passed + m >= self.items:
            # The count is reached: end the source, and this block ends when its input does.
            self._end_source()
        return m

    def _end_source(self) -> None:
        src = self.source() if callable(self.source) and not hasattr(self.source, "to_basic_block") else self.source
        if src is not None:
            src = src.to_basic_block() if hasattr(src, "to_basic_block") else src
            src._post(pmt.intern("system"), pmt.cons(pmt.intern("done"), pmt.from_long(1)))


__all__ = ["PROBE", "pubsub_gate", "pubsub_ungate"]
