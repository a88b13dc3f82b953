# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""DetNet / WeSNet (models/wesnet.py): profiles, real pruning, the penalty and layer removal, the
learned profile, the loss (27), a tiny training run and the exported graph. The family contract
(shapes, config round trip, ONNX equal to torch at the defaults) is in test_family_contract.py."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.export.onnx_export import random_inputs
from neuralmimo.models.profiles import LearnedProfile, half_exp_profile, kept_units, linear_profile
from neuralmimo.models.wesnet import WeSNet
from neuralmimo.train.losses import detnet_loss


@pytest.fixture(autouse=True)
def _no_grad():
    with torch.no_grad():
        yield


def _shaken(model, seed=3):
    """Biases and weights moved off their initial values (zero biases hide indexing mistakes)."""
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def _inputs(model, batch=64, seed=0):
    return random_inputs(model.nt, model.nr, model.constellation, batch, seed)


def test_profiles_equal_the_papers_formulas():
    # eq. (23), N = 4: 1 − i/4
    np.testing.assert_allclose(linear_profile(4).numpy(), [0.75, 0.5, 0.25, 0.0])
    # eq. (24), N = 6: 1 up to N/2 = 3, then exp(3 − i − 1) = e⁻¹·e^{3−i}: e⁻², e⁻³, e⁻⁴
    np.testing.assert_allclose(half_exp_profile(6).numpy(), [1, 1, 1, math.exp(-2), math.exp(-3), math.exp(-4)])
    # odd N = 5: i ≤ 2.5 keeps two ones, then exp(2.5 − 3 − 1) = e^-1.5
    np.testing.assert_allclose(half_exp_profile(5).numpy()[1:3], [1.0, math.exp(-1.5)])
    assert [kept_units(p, 240) for p in (0.1, 0.2, 0.5, 1.0)] == [24, 48, 120, 240]
    assert kept_units(0.5, 7) == 4 and kept_units(0.01, 10) == 1


def test_learned_profile_starts_at_the_profile_and_stays_monotone():
    base = half_exp_profile(20).float()
    lp = LearnedProfile(base)
    # the first half starts within the softplus floor (1e-6 per step) of 1, the second half at eq. (24)
    np.testing.assert_allclose(lp().numpy(), base.numpy(), rtol=1e-4, atol=2e-5)
    lp.theta.copy_(torch.randn(20) * 3)       # any θ
    b = lp()
    assert bool((b[1:] <= b[:-1]).all()) and bool((b > 0).all()) and bool((b <= 1).all())


