#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""softbit_codec block (EQ-Net's codec graphs) on a small EQ-Net with random weights and fitted-by-hand
codebooks: encoder -> C++ quantiser -> dequantiser -> decoder in a flowgraph equals the same chain
in Python (codes on the wire, LLRs to float rounding); NaN inputs become erasures; port sizes and
models without a codec are refused."""
import tempfile
from pathlib import Path

import numpy as np
import torch
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.detectors.onnx_codec import OnnxCodec
from neuralmimo.qa_common import run_flowgraph, run_float_chain


def tiny_model(folder: Path) -> Path:
    """2x2 QPSK EQ-Net (latent 6), random weights, 3-bit codebooks set to sorted random levels."""
    from neuralmimo.export.onnx_export import export_detector
    from neuralmimo.models.eqnet import EqNet

    torch.manual_seed(4)
    m = EqNet(2, 2, "qpsk", ae_width=8, ae_layers=2, est_width=8, est_layers=2, codebook_bits=(3,))
    m.codebook_3.copy_(torch.sort(torch.rand(6, 8) * 2 - 1, dim=1).values)
    path = folder / "eq.onnx"
    export_detector(m.eval(), path)
    return path


class qa_softbit_codec(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = tiny_model(Path(cls.tmp.name))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_chain_equals_python(self):
        """The codes on the wire are the quantiser's codes of the encoder's latents, and the output is
        the decoder of their levels. onnxruntime rounds differently for different batch sizes (the
        block's calls are not Python's one call), so latents and LLRs agree to float rounding and
        a code may differ only for a latent within rounding of a threshold."""
        from neuralmimo.phy.quantizer import unpack

        rng = np.random.default_rng(2)
        llr = (6 * rng.standard_normal((200, 4))).astype(np.float32)
        codec = OnnxCodec(self.model)
        q = codec.quantizer()
        enc = nm.softbit_codec(str(self.model), "encode", n_llr=4, latent=6)
        qb, dec = nm.softbit_quantizer_from(q), nm.softbit_codec(str(self.model), "decode", n_llr=4, latent=6)
        tb = gr.top_block()
        src = blocks.vector_source_f(llr.ravel().tolist(), False, 4)
        wire, out = blocks.vector_sink_b(q.bytes_per_vector(6)), blocks.vector_sink_f(4)
        tb.connect(src, enc, qb, nm.softbit_dequantizer_from(q), dec, out)
        tb.connect(qb, wire)
        run_flowgraph(tb)
        codes = unpack(np.asarray(wire.data(), np.uint8).reshape(200, -1), 3, 6)
        z = codec.encode(llr)
        self.assertGreaterEqual(np.mean(codes == q.encode(z)), 0.995)
        got = np.asarray(out.data(), np.float32).reshape(200, 4)
        np.testing.assert_allclose(got, codec.decode(q.decode(codes)).reshape(200, 4), rtol=1e-4, atol=1e-4)
        # 3 bits per feature change the LLRs, but not most of their signs.
        plain = codec.decode(z).reshape(200, 4)
        self.assertFalse(np.allclose(got, plain, atol=1e-3))
        self.assertGreater(np.mean(np.sign(got) == np.sign(plain)), 0.7)

    def test_encoder_equals_torch_and_nan_is_an_erasure(self):
        llr = np.array([[1.0, -2.0, np.nan, 4.0], [1.0, -2.0, 0.0, 4.0]], np.float32)
        enc = nm.softbit_codec(str(self.model), "encode")
        got = run_float_chain(llr, enc, out_vlen=6)
        self.assertTrue(np.array_equal(got[0], got[1]))       # NaN encoded as LLR 0
        self.assertEqual(enc.erased(), 1)
        dec = nm.softbit_codec(str(self.model), "decode")
        z = np.array([[0.1] * 6, [np.inf] + [0.0] * 5], np.float32)
        out = run_float_chain(z, dec, out_vlen=4)
        self.assertTrue(np.all(out[1] == 0.0) and np.all(np.isfinite(out[0])))
        self.assertEqual(dec.erased(), 1)

    def test_bad_configuration_is_refused(self):
        with self.assertRaisesRegex(ValueError, r"n_llr = 12 but model eq.onnx has 4"):
            nm.softbit_codec(str(self.model), "encode", n_llr=12)
        with self.assertRaisesRegex(ValueError, r"direction must be"):
            nm.softbit_codec(str(self.model), "both")
        with self.assertRaisesRegex(ValueError, r"has no soft-bit codec"):
            nm.softbit_codec(str(nm.model_path("lmmse_qam16_4x4.onnx")), "encode")
        with self.assertRaisesRegex(ValueError, r"no 'quantizer_5'"):
            OnnxCodec(self.model).quantizer(5)


if __name__ == "__main__":
    gr_unittest.run(qa_softbit_codec)
