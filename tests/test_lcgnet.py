# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LcgNet: the recursion, its exact post-detection variance, quantised steps, export."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.models.lcgnet import LcgNet, SoftStaircase, hard_staircase, levels_for_bits
from neuralmimo.phy.demap import LLR_LIMIT
from neuralmimo.paths import source_dir


@pytest.fixture(autouse=True)
def _no_grad():
    """These tests check values, not training: no autograd graphs."""
    with torch.no_grad():
        yield


def _system(nt, nr, const, batch, noise_var, seed, dtype=torch.complex128):
    g = torch.Generator().manual_seed(seed)
    c = nm.constellation(const)
    h = torch.complex(torch.randn(batch, nr, nt, generator=g, dtype=torch.float64),
                      torch.randn(batch, nr, nt, generator=g, dtype=torch.float64)).to(dtype) / 2 ** 0.5
    idx = torch.randint(0, c.order, (batch, nt), generator=g)
    x = torch.as_tensor(c.points.copy()).to(dtype)[idx]
    n = torch.complex(torch.randn(batch, nr, generator=g, dtype=torch.float64),
                      torch.randn(batch, nr, generator=g, dtype=torch.float64)).to(dtype) * (noise_var / 2) ** 0.5
    y = (h @ x.unsqueeze(-1)).squeeze(-1) + n
    return y, h, x, torch.full((batch,), float(noise_var), dtype=torch.float64)


def _ri(t):
    return torch.view_as_real(t.contiguous())


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
def test_richardson_steps_converge_to_lmmse_estimate_and_llrs(const):
    """β = 0, α = ω: s_L = ω Σ (I − ωA)^k b → A⁻¹b, the LMMSE estimate; the exact linear post-detection
    variance then equals the LMMSE one, so the LLRs must match nm.detector('lmmse') too."""
    nt, nr, layers = 4, 16, 300
    net = LcgNet(nt, nr, const, layers=layers, variant="S").double()
    net.set_steps(np.full((layers, 1), 0.05), np.zeros((layers, 1)))
    y, h, _, nv = _system(nt, nr, const, 64, 0.5, seed=1)
    llr, est = net(_ri(y), _ri(h), nv)
    ref = nm.detector("lmmse", constellation=const)(y, h, nv)
    np.testing.assert_allclose(torch.view_as_complex(est.contiguous()).numpy(), ref.estimate.numpy(), atol=1e-9)
    # The detector API clips LLRs at ±LLR_LIMIT (the module's forward does not: the exporter does).
    np.testing.assert_allclose(llr.clamp(-LLR_LIMIT, LLR_LIMIT).numpy(), ref.llr.numpy(), atol=1e-7, rtol=1e-9)


def test_scalar_variant_equals_vector_variant_with_repeated_steps():
    nt, nr, layers = 3, 6, 5
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.05, 0.4, (layers, 1)), rng.uniform(0.0, 0.6, (layers, 1))
    s = LcgNet(nt, nr, "qam16", layers=layers, variant="S").double()
    v = LcgNet(nt, nr, "qam16", layers=layers, variant="V").double()
    s.set_steps(a, b)
    v.set_steps(np.repeat(a, 2 * nt, 1), np.repeat(b, 2 * nt, 1))
    y, h, _, nv = _system(nt, nr, "qam16", 32, 0.3, seed=2)
    for p, q in zip(s(_ri(y), _ri(h), nv), v(_ri(y), _ri(h), nv)):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12)


def test_active_layers_equal_a_shorter_network():
    nt, nr = 4, 8
    rng = np.random.default_rng(4)
    a, b = rng.uniform(0.05, 0.4, (6, 2 * nt)), rng.uniform(0.0, 0.5, (6, 2 * nt))
    long = LcgNet(nt, nr, "qpsk", layers=6).double()
    long.set_steps(a, b)
    long.active_layers = 3
    short = LcgNet(nt, nr, "qpsk", layers=3).double()
    short.set_steps(a[:3], b[:3])
    y, h, _, nv = _system(nt, nr, "qpsk", 16, 0.2, seed=5)
    torch.testing.assert_close(long(_ri(y), _ri(h), nv), short(_ri(y), _ri(h), nv), rtol=0, atol=1e-12)
    assert long.steps_dict()["layers"] == 3 and len(long.steps_dict()["alpha"]) == 3


