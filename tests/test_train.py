# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared trainer: interface, configs, schedules, training, resume, DDP, export."""
import copy
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

from neuralmimo.cli import export as export_cli
from neuralmimo.cli import train as train_cli
from neuralmimo.models import FAMILIES, ToyNet
from neuralmimo.paths import source_dir
from neuralmimo.train import CONFIG_DIR, Trainer, build_stages, config_from_dict, load_config
from neuralmimo.train.checkpoint import load_checkpoint, model_from_checkpoint
from neuralmimo.train.config import parse_override
from neuralmimo.train.data import DataSource
from neuralmimo.train.ddp import state_digest
from neuralmimo.train.losses import metric_sums

TOY = CONFIG_DIR / "toy.toml"
PYTHON_DIR = source_dir() / "python"

#: Small and quick: 2-layer toy, one SNR level, few steps.
FAST = ["model.n_layers=2", "train.steps_per_epoch=4", "train.validation_vectors=300",
        "schedule.snr_curriculum_db=[[10, 20]]", "schedule.max_epochs=3", "schedule.min_improvement_db=0.0"]


def toy_dict(**sections) -> dict:
    """The toy config as a dict with some sections replaced/updated."""
    import tomllib

    cfg = tomllib.loads(TOY.read_text())
    for name, values in sections.items():
        cfg[name] = values
    return cfg


def validation_nmse_db(model, cfg, rng=(10.0, 15.0)) -> float:
    """NMSE (dB) on the trainer's own validation set of ``rng``."""
    val = DataSource(cfg.data).validation_set(rng, cfg.train.validation_vectors, seed=cfg.train.seed)
    with torch.no_grad():
        s = metric_sums(model.forward_train(val.y, val.h, val.noise_var), val.x, val.bits)
    return 10 * np.log10(float(s[0] / s[1]))


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


# --------------------------------------------------------------------------- interface

def test_toy_follows_the_trainable_interface():
    m = FAMILIES["toy"](4, 8, "qpsk", n_layers=3)
    assert (m.family, m.outputs, m.n_layers, m.active_layers) == ("toy", ("llr", "estimate"), 3, 3)
    m.active_layers = 2
    assert [p is m.layers[1].step for p in m.parameter_group("last")] == [True]
    assert len(m.parameter_group("all")) == len(list(m.parameters()))
    assert len(m.parameter_group("demapper")) == 2
    for bad in (0, 4, 1.5):
        with pytest.raises(ValueError, match="active_layers"):
            m.active_layers = bad
    with pytest.raises(ValueError, match="'quantizer'"):
        m.parameter_group("quantizer")
    with pytest.raises(ValueError, match="unknown key 'quant_sigma'"):
        m.apply_settings(quant_sigma=10)
    m.apply_settings(llr_temperature=2.0)
    assert m.llr_temperature == 2.0
    with pytest.raises(ValueError, match="toy"):
        ToyNet.from_config({"family": "lcgnet", "nt": 2, "nr": 2, "constellation": "bpsk"})
    with pytest.raises(ValueError, match="model.depth"):
        ToyNet.from_config({"family": "toy", "nt": 2, "nr": 2, "constellation": "bpsk", "depth": 2})
    y, h = torch.randn(5, 8, 2), torch.randn(5, 8, 4, 2)
    out = m.forward_train(y, h, torch.full((5,), 0.1))
    assert out["llr"].shape == (5, 4, 2) and out["estimate"].shape == (5, 4, 2)
    est_only = ToyNet(4, 8, "qpsk", outputs=["estimate"])
    assert [t.shape for t in est_only(y, h, torch.full((5,), 0.1))] == [(5, 4, 2)]


# --------------------------------------------------------------------------- config

def test_config_overrides_and_hash():
    assert parse_override("train.steps_per_epoch=10") == (["train", "steps_per_epoch"], 10)
    assert parse_override("data.channel=kron:r=0.5") == (["data", "channel"], "kron:r=0.5")
    assert parse_override("schedule.snr_curriculum_db=[[5, 15]]")[1] == [[5, 15]]
    a = load_config(TOY)
    b = load_config(TOY, ["train.out=\"elsewhere\"", "train.device=auto"])
    c = load_config(TOY, ["train.seed=2"])
    assert a.hash == b.hash != c.hash
    assert a.train.out == "runs/toy" and b.train.out == "elsewhere"
    assert a.resolved["data"]["channel"] == "rayleigh"


