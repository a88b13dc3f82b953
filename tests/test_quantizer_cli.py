# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""python -m neuralmimo.cli.quantizer design: the manifest it writes, the MI it reports, its
refusals; the shipped fronthaul quantisers; the fronthaul command's refusals (before GNU Radio)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from neuralmimo.cli import fronthaul, quantizer
from neuralmimo.paths import model_path
from neuralmimo.phy.maxmi import mutual_information
from neuralmimo.phy.quantizer import ScalarQuantizer

ARGS = ["design", "--detector", "lmmse", "--nt", "2", "--nr", "4", "--constellation", "qam16",
        "--snr-db", "5", "15", "--snr-convention", "rx", "--bits", "3", "--vectors", "4000", "--seed", "1"]


@pytest.mark.parametrize("kind", ["maxmi", "uniform"])
def test_design_writes_a_manifest_that_loads(tmp_path, kind, capsys):
    out = tmp_path / f"q_{kind}.json"
    assert quantizer.main([*ARGS, "--kind", kind, "--out", str(out)]) == 0
    m = json.loads(out.read_text())
    q = ScalarQuantizer.from_manifest(out)
    assert q.bits == 3 and q.n_levels == 8 and q.n_groups == 1
    assert q.mode == ("codebook" if kind == "maxmi" else "uniform")
    d = m["design"]
    assert (d["kind"], d["detector"], d["nt"], d["nr"], d["constellation"]) == (kind, "lmmse", 2, 4, "qam16")
    assert (d["snr_db"], d["snr_convention"], d["channel"], d["vectors"], d["seed"]) == \
        ([5.0, 15.0], "rx", "rayleigh", 4000, 1)
    assert d["source"] == "data"
    # 3 bits keep most of the information, never all of it
    assert 0.5 < d["mi_quantised"] < d["mi_unquantised"] < 1.0
    assert d["mi_unquantised"] - d["mi_quantised"] < 0.05
    assert f"{d['mi_quantised']:.4f}" in capsys.readouterr().out