def test_pruned_network_equals_the_masked_one():
    """keep = p builds ⌈p·M⌉ hidden units; mask = true keeps M and zeroes the others. With the same
    weights on the kept units the two compute the same function (float32 sums of the same terms)."""
    kw = dict(layers=4, profile="linear", keep=0.4)
    masked = _shaken(WeSNet(3, 6, "bpsk", mask=True, **kw))
    pruned = WeSNet(3, 6, "bpsk", **kw).eval()
    u = pruned.units
    assert u == math.ceil(0.4 * 8 * 3) and masked.layers[0].lin1.out_features == 24
    for lm, lp in zip(masked.layers, pruned.layers):
        lp.lin1.weight.copy_(lm.lin1.weight[:u]); lp.lin1.bias.copy_(lm.lin1.bias[:u])
        lp.lin2.weight.copy_(lm.lin2.weight[:, :u]); lp.lin2.bias.copy_(lm.lin2.bias)
        lp.lin3.weight.copy_(lm.lin3.weight[:, :u]); lp.lin3.bias.copy_(lm.lin3.bias)
        lp.t.copy_(lm.t)
    args = _inputs(masked)
    for a, b in zip(masked(*args), pruned(*args)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    # the masked units are really gone from the exported form of the masked network
    masked.export_mode(True)
    assert all(c.hidden == u for c in masked._compact)
    for a, b in zip(masked(*args), pruned(*args)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_export_mode_drops_exactly_the_zero_columns():
    """prune_tol = 0: only columns that are exactly zero go. The linear profile's last coefficient is
    0 (β_N = 1 − N/N), so the input sublayer loses one input; zeroing the last two auxiliary rows of
    every W3 and the columns reading them removes two auxiliary units."""
    m = _shaken(WeSNet(2, 4, "qpsk", layers=3, profile="linear", keep=0.5, prune_tol=0.0))
    n, aux = m.n, m.aux
    for layer in m.layers:                     # the last two auxiliary units: nobody reads them
        layer.lin1.weight[:, 3 * n + aux - 2:] = 0
    args = _inputs(m)
    ref = m(*args)
    m.export_mode(True)
    assert m._aux_width == aux - 2
    assert all(c.reads["wa"] == aux - 2 and c.w3.shape[1] == aux - 2 for c in m._compact)
    for a, b in zip(ref, m(*args)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    # half-exponential at 100 % on 30x60: β_in (150 inputs) falls below 2⁻²⁴ after input 91, so the
    # auxiliary state (inputs 91..150) is never read and the auxiliary sublayer disappears
    hf = _shaken(WeSNet(30, 60, "bpsk", layers=2, profile="half_exp"))
    hf.export_mode(True)
    assert hf._aux_width == 0 and all(c.w3 is None for c in hf._compact)
    assert all(c.wa is None for c in hf._compact)


def test_penalty_and_layer_removal():
    m = _shaken(WeSNet(2, 4, "bpsk", layers=5, profile="linear", penalty=0.3, penalty_start=2))
    norms = m.layer_norms()
    l0 = m.layers[0]
    hand = ((l0.lin1.weight * m.beta_in).abs().sum() + l0.lin2.weight.abs().sum()
            + (l0.lin3.weight * m.beta_aux).abs().sum())
    torch.testing.assert_close(norms[0], hand)
    r = torch.arange(2, 6, dtype=norms.dtype)
    torch.testing.assert_close(m.penalty_term(), 0.3 * torch.log1p((r - 1) * norms[1:]).sum())
    # shrink layers 3 and 5: they are the two weakest from penalty_start = 2 on
    for i in (2, 4):
        for p in m.layers[i].parameters():
            p.mul_(0.01)
    m.apply_settings(remove_layers=2)
    assert m.removed_layers == [3, 5] and m.variant() == "R-WeSNet-L-100%-2L"
    # a removed layer passes the state through: removing layer 5 of 5 equals running 4 layers
    m.apply_settings(removed_layers=[5])
    args = _inputs(m)
    out = m(*args)
    m.apply_settings(removed_layers=[])
    m.active_layers = 4
    for a, b in zip(out, m(*args)):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="removed_layers"):
        m.apply_settings(removed_layers=[1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="remove_layers"):
        m.apply_settings(remove_layers=5)


def test_loss_is_eq_27():
    """Σ_r log(r)·‖x − x̂_r‖²/‖x − x̃‖², averaged over the batch, on a hand-made forward dict."""
    x = torch.tensor([[[1.0, 0.0], [-1.0, 0.0]]]).repeat(2, 1, 1)            # B = 2, Nt = 2 BPSK
    est = torch.stack([x + 0.1, x - 0.2, x + 0.3])                          # R = 3 layers
    zf = x + 0.5
    out = {"layer_estimates": est, "zf_estimate": zf}
    per = torch.tensor([0.1, 0.2, 0.3]) ** 2 * 4 / (0.25 * 4)               # ‖·‖² over 4 coordinates
    hand = (torch.log(torch.tensor([1.0, 2.0, 3.0])) * per).sum()
    torch.testing.assert_close(detnet_loss(out, x, None), hand)
    out["penalty"] = torch.tensor(0.7)
    torch.testing.assert_close(detnet_loss(out, x, None), hand + 0.7)


def test_onehot_llrs_are_the_marginals_of_the_pam_probabilities():
    """16QAM: the head's LLRs equal the log-ratio of summed symbol probabilities p_re·p_im (brute force)."""
    m = _shaken(WeSNet(2, 2, "qam16", layers=3))
    y, h, nv = _inputs(m, batch=8)
    _, _, s, p, _ = m._run(y, h, collect=False)
    llr, _ = m(y, h, nv)
    q = (p / p.sum(-1, keepdim=True)).double()
    c = nm.constellation("qam16")
    lv = m.levels.double().numpy()
    for b in range(8):
        for t in range(2):
            probs = np.array([q[b, t, int(np.argmin(abs(lv - pt.real)))] * q[b, 2 + t, int(np.argmin(abs(lv - pt.imag)))]
                              for pt in c.points])
            for k in range(4):
                one = probs[c.bits[:, k] == 1].sum()
                zero = probs[c.bits[:, k] == 0].sum()
                assert abs(float(llr[b, t, k]) - math.log(one / zero)) < 2e-4


def test_bpsk_sign_head_llr_is_the_posterior_of_the_soft_estimate():
    m = _shaken(WeSNet(3, 6, "bpsk", layers=3))
    args = _inputs(m)
    llr, est = m(*args)
    s = est[..., 0].clamp(-1 + 1e-6, 1 - 1e-6)
    torch.testing.assert_close(llr[..., 0], torch.log((1 - s) / (1 + s)))     # P(b=1) = P(x = −1) = (1 − s)/2
    assert float(est[..., 1].abs().max()) == 0.0


def test_scale_invariance():
    """Hᵀy and HᵀH are divided by ‖H_r‖²/n: scaling H and y together (the OFDM link's unnormalised
    channel estimates) changes nothing."""
    m = _shaken(WeSNet(2, 4, "qam16", layers=3))
    y, h, nv = _inputs(m)
    a = m(y, h, nv)
    b = m(y * 37.0, h * 37.0, nv * 37.0 ** 2)
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(head="sign"), "BPSK only"), (dict(profile="cubic"), "profile"), (dict(keep=0.0), "keep"),
    (dict(keep=1.5), "keep"), (dict(learned_profile=True), "learned_profile"), (dict(penalty=-1.0), "penalty"),
    (dict(layers=0), "layers"), (dict(removed_layers=[9]), "removed_layers"), (dict(residual=1.0), "residual"),
    (dict(prune_tol=2.0), "prune_tol"), (dict(penalty_start=99), "penalty_start")])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WeSNet(2, 4, "qpsk", **kwargs)


