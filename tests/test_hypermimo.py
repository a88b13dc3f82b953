# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""HyperMIMO and MMNet (models/hypermimo.py, models/mmnet.py) and the split path
(export/split.py, detectors/onnx_split.py). The ONNX export of both families against torch is in
test_family_contract.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import neuralmimo as nm
from neuralmimo.models import HyperMimo
from neuralmimo.models.hypermimo import unique_qr
from neuralmimo.models.mmnet import OnlineMmNet
from neuralmimo.paths import model_path
from neuralmimo.phy.channels import make_channel

SHIPPED = Path(model_path("hypermimo_qpsk_12x6.onnx"))
LINK = Path(model_path("hypermimo_qam16_2x4.onnx"))


def numpy_unique_qr(h):
    """numpy's QR with the signs moved so that R's diagonal is real positive (the unique QR)."""
    q, r = np.linalg.qr(h)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    ph = d / np.abs(d)
    return q * ph[..., None, :], r / ph[..., :, None]


def ls_channels(batch, seed=0, spread=10):
    """12x6 local scattering channels (σφ = 10°: the paper's highly correlated case)."""
    ch = make_channel(f"ls:spread={spread},gain=1/nt,seed={seed}", 12, 6)
    return ch.sample(batch, generator=torch.Generator().manual_seed(seed + 1)).numpy()


@pytest.mark.parametrize("source", ["rayleigh", "local_scattering"])
def test_unique_qr_equals_numpy(source):
    """The Gram–Schmidt QR in torch (float32) equals numpy's (float64) after sign normalisation,
    with R's diagonal real and positive, on i.i.d. and on highly correlated channels."""
    rng = np.random.default_rng(3)
    h = (rng.standard_normal((64, 12, 6)) + 1j * rng.standard_normal((64, 12, 6))) / np.sqrt(2) \
        if source == "rayleigh" else ls_channels(64)
    ht = torch.as_tensor(h.astype(np.complex64))
    q_re, q_im, r_re, r_im = unique_qr(ht.real, ht.imag)
    q, r = (q_re + 1j * q_im).numpy(), (r_re + 1j * r_im).numpy()
    qn, rn = numpy_unique_qr(h.astype(np.complex128))
    cond = np.linalg.cond(h).max()
    assert np.abs(r - rn).max() < 1e-5 * np.abs(rn).max() * 10
    assert np.abs(q - qn).max() < 2e-6 * cond                # Q's float32 error grows with cond(H)
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    assert (diag.imag == 0).all() and (diag.real > 0).all()
    assert np.abs(np.tril(r, -1)).max() == 0
    np.testing.assert_allclose(q @ r, h, atol=1e-5)


def test_in_graph_qr_of_the_shipped_channel_graph():
    """The shipped model's channel graph (onnxruntime) computes the unique QR of its input."""
    import onnxruntime as ort

    from neuralmimo.manifest import read_manifest

    man = read_manifest(SHIPPED)
    sess = ort.InferenceSession(str(SHIPPED.parent / man["split"]["channel"]), providers=["CPUExecutionProvider"])
    h = ls_channels(32, seed=4)
    h_ri = np.stack([h.real, h.imag], -1).astype(np.float32)
    q, r = sess.run(["q", "r"], {"h": h_ri, "noise_var": np.full(32, 0.05, np.float32)})
    q, r = q[..., 0] + 1j * q[..., 1], r[..., 0] + 1j * r[..., 1]
    qn, rn = numpy_unique_qr(h.astype(np.complex128))
    assert np.abs(r - rn).max() < 1e-4
    assert np.abs(q - qn).max() < 2e-6 * np.linalg.cond(h).max()
    assert (np.diagonal(r, axis1=-2, axis2=-1).real > 0).all()


