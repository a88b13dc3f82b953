#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""mimo_channel block: y = Hx + n with the stated statistics, H held for `coherence` items."""
import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm


def run_channel(x, nt, nr, snr_db, coherence, seed):
    tb = gr.top_block()
    src = blocks.vector_source_c(x.ravel().tolist(), False, nt)
    ch = nm.mimo_channel(nt, nr, snr_db, coherence, seed)
    sy, sh, sn = blocks.vector_sink_c(nr), blocks.vector_sink_c(nr * nt), blocks.vector_sink_f(1)
    tb.connect(src, ch)
    tb.connect((ch, 0), sy)
    tb.connect((ch, 1), sh)
    tb.connect((ch, 2), sn)
    tb.run()
    n = x.shape[0]
    return (np.asarray(sy.data()).reshape(n, nr), np.asarray(sh.data()).reshape(n, nr, nt),
            np.asarray(sn.data()))


class qa_mimo_channel(gr_unittest.TestCase):
    def test_statistics_and_noise_power(self):
        nt, nr, n, snr_db = 2, 3, 20000, 6.0
        c = nm.constellation("qpsk")
        x = c.points[np.random.default_rng(0).integers(0, 4, (n, nt))]
        y, h, nv = run_channel(x, nt, nr, snr_db, 1, 5)
        sigma2 = nt / 10 ** (snr_db / 10)                  # convention "rx": SNR = Nt / σ²
        np.testing.assert_allclose(nv, sigma2, rtol=1e-6)
        noise = y - np.einsum("brt,bt->br", h, x)
        # Sample means of |.|² over m samples have relative standard error 1/√m (exponential law).
        m = noise.size
        self.assertLess(abs(np.mean(np.abs(noise) ** 2) / sigma2 - 1), 5 / np.sqrt(m))
        self.assertLess(abs(np.mean(np.abs(h) ** 2) - 1), 5 / np.sqrt(h.size))
        self.assertLess(abs(np.mean(h)), 5 / np.sqrt(h.size))
        rx_snr = np.mean(np.abs(np.einsum("brt,bt->br", h, x)) ** 2) / np.mean(np.abs(noise) ** 2)
        self.assertAlmostEqual(10 * np.log10(rx_snr), snr_db, delta=0.1)

    def test_coherence_and_determinism(self):
        nt, nr, n = 2, 2, 100
        x = np.ones((n, nt), np.complex64)
        _, h, _ = run_channel(x, nt, nr, 10.0, 7, 3)
        for start in range(0, n, 7):
            blk = h[start:start + 7]
            self.assertTrue(np.all(blk == blk[0]))
        self.assertFalse(np.array_equal(h[0], h[7]))
        y2, h2, _ = run_channel(x, nt, nr, 10.0, 7, 3)
        np.testing.assert_array_equal(h, h2)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "coherence must be >= 1"):
            nm.mimo_channel(2, 2, 10.0, 0)


if __name__ == "__main__":
    gr_unittest.run(qa_mimo_channel)
