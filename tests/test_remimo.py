# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""RE-MIMO (models/remimo.py), variable-Nt training data and the dynamic-Nt ONNX export:
permuting users permutes the outputs (torch and ONNX), one ONNX file equals torch at three Nt,
an Nt outside the trained range is refused naming it, the embedding's transmitter encoding is
the paper's closed form, loss 'ce' is the block-averaged cross-entropy, Nt is drawn with the
configured law, and a tiny training run lowers the loss."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.detectors.torch_model import TorchModelDetector
from neuralmimo.export.onnx_export import export_detector
from neuralmimo.models.remimo import ReMimo
from neuralmimo.train.config import config_from_dict
from neuralmimo.train.data import DataSource
from neuralmimo.train.losses import ce_loss


def _model(**kw):
    torch.manual_seed(0)
    args = {"nt_min": 1, "blocks": 2, "width": 16, "heads": 4, "gradient": True, **kw}
    m = ReMimo(4, 4, "qam16", **args).eval()
    return m


def _inputs(nt, nr=4, batch=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, nr, nt, 2, generator=g) / math.sqrt(2)
    y = torch.randn(batch, nr, 2, generator=g)
    nv = torch.rand(batch, generator=g) * 0.5 + 0.05
    return y, h, nv


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    m = _model()
    path = tmp_path_factory.mktemp("remimo") / "remimo.onnx"
    manifest = export_detector(m, path)
    return m, path, manifest


@pytest.mark.parametrize("gradient", [False, True])
@pytest.mark.parametrize("nt", [2, 4])
def test_permuting_users_permutes_the_outputs_in_torch(nt, gradient):
    m = _model(gradient=gradient)
    y, h, nv = _inputs(nt)
    perm = torch.tensor([nt - 1] + list(range(nt - 1)))
    with torch.no_grad():
        llr, est = m(y, h, nv)
        llr_p, est_p = m(y, h[:, :, perm], nv)
    torch.testing.assert_close(llr_p, llr[:, perm], atol=1e-5, rtol=0)
    torch.testing.assert_close(est_p, est[:, perm], atol=1e-5, rtol=0)


