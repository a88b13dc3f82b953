#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""C++ softbit_quantizer / softbit_dequantizer blocks: source -> block -> sink against the
reference neuralmimo.phy.quantizer, bit for bit, with NaN, +-Inf and out-of-range inputs and their
counts; quantiser -> dequantiser nearly lossless with 16 bits; builders from a manifest; errors."""
import json
import tempfile
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr_unittest

import neuralmimo as nm
from neuralmimo.phy.quantizer import ScalarQuantizer, pack, unpack
from neuralmimo.qa_common import run_float_chain


def run_chain(x, *chain, out_vlen, sink=blocks.vector_sink_b, dtype=np.uint8):
    """float32 x [B, N] -> chain -> a byte sink by default (qa_common.run_float_chain)."""
    return run_float_chain(x, *chain, out_vlen=out_vlen, sink=sink, dtype=dtype)


def hostile(rng, b, n, scale):
    """Random values with NaN, +-Inf, huge, tiny and denormal entries sprinkled in."""
    x = (rng.standard_normal((b, n)) * scale).astype(np.float32)
    specials = np.array([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-45, -0.0, 0.0], np.float32)
    idx = rng.choice(b * n, 40, replace=False)
    x.ravel()[idx] = specials[np.arange(40) % len(specials)]
    return x


class qa_softbit_quantizer(gr_unittest.TestCase):
    def test_uniform_bit_exact_with_counts(self):
        rng = np.random.default_rng(1)
        for bits in (3, 4, 6, 8, 11):
            n = 10
            q = ScalarQuantizer.uniform(bits, 6.0)
            x = hostile(rng, 300, n, 5.0)
            blk = nm.softbit_quantizer_from(q, n=n)
            got = run_chain(x, blk, out_vlen=q.bytes_per_vector(n))
            codes, erased, clamped = q.encode_counted(x)
            self.assertTrue(np.array_equal(got, pack(codes, bits)), f"bits={bits}")
            self.assertEqual(blk.erased(), erased)
            self.assertEqual(blk.clamped(), clamped)
            self.assertEqual(erased, 5)                       # 40 specials, 8 kinds
            self.assertGreater(clamped, 20)                   # +-Inf, +-3e38 and the tails beyond 6

    def test_per_position_codebook_bit_exact(self):
        rng = np.random.default_rng(2)
        n, bits = 6, 5
        q = ScalarQuantizer.from_codebook(rng.standard_normal((n, 1 << bits)) * rng.uniform(0.2, 4, (n, 1)))
        x = hostile(rng, 400, n, 3.0)
        # exact thresholds and their neighbours, in their own positions
        x[:31] = q.thresholds.T
        x[31:62] = np.nextafter(q.thresholds.T, np.float32(-np.inf))
        blk = nm.softbit_quantizer_from(q)                    # N implied by the 6 rows
        got = run_chain(x, blk, out_vlen=q.bytes_per_vector(n))
        codes, erased, clamped = q.encode_counted(x)
        self.assertTrue(np.array_equal(unpack(got, bits, n), codes))
        self.assertTrue(np.array_equal(got, pack(codes, bits)))
        self.assertEqual((blk.erased(), blk.clamped()), (erased, clamped))
        self.assertEqual(clamped, np.count_nonzero(np.isinf(x)))   # +-Inf only, not +-3e38
        self.assertGreater(clamped, 0)

        deq = nm.softbit_dequantizer_from(q)
        back = run_chain(x, nm.softbit_quantizer_from(q), deq, out_vlen=n,
                         sink=blocks.vector_sink_f, dtype=np.float32)
        self.assertTrue(np.array_equal(back, q.decode(codes)))

    def test_sixteen_bits_is_nearly_lossless(self):
        """|x - Q(x)| <= clip/L + 8 clip 2^-24 inside [-clip, clip] (tests/test_quantizer.py)."""
        rng = np.random.default_rng(3)
        clip, n = 20.0, 16
        q = ScalarQuantizer.uniform(16, clip)
        x = rng.uniform(-clip, clip, (500, n)).astype(np.float32)
        y = run_chain(x, nm.softbit_quantizer(n, 16, "uniform", clip, [], []),
                      nm.softbit_dequantizer(n, 16, "uniform", clip, [], []), out_vlen=n,
                      sink=blocks.vector_sink_f, dtype=np.float32)
        self.assertTrue(np.array_equal(y, q(x)))
        err = np.abs(y.astype(np.float64) - x)
        self.assertLessEqual(err.max(), clip / 2 ** 16 + 8 * clip * 2.0 ** -24)
        self.assertGreater(err.max(), 0.4 * clip / 2 ** 16)

    def test_built_from_a_manifest_file(self):
        q = ScalarQuantizer.from_codebook(np.linspace(-3, 3, 8), input="latent")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "eqnet.json"
            path.write_text(json.dumps({"family": "eqnet", "quantizer": q.to_dict()}))
            blk = nm.softbit_quantizer_from(str(path), n=4, bits=3)
            with self.assertRaisesRegex(ValueError, r"bits = 4 does not match the quantiser's bits = 3"):
                nm.softbit_quantizer_from(path, n=4, bits=4)
            with self.assertRaisesRegex(ValueError, r"n \(the vector length\) is required"):
                nm.softbit_dequantizer_from(path)
        x = np.random.default_rng(4).standard_normal((50, 4)).astype(np.float32) * 2
        got = run_chain(x, blk, out_vlen=2)
        self.assertTrue(np.array_equal(got, pack(q.encode(x), 3)))
        self.assertEqual(blk.bytes_per_vector(), 2)

    def test_constructor_errors_name_the_parameter(self):
        cases = [((4, 0, "uniform", 1.0, [], []), r"softbit_quantizer: bits = 0 is out of range"),
                 ((0, 3, "uniform", 1.0, [], []), r"n = 0 is out of range"),
                 ((4, 3, "mu-law", 1.0, [], []), r"mode = 'mu-law'"),
                 ((4, 3, "uniform", -1.0, [], []), r"clip = -1 is out of range"),
                 ((4, 2, "codebook", 0.0, [0.0, 1.0], [0, 1, 2, 3]), r"thresholds has 2 and levels 4 values"),
                 ((4, 2, "codebook", 0.0, [1.0, 0.0, 2.0], [0, 1, 2, 3]),
                  r"thresholds\[0\]\[0\] = 1 >= thresholds\[0\]\[1\] = 0")]
        for args, msg in cases:
            with self.assertRaisesRegex(ValueError, msg):
                nm.softbit_quantizer(*args)
        with self.assertRaisesRegex(ValueError, r"softbit_dequantizer: bits = 17"):
            nm.softbit_dequantizer(4, 17, "uniform", 1.0, [], [])


if __name__ == "__main__":
    gr_unittest.run(qa_softbit_quantizer)
