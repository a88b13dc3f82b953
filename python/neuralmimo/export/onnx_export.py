# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a detector module to ONNX, write its manifest, check it against torch.

Every export runs onnxruntime and torch on the same random inputs (random
channels, constellation symbols and SNRs from −5 to 30 dB) and refuses the
file when |ort − torch| > atol + rtol·|torch| anywhere (defaults below).

Every family's outputs go through ContractOutputs inside the graph, so that a model is safe
in any runtime, not only behind neuralmimo's loader: an item with H = 0 or with a NaN/Inf in
any output has all its outputs set to 0 (the erasure of docs/conventions.md), the LLRs are
clipped to ±LLR_LIMIT, and an extra graph output "erased" bool[B] says which items were erased
(the manifest's "outputs" stay the detector outputs).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from ..manifest import MANIFEST_VERSION, metadata_props, write_manifest
from ..phy.demap import LLR_LIMIT
from .codec import can_codec, export_codec
from .split import can_split, export_split

DEFAULT_OPSET = 18
#: Agreement required between onnxruntime and torch (float32 both; the LLRs
#: reach a few hundred at high SNR, hence the relative part).
DEFAULT_ATOL = 1e-3
DEFAULT_RTOL = 1e-3


class ExportValidationError(ValueError):
    """onnxruntime and torch disagree beyond the tolerance."""


#: Graph output added by ContractOutputs.
ERASED_OUTPUT = "erased"


class ContractOutputs(torch.nn.Module):
    """module's outputs made safe (module docstring): forward(y, h, noise_var) -> (*module's outputs
    with erased items 0 and llr clipped to ±LLR_LIMIT, erased bool[B]). Exported as IsInf/IsNaN,
    Equal, ReduceMin, Where and Clip nodes after the family's own graph."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.nt, self.nr, self.constellation = module.nt, module.nr, module.constellation
        self.outputs = tuple(module.outputs) + (ERASED_OUTPUT,)

    def forward(self, y, h, noise_var):
        outs = self.module(y, h, noise_var)
        bad = (h == 0).flatten(1).all(1)
        for o in outs:
            bad = bad | ~torch.isfinite(o).flatten(1).all(1)
        safe = []
        for name, o in zip(self.module.outputs, outs):
            o = torch.where(bad.reshape((-1,) + (1,) * (o.ndim - 1)), torch.zeros_like(o), o)
            safe.append(o.clamp(-LLR_LIMIT, LLR_LIMIT) if name == "llr" else o)
        return (*safe, bad)


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def random_inputs(nt: int, nr: int, constellation, batch: int, seed: int, domain: dict | None = None):
    """Contract inputs (y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B]) as float32 torch tensors.

    domain: None for CN(0,1) channels at −5..30 dB (default convention), or the model's training
    domain {"channel": make_channel spec, "snr_convention": name, "snr_db": [lo, hi]}: a model with
    fixed learned steps (LcgNet) legitimately diverges on channels scaled unlike its training ones,
    and comparing two diverging float32 computations says nothing about the export.
    """
    rng = np.random.default_rng(seed)
    if domain is None:
        h = (rng.standard_normal((batch, nr, nt)) + 1j * rng.standard_normal((batch, nr, nt))) / np.sqrt(2)
        snr_db = rng.uniform(-5.0, 30.0, batch)
        nv = nt / 10 ** (snr_db / 10)
    else:
        from ..phy.channels import make_channel
        from ..phy.snr import noise_var_from_snr

        gen = torch.Generator().manual_seed(int(seed))
        h = make_channel(domain["channel"], nr, nt).sample(batch, generator=gen, dtype=torch.complex128)
        h = h.reshape(-1, nr, nt)[:batch].numpy()
        lo, hi = domain["snr_db"]
        snr_db = rng.uniform(lo, hi, batch)
        nv = np.asarray(noise_var_from_snr(torch.as_tensor(snr_db), nt, nr, domain["snr_convention"],
                                           H=torch.as_tensor(h)), dtype=np.float64) * np.ones(batch)
    x = constellation.points[rng.integers(0, constellation.order, (batch, nt))]
    n = (rng.standard_normal((batch, nr)) + 1j * rng.standard_normal((batch, nr))) * np.sqrt(nv[:, None] / 2)
    y = np.einsum("brt,bt->br", h, x) + n
    as_ri = lambda a: torch.from_numpy(np.stack([a.real, a.imag], -1).astype(np.float32))
    return as_ri(y), as_ri(h), torch.from_numpy(nv.astype(np.float32))


def compare_with_torch(module, path, seed: int = 1234, batch: int = 512,
                       atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL, domain: dict | None = None,
                       nt: int | None = None) -> dict:
    """Run onnxruntime and torch on random inputs (of `domain`, see random_inputs) with `nt`
    streams (default the module's nt); returns {output: max_abs_error}, raises above tolerance."""
    import onnxruntime as ort

    nt = module.nt if nt is None else int(nt)
    y, h, nv = random_inputs(nt, module.nr, module.constellation, batch, seed, domain)
    with torch.no_grad():
        ref = ContractOutputs(module)(y, h, nv)   # what the exported graph computes
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(list(module.outputs), {"y": y.numpy(), "h": h.numpy(), "noise_var": nv.numpy()})
    return agreement(module.outputs, ref, got, atol, rtol, f"onnxruntime and torch disagree on '{{}}' at Nt={nt}")


def agreement(names, ref, got, atol: float, rtol: float, what: str) -> dict:
    """{name: max |got − ref|} of torch outputs `ref` and onnxruntime outputs `got`; ExportValidationError
    (`what` formatted with the name) where |got − ref| > atol + rtol·|ref| anywhere."""
    report = {}
    for name, r, g in zip(names, ref, got):
        r = r.numpy()
        err = np.abs(g - r)
        report[name] = float(err.max())
        bad = err > atol + rtol * np.abs(r)
        if bad.any():
            raise ExportValidationError(
                f"export: {what.format(name)} for {int(bad.sum())} values "
                f"(max abs error {err.max():.3g}, tolerance {atol:g} + {rtol:g}·|torch|)")
    return report


def checked_nt(lo: int, hi: int) -> list:
    """The Nt the exporter compares at: both ends of the range and its middle."""
    return sorted({lo, (lo + hi) // 2, hi})


def module_nt_range(module) -> tuple:
    """(nt_min, nt): a module with a dynamic Nt axis has ``nt_range``; others serve their nt."""
    lo, hi = getattr(module, "nt_range", (module.nt, module.nt))
    return int(lo), int(hi)


def strip_debug_metadata(model) -> None:
    """Removes the exporter's per-node debug records (stack traces with source paths of the
    exporting machine, FX node dumps) from an onnx.ModelProto, in place; the graph is unchanged."""
    def graphs(g):
        yield g
        for node in g.node:
            for attr in node.attribute:
                if attr.g.node:
                    yield from graphs(attr.g)
                for sub in attr.graphs:
                    yield from graphs(sub)

    for g in graphs(model.graph):
        for node in g.node:
            node.doc_string = ""
            del node.metadata_props[:]
    for f in model.functions:
        for node in f.node:
            node.doc_string = ""
            del node.metadata_props[:]


def export_graph(wrapper, args, path: Path, input_names, output_names, dynamic_shapes, opset: int) -> None:
    """torch.onnx.export (dynamo, one file) of `wrapper` on `args` to `path`, at `opset` or refused
    (ValueError, nothing left): every graph the project writes goes through here."""
    import onnx

    # The exporter logs optional-package notices (torchvision ops) at warning level.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    # A failed down-conversion is logged with its traceback; it is refused below in one line.
    logging.getLogger("onnxscript.version_converter").setLevel(logging.ERROR)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, args, str(path), dynamo=True, opset_version=opset, input_names=input_names,
                          output_names=output_names, dynamic_shapes=dynamic_shapes, external_data=False,
                          verbose=False)
    # torch.onnx writes its own opset and converts down with onnx's version converter; where that
    # fails it keeps the graph at its opset (and only logs), so the opset is read back here.
    written = next(o.version for o in onnx.load(str(path)).opset_import if o.domain in ("", "ai.onnx"))
    if written != opset:
        path.unlink()
        raise ValueError(f"--opset {opset}: the graph could not be converted to opset {opset} "
                         f"(torch.onnx left it at {written}); nothing written")


def export_detector(module, path, manifest_extra: dict | None = None, opset: int = DEFAULT_OPSET,
                    atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL, seed: int = 1234,
                    domain: dict | None = None) -> dict:
    """Export `module` (nt, nr, constellation, outputs, family, paper, config()) to `path`.

    Writes <path> and <path>.json; returns the manifest (with the validation report).
    """
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    y, h, nv = random_inputs(module.nt, module.nr, module.constellation, 4, seed)
    batch = torch.export.Dim("batch", min=1)
    lo, hi = module_nt_range(module)
    h_dims = {0: batch}
    if lo < hi:   # one graph for every Nt in the range (RE-MIMO): Nt is a dynamic axis of h
        h_dims[2] = torch.export.Dim("nt", min=lo, max=hi)
    wrapped = ContractOutputs(module).eval()
    export_graph(wrapped, (y, h, nv), path, ["y", "h", "noise_var"], list(wrapped.outputs),
                 {"y": {0: batch}, "h": h_dims, "noise_var": {0: batch}}, opset)
    report = {}
    for n in checked_nt(lo, hi):
        at_n = compare_with_torch(module, path, seed=seed + 1, atol=atol, rtol=rtol, domain=domain, nt=n)
        report = {k: max(v, report.get(k, 0.0)) for k, v in at_n.items()}
    config = module.config()
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "family": module.family,
        "paper": module.paper,
        "nt": module.nt,
        "nr": module.nr,
        "constellation": module.constellation.name,
        "outputs": list(module.outputs),
        "snr_convention": "any (noise_var is an input)",
        "training_config_hash": config_hash(config),
        "training_snr_db": None,
        "opset": opset,
        "export_date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "config": config,
        "validation": {"max_abs_error": report, "atol": atol, "rtol": rtol, "batch": 512,
                       "nt_checked": checked_nt(lo, hi),
                       "inputs": domain or "CN(0,1) channels, SNR -5..30 dB (rx)"},
        "torch_version": torch.__version__.split("+")[0],
    }
    if lo < hi:
        manifest["nt_range"] = [lo, hi]
    if can_split(module):   # the per-channel / per-observation graphs beside the whole one (export/split.py)
        inputs = random_inputs(module.nt, module.nr, module.constellation, 512, seed + 1, domain)
        manifest["split"] = export_split(module, path, inputs, opset, atol, rtol)
    if can_codec(module):   # the soft-bit encoder / decoder graphs and codebooks (export/codec.py)
        manifest.update(export_codec(module, path, opset, atol, rtol, seed + 2))
    manifest.update(manifest_extra or {})
    model = onnx.load(str(path))
    strip_debug_metadata(model)
    del model.metadata_props[:]
    for k, v in metadata_props(manifest).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    write_manifest(path, manifest)
    return manifest