def test_hypernetwork_output_is_the_mmnet_parameter_count():
    """12x6, T = 5: the hypernetwork outputs Θ (2·36), θ⁽ᵗ⁾ (5·6), ψ⁽ᵗ⁾ (5·6) = 132 values, and has
    37·37+37 + 37·75+75 + 75·132+132 = 14,288 parameters (CLAIMS 4.1: 15,224 with the 6 zero
    imaginary parts of R_A's diagonal as inputs, 14,288 without)."""
    m = HyperMimo(6, 12, "qpsk")
    assert m.hyper[-1].out_features == 2 * 36 + 2 * 5 * 6 == m.n_out
    assert sum(p.numel() for p in m.parameters()) == 14_288
    h = torch.view_as_real(torch.as_tensor(ls_channels(3)))
    q, r, theta, gain, floor, res_floor = m.channel_stage(h, torch.full((3,), 0.1))
    assert theta.shape == (3, 5, 6, 6, 2) and gain.shape == floor.shape == (3, 5, 6)
    # Θ⁽ᵗ⁾ = Θ(I + diag θ⁽ᵗ⁾): the layers' matrices differ by a column scaling only
    ratio = theta[:, 1, ..., 0] / theta[:, 0, ..., 0]
    assert torch.allclose(ratio, ratio[:, :1, :].expand_as(ratio), rtol=1e-4)
    assert torch.allclose(res_floor, torch.full((3,), 6 * 0.1))


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="Nr >= Nt"):
        HyperMimo(4, 2, "qpsk")
    with pytest.raises(ValueError, match="layers"):
        HyperMimo(2, 4, "qpsk", layers=0)


def _items(h_distinct, per_channel, seed=0, interleaved=False):
    """Items whose H is held for `per_channel` consecutive items (an OFDM frame's data symbols on
    one carrier), or with the channels interleaved (the receiver's symbol-major order)."""
    rng = np.random.default_rng(seed)
    spread = (lambda a: np.tile(a, (per_channel,) + (1,) * (a.ndim - 1))) if interleaved else \
        (lambda a: np.repeat(a, per_channel, axis=0))
    h = spread(h_distinct)
    b, nr = h.shape[0], h.shape[1]
    y = (rng.standard_normal((b, nr)) + 1j * rng.standard_normal((b, nr))).astype(np.complex64)
    nv = spread(rng.uniform(0.02, 0.2, len(h_distinct))).astype(np.float32)
    return y, h.astype(np.complex64), nv


