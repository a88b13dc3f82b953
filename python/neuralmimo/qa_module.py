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


if __name__ == "__main__":
    gr_unittest.run(qa_module)