@pytest.mark.parametrize("change, match", [
    ({"train": {"loss": "l1"}}, r"train.loss: 'l1' is not one of"),
    ({"train": {"steps_per_epoch": 0}}, r"train.steps_per_epoch: 0"),
    ({"train": {"stepz": 3}}, r"train.stepz: unknown key"),
    ({"train": {"device": "tpu"}}, r"train.device: 'tpu'"),
    ({"train": {"validation_snr_db": [20, 10]}}, r"train.validation_snr_db: \[20, 10\] has lo > hi"),
    ({"data": {"nt": 4, "nr": 8, "constellation": "qam17"}}, r"data.constellation: .*qam17"),
    ({"data": {"nt": 4, "nr": 8, "constellation": "qpsk", "channel": "rice"}}, r"data.channel: .*rice"),
    ({"data": {"nt": 4, "nr": 8, "constellation": "qpsk", "snr_convention": "ebn0"}},
     r"data.snr_convention: 'ebn0'"),
    ({"data": {"nr": 8, "constellation": "qpsk"}}, r"data.nt: missing"),
    ({"model": {"family": "toy", "depth": 3}}, r"model.depth: unknown key"),
    ({"model": {"family": "toy", "n_layers": 0}}, r"n_layers: 0"),
    ({"model": {"family": "toy", "nt": 4}}, r"model.nt: 4 belongs in \[data\]"),
    ({"model": {"family": "lmmse"}}, r"model.family: 'lmmse' is not trainable"),
    ({"model": {"family": "nosuch"}}, r"model.family: 'nosuch' is not one of"),
    ({"schedule": {"name": "cosine"}}, r"schedule.name: 'cosine' is not one of"),
    ({"schedule": {"name": "layerwise", "snr_curriculum": [30]}}, r"schedule.snr_curriculum: unknown key"),
    ({"schedule": {"name": "layerwise", "layers": 5}}, r"schedule.layers: 5 is more than"),
    ({"schedule": {"name": "fixed"}}, r"schedule.snr_db: missing"),
    ({"schedule": {"name": "fixed", "snr_db": 10, "group": "quantizer"}}, r"'quantizer' is not one of"),
    ({"schedule": {"name": "fixed", "snr_db": 10, "settings": {"quant_sigma": 10}}}, r"unknown key 'quant_sigma'"),
    ({"schedule": {"name": "fixed", "snr_db": 10, "group": "demapper"}},
     r"no parameter of group 'demapper' gets a gradient from train.loss = 'mse'"),
    ({"schedule": {"name": "stages", "stages": [{"snr_db": 10, "lr": -1}]}}, r"schedule.stages\[0\].lr: -1"),
    ({"extra": {}}, r"unknown section \[extra\]"),
    ({"data": {"nt": 4, "nr": 8, "constellation": "qpsk", "batch": 64, "pool": 10}},
     r"data.pool: 10 vectors is fewer than one batch \(64\)"),
    ({"data": {"nt": 4, "nr": 8, "constellation": "qpsk", "pool": -1}}, r"data.pool: -1"),
    ({"data": {"nt": 4, "nr": 8, "nt_min": 2, "constellation": "qpsk", "pool": 1000}},
     r"data.pool: a training pool needs a fixed Nt"),
])
def test_bad_config_names_key_and_value(change, match):
    cfg = toy_dict()
    for section, values in change.items():
        cfg[section] = {**cfg[section], **values} if section == "train" else values
    with pytest.raises(ValueError, match=match):
        config_from_dict(cfg)


def test_bce_needs_llr_output():
    cfg = toy_dict(model={"family": "toy", "outputs": ["estimate"]})
    cfg["train"]["loss"] = "bce"
    with pytest.raises(ValueError, match="train.loss: 'bce' needs 'llr'"):
        config_from_dict(cfg)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ValueError, match="config: file .* not found"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nseed = 1\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ValueError, match="checkpoint: .* not found"):
        load_checkpoint(tmp_path / "none.pt")


