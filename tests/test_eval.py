# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Evaluation harness: metrics, stopping rules, determinism, CLI outputs."""
import csv
import math

import pytest
import torch

import neuralmimo as nm
from neuralmimo.cli.eval import main as eval_main
from neuralmimo.cli.eval import parse_detectors, parse_snr
from neuralmimo.detectors import DetectorOutput
from neuralmimo.eval import Counts, EvalConfig, run_eval


class _Rayleigh:
    def __init__(self, nr, nt):
        self.nr, self.nt = nr, nt

    def sample(self, b, generator=None, device="cpu"):
        return torch.view_as_complex(torch.randn(b, self.nr, self.nt, 2, generator=generator, device=device) * 0.5 ** 0.5)


def test_counts_metrics_by_hand():
    x = torch.tensor([[1 + 0j, -1 + 0j]], dtype=torch.complex64)
    xb = torch.tensor([[[False], [True]]])
    perfect = DetectorOutput(symbols=x.clone(), llr=torch.tensor([[[-50.0], [50.0]]]), estimate=x.clone())
    c = Counts()
    c.add(perfect, x, xb)
    r = c.row()
    assert (r["bit_errors"], r["symbol_errors"], r["nmse"]) == (0, 0, 0.0)
    assert r["bmi"] == pytest.approx(1.0, abs=1e-12)
    erased = DetectorOutput(symbols=-x, llr=torch.zeros(1, 2, 1), estimate=torch.zeros_like(x))
    c = Counts()
    c.add(erased, x, xb)
    r = c.row()
    assert r["bmi"] == pytest.approx(0.0, abs=1e-12)        # LLR 0 carries no information
    assert r["nmse"] == pytest.approx(1.0) and r["ser"] == 1.0
    assert r["bit_errors"] == 1                              # LLR 0 decides 0: right for bit 0, wrong for bit 1


def test_harness_matches_direct_computation_and_is_deterministic():
    cfg = EvalConfig(nt=2, nr=4, constellation="qpsk", snr_db=[4.0], target_errors=10**9,
                     max_vectors=3000, batch=1000, seed=7)
    dets = {"lmmse": nm.detector("lmmse", constellation="qpsk")}
    rows = run_eval(dets, _Rayleigh(4, 2), cfg, progress=False)
    again = run_eval(dets, _Rayleigh(4, 2), cfg, progress=False)
    assert rows == again
    assert rows[0]["vectors"] == 3000
    # Recreate the same samples and count directly.
    gen = torch.Generator().manual_seed(7)
    c = nm.constellation("qpsk")
    pts = torch.as_tensor(c.points.copy())
    errors = 0
    for _ in range(3):
        h = torch.view_as_complex(torch.randn(1000, 4, 2, 2, generator=gen) * 0.5 ** 0.5)
        idx = torch.randint(0, 4, (1000, 2), generator=gen)
        nv = 2 / 10 ** 0.4
        noise = torch.view_as_complex(torch.randn(1000, 4, 2, generator=gen, dtype=torch.float64) * math.sqrt(nv / 2))
        y = (h @ pts[idx].unsqueeze(-1)).squeeze(-1) + noise.to(torch.complex64)
        out = nm.detector("lmmse", constellation="qpsk")(y, h, torch.full((1000,), nv))
        errors += int(((out.llr > 0) != torch.as_tensor(c.bits.astype(bool))[idx]).sum())
    assert rows[0]["bit_errors"] == errors


class _HardOnly:
    """LMMSE's hard decisions without its LLRs: the harness must count bit errors from their labels."""

    def __init__(self, const):
        self.inner = nm.detector("lmmse", constellation=const)

    def __call__(self, y, h, nv):
        out = self.inner(y, h, nv)
        return DetectorOutput(symbols=out.symbols, llr=None, estimate=out.estimate)


@pytest.mark.parametrize("const", ["qpsk", "qam16"])
def test_hard_decisions_give_the_same_ber_as_the_llrs_they_come_from(const):
    """LMMSE symbols are the decisions of its max-log LLRs (symbols_from_llr), so the BER counted from the
    symbols' labels must equal the BER counted from the LLRs, error for error; BMI stays undefined."""
    cfg = EvalConfig(nt=2, nr=4, constellation=const, snr_db=[6.0], target_errors=10**9, max_vectors=2000,
                     batch=1000, seed=3)
    rows = run_eval({"llr": nm.detector("lmmse", constellation=const), "hard": _HardOnly(const)},
                    _Rayleigh(4, 2), cfg, progress=False)
    by = {r["detector"]: r for r in rows}
    assert by["llr"]["bit_errors"] > 50
    assert by["hard"]["bit_errors"] == by["llr"]["bit_errors"]
    assert math.isnan(by["hard"]["bmi"]) and not math.isnan(by["llr"]["bmi"])


def test_stopping_rules():
    cfg = EvalConfig(nt=2, nr=2, constellation="qpsk", snr_db=[0.0, 30.0], target_errors=50,
                     max_vectors=5000, batch=500, seed=1)
    rows = run_eval({"zf": nm.detector("zf", constellation="qpsk")}, _Rayleigh(2, 2), cfg, progress=False)
    low, high = rows
    assert low["vectors"] == 500 and low["bit_errors"] >= 50          # stopped on errors after one batch
    assert high["vectors"] == 5000                                    # stopped on the vector limit


