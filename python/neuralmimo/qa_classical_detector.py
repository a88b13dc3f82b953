#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""classical_detector block equals nm.detector(name) on the same data."""
import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import random_system, run_detector_block


class qa_classical_detector(gr_unittest.TestCase):
    def test_equals_python_detector(self):
        rng = np.random.default_rng(3)
        for name, const, nr, nt in (("lmmse", "qam16", 4, 4), ("zf", "qpsk", 6, 3), ("ml", "qpsk", 2, 2)):
            c = nm.constellation(const)
            y, h, _ = random_system(rng, 96, nr, nt, c, 0.3)
            nv = np.full(96, 0.3, np.float32)
            ref = nm.detector(name, constellation=const)(y, h, nv)
            k = c.bits_per_symbol
            got = run_detector_block(nm.classical_detector(name, nt, nr, const, "llr", batch=32),
                                     y, h, nv, np.float32, nt * k)
            np.testing.assert_allclose(got, ref.llr.reshape(96, -1), rtol=1e-6, atol=1e-6)
            got = run_detector_block(nm.classical_detector(name, nt, nr, const, "symbols", batch=32),
                                     y, h, nv, np.complex64, nt)
            np.testing.assert_array_equal(got, ref.symbols)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "'foo' is not a detector"):
            nm.classical_detector("foo", 4, 4, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "nt must be >= 1"):
            nm.classical_detector("lmmse", 0, 4, "qam16", "llr")
        # A size the detector cannot do is a constructor error, not an exception in work().
        for name in ("kbest", "zf"):
            with self.assertRaisesRegex(ValueError, rf"classical_detector\({name}\) with nt=2, nr=1: .*Nr >= Nt"):
                nm.classical_detector(name, 2, 1, "qam16", "llr")
        nm.classical_detector("lmmse", 2, 1, "qam16", "llr")      # LMMSE takes Nr < Nt


if __name__ == "__main__":
    gr_unittest.run(qa_classical_detector)
