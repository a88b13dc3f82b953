#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""C++ lmmse_detector block: equals nm.detector("lmmse") (max-log) on the same data; clear errors."""
import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import random_system, run_detector_block

CASES = (("qam16", 4, 4), ("qpsk", 8, 4), ("qam64", 3, 2), ("bpsk", 4, 3), ("qam256", 2, 2))


class qa_lmmse_detector(gr_unittest.TestCase):
    def test_equals_python_lmmse(self):
        rng = np.random.default_rng(4)
        for const, nr, nt in CASES:
            c = nm.constellation(const)
            k = c.bits_per_symbol
            y, h, _ = random_system(rng, 300, nr, nt, c, 0.1)
            nv = rng.uniform(0.01, 1.0, 300).astype(np.float32)
            ref = nm.detector("lmmse", constellation=const)(y.astype(np.complex128), h.astype(np.complex128), nv)
            llr = run_detector_block(nm.lmmse_detector(nt, nr, const, "llr"), y, h, nv, np.float32, nt * k)
            np.testing.assert_allclose(llr, ref.llr.reshape(300, -1), rtol=2e-3, atol=2e-3, err_msg=const)
            est = run_detector_block(nm.lmmse_detector(nt, nr, const, "estimate"), y, h, nv, np.complex64, nt)
            np.testing.assert_allclose(est, ref.estimate, atol=1e-4, err_msg=const)
            sym = run_detector_block(nm.lmmse_detector(nt, nr, const, "symbols"), y, h, nv, np.complex64, nt)
            self.assertGreater(np.mean(np.abs(sym - ref.symbols) < 1e-5), 0.999, const)
            bits = run_detector_block(nm.lmmse_detector(nt, nr, const, "bits"), y, h, nv, np.uint8, nt * k)
            self.assertGreater(np.mean(bits == (ref.llr > 0).reshape(300, -1)), 0.999, const)

    def test_held_channel_gives_the_same_results(self):
        """H held for 14 items exercises the cached factorisation."""
        rng = np.random.default_rng(8)
        c = nm.constellation("qam16")
        y, h, _ = random_system(rng, 140, 4, 4, c, 0.2)
        h = np.repeat(h[::14], 14, axis=0)
        y = np.einsum("brt,bt->br", h, c.points[rng.integers(0, 16, (140, 4))]).astype(np.complex64)
        nv = np.full(140, 0.2, np.float32)
        ref = nm.detector("lmmse", constellation="qam16")(y, h, nv)
        llr = run_detector_block(nm.lmmse_detector(4, 4, "qam16", "llr"), y, h, nv, np.float32, 16)
        np.testing.assert_allclose(llr, ref.llr.reshape(140, -1), rtol=2e-3, atol=2e-3)

    def test_invalid_items_are_erased_not_fatal(self):
        rng = np.random.default_rng(9)
        c = nm.constellation("qam16")
        y, h, _ = random_system(rng, 50, 4, 4, c, 0.1)
        nv = np.full(50, 0.1, np.float32)
        nv[2], nv[5] = 0.0, -0.5
        y[7, 0] = np.nan
        h[9, 1, 1] = np.inf
        blk = nm.lmmse_detector(4, 4, "qam16", "llr")
        got = run_detector_block(blk, y, h, nv, np.float32, 16)
        bad = [2, 5, 7, 9]
        self.assertTrue(np.all(got[bad] == 0))
        self.assertEqual(blk.invalid_items(), 4)
        good = np.setdiff1d(np.arange(50), bad)
        ref = nm.detector("lmmse", constellation="qam16")(y[good], h[good], nv[good])
        np.testing.assert_allclose(got[good], ref.llr.reshape(len(good), -1), rtol=2e-3, atol=2e-3)

    def test_configuration_errors(self):
        with self.assertRaisesRegex(ValueError, "qam32"):
            nm.lmmse_detector(4, 4, "qam32", "llr")
        with self.assertRaisesRegex(ValueError, "soft"):
            nm.lmmse_detector(4, 4, "qam16", "soft")
        with self.assertRaisesRegex(ValueError, "nt"):
            nm.lmmse_detector(0, 4, "qam16", "llr")

    def test_wrong_vlen_is_refused_at_connect(self):
        blk = nm.lmmse_detector(4, 4, "qam16", "llr")
        tb = gr.top_block()
        with self.assertRaisesRegex(Exception, "itemsize mismatch"):
            tb.connect(blocks.vector_source_c([0j] * 3, False, 3), (blk, 0))


if __name__ == "__main__":
    gr_unittest.run(qa_lmmse_detector)
