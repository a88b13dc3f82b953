#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ofdm_channel block: source → block → sink equals OfdmChannelSim.process on the same input and seed."""
import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.phy.ofdm_channel import OfdmChannelSim

KW = dict(snr_db=15.0, profile="B", delay_spread=300e-9, cfo_hz=2e3, timing_offset=0.4,
          phase_noise_hz=100.0, seed=3)


def run_block(x, nt, nr, samp_rate, **kw):
    tb = gr.top_block()
    src = blocks.vector_source_c(x.ravel().tolist(), False, nt)
    ch = nm.ofdm_channel(nt, nr, samp_rate, **kw)
    snk = blocks.vector_sink_c(nr)
    tb.connect(src, ch, snk)
    tb.run()
    return np.asarray(snk.data(), np.complex64).reshape(-1, nr), ch


class qa_ofdm_channel(gr_unittest.TestCase):
    def test_equals_reference(self):
        for nt, nr in ((2, 3), (1, 2), (4, 1)):
            rng = np.random.default_rng(nt)
            x = ((rng.standard_normal((30000, nt)) + 1j * rng.standard_normal((30000, nt))) / np.sqrt(2)
                 ).astype(np.complex64)
            y, ch = run_block(x, nt, nr, 10e6, **KW)
            ref = OfdmChannelSim(nt, nr, sample_rate=10e6, **KW).process(x)
            # GNU Radio hands the block arbitrary chunks; the output must not notice.
            np.testing.assert_array_equal(y, ref)
            self.assertEqual(ch.invalid_items(), 0)
            self.assertAlmostEqual(ch.noise_var, nt / 10 ** 1.5, places=12)

    def test_set_snr_and_invalid_input(self):
        x = np.ones((1000, 2), np.complex64)
        x[10, 1] = np.nan
        y, ch = run_block(x, 2, 2, 1e6, snr_db=20.0, profile="flat")
        self.assertTrue(np.isfinite(y).all())
        self.assertEqual(ch.invalid_items(), 1)
        x[10] = 0                                   # the whole item goes in as zeros
        ref = OfdmChannelSim(2, 2, sample_rate=1e6, snr_db=20.0, profile="flat").process(x)
        np.testing.assert_array_equal(y, ref)
        ch.set_snr(0.0)
        self.assertAlmostEqual(ch.noise_var, 2.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "ofdm_channel: nt: 0"):
            nm.ofdm_channel(nt=0)
        with self.assertRaisesRegex(ValueError, "ofdm_channel: samp_rate: -1"):
            nm.ofdm_channel(samp_rate=-1.0)
        with self.assertRaisesRegex(ValueError, "ofdm_channel: profile: 'D'"):
            nm.ofdm_channel(profile="D")


if __name__ == "__main__":
    gr_unittest.run(qa_ofdm_channel)
