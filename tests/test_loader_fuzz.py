# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzzing of the file readers: the SigMF reader (recording.py, recording_fields.py and the replay
behind it) and the model loaders (manifest.py, nm.detector on .onnx and .pt files with their .json
manifests).

Property: whatever the bytes or the JSON structure, a reader either loads cleanly or raises
ValueError with a message; never another exception type. (A hang or a crash of the process would
stop the run itself.) Inputs are mutations of the shipped files (tests/data/ofdm_loopback_2x2.*,
models/lmmse_qam16_4x4.*, a small trainer checkpoint made here) and arbitrary JSON documents.

Bounded for `make test` (derandomize=True: the same examples every run, under 10 s in all on 2 cores);
`make fuzz-py` sets NEURALMIMO_FUZZ_EXAMPLES for many more. Inputs that found a problem are
explicit regression cases at the end of this file.
"""
import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import neuralmimo as nm  # noqa: E402
from neuralmimo.manifest import read_manifest, validate_manifest  # noqa: E402
from neuralmimo.paths import fixture_path, model_path  # noqa: E402
from neuralmimo.recording import Recording  # noqa: E402

#: Examples per fuzz test: a small fixed set in `make test`, more through the environment.
EXAMPLES = int(os.environ.get("NEURALMIMO_FUZZ_EXAMPLES", "0")) or None


def fuzz(default: int):
    return settings(max_examples=EXAMPLES or default, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def loads_or_value_error(fn, *args, **kwargs):
    """fn(*args, **kwargs) -> its result, or None after a ValueError with a message; any other
    exception propagates (and fails the property)."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        assert str(exc).strip(), "a ValueError without a message"
        return None


# --- strategies ------------------------------------------------------------------------------
json_scalars = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
                | st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 62, -(2 ** 62), 2 ** 64, 1e308, "", "qam16", "time"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def paths_of(doc, prefix=()):
    """Every path (tuple of keys / indices) in a JSON document, the root excluded."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        out.append(prefix + (k,))
        out += paths_of(v, prefix + (k,))
    return out


def mutate_doc(doc, edits):
    """A copy of doc with each (path, value) edit applied (value DELETE removes the entry)."""
    doc = json.loads(json.dumps(doc))
    for path, value in edits:
        node = doc
        try:
            for k in path[:-1]:
                node = node[k]
            if value is DELETE:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):       # an earlier edit changed the shape
            pass
    return doc


DELETE = object()


def doc_edits(doc):
    return st.lists(st.tuples(st.sampled_from(paths_of(doc)), json_values | st.just(DELETE)),
                    min_size=1, max_size=3)


byte_edits = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete"]),
                                st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8)


def mutate_bytes(raw: bytes, edits) -> bytes:
    b = bytearray(raw)
    for kind, where, value in edits:
        i = int(where * max(len(b), 1))
        if kind == "insert" or not b:
            b[i:i] = bytes([value])
        elif kind == "delete":
            del b[i]
        elif kind == "flip":
            b[i] ^= 1 << (value % 8)
        else:
            b[i] = value
    return bytes(b)


# --- (a) the SigMF reader --------------------------------------------------------------------
SHIPPED_META = Path(fixture_path("ofdm_loopback_2x2.sigmf-meta"))
SHIPPED_DATA = SHIPPED_META.with_suffix(".sigmf-data")
META_DOC = json.loads(SHIPPED_META.read_text())
LIVE = json.loads(SHIPPED_META.with_name("ofdm_loopback_2x2.live.json").read_text())
FRAME_LEN = 1460
LIVE_STARTS = [9, 1469, 2929, 4389, 5849, 7309]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with a copy of the shipped recording (rec.*), rewritten by each example."""
    d = tmp_path_factory.mktemp("fuzz")
    shutil.copy(SHIPPED_DATA, d / "rec.sigmf-data")
    shutil.copy(SHIPPED_META, d / "rec.sigmf-meta")
    return d