@pytest.mark.parametrize("engine, interleaved", [("onnx", False), ("onnx", True), ("cpp", False), ("cpp", True)])
def test_split_path_equals_the_whole_graph(engine, interleaved):
    """The split path (channel graph once per distinct H and σ², observation per item) gives the
    whole graph's LLRs and estimates item for item, across calls (the previous call's channels are
    remembered), with one channel stage per distinct channel whether equal channels are consecutive
    or interleaved; an H = 0 item is erased as by the whole graph."""
    if engine == "cpp":   # the installed package (make test runs this case without PYTHONPATH)
        from conftest import compiled
        compiled("mmnet_kernel")
    whole = nm.detector(str(SHIPPED))
    split = nm.detector(f"{SHIPPED}:split={engine}")
    y, h, nv = _items(ls_channels(10, seed=7), 12, interleaved=interleaved)
    h[30] = 0
    ref = whole(y, h, nv)
    parts = [split(y[a:b], h[a:b], nv[a:b]) for a, b in ((0, 17), (17, 60), (60, 120))]
    llr = np.concatenate([p.llr for p in parts])
    est = np.concatenate([p.estimate for p in parts])
    np.testing.assert_allclose(llr, ref.llr, atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(est, ref.estimate, atol=1e-4)
    assert (ref.llr[30] == 0).all() and (llr[30] == 0).all()
    # 10 runs of 12 items; the detector call erases the H = 0 item before the model sees it
    assert split.split.channel_items == 10 and split.split.items == 119


def test_split_is_refused_for_a_model_without_split_graphs():
    with pytest.raises(ValueError, match="no per-channel"):
        nm.detector(model_path("wesnet_qam16_2x2.onnx"), split="onnx")
    with pytest.raises(ValueError, match="split=onnx or split=cpp"):
        nm.detector(f"{SHIPPED}:split=gpu")


def test_per_channel_mmnet_lowers_ser_on_its_channel():
    """Online MMNet (T = 10) trained for 150 steps on each of 4 fixed channels has a lower SER on
    those channels than at its start (MMNet-iid's matched filter, θ = 1): measured on 4 × 5,000
    vectors at 10 dB (some 2,000 symbol errors at the start, 300 after); the drop is more than 4×."""
    c = nm.constellation("qpsk")
    h = torch.as_tensor(ls_channels(4, seed=2))
    model = OnlineMmNet(h, c, layers=10)
    gen = torch.Generator().manual_seed(0)
    pts = torch.as_tensor(c.points)

    SNR_DB = 10.0

    def ser():
        g = torch.Generator().manual_seed(9)
        idx = torch.randint(0, 4, (4, 5000, 6), generator=g)
        x = pts[idx]
        nv = torch.full((4, 5000), 10 ** (-SNR_DB / 10))
        n = torch.complex(torch.randn(4, 5000, 12, generator=g), torch.randn(4, 5000, 12, generator=g))
        y = torch.einsum("cmn,cbn->cbm", h, x) + n * (nv / 2).sqrt().unsqueeze(-1)
        est, _ = model.detect(y, nv)
        hard = torch.argmin((est.unsqueeze(-1) - pts).abs(), -1)
        return float((hard != idx).float().mean())

    before = ser()
    with torch.enable_grad():
        losses = model.fit(steps=150, batch=200, snr_db=(8.0, 20.0), generator=gen)
    after = ser()
    assert before > 0.01, before
    assert after < before / 4, (before, after)
    assert np.mean(losses[-20:]) < np.mean(losses[:20])


def test_tiny_training_lowers_the_loss(tmp_path):
    """The shared trainer trains HyperMIMO's hypernetwork: 2x4 QPSK, 3 epochs of 40 steps, the
    validation NMSE improves by more than 2 dB on its start (random hypernetwork)."""
    from conftest import tiny_training

    _, _, hist = tiny_training({
        "model": {"family": "hypermimo", "layers": 3, "hidden": 16},
        "data": {"nt": 2, "nr": 4, "constellation": "qpsk", "channel": "rayleigh", "snr_convention": "rx",
                 "batch": 256},
        "train": {"seed": 2, "loss": "mse", "steps_per_epoch": 40, "validation_vectors": 2000},
        "schedule": {"name": "fixed", "snr_db": [5, 15], "lr": 3e-3, "max_epochs": 3, "patience": 3},
    }, tmp_path)
    assert hist[-1]["best_val_nmse_db"] < hist[0]["val_nmse_db"] - 2.0, hist


def test_link_model_serves_the_ofdm_link_size():
    """The OFDM link's model (2x4 16QAM) loads, whole and split, and detects a noiseless 2x4
    system with well-conditioned channels correctly."""
    det = nm.detector(str(LINK))
    assert (det.nt, det.nr, det.constellation.name) == (2, 4, "qam16")
    rng = np.random.default_rng(1)
    c = nm.constellation("qam16")
    idx = rng.integers(0, 16, (200, 2))
    h = ((rng.standard_normal((200, 4, 2)) + 1j * rng.standard_normal((200, 4, 2))) / np.sqrt(2)).astype(np.complex64)
    y = np.einsum("brt,bt->br", h, c.points[idx]).astype(np.complex64)
    nv = np.full(200, 10 ** (-3.0) * 2, np.float32)          # 30 dB (rx convention: Nt/σ²)
    for d in (det, nm.detector(f"{LINK}:split=onnx")):
        out = d(y, h, nv)
        assert (out.symbols == c.points[idx]).mean() > 0.99


def test_link_model_replays_the_ofdm_recording_whole_and_split():
    """cli.replay on tests/data/ofdm_loopback_2x4 (3 frames, 20 dB): the whole graph and the split
    path decode the same bits, with at most twice LMMSE's bit errors (measured: 25 against 25)."""
    from neuralmimo.cli import replay as replay_cli
    from neuralmimo.paths import fixture_path

    split = f"{LINK}:split=onnx"
    res = replay_cli.replay(fixture_path("ofdm_loopback_2x4.sigmf-meta"), ["lmmse", str(LINK), split], first_frame=0)
    ref, whole, sp = (res["checkers"][k] for k in ("lmmse", str(LINK), split))
    assert [b.tobytes() for b in sp.decoded] == [b.tobytes() for b in whole.decoded]
    assert (whole.frames, whole.bits) == (ref.frames, ref.bits) and ref.frames == 3 and ref.bit_errors > 0
    assert whole.bit_errors == sp.bit_errors <= 2 * ref.bit_errors