def test_parsers():
    assert parse_snr("0:5:20") == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert parse_snr("1,3") == [1.0, 3.0]
    with pytest.raises(ValueError, match="--snr"):
        parse_snr("0:0:10")
    parsed = parse_detectors("lmmse,cg:iterations=3,form=real,ml")
    assert [(n, kw) for _, n, kw in parsed] == [("lmmse", {}), ("cg", {"iterations": 3, "form": "real"}), ("ml", {})]
    with pytest.raises(ValueError, match="not key=value"):
        parse_detectors("cg:fast")


def test_cli_writes_csv_and_png(tmp_path, capsys):
    out = tmp_path / "run"
    rc = eval_main(["--detectors", "zf,lmmse", "--channel", "rayleigh", "--nt", "2", "--nr", "4",
                    "--constellation", "qpsk", "--snr", "0,10", "--target-errors", "100",
                    "--max-vectors", "20000", "--out", str(out), "--quiet"])
    assert rc == 0
    rows = list(csv.DictReader(open(str(out) + ".csv")))
    assert [(r["detector"], float(r["snr_db"])) for r in rows] == [("zf", 0.0), ("lmmse", 0.0), ("zf", 10.0), ("lmmse", 10.0)]
    assert float(rows[1]["ber"]) < float(rows[0]["ber"])             # LMMSE beats ZF at 0 dB
    assert (tmp_path / "run.png").stat().st_size > 10_000
    assert eval_main(["--detectors", "foo", "--nt", "2", "--nr", "2", "--constellation", "qpsk",
                      "--out", str(out), "--quiet"]) == 2
    assert "'foo' is not a detector" in capsys.readouterr().err


def test_frequency_selective_channel_is_flattened_per_resource_element():
    from neuralmimo.phy.channels import make_channel

    ch = make_channel("tdl:A,nsc=16", 4, 2)
    cfg = EvalConfig(nt=2, nr=4, constellation="qpsk", snr_db=[10.0], target_errors=10**9,
                     max_vectors=1000, batch=100, seed=3)
    rows = run_eval({"lmmse": nm.detector("lmmse", constellation="qpsk")}, ch, cfg, progress=False)
    assert rows[0]["vectors"] == 1000 and 0 < rows[0]["ber"] < 0.1


def test_snr_at_interpolates_log_rate():
    from neuralmimo.eval.crossing import snr_at

    rows = [{"detector": "a", "snr_db": s, "ber": v} for s, v in ((0, 1e-1), (10, 1e-3), (20, 1e-5))]
    assert snr_at(rows, "a", "ber", 1e-2) == pytest.approx(5.0)
    assert snr_at(rows, "a", "ber", 1e-4) == pytest.approx(15.0)
    assert math.isnan(snr_at(rows, "a", "ber", 1e-7))


def test_paper_studies_registry_and_training_configs(tmp_path):
    """Every study the docs cite is registered and accepted by the CLI, and the training studies'
    settings make valid trainer configs (checked without training)."""
    from neuralmimo.cli import reproduce
    from neuralmimo.papers import STUDIES
    from neuralmimo.papers.common import training_config
    from neuralmimo.papers.lcgnet import CONFIG, layer_study_overrides
    from neuralmimo.papers.lcgnet_ber import BER_LAYERS, QUANT_STAGES, quant_overrides

    names = {"detnet-baselines", "hypermimo-baselines", "lcgnet-lmmse-nmse", "lcgnet-nmse-layers",
             "lcgnet-ber", "lcgnet-quant", "wesnet-ber", "remimo-ser", "remimo-ser-corr", "remimo-nt",
             "hypermimo-ser", "hypermimo-mobility", "eqnet-bler", "eqnet-bler-4x4", "eqnet-latent", "eqnet-stages"}
    assert set(STUDIES) == names
    assert {n for n, s in STUDIES.items() if s.trains} == {"lcgnet-nmse-layers", "lcgnet-ber", "lcgnet-quant",
                                                           "wesnet-ber", "remimo-ser", "remimo-ser-corr", "remimo-nt",
                                                           "hypermimo-ser", "hypermimo-mobility", "eqnet-bler",
                                                           "eqnet-bler-4x4", "eqnet-latent", "eqnet-stages"}
    assert reproduce.main(["no-such-study"]) == 2
    cfg = training_config(CONFIG, layer_study_overrides("S", 10.0, 7), tmp_path / "layers")
    assert cfg.model["variant"] == "S" and cfg.model["layers"] == 7 and cfg.train.out == str(tmp_path / "layers")
    cfg = training_config(CONFIG, quant_overrides(3, tmp_path / "base.pt"), tmp_path / "quant")
    assert cfg.model["quant_bits"] == 3 and cfg.model["layers"] == BER_LAYERS
    assert [s.name for s in cfg.stages] == [f"sigma{int(s)}" for s, _ in QUANT_STAGES]
    from neuralmimo.papers.wesnet_variants import CONFIG as WESNET, VARIANTS
    for name, over in VARIANTS.items():      # every WeSNet variant is a valid config of its own
        cfg = training_config(WESNET, over, tmp_path / name)
        assert cfg.model["family"] == "wesnet" and all(cfg.model[k.split(".")[1]] == v for k, v in over.items())
