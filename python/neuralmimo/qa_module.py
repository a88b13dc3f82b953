#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""`neuralmimo` and `gnuradio.neuralmimo` are one module, loaded once."""
from gnuradio import gr_unittest


class qa_module(gr_unittest.TestCase):
    def test_one_copy_under_two_names(self):
        import neuralmimo
        from gnuradio import neuralmimo as gnm
        from gnuradio.neuralmimo.detectors import linear as lin_gr
        from neuralmimo.detectors import linear as lin

        self.assertIs(neuralmimo, gnm)
        self.assertIs(neuralmimo.detector, gnm.detector)
        self.assertIs(lin, lin_gr)
        self.assertIs(gnm.onnx_detector, neuralmimo.onnx_detector)
        self.assertIs(gnm.lmmse_detector, neuralmimo.lmmse_detector)

    def test_aliased_submodules_keep_their_own_spec(self):
        import importlib

        import gnuradio.neuralmimo.paths as gpaths
        import neuralmimo.paths as paths

        self.assertIs(gpaths, paths)
        self.assertEqual(paths.__spec__.name, "neuralmimo.paths")
        paths.model_path = None                  # reload must run the module again
        importlib.reload(gpaths)
        self.assertTrue(callable(paths.model_path))


if __name__ == "__main__":
    gr_unittest.run(qa_module)
