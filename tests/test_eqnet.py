# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net (models/eqnet.py): its pieces against closed forms and loops, the loss (15), the k-means++
codebooks, a tiny two-stage training run, and the codec export (ONNX against torch, codebooks in
the manifest)."""
import json

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.models.eqnet import Branches, EqNet, kmeans_pp_1d
from neuralmimo.phy.demap import LLR_LIMIT, bit_llr, bit_masks, candidate_weights, llr_from_weights
from neuralmimo.train.losses import eqnet_loss


def small(**kw):
    torch.manual_seed(0)
    args = dict(ae_width=16, ae_layers=2, est_width=16, est_layers=2, codebook_bits=(2, 3), codebook_samples=3000)
    args.update(kw)
    return EqNet(2, 2, "qpsk", **args)


def test_branches_equal_one_mlp_per_branch():
    """The batched weights [G, in, out] compute G independent MLPs: branch g by hand, layer by layer."""
    torch.manual_seed(1)
    br = Branches(5, 3, 7, 2)
    z = torch.randn(11, 3)
    out = br(z)
    assert out.shape == (11, 5)
    for g in range(5):
        a = z
        for i, (w, b) in enumerate(zip(br.weights, br.biases)):
            a = a @ w[g] + b[g, 0]
            a = torch.tanh(a) if i == len(br.weights) - 1 else torch.relu(a)
        torch.testing.assert_close(out[:, g], a[:, 0])


def test_distortion_loss_is_eq_15():
    """Σ_{i,k} (Λ̃ − Λ)² / (|Λ| + 1e-3), averaged over the batch, on numbers worked by hand."""
    ref = torch.tensor([[[1.0, -0.5]], [[0.0, 0.25]]])
    soft = torch.tensor([[[0.5, -0.5]], [[0.1, -0.25]]])
    want = ((0.25 / 1.001 + 0.0) + (0.01 / 0.001 + 0.25 / 0.251)) / 2
    got = eqnet_loss({"softbits": soft, "softbits_ref": ref}, None, None)
    assert got.item() == pytest.approx(want, rel=1e-6)
    l1 = eqnet_loss({"softbits": soft, "softbits_ref": ref, "latent": torch.tensor([[0.5, -1.0]]),
                     "latent_ref": torch.tensor([[0.0, 0.0]])}, None, None)
    assert l1.item() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="softbits"):
        eqnet_loss({"llr": soft}, None, None)


def candidate_llr(metric, one):
    return llr_from_weights(candidate_weights(metric), bit_masks(one))


def test_candidate_llr_equals_the_log_sum_exp_form():
    """The matrix-product LLRs equal bit_llr's log-sum-exp ones, and huge metric gaps give ±LLR_LIMIT."""
    gen = torch.Generator().manual_seed(2)
    metric = torch.rand(40, 64, generator=gen, dtype=torch.float64) * 30
    one = (torch.rand(64, 6, generator=gen) > 0.5).double()
    one[0], one[1] = 0.0, 1.0                      # every bit has candidates of both values
    ref = bit_llr(metric.unsqueeze(1), one.T, -1, "app")
    torch.testing.assert_close(candidate_llr(metric, one), ref, rtol=1e-9, atol=1e-9)
    metric[:, 1:] += 5000.0                        # candidate 0 (all bits 0) certain beyond float64's exp range
    assert torch.all(candidate_llr(metric, one) == -LLR_LIMIT)


def test_kmeans_finds_separated_clusters_and_uniform_cells():
    rng = np.random.default_rng(3)
    centres = np.array([-0.8, -0.1, 0.3, 0.9])
    v = np.concatenate([c + 0.01 * rng.standard_normal(5000) for c in centres])
    got = kmeans_pp_1d(v, 4, np.random.default_rng(4))
    np.testing.assert_allclose(got, centres, atol=1e-3)
    # Uniform on [0, 1): Lloyd's fixed point has equal cells, centres (i + ½)/L; sampling error
    # of each centre ~ (1/L)/√(12·S/L) ≈ 4e-4 here.
    u = rng.random(200_000)
    got = kmeans_pp_1d(u, 8, np.random.default_rng(5), iterations=500)
    np.testing.assert_allclose(got, (np.arange(8) + 0.5) / 8, atol=6e-3)
    with pytest.raises(ValueError, match="cannot fit"):
        kmeans_pp_1d(u[:3], 8, np.random.default_rng(0))


