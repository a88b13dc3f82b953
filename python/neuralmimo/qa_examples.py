#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every example flowgraph compiles with grcc; the loopback runs headless with the right BERs."""
import os
import tempfile

import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.cli.grc_run import load_top_block
from neuralmimo.qa_common import compile_examples, random_system, source_dir

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")


class qa_examples(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.compiled = compile_examples(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_all_examples_compile(self):
        self.assertIn("loopback_mimo.grc", self.compiled)
        for name, py in self.compiled.items():
            self.assertTrue(py.is_file() and py.stat().st_size > 0, name)

    def _run(self, snr_db, vectors, seed):
        mod = load_top_block(self.compiled["loopback_mimo.grc"])
        tb = mod.loopback_mimo(num_vectors=vectors, seed=seed, snr_db=snr_db)
        tb.run()
        return {k: getattr(tb, k) for k in ("ber_onnx", "ber_cpp", "ber_numpy")}

    def test_loopback_high_snr_has_no_errors(self):
        # 4x4 has diversity order 1: at 60 dB deep fades still leave a BER near 1e-6, so "high" is 80 dB.
        meters = self._run(80.0, 20480, 1)
        for name, m in meters.items():
            self.assertEqual(m.bits(), 20480 * 16, name)
            self.assertEqual(m.errors(), 0, name)

    def test_loopback_short_stream_loses_nothing(self):
        # Regression: 100 vectors (under the Python blocks' batch of 256) gave the ONNX and numpy
        # meters 0 bits ("ONNX LMMSE: nan (0 errors in 0 bits)"); all three detectors see the same
        # samples, so they also agree.
        meters = self._run(14.0, 100, 3)
        for name, m in meters.items():
            self.assertEqual(m.bits(), 100 * 16, name)
        self.assertEqual(meters["ber_onnx"].errors(), meters["ber_cpp"].errors())
        self.assertEqual(meters["ber_numpy"].errors(), meters["ber_cpp"].errors())

    def test_loopback_mid_snr_matches_numpy_lmmse(self):
        n, snr = 40960, 14.0
        meters = self._run(snr, n, 2)
        ref = meters["ber_numpy"]
        p = ref.ber()
        self.assertGreater(ref.errors(), 1000)
        # Same samples through the three detectors: they differ only where float rounding flips a
        # decision, far inside the sampling error of the BER itself.
        tol_same = 3 * np.sqrt(p * (1 - p) / ref.bits())
        for name in ("ber_onnx", "ber_cpp"):
            self.assertEqual(meters[name].bits(), n * 16, name)
            self.assertLess(abs(meters[name].ber() - p), tol_same, name)
        # Independent samples with the Python detector: the flowgraph's BER is the LMMSE BER at this
        # SNR. Tolerance: 4 standard errors of the difference, from per-vector error fractions.
        rng = np.random.default_rng(99)
        c = nm.constellation("qam16")
        nv = 4 / 10 ** (snr / 10)
        y, h, idx = random_system(rng, n, 4, 4, c, nv)
        out = nm.detector("lmmse", constellation=c)(y, h, nv)
        per_vec = ((out.llr > 0) != c.bits[idx].astype(bool)).reshape(n, -1).mean(axis=1)
        se = per_vec.std(ddof=1) / np.sqrt(n)
        self.assertLess(abs(per_vec.mean() - p), 4 * np.sqrt(2) * se, (per_vec.mean(), p, se))


if __name__ == "__main__":
    gr_unittest.run(qa_examples)