def test_cli_errors_exit_2(tmp_path, capsys):
    assert train_cli.main([str(tmp_path / "none.toml"), "--quiet"]) == 2
    assert "train: config: file" in capsys.readouterr().err
    assert train_cli.main([str(TOY), "--quiet", "--set", "train.loss=l1"]) == 2
    assert "train.loss: 'l1'" in capsys.readouterr().err
    assert train_cli.main([str(TOY), "--quiet", "--set", "nokey"]) == 2
    assert "--set: 'nokey'" in capsys.readouterr().err
    assert train_cli.main([str(TOY), "--quiet", "--resume", "--out", str(tmp_path)]) == 2
    assert "--resume: no checkpoint" in capsys.readouterr().err
    assert export_cli.main([str(tmp_path / "none.pt"), "--out", str(tmp_path / "x.onnx")]) == 2
    if not torch.cuda.is_available():
        assert train_cli.main([str(TOY), "--quiet", "--device", "cuda", "--out", str(tmp_path / "c")]) == 2
        assert "torch.cuda.is_available() is False" in capsys.readouterr().err
    # the real entry point returns the status to the shell
    res = subprocess.run([sys.executable, "-m", "neuralmimo.cli.train", str(tmp_path / "none.toml")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(PYTHON_DIR)})
    assert res.returncode == 2 and "not found" in res.stderr


# --------------------------------------------------------------------------- schedules

def test_layerwise_stage_sequence():
    st = build_stages({"name": "layerwise", "snr_curriculum_db": [30, 20, [5, 10]]}, n_layers=3)
    assert [(s.name, s.group, s.active_layers, s.lr, s.lr_decay) for s in st] == [
        ("30dB-L1-last", "last", 1, 1e-3, 1.0), ("30dB-L1-all", "all", 1, 5e-4, 0.5),
        ("30dB-L2-last", "last", 2, 1e-3, 1.0), ("30dB-L2-all", "all", 2, 5e-4, 0.5),
        ("30dB-L3-last", "last", 3, 1e-3, 1.0), ("30dB-L3-all", "all", 3, 5e-4, 0.5),
        ("20dB-L3-all", "all", 3, 5e-4, 0.5), ("5-10dB-L3-all", "all", 3, 5e-4, 0.5)]
    assert [s.snr_db for s in st][-3:] == [(30.0, 30.0), (20.0, 20.0), (5.0, 10.0)]
    assert all(s.patience == 1 for s in st)
    assert st[1].lr_at(3) == pytest.approx(5e-4 / 4)
    every = build_stages({"name": "layerwise", "snr_curriculum_db": [30, 20], "layers": 2,
                          "grow_at_every_level": True}, n_layers=3)
    assert [s.name for s in every] == ["30dB-L1-last", "30dB-L1-all", "30dB-L2-last", "30dB-L2-all",
                                       "20dB-L1-last", "20dB-L1-all", "20dB-L2-last", "20dB-L2-all"]
    explicit = build_stages({"name": "stages", "stages": [
        {"snr_db": [0, 10], "group": "last", "active_layers": 1, "settings": {"llr_temperature": 2.0}},
        {"name": "tune", "snr_db": 5, "lr": 1e-4, "patience": 3}]}, n_layers=2)
    assert [(s.name, s.group, s.active_layers, s.lr, s.patience) for s in explicit] == [
        ("stage1", "last", 1, 1e-3, 2), ("tune", "all", 2, 1e-4, 3)]
    assert explicit[0].settings == {"llr_temperature": 2.0}


