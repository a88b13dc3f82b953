#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""qam_mapper block equals Constellation.map."""
import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm


class qa_qam_mapper(gr_unittest.TestCase):
    def test_maps_like_the_constellation(self):
        rng = np.random.default_rng(1)
        for const, nt in (("bpsk", 3), ("qpsk", 2), ("qam16", 4), ("qam256", 2)):
            c = nm.constellation(const)
            bits = rng.integers(0, 2, (100, nt * c.bits_per_symbol)).astype(np.uint8)
            tb = gr.top_block()
            src = blocks.vector_source_b(bits.ravel().tolist(), False, bits.shape[1])
            sink = blocks.vector_sink_c(nt)
            mapper = nm.qam_mapper(nt, const)   # a Python block must stay referenced while it runs
            tb.connect(src, mapper, sink)
            tb.run()
            got = np.asarray(sink.data(), np.complex64).reshape(-1, nt)
            np.testing.assert_array_equal(got, c.map(bits))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "qam32"):
            nm.qam_mapper(4, "qam32")
        with self.assertRaisesRegex(ValueError, "nt must be >= 1"):
            nm.qam_mapper(0, "qpsk")


if __name__ == "__main__":
    gr_unittest.run(qa_qam_mapper)
