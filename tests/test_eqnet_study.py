# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EQ-Net BLER study (papers/eqnet.py) end to end at a tiny size: two training stages of a few
steps in a temporary runs/ directory, the scalar quantisers, every chain through the coded link."""
import csv

import numpy as np
import torch

from neuralmimo.papers import eqnet as study


def test_codec_without_quantiser_is_the_autoencoder_and_quantiser_changes_it():
    from neuralmimo.models.eqnet import EqNet
    from neuralmimo.phy.quantizer import ScalarQuantizer

    torch.manual_seed(0)
    m = EqNet(2, 2, "qpsk", ae_width=8, ae_layers=1, est_width=8, est_layers=1).eval()
    llr = (5 * np.random.default_rng(1).standard_normal((7, 2, 2))).astype(np.float32)
    with torch.no_grad():
        want = m.decode_latent(m.encode_softbits(torch.tanh(torch.from_numpy(llr) / 2))).numpy()
    np.testing.assert_allclose(study.Codec(m)(llr), want, rtol=1e-6)
    coarse = ScalarQuantizer.uniform(1, 1.0)               # latent signs only
    assert not np.allclose(study.Codec(m, coarse)(llr), want)


def test_codec_of_a_siso_model_codes_each_stream_alone():
    """The deep SISO baseline (Nt = 1) on a [B, Nt, K] LLR matrix equals coding each row by itself."""
    from neuralmimo.models.eqnet import EqNet

    torch.manual_seed(1)
    m = EqNet(1, 1, "qam16", latent=3, ae_width=8, ae_layers=1, est_width=8, est_layers=1).eval()
    llr = (5 * np.random.default_rng(2).standard_normal((5, 3, 4))).astype(np.float32)
    whole = study.Codec(m)(llr)
    assert whole.shape == llr.shape
    for row in range(3):
        np.testing.assert_allclose(whole[:, row], study.Codec(m)(llr[:, row:row + 1])[:, 0], rtol=1e-6)


def test_labels_pick_the_three_bit_budgets():
    """2x2 64-QAM: 6 bits × 6 features and the SISO 6 bits × 3 features per 6 soft bits are 3 bits
    per soft bit; 4x4 16-QAM: 4 bits × 12 features and SISO 4 bits."""
    main = study.labels(study.MAIN, 6, (4, 5, 6), (4, 5, 6))
    assert "3 bits/soft bit" in main["eqnet-q6"][0] and "E10" in main["eqnet-q6"][1]
    assert "3 bits/soft bit" in main["siso-q6"][0] and "2 bits/soft bit" in main["siso-q4"][0]
    big = study.labels(study.SYSTEMS["4x4_qam16"], 12, (4, 5, 6), (4, 5, 6))
    assert "3 bits/soft bit" in big["eqnet-q4"][0] and big["eqnet-q4"][1] == "goal ≤ 0.3 dB from ML"
    assert "3 bits/soft bit" in big["siso-q4"][0] and "E10" not in big["eqnet-q4"][1]


def test_study_end_to_end_tiny(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    table = study.eqnet_bler(out, False, train_steps=3, snrs=[8, 30], max_codewords=6, target_errors=1,
                             design_vectors=3000)
    assert (tmp_path / "runs/reproduce/eqnet_2x2_qam64_steps3/final.pt").is_file()
    with open(out / "eqnet_bler_2x2_qam64.csv") as f:
        rows = list(csv.DictReader(f))
    chains = {r["chain"] for r in rows}
    assert {"ml", "eqnet-ae", "eqnet-q6", "siso-ae", "siso-q6", "maxmi-3", "uniform-3", "eqnet-est",
            "eqnet-est-q", "lmmse", "mmse-sic-qr"} <= chains
    assert (tmp_path / "runs/reproduce/eqnet_siso_qam64_steps3/final.pt").is_file()
    ml = {float(r["snr_db"]): r for r in rows if r["chain"] == "ml"}
    assert int(ml[30.0]["block_errors"]) == 0 and float(ml[8.0]["channel_ber"]) > float(ml[30.0]["channel_ber"])
    assert (out / "eqnet_bler_2x2_qam64.png").is_file()
    assert any("max-MI 3 bits minus EQ-Net" in row[0] for row in table) or len(table) >= len(chains)


def test_4x4_study_end_to_end_tiny(tmp_path, monkeypatch):
    """4x4 16-QAM: 40 channel uses per codeword (8 coded bits erased), a draw held 5 uses, every
    chain on the same packets; exact ML decodes every codeword at 30 dB."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    table = study.eqnet_bler_4x4(out, False, train_steps=2, snrs=[30], max_codewords=4, target_errors=1,
                                 design_vectors=2000)
    with open(out / "eqnet_bler_4x4_qam16.csv") as f:
        rows = list(csv.DictReader(f))
    chains = {r["chain"] for r in rows}
    assert {"ml", "eqnet-q4", "siso-q4", "maxmi-3", "eqnet-est-q", "mmse-sic-qr"} <= chains
    ml = next(r for r in rows if r["chain"] == "ml")
    assert int(ml["codewords"]) == 4 and int(ml["block_errors"]) == 0
    assert any(row[0].startswith("codewords per point") and row[1].endswith("; 5") for row in table)


def test_latent_study_end_to_end_tiny(tmp_path, monkeypatch):
    """E6's study: one autoencoder per latent size on the same budget, every chain on the same
    packets; exact ML decodes every codeword at 30 dB."""
    from neuralmimo.papers import eqnet_latent

    monkeypatch.chdir(tmp_path)
    table = eqnet_latent.eqnet_latent(tmp_path, False, latents=(2, 6), epochs=1, pool=2000, steps=3,
                                      snrs=(30,), max_codewords=3, target_errors=1)
    with open(tmp_path / "eqnet_latent.csv") as f:
        rows = {r["chain"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"ml", "latent-2", "latent-6"}
    assert int(rows["ml"]["block_errors"]) == 0 and int(rows["ml"]["codewords"]) == 3
    assert (tmp_path / "runs/reproduce/eqnet_latent/latent2_epochs1_pool2000_steps3/final.pt").is_file()
    assert any(row[0] == "latent 2 minus ML at BLER 1e-2 (dB)" for row in table)
