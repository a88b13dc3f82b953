#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""frame_checker's two blocks: the C++ streaming half (frame_bits_sink) with FrameChecker counting
in Python, and the Python block, give the same counters, records and bits frame for frame; the
sink's packing and CRC-32 against numpy's and zlib's, also where the CRC starts mid-byte."""
import os

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.phy.ofdm_bits import append_crc, crc32_bits, test_payload
from neuralmimo.qa_common import source_dir

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
ENGINES = ("python", "cpp")


def finite(d: dict) -> dict:
    return {k: v for k, v in d.items() if v == v}          # NaN fields (BLER uncoded) differ from themselves


def outcome(chk):
    return (finite(chk.summary()), [finite(r) for r in chk.records()], [b.tobytes() for b in chk.decoded()])


def info_tag(offset: int, value) -> gr.tag_t:
    t = gr.tag_t()
    t.offset, t.key, t.value = offset, pmt.intern("frame_info"), pmt.to_pmt(value)
    return t


class qa_frame_checker(gr_unittest.TestCase):
    def test_engines_agree_on_frames_with_errors(self):
        """29 numbered frames (one never sent, one without a tag, one with a non-number field, a
        NaN LLR, bit errors in a quarter, a partial frame at the end): LLR and bit inputs."""
        c = nm.ofdm_config(nt=2, nr=2, gap=32)
        rng = np.random.default_rng(1)
        frames, tags = [], []
        for n in range(30):
            if n == 7:
                continue
            bits = append_crc(test_payload(c, n)).astype(np.uint8)
            if n % 4 == 1:
                bits[rng.integers(0, bits.size, 1 + n % 5)] ^= 1
            llr = np.where(bits == 1, 3.0, -3.0).astype(np.float32)
            if n == 9:
                llr[5] = np.nan                                  # bit 0 for both (NaN > 0 is false)
            info = {"start": n * c.frame_len + 3, "snr_db": 20.0 + n, "evm": 0.01 * n, "cfo": -0.1}
            if n == 20:
                info["label"] = "x"                               # not a number: the slow path
            if n != 12:
                tags.append(info_tag(len(frames) * c.n_re, info))
            frames.append(llr)
        data = np.concatenate(frames + [frames[0][:100 * 16]])
        width = c.nt * c.bits_per_symbol
        for inp in ("llr", "bits"):
            got = {}
            for engine in ENGINES:
                tb = gr.top_block()
                src = (blocks.vector_source_f(data.tolist(), False, width, tags) if inp == "llr" else
                       blocks.vector_source_b((data > 0).astype(np.uint8).tolist(), False, width, tags))
                chk = nm.frame_checker(c, input=inp, engine=engine, first_frame=0)
                tb.connect(src, chk)
                tb.run()
                got[engine] = outcome(chk)
                # What the soak run and the fronthaul link read from either block.
                self.assertEqual(chk.nitems_read(0), len(data) // width, engine)
                self.assertIs(chk.update(), chk.checker)
            self.assertEqual(got["cpp"], got["python"], inp)
            s = got["cpp"][0]
            self.assertEqual((s["frames"], s["missed"]), (29, 1), inp)
            self.assertGreater(s["crc_failures"], 5, inp)
            self.assertGreater(s["bit_errors"], 5, inp)

    def test_engines_agree_on_the_shipped_recording(self):
        """The shipped 2x2 recording through ofdm_rx -> cpp:lmmse -> both checkers side by side."""
        from neuralmimo.recording import Recording

        rec = Recording.open(source_dir() / "tests/data/ofdm_loopback_2x2.sigmf-meta")
        c = rec.config()
        tb = gr.top_block()
        src = blocks.file_source(gr.sizeof_gr_complex * c.nr, str(rec.data_path), False)
        rx = nm.ofdm_rx(c)
        det = nm.detector_select("cpp:lmmse", c.nt, c.nr, c.constellation, "llr")
        tb.connect(src, rx)
        for i in range(3):
            tb.connect((rx, i), (det, i))
        checkers = {e: nm.frame_checker(c, engine=e, first_frame=0) for e in ENGINES}
        for chk in checkers.values():
            tb.connect(det, chk)
        tb.run()
        self.assertEqual(outcome(checkers["cpp"]), outcome(checkers["python"]))
        self.assertGreater(checkers["cpp"].frames(), 0)

    def test_sink_packs_and_checks_the_crc_mid_byte(self):
        """width 3 x 15 items = 45 bits: the CRC starts at bit 13 (not a byte boundary)."""
        from neuralmimo.neuralmimo_python import frame_bits_sink

        rng = np.random.default_rng(2)
        rows = []
        for k in range(6):
            body = rng.integers(0, 2, 13).astype(np.uint8)
            frame = np.concatenate([body, crc32_bits(body)])
            if k % 2:
                frame[rng.integers(0, 45)] ^= 1
            rows.append(frame)
        tb = gr.top_block()
        sink = frame_bits_sink(3, 15, False)
        tb.connect(blocks.vector_source_b(np.concatenate(rows).tolist(), False, 3), sink)
        tb.run()
        ok, packed, info = sink.take()
        self.assertEqual(ok.tolist(), [1, 0, 1, 0, 1, 0])
        self.assertEqual(packed.tolist(), [np.packbits(r).tolist() for r in rows])
        self.assertEqual(info, [b""] * 6)
        self.assertEqual((sink.frames(), sink.take()[0].size), (6, 0))

    def test_bad_parameters_are_refused_by_name(self):
        c = nm.ofdm_config(nt=2, nr=2)
        with self.assertRaisesRegex(ValueError, "engine"):
            nm.frame_checker(c, engine="gpu")
        with self.assertRaisesRegex(ValueError, "coded"):
            nm.frame_checker(nm.ofdm_config(nt=2, nr=2, coding="ldpc648"), engine="cpp")
        with self.assertRaisesRegex(ValueError, "verify"):
            nm.frame_checker(c, verify="never")
        from neuralmimo.neuralmimo_python import frame_bits_sink
        with self.assertRaisesRegex(ValueError, "width"):
            frame_bits_sink(0, 10, True)
        with self.assertRaisesRegex(ValueError, "32 of the CRC"):
            frame_bits_sink(2, 16, True)


if __name__ == "__main__":
    gr_unittest.run(qa_frame_checker)
