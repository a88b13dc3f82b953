#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""detector_switch: a live detector choice switches at a frame start and loses or reorders no item.

The reference is each detector run alone on the same items (run_items): after switches made while
the flowgraph runs, every frame of the output must equal exactly one detector's output for that
frame, the detectors must follow in the order they were chosen, and the frame_info tags must sit
on the same items as at the input.
"""
import time

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.blocks.detector_select import detector_select, run_items
from neuralmimo.qa_common import random_system, run_flowgraph

NT, NR, FRAME = 2, 4, 96
SPECS = ["cpp:lmmse", "zf", "kbest"]


class _switch_at(gr.sync_block):  # noqa: N801
    """Passes y through and calls switch.set_spec(spec) when its output reaches item `at` and the
    switch has read every item before it (a person picking a detector while the stream flows,
    made deterministic: the router sees the request exactly at item `at`)."""

    def __init__(self, switch, plan):
        gr.sync_block.__init__(self, "switch_at", [(np.complex64, NR)], [(np.complex64, NR)])
        self.switch, self.plan = switch, list(plan)

    def work(self, input_items, output_items):
        done = self.nitems_written(0)
        n = len(output_items[0])
        if self.plan and self.plan[0][0] <= done:
            deadline = time.monotonic() + 30
            while self.switch.router.nitems_read(0) < done and time.monotonic() < deadline:
                time.sleep(0.001)
            self.switch.set_spec(self.plan.pop(0)[1])
        if self.plan:
            n = min(n, self.plan[0][0] - done)
        output_items[0][:n] = input_items[0][:n]
        return n


def _system(frames, seed=4):
    rng = np.random.default_rng(seed)
    c = nm.constellation("qam16")
    n = frames * FRAME
    y, h, _ = random_system(rng, n, NR, NT, c, 0.05)
    return y, h, np.full(n, 0.05, np.float32)


def _run(switch, y, h, nv, plan, tagged=True):
    n = y.shape[0]
    tags = [gr.tag_utils.python_to_tag((k, pmt.intern("frame_info"), pmt.from_long(k // FRAME), pmt.intern("rx")))
            for k in range(0, n, FRAME)] if tagged else []
    tb = gr.top_block()
    src_y = blocks.vector_source_c(y.ravel().tolist(), False, NR, tags)
    src_h = blocks.vector_source_c(h.reshape(n, -1).ravel().tolist(), False, NR * NT)
    src_n = blocks.vector_source_f(nv.tolist(), False, 1)
    trig = _switch_at(switch, plan)
    snk = blocks.vector_sink_f(NT * 4)
    tb.connect(src_y, trig, (switch, 0))
    tb.connect(src_h, (switch, 1))
    tb.connect(src_n, (switch, 2))
    tb.connect(switch, snk)
    run_flowgraph(tb)
    return np.asarray(snk.data(), np.float32).reshape(-1, NT * 4), snk.tags()


def _frame_owners(out, refs, frames):
    """The spec whose output equals each frame's (None when no detector's does)."""
    owners = []
    for f in range(frames):
        sl = slice(f * FRAME, (f + 1) * FRAME)
        same = [s for s, r in refs.items() if np.allclose(out[sl], r[sl], rtol=1e-5, atol=1e-4)]
        owners.append(same[0] if len(same) == 1 else None)
    return owners


class qa_detector_switch(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.frames = 24
        cls.y, cls.h, cls.nv = _system(cls.frames)
        cls.refs = {s: run_items(detector_select(s, NT, NR, "qam16", "llr", batch=FRAME), cls.y, cls.h, cls.nv, NT * 4)
                    for s in SPECS}
        # The three detectors differ on this noise level (else "which detector made a frame" is moot).
        for a in SPECS:
            for b in SPECS:
                if a < b:
                    assert not np.allclose(cls.refs[a][:FRAME], cls.refs[b][:FRAME], atol=1e-4), (a, b)

    def _switch(self, spec="cpp:lmmse"):
        return nm.detector_switch(SPECS, spec, NT, NR, "qam16", "llr", batch=FRAME)

    def test_switches_at_frame_starts_and_keeps_every_item(self):
        # Requests mid-frame (at items 250, 700, 1500): each takes effect at the next frame start.
        sw = self._switch()
        plan = [(250, "zf"), (700, "kbest"), (1500, "cpp:lmmse")]
        out, tags = _run(sw, self.y, self.h, self.nv, plan)
        self.assertEqual(out.shape[0], self.frames * FRAME)
        owners = _frame_owners(out, self.refs, self.frames)
        self.assertNotIn(None, owners, owners)                 # every frame whole, from one detector
        runs = [owners[0]] + [b for a, b in zip(owners, owners[1:]) if a != b]
        self.assertEqual(runs, ["cpp:lmmse", "zf", "kbest", "cpp:lmmse"], owners)
        # Each request takes effect at the first frame start at or after its item.
        changes = [f * FRAME for f in range(1, self.frames) if owners[f] != owners[f - 1]]
        self.assertEqual(changes, [-(-asked // FRAME) * FRAME for asked, _ in plan])
        self.assertEqual(sw.spec(), "cpp:lmmse")
        info = sorted(t.offset for t in tags if pmt.symbol_to_string(t.key) == "frame_info")
        self.assertEqual(info, list(range(0, self.frames * FRAME, FRAME)))

    def test_untagged_stream_switches_at_once(self):
        sw = self._switch()
        out, _ = _run(sw, self.y, self.h, self.nv, [(FRAME * 5 + 10, "zf")], tagged=False)
        self.assertEqual(out.shape[0], self.frames * FRAME)
        # No frame starts to wait for: zf from the request's item on, items in order.
        lm, zf = self.refs["cpp:lmmse"], self.refs["zf"]
        is_zf = np.array([np.allclose(out[i], zf[i], atol=1e-4) and not np.allclose(out[i], lm[i], atol=1e-4)
                          for i in range(out.shape[0])])
        cut = int(np.argmax(is_zf))
        self.assertEqual(cut, FRAME * 5 + 10)
        np.testing.assert_allclose(out[:cut], lm[:cut], atol=1e-4)
        np.testing.assert_allclose(out[cut:], zf[cut:], atol=1e-4)

    def test_bad_choices_name_the_problem(self):
        with self.assertRaisesRegex(ValueError, "not one of its detectors"):
            nm.detector_switch(SPECS, "ml", NT, NR, "qam16")
        with self.assertRaisesRegex(ValueError, "twice"):
            nm.detector_switch(["zf", "zf"], "zf", NT, NR, "qam16")
        with self.assertRaisesRegex(ValueError, "non-empty list"):
            nm.detector_switch([], "", NT, NR, "qam16")
        with self.assertRaisesRegex(ValueError, "detector_select|unknown"):
            nm.detector_switch(["zf", "nosuchdetector"], "zf", NT, NR, "qam16")
        sw = self._switch()
        sw.set_spec("ml")                     # a live control's bad value: logged, nothing changes
        self.assertEqual(sw.spec(), "cpp:lmmse")
        self.assertIsNone(sw.router.pending)


if __name__ == "__main__":
    gr_unittest.run(qa_detector_switch)
