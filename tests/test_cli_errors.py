# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad arguments to every command line: one line on stderr naming the problem, exit status 2,
no traceback, nothing written.

The table runs each command's main(argv) in this process (the commands refuse before they
import GNU Radio or start any work); a few rows run the real entry point in a subprocess to
prove the exit status and the absence of a traceback end to end. The two commands that used to
run without end on a count of 0 are regression rows with a time limit.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuralmimo.paths import source_dir

ROOT = source_dir()
TOY = ROOT / "python/neuralmimo/train/configs/toy.toml"
FIXTURE = ROOT / "tests/data/ofdm_loopback_2x2.sigmf-meta"

EVAL = ["--detectors", "lmmse", "--nt", "2", "--nr", "2", "--constellation", "qpsk", "--snr", "10",
        "--max-vectors", "1000", "--quiet"]
FAMILY = ["lmmse", "--nt", "2", "--nr", "2", "--constellation", "qpsk"]

# (command, argv, fragment of the one line). {out}: the output folder, empty before and after;
# {d}: the folder of the bad inputs (see `inputs`). record_loopback and demo refuse before any
# flowgraph is compiled, so their rows need no GNU Radio.
CASES = [
    # record_loopback
    ("record_loopback", ["{out}/r", "--frames", "0"], "--frames must be >= 1, got 0"),
    ("record_loopback", ["{out}/r", "--frames", "-3"], "--frames must be >= 1, got -3"),
    ("record_loopback", ["{out}/r", "--frames", "2.5"], "--frames must be a whole number"),
    ("record_loopback", ["{out}/r", "--snr", "nan"], "--snr must be a finite number"),
    ("record_loopback", ["{out}/r", "--snr", "inf"], "--snr must be a finite number"),
    ("record_loopback", ["{out}/r", "--nt", "0"], "--nt must be >= 1"),
    ("record_loopback", ["{out}/r", "--nt", "4", "--nr", "2"], "--nr 2 is below --nt 4"),
    ("record_loopback", ["{out}/r", "--seed", "-1"], "--seed must be >= 0"),
    ("record_loopback", ["{out}/none/r"], "does not exist"),
    ("record_loopback", ["{d}/afile/r"], "is not a directory"),
    ("record_loopback", ["{out}/"], "names a directory"),
    # demo
    ("demo", ["--frames", "0"], "--frames must be >= 1, got 0"),
    ("demo", ["--vectors", "0"], "--vectors must be >= 1, got 0"),
    ("demo", ["--vectors", "-1000"], "--vectors must be >= 1"),
    ("demo", ["--snr", "nan"], "--snr must be a finite number"),
    ("demo", ["--mimo-snr", "10", "inf"], "--mimo-snr must be a finite number"),
    ("demo", ["--snr"], "--snr: expected at least one argument"),
    ("demo", ["--seed", "x"], "--seed must be an integer, got 'x'"),
    # eval
    ("eval", EVAL + ["--batch", "0", "--out", "{out}/x"], "--batch must be >= 1, got 0"),
    ("eval", EVAL + ["--batch", "-5", "--out", "{out}/x"], "--batch must be >= 1"),
    ("eval", EVAL + ["--target-errors", "0", "--out", "{out}/x"], "--target-errors must be >= 1"),
    ("eval", EVAL + ["--max-vectors", "nan", "--out", "{out}/x"], "--max-vectors must be a whole number"),
    ("eval", EVAL + ["--max-vectors", "inf", "--out", "{out}/x"], "--max-vectors must be a whole number"),
    ("eval", EVAL + ["--max-vectors", "0", "--out", "{out}/x"], "--max-vectors must be >= 1"),
    ("eval", EVAL + ["--snr", "10:2:0", "--out", "{out}/x"], "is empty: start 10 > stop 0"),
    ("eval", EVAL + ["--snr", "0:0:10", "--out", "{out}/x"], "the step must be > 0"),
    ("eval", EVAL + ["--snr", "0:-2:10", "--out", "{out}/x"], "the step must be > 0"),
    ("eval", EVAL + ["--snr", "nan", "--out", "{out}/x"], "--snr must be a finite number"),
    ("eval", EVAL + ["--snr", "0,,5", "--out", "{out}/x"], "nor a comma list"),
    ("eval", EVAL + ["--csi-error", "-1", "--out", "{out}/x"], "--csi-error must be >= 0"),
    ("eval", EVAL + ["--nt", "0", "--out", "{out}/x"], "--nt must be >= 1"),
    ("eval", EVAL + ["--device", "gpu", "--out", "{out}/x"], "--device must be cpu, cuda or cuda:N"),
    ("eval", EVAL + ["--out", "{out}/none/x"], "does not exist"),
    ("eval", EVAL + ["--out", "{d}/afile/x"], "is not a directory"),
    ("eval", EVAL + ["--out", "{out}/"], "names a directory"),
    ("eval", ["--detectors", "nosuch"] + EVAL[2:] + ["--out", "{out}/x"], "'nosuch' is not a detector"),
    ("eval", ["--detectors", "kbest:k=0"] + EVAL[2:] + ["--out", "{out}/x"], "k: expected an integer >= 1"),
    ("eval", ["--detectors", "cg:iterations=x"] + EVAL[2:] + ["--out", "{out}/x"], "--detectors 'cg:iterations=x': "),
    ("eval", ["--detectors", "lmmse:foo=1"] + EVAL[2:] + ["--out", "{out}/x"], "unexpected keyword argument 'foo'"),
    ("eval", ["--detectors", "{d}/text.onnx"] + EVAL[2:] + ["--out", "{out}/x"], "onnxruntime cannot load"),
    ("eval", ["--detectors", "{d}/missing.onnx"] + EVAL[2:] + ["--out", "{out}/x"], "missing.onnx"),
    ("eval", EVAL + ["--constellation", "qam7", "--out", "{out}/x"], "'qam7' is not one of"),
    ("eval", EVAL + ["--channel", "nosuch", "--out", "{out}/x"], "unknown channel name 'nosuch'"),
    ("eval", EVAL + ["--snr-convention", "nosuch", "--out", "{out}/x"], "'nosuch' is not one of"),
    ("eval", EVAL[:-1], "the following arguments are required: --out (see --help)"),
    # export
    ("export", FAMILY + ["--nt", "0", "--out", "{out}/m.onnx"], "--nt must be >= 1, got 0"),
    ("export", FAMILY + ["--opset", "0", "--out", "{out}/m.onnx"], "--opset must be in [1,"),
    # fails mid-run, after the export: the down-conversion to opset 1 fails and nothing is left
    ("export", FAMILY + ["--opset", "1", "--out", "{out}/m.onnx"], "could not be converted to opset 1"),
    ("export", FAMILY + ["--out", "{out}/none/m.onnx"], "does not exist"),
    ("export", FAMILY + ["--out", "{d}/adir"], "is a directory, not a file name"),
    ("export", FAMILY + ["--out", "{out}/m.txt"], "must end in .onnx"),
    ("export", ["lmmse", "--nt", "2", "--out", "{out}/m.onnx"], "family 'lmmse' needs --nr, --constellation"),
    ("export", ["{d}/bad.pt", "--out", "{out}/m.onnx"], "cannot be read as a torch checkpoint"),
    ("export", ["{d}/dict.pt", "--out", "{out}/m.onnx"], "is not a neuralmimo training checkpoint"),
    ("export", ["{d}/missing.pt", "--out", "{out}/m.onnx"], "missing.pt' not found"),
    ("export", ["{d}/bad.pt", "--nt", "2", "--out", "{out}/m.onnx"], "--nt: not used with a checkpoint"),
    ("export", ["nosuch", "--out", "{out}/m.onnx"], "is neither a checkpoint file (.pt) nor a family"),
    # train
    ("train", ["{d}/unknown.toml", "--out", "{out}/run"], "data.bogus: unknown key"),
    ("train", ["{d}/wrongtype.toml", "--out", "{out}/run"], "data.batch: 'many' is not an integer"),
    ("train", ["{d}/missing.toml", "--out", "{out}/run"], "missing.toml' not found"),
    ("train", ["{d}/text.onnx", "--out", "{out}/run"], "is not valid TOML"),
    ("train", [str(TOY), "--out", "{d}/afile"], "--out '{d}/afile' is a file, not a directory"),
    ("train", [str(TOY), "--out", "{d}/afile/run"], "is not a directory"),
    ("train", [str(TOY), "--out", "{out}/run", "--stop-after", "0"], "--stop-after must be >= 1"),
    ("train", [str(TOY), "--out", "{out}/run", "--set", "train.steps_per_epoch=0"], "train.steps_per_epoch"),
    ("train", [str(TOY), "--out", "{out}/run", "--set", "data.batch=-1"], "data.batch"),
    ("train", [str(TOY), "--out", "{out}/run", "--set", "nokey"], "--set: 'nokey'"),
    ("train", [str(TOY), "--out", "{out}/run", "--resume"], "--resume: no checkpoint"),
    # replay
    ("replay", ["{d}/missing.sigmf-meta"], "metadata file not found"),
    ("replay", ["{d}/notmeta.sigmf-meta"], "not valid SigMF metadata"),
    ("replay", ["{d}/adir"], "is a directory, not a recording"),
    ("replay", [str(FIXTURE), "--max-frames", "0"], "--max-frames must be >= 1, got 0"),
    ("replay", [str(FIXTURE), "--threads", "0"], "--threads must be >= 1"),
    ("replay", [str(FIXTURE), "--show-frames", "-1"], "--show-frames must be >= 0"),
    ("replay", [str(FIXTURE), "--threshold", "nan"], "--threshold must be a finite number"),
    ("replay", [str(FIXTURE), "--threshold", "1.5"], "threshold must be in (0, 1)"),
    ("replay", [str(FIXTURE), "--detector", "nosuch"], "'nosuch' is not a detector"),
    ("replay", [str(FIXTURE), "--detector", "{d}/text.onnx"], "onnxruntime cannot load"),
    ("replay", [str(FIXTURE), "--csv", "{d}/adir"], "is a directory, not a file name"),
    ("replay", [str(FIXTURE), "--csv", "{out}/none/x.csv"], "does not exist"),
    # reproduce
    ("reproduce", ["nosuch"], "task: invalid choice: 'nosuch'"),
    ("reproduce", ["detnet-baselines", "--out", "{d}/afile"], "is a file, not a directory"),
    ("reproduce", ["detnet-baselines", "--out", "{d}/afile/figs"], "is not a directory"),
    # bench
    ("bench", ["--items", "0"], "--items must be >= 1, got 0"),
    ("bench", ["--batch", "-1"], "--batch must be >= 1"),
    ("bench", ["detectors", "--batch", "0"], "--batch must be >= 1"),
    ("bench", ["cg", "--hold", "0"], "--hold must be >= 1"),
    ("bench", ["cg", "--min-time", "nan"], "--min-time must be a finite number"),
    ("bench", ["cg", "--kernel-bench", "{d}/missing"], "missing' not found"),
    ("bench", ["ofdm", "--samples", "0"], "--samples must be >= 1"),
    ("bench", ["ofdm", "--rate", "-1"], "--rate must be > 0"),
    # cost
    ("cost", ["{d}/text.onnx"], "'{d}/text.onnx' cannot be read as an ONNX model"),
    ("cost", ["{d}/missing.onnx"], "missing.onnx' not found"),
    ("cost", [str(ROOT / "models/lmmse_qam16_4x4.onnx"), "--batch", "0"], "--batch must be >= 1, got 0"),
    # ofdm_figures
    ("ofdm_figures", ["--backend", "gpu"], "--backend: invalid choice: 'gpu'"),
]

