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
    assert {"ml", "eqnet-ae", "eqnet-q6", "maxmi-3", "uniform-3", "eqnet-est", "lmmse", "mmse-sic-qr"} <= chains
    ml = {float(r["snr_db"]): r for r in rows if r["chain"] == "ml"}
    assert int(ml[30.0]["block_errors"]) == 0 and float(ml[8.0]["channel_ber"]) > float(ml[30.0]["channel_ber"])
    assert (out / "eqnet_bler_2x2_qam64.png").is_file()
    assert any("max-MI 3 bits minus EQ-Net" in row[0] for row in table) or len(table) >= len(chains)