@pytest.mark.parametrize("const", ["bpsk", "qam16"])
def test_post_detection_variance_matches_monte_carlo(const):
    """Fixed H and σ², random symbols and noise: mean of z_k is x_k and the variance of z_k − x_k is ν_k,
    for arbitrary (non-converged) steps. 40,000 draws: the relative standard error of a variance is
    sqrt(2/40000) = 0.7 %, so 5 % is > 7σ; the bias bound is 5σ of the mean."""
    nt, nr, layers, draws = 4, 8, 3, 40_000
    rng = np.random.default_rng(6)
    net = LcgNet(nt, nr, const, layers=layers).double()
    net.set_steps(rng.uniform(0.1, 0.35, (layers, 2 * nt)), rng.uniform(0.0, 0.5, (layers, 2 * nt)))
    _, h1, _, _ = _system(nt, nr, const, 1, 0.0, seed=7)
    h = h1.expand(draws, nr, nt).contiguous()
    # Symbols and noise of `draws` systems; only their H is replaced by the fixed one.
    y_other, h_other, x, nv = _system(nt, nr, const, draws, 0.4, seed=8)
    noise = y_other - (h_other @ x.unsqueeze(-1)).squeeze(-1)
    y = (h @ x.unsqueeze(-1)).squeeze(-1) + noise
    a, b, gram = net._system(_ri(y), _ri(h), nv)
    alpha, beta = net.step_sizes()
    s = net._recursion(a, b, alpha, beta)
    mu, nu = net.post_detection(net.linear_map(a[:1], alpha, beta), gram[:1], nv[:1])
    x_r = torch.cat([x.real, x.imag], dim=-1)
    err = s / mu - x_r
    coords = range(nt) if const == "bpsk" else range(2 * nt)   # BPSK: the imaginary half carries no bits
    for k in coords:
        var = float(err[:, k].var())
        assert abs(var / float(nu[0, k]) - 1) < 0.05, (k, var, float(nu[0, k]))
        assert abs(float(err[:, k].mean())) < 5 * (var / draws) ** 0.5


def test_levels_for_bits_and_step_memory_match_the_paper():
    assert levels_for_bits(3) == 3 and levels_for_bits(4) == 7          # 7 and 15 levels (C22: 15 stairs)
    net = LcgNet(32, 64, "bpsk", layers=15, variant="V")
    assert net.step_memory_bits(32) == 61440                            # C17 / C21
    assert net.step_memory_bits(3) == 5760                              # C21
    assert LcgNet(32, 64, "bpsk", layers=15, variant="S").step_memory_bits(32) == 2 * 15 * 32


def test_soft_staircase_tends_to_the_hard_quantiser():
    x = torch.linspace(-3.1, 3.1, 997, dtype=torch.float64)
    q = SoftStaircase(levels=3, step=0.5).double()
    hard = hard_staircase(x, 3, 0.5)
    # Away from the thresholds (±G/2, ±3G/2, ±5G/2) the annealed soft quantiser equals the staircase.
    v = x.abs() / 0.5 - 0.5
    far = (v - torch.round(v)).abs() > 0.02                            # 0.01 from any threshold
    q.sigma = 2000.0
    torch.testing.assert_close(q(x)[far], hard[far], rtol=0, atol=1e-9)
    torch.testing.assert_close(q(x, hard=True)[far], hard[far], rtol=0, atol=0)
    assert set(hard.tolist()) == {g * 0.5 for g in range(-3, 4)}


def test_quantised_model_uses_at_most_2l_plus_1_values_exactly():
    nt, nr, layers = 4, 8, 4
    rng = np.random.default_rng(9)
    net = LcgNet(nt, nr, "qpsk", layers=layers, quant_bits=3, quantizer="soft", quant_step=0.1).double()
    net.set_steps(rng.uniform(0.0, 0.35, (layers, 2 * nt)), rng.uniform(-0.1, 0.4, (layers, 2 * nt)))
    net.export_mode(True)
    steps = net.steps_dict()
    values = np.unique(np.concatenate([np.ravel(steps["alpha"]), np.ravel(steps["beta"])]))
    assert len(values) <= 7 and steps["quantization"]["bits"] == 3
    plain = LcgNet(nt, nr, "qpsk", layers=layers).double()
    plain.set_steps(np.array(steps["alpha"]), np.array(steps["beta"]))
    y, h, _, nv = _system(nt, nr, "qpsk", 16, 0.2, seed=10)
    torch.testing.assert_close(net(_ri(y), _ri(h), nv), plain(_ri(y), _ri(h), nv), rtol=0, atol=1e-12)