def test_design_is_reproducible_and_the_reported_mi_is_the_quantiser_s(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for p in (a, b):
        assert quantizer.main([*ARGS, "--kind", "maxmi", "--out", str(p)]) == 0
    assert a.read_text() == b.read_text()
    llr, sent = quantizer.draw_llrs("lmmse", 2, 4, "qam16", (5.0, 15.0), "rx", "rayleigh", 4000, 1)
    assert llr.shape == sent.shape == (4000 * 2 * 4,)
    # the LLR sign is the bit (positive: 1) far more often than not at these SNRs
    assert np.mean((llr > 0) == (sent == 1)) > 0.85
    q = ScalarQuantizer.from_manifest(a)
    mi = mutual_information(q.encode(llr).astype(np.int64), 8, bit_values=sent)
    assert mi == pytest.approx(json.loads(a.read_text())["design"]["mi_quantised"], abs=1e-6)


def test_max_mi_beats_uniform_in_mi_on_its_design_data():
    llr, sent = quantizer.draw_llrs("lmmse", 2, 4, "qam16", (5.0, 15.0), "rx", "rayleigh", 4000, 1)
    _, mi, mi_maxmi = quantizer.design("maxmi", llr, sent, 3)
    _, mi2, mi_uniform = quantizer.design("uniform", llr, sent, 3)
    assert mi == mi2
    assert mi_uniform <= mi_maxmi < mi


@pytest.mark.parametrize("argv, fragment", [
    (["--bits", "0"], "--bits must be >= 1, got 0"),
    (["--bits", "13"], "--bits must be in 1..12, got 13"),
    (["--vectors", "0"], "--vectors must be >= 1"),
    (["--snr-db", "20", "10"], "--snr-db: the low end must be <= the high end"),
    (["--snr-db", "nan", "10"], "--snr-db must be a finite number"),
    (["--snr-convention", "nope"], "--snr-convention must be one of"),
    (["--channel", "nope"], "--channel 'nope'"),
    (["--channel", "rayleigh", "--nt", "0"], "--nt must be >= 1"),
    (["--constellation", "qam17"], "--constellation"),
    (["--detector", "nope"], "--detector 'nope'"),
    (["--kind", "lloyd"], "--kind: invalid choice"),
    (["--vectors", "1", "--bits", "4"], "--vectors: 1 vectors give fewer LLRs than the 2**4 cells"),
    (["--source", "ofdm", "--channel", "kron:r=0.5"], "--channel applies to --source data"),
    (["--source", "ofdm", "--snr-convention", "detnet"], "--snr-convention: the OFDM loopback's SNR is per RE"),
    (["--source", "air"], "--source: invalid choice"),
    (["--frames", "0"], "--frames must be >= 1"),
])
def test_design_refuses_bad_arguments(tmp_path, capsys, argv, fragment):
    out = tmp_path / "q.json"
    base = {"--bits": "3", "--kind": "maxmi", "--out": str(out)}
    args = list(ARGS)
    for k, v in base.items():
        if k not in argv:
            args += [k, v]
    # later options replace the defaults in ARGS
    assert quantizer.main([*args, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("quantizer: ") and fragment in err and err.count("\n") == 1
    assert not out.exists()


def test_design_function_raises_on_a_bad_kind():
    with pytest.raises(ValueError, match="--kind"):
        quantizer.design("lloyd", np.ones(100), np.ones(100, np.uint8), 3)


def test_shipped_fronthaul_quantisers():
    """The two manifests the fronthaul runs by default: 3 bits, designed on the link's 2x4 16QAM
    LMMSE LLRs, with the MI they were designed to keep."""
    for kind, mode in (("maxmi", "codebook"), ("uniform", "uniform")):
        path = model_path(f"quantizer_{kind}3_qam16_2x4.json")
        q = ScalarQuantizer.from_manifest(path)
        d = json.loads(open(path).read())["design"]
        assert (q.bits, q.mode, q.input) == (3, mode, "llr")
        assert (d["kind"], d["detector"], d["nt"], d["nr"], d["constellation"]) == (kind, "lmmse", 2, 4, "qam16")
        assert 0 < d["mi_unquantised"] - d["mi_quantised"] < 0.02
        # symmetric data: the levels straddle 0, half on each side
        assert np.count_nonzero(q.levels < 0) == 4
        assert d["source"] == "data" and d["snr_db"] == [5.0, 15.0]


def test_shipped_link_quantiser_has_the_link_s_calibration():
    """Designed on the OFDM loopback's own LLRs, which are over-confident: its outer levels (the
    cells' LLRs measured on the link) are well inside those of the ideal-data design, and the MI
    estimate that assumes consistent LLRs is below the quantised one."""
    link = json.loads(open(model_path("quantizer_maxmi3_qam16_2x4_link.json")).read())
    ideal = ScalarQuantizer.from_manifest(model_path("quantizer_maxmi3_qam16_2x4.json"))
    q = ScalarQuantizer.from_manifest(link)
    d = link["design"]
    assert (d["source"], d["detector"], d["kind"], q.bits, q.mode) == ("ofdm", "cpp:lmmse", "maxmi", 3, "codebook")
    assert d["seed"] != 1                      # not the channel seed the fronthaul table runs on
    assert d["mi_unquantised"] < d["mi_quantised"]
    assert abs(q.levels[0, 0]) < 0.85 * abs(ideal.levels[0, 0])
    assert abs(q.levels[0, -1]) < 0.85 * abs(ideal.levels[0, -1])


@pytest.mark.parametrize("argv, fragment", [
    (["--frames", "0"], "--frames must be >= 1, got 0"),
    (["--snr", "inf"], "--snr must be a finite number"),
    (["--transport", "file"], "--transport: invalid choice"),
    (["--quantizers", "float", "{tmp}/missing.json"], "cannot be read"),
    (["--quantizers", "{tmp}/bad.json"], "has no key 'quantizer'"),
    (["--quantizers", "float", "float"], "'float' given twice"),
])
def test_fronthaul_refuses_bad_arguments(tmp_path, capsys, argv, fragment):
    (tmp_path / "bad.json").write_text('{"design": {}}')
    assert fronthaul.main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fronthaul: ") and fragment in err