# --------------------------------------------------------------------------- training

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The shipped toy config, shortened, validated at one fixed SNR range for every stage."""
    out = tmp_path_factory.mktemp("toy")
    cfg = load_config(TOY, ["train.steps_per_epoch=10", "train.validation_vectors=1000",
                            "train.validation_snr_db=[10, 15]", "schedule.max_epochs=4"])
    result = Trainer(cfg, out_dir=out, quiet=True).fit()
    return cfg, result


def test_training_improves_validation_nmse(trained):
    cfg, result = trained
    assert result.finished and result.final.is_file()
    torch.manual_seed(cfg.train.seed)
    untrained = cfg.build_model()
    model, ckpt = model_from_checkpoint(result.final)
    before, after = validation_nmse_db(untrained, cfg), validation_nmse_db(model, cfg)
    # 3 trained layers of residual correction against the plain matched filter: several dB
    assert after < before - 3.0, (before, after)
    # the trainer logged these numbers for the untrained start and the restored best weights
    assert result.history[0]["val_nmse_db"] == pytest.approx(before, abs=1e-6)
    assert result.history[-1]["best_val_nmse_db"] == pytest.approx(after, abs=1e-6)
    assert [r["stage"] for r in result.history if r["epoch"] == 0] == [s.name for s in cfg.stages]
    assert ckpt["training_snr_db"] == [[15.0, 20.0], [5.0, 15.0]]


def test_logs_written(trained):
    cfg, result = trained
    rows = result.csv.read_text().splitlines()
    assert rows[0].startswith("stage_index,stage,epoch,active_layers,group,snr_db,lr,train_loss,val_nmse_db,val_ber")
    assert len(rows) == 1 + len(result.history)
    assert result.png.is_file() and result.png.stat().st_size > 1000


def test_last_stage_changes_only_the_newest_layer(tmp_path):
    d = toy_dict(schedule={"name": "fixed", "snr_db": [10, 20], "group": "last", "active_layers": 2,
                           "lr": 0.05, "max_epochs": 2})
    d["train"].update(steps_per_epoch=5, validation_vectors=300)
    cfg = config_from_dict(d)
    torch.manual_seed(cfg.train.seed)
    initial = copy.deepcopy(cfg.build_model().state_dict())
    result = Trainer(cfg, out_dir=tmp_path, quiet=True).fit()
    final = load_checkpoint(result.final)["state_dict"]
    changed = {k for k in initial if not torch.equal(initial[k], final[k])}
    assert changed == {"layers.1.step"}


def test_stage_checkpoints_hold_each_stage_end_and_init_from_copies_weights(tmp_path):
    cfg = load_config(TOY, FAST + ["train.stage_checkpoints=true"])
    result = Trainer(cfg, out_dir=tmp_path / "a", quiet=True).fit()
    names = sorted(p.name for p in (tmp_path / "a" / "stages").glob("*.pt"))
    assert names == [f"{i:03d}-{s.name}.pt" for i, s in enumerate(cfg.stages)]
    last_stage = load_checkpoint(tmp_path / "a" / "stages" / names[-1])
    final = load_checkpoint(result.final)
    assert same_state(last_stage["state_dict"], final["state_dict"])
    first_stage = load_checkpoint(tmp_path / "a" / "stages" / names[0])
    assert first_stage["active_layers"] == 1
    # init_from: a run with no epoch to train (every stage ends at once) keeps the copied weights' values
    # for every shared key, so its start equals the source's end.
    b = load_config(TOY, FAST + [f'train.init_from="{result.final}"', "schedule.max_epochs=1"])
    model = b.build_model()
    Trainer._init_from(model, result.final, "cpu")
    assert same_state(model.state_dict(), final["state_dict"])
    with pytest.raises(ValueError, match="shares no weight"):
        Trainer._init_from(FAMILIES["lcgnet"](4, 8, "qpsk", layers=2), result.final, "cpu")


def test_resume_equals_uninterrupted_run(tmp_path):
    cfg = load_config(TOY, FAST)
    whole = Trainer(cfg, out_dir=tmp_path / "whole", quiet=True).fit()
    parts = tmp_path / "parts"
    first = Trainer(cfg, out_dir=parts, quiet=True).fit(stop_after_epochs=2)
    assert not first.finished and first.final is None
    with pytest.raises(ValueError, match="already holds a run"):
        Trainer(cfg, out_dir=parts, quiet=True).fit()
    changed = load_config(TOY, FAST + ["train.seed=5"])
    with pytest.raises(ValueError, match="--resume: the config"):
        Trainer(changed, out_dir=parts, quiet=True).fit(resume=True)
    Trainer(cfg, out_dir=parts, quiet=True).fit(resume=True, stop_after_epochs=3)
    done = Trainer(cfg, out_dir=parts, quiet=True).fit(resume=True)
    assert done.finished
    a, b = load_checkpoint(whole.final), load_checkpoint(done.final)
    assert same_state(a["state_dict"], b["state_dict"])
    strip = lambda h: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in h]
    assert strip(a["history"]) == strip(b["history"])
    assert len(a["history"]) > 5      # several stages and epochs, so the resumes fell inside the schedule
    assert not same_state(a["state_dict"], FAMILIES["toy"].from_config(a["model_config"]).state_dict())


def test_pool_is_fixed_keeps_old_hashes_and_resumes_exactly(tmp_path):
    """data.pool: 0 leaves the resolved config (and so every existing hash) as it was; a pool is
    drawn from the seed alone, holds other vectors than the validation set, and a run that draws
    its batches from it resumes to the same weights as an uninterrupted one."""
    base = load_config(TOY)
    assert load_config(TOY, ["data.pool=0"]).hash == base.hash and "pool" not in base.resolved["data"]
    pooled = load_config(TOY, FAST + ["data.pool=512"])
    assert pooled.resolved["data"]["pool"] == 512 and pooled.hash != load_config(TOY, FAST).hash
    data = DataSource(pooled.data)
    a, b = data.pool((10, 20), 1), data.pool((10, 20), 1)
    assert len(a) == 512 and torch.equal(a.y, b.y) and a.teacher is None
    val = data.validation_set((10, 20), 512, 1)
    assert not torch.allclose(a.y, val.y)
    whole = Trainer(pooled, out_dir=tmp_path / "whole", quiet=True).fit()
    parts = tmp_path / "parts"
    Trainer(pooled, out_dir=parts, quiet=True).fit(stop_after_epochs=2)
    done = Trainer(pooled, out_dir=parts, quiet=True).fit(resume=True)
    assert same_state(load_checkpoint(whole.final)["state_dict"], load_checkpoint(done.final)["state_dict"])
    fresh = Trainer(load_config(TOY, FAST), out_dir=tmp_path / "fresh", quiet=True).fit()
    assert not same_state(load_checkpoint(whole.final)["state_dict"], load_checkpoint(fresh.final)["state_dict"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_hold_identical_weights(tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "neuralmimo.cli.train", str(TOY), "--out", str(out), "--quiet", "--device", "cpu"]
    cmd += [a for o in FAST for a in ("--set", o)]
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR), "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    ckpt = load_checkpoint(out / "final.pt")
    assert ckpt["world_size"] == 2 and ckpt["ddp"]["world_size"] == 2
    digests = ckpt["ddp"]["rank_digests"]
    assert len(digests) == 2 and digests[0] == digests[1]
    model, _ = model_from_checkpoint(ckpt)
    assert state_digest(model) == digests[0]
    initial = FAMILIES["toy"].from_config(ckpt["model_config"])
    assert not same_state(model.state_dict(), initial.state_dict())
    assert res.stdout.count("checkpoint:") == 1          # only rank 0 reports (and writes)


# --------------------------------------------------------------------------- export

def test_export_from_checkpoint(trained, tmp_path, capsys):
    import onnxruntime as ort

    cfg, result = trained
    path = tmp_path / "toy.onnx"
    assert export_cli.main([str(result.final), "--out", str(path)]) == 0
    assert "max abs error" in capsys.readouterr().out
    manifest = json.loads(path.with_suffix(".json").read_text())
    ckpt = load_checkpoint(result.final)
    assert manifest["training_config_hash"] == cfg.hash == ckpt["config_hash"]
    assert manifest["training_snr_db"] == [[15.0, 20.0], [5.0, 15.0]]
    assert manifest["snr_convention"] == "rx"
    assert (manifest["family"], manifest["nt"], manifest["nr"], manifest["constellation"]) == ("toy", 4, 8, "qpsk")
    assert manifest["outputs"] == ["llr", "estimate"] and manifest["n_layers"] == 3
    assert manifest["training_config"]["schedule"]["name"] == "layerwise"
    model, _ = model_from_checkpoint(ckpt)
    val = DataSource(cfg.data).validation_set((5.0, 5.0), 64, seed=3)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"y": val.y.numpy(), "h": val.h.numpy(), "noise_var": val.noise_var.numpy()})
    with torch.no_grad():
        ref = model(val.y, val.h, val.noise_var)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r.numpy(), atol=1e-3, rtol=1e-3)
    # the family form still works
    lm = tmp_path / "lmmse.onnx"
    assert export_cli.main(["lmmse", "--nt", "2", "--nr", "2", "--constellation", "qpsk", "--out", str(lm)]) == 0
    assert export_cli.main(["lmmse", "--nt", "2", "--out", str(lm)]) == 2
