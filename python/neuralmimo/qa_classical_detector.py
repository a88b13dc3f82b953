#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""classical_detector block: constructor errors of its own (the block contract, outputs equal
nm.detector(name) included: qa_detector_blocks.py)."""
from gnuradio import gr_unittest

import neuralmimo as nm


class qa_classical_detector(gr_unittest.TestCase):
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