def test_layer_parameter_groups():
    net = LcgNet(4, 8, "qpsk", layers=5)
    net.active_layers = 3
    assert [p is q for p, q in zip(net.parameter_group("last"), (net.alphas[2], net.betas[2]))] == [True, True]
    assert len(net.parameter_group("all")) == 6
    with pytest.raises(ValueError, match="quantizer"):
        net.parameter_group("quantizer")


@pytest.mark.parametrize("kwargs, match", [
    ({"variant": "X"}, "variant"), ({"nt": 9}, "Nt"), ({"layers": 0}, "layers"),
    ({"quantizer": "soft"}, "quant_bits"), ({"quantizer": "fuzzy", "quant_bits": 3}, "quantizer"),
    ({"quant_bits": 1, "quantizer": "hard"}, "bits"),
])
def test_bad_arguments_raise(kwargs, match):
    args = {"nt": 4, "nr": 8, "constellation": "qpsk", **kwargs}
    with pytest.raises(ValueError, match=match):
        LcgNet(**args)


def test_bad_settings_and_steps_raise():
    net = LcgNet(4, 8, "qpsk", layers=2)
    with pytest.raises(ValueError, match="unknown"):
        net.apply_settings(colour="blue")
    with pytest.raises(ValueError, match="quant_bits"):
        net.apply_settings(quant_sigma=10.0)
    with pytest.raises(ValueError, match="shape"):
        net.set_steps(np.zeros((3, 8)), np.zeros((3, 8)))
    with pytest.raises(ValueError, match="finite"):
        net.set_steps(np.full((2, 8), np.nan), np.zeros((2, 8)))


def test_trained_checkpoint_is_a_detector(tmp_path):
    """Train a tiny LcgNetV for a few steps with the shared trainer; nm.detector(final.pt) gives the
    module's own outputs, and the configured learning moved NMSE below the zero-step start."""
    from neuralmimo.train import Trainer, config_from_dict
    from neuralmimo.train.checkpoint import model_from_checkpoint

    cfg = config_from_dict({
        "model": {"family": "lcgnet", "variant": "V", "layers": 2},
        "data": {"nt": 4, "nr": 8, "constellation": "qpsk", "channel": "rayleigh", "snr_convention": "rx",
                 "batch": 128},
        "train": {"seed": 3, "steps_per_epoch": 20, "validation_vectors": 500},
        "schedule": {"name": "layerwise", "snr_curriculum_db": [[10, 20]], "lr_last": 0.05, "lr_all": 0.02,
                     "max_epochs": 2},
    })
    with torch.enable_grad():
        result = Trainer(cfg, out_dir=tmp_path, quiet=True).fit()
    model, ckpt = model_from_checkpoint(result.final)
    first = [r for r in ckpt["history"] if r["epoch"] == 0][0]["val_nmse_db"]
    assert ckpt["history"][-1]["best_val_nmse_db"] < first - 3.0      # zero steps give 0 dB
    det = nm.detector(str(result.final), constellation="qpsk")
    y, h, _, nv = _system(4, 8, "qpsk", 32, 0.3, seed=13, dtype=torch.complex64)
    out = det(y, h, nv.float())
    llr, est = model(_ri(y), _ri(h), nv.float())
    torch.testing.assert_close(out.llr, llr)


SHIPPED = {"lcgnetv_bpsk_32x64": "lcgnetv_32x64_bpsk", "lcgnetv_qam16_4x4": "lcgnetv_4x4_qam16",
           "lcgnetv_qam16_8x8": "lcgnetv_8x8_qam16"}
MODELS = source_dir() / "models"


@pytest.mark.parametrize("model, config", sorted(SHIPPED.items()))
def test_shipped_models_come_from_their_configs(model, config):
    import json

    from neuralmimo.train import CONFIG_DIR, load_config

    manifest = json.loads((MODELS / f"{model}.json").read_text())
    cfg = load_config(CONFIG_DIR / f"{config}.toml")
    assert manifest["training_config_hash"] == cfg.hash
    assert manifest["family"] == "lcgnet" and manifest["snr_convention"] == cfg.data.snr_convention
    assert (manifest["nt"], manifest["nr"], manifest["constellation"]) == (cfg.data.nt, cfg.data.nr,
                                                                         cfg.data.constellation)
    assert manifest["steps"]["layers"] == cfg.model["layers"] == len(manifest["steps"]["alpha"])


