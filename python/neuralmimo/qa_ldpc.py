#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""phy/ldpc.py against GNU Radio's own LDPC encoder and decoder (gr-fec) on the same alist.

gr-fec's `ldpc_encoder` / `ldpc_decoder` read the alist that `Ldpc80211n.write_alist` writes and
derive their own systematic form, so the checks are: gr-fec's codewords satisfy our H (it read
the same matrix), and its sum-product BLER over BPSK/AWGN agrees with ours at the same Eb/N0
within the binomial tolerance of the difference.

gr-fec 3.10's `ldpc_decoder(alist, sigma, max_iter)` takes soft values x (bit 1 -> x > 0,
the decoder negates them) and forms the likelihood ratio exp(-x / (2 sigma^2)); the exact
BPSK ratio is exp(-2x / s^2) for noise standard deviation s, so `sigma` = s / 2 gives it the
true channel LLRs.
"""
import os
import tempfile

import numpy as np
from gnuradio import blocks, fec, gr, gr_unittest

from neuralmimo.phy.ldpc import Ldpc80211n

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")

EBN0_DB = 1.0
CODEWORDS = 600


def _run(block, src, sink):
    tb = gr.top_block()
    tb.connect(src, block, sink)
    tb.run()
    return np.asarray(sink.data())


class qa_ldpc(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.alist = os.path.join(cls.tmp.name, "wifi_648_r12.alist")
        cls.code = Ldpc80211n()
        cls.code.write_alist(cls.alist)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def _gr_encode(self, info):
        enc = fec.encoder(fec.ldpc_encoder.make(self.alist), gr.sizeof_char, gr.sizeof_char)
        out = _run(enc, blocks.vector_source_b(info.ravel().tolist()), blocks.vector_sink_b())
        return out.astype(np.uint8).reshape(len(info), 648)

    def _gr_decode(self, soft, sigma):
        dec = fec.decoder(fec.ldpc_decoder.make(self.alist, sigma, 50), gr.sizeof_float, gr.sizeof_char)
        out = _run(dec, blocks.vector_source_f(soft.ravel().tolist()), blocks.vector_sink_b())
        return out.astype(np.uint8).reshape(len(soft), 324)

    def test_gr_fec_reads_the_same_code(self):
        rng = np.random.default_rng(11)
        info = rng.integers(0, 2, (20, 324)).astype(np.uint8)
        cw = self._gr_encode(info)
        self.assertFalse(self.code.syndrome(cw).any())
        self.assertTrue(cw.any(axis=1).all())
        # And gr-fec decodes noiseless soft values of its codewords back to the information.
        np.testing.assert_array_equal(self._gr_decode(2.0 * cw - 1.0, 0.5), info)

    def test_bler_agrees_with_gr_fec(self):
        rng = np.random.default_rng(2026)
        s = np.sqrt(1.0 / 10 ** (EBN0_DB / 10))        # rate 1/2, Es = 1: s^2 = 1 / (Eb/N0)
        info_gr = rng.integers(0, 2, (CODEWORDS, 324)).astype(np.uint8)
        cw_gr = self._gr_encode(info_gr)
        soft = (2.0 * cw_gr - 1.0) + rng.normal(0.0, s, cw_gr.shape)
        bler_gr = np.mean((self._gr_decode(soft, s / 2) != info_gr).any(axis=1))

        info = rng.integers(0, 2, (CODEWORDS, 324)).astype(np.uint8)
        cw = self.code.encode(info)
        y = (1.0 - 2.0 * cw) + rng.normal(0.0, s, cw.shape)      # bit 0 -> +1
        res = self.code.decode((-2.0 * y / s ** 2).astype(np.float32))
        bler = np.mean((res.info != info).any(axis=1))

        # Binomial standard deviation of the difference of two independent estimates.
        p = 0.5 * (bler + bler_gr)
        sd = np.sqrt(2 * p * (1 - p) / CODEWORDS)
        print(f"Eb/N0 {EBN0_DB} dB, {CODEWORDS} codewords: BLER ours {bler:.4f}, gr-fec {bler_gr:.4f}, "
              f"sd of difference {sd:.4f}")
        self.assertGreater(bler_gr, 0.05)          # a point on the waterfall, not a floor of 0
        self.assertLess(bler_gr, 0.9)
        self.assertLess(abs(bler - bler_gr), 4 * sd)


if __name__ == "__main__":
    gr_unittest.run(qa_ldpc)