def test_one_onnx_file_equals_torch_at_three_nt_and_is_equivariant(exported):
    m, path, manifest = exported
    assert manifest["nt_range"] == [1, 4] and manifest["nt"] == 4
    assert manifest["validation"]["nt_checked"] == [1, 2, 4]
    det = nm.detector(str(path))
    for nt in (1, 3, 4):
        y, h, nv = _inputs(nt, seed=nt)
        with torch.no_grad():
            llr, est = m(y, h, nv)
        res = det.run_raw(y.numpy(), h.numpy(), nv.numpy())
        np.testing.assert_allclose(res["llr"], llr.numpy(), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(res["estimate"], est.numpy(), atol=1e-5, rtol=1e-4)
        if nt > 1:
            perm = np.roll(np.arange(nt), 1)
            res_p = det.run_raw(y.numpy(), np.ascontiguousarray(h.numpy()[:, :, perm]), nv.numpy())
            np.testing.assert_allclose(res_p["llr"], res["llr"][:, perm], atol=1e-5, rtol=0)


def test_nt_outside_the_range_is_refused_naming_it(exported, tmp_path):
    m, path, _ = exported
    h = np.ones((2, 4, 5), np.complex64)
    y = np.ones((2, 4), np.complex64)
    with pytest.raises(ValueError, match=r"Nt in 1\.\.4"):
        nm.detector(str(path))(y, h, 0.1)
    with pytest.raises(ValueError, match=r"Nt in 1\.\.4"):
        nm.detector(str(path), nt=5)
    torch_det = TorchModelDetector(m)
    with pytest.raises(ValueError, match=r"Nt in 1\.\.4"):
        torch_det(y, h, 0.1)
    small = ReMimo(4, 4, "qam16", nt_min=2, blocks=1, width=16, heads=4)
    with pytest.raises(ValueError, match=r"Nt in 2\.\.4"):
        TorchModelDetector(small)(y[:, :], h[:, :, :1], 0.1)


def test_the_block_refuses_an_nt_outside_the_range(exported):
    pytest.importorskip("gnuradio")
    from neuralmimo.blocks.onnx_detector import onnx_detector

    _, path, _ = exported
    for nt in (1, 4):
        assert onnx_detector(str(path), nt=nt, nr=4, constellation="qam16").nt == nt
    with pytest.raises(ValueError, match=r"nt=5 .*Nt in 1\.\.4"):
        onnx_detector(str(path), nt=5, nr=4, constellation="qam16")


def test_transmitter_encoding_is_the_closed_form():
    """TE_(Nt, 2k) = sin(Nt/(2Nr)^{2k/d_TE})/√d_s, TE_(Nt, 2k+1) = cos(…)/√d_s (eq. 22, d_TE = Nr)."""
    m = ReMimo(8, 8, "qpsk", nt_min=2, blocks=1, width=16, heads=2)
    for nt in (2, 5):
        y, h, nv = _inputs(nt, nr=8)
        te = m._tokens(y, h, nv)[4][0]
        want = []
        for k in range(4):
            arg = nt / (16.0 ** (2 * k / 8))
            want += [math.sin(arg) / 4.0, math.cos(arg) / 4.0]
        torch.testing.assert_close(te, torch.tensor(want), atol=1e-6, rtol=1e-6)


def test_ce_loss_is_the_block_average_of_the_cross_entropy():
    pts = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    x = torch.tensor([[[1.0, 0.0], [-1.0, 0.0]]])                         # B = 1, Nt = 2
    logits = torch.tensor([[[[2.0, 0.0], [0.0, 1.0]]], [[[0.0, 0.0], [3.0, 0.0]]]])   # T = 2
    hand = (-(math.log(math.exp(2) / (math.exp(2) + 1)) + math.log(math.exp(1) / (1 + math.exp(1))))
            - (math.log(0.5) + math.log(1 / (math.exp(3) + 1)))) / 4
    got = ce_loss({"block_logits": logits, "points": pts}, x, None)
    assert got.item() == pytest.approx(hand, rel=1e-6)


def _config(**data):
    return {"model": {"family": "remimo", "blocks": 2, "width": 16, "heads": 4, "gradient": True},
            "data": {"nt": 4, "nr": 4, "constellation": "qpsk", "channel": "rayleigh",
                     "snr_convention": "rx", "batch": 64, **data},
            "train": {"seed": 3, "loss": "ce", "steps_per_epoch": 40, "validation_vectors": 400},
            "schedule": {"name": "fixed", "snr_db": [10, 20], "lr": 3e-3, "max_epochs": 3, "patience": 3}}


def test_nt_is_drawn_per_batch_with_the_law_and_moves_the_snr():
    """P(Nt) ∝ Nt over {1, 2, 3, 4} (the "linear" law): counts over 4000 draws within 5 σ of the
    binomial expectation; a batch's SNR range moves by (Nt − 4)·snr_db_per_stream."""
    cfg = config_from_dict(_config(nt_min=1, snr_db_per_stream=2.0))
    src = DataSource(cfg.data)
    gen = torch.Generator().manual_seed(0)
    draws = np.array([src.draw_nt(gen) for _ in range(4000)])
    for nt in range(1, 5):
        p = nt / 10
        assert abs((draws == nt).sum() - 4000 * p) < 5 * math.sqrt(4000 * p * (1 - p))
    b = src.sample(300, (10.0, 20.0), gen, nt=2)
    assert b.h.shape == (300, 4, 2, 2) and b.x.shape == (300, 2, 2)
    assert 6.0 <= b.snr_db.min() and b.snr_db.max() <= 16.0
    even = DataSource(config_from_dict(_config(nt_min=2, nt_step=2)).data)
    assert even.nt_values == (2, 4)
    assert [v.h.shape[2] for v in even.validation_sets((10.0, 20.0), 100, seed=1)] == [2, 4]


@pytest.mark.parametrize("data, match", [
    ({"nt_min": 5}, "nt_min: 5 is above data.nt = 4"),
    ({"nt_min": 1, "nt_step": 2}, "nt_step: 2 does not lead from nt_min = 1 to nt = 4"),
    ({"nt_min": 1, "nt_law": "square"}, "nt_law"),
])
def test_bad_variable_nt_configs_raise(data, match):
    with pytest.raises(ValueError, match=match):
        config_from_dict(_config(**data))


def test_a_fixed_nt_family_refuses_a_range():
    cfg = _config(nt_min=2)
    cfg["model"] = {"family": "oampnet", "layers": 2}
    with pytest.raises(ValueError, match="family 'oampnet' detects a fixed Nt.*remimo"):
        config_from_dict(cfg)
    with pytest.raises(ValueError, match="heads: 5 does not divide"):
        ReMimo(4, 4, "qam16", width=16, heads=5)


def test_tiny_training_lowers_the_loss(tmp_path):
    """The shared trainer with loss 'ce' on Nt 1..4 (one Nt per batch): the validation NMSE at
    Nt = 1 and 4 falls by 3 dB, and the checkpoint detects at any Nt in the range."""
    from conftest import tiny_training

    model, final, hist = tiny_training(_config(nt_min=1), tmp_path)
    assert hist[-1]["best_val_nmse_db"] < hist[0]["val_nmse_db"] - 3.0, hist
    assert model.nt_range == (1, 4)
    det = nm.detector(str(final))
    for nt in (1, 3):
        y, h, nv = _inputs(nt)
        out = det(torch.view_as_complex(y.contiguous()), torch.view_as_complex(h.contiguous()), nv)
        assert out.llr.shape == (6, nt, 2)
