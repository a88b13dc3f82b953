# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""softbit_codec: the encoder or the decoder of an exported soft-bit codec (EQ-Net) as a sync block.

direction "encode": in llr float[Nt·K] (user-major, LLR = ln P(b=1)/P(b=0)) -> out latent float[L];
direction "decode": in latent float[L] -> out llr float[Nt·K]. Between them goes the latent's
scalar quantiser (softbit_quantizer / softbit_dequantizer built from the same manifest: its
"quantizer" entry is the per-feature codebook), so that the wire carries L·bits bits per vector
instead of 32·Nt·K. One onnxruntime session per block (detectors/onnx_codec.py: threads and
provider explicit); NaN LLRs are encoded as erasures and an item with a non-finite latent
decodes to LLR 0, counted by erased().
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..detectors.onnx_codec import OnnxCodec


class softbit_codec(gr.sync_block):  # noqa: N801 (GNU Radio block naming)
    def __init__(self, model: str, direction: str = "encode", n_llr: int = 0, latent: int = 0,
                 threads: int = 1, provider: str = "cpu"):
        """n_llr (Nt·K), latent (L): the flowgraph's port sizes, checked against the model (0: take
        the model's)."""
        if direction not in ("encode", "decode"):
            raise ValueError(f"softbit_codec: direction must be 'encode' or 'decode', got {direction!r}")
        self.codec = OnnxCodec(model, threads=threads, provider=provider)
        bits, latent_model = self.codec.nt * self.codec.k, self.codec.latent
        for name, given, have in (("n_llr", n_llr, bits), ("latent", latent, latent_model)):
            if given and int(given) != have:
                raise ValueError(f"softbit_codec: {name} = {given} but model {self.codec.path.name} has {have}")
        latent = latent_model
        d_in, d_out = (bits, latent) if direction == "encode" else (latent, bits)
        gr.sync_block.__init__(self, name="softbit_codec", in_sig=[(np.float32, d_in)],
                               out_sig=[(np.float32, d_out)])
        self.direction = direction
        self._run = self.codec.encode if direction == "encode" else self.codec.decode
        self._log = gr.logger("softbit_codec")
        self._warned = False
        self._log.info(f"{direction}r of {self.codec.path.name}: {d_in} -> {d_out} floats per item, "
                       f"{self.codec.provider}")

    def erased(self) -> int:
        """NaN LLRs (encoder) or non-finite latent vectors (decoder) handled as erasures so far."""
        return self.codec.erased

    def work(self, input_items, output_items):
        x, out = input_items[0], output_items[0]
        n = min(len(x), len(out))
        if n:
            before = self.codec.erased
            out[:n] = self._run(x[:n]).reshape(n, -1)
            if self.codec.erased > before and not self._warned:
                self._warned = True
                self._log.warn(f"non-finite input handled as erasures ({self.codec.erased} so far; erased())")
        return n