def test_tiny_training_lowers_the_loss_and_exports(tmp_path):
    """The shared trainer with loss (27) on 4x8 BPSK: validation NMSE falls, the checkpoint loads
    through nm.detector, and the CLI export (export mode: pruned) equals the torch module."""
    from conftest import tiny_training

    from neuralmimo.cli import export as export_cli

    model, final, hist = tiny_training({
        "model": {"family": "wesnet", "layers": 4, "profile": "half_exp", "keep": 0.5,
                  "learned_profile": True, "penalty": 0.01},
        "data": {"nt": 4, "nr": 8, "constellation": "bpsk", "channel": "rayleigh",
                 "snr_convention": "detnet", "batch": 128},
        "train": {"seed": 2, "loss": "detnet", "steps_per_epoch": 50, "validation_vectors": 500},
        "schedule": {"name": "fixed", "snr_db": [4, 10], "lr": 1e-2, "max_epochs": 4, "patience": 4},
    }, tmp_path)
    assert hist[-1]["best_val_nmse_db"] < hist[0]["val_nmse_db"] - 3.0, hist
    det = nm.detector(str(final), constellation="bpsk")
    y, h, nv = _inputs(model, batch=16)
    yc, hc = torch.view_as_complex(y.contiguous()), torch.view_as_complex(h.contiguous())
    torch.testing.assert_close(det(yc, hc, nv).llr, model(y, h, nv)[0].clamp(-100, 100))
    onnx_path = tmp_path / "w.onnx"
    assert export_cli.main([str(final), "--out", str(onnx_path), "--setting", "remove_layers=1"]) == 0
    import json
    manifest = json.loads(onnx_path.with_suffix(".json").read_text())
    assert manifest["variant"] == "R-L-WeSNet-HF-50%-1L" and len(manifest["removed_layers"]) == 1
    assert manifest["config"]["removed_layers"] == manifest["removed_layers"]
    model.apply_settings(remove_layers=1)
    model.export_mode(True)
    onnx_det = nm.detector(str(onnx_path))
    np.testing.assert_allclose(onnx_det(yc.numpy(), hc.numpy(), nv.numpy()).llr,
                               model(y, h, nv)[0].numpy(), atol=1e-3, rtol=1e-4)



@pytest.mark.parametrize("model", ["detnet_bpsk_30x60", "wesnet_l50_bpsk_30x60"])
def test_shipped_30x60_models_beat_widely_linear_lmmse(model):
    """30x60 BPSK at 7 dB (detnet convention), 3000 vectors (90,000 bits): widely-linear LMMSE, the
    best linear detector for real symbols, makes BER ≈ 3.2e-3 (≈ 290 errors); the shipped DetNet
    and WeSNet-L-50 % ≈ 1.8e-3 (≈ 160; docs/results.md, "WeSNet"). Bound: 0.8 × WL-LMMSE's count,
    about 3.5 standard deviations above the models' expected count."""
    from neuralmimo.paths import source_dir
    from neuralmimo.phy.channels import make_channel
    from neuralmimo.phy.snr import noise_var_from_snr

    g = torch.Generator().manual_seed(8)
    nt, nr, b = 30, 60, 3000
    h = make_channel("rayleigh", nr, nt).sample(b, generator=g)
    bits = torch.randint(0, 2, (b, nt), generator=g)
    x = (1 - 2 * bits).to(torch.complex64)
    nv = noise_var_from_snr(torch.full((b,), 7.0), nt, nr, "detnet", H=h).float()
    n = torch.complex(torch.randn(b, nr, generator=g), torch.randn(b, nr, generator=g)) * (nv / 2).sqrt().unsqueeze(-1)
    y = (h * x.unsqueeze(-2)).sum(-1) + n
    errors = {}
    for name in ("wl-lmmse", str(source_dir() / "models" / f"{model}.onnx")):
        out = nm.detector(name, constellation="bpsk")(y.numpy(), h.numpy(), nv.numpy())
        errors[name] = int(((out.llr[..., 0] > 0) != bits.numpy().astype(bool)).sum())
    wl, det = errors.pop("wl-lmmse"), errors.popitem()[1]
    assert wl > 200, wl
    assert det < 0.8 * wl, (det, wl)
