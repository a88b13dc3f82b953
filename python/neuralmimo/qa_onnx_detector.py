#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""onnx_detector block: source -> block -> sink equals the Python detectors; clear errors."""
import json
import tempfile
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import random_system, run_detector_block, shipped_model


class qa_onnx_detector(gr_unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(11)
        self.c = nm.constellation("qam16")
        self.model = shipped_model()

    def test_outputs_equal_python_detectors(self):
        y, h, idx = random_system(self.rng, 512, 4, 4, self.c, 0.2)
        nv = self.rng.uniform(0.02, 1.0, 512).astype(np.float32)
        ref_onnx = nm.detector(self.model)(y, h, nv)
        ref_lmmse = nm.detector("lmmse", constellation="qam16")(y, h, nv)
        for output, dtype, vlen in (("llr", np.float32, 16), ("bits", np.uint8, 16),
                                    ("symbols", np.complex64, 4), ("estimate", np.complex64, 4)):
            blk = nm.onnx_detector(self.model, 4, 4, "qam16", output, threads=1, batch=128)
            got = run_detector_block(blk, y, h, nv, dtype, vlen)
            self.assertEqual(got.shape[0], 512)
            if output == "llr":
                np.testing.assert_allclose(got, ref_onnx.llr.reshape(512, -1), rtol=1e-6, atol=1e-6)
                np.testing.assert_allclose(got, ref_lmmse.llr.reshape(512, -1), rtol=1e-3, atol=1e-3)
            elif output == "bits":
                np.testing.assert_array_equal(got, (ref_onnx.llr > 0).reshape(512, -1))
            elif output == "symbols":
                np.testing.assert_array_equal(got, ref_onnx.symbols)
            else:
                np.testing.assert_allclose(got, ref_lmmse.estimate, atol=1e-4)
        self.assertEqual(blk.provider(), "CPUExecutionProvider")

    def test_invalid_items_are_erased_not_fatal(self):
        y, h, _ = random_system(self.rng, 64, 4, 4, self.c, 0.1)
        nv = np.full(64, 0.1, np.float32)
        nv[3] = 0.0
        nv[10] = -1.0
        y[20, 1] = np.nan
        h[30, 0, 0] = np.inf
        blk = nm.onnx_detector(self.model, 4, 4, "qam16", "llr", batch=32)
        got = run_detector_block(blk, y, h, nv, np.float32, 16)
        bad = [3, 10, 20, 30]
        self.assertTrue(np.all(got[bad] == 0))
        self.assertEqual(blk.invalid_items(), 4)
        good = np.setdiff1d(np.arange(64), bad)
        ref = nm.detector(self.model)(y[good], h[good], nv[good])
        np.testing.assert_allclose(got[good], ref.llr.reshape(len(good), -1), rtol=1e-6, atol=1e-6)

    def test_configuration_errors_name_both_values(self):
        with self.assertRaisesRegex(ValueError, "nt: the flowgraph has nt=8 but model .* nt=4"):
            nm.onnx_detector(self.model, 8, 4, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "nr: the flowgraph has nr=2 but model .* nr=4"):
            nm.onnx_detector(self.model, 4, 2, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "constellation: the flowgraph has 'qpsk' but .* 'qam16'"):
            nm.onnx_detector(self.model, 4, 4, "qpsk", "llr")
        with self.assertRaisesRegex(ValueError, "output 'soft' is not one of"):
            nm.onnx_detector(self.model, 4, 4, "qam16", "soft")
        with self.assertRaisesRegex(ValueError, "not found"):
            nm.onnx_detector("no/such/model.onnx", 4, 4, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "threads: must be >= 1"):
            nm.onnx_detector(self.model, 4, 4, "qam16", "llr", threads=0)

    def test_manifest_output_kind_is_checked(self):
        with tempfile.TemporaryDirectory() as tmp:
            # A model that declares only an estimate (manifest and metadata agree).
            import onnx

            dst = Path(tmp) / "m.onnx"
            model = onnx.load(self.model)
            for prop in model.metadata_props:
                if prop.key == "outputs":
                    prop.value = '["estimate"]'
            onnx.save(model, str(dst))
            man = json.loads(Path(self.model).with_suffix(".json").read_text())
            man["outputs"] = ["estimate"]
            dst.with_suffix(".json").write_text(json.dumps(man))
            blk = nm.onnx_detector(str(dst), 4, 4, "qam16", "symbols")
            self.assertEqual(blk.detector.outputs, ["estimate"])
            with self.assertRaisesRegex(ValueError, "output 'llr' needs the detector's 'llr' but it only gives estimate"):
                nm.onnx_detector(str(dst), 4, 4, "qam16", "llr")

    def test_wrong_vlen_is_refused_at_connect(self):
        blk = nm.onnx_detector(self.model, 4, 4, "qam16", "llr")
        tb = gr.top_block()
        src = blocks.vector_source_c([0j] * 5, False, 5)
        with self.assertRaisesRegex(Exception, "itemsize mismatch"):
            tb.connect(src, (blk, 0))


if __name__ == "__main__":
    gr_unittest.run(qa_onnx_detector)