def test_shipped_bpsk_model_beats_complex_lmmse():
    """32x64 BPSK at 2 dB (lcgnet convention), 4000 vectors: LMMSE makes ~3e-3 bit errors (~400),
    the shipped LcgNetV, which learns that BPSK is real, fewer than half as many (measured with this
    seed: LMMSE 406, LcgNetV 133, widely-linear LMMSE 137)."""
    from neuralmimo.phy.channels import make_channel
    from neuralmimo.phy.snr import noise_var_from_snr

    g = torch.Generator().manual_seed(21)
    nt, nr, b = 32, 64, 4000
    h = make_channel("rayleigh:var=1/nt", nr, nt).sample(b, generator=g)
    bits = torch.randint(0, 2, (b, nt), generator=g)
    x = (1 - 2 * bits).to(torch.complex64)
    nv = float(noise_var_from_snr(2.0, nt, nr, "lcgnet"))
    n = torch.complex(torch.randn(b, nr, generator=g), torch.randn(b, nr, generator=g)) * (nv / 2) ** 0.5
    y = (h * x.unsqueeze(-2)).sum(-1) + n
    errors = {}
    for name in ("lmmse", str(MODELS / "lcgnetv_bpsk_32x64.onnx")):
        det = nm.detector(name, constellation="bpsk")
        out = det(y.numpy(), h.numpy(), np.full(b, nv, np.float32))
        errors[name] = int(((out.llr[..., 0] > 0) != bits.numpy().astype(bool)).sum())
    lmmse, lcg = errors["lmmse"], errors[str(MODELS / "lcgnetv_bpsk_32x64.onnx")]
    assert lmmse > 150, errors
    assert lcg < 0.5 * lmmse, errors


def test_exported_quantised_model_holds_the_staircase_values(tmp_path):
    """A soft-quantised checkpoint exported through the CLI: the ONNX graph computes with the σ → ∞
    staircase (≤ 7 values at 3 bits), i.e. the same outputs as a plain LcgNet given the manifest's steps."""
    import json

    from neuralmimo.cli import export as export_cli
    from neuralmimo.train.checkpoint import save_checkpoint

    nt, nr, layers = 4, 8, 3
    rng = np.random.default_rng(14)
    net = LcgNet(nt, nr, "qpsk", layers=layers, quant_bits=3, quantizer="soft", quant_step=0.12)
    net.set_steps(rng.uniform(0.0, 0.35, (layers, 2 * nt)), rng.uniform(-0.1, 0.4, (layers, 2 * nt)))
    net.apply_settings(quant_sigma=10.0)          # a soft staircase far from the hard one
    ckpt = tmp_path / "q.pt"
    save_checkpoint(ckpt, {"model_config": net.config(), "state_dict": net.state_dict(),
                           "active_layers": layers, "settings": {"quant_sigma": 10.0}, "finished": True,
                           "stage_index": 0, "epoch": 1, "history": [], "config_hash": "test",
                           "training_snr_db": [[0, 10]], "snr_convention": "rx", "channel": "rayleigh",
                           "config": {}})
    out = tmp_path / "q.onnx"
    assert export_cli.main([str(ckpt), "--out", str(out)]) == 0
    steps = json.loads(out.with_suffix(".json").read_text())["steps"]
    values = np.unique(np.concatenate([np.ravel(steps["alpha"]), np.ravel(steps["beta"])]))
    assert len(values) <= 7
    plain = LcgNet(nt, nr, "qpsk", layers=layers)
    plain.set_steps(np.array(steps["alpha"]), np.array(steps["beta"]))
    y, h, _, nv = _system(nt, nr, "qpsk", 64, 0.3, seed=15, dtype=torch.complex64)
    got = nm.detector(str(out))(y.numpy(), h.numpy(), nv.numpy().astype(np.float32))
    _, est = plain(_ri(y), _ri(h), nv.float())
    np.testing.assert_allclose(got.estimate, torch.view_as_complex(est.contiguous()).numpy(), atol=1e-5, rtol=2e-5)
    soft = LcgNet(nt, nr, "qpsk", layers=layers, quant_bits=3, quantizer="soft", quant_step=0.12)
    soft.load_state_dict(net.state_dict())
    soft.apply_settings(quant_sigma=10.0)
    _, est_soft = soft(_ri(y), _ri(h), nv.float())
    assert np.abs(got.estimate - torch.view_as_complex(est_soft.contiguous()).numpy()).max() > 1e-3
