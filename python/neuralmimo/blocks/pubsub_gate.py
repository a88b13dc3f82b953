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

Ports: any item type, given as (numpy dtype, vlen); in = out.
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


class pubsub_gate(gr.basic_block):  # noqa: N801
    """Sender side: in/out dtype[vlen]; `opened` a threading.Event set by the pubsub_ungate."""

    def __init__(self, dtype, vlen: int, opened: threading.Event):
        gr.basic_block.__init__(self, name="pubsub_gate", in_sig=[item(dtype, vlen)], out_sig=[item(dtype, vlen)])
        self.opened = opened
        self.probes = 0
        self.set_tag_propagation_policy(gr.TPP_DONT)

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
    """Receiver side: in/out dtype[vlen]; drops probe items, sets `opened` at the first one."""

    def __init__(self, dtype, vlen: int, opened: threading.Event):
        gr.basic_block.__init__(self, name="pubsub_ungate", in_sig=[item(dtype, vlen)], out_sig=[item(dtype, vlen)])
        self.opened = opened
        self.dropped = 0
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def forecast(self, noutput_items, ninputs):
        return [noutput_items] * ninputs

    def general_work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        n = min(len(x), len(out))
        base = self.nitems_read(0)
        tags = self.get_tags_in_window(0, 0, n)
        probes = {t.offset - base for t in tags if pmt.eq(t.key, PROBE)}
        if probes:
            self.opened.set()
        keep = np.array([i not in probes for i in range(n)], bool) if probes else None
        m = n if keep is None else int(keep.sum())
        out[:m] = x[:n] if keep is None else x[:n][keep]
        # New offset of input item i: items before it that are kept, plus everything kept so far.
        kept_before = np.arange(n) if keep is None else np.cumsum(keep) - keep
        for t in tags:
            i = t.offset - base
            if i not in probes:
                self.add_item_tag(0, self.nitems_written(0) + int(kept_before[i]), t.key, t.value, t.srcid)
        self.dropped += n - m
        self.consume(0, n)
        return m


__all__ = ["PROBE", "pubsub_gate", "pubsub_ungate"]
