# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-channel / per-observation split of the linear families (LMMSE, LcgNet): the exporter
writes and checks both graphs, and the split path gives the whole graph's outputs item for item
on an OFDM frame's order of channels (each carrier's H once per data symbol), one channel stage
per distinct channel."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.bench.common import make_system
from neuralmimo.export import export_detector
from neuralmimo.models import FAMILIES
from neuralmimo.paths import model_path

SPLIT_MODELS = ("lmmse_qam16_4x4.onnx", "lcgnetv_qam16_4x4.onnx")


@pytest.mark.parametrize("name", SPLIT_MODELS)
def test_shipped_split_equals_whole_graph_on_an_ofdm_frame(name):
    path = Path(model_path(name))
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["split"]["state"] == ["w", "mu", "nu"]
    whole, split = nm.detector(str(path)), nm.detector(f"{path}:split=onnx")
    # An OFDM frame's order (bench.common): 48 carriers, each carrier's H once per symbol, 12 symbols, 15 dB.
    y, h, nv = make_system(np.random.default_rng(3), manifest["nt"], manifest["nr"], whole.constellation.name,
                           576, 12, manifest["nt"] / 10 ** 1.5, order="ofdm")
    h[100] = 0                                        # erased by both
    ref = whole(y, h, nv)
    parts = [split(y[a:b], h[a:b], nv[a:b]) for a, b in ((0, 200), (200, 401), (401, 576))]
    llr = np.concatenate([p.llr for p in parts])
    est = np.concatenate([p.estimate for p in parts])
    # The whole graph's own export tolerance (0.001 + 0.001·|LLR|), twice: both paths round.
    np.testing.assert_allclose(llr, ref.llr, atol=2e-3 + 2 * manifest["split"]["max_abs_error"]["llr"], rtol=2e-3)
    np.testing.assert_allclose(est, ref.estimate, atol=1e-4, rtol=1e-3)
    assert (llr[100] == 0).all() and (ref.llr[100] == 0).all()
    assert (np.sign(llr) == np.sign(ref.llr)).mean() > 0.999
    # 48 carriers: one channel stage each, remembered across the three calls
    assert split.split.channel_items == 48 and split.split.items == 575


@pytest.mark.parametrize("family, kw, const", [("lmmse", {}, "qam16"), ("lcgnet", {"layers": 3}, "qpsk"),
                                               ("lcgnet", {"layers": 4, "variant": "S"}, "bpsk")])
def test_exporter_writes_and_checks_linear_split_graphs(tmp_path, family, kw, const):
    """export_detector writes the two graphs of every family that can split and checks their
    composition in onnxruntime against torch (nonzero learned steps for LcgNet)."""
    torch.manual_seed(0)
    module = FAMILIES[family](3, 4, const, **kw)
    if family == "lcgnet":
        shape = (module.n_layers, module.alphas[0].shape[0])
        module.set_steps(torch.rand(shape) * 0.5 + 0.2, torch.rand(shape) * 0.3)
    path = tmp_path / f"{family}.onnx"
    export_detector(module, path)
    manifest = json.loads(path.with_suffix(".json").read_text())
    err = manifest["split"]["max_abs_error"]
    assert (path.parent / manifest["split"]["channel"]).is_file()
    # within the exporter's tolerance 0.001 + 0.001·|torch| at |LLR| <= LLR_LIMIT = 100
    assert err["estimate"] < 1e-3 and err["llr"] < 0.101
    # torch: the stages compose to forward
    y = torch.randn(64, 4, 2)
    h = torch.randn(64, 4, 3, 2) / 2
    nv = torch.full((64,), 0.1)
    with torch.no_grad():
        whole = module(y, h, nv)
        staged = module.observation_stage(y, *module.channel_stage(h, nv))
    for a, b in zip(whole, staged):
        torch.testing.assert_close(b, a, atol=2e-3, rtol=2e-3)
