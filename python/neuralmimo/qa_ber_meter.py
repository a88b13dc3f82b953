#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ber_meter counts exactly the differing bits."""
import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm


class qa_ber_meter(gr_unittest.TestCase):
    def test_counts(self):
        rng = np.random.default_rng(2)
        ref = rng.integers(0, 2, (1000, 8)).astype(np.uint8)
        det = ref.copy()
        flips = rng.random(det.shape) < 0.03
        det[flips] ^= 1
        tb = gr.top_block()
        meter = nm.ber_meter(8, "test")
        tb.connect(blocks.vector_source_b(ref.ravel().tolist(), False, 8), (meter, 0))
        tb.connect(blocks.vector_source_b(det.ravel().tolist(), False, 8), (meter, 1))
        tb.run()
        self.assertEqual(meter.errors(), int(flips.sum()))
        self.assertEqual(meter.bits(), 8000)
        self.assertAlmostEqual(meter.ber(), flips.mean())


if __name__ == "__main__":
    gr_unittest.run(qa_ber_meter)
