#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""onnx_detector's split path (detectors/onnx_split.py) in a flowgraph: HyperMIMO's channel graph
once per distinct H, the observation stage (onnxruntime, or the C++ MMNet kernel) on every item,
equal to the whole graph item for item."""
import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import run_detector_block, shipped_model


def held_channels(rng, n_channels, per_channel, nr, nt):
    """Items whose H and σ² are held for per_channel consecutive items (an OFDM frame's data
    symbols on one carrier): y complex64[n, Nr], h complex64[n, Nr, Nt], nv float32[n]."""
    h = (rng.standard_normal((n_channels, nr, nt)) + 1j * rng.standard_normal((n_channels, nr, nt))) / np.sqrt(2)
    h = np.repeat(h, per_channel, axis=0).astype(np.complex64)
    n = h.shape[0]
    y = ((rng.standard_normal((n, nr)) + 1j * rng.standard_normal((n, nr))) * 0.7).astype(np.complex64)
    nv = np.repeat(rng.uniform(0.02, 0.3, n_channels), per_channel).astype(np.float32)
    return y, h, nv


class qa_onnx_split(gr_unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(5)
        self.model = shipped_model("hypermimo_qam16_2x4.onnx")

    def _engines(self):
        from neuralmimo import neuralmimo_python as cpp
        return ("onnx", "cpp") if hasattr(cpp, "mmnet_kernel") else ("onnx",)

    def test_split_block_equals_the_whole_graph_block(self):
        """40 channels held for 12 items each, buffers smaller than a run: the split blocks' LLRs
        equal the whole-graph block's, with one channel stage per distinct channel."""
        y, h, nv = held_channels(self.rng, 40, 12, 4, 2)
        whole = nm.onnx_detector(self.model, 2, 4, "qam16", "llr", batch=50)
        ref = run_detector_block(whole, y, h, nv, np.float32, 8, buffer_items=64)
        self.assertEqual(whole.channel_stages(), 0)
        for engine in self._engines():
            blk = nm.onnx_detector(self.model, 2, 4, "qam16", "llr", batch=50, split=engine)
            got = run_detector_block(blk, y, h, nv, np.float32, 8, buffer_items=64)
            np.testing.assert_allclose(got, ref, atol=2e-3, rtol=1e-3, err_msg=engine)
            self.assertEqual(blk.channel_stages(), 40, engine)

    def test_ofdm_loopback_runs_the_split_path(self):
        """examples/ofdm_loopback.grc at 2x4 16QAM, 40 dB: detector B the whole HyperMIMO graph,
        detector C its split path; every frame passes its CRC with both and they decode the same
        bits (H is constant over a frame's 12 data symbols on a carrier: one channel stage each).
        At 30 dB the model makes 3 bit errors in 8 frames against LMMSE's 1 (docs/results.md)."""
        import tempfile

        from neuralmimo.cli.grc_run import compile_grc, load_top_block
        from neuralmimo.qa_common import source_dir

        engine = self._engines()[-1]
        with tempfile.TemporaryDirectory() as tmp:
            mod = load_top_block(compile_grc(source_dir() / "examples/ofdm_loopback.grc", tmp))
            tb = mod.ofdm_loopback(snr_db=40.0, num_frames=4, nt=2, nr=4, seed=4, detector_a="cpp:lmmse",
                                   detector_b=self.model, detector_c=f"{self.model}:split={engine}")
            tb.run()
        whole, split = tb.check_b, tb.check_c
        self.assertEqual((whole.summary()["frames"], whole.summary()["crc_failures"]), (4, 0))
        self.assertEqual((split.summary()["frames"], split.summary()["crc_failures"]), (4, 0))
        self.assertEqual([b.tobytes() for b in split.decoded()], [b.tobytes() for b in whole.decoded()])

    def test_split_on_a_model_without_split_graphs_is_refused(self):
        with self.assertRaisesRegex(ValueError, "no per-channel"):
            nm.onnx_detector(shipped_model("wesnet_qam16_2x2.onnx"), 2, 2, "qam16", "llr", split="onnx")
        with self.assertRaisesRegex(ValueError, "split"):
            nm.onnx_detector(self.model, 2, 4, "qam16", "llr", split="gpu")

    def test_linear_models_split_cpp_is_their_cpp_block(self):
        """"model.onnx:split=cpp" for the shipped LcgNetV and LMMSE models is the C++ CG block with
        the manifest's learned steps and the C++ LMMSE block: their LLRs equal the whole ONNX
        graph's to float tolerance on OFDM-like items (48 channels held for 12 items), and a model
        of another size is refused naming both values."""
        y, h, nv = held_channels(self.rng, 48, 12, 4, 4)
        for name, kind in (("lcgnetv_qam16_4x4.onnx", "cg_detector"), ("lmmse_qam16_4x4.onnx", "lmmse_detector")):
            model = shipped_model(name)
            ref = run_detector_block(nm.onnx_detector(model, 4, 4, "qam16", "llr", batch=64), y, h, nv, np.float32, 16)
            blk = nm.detector_select(f"{model}:split=cpp", 4, 4, "qam16", "llr")
            self.assertIn(kind, type(blk).__name__, name)
            got = run_detector_block(blk, y, h, nv, np.float32, 16)
            np.testing.assert_allclose(got, ref, atol=5e-3, rtol=5e-3, err_msg=name)
            self.assertGreater(np.mean(np.sign(got) == np.sign(ref)), 0.999, name)
            with self.assertRaisesRegex(ValueError, "nr=2 but model"):
                nm.detector_select(f"{model}:split=cpp", 4, 2, "qam16", "llr")


if __name__ == "__main__":
    gr_unittest.run(qa_onnx_split)
