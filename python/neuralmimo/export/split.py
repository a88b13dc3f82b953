# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-channel / per-observation split of a detector, exported as two ONNX graphs beside the
whole one (docs/conventions.md, "ONNX contract", split models).

A family that can split declares ``split_state`` (names and shapes of the state its channel stage
hands on, models/hypermimo.py) and implements

    channel_stage(h [B,Nr,Nt,2], noise_var [B]) -> state tuple        (runs when (H, σ²) changes)
    observation_stage(y [B,Nr,2], *state) -> outputs in `outputs` order   (runs for every y)

with ``forward = observation_stage ∘ channel_stage``. ``export_split`` writes
``<stem>.split/channel.onnx`` and ``<stem>.split/observation.onnx`` (a folder, so that the
detector models of a directory stay its *.onnx files), checks their composition in onnxruntime
against the module in torch on the inputs the whole graph was checked on (same tolerance), and
returns the manifest's "split" entry: {"channel": path, "observation": path (relative to the
model's folder), "state": [names],
"max_abs_error": {...}}. The erasure and LLR clipping of the whole graph (ContractOutputs) are not
in the split graphs: the runtime applies them (detectors/onnx_split.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


class _Channel(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, h, noise_var):
        return self.module.channel_stage(h, noise_var)


class _Observation(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, y, *state):
        return self.module.observation_stage(y, *state)


def can_split(module) -> bool:
    return bool(getattr(module, "split_state", None))


def split_paths(path) -> tuple[Path, Path]:
    """The two graph files of the model at `path`: (<stem>.split/channel.onnx, <stem>.split/observation.onnx)."""
    folder = Path(path).with_suffix(".split")
    return folder / "channel.onnx", folder / "observation.onnx"


def _export(wrapper, args, path, input_names, output_names, opset, varargs: bool = False):
    import onnx

    from .onnx_export import export_graph, strip_debug_metadata

    batch = torch.export.Dim("batch", min=1)
    dyn = tuple({0: batch} for _ in args)
    if varargs:   # forward(y, *state): torch.export sees (y, state)
        dyn = (dyn[0], dyn[1:])
    export_graph(wrapper, args, path, input_names, output_names, dyn, opset)
    model = onnx.load(str(path))
    strip_debug_metadata(model)
    onnx.save(model, str(path))


def export_split(module, path, inputs, opset: int, atol: float, rtol: float) -> dict:
    """Write the two graphs of `module` beside `path` and check them (module docstring).
    inputs: (y, h, noise_var) float32 torch tensors to compare on."""
    import onnxruntime as ort

    from .onnx_export import ExportValidationError, agreement

    state_names = [name for name, _ in module.split_state]
    chan_path, obs_path = split_paths(path)
    chan_path.parent.mkdir(parents=True, exist_ok=True)
    y, h, nv = inputs
    module = module.eval()
    with torch.no_grad():
        state = module.channel_stage(h, nv)
        ref = module(y, h, nv)
    _export(_Channel(module).eval(), (h, nv), chan_path, ["h", "noise_var"], state_names, opset)
    _export(_Observation(module).eval(), (y, *state), obs_path, ["y", *state_names], list(module.outputs), opset,
            varargs=True)
    opts = ["CPUExecutionProvider"]
    got_state = ort.InferenceSession(str(chan_path), providers=opts).run(
        state_names, {"h": h.numpy(), "noise_var": nv.numpy()})
    got = ort.InferenceSession(str(obs_path), providers=opts).run(
        list(module.outputs), {"y": y.numpy(), **dict(zip(state_names, got_state))})
    try:
        report = agreement(module.outputs, ref, got, atol, rtol,
                           "the split graphs (onnxruntime) and the module (torch) disagree on '{}'")
    except ExportValidationError:
        for p in (chan_path, obs_path):
            p.unlink()
        raise
    rel = lambda p: f"{p.parent.name}/{p.name}"
    return {"channel": rel(chan_path), "observation": rel(obs_path), "state": state_names,
            "max_abs_error": report}


__all__ = ["export_split", "split_paths", "can_split"]
