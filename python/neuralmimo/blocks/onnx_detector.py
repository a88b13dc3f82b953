# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""onnx_detector: a trained (or analytic) ONNX detector as a GNU Radio sync block.

One onnxruntime InferenceSession per block; `threads` intra-op threads and the
execution `provider` ("cpu", "cuda" or a full onnxruntime name) are explicit,
and the provider in use is reported by provider(). The model's manifest must
agree with the block's nt, nr, constellation and output kind, or the
constructor raises ValueError naming both values. Stream buffers are passed to
onnxruntime as float32 (re, im) views without copying.
"""
from __future__ import annotations

import numpy as np

from ..detectors.onnx_model import OnnxDetector
from .detector_block import DetectorBlock


class onnx_detector(DetectorBlock):  # noqa: N801 (GNU Radio block naming)
    """An ONNX model as a block; ports as classical_detector: in y complex[Nr], h complex[Nr·Nt]
    (row-major), noise_var float; out symbols/estimate complex[Nt], llr float[Nt·K] (user-major,
    LLR = ln P(b=1)/P(b=0)) or bits byte[Nt·K] (docs/conventions.md). split="onnx" / "cpp" runs a
    split model's channel stage only when H or noise_var changes (detectors/onnx_split.py)."""

    def __init__(self, model: str, nt: int = 4, nr: int = 4, constellation: str = "qam16",
                 output: str = "llr", threads: int = 1, provider: str = "cpu", batch: int = 256,
                 split: str = "off"):
        det = OnnxDetector(model, threads=threads, provider=provider, constellation=constellation,
                           nt=nt, nr=nr, split=split)
        self.detector = det
        super().__init__("onnx_detector", nt, nr, det.constellation, output, batch, tuple(det.outputs))
        self._log.info(f"model {det.path.name} on {det.provider}, {det.threads} intra-op thread(s)"
                       + (f", split path ({split})" if det.split is not None else ""))

    def channel_stages(self) -> int:
        """How many times the split path ran its channel stage (0 for the whole graph)."""
        return 0 if self.detector.split is None else self.detector.split.channel_items

    def provider(self) -> str:
        return self.detector.provider

    def _run(self, y, h, nv):
        """-> the model's outputs plus "erased" bool[n] (run_raw: H = 0 and non-finite items erased,
        LLRs clipped to ±LLR_LIMIT)."""
        n, nt, nr = y.shape[0], self.nt, self.nr
        res = self.detector.run_raw(np.ascontiguousarray(y).view(np.float32).reshape(n, nr, 2),
                                    np.ascontiguousarray(h).view(np.float32).reshape(n, nr, nt, 2),
                                    np.ascontiguousarray(nv, dtype=np.float32))
        if "estimate" in res:  # float32[n, Nt, 2] (re, im) -> complex64[n, Nt]
            res["estimate"] = res["estimate"].view(np.complex64)[..., 0]
        return res
