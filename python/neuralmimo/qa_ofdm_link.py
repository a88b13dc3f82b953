#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The MIMO-OFDM link in GNU Radio: loopback flowgraph, record, replay (live bits == replayed bits)."""
import json
import os
import shutil
import tempfile
from pathlib import Path

from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.cli import replay as replay_cli
from neuralmimo.cli.record_loopback import record
from neuralmimo.qa_common import source_dir

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
FIXTURE = "tests/data/ofdm_loopback_2x2"
DETECTORS = ("cpp:lmmse", "kbest", "zf")


def replayed_hex(res, spec):
    return [b.tobytes().hex() for b in res["checkers"][spec].decoded]


class qa_ofdm_link(gr_unittest.TestCase):
    def setUp(self):
        self.dir = Path(self.enterContext(tempfile.TemporaryDirectory()))   # removed after each test

    def test_high_snr_loopback_every_frame_passes_crc(self):
        live = record(self.dir / "hi", snr_db=40.0, frames=8, nt=2, nr=4, seed=3, workdir=str(self.dir))
        for spec, d in live["detectors"].items():
            s = d["summary"]
            self.assertEqual(s["frames"], 8, spec)
            self.assertEqual(s["crc_failures"], 0, spec)
            self.assertEqual(s["bit_errors"], 0, spec)
            self.assertEqual([r["frame"] for r in d["records"]], list(range(8)), spec)

    def test_transmitter_sends_the_low_bit_of_a_bad_payload_byte(self):
        # A byte other than 0/1 must not end the block's thread (the flowgraph would never finish):
        # its least significant bit is sent, and the block counts it.
        import numpy as np

        from neuralmimo.phy.ofdm_bits import test_payload
        from neuralmimo.qa_common import run_flowgraph

        c = nm.ofdm_config(nt=2, nr=2, gap=10)
        bits = np.concatenate([test_payload(c, 0), test_payload(c, 1)]).astype(np.uint8)
        bad = bits.copy()
        bad[[3, 100, c.payload_bits + 7]] += 2                   # 2 or 3: same low bit
        out = {}
        for name, src in (("good", bits), ("bad", bad)):
            tb = gr.top_block()
            tx = nm.ofdm_tx(c)
            snk = blocks.vector_sink_c(c.nt)
            tb.connect(blocks.vector_source_b(src.tolist(), False), tx, snk)
            run_flowgraph(tb)
            out[name] = (np.asarray(snk.data()), tx.invalid_items())
        self.assertEqual(out["good"][0].size, 2 * c.frame_len * c.nt)
        np.testing.assert_array_equal(out["bad"][0], out["good"][0])
        self.assertEqual((out["good"][1], out["bad"][1]), (0, 3))

    def test_single_stream_and_single_antenna_links(self):
        """Vector length 1 on the antenna ports (Nt = 1 or Nr = 1) works end to end."""
        for nt, nr in ((1, 2), (1, 1)):
            live = record(self.dir / f"s{nt}{nr}", snr_db=40.0, frames=3, nt=nt, nr=nr, seed=1, workdir=str(self.dir))
            for spec, d in live["detectors"].items():
                self.assertEqual((d["summary"]["frames"], d["summary"]["crc_failures"]), (3, 0), (nt, nr, spec))

    def test_replay_gives_the_live_bits(self):
        live = record(self.dir / "rec", snr_db=24.0, frames=5, nt=2, nr=2, seed=2, workdir=str(self.dir))
        res = replay_cli.replay(self.dir / "rec.sigmf-meta", list(DETECTORS))
        for spec in DETECTORS:
            self.assertEqual(len(live["detectors"][spec]["frames"]), 5, spec)
            self.assertEqual(replayed_hex(res, spec), live["detectors"][spec]["frames"], spec)
            self.assertEqual(res["checkers"][spec].bit_errors, live["detectors"][spec]["summary"]["bit_errors"])

    def test_coded_link_high_snr_decodes_every_codeword(self):
        live = record(self.dir / "chi", snr_db=30.0, frames=4, nt=2, nr=4, seed=3, workdir=str(self.dir),
                      coding="ldpc648")
        for spec, d in live["detectors"].items():
            s = d["summary"]
            self.assertEqual((s["frames"], s["crc_failures"], s["bit_errors"]), (4, 0, 0), spec)
            self.assertEqual((s["coding"], s["codewords"], s["codeword_errors"]), ("ldpc648", 28, 0), spec)

    def test_coded_replay_gives_the_live_numbers(self):
        """A coded trace at an SNR where the detectors make raw errors: the replay decodes the same
        information bits and reports the same codeword, information and channel error counts."""
        live = record(self.dir / "crec", snr_db=17.0, frames=5, nt=2, nr=2, seed=2, workdir=str(self.dir),
                      coding="ldpc648")
        res = replay_cli.replay(self.dir / "crec.sigmf-meta", list(DETECTORS))
        self.assertEqual(res["config"].coding, "ldpc648")
        keys = ("frames", "crc_failures", "bit_errors", "bits", "channel_bit_errors", "channel_bits",
                "codewords", "codeword_errors", "codeword_failures")
        for spec in DETECTORS:
            d = live["detectors"][spec]
            self.assertEqual(len(d["frames"]), 5, spec)
            self.assertEqual(replayed_hex(res, spec), d["frames"], spec)
            got = res["checkers"][spec].summary()
            self.assertEqual({k: got[k] for k in keys}, {k: d["summary"][k] for k in keys}, spec)
        # The point is not trivial: raw errors exist and the code removes at least some of them.
        s = live["detectors"]["zf"]["summary"]
        self.assertGreater(s["channel_bit_errors"], 0)
        self.assertLess(s["bit_errors"] / s["bits"], s["channel_ber"])

    def test_shipped_recording_replays_to_its_live_bits(self):
        base = source_dir() / FIXTURE
        live = json.loads(Path(f"{base}.live.json").read_text())
        res = replay_cli.replay(f"{base}.sigmf-meta", list(live["detectors"]))
        self.assertEqual(len(res["frames"]), live["frames_sent"])
        for spec, d in live["detectors"].items():
            self.assertEqual(replayed_hex(res, spec), d["frames"], spec)

    def test_shipped_wesnet_model_replays_as_well_as_lmmse(self):
        """models/wesnet_qam16_2x2.onnx, the neural detector at the link's size, through the same
        replay as LMMSE: it decodes the same frames and makes no more bit errors than LMMSE beyond
        the sampling noise of the recording's bit count (one-sided two-proportion z of the demo)."""
        from neuralmimo.cli.demo import Z_EQUAL_BER, ber_z
        base = source_dir() / FIXTURE
        model = str(source_dir() / "models/wesnet_qam16_2x2.onnx")
        res = replay_cli.replay(f"{base}.sigmf-meta", ["lmmse", model])
        ref, net = res["checkers"]["lmmse"], res["checkers"][model]
        self.assertEqual(res["erased"][model], 0)
        self.assertEqual(ref.frames, json.loads(Path(f"{base}.live.json").read_text())["frames_sent"])
        self.assertEqual((net.frames, net.bits, net.missed), (ref.frames, ref.bits, ref.missed))
        z = ber_z(net.bit_errors, ref.bit_errors, ref.bits)
        self.assertLessEqual(z, Z_EQUAL_BER, f"{net.bit_errors} bit errors against LMMSE's {ref.bit_errors} "
                                             f"in {ref.bits} bits")

    def test_replay_flowgraph_gives_the_live_bits(self):
        """examples/ofdm_replay.grc (file source -> ofdm_rx -> two detectors) on the shipped recording."""
        from neuralmimo.cli.grc_run import compile_grc, load_top_block
        base = source_dir() / FIXTURE
        live = json.loads(Path(f"{base}.live.json").read_text())
        mod = load_top_block(compile_grc(source_dir() / "examples/ofdm_replay.grc", self.dir))
        tb = mod.ofdm_replay(recording=f"{base}.sigmf-meta", detector_a="cpp:lmmse", detector_b="zf")
        tb.run()
        for name, spec in (("check_a", "cpp:lmmse"), ("check_b", "zf")):
            got = [b.tobytes().hex() for b in getattr(tb, name).decoded()]
            self.assertEqual(got, live["detectors"][spec]["frames"], spec)

    def test_replay_cli_prints_detectors_side_by_side(self):
        out = self.dir / "frames.csv"
        rc = replay_cli.main([str(source_dir() / f"{FIXTURE}.sigmf-meta"), "--detector", "lmmse", "zf",
                              "--csv", str(out)])
        self.assertEqual(rc, 0)
        rows = out.read_text().splitlines()
        self.assertEqual(len(rows), 1 + 6)
        self.assertIn("lmmse:crc_ok", rows[0])
        self.assertIn("zf:bit_errors", rows[0])

    def _copy_fixture(self, name):
        for ext in (".sigmf-meta", ".sigmf-data"):
            shutil.copy(source_dir() / f"{FIXTURE}{ext}", self.dir / f"{name}{ext}")
        return self.dir / f"{name}.sigmf-meta"

    def test_bad_recordings_are_refused_with_the_reason(self):
        trunc = self._copy_fixture("trunc")
        data = trunc.with_suffix(".sigmf-data")
        data.write_bytes(data.read_bytes()[:-5])
        with self.assertRaisesRegex(ValueError, "truncated|whole number"):
            replay_cli.replay(trunc, ["lmmse"])
        corrupt = self._copy_fixture("corrupt")
        raw = bytearray(corrupt.with_suffix(".sigmf-data").read_bytes())
        raw[1000] ^= 0xFF
        corrupt.with_suffix(".sigmf-data").write_bytes(bytes(raw))
        with self.assertRaisesRegex(ValueError, "sha512|checksum|corrupt"):
            replay_cli.replay(corrupt, ["lmmse"])
        self.assertEqual(replay_cli.main([str(corrupt), "--detector", "lmmse"]), 2)

    def test_wrong_channel_counts_are_refused(self):
        meta = self._copy_fixture("chan")
        m = json.loads(meta.read_text())
        m["global"]["neuralmimo:ofdm"]["nr"] = 4
        meta.write_text(json.dumps(m))
        with self.assertRaisesRegex(ValueError, "2 channels.*nr = 4"):
            replay_cli.replay(meta, ["lmmse"], )
        # A detector built for another antenna count than the recording.
        with self.assertRaisesRegex(ValueError, "nt=2 but model lmmse_qam16_4x4.onnx was exported for nt=4"):
            replay_cli.replay(source_dir() / f"{FIXTURE}.sigmf-meta", [str(source_dir() / "models/lmmse_qam16_4x4.onnx")])
        # The receiver block refuses a stream of the wrong width at connect time.
        cfg = nm.ofdm_config(nt=2, nr=2)
        tb = gr.top_block()
        src = blocks.vector_source_c([0j] * 300, False, 3)
        with self.assertRaises((ValueError, RuntimeError)):
            tb.connect(src, nm.ofdm_rx(cfg))


if __name__ == "__main__":
    gr_unittest.run(qa_ofdm_link)
