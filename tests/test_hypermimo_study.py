# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HyperMIMO studies' machinery (papers/hypermimo.py, papers/hypermimo_runs.py) at a tiny size:
exact ML on a fixed channel, per-channel MMNet training, averaging over drops, and both studies
end to end (1 drop, a few training steps) in a temporary runs/ directory."""
import csv

import pytest
import torch

import neuralmimo as nm
from neuralmimo.papers import hypermimo_runs as hr
from neuralmimo.phy.channels import make_channel


@pytest.fixture
def channels():
    return make_channel(hr.channel_spec(0), hr.NR, hr.NT).sample(2, generator=torch.Generator().manual_seed(4))


def test_fixed_channel_ml_matches_the_enumerating_detector(channels):
    """ml_indices (one matrix product per channel) decides as detectors/ml.py's exhaustive search."""
    gen = torch.Generator().manual_seed(5)
    pts = torch.as_tensor(nm.constellation("qpsk").points.copy()).to(torch.complex64)
    h = channels[0]
    x = pts[torch.randint(0, 4, (300, hr.NT), generator=gen)]
    y = x @ h.T + 0.3 * torch.complex(torch.randn(300, hr.NR, generator=gen), torch.randn(300, hr.NR, generator=gen))
    ours = hr.ml_indices(y, h, pts, hr._candidates(pts, hr.NT))
    ref = nm.detector("ml", constellation="qpsk")(y, h.expand(300, hr.NR, hr.NT), torch.full((300,), 0.18)).symbols
    assert torch.equal(ours, hr.nearest(ref, pts))
    assert (ours != hr.nearest(x, pts)).any()          # the noise is large enough for ML to err


def test_per_channel_mmnet_training_lowers_its_ser(channels):
    """[8]'s MMNet trained on its own two channels errs less there than at its start (MMNet-iid, θ = 1)."""
    snrs = [12.0]
    sers = []
    for steps in (0, 60):
        net, _ = hr.train_online(channels, steps, 200, (8, 16), 1e-2, seed=6)
        rows = hr.fixed_channel_errors({}, {"mmnet_channel": net}, channels, snrs, 3000, seed=7, with_ml=False)
        sers.append(rows[0]["ser"])
    assert sers[1] < 0.7 * sers[0], sers


def test_mean_over_drops_weighs_each_drop_the_same():
    rows = [{"detector": "a", "snr_db": 10.0, "drop": 0, "symbol_errors": 1, "symbols": 100, "ser": 0.01},
            {"detector": "a", "snr_db": 10.0, "drop": 1, "symbol_errors": 30, "symbols": 1000, "ser": 0.03}]
    (row,) = hr.mean_over_drops(rows, 2)
    assert row["ser"] == pytest.approx(0.02) and row["symbols"] == 1100 and row["symbol_errors"] == 31


def test_studies_end_to_end_tiny(tmp_path, monkeypatch):
    from neuralmimo.papers.hypermimo import hypermimo_mobility, hypermimo_ser

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    table = hypermimo_ser(out, False, drops=1, channels=2, vectors=100, online_steps=2, online_batch=50,
                          train_steps=2, snrs=[6, 20])
    assert (tmp_path / "runs/reproduce/hypermimo/hypermimo_drop_0_steps2/final.pt").is_file()
    with open(out / "hypermimo_ser_drops.csv") as f:
        per_drop = list(csv.DictReader(f))
    with open(out / "hypermimo_ser.csv") as f:
        mean = list(csv.DictReader(f))
    assert {r["detector"] for r in mean} == {"hypermimo", "oampnet", "mmnet", "lmmse", "mmnet_channel", "ml"}
    for r in mean:        # one drop: the mean is that drop's SER
        d = next(p for p in per_drop if p["detector"] == r["detector"] and p["snr_db"] == r["snr_db"])
        assert float(r["ser"]) == pytest.approx(float(d["ser"]))
    lm = {float(r["snr_db"]): float(r["ser"]) for r in mean if r["detector"] == "lmmse"}
    assert lm[6.0] > lm[20.0]
    assert (out / "hypermimo_ser.png").is_file() and any("CPU s per channel" in row[0] for row in table)

    rows = hypermimo_mobility(out, False, drops=1, angles=(0, 5), distances=(0, 10), displacements=2,
                              vectors=200, train_steps=2)
    with open(out / "hypermimo_mobility.csv") as f:
        mob = list(csv.DictReader(f))
    assert len(mob) == 4 * 3 and (out / "hypermimo_mobility.png").is_file()
    assert rows[-3][0] == "points where HyperMIMO is worse than LMMSE"
    assert rows[-2][0] == "points where HyperMIMO is worse than OAMPNet"
