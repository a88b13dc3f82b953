# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract of a learned family, checked for every entry of models.FAMILIES.

A family registered in FAMILIES gets these tests for free: its attributes and output shapes
(ONNX contract, docs/conventions.md), config round-trip (from_config(config()) and a checkpoint
loaded by nm.detector give the same outputs), export to ONNX equal to torch, and the manifest
fields. Trainable families (models.base.TrainableDetector subclasses) are the ones the trainer
writes checkpoints of; the others (LMMSE) are exempt from the checkpoint check by that
declaration. Family-specific tests stay in the family's test file.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.export import export_detector
from neuralmimo.models import FAMILIES
from neuralmimo.models.base import ExportableDetector, TrainableDetector
from neuralmimo.phy.demap import LLR_LIMIT

NT, NR, CONST = 2, 4, "qpsk"
#: Keys every manifest carries (the ONNX contract, docs/conventions.md).
MANIFEST_KEYS = ("manifest_version", "family", "paper", "nt", "nr", "constellation", "outputs",
                 "snr_convention", "training_config_hash", "training_snr_db", "opset", "export_date")


def _families():
    return [pytest.param(name, id=name) for name in sorted(FAMILIES)]


def trainable_families():
    return [name for name in sorted(FAMILIES) if issubclass(FAMILIES[name], TrainableDetector)]


#: Constructor arguments that keep a family small here where its defaults are the paper's size
#: (RE-MIMO: width 512, 12 blocks, some 40 M parameters even at 2x4).
SMALL = {"remimo": {"width": 16, "blocks": 2}}


def build(name: str):
    """A small module of the family (2x4 QPSK) with its initial weights moved off their start
    values by small seeded offsets: zero-initialised steps (LcgNet) would give trivial outputs."""
    torch.manual_seed(5)
    module = FAMILIES[name](NT, NR, CONST, **SMALL.get(name, {}))
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.empty_like(p).uniform_(0.02, 0.05))
    return module.eval()


def contract_inputs(batch=32, seed=1, noise_var=0.3):
    """(y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B]) of random CN(0,1) systems,
    and the complex y complex64[B,Nr], h complex64[B,Nr,Nt] they hold."""
    rng = np.random.default_rng(seed)
    c = nm.constellation(CONST)
    h = ((rng.standard_normal((batch, NR, NT)) + 1j * rng.standard_normal((batch, NR, NT))) / np.sqrt(2))
    x = c.points[rng.integers(0, c.order, (batch, NT))]
    n = (rng.standard_normal((batch, NR)) + 1j * rng.standard_normal((batch, NR))) * np.sqrt(noise_var / 2)
    y = (np.einsum("brt,bt->br", h, x) + n).astype(np.complex64)
    h = h.astype(np.complex64)
    ri = lambda a: torch.from_numpy(np.stack([a.real, a.imag], -1).astype(np.float32))
    return (ri(y), ri(h), torch.full((batch,), noise_var)), (y, h)


def outputs_of(module, args) -> dict:
    with torch.no_grad():
        return dict(zip(module.outputs, module(*args)))


@pytest.mark.parametrize("name", _families())
def test_attributes_and_output_shapes(name):
    cls = FAMILIES[name]
    assert issubclass(cls, ExportableDetector)             # the interface the exporter relies on
    assert cls.family == name and isinstance(cls.paper, str) and cls.paper
    module = build(name)
    assert module.outputs and set(module.outputs) <= {"llr", "estimate"}
    cfg = module.config()
    assert (cfg["family"], cfg["nt"], cfg["nr"], cfg["constellation"]) == (name, NT, NR, CONST)
    assert json.loads(json.dumps(cfg)) == cfg                 # JSON-able, as checkpoints and manifests hold it
    args, _ = contract_inputs()
    k = nm.constellation(CONST).bits_per_symbol
    shapes = {"llr": (32, NT, k), "estimate": (32, NT, 2)}
    for out_name, value in outputs_of(module, args).items():
        assert value.shape == shapes[out_name] and value.dtype == torch.float32, out_name
        assert torch.isfinite(value).all(), out_name


