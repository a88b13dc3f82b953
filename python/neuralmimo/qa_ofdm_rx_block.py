#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ofdm_rx as a C++ block (neuralmimo_python.ofdm_rx_block) against the Python block.

source -> receiver -> sinks on one simulated stream: the C++ block gives the items and tags of
the Python block with the "cpp" backend bit for bit, and those of the numpy backend within the
tolerances of tests/test_ofdm_rx_cpp.py (complex64 arrays: max |a - b| <= 1e-6 rms; noise_var,
evm, metric relative 1e-9; cfo, snr_db absolute 1e-9).
"""
import os

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.blocks.ofdm_rx import _ofdm_rx_py
from neuralmimo.neuralmimo_python import ofdm_rx_block
from neuralmimo.phy.ofdm import OfdmTransmitter
from neuralmimo.phy.ofdm_bits import test_payload
from neuralmimo.phy.ofdm_channel import OfdmChannelSim
from neuralmimo.phy.ofdm_rx import OfdmReceiver
from neuralmimo.phy.ofdm_rx_cpp import cpp_spec

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

ARRAY_RTOL = 1e-6
SCALAR_RTOL = 1e-9
SCALAR_ATOL = 1e-9


def _stream(cfg, frames=3, snr_db=25, seed=4, lead=70, tail=50):
    """complex64[m, Nr]: frames of numbered test payloads through a TDL-A channel."""
    tx = OfdmTransmitter(cfg)
    x = np.concatenate([np.zeros((lead, cfg.nt), np.complex64)] +
                       [tx.frame(test_payload(cfg, n)) for n in range(frames)])
    ch = OfdmChannelSim(cfg.nt, cfg.nr, sample_rate=5e6, snr_db=snr_db, profile="A", seed=seed)
    return ch.process(np.concatenate([x, np.zeros((tail, cfg.nt), np.complex64)]))


def _run(cfg, rx, y, chunk=0, out_chunk=0):
    """y, h, noise_var (numpy arrays) and the chan_est and frame_info tags (offset, value)."""
    tb = gr.top_block()
    src = blocks.vector_source_c(y.ravel().tolist(), False, cfg.nr)
    if chunk:
        src.set_max_noutput_items(chunk)        # input in small pieces
    if out_chunk:
        rx.set_max_noutput_items(out_chunk)     # frames written over several calls
    sinks = [blocks.vector_sink_c(cfg.nr), blocks.vector_sink_c(cfg.nr * cfg.nt), blocks.vector_sink_f(1)]
    tb.connect(src, rx)
    for i, s in enumerate(sinks):
        tb.connect((rx, i), s)
    tb.run()
    out = {"y": np.array(sinks[0].data(), np.complex64).reshape(-1, cfg.nr),
           "h": np.array(sinks[1].data(), np.complex64).reshape(-1, cfg.nr, cfg.nt),
           "nv": np.array(sinks[2].data(), np.float32)}
    out["chan_est"] = [(t.offset, t.value) for t in sinks[1].tags() if pmt.symbol_to_string(t.key) == "chan_est"]
    out["frame_info"] = [(t.offset, t.value) for t in sinks[0].tags() if pmt.symbol_to_string(t.key) == "frame_info"]
    out["other_tags"] = [t for s in sinks for t in s.tags()
                         if pmt.symbol_to_string(t.key) not in ("chan_est", "frame_info")]
    return out


class qa_ofdm_rx_block(gr_unittest.TestCase):
    def assert_bit_identical(self, a, b):
        for key in ("y", "h", "nv"):
            np.testing.assert_array_equal(a[key], b[key], key)
        for key in ("chan_est", "frame_info"):
            self.assertEqual([o for o, _ in a[key]], [o for o, _ in b[key]], key)
            for (_, va), (_, vb) in zip(a[key], b[key]):
                self.assertTrue(pmt.equal(va, vb), key)
        for (_, va), (_, vb) in zip(a["frame_info"], b["frame_info"]):
            self.assertEqual(pmt.to_python(va), pmt.to_python(vb))

    def assert_close(self, a, b):
        for key in ("y", "h"):
            self.assertEqual(a[key].shape, b[key].shape, key)
            scale = np.sqrt(np.mean(np.abs(a[key]) ** 2))
            self.assertLessEqual(np.max(np.abs(a[key] - b[key])), ARRAY_RTOL * scale, key)
        np.testing.assert_allclose(a["nv"], b["nv"], rtol=1e-6)
        for key in ("chan_est", "frame_info"):
            self.assertEqual([o for o, _ in a[key]], [o for o, _ in b[key]], key)
        for (_, va), (_, vb) in zip(a["chan_est"], b["chan_est"]):
            ha = np.array(pmt.c32vector_elements(va), np.complex64)
            hb = np.array(pmt.c32vector_elements(vb), np.complex64)
            self.assertLessEqual(np.max(np.abs(ha - hb)), ARRAY_RTOL * np.sqrt(np.mean(np.abs(ha) ** 2)))
        for (_, va), (_, vb) in zip(a["frame_info"], b["frame_info"]):
            ia, ib = pmt.to_python(va), pmt.to_python(vb)
            self.assertEqual(set(ia), set(ib))
            self.assertEqual((ia["start"], ia["fft_start"]), (ib["start"], ib["fft_start"]))
            for key in ("noise_var", "evm", "metric"):
                self.assertAlmostEqual(ia[key], ib[key], delta=SCALAR_RTOL * abs(ia[key]), msg=key)
            for key in ("cfo", "snr_db"):
                self.assertAlmostEqual(ia[key], ib[key], delta=SCALAR_ATOL, msg=key)

    def test_factory_picks_the_cpp_block_where_the_kernel_is_used(self):
        cfg = nm.ofdm_config(nt=2, nr=2)
        for backend in ("auto", "cpp"):
            self.assertIsInstance(nm.ofdm_rx(cfg, backend=backend), ofdm_rx_block)
        self.assertIsInstance(nm.ofdm_rx(cfg, backend="numpy"), _ofdm_rx_py)
        with self.assertRaisesRegex(ValueError, "backend"):
            nm.ofdm_rx(cfg, backend="fpga")

    def test_cpp_block_matches_python_blocks_items_and_tags(self):
        for nt, nr, training in ((2, 2, "time"), (2, 4, "comb"), (1, 1, "time")):
            cfg = nm.ofdm_config(nt=nt, nr=nr, gap=30, training=training)
            y = _stream(cfg, frames=4, seed=nt * 10 + nr)
            ref = OfdmReceiver(cfg, backend="numpy").push(y)
            self.assertEqual(len(ref), 4)
            cpp = nm.ofdm_rx(cfg)
            got = _run(cfg, cpp, y)
            self.assertEqual(cpp.frames_found(), 4)
            self.assertEqual(cpp.samples_skipped(), 0)
            self.assertEqual(len(got["y"]), 4 * cfg.n_re)
            self.assertEqual([o for o, _ in got["chan_est"]], [k * cfg.n_re for k in range(4)])
            self.assertEqual(got["other_tags"], [])
            info = [pmt.to_python(v) for _, v in got["frame_info"]]
            self.assertEqual([i["start"] for i in info], [f.start for f in ref])
            self.assertEqual(set(info[0]), set(ref[0].info()))
            self.assert_bit_identical(got, _run(cfg, _ofdm_rx_py(cfg, backend="cpp"), y))
            self.assert_close(_run(cfg, _ofdm_rx_py(cfg, backend="numpy"), y), got)

    def test_chunked_input_and_output_give_the_same_items_and_tags(self):
        cfg = nm.ofdm_config(nt=2, nr=2, gap=30)
        y = _stream(cfg, frames=3)
        whole = _run(cfg, nm.ofdm_rx(cfg), y)
        for chunk, out_chunk in ((97, 0), (0, 100), (13, 7)):
            self.assert_bit_identical(_run(cfg, nm.ofdm_rx(cfg), y, chunk, out_chunk), whole)

    def test_input_tags_are_not_propagated(self):
        cfg = nm.ofdm_config(nt=2, nr=2, gap=30)
        y = _stream(cfg, frames=2)
        tag = gr.tag_utils.python_to_tag((100, pmt.intern("rx_time"), pmt.from_long(1)))
        tb = gr.top_block()
        src = blocks.vector_source_c(y.ravel().tolist(), False, 2, [tag])
        rx = nm.ofdm_rx(cfg)
        sinks = [blocks.vector_sink_c(2), blocks.vector_sink_c(4), blocks.vector_sink_f(1)]
        tb.connect(src, rx)
        for i, s in enumerate(sinks):
            tb.connect((rx, i), s)
        tb.run()
        keys = {pmt.symbol_to_string(t.key) for s in sinks for t in s.tags()}
        self.assertEqual(keys, {"chan_est", "frame_info"})

    def test_behind_real_time_drops_whole_frames_cleanly(self):
        """max_backlog: the receiver skips ahead when input piles up; what it decodes stays right
        (the C++ block and the Python block on either backend)."""
        cfg = nm.ofdm_config(nt=2, nr=4, gap=40)
        tx = OfdmTransmitter(cfg)
        x = np.concatenate([tx.frame(test_payload(cfg, n)) for n in range(30)])
        y = OfdmChannelSim(2, 4, sample_rate=5e6, snr_db=35, profile="A", seed=2).process(x)
        makers = (lambda: nm.ofdm_rx(cfg, max_backlog=4 * cfg.frame_len),
                  lambda: _ofdm_rx_py(cfg, max_backlog=4 * cfg.frame_len, backend="cpp"),
                  lambda: _ofdm_rx_py(cfg, max_backlog=4 * cfg.frame_len, backend="numpy"))
        for make in makers:
            tb = gr.top_block()
            src = blocks.vector_source_c(y.ravel().tolist(), False, 4)
            src.set_min_output_buffer(len(y))            # all input at once: far behind
            rx = make()
            det = nm.lmmse_detector(2, 4, "qam16", "llr")
            chk = nm.frame_checker(cfg)
            tb.connect(src, rx)
            for i in range(3):
                tb.connect((rx, i), (det, i))
            tb.connect(det, chk)
            tb.run()
            self.assertGreater(rx.samples_skipped(), 0)
            self.assertLess(chk.frames(), 30)
            self.assertGreater(chk.frames(), 0)
            self.assertEqual(rx.frames_found(), chk.frames())
            self.assertEqual(chk.crc_failures(), 0)
            nums = [r["frame"] for r in chk.records()]
            self.assertEqual(nums, sorted(nums))
            self.assertEqual(chk.missed(), nums[-1] - nums[0] + 1 - len(nums))

    def test_bad_arguments_raise_naming_the_value(self):
        cfg = nm.ofdm_config(nt=2, nr=2)
        two = 2 * cfg.frame_len
        for bad in (-1, 1, two - 1):
            with self.assertRaisesRegex(ValueError, f"max_backlog.*{two}.*got {bad}"):
                nm.ofdm_rx(cfg, max_backlog=bad)
        for good in (0, two):
            self.assertIsInstance(nm.ofdm_rx(cfg, max_backlog=good), ofdm_rx_block)

        def block(obj, key, value):
            """The C++ block with one field of the spec or the parameters changed."""
            spec, params = cpp_spec(OfdmReceiver(cfg, backend="cpp"))
            setattr(spec if obj == "spec" else params, key, value)
            return ofdm_rx_block(spec, params)

        with self.assertRaisesRegex(ValueError, "frame_len = 10"):
            block("spec", "frame_len", 10)
        # The kernel's own checks come through as ValueError.
        with self.assertRaisesRegex(ValueError, "fft_len"):
            block("spec", "fft_len", 48)
        with self.assertRaisesRegex(ValueError, "threshold"):
            block("params", "threshold", 1.5)

if __name__ == "__main__":
    gr_unittest.run(qa_ofdm_rx_block)
