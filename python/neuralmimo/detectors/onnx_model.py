# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Detectors from exported ONNX files (docs/conventions.md, "ONNX contract").

One onnxruntime InferenceSession per instance; intra-op threads and the
execution provider are explicit, and the provider actually used is checked
(no silent fallback to another one). The manifest beside the model (or, without
that file, the one in its metadata_props) is checked against the graph's inputs
and outputs and against its metadata_props.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..manifest import metadata_props, nt_range, nt_range_text, read_manifest
from ..phy.constellation import constellation as _lookup
from .base import Detector, constellation_tensors, contract_output, finish_numpy

#: Optional graph output (python/neuralmimo/export): bool[B], the items the graph itself erased
#: (H = 0, a non-finite value in any output); their llr and estimate are already 0.
ERASED_OUTPUT = "erased"

_PROVIDER_ALIASES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
                     "tensorrt": "TensorrtExecutionProvider"}


def resolve_provider(provider: str) -> str:
    """'cpu' / 'cuda' / full onnxruntime name -> an available provider name, or ValueError."""
    import onnxruntime as ort

    name = _PROVIDER_ALIASES.get(provider.lower(), provider) if isinstance(provider, str) else provider
    available = ort.get_available_providers()
    if name not in available:
        raise ValueError(f"provider: '{provider}' is not available here (available: {', '.join(available)})")
    return name


def check_flowgraph(manifest: dict, name: str, nt=None, nr=None, constellation=None) -> None:
    """ValueError naming both values when a flowgraph's nt, nr or constellation (None: not checked)
    is not what the model `name` (its manifest) serves."""
    lo, hi = nt_range(manifest)
    if nt is not None and not lo <= int(nt) <= hi:
        served = f"was exported for nt={hi}" if lo == hi else f"serves {nt_range_text(lo, hi)}"
        raise ValueError(f"nt: the flowgraph has nt={nt} but model {name} {served}")
    if nr is not None and int(nr) != int(manifest["nr"]):
        raise ValueError(f"nr: the flowgraph has nr={nr} but model {name} was exported for nr={manifest['nr']}")
    if constellation is not None and _lookup(constellation).name != _lookup(manifest["constellation"]).name:
        raise ValueError(f"constellation: the flowgraph has '{_lookup(constellation).name}' but model "
                         f"{name} was exported for '{_lookup(manifest['constellation']).name}'")