@pytest.mark.parametrize("name", _families())
def test_config_round_trip(name):
    module = build(name)
    cfg = json.loads(json.dumps(module.config()))
    again = FAMILIES[name].from_config(cfg)
    again.load_state_dict(module.state_dict())
    assert again.config() == module.config()
    args, _ = contract_inputs()
    want, got = outputs_of(module, args), outputs_of(again.eval(), args)
    for out_name in module.outputs:
        torch.testing.assert_close(got[out_name], want[out_name], rtol=0, atol=0)


@pytest.mark.parametrize("name", trainable_families())
def test_checkpoint_is_a_detector_with_the_same_outputs(name, tmp_path):
    """A trainer checkpoint of the module: nm.detector(final.pt) gives the module's outputs."""
    from neuralmimo.train.checkpoint import save_checkpoint

    module = build(name)
    path = save_checkpoint(tmp_path / "final.pt", {
        "model_config": module.config(), "state_dict": module.state_dict(),
        "active_layers": module.active_layers, "settings": {}, "finished": True, "stage_index": 0,
        "epoch": 1, "history": [], "config_hash": "contract", "training_snr_db": [[0, 10]],
        "snr_convention": "rx", "channel": "rayleigh", "config": {}})
    det = nm.detector(str(path))
    args, (y, h) = contract_inputs()
    out = det(torch.from_numpy(y), torch.from_numpy(h), args[2])
    want = outputs_of(module, args)
    if "llr" in module.outputs:   # the contract clips LLRs to ±LLR_LIMIT
        torch.testing.assert_close(out.llr, want["llr"].clamp(-LLR_LIMIT, LLR_LIMIT))
    if "estimate" in module.outputs:
        torch.testing.assert_close(torch.view_as_real(out.estimate), want["estimate"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """family -> (module, path, manifest) of export_detector on each family's small module."""
    out = {}
    for name in sorted(FAMILIES):
        module = build(name)
        extra = module.manifest_extra()
        path = tmp_path_factory.mktemp(name) / f"{name}_{CONST}_{NT}x{NR}.onnx"
        out[name] = (module, path, extra, export_detector(module, path, manifest_extra=extra))
    return out


@pytest.mark.parametrize("name", _families())
def test_export_equals_torch(name, exported):
    """export_detector validates onnxruntime against torch; nm.detector(onnx) then gives the torch
    module's outputs on other random systems too."""
    module, path, _, manifest = exported[name]
    validation = manifest["validation"]
    errs = validation["max_abs_error"]
    assert set(errs) == set(module.outputs) and all(np.isfinite(e) for e in errs.values())
    assert (validation["atol"], validation["rtol"]) == (1e-3, 1e-3)
    args, (y, h) = contract_inputs(batch=64, seed=12)
    det = nm.detector(str(path))
    out = det(y, h, args[2].numpy())
    want = outputs_of(module, args)
    if "llr" in module.outputs:   # the contract clips LLRs to ±LLR_LIMIT (HyperMIMO's exceed it here)
        np.testing.assert_allclose(out.llr, want["llr"].clamp(-LLR_LIMIT, LLR_LIMIT).numpy(), atol=1e-3, rtol=1e-3)
    if "estimate" in module.outputs:
        np.testing.assert_allclose(out.estimate, torch.view_as_complex(want["estimate"]).numpy(), atol=1e-4)


@pytest.mark.parametrize("name", _families())
def test_manifest_fields(name, exported):
    import onnx

    module, path, extra, manifest = exported[name]
    on_disk = json.loads(path.with_suffix(".json").read_text())
    assert on_disk == manifest
    for key in MANIFEST_KEYS:
        assert key in on_disk, key
    assert (on_disk["family"], on_disk["paper"]) == (module.family, module.paper)
    assert (on_disk["nt"], on_disk["nr"], on_disk["constellation"]) == (NT, NR, CONST)
    assert on_disk["outputs"] == list(module.outputs)
    assert on_disk["snr_convention"] == "any (noise_var is an input)"
    assert on_disk["config"] == module.config()
    for key, value in extra.items():
        assert on_disk[key] == value, key
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert props["nt"] == str(NT) and props["constellation"] == CONST and props["family"] == module.family
    assert json.loads(props["outputs"]) == list(module.outputs)
    det = nm.detector(str(path))
    assert (det.nt, det.nr, det.constellation.name) == (NT, NR, CONST)
    assert det.manifest["family"] == module.family
