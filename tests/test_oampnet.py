# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""OAMPNet / OAMPNet-2 (models/oampnet.py): with its learned scalars at their initial values the
network is the OAMP detector with the posterior-mean denoiser; the scalars change it; bad arguments.
The family contract (shapes, config round trip, ONNX equal to torch) is in test_family_contract.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.models.oampnet import OampNet


def _system(nt, nr, const, batch, noise_var, seed):
    rng = np.random.default_rng(seed)
    c = nm.constellation(const)
    h = (rng.standard_normal((batch, nr, nt)) + 1j * rng.standard_normal((batch, nr, nt))) / np.sqrt(2)
    x = c.points[rng.integers(0, c.order, (batch, nt))]
    n = (rng.standard_normal((batch, nr)) + 1j * rng.standard_normal((batch, nr))) * np.sqrt(noise_var / 2)
    y = np.einsum("brt,bt->br", h, x) + n
    ri = lambda a: torch.from_numpy(np.stack([a.real, a.imag], -1))
    return y, h, ri(y), ri(h), torch.full((batch,), float(noise_var), dtype=torch.float64)


@pytest.mark.parametrize("const, nt, nr, nv, variant", [("qpsk", 4, 8, 0.3, "1"), ("qam16", 3, 6, 0.05, "2"),
                                                         ("bpsk", 4, 4, 0.5, "2")])
def test_initial_scalars_equal_the_oamp_detector(const, nt, nr, nv, variant):
    """γ = θ = φ = 1, ξ = 0: every layer is one OAMP iteration with the posterior-mean denoiser, so
    the estimate and the (exact) LLRs equal nm.detector('oamp', denoiser='posterior-mean')."""
    y, h, y_ri, h_ri, nv_t = _system(nt, nr, const, 64, nv, seed=4)
    net = OampNet(nt, nr, const, layers=6, variant=variant).double().eval()
    with torch.no_grad():
        llr, est = net(y_ri, h_ri, nv_t)
    ref = nm.detector("oamp", constellation=const, iterations=6, denoiser="posterior-mean")(y, h, nv_t.numpy())
    np.testing.assert_allclose(est[..., 0].numpy() + 1j * est[..., 1].numpy(), ref.estimate, atol=1e-8)
    np.testing.assert_allclose(np.clip(llr.numpy(), -100, 100), ref.llr, atol=1e-6, rtol=1e-8)


def test_learned_scalars_change_the_network():
    _, _, y_ri, h_ri, nv = _system(2, 4, "qpsk", 16, 1.0, seed=1)
    net = OampNet(2, 4, "qpsk", layers=3).double().eval()
    with torch.no_grad():
        a = net(y_ri, h_ri, nv)[1]
        net.layers[-1].gamma.fill_(0.3)         # the last layer feeds the output posterior directly
        b = net(y_ri, h_ri, nv)[1]
    assert float((a - b).abs().max()) > 1e-3
    assert len(list(OampNet(2, 4, "qpsk", variant="1").parameters())) == 2 * 10
    assert len(list(OampNet(2, 4, "qpsk", variant="2").parameters())) == 4 * 10


@pytest.mark.parametrize("kwargs, match", [(dict(variant="3"), "variant"), (dict(layers=0), "layers")])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OampNet(2, 4, "qpsk", **kwargs)


@pytest.mark.parametrize("variant", ["1", "2"])
def test_export_mode_equals_the_training_path(variant):
    """export_mode: the unrolled Cholesky (models/linalg.py) instead of torch.linalg's; the same
    outputs to float32 rounding, with scalars away from their initial values."""
    _, _, y_ri, h_ri, nv = _system(4, 8, "qam16", 256, 0.1, seed=7)
    y_ri, h_ri, nv = y_ri.float(), h_ri.float(), nv.float()
    net = OampNet(4, 8, "qam16", layers=5, variant=variant).eval()
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        est_initial = net(y_ri, h_ri, nv)[1]
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
        llr, est = net(y_ri, h_ri, nv)
        llr_x, est_x = net.export_mode(True)(y_ri, h_ri, nv)
        llr_back, _ = net.export_mode(False)(y_ri, h_ri, nv)
    assert float((est - est_initial).abs().max()) > 1e-2                # the scalars matter
    torch.testing.assert_close(est_x, est, rtol=2e-4, atol=2e-5)
    torch.testing.assert_close(llr_x, llr, rtol=2e-4, atol=2e-3)
    torch.testing.assert_close(llr_back, llr, rtol=0, atol=0)


def test_remimo_study_variants_are_valid_training_configs():
    """papers/oampnet_variants.py: every baseline is a valid override of oampnet_64_qam16.toml, with
    the RE-MIMO authors' SNR range for its Nt."""
    from neuralmimo.papers.common import training_config
    from neuralmimo.papers.oampnet_variants import VARIANTS, run_dir

    assert len(VARIANTS) == 8
    for name, overrides in VARIANTS.items():
        cfg = training_config("oampnet_64_qam16.toml", overrides, run_dir(name))
        nt = int(name.rsplit("_", 1)[1])
        assert cfg.data.nt == nt and cfg.data.nr == 64 and cfg.data.snr_convention == "remimo"
        assert cfg.stages[0].snr_db == (nt * 5 / 16 + 6, nt * 5 / 16 + 16)
        assert cfg.model["variant"] == ("1" if name.startswith("oampnet_") else "2")
        assert ("rho_min" in cfg.data.channel) == ("_iid_" not in name)
        assert cfg.train.out.endswith(f"remimo_64/{name}")


def test_tiny_training_lowers_the_loss(tmp_path):
    """The shared trainer moves the scalars off OAMP's values to a better validation NMSE: on a
    correlated 4x8 16QAM channel, where OAMP's Gaussian assumptions are off (the RE-MIMO study's
    correlated runs gain 1.5-2 dB), by more than 0.3 dB in 120 steps."""
    from conftest import tiny_training

    _, _, hist = tiny_training({
        "model": {"family": "oampnet", "layers": 4, "variant": "2"},
        "data": {"nt": 4, "nr": 8, "constellation": "qam16", "channel": "remimo:rho=0.7",
                 "snr_convention": "remimo", "batch": 256},
        "train": {"seed": 4, "loss": "bce", "steps_per_epoch": 40, "validation_vectors": 2000},
        "schedule": {"name": "fixed", "snr_db": [6, 12], "lr": 1e-2, "max_epochs": 3, "patience": 3},
    }, tmp_path)
    assert hist[-1]["best_val_nmse_db"] < hist[0]["val_nmse_db"] - 0.3, hist