# The real entry points, end to end: exit status and no traceback. The first two ran without end.
SUBPROCESS_CASES = [
    ("record_loopback", ["{out}/r", "--frames", "0"], "record_loopback: --frames must be >= 1, got 0"),
    ("eval", EVAL + ["--batch", "0", "--out", "{out}/x"], "eval: --batch must be >= 1, got 0"),
    ("export", ["{d}/text.onnx", "--out", "{out}/m.onnx"], "cannot be read as a torch checkpoint"),
    ("train", [str(TOY), "--out", "{d}/afile"], "is a file, not a directory"),
    ("replay", [str(FIXTURE), "--csv", "{d}/adir"], "is a directory, not a file name"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Files of the wrong kind: a text file as .onnx, JSON that is no SigMF, text and a plain dict
    as .pt, TOML configs with an unknown key and with a wrong type; a file and a folder."""
    import torch

    d = tmp_path_factory.mktemp("inputs")
    (d / "text.onnx").write_text("not a model\n")
    (d / "notmeta.sigmf-meta").write_text('{"a": 1}\n')
    (d / "notmeta.sigmf-data").write_bytes(b"")
    (d / "bad.pt").write_text("hello\n")
    torch.save({"a": 1}, d / "dict.pt")
    toy = TOY.read_text()
    assert "batch = 256" in toy
    (d / "unknown.toml").write_text(toy.replace("batch = 256", "batch = 256\nbogus = 1"))
    (d / "wrongtype.toml").write_text(toy.replace("batch = 256", 'batch = "many"'))
    (d / "afile").write_text("")
    (d / "adir").mkdir()
    return d


def _argv(argv, d, out):
    return [a.format(d=d, out=out) for a in argv]


def _listing(*folders):
    return {f: sorted(p.name for p in Path(f).rglob("*")) for f in folders}


@pytest.mark.parametrize("command,argv,fragment", CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_bad_argument_is_one_line_and_exit_2(command, argv, fragment, inputs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)          # a command that wrote to a default place would write here
    before = _listing(inputs, tmp_path)
    main = importlib.import_module(f"neuralmimo.cli.{command}").main
    rc = main(_argv(argv, inputs, out))
    cap = capsys.readouterr()
    lines = cap.err.splitlines()
    assert rc == 2, (rc, cap.err)
    assert len(lines) == 1, cap.err
    assert lines[0].startswith(f"{command}: "), lines[0]
    assert fragment.format(d=inputs) in lines[0], lines[0]
    assert "Traceback" not in cap.err + cap.out
    assert _listing(inputs, tmp_path) == before      # nothing written, nothing left half-written


@pytest.mark.parametrize("command,argv,fragment", SUBPROCESS_CASES,
                         ids=["record_loopback-frames-0-recorded-without-end", "eval-batch-0-looped-forever",
                              "export-text-file-as-checkpoint", "train-out-is-a-file", "replay-csv-is-a-directory"])
def test_entry_point_exit_status_2_without_traceback(command, argv, fragment, inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "python"),
                                                                    os.environ.get("PYTHONPATH")])))
    try:
        res = subprocess.run([sys.executable, "-m", f"neuralmimo.cli.{command}", *_argv(argv, inputs, out)],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command} {argv} still running after 120 s (it used to run without end)")
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [res.stderr.strip()] and fragment in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert list(out.iterdir()) == []


def test_unwritable_output_directory(tmp_path, monkeypatch, capsys):
    """A directory without write permission (simulated: the tests may run as root, for whom
    every directory is writable) is refused before any work."""
    from neuralmimo.cli import eval as eval_cli, replay as replay_cli

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == tmp_path else real(p, mode, **kw))
    assert eval_cli.main(EVAL + ["--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"directory '{tmp_path}' is not writable")
    assert replay_cli.main([str(FIXTURE), "--csv", str(tmp_path / "x.csv")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"directory '{tmp_path}' is not writable")
    assert list(tmp_path.iterdir()) == []


def test_record_refuses_zero_frames_before_any_work(tmp_path):
    """record() itself (the library path of record_loopback, also used by the QA tests): 0 frames
    meant a frame source without end and a recording that grew without limit."""
    from neuralmimo.cli.record_loopback import record

    with pytest.raises(ValueError, match="--frames must be >= 1, got 0"):
        record(tmp_path / "r", frames=0)
    assert list(tmp_path.iterdir()) == []


def test_eval_config_refuses_a_batch_of_zero():
    """EvalConfig (the library path of cli.eval): batch 0 made run_eval loop without end."""
    from neuralmimo.eval import EvalConfig

    with pytest.raises(ValueError, match="batch must be a whole number >= 1, got 0"):
        EvalConfig(nt=2, nr=2, constellation="qpsk", snr_db=[10.0], batch=0)
    with pytest.raises(ValueError, match="snr_db must be a non-empty list"):
        EvalConfig(nt=2, nr=2, constellation="qpsk", snr_db=[])
    with pytest.raises(ValueError, match="csi_error_var must be finite and >= 0"):
        EvalConfig(nt=2, nr=2, constellation="qpsk", snr_db=[1.0], csi_error_var=-1.0)


def test_failed_output_is_not_left_half_written(tmp_path):
    """staged(): files written inside the block appear only when it ends normally; an exception
    removes them and the folders it made."""
    from neuralmimo.cli.args import staged

    target = tmp_path / "a" / "b"
    with pytest.raises(KeyboardInterrupt):
        with staged(target) as stage:
            (stage / "x.csv").write_text("partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.csv").write_text("old")
    with staged(tmp_path / "c") as stage:
        (stage / "x.csv").write_text("new")
        assert (tmp_path / "c" / "x.csv").read_text() == "old"
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["x.csv"]
    assert (tmp_path / "c" / "x.csv").read_text() == "new"
    for text in ("old", "new"):          # a directory output (a model's .codec/) replaces the old one
        with staged(tmp_path / "c") as stage:
            (stage / "m.codec").mkdir()
            (stage / "m.codec" / f"{text}.onnx").write_text(text)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["m.codec", "x.csv"]
    assert [p.name for p in (tmp_path / "c" / "m.codec").iterdir()] == ["new.onnx"]


def test_snr_range_points():
    from neuralmimo.cli.args import snr_range

    assert snr_range("0:2:6") == [0.0, 2.0, 4.0, 6.0]
    assert snr_range("0:0.1:0.3") == [0.0, 0.1, 0.2, 0.3]     # float steps keep the stop point
    assert snr_range("5:1:5") == [5.0]
    assert snr_range("-3,7.5") == [-3.0, 7.5]


def test_demo_claim_checks():
    """The demo's verdicts from its counts: the reported case (a Python block dropping the last
    partial batch: 768 of 1,000 vectors counted) fails on the bit count; equal detectors pass;
    a BER difference beyond sampling noise fails."""
    from neuralmimo.cli.demo import Z_EQUAL_BER, ber_z, check_loopback, check_ofdm

    sent = 1000 * 16
    dropped = {"ber_onnx": (541 / 12288, 541, 12288), "ber_cpp": (694 / sent, 694, sent),
               "ber_numpy": (694 / sent, 694, sent)}
    failed = check_loopback(dropped, sent)
    assert failed == ["ber_onnx counted 12288 of the 16000 bits sent"]
    equal = {"a": (0, 694, sent), "b": (0, 690, sent), "c": (0, 701, sent)}
    assert check_loopback(equal, sent) == []
    apart = {"a": (0, 694, sent), "b": (0, 541, sent)}
    assert abs(ber_z(694, 541, sent)) > Z_EQUAL_BER
    assert len(check_loopback(apart, sent)) == 1
    assert ber_z(0, 0, sent) == 0.0
    ok = {"frames": 5, "bits": 5 * 4608}
    assert check_ofdm({"a": ok, "b": dict(ok), "c": dict(ok)}, 5) == []
    assert len(check_ofdm({"a": ok, "b": {"frames": 4, "bits": 4 * 4608}}, 5)) == 1
