#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soft-bit fronthaul (blocks/fronthaul.py): coded OFDM loopback, LLRs quantised over ZeroMQ
PUB/SUB or in process, and the PUB/SUB gate that makes the stream arrive whole."""
import os
import threading

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest, zeromq

import neuralmimo as nm
from neuralmimo.blocks.fronthaul import FronthaulLink
from neuralmimo.blocks.pubsub_gate import pubsub_gate, pubsub_ungate
from neuralmimo.phy.quantizer import ScalarQuantizer

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")
FRAMES = 3
#: LLRs per frame of the 2x4 16QAM link: n_re resource elements of Nt·K = 8 LLRs
CONFIG = nm.ofdm_config(nt=2, nr=4, gap=100, coding="ldpc648")
LLRS_PER_FRAME = CONFIG.n_re * 8


def shipped():
    return {"float": None,
            "uniform3": nm.model_path("quantizer_uniform3_qam16_2x4.json"),
            "maxmi3": nm.model_path("quantizer_maxmi3_qam16_2x4.json"),
            "uniform5": ScalarQuantizer.uniform(5, 8.0)}


class qa_softbit_fronthaul(gr_unittest.TestCase):
    def _check_high_snr(self, transport):
        rows = FronthaulLink(shipped(), snr_db=30.0, frames=FRAMES, transport=transport).run(timeout=60)
        self.assertEqual([r["label"] for r in rows], ["float", "uniform3", "maxmi3", "uniform5"])
        for r in rows:
            bits = 32 if r["llr_bits"] is None else r["llr_bits"]
            # The wire format packs each RE's 8 codes into ceil(8·bits/8) = bits bytes: exact.
            want = FRAMES * LLRS_PER_FRAME * bits // 8
            self.assertEqual(r["wire_bytes_sent"], want, r["label"])
            self.assertEqual(r["wire_bytes_received"], want, r["label"])
            self.assertEqual(r["bytes_per_frame"], LLRS_PER_FRAME * bits // 8, r["label"])
            self.assertAlmostEqual(r["ratio_to_float"], bits / 32, msg=r["label"])
            self.assertEqual((r["frames"], r["crc_failures"], r["bit_errors"]), (FRAMES, 0, 0), r["label"])
            self.assertEqual((r["codewords"], r["codeword_errors"]), (FRAMES * CONFIG.n_codewords, 0), r["label"])
            # The receiver's frame_info tags crossed the link: the checker has the frames' SNR.
            self.assertTrue(np.isfinite(r["snr_db"]) and r["snr_db"] > 20, r["label"])
        return rows

    def test_zmq_high_snr_every_codeword_decodes(self):
        self._check_high_snr("zmq")

    def test_direct_high_snr_every_codeword_decodes(self):
        self._check_high_snr("direct")

    def test_zmq_changes_nothing(self):
        """At an SNR where the detector errs and codewords fail, the ZMQ path gives the in-process
        path's counts exactly (same bytes, same tags, so the same frames and decisions)."""
        keys = ("frames", "crc_failures", "bit_errors", "channel_bit_errors", "codewords", "codeword_errors",
                "codeword_failures", "wire_bytes_received")
        qs = {"float": None, "uniform3": nm.model_path("quantizer_uniform3_qam16_2x4.json")}
        via = {t: FronthaulLink(qs, snr_db=9.0, frames=4, transport=t).run(timeout=60) for t in ("zmq", "direct")}
        for a, b in zip(via["zmq"], via["direct"]):
            self.assertEqual({k: a[k] for k in keys}, {k: b[k] for k in keys}, a["label"])
        self.assertGreater(via["zmq"][1]["channel_bit_errors"], 0)

    def test_link_refuses_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "transport"):
            FronthaulLink({"float": None}, 30.0, 1, transport="file")
        with self.assertRaisesRegex(ValueError, "frames"):
            FronthaulLink({"float": None}, 30.0, 0)
        with self.assertRaisesRegex(ValueError, "quantizers"):
            FronthaulLink({}, 30.0, 1)

    def test_gate_delivers_every_item_and_tag_over_pubsub(self):
        """A stream sent at once over PUB/SUB arrives whole, in order, tags at their items, and the
        receiving flowgraph ends after `items` (its SUB source with it)."""
        n, vlen = 5000, 3
        data = np.arange(n * vlen, dtype=np.int64).astype(np.uint8)
        tags = [gr.tag_utils.python_to_tag((k, pmt.intern("mark"), pmt.from_long(k), pmt.intern("qa")))
                for k in (0, 17, 4999)]
        opened = threading.Event()
        tx, rx = gr.top_block(), gr.top_block()
        src = blocks.vector_source_b(data.tolist(), False, vlen, tags)
        gate = pubsub_gate("byte", vlen, opened)
        pub = zeromq.pub_sink(1, vlen, "tcp://127.0.0.1:*", 100, True, 100000, "", False)
        sub = zeromq.sub_source(1, vlen, pub.last_endpoint(), 100, True, 100000, "")
        ungate = pubsub_ungate("byte", vlen, opened, items=n, source=sub)
        sink = blocks.vector_sink_b(vlen)
        tx.connect(src, gate, pub)
        rx.connect(sub, ungate, sink)
        rx.start()
        tx.run()
        rx.wait()                       # ends by itself: the ungate's count, then its source
        self.assertEqual(np.asarray(sink.data(), np.uint8).tobytes(), data.tobytes())
        got = sorted((t.offset, pmt.to_python(t.value)) for t in sink.tags() if pmt.symbol_to_string(t.key) == "mark")
        self.assertEqual(got, [(0, 0), (17, 17), (4999, 4999)])
        self.assertGreaterEqual(gate.probes, 1)
        self.assertEqual(gate.data_items(), n)

    def test_wire_meter_counts_bytes(self):
        tb = gr.top_block()
        src = blocks.vector_source_f([0.5] * (8 * 100), False, 8)
        meter = nm.wire_meter("float", 8, label="llr", realtime_items_per_s=1000.0)
        tb.connect(src, meter)
        tb.run()
        self.assertEqual((meter.items(), meter.bytes(), meter.item_bytes), (100, 3200, 32))
        self.assertEqual(meter.realtime_bytes_per_s(), 32000.0)
        self.assertTrue(np.isnan(nm.wire_meter("byte", 3).realtime_bytes_per_s()))
        with self.assertRaisesRegex(ValueError, "realtime_items_per_s"):
            nm.wire_meter("byte", 3, realtime_items_per_s=-1)
        with self.assertRaisesRegex(ValueError, "dtype"):
            nm.wire_meter("double", 3)

    def test_gate_and_ungate_refuse_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "dtype"):
            pubsub_gate("int", 3, threading.Event())
        with self.assertRaisesRegex(ValueError, "vlen"):
            pubsub_ungate("byte", 0, threading.Event())
        with self.assertRaisesRegex(ValueError, "items"):
            pubsub_ungate("byte", 3, threading.Event(), items=-1)
        with self.assertRaisesRegex(ValueError, "opened"):
            pubsub_gate("byte", 3, 7)


if __name__ == "__main__":
    gr_unittest.run(qa_softbit_fronthaul)
