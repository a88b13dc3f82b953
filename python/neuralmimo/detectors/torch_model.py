# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A detector module on the ONNX contract (a models/ family) behind the one detector interface.

    det = TorchModelDetector(module)                           # a module in memory
    det = nm.detector("runs/lcgnetv_32x64_bpsk/final.pt")     # the same, from a trainer checkpoint

The module is duck-typed (nt, nr, constellation, outputs, forward, forward_train), so this
adapter needs nothing from models/; loading a checkpoint is models.checkpoint's job.

Runs the module's forward (the graph that ONNX export would contain) in torch,
on the device of the inputs, without autograd. Handy to evaluate a model
before exporting it; the ONNX file is what the GNU Radio blocks use.
"""
from __future__ import annotations

import torch

from ..manifest import nt_range_text
from .base import Detector, constellation_tensors, contract_output


class TorchModelDetector(Detector):
    """Detector interface over module.forward(y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B]).

    module: a trainable detector (models/, ONNX-contract forward: float32 (re, im) tensors in,
    llr float32[B, Nt, K] and/or estimate float32[B, Nt, 2] out); constellation: defaults to
    the module's; decisions: see __init__. The call is the Detector one (complex y, H),
    LLR = ln P(b=1|y)/P(b=0|y).
    """

    name = "torch-model"
    scale_invariant = False    # a learned model may depend on the scale of H (detectors/base.py)

    def __init__(self, module, constellation=None, decisions: str = "llr"):
        """decisions="llr": the exported graph's outputs (LLRs, estimate), hard symbols from the LLRs.
        decisions="estimate": only module.forward_train's estimate and the nearest constellation point,
        no LLRs: much cheaper for models whose LLR variance costs more than the estimate (LcgNet), and
        the same hard decisions for BPSK and QPSK, whose decision regions do not depend on the scale of
        a biased estimate. Not for larger QAM: there the unscaled estimate gives worse decisions."""
        if decisions not in ("llr", "estimate"):
            raise ValueError(f"decisions: '{decisions}' is not one of llr, estimate")
        super().__init__(constellation or module.constellation)
        self.decisions = decisions
        if self.constellation.name != module.constellation.name:
            raise ValueError(f"constellation: '{self.constellation.name}' does not match the model's "
                             f"'{module.constellation.name}'")
        self.module = module.eval()

    def _check_dims(self, nr: int, nt: int) -> None:
        lo, hi = getattr(self.module, "nt_range", (self.module.nt, self.module.nt))
        if nr != self.module.nr or not lo <= nt <= hi:
            raise ValueError(f"H: the model is for {nt_range_text(lo, hi)}, Nr={self.module.nr}, got Nt={nt}, Nr={nr}")

    def _detect(self, y, h, nv):
        real = nv.dtype
        module = self.module.to(device=y.device, dtype=real)
        args = (torch.view_as_real(y), torch.view_as_real(h).contiguous(), nv)
        with torch.no_grad():
            if self.decisions == "estimate":
                res = {"estimate": module.forward_train(*args)["estimate"]}
            else:
                res = dict(zip(module.outputs, module(*args)))
        pts, _ = constellation_tensors(self.constellation, real, y.device)
        return contract_output(res, pts)

    def __repr__(self):
        return f"TorchModelDetector({type(self.module).__name__}, nt={self.module.nt}, nr={self.module.nr})"