def open_session(path: Path, threads: int, provider: str):
    """One onnxruntime session on `path` with `threads` intra-op threads (>= 1) and exactly
    `provider` (resolve_provider's name) -> (session, SessionOptions). ValueError when the file is
    missing or unreadable or onnxruntime would run another provider."""
    import onnxruntime as ort

    if not Path(path).is_file():
        raise ValueError(f"model: file {path} not found")
    if int(threads) < 1:
        raise ValueError(f"threads: must be >= 1, got {threads}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    # Explicit, not left to the default: every graph rewrite (constant folding, fusions) applies.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(str(path), sess_options=opts, providers=[provider])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ValueError(f"model: onnxruntime cannot load {path}: {exc}") from exc
    used = session.get_providers()[0]
    if used != provider:
        raise ValueError(f"provider: asked for {provider} but onnxruntime runs {used}")
    return session, opts


def _dim(d):
    return d if isinstance(d, int) else None


class OnnxDetector(Detector):
    """nm.detector("model.onnx"): runs the model, derives hard symbols from the LLR signs.

    path: the .onnx file, with its JSON manifest beside it; threads: onnxruntime intra-op
    threads (default 1); provider: "cpu", "cuda", "tensorrt" or a full onnxruntime name (no
    silent fallback); constellation, nt, nr: optional checks against the manifest (ValueError
    on a mismatch); split: "off" (the whole graph), "onnx" or "cpp" for a model exported with
    per-channel / per-observation graphs (manifest "split", detectors/onnx_split.py: the channel
    stage only when H or σ² changes from one item to the next). A model with a dynamic Nt axis (manifest ``nt_range``, RE-MIMO) serves every
    Nt in its range, from the shape of H; one outside it is refused naming the range. The graph takes y float32[B, Nr, 2], h float32[B, Nr, Nt, 2], noise_var
    float32[B] and gives llr float32[B, Nt, K] and/or estimate float32[B, Nt, 2]
    (docs/conventions.md, "ONNX contract"); the call itself is the Detector one, with
    complex inputs and LLR = ln P(b=1|y)/P(b=0|y).
    """

    name = "onnx"
    scale_invariant = False    # a learned graph may depend on the scale of H (detectors/base.py)

    def __init__(self, path, threads: int = 1, provider: str = "cpu", constellation=None,
                 nt: int | None = None, nr: int | None = None, split: str = "off"):
        import onnxruntime as ort

        self.path = Path(path)
        self.provider = resolve_provider(provider)
        self.session, opts = open_session(self.path, threads, self.provider)
        self.threads = int(threads)
        self.manifest = read_manifest(self.path, self.session.get_modelmeta().custom_metadata_map)
        super().__init__(self.manifest["constellation"])
        self.nt, self.nr = self.manifest["nt"], self.manifest["nr"]
        self.nt_range = nt_range(self.manifest)
        check_flowgraph(self.manifest, self.path.name, nt, nr, constellation)
        self._check_graph()
        self.outputs = list(self.manifest["outputs"])
        # Graphs exported before the output contract have no "erased" output; run_raw then finds
        # their erasures from the outputs alone.
        self._fetch = self.outputs + ([ERASED_OUTPUT] if ERASED_OUTPUT in
                                      {o.name for o in self.session.get_outputs()} else [])
        self.split = None
        if split != "off":
            self._open_split(split, ort, opts)
        self._check_runs()
        if self.split is not None:   # the load-time check is not the stream's first channel
            self.split.reset()
            self.split.channel_items = self.split.items = 0

    def _open_split(self, engine: str, ort, opts):
        """The per-channel / per-observation path (detectors/onnx_split.py): split="onnx" runs both
        graphs of the manifest's "split" in onnxruntime, split="cpp" the channel graph in onnxruntime
        and the observation stage in the C++ kernel."""
        from .onnx_split import ENGINES, SplitRunner

        if engine not in ENGINES:
            raise ValueError(f"split: '{engine}' is not one of off, {', '.join(ENGINES)}")
        if "split" not in self.manifest:
            raise ValueError(f"split: model {self.path.name} (family '{self.manifest['family']}') has no "
                             "per-channel / per-observation graphs; use split='off'")
        sessions = []
        for key in ("channel", "observation") if engine == "onnx" else ("channel",):
            file = self.path.parent / self.manifest["split"][key]
            if not file.is_file():
                raise ValueError(f"split: graph {self.manifest['split'][key]} of model {self.path.name} not found "
                                 "beside it")
            try:
                sessions.append(ort.InferenceSession(str(file), sess_options=opts, providers=[self.provider]))
            except Exception as exc:  # onnxruntime raises its own exception types
                raise ValueError(f"split: onnxruntime cannot load {file}: {exc}") from exc
        self.split = SplitRunner(sessions[0], sessions[1] if engine == "onnx" else None, self.manifest, engine)

    def _check_runs(self):
        """One inference on a fixed small system at load time: a graph whose interface is right but
        whose body is damaged (a corrupted file onnxruntime still parses) must be refused here, with
        a ValueError naming the file, not fail at the first call inside a flowgraph."""
        rng = np.random.default_rng(0)
        k = self.constellation.bits_per_symbol
        for nt in sorted(set(self.nt_range)):
            y = rng.standard_normal((2, self.nr, 2)).astype(np.float32)
            h = rng.standard_normal((2, self.nr, nt, 2)).astype(np.float32)
            try:
                res = self.run_raw(y, h, np.full(2, 0.1, np.float32))
            except Exception as exc:  # onnxruntime raises its own exception types
                raise ValueError(f"model: {self.path} loads but fails on a test input (Nt={nt}): {exc}") from None
            want = {"llr": (2, nt, k), "estimate": (2, nt, 2), "erased": (2,)}
            for name, value in res.items():
                if value.shape != want[name]:
                    raise ValueError(f"model: {self.path} gives {name} of shape {value.shape} on a test input, "
                                     f"the contract says {want[name]}")

    def _check_graph(self):
        k = self.constellation.bits_per_symbol
        nr = self.nr
        nt = self.nt if self.nt_range[0] == self.nt_range[1] else None   # None: a dynamic axis
        want_in = {"y": [None, nr, 2], "h": [None, nr, nt, 2], "noise_var": [None]}
        got_in = {i.name: [_dim(d) for d in i.shape] for i in self.session.get_inputs()}
        if set(got_in) != set(want_in):
            raise ValueError(f"model: graph inputs {sorted(got_in)} are not the contract's {sorted(want_in)}")
        for name, shape in want_in.items():
            g = got_in[name]
            if len(g) != len(shape) or any(w is not None and w != d for w, d in zip(shape, g)):
                raise ValueError(f"model: input '{name}' has shape {g} in the graph but the manifest "
                                 f"({nt_range_text(*self.nt_range)}, Nr={nr}) implies {shape}")
        want_out = {"llr": [None, nt, k], "estimate": [None, nt, 2]}
        got_out = {o.name: [_dim(d) for d in o.shape] for o in self.session.get_outputs()}
        for name in self.manifest["outputs"]:
            if name not in got_out:
                raise ValueError(f"model: manifest lists output '{name}' but the graph has {sorted(got_out)}")
            g, w = got_out[name], want_out[name]
            if len(g) != len(w) or any(a is not None and a != b for a, b in zip(w, g)):
                raise ValueError(f"model: output '{name}' has shape {g} in the graph but the manifest "
                                 f"({nt_range_text(*self.nt_range)}, constellation {self.constellation.name}) "
                                 f"implies {w}")
        props = self.session.get_modelmeta().custom_metadata_map
        for key, value in metadata_props(self.manifest).items():
            if key in props and props[key] != value:
                raise ValueError(f"model: manifest {key}={value} disagrees with the ONNX metadata {key}={props[key]}")

    def _check_dims(self, nr, nt):
        lo, hi = self.nt_range
        if nr != self.nr or not lo <= nt <= hi:
            raise ValueError(f"H: shape Nr={nr}, Nt={nt} but model {self.path.name} expects Nr={self.nr}, "
                             f"{nt_range_text(lo, hi)}")

    def run_raw(self, y_ri: np.ndarray, h_ri: np.ndarray, noise_var: np.ndarray) -> dict[str, np.ndarray]:
        """Contract-level call, no input checks: y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var
        float32[B] -> the manifest's outputs plus "erased" bool[B], finished as every detector call
        (base.finish_outputs: H = 0 and non-finite items erased, LLRs clipped)."""
        if self.split is not None:
            return self.split.run(y_ri, h_ri, noise_var)
        res = dict(zip(self._fetch, self.session.run(self._fetch, {"y": y_ri, "h": h_ri, "noise_var": noise_var})))
        if ERASED_OUTPUT in res:
            # The graph applied the contract itself (export's ContractOutputs: H = 0 and non-finite
            # items zeroed, LLRs clipped): finishing it again would only cost copies.
            res["erased"] = res.pop(ERASED_OUTPUT).astype(bool)
            return res
        return finish_numpy(res, (h_ri == 0).all(axis=tuple(range(1, h_ri.ndim))))

    def _detect(self, y, h, nv):
        dev = y.device
        res = self.run_raw(torch.view_as_real(y.to(torch.complex64)).cpu().numpy(),
                           torch.view_as_real(h.to(torch.complex64)).contiguous().cpu().numpy(),
                           nv.to(torch.float32).cpu().numpy())
        pts, _ = constellation_tensors(self.constellation, torch.float32, dev)
        return contract_output({k: torch.from_numpy(v).to(dev) for k, v in res.items()}, pts)

    def __repr__(self):
        return f"OnnxDetector('{self.path.name}', provider={self.provider}, threads={self.threads})"