def open_and_use(meta_path):
    """Recording.open with the frame configuration rebuilt, then what a replay reads of it."""
    from neuralmimo.phy.ofdm import OfdmConfig

    rec = Recording.open(meta_path, config_from_dict=OfdmConfig.from_dict)
    rec.config()
    (rec.sample_rate, rec.center_freq, rec.gains, rec.extra, rec.hw, rec.description, repr(rec))
    for chunk in rec.iter_chunks(4096):
        chunk.sum()
    return rec


@fuzz(60)
@given(edits=doc_edits(META_DOC))
def test_sigmf_meta_structure(work, edits):
    """The shipped metadata with up to 3 values replaced by arbitrary JSON (or removed)."""
    shutil.copy(SHIPPED_DATA, work / "rec.sigmf-data")
    (work / "rec.sigmf-meta").write_text(json.dumps(mutate_doc(META_DOC, edits)))
    loads_or_value_error(open_and_use, work / "rec.sigmf-meta")


@fuzz(40)
@given(doc=json_values)
def test_sigmf_meta_arbitrary_json(work, doc):
    shutil.copy(SHIPPED_DATA, work / "rec.sigmf-data")
    (work / "rec.sigmf-meta").write_text(json.dumps(doc))
    assert loads_or_value_error(open_and_use, work / "rec.sigmf-meta") is None


@fuzz(60)
@given(edits=byte_edits)
def test_sigmf_meta_bytes(work, edits):
    shutil.copy(SHIPPED_DATA, work / "rec.sigmf-data")
    (work / "rec.sigmf-meta").write_bytes(mutate_bytes(SHIPPED_META.read_bytes(), edits))
    loads_or_value_error(open_and_use, work / "rec.sigmf-meta")


SAMPLES = SHIPPED_DATA.stat().st_size // 8


@fuzz(25)
@given(size=st.one_of(st.just(None), st.integers(0, SHIPPED_DATA.stat().st_size + 64)),
       floats=st.lists(st.tuples(st.integers(0, 2 * SAMPLES - 1), st.integers(0, 2 ** 32 - 1)), max_size=12),
       keep_count=st.booleans())
