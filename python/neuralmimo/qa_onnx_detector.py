#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""onnx_detector block: the shipped LMMSE model through the block, model/manifest checks.

The contract every detector block meets (outputs equal nm.detector, invalid items, vlen,
constructor errors) is checked in qa_detector_blocks.py."""
import json
import tempfile
from pathlib import Path

import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.blocks.detector_block import LLR_LIMIT
from neuralmimo.qa_common import random_system, run_detector_block, shipped_model


class qa_onnx_detector(gr_unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(11)
        self.c = nm.constellation("qam16")
        self.model = shipped_model()

    def test_shipped_model_equals_lmmse_through_the_block(self):
        """The shipped model is LMMSE: the block's LLRs and estimates equal nm.detector("lmmse")."""
        y, h, _ = random_system(self.rng, 512, 4, 4, self.c, 0.2)
        nv = self.rng.uniform(0.02, 1.0, 512).astype(np.float32)
        ref_lmmse = nm.detector("lmmse", constellation="qam16")(y, h, nv)
        blk = nm.onnx_detector(self.model, 4, 4, "qam16", "llr", threads=1, batch=128)
        got = run_detector_block(blk, y, h, nv, np.float32, 16)
        # The block clips its LLRs to ±LLR_LIMIT (the detector output contract).
        ref_llr = np.clip(ref_lmmse.llr.reshape(512, -1), -LLR_LIMIT, LLR_LIMIT)
        np.testing.assert_allclose(got, ref_llr, rtol=1e-3, atol=1e-3)
        self.assertEqual(blk.provider(), "CPUExecutionProvider")
        blk = nm.onnx_detector(self.model, 4, 4, "qam16", "estimate", threads=1, batch=128)
        got = run_detector_block(blk, y, h, nv, np.complex64, 4)
        np.testing.assert_allclose(got, ref_lmmse.estimate, atol=1e-4)

    def test_one_remimo_model_serves_two_nt_through_the_block(self):
        """models/remimo_qam16_4x4.onnx has a dynamic Nt axis (manifest nt_range [1, 4]): blocks
        built from the one file at Nt = 1 and Nt = 4 give what nm.detector gives on the same inputs."""
        model = shipped_model("remimo_qam16_4x4.onnx")
        for nt in (1, 4):
            y, h, _ = random_system(self.rng, 256, 4, nt, self.c, 0.05)
            nv = self.rng.uniform(0.02, 0.5, 256).astype(np.float32)
            ref = nm.detector(model, constellation="qam16", nt=nt, nr=4)(y, h, nv)
            blk = nm.onnx_detector(model, nt, 4, "qam16", "llr", threads=1, batch=100)
            got = run_detector_block(blk, y, h, nv, np.float32, nt * 4)
            np.testing.assert_allclose(got, np.clip(ref.llr.reshape(256, -1), -LLR_LIMIT, LLR_LIMIT),
                                       rtol=1e-3, atol=1e-3, err_msg=f"Nt={nt}")
            blk = nm.onnx_detector(model, nt, 4, "qam16", "estimate", threads=1, batch=100)
            got = run_detector_block(blk, y, h, nv, np.complex64, nt)
            np.testing.assert_allclose(got, ref.estimate, atol=1e-4, err_msg=f"Nt={nt}")
        for nt in (5, 8):
            with self.assertRaisesRegex(ValueError, r"nt: the flowgraph has nt=%d but model .* serves Nt in 1\.\.4" % nt):
                nm.onnx_detector(model, nt, 4, "qam16", "llr")

    def test_configuration_errors_name_both_values(self):
        with self.assertRaisesRegex(ValueError, "nt: the flowgraph has nt=8 but model .* was exported for nt=4"):
            nm.onnx_detector(self.model, 8, 4, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "nr: the flowgraph has nr=2 but model .* nr=4"):
            nm.onnx_detector(self.model, 4, 2, "qam16", "llr")
        with self.assertRaisesRegex(ValueError, "constellation: the flowgraph has 'qpsk' but .* 'qam16'"):
            nm.onnx_detector(self.model, 4, 4, "qpsk", "llr")
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


if __name__ == "__main__":
    gr_unittest.run(qa_onnx_detector)
