#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""C++ lmmse_detector block: a held channel (cached factorisation) gives the LMMSE LLRs.

The contract every detector block meets (outputs equal nm.detector, invalid items, vlen,
constructor errors) is checked in qa_detector_blocks.py."""
import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import random_system, run_detector_block


class qa_lmmse_detector(gr_unittest.TestCase):
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


if __name__ == "__main__":
    gr_unittest.run(qa_lmmse_detector)
