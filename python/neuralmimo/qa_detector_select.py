#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""detector_select: one string picks the C++, ONNX or classical detector block; all give the same LMMSE."""
import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.blocks.detector_block import LLR_LIMIT
from neuralmimo.blocks.detector_select import run_items
from neuralmimo.qa_common import random_system, shipped_model


class qa_detector_select(gr_unittest.TestCase):
    def test_every_kind_gives_the_lmmse_llrs(self):
        rng = np.random.default_rng(3)
        c = nm.constellation("qam16")
        n = 512
        y, h, _ = random_system(rng, n, 4, 4, c, 0.1)
        nv = np.full(n, 0.1, np.float32)
        # Every block clips its LLRs to ±LLR_LIMIT (the detector output contract; the C++ specs
        # fail here until the C++ kernels clip).
        ref = np.clip(nm.detector("lmmse", constellation=c)(y, h, nv).llr.reshape(n, -1), -LLR_LIMIT, LLR_LIMIT)
        for spec in ("cpp:lmmse", "cpp:cg:8", "lmmse", shipped_model("lmmse_qam16_4x4.onnx")):
            out = run_items(nm.detector_select(spec, 4, 4, "qam16", "llr", batch=128), y, h, nv, 16)
            self.assertEqual(out.shape, (n, 16), spec)
            # Same detector in float32 (C++, onnxruntime) and torch: LLRs agree to rounding.
            np.testing.assert_allclose(out, ref, rtol=1e-3, atol=2e-3 * np.abs(ref).max(), err_msg=spec)

    def test_bad_specs_name_the_problem(self):
        for spec in ("cpp:cg:0", "cpp:cg:x", "cpp:qr", "nosuchdetector"):
            with self.assertRaisesRegex(ValueError, "detector_select|unknown"):
                nm.detector_select(spec, 4, 4, "qam16")
        with self.assertRaisesRegex(ValueError, "nt=2 but model"):
            nm.detector_select(shipped_model("lmmse_qam16_4x4.onnx"), 2, 2, "qam16")


if __name__ == "__main__":
    gr_unittest.run(qa_detector_select)
