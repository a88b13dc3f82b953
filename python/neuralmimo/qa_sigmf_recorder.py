#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""sigmf_recorder writes what it receives; Recording.open reads back the same samples and metadata."""
import os
import tempfile
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.recording import Recording


class FakeConfig:
    """Stands in for the OFDM frame configuration (.nt, .nr, .to_dict())."""

    def __init__(self, nt=2, nr=3):
        self.nt, self.nr = nt, nr

    def to_dict(self):
        return {"nt": self.nt, "nr": self.nr, "fft_len": 64}


class qa_sigmf_recorder(gr_unittest.TestCase):
    def setUp(self):
        self.dir = Path(self.enterContext(tempfile.TemporaryDirectory()))   # removed after each test

    def run_recorder(self, x, path, **kw):
        rec = nm.sigmf_recorder(path, FakeConfig(nr=x.shape[1]), 1e6, **kw)
        tb = gr.top_block()
        tb.connect(blocks.vector_source_c(x.ravel().tolist(), False, x.shape[1]), rec)
        tb.run()
        return rec

    def test_round_trip(self):
        rng = np.random.default_rng(3)
        x = (rng.standard_normal((5000, 3)) + 1j * rng.standard_normal((5000, 3))).astype(np.complex64)
        rec = self.run_recorder(x, str(self.dir / "cap.sigmf-meta"), center_freq=2.4e9, gains=[1, 2, 3],
                                hw="sim", description="qa")
        self.assertEqual(rec.samples_written(), 5000)
        r = Recording.open(self.dir / "cap")
        np.testing.assert_array_equal(r.samples(), x)
        self.assertEqual((r.sample_rate, r.center_freq, r.num_channels), (1e6, 2.4e9, 3))
        self.assertEqual(r.config_dict, FakeConfig(nr=3).to_dict())
        self.assertEqual((r.gains, r.hw, r.description), ([1.0, 2.0, 3.0], "sim", "qa"))
        self.assertIn("core:sha512", r.meta["global"])

    def test_off_writes_nothing(self):
        x = np.ones((100, 2), np.complex64)
        rec = self.run_recorder(x, "")
        self.assertEqual(rec.samples_written(), 0)
        self.assertIsNone(rec.recording_path())
        self.assertEqual(os.listdir(self.dir), [])

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "does not exist"):
            nm.sigmf_recorder(str(self.dir / "no" / "cap"), FakeConfig(), 1e6)
        with self.assertRaisesRegex(ValueError, "2 values for 3 channels"):
            nm.sigmf_recorder(str(self.dir / "cap"), FakeConfig(nr=3), 1e6, gains=[1, 2])
        with self.assertRaisesRegex(ValueError, "samp_rate"):
            nm.sigmf_recorder(str(self.dir / "cap"), FakeConfig(), 0)


if __name__ == "__main__":
    gr_unittest.run(qa_sigmf_recorder)