def test_soft_estimate_of_certain_bits_is_their_point_and_reference_is_ml():
    m = small()
    const = nm.constellation("qpsk")
    soft = torch.as_tensor(2.0 * const.bits[[0, 3]].astype(np.float32) - 1.0).reshape(1, 2, 2)
    est = m.soft_estimate(soft)[0]
    pts = const.points[[0, 3]]
    np.testing.assert_allclose(est[:, 0].numpy() + 1j * est[:, 1].numpy(), pts, atol=1e-5)
    from neuralmimo.export.onnx_export import random_inputs
    y, h, nv = random_inputs(2, 2, nm.constellation("qpsk"), 8, 6)
    ref = m.reference_softbits(y, h, nv)
    ml = nm.detector("ml", constellation="qpsk")(torch.complex(y[..., 0], y[..., 1]),
                                                 torch.complex(h[..., 0], h[..., 1]), nv).llr
    torch.testing.assert_close(ref, torch.tanh(ml / 2))


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="model.source"):
        small(source="nope")
    with pytest.raises(ValueError, match="codebook_bits"):
        small(codebook_bits=(3, 3))
    with pytest.raises(ValueError, match="settings.stage"):
        small().apply_settings(stage="other")
    with pytest.raises(ValueError, match="not fitted"):
        small().codebook(2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two stages of 40 steps each on 2x2 QPSK (tiny widths), codebooks of 2 and 3 bits fitted."""
    from neuralmimo.train import Trainer
    from neuralmimo.train.config import config_from_dict

    out = tmp_path_factory.mktemp("eqnet")
    stage = lambda s, g: {"name": s, "snr_db": [4, 12], "group": g, "settings": {"stage": s}, "lr": 3e-3,
                          "max_epochs": 2, "patience": 2}
    cfg = config_from_dict({
        "model": {"family": "eqnet", "ae_width": 16, "ae_layers": 2, "est_width": 32, "est_layers": 2,
                  "codebook_bits": [2, 3], "codebook_samples": 3000},
        "data": {"nt": 2, "nr": 2, "constellation": "qpsk", "channel": "rayleigh", "snr_convention": "eqnet",
                 "batch": 256},
        "train": {"seed": 3, "loss": "eqnet", "steps_per_epoch": 20, "validation_vectors": 1000, "out": str(out)},
        "schedule": {"name": "stages", "stages": [stage("autoencoder", "quantizer"),
                                                  stage("estimation", "estimator")]}})
    return Trainer(cfg, quiet=True).fit(), out, cfg


def test_tiny_training_lowers_both_stage_losses(trained):
    """Each stage's loss on a fixed batch, with that stage's networks at their initial weights
    (the trainer seeds torch with train.seed before building the model) and as trained."""
    from neuralmimo.models.checkpoint import model_from_checkpoint
    from neuralmimo.train.data import DataSource

    result = trained[0]
    assert result.finished
    final, _ = model_from_checkpoint(result.final)
    torch.manual_seed(3)
    init = result_config(trained).build_model()
    b = DataSource(result_config(trained).data).sample(2000, (4, 12), torch.Generator().manual_seed(11))
    # 40 steps: measured 3.80 -> 2.02 (autoencoder) and 0.39 -> 0.29 (estimation).
    for stage, nets, factor in (("autoencoder", ("f_q", "g_q"), 0.7), ("estimation", ("f_e",), 0.85)):
        untrained, _ = model_from_checkpoint(result.final)
        for net in nets:
            getattr(untrained, net).load_state_dict(getattr(init, net).state_dict())
        losses = []
        for m in (untrained, final):
            m.eval()
            m.apply_settings(stage=stage)
            with torch.no_grad():
                losses.append(eqnet_loss(m.forward_train(b.y, b.h, b.noise_var), b.x, b.bits).item())
        assert losses[1] < factor * losses[0], (stage, losses)


def test_pool_stores_the_exact_soft_bits_once_and_training_on_it_lowers_the_loss(tmp_path):
    """With data.pool the trainer computes the teacher (exact-ML soft bits) once per pool vector;
    forward_train with the stored targets equals forward_train computing them; one epoch on the
    pool lowers the autoencoder loss on fresh data."""
    from neuralmimo.train import Trainer
    from neuralmimo.train.config import config_from_dict
    from neuralmimo.train.data import DataSource
    from neuralmimo.models.checkpoint import model_from_checkpoint
    from neuralmimo.train.stored import forward

    cfg = config_from_dict({
        "model": {"family": "eqnet", "ae_width": 16, "ae_layers": 2, "est_width": 16, "est_layers": 2,
                  "codebook_bits": [2], "codebook_samples": 1000},
        "data": {"nt": 2, "nr": 2, "constellation": "qpsk", "channel": "rayleigh", "snr_convention": "eqnet",
                 "batch": 128, "pool": 1000},
        "train": {"seed": 4, "loss": "eqnet", "steps_per_epoch": 30, "validation_vectors": 500,
                  "out": str(tmp_path / "run")},
        "schedule": {"name": "stages", "stages": [{"name": "autoencoder", "snr_db": [4, 12], "group": "quantizer",
                                                   "settings": {"stage": "autoencoder"}, "lr": 3e-3,
                                                   "max_epochs": 1, "patience": 1}]}})
    trainer = Trainer(cfg, quiet=True)
    torch.manual_seed(4)
    model = cfg.build_model()
    model.apply_settings(stage="autoencoder")
    model.eval()

    class Ctx:
        device, is_main = torch.device("cpu"), True

    pool = trainer.stored.pool(DataSource(cfg.data), (4, 12), Ctx, model)
    assert len(pool) == 1000 and pool.teacher.shape == (1000, 2, 2)
    torch.testing.assert_close(pool.teacher, model.reference_softbits(pool.y, pool.h, pool.noise_var))
    b = pool[:64]
    with torch.no_grad():
        stored, computed = forward(model.forward_train, b), model.forward_train(b.y, b.h, b.noise_var)
    torch.testing.assert_close(stored["softbits"], computed["softbits"])
    fresh = DataSource(cfg.data).sample(2000, (4, 12), torch.Generator().manual_seed(9))
    with torch.no_grad():
        before = eqnet_loss(model.forward_train(fresh.y, fresh.h, fresh.noise_var), fresh.x, fresh.bits).item()
    final, _ = model_from_checkpoint(trainer.fit().final)
    final.apply_settings(stage="autoencoder")
    final.eval()
    with torch.no_grad():
        after = eqnet_loss(final.forward_train(fresh.y, fresh.h, fresh.noise_var), fresh.x, fresh.bits).item()
    assert after < 0.8 * before, (before, after)


def result_config(trained):
    return trained[2]


def test_codec_export_matches_torch_and_carries_the_codebooks(trained, tmp_path):
    """The three graphs equal the module on fresh inputs; the manifest's quantisers are the fitted
    codebooks (strictly increasing levels, midpoint thresholds) and load as phy.quantizer's."""
    import onnxruntime as ort

    from neuralmimo.export.codec import codec_paths
    from neuralmimo.export.onnx_export import export_detector, random_inputs
    from neuralmimo.manifest import read_manifest
    from neuralmimo.models.checkpoint import model_from_checkpoint
    from neuralmimo.phy.quantizer import ScalarQuantizer

    result = trained[0]
    model, _ = model_from_checkpoint(result.final)
    model.eval()
    path = tmp_path / "eq.onnx"
    manifest = export_detector(model, path)
    assert read_manifest(path)["codec"]["latent"] == 6
    enc, dec = codec_paths(path)
    gen = torch.Generator().manual_seed(9)
    llr = 8 * torch.randn(64, 2, 2, generator=gen)
    z = ort.InferenceSession(str(enc), providers=["CPUExecutionProvider"]).run(["latent"], {"llr": llr.numpy()})[0]
    with torch.no_grad():
        z_ref = model.encode_softbits(torch.tanh(llr / 2))
        out_ref = model.decode_latent(z_ref)
    np.testing.assert_allclose(z, z_ref.numpy(), atol=1e-5)
    out = ort.InferenceSession(str(dec), providers=["CPUExecutionProvider"]).run(["llr"], {"latent": z})[0]
    np.testing.assert_allclose(out, out_ref.numpy(), atol=1e-3, rtol=1e-3)
    y, h, nv = random_inputs(2, 2, nm.constellation("qpsk"), 32, 10)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        ["llr"], {"y": y.numpy(), "h": h.numpy(), "noise_var": nv.numpy()})[0]
    with torch.no_grad():
        want = model(y, h, nv)[0]
    np.testing.assert_allclose(got, want.numpy(), atol=1e-3, rtol=1e-3)
    on_disk = json.loads(path.with_suffix(".json").read_text())
    for bits in (2, 3):
        q = ScalarQuantizer.from_manifest(path.with_suffix(".json"), key=f"quantizer_{bits}")
        book = model.codebook(bits)
        np.testing.assert_array_equal(q.levels, book)
        np.testing.assert_allclose(q.thresholds, 0.5 * (book[:, 1:] + book[:, :-1]), rtol=1e-6)
        assert on_disk[f"quantizer_{bits}"]["input"] == "latent"
    assert manifest["quantizer"]["bits"] == 3