def test_sigmf_data_through_the_replay(work, size, floats, keep_count):
    """Samples overwritten with arbitrary float32 bit patterns (NaN, Inf, 3e38, denormals), the
    file cut or extended: the replay finishes or refuses the file; frames far from the damage
    still decode to the live bits."""
    from neuralmimo.cli.replay import replay

    x = np.fromfile(SHIPPED_DATA, "<f4")
    bits = x.view("<u4")
    for i, pattern in floats:
        bits[i] = pattern
    raw = x.tobytes()
    raw = raw if size is None else (raw + bytes(range(64)))[:size]
    (work / "rec.sigmf-data").write_bytes(raw)
    meta = json.loads(json.dumps(META_DOC))
    meta["global"].pop("core:sha512")
    if not keep_count:
        meta["global"].pop("neuralmimo:sample_count")
    (work / "rec.sigmf-meta").write_text(json.dumps(meta))
    res = loads_or_value_error(replay, work / "rec.sigmf-meta", ["zf"], backend="numpy")
    if res is None:
        assert size is not None and size != len(x) * 4, "an intact-length file was refused"
        return
    # Sample index of each damaged float (2 channels x re/im), and where a cut file ends.
    hit = [i // 4 for i, _ in floats] + ([min(size, len(x) * 4) // 16] if size is not None else [])
    first, last = (min(hit), max(hit)) if hit else (SAMPLES, -1)
    got = dict(zip((f["start"] for f in res["frames"]), res["checkers"]["zf"].decoded))
    for k, s in enumerate(LIVE_STARTS):
        if s + FRAME_LEN <= first or (s >= last + 2 * FRAME_LEN and s + FRAME_LEN <= len(raw) // 16):
            assert got[s].tobytes().hex() == LIVE["detectors"]["zf"]["frames"][k], (k, s)


# --- (b) the model and manifest loaders ------------------------------------------------------
SHIPPED_MODEL = Path(model_path("lmmse_qam16_4x4.onnx"))
MANIFEST_DOC = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    shutil.copy(SHIPPED_MODEL, d / "m.onnx")
    shutil.copy(SHIPPED_MODEL.with_suffix(".json"), d / "m.json")
    return d


def load_and_run(path):
    """nm.detector(path) and one call on a 4x4 system (the model's contract size when it loads)."""
    det = nm.detector(str(path))
    nt, nr = getattr(det, "nt", 4), getattr(det, "nr", 4)
    rng = np.random.default_rng(0)
    y = (rng.standard_normal((3, nr)) + 1j * rng.standard_normal((3, nr))).astype(np.complex64)
    h = (rng.standard_normal((3, nr, nt)) + 1j * rng.standard_normal((3, nr, nt))).astype(np.complex64)
    out = det(y, h, np.full(3, 0.1, np.float32))
    if out.llr is not None:
        assert np.isfinite(np.asarray(out.llr)).all()
    return det


@fuzz(40)
@given(edits=doc_edits(MANIFEST_DOC))
def test_manifest_structure(model_dir, edits):
    shutil.copy(SHIPPED_MODEL, model_dir / "m.onnx")
    (model_dir / "m.json").write_text(json.dumps(mutate_doc(MANIFEST_DOC, edits)))
    loads_or_value_error(load_and_run, model_dir / "m.onnx")


@fuzz(40)
@given(doc=json_values)
def test_manifest_arbitrary_json(model_dir, doc):
    shutil.copy(SHIPPED_MODEL, model_dir / "m.onnx")
    (model_dir / "m.json").write_text(json.dumps(doc))
    loads_or_value_error(load_and_run, model_dir / "m.onnx")
    loads_or_value_error(validate_manifest, doc if isinstance(doc, dict) else {"x": doc}, "fuzz")


@fuzz(40)
@given(edits=byte_edits)
def test_manifest_bytes(model_dir, edits):
    shutil.copy(SHIPPED_MODEL, model_dir / "m.onnx")
    (model_dir / "m.json").write_bytes(mutate_bytes(SHIPPED_MODEL.with_suffix(".json").read_bytes(), edits))
    loads_or_value_error(read_manifest, model_dir / "m.onnx")
    loads_or_value_error(load_and_run, model_dir / "m.onnx")


@fuzz(40)
@given(edits=byte_edits, keep_manifest=st.booleans())
def test_onnx_model_bytes(model_dir, edits, keep_manifest):
    """Mutated bytes of the shipped model, with its manifest beside it or only its metadata_props."""
    (model_dir / "m.onnx").write_bytes(mutate_bytes(SHIPPED_MODEL.read_bytes(), edits))
    if keep_manifest:
        shutil.copy(SHIPPED_MODEL.with_suffix(".json"), model_dir / "m.json")
    else:
        (model_dir / "m.json").unlink(missing_ok=True)
    loads_or_value_error(load_and_run, model_dir / "m.onnx")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """(path, bytes, state) of a trainer checkpoint of a small LcgNet module (4x4 16-QAM)."""
    from neuralmimo.models import LcgNet
    from neuralmimo.train.checkpoint import save_checkpoint

    module = LcgNet(4, 4, "qam16")
    state = {"model_config": module.config(), "state_dict": module.state_dict(),
             "active_layers": module.active_layers, "settings": {}}
    path = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "final.pt", state)
    return path, path.read_bytes(), state


@fuzz(30)
@given(edits=byte_edits)
def test_checkpoint_bytes(checkpoint, edits):
    path, raw, _ = checkpoint
    path.write_bytes(mutate_bytes(raw, edits))
    loads_or_value_error(load_and_run, path)


@fuzz(30)
@given(config_edits=st.lists(st.tuples(st.sampled_from(["family", "nt", "nr", "constellation", "extra"]),
                                       json_values | st.just(DELETE)), min_size=1, max_size=3),
       top=st.sampled_from(["model_config", "state_dict", "active_layers", "settings", None]),
       top_value=json_values)
def test_checkpoint_structure(checkpoint, config_edits, top, top_value):
    """A checkpoint whose model_config holds arbitrary values, or whose other keys do."""
    from neuralmimo.train.checkpoint import save_checkpoint

    path, raw, state = checkpoint
    state = dict(state)
    cfg = dict(state["model_config"])
    for key, value in config_edits:
        if value is DELETE:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    state["model_config"] = cfg
    if top is not None:
        state[top] = top_value
    try:
        save_checkpoint(path, state)
    except (TypeError, ValueError, RuntimeError, OverflowError, pickle.PicklingError):
        return                        # torch cannot save it: nothing to read
    loads_or_value_error(load_and_run, path)


# --- regression cases: inputs the fuzzers found problems with --------------------------------
def test_regression_truncated_data_keeps_the_frames_before_the_cut(work):
    """Found by test_sigmf_data_through_the_replay (a test bug then: the cut was placed in bytes/8,
    not samples): a data file cut to 12,624 bytes (789 samples, inside the first frame) without a
    declared sample count replays to no frame at all, cleanly."""
    test_sigmf_data_through_the_replay.hypothesis.inner_test(work, size=12624, floats=[], keep_count=False)


@pytest.mark.parametrize("outputs", [1, "llr", None, [], ["llr", "llr"], [1], {"llr": 1}])
def test_regression_manifest_outputs_of_the_wrong_type(model_dir, outputs):
    """outputs = 1 raised TypeError ('int' object is not iterable) from validate_manifest."""
    shutil.copy(SHIPPED_MODEL, model_dir / "m.onnx")
    (model_dir / "m.json").write_text(json.dumps(dict(MANIFEST_DOC, outputs=outputs)))
    with pytest.raises(ValueError, match="manifest outputs must be"):
        nm.detector(str(model_dir / "m.onnx"))


@pytest.mark.parametrize("key,value", [("nt", 2 ** 62), ("nt", True), ("nr", -4), ("constellation", 16),
                                       ("family", None), ("manifest_version", True), ("snr_convention", [])])
def test_regression_manifest_values_of_the_wrong_type_or_range(model_dir, key, value):
    shutil.copy(SHIPPED_MODEL, model_dir / "m.onnx")
    (model_dir / "m.json").write_text(json.dumps(dict(MANIFEST_DOC, **{key: value})))
    with pytest.raises(ValueError, match=key):
        nm.detector(str(model_dir / "m.onnx"))


def test_regression_damaged_graph_is_refused_at_load(model_dir):
    """A graph onnxruntime parses, with the right interface, whose body fails at the first
    inference: found by mutating one byte of the shipped model (a constant's shape; onnxruntime's
    own exception escaped from the first call). Rebuilt here without byte offsets, which move with
    every re-export: the first Reshape whose target shape is a constant [-1, n] gets [-1, 3n]. The
    load-time test inference refuses it with a ValueError naming the file."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(SHIPPED_MODEL))
    consts = {init.name: init for init in graph.graph.initializer}
    target = next(consts[node.input[1]] for node in graph.graph.node
                  if node.op_type == "Reshape" and node.input[1] in consts
                  and numpy_helper.to_array(consts[node.input[1]])[-1] > 1)
    shape = numpy_helper.to_array(target).copy()
    shape[-1] *= 3
    target.CopyFrom(numpy_helper.from_array(shape, target.name))
    onnx.save(graph, str(model_dir / "m.onnx"))
    (model_dir / "m.json").unlink(missing_ok=True)
    with pytest.raises(ValueError, match="m.onnx loads but fails on a test input"):
        nm.detector(str(model_dir / "m.onnx"))


@pytest.mark.parametrize("cfg_key,value", [("nt", None), ("family", []), ("nt", "four")])
def test_regression_checkpoint_with_wrong_types(checkpoint, cfg_key, value):
    """model_config entries of the wrong type raised TypeError (unhashable list, int(None)) and a
    missing model_config AttributeError from model_from_checkpoint."""
    from neuralmimo.train.checkpoint import save_checkpoint

    path, _, state = checkpoint
    save_checkpoint(path, dict(state, model_config=dict(state["model_config"], **{cfg_key: value})))
    with pytest.raises(ValueError, match="checkpoint"):
        nm.detector(str(path))
    save_checkpoint(path, dict(state, model_config=None))
    with pytest.raises(ValueError, match="model_config"):
        nm.detector(str(path))
    save_checkpoint(path, dict(state, state_dict=None))
    with pytest.raises(ValueError, match="cannot rebuild"):
        nm.detector(str(path))
