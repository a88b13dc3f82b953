# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SigMF recordings: round trip, accepted by sigmf's own reader, and every refusal with its reason."""
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest
import sigmf

from neuralmimo.recording import Recording, check_channels, write_meta


@dataclass
class FakeConfig:
    """Stands in for the OFDM frame configuration: .nr, .nt, .to_dict(), from_dict()."""
    nt: int = 2
    nr: int = 4
    fft_size: int = 64

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def make(tmp_path, nr=4, n=257, cfg=None, **kw):
    """Random complex64[n, nr] recording at tmp_path/rec; returns (base, samples)."""
    cfg = cfg or FakeConfig(nr=nr)
    base = tmp_path / "rec"
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((n, nr)) + 1j * rng.standard_normal((n, nr))).astype(np.complex64)
    x.astype("<c8").tofile(base.with_suffix(".sigmf-data"))
    args = dict(sample_rate=1.92e6, center_freq=2.45e9, num_channels=nr, config_dict=cfg.to_dict(),
                gains=[10.0, 11.5, 12.0, 13.0][:nr], hw="2x B210", description="bench test",
                extra={"snr_db": 20.0, "tx": {"nt": 2}}, sample_count=n, datetime_utc="2026-01-02T03:04:05.000Z")
    args.update(kw)
    write_meta(base, **args)
    return base, x


def edit_meta(base, fn):
    meta_path = base.with_suffix(".sigmf-meta")
    meta = json.loads(meta_path.read_text())
    fn(meta)
    meta_path.write_text(json.dumps(meta))


def refused(path, *words, **kw):
    with pytest.raises(ValueError) as err:
        Recording.open(path, **kw)
    for w in words:
        assert w in str(err.value), str(err.value)
    return str(err.value)


def test_round_trip(tmp_path):
    base, x = make(tmp_path)
    for p in (base, base.with_suffix(".sigmf-meta"), base.with_suffix(".sigmf-data")):
        rec = Recording.open(p, config_from_dict=FakeConfig.from_dict)
        assert rec.sample_count == len(rec) == 257 and rec.num_channels == 4
        np.testing.assert_array_equal(rec.samples(), x)
    assert rec.samples().dtype == np.complex64 and rec.samples().shape == (257, 4)
    np.testing.assert_array_equal(rec.samples(100, 7), x[100:107])
    assert rec.samples(257).shape == (0, 4)
    np.testing.assert_array_equal(np.concatenate(list(rec.iter_chunks(50))), x)
    assert [c.shape[0] for c in rec.iter_chunks(100)] == [100, 100, 57]
    assert rec.sample_rate == 1.92e6 and rec.center_freq == 2.45e9
    assert rec.config_dict == {"nt": 2, "nr": 4, "fft_size": 64}
    assert rec.config(FakeConfig.from_dict) == FakeConfig(nr=4)
    assert rec.gains == [10.0, 11.5, 12.0, 13.0]
    assert rec.hw == "2x B210" and rec.description == "bench test"
    assert rec.extra == {"snr_db": 20.0, "tx": {"nt": 2}}
    assert rec.datetime == "2026-01-02T03:04:05.000Z"
    g = rec.meta["global"]
    assert g["core:datatype"] == "cf32_le" and g["core:recorder"] == "gr-neuralmimo"
    assert g["core:version"] == sigmf.__specification__
    assert {"name": "neuralmimo", "version": "1.0.0", "optional": False} in g["core:extensions"]
    check_channels(rec, 4)
    with pytest.raises(ValueError, match="4 channels.*nr = 2"):
        check_channels(rec, 2)
    with pytest.raises(ValueError, match="past the end"):
        rec.samples(250, 10)


def test_sigmf_reads_what_we_write(tmp_path):
    base, x = make(tmp_path, nr=2)
    f = sigmf.sigmffile.fromfile(str(base.with_suffix(".sigmf-meta")))  # checks core:sha512 too
    f.validate()
    assert f.num_channels == 2
    np.testing.assert_array_equal(f.read_samples(), x)


def test_meta_without_count_has_no_hash(tmp_path):
    """A recording still being written: no count, no sha512, still readable."""
    base, x = make(tmp_path, sample_count=None, gains=None, extra=None)
    g = json.loads(base.with_suffix(".sigmf-meta").read_text())["global"]
    assert "core:sha512" not in g and "neuralmimo:sample_count" not in g
    rec = Recording.open(base)
    assert rec.sample_count == 257 and rec.gains is None and rec.extra == {}


def test_write_meta_refusals(tmp_path):
    with pytest.raises(ValueError, match="2 values for 4 channels"):
        make(tmp_path, gains=[1.0, 2.0])
    with pytest.raises(ValueError, match="expected"):
        make(tmp_path, sample_count=300)
    with pytest.raises(ValueError, match="SigMF schema"):
        make(tmp_path, sample_rate=-1.0)
    with pytest.raises(ValueError, match="reserved"):
        make(tmp_path, extra={"ofdm": 1})


def test_truncated(tmp_path):
    base, _ = make(tmp_path)
    data = base.with_suffix(".sigmf-data")
    data.write_bytes(data.read_bytes()[:-5])  # cut off mid-sample
    refused(base, "truncated", "not a whole number", "rec.sigmf-data")
    data.write_bytes(data.read_bytes()[:-(32 - 5)])  # a whole number of samples, one fewer than declared
    refused(base, "truncated", "256 samples", "257")


def test_corrupted(tmp_path):
    base, _ = make(tmp_path)
    data = base.with_suffix(".sigmf-data")
    raw = bytearray(data.read_bytes())
    raw[1000] ^= 0x01
    data.write_bytes(bytes(raw))
    refused(base, "corrupted", "sha512", "rec.sigmf-data")
    assert Recording.open(base, verify=False).sample_count == 257


def test_wrong_datatype(tmp_path):
    base, _ = make(tmp_path)
    edit_meta(base, lambda m: m["global"].update({"core:datatype": "ci16_le"}))
    refused(base, "datatype", "ci16_le", "cf32_le", "rec.sigmf-meta")


def test_channels_disagree_with_config(tmp_path):
    base, _ = make(tmp_path, nr=2, cfg=FakeConfig(nr=4))
    refused(base, "recording has 2 channels but its frame configuration says nr = 4")
    refused(base, "nr = 4", config_from_dict=FakeConfig.from_dict)


def test_num_channels_missing(tmp_path):
    base, _ = make(tmp_path)
    edit_meta(base, lambda m: m["global"].pop("core:num_channels"))
    refused(base, "core:num_channels", "missing")


def test_missing_data_file(tmp_path):
    base, _ = make(tmp_path)
    base.with_suffix(".sigmf-data").unlink()
    refused(base, "data file", "missing", "rec.sigmf-data")
    refused(tmp_path / "nothing", "metadata file not found")


def test_malformed_json(tmp_path):
    base, _ = make(tmp_path)
    meta = base.with_suffix(".sigmf-meta")
    meta.write_text(meta.read_text()[:-20])
    refused(base, "malformed", "JSON", "rec.sigmf-meta")


def test_not_sigmf(tmp_path):
    base, _ = make(tmp_path)
    edit_meta(base, lambda m: m.pop("captures"))
    refused(base, "not valid SigMF", "captures")


def test_missing_or_malformed_ofdm(tmp_path):
    base, _ = make(tmp_path)
    edit_meta(base, lambda m: m["global"].pop("neuralmimo:ofdm"))
    refused(base, "neuralmimo:ofdm", "missing")
    edit_meta(base, lambda m: m["global"].update({"neuralmimo:ofdm": [1, 2]}))
    refused(base, "malformed neuralmimo:ofdm")
    edit_meta(base, lambda m: m["global"].update({"neuralmimo:ofdm": {"nt": 2}}))
    refused(base, "malformed neuralmimo:ofdm", "'nr'")
    edit_meta(base, lambda m: m["global"].update({"neuralmimo:ofdm": {"nr": 4, "bogus": 1}}))
    refused(base, "malformed neuralmimo:ofdm", "bogus", config_from_dict=FakeConfig.from_dict)


# --- corrupted samples: a lost frame, never an aborted replay ------------------------------
# The shipped loopback recording (2x2, 16-QAM, 6 frames of 1460 samples) copied into tmp_path
# and damaged in one frame; the replay must finish, the damaged frame be lost (not detected,
# dropped by the receiver, or failing its CRC) and every other frame decode to the live bits.
FIXTURE = "ofdm_loopback_2x2"
FRAME_STARTS = [9, 1469, 2929, 4389, 5849, 7309]     # where the receiver finds the 6 frames
HIT = 2                                               # the damaged frame


def _span(a, b, value):
    """Samples FRAME_STARTS[HIT] + a .. + b of both channels set to value."""
    def damage(x):
        x[FRAME_STARTS[HIT] + a:FRAME_STARTS[HIT] + b] = value
    return damage


def _one(offset, channel, value):
    def damage(x):
        x[FRAME_STARTS[HIT] + offset, channel] = value
    return damage


# name -> (damage, whether the damaged frame itself must be lost). Offsets inside a frame:
# preamble 0-79, training 80-399, data 400-1359, gap 1360-1459 (the next frame's preamble).
CORRUPTIONS = {
    "one NaN in the data": (_one(600, 0, np.nan), True),
    "NaN burst in the data": (_span(500, 700, np.nan), True),
    "+Inf in the data": (_one(600, 1, np.inf), True),
    "-Inf burst in the training": (_span(200, 210, -np.inf), True),
    "NaN in the preamble": (_span(10, 20, np.nan), False),    # zeroed: the frame survives
    "one 1e30 sample in the data": (_one(600, 0, 1e30), True),
    "1e30 burst in the data": (_span(500, 700, 1e30 + 1e30j), True),
    "1e30 burst in the training": (_span(200, 210, 1e30), True),  # σ̂² overflows: frame dropped
    "float32 max in the data": (_span(1300, 1310, 3.4e38), True),
    "1e30 burst in the gap": (_span(1380, 1385, 1e30), False),    # must not hide the next frame
    "NaN burst in the gap": (_span(1380, 1385, np.nan), False),
    "frame all zeros": (_span(0, 1360, 0), True),
    "frame of huge noise": (lambda x: x.__setitem__(slice(FRAME_STARTS[HIT], FRAME_STARTS[HIT] + 1360),
                                                     np.random.default_rng(3).standard_normal((1360, 2)) * 1e20),
                            True),
}


def damaged_copy(tmp_path, damage):
    """The shipped recording with damage(samples) applied, its sha512 removed; -> meta path."""
    from neuralmimo.paths import fixture_path

    src = Path(fixture_path(f"{FIXTURE}.sigmf-meta"))
    x = np.fromfile(src.with_suffix(".sigmf-data"), "<c8").reshape(-1, 2)
    with np.errstate(over="ignore", invalid="ignore"):
        damage(x)
    x.astype("<c8").tofile(tmp_path / f"{FIXTURE}.sigmf-data")
    meta = json.loads(src.read_text())
    meta["global"].pop("core:sha512")           # the damage is in the samples, not in transit
    (tmp_path / f"{FIXTURE}.sigmf-meta").write_text(json.dumps(meta))
    return tmp_path / f"{FIXTURE}.sigmf-meta"


def live_frames():
    from neuralmimo.paths import fixture_path

    return json.loads(Path(fixture_path(f"{FIXTURE}.live.json")).read_text())


def check_replay_of_damage(meta, name, must_lose, detectors, backend):
    """Replays meta with `backend`; asserts the table's promise and returns the replay result."""
    from neuralmimo.cli.replay import replay

    live = live_frames()
    res = replay(meta, detectors, backend=backend)
    starts = [f["start"] for f in res["frames"]]
    assert res["receiver"].backend == backend
    for spec in detectors:
        chk = res["checkers"][spec]
        got = dict(zip(starts, (b.tobytes().hex() for b in chk.decoded)))
        crc = dict(zip(starts, (r["crc_ok"] for r in chk.records)))
        for i, s in enumerate(FRAME_STARTS):
            if i == HIT:
                continue
            assert got.get(s) == live["detectors"][spec]["frames"][i], (name, spec, i)
        hit = FRAME_STARTS[HIT]
        if must_lose:
            assert hit not in got or not crc[hit], (name, spec)
        else:
            assert got.get(hit) == live["detectors"][spec]["frames"][HIT], (name, spec)
    return res


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_damaged_samples_lose_only_their_frame(tmp_path, name):
    damage, must_lose = CORRUPTIONS[name]
    res = check_replay_of_damage(damaged_copy(tmp_path, damage), name, must_lose, ["zf"], "numpy")
    rx = res["receiver"]
    n_bad = {"one NaN in the data": 1, "NaN burst in the data": 400, "+Inf in the data": 1,
             "-Inf burst in the training": 20, "NaN in the preamble": 20, "NaN burst in the gap": 10}
    assert rx.samples_invalid == n_bad.get(name, 0)
    # Overflowing estimates are dropped before any detector sees them.
    assert rx.frames_dropped == (name in ("1e30 burst in the training", "float32 max in the data"))
    assert res["erased"] == {"zf": 0}


def test_damaged_replay_reports_the_receiver_counts(tmp_path):
    import io

    from neuralmimo.cli.replay import _print_report, replay

    for name, line in (("NaN burst in the data", "0 frames dropped (non-finite estimates), 400 NaN/Inf samples"),
                       ("1e30 burst in the training", "1 frames dropped (non-finite estimates), 0 NaN/Inf")):
        out = io.StringIO()
        _print_report(replay(damaged_copy(tmp_path, CORRUPTIONS[name][0]), ["zf"], backend="numpy"), 0, out=out)
        assert line in out.getvalue(), out.getvalue()


# --- metadata: every field range-checked before anything is sized from it -----------------
def _set(path, value):
    """edit: meta[path...] = value (path: keys and list indices)."""
    def edit(meta):
        node = meta
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return edit


_G, _O = ("global",), ("global", "neuralmimo:ofdm")
HUGE = 2 ** 62
# (where, value, words the message must hold)
BAD_FIELDS = [
    (_G + ("core:num_channels",), HUGE, "core:num_channels"),
    (_G + ("core:num_channels",), -1, "num_channels"),
    (_G + ("core:num_channels",), 2.5, "num_channels"),
    (_G + ("core:sample_rate",), float("nan"), "core:sample_rate"),
    (_G + ("core:sample_rate",), float("inf"), "core:sample_rate"),
    (_G + ("core:sample_rate",), -1.0, "sample_rate"),
    (_G + ("core:sample_rate",), 0.0, "core:sample_rate"),
    (_G + ("core:sample_rate",), float(HUGE), "core:sample_rate"),
    (_G + ("neuralmimo:sample_count",), HUGE, "neuralmimo:sample_count"),
    (_G + ("neuralmimo:sample_count",), -5, "neuralmimo:sample_count"),
    (_G + ("neuralmimo:sample_count",), True, "neuralmimo:sample_count"),
    (_G + ("core:offset",), HUGE, "core:offset"),
    (("captures", 0, "core:sample_start"), HUGE, "captures[0].core:sample_start"),
    (("captures", 0, "core:sample_start"), -1, "sample_start"),
    (("captures", 0, "core:frequency"), float("nan"), "captures[0].core:frequency"),
    (_G + ("neuralmimo:gains_db",), [float("nan"), 1.0], "neuralmimo:gains_db[0]"),
    (_G + ("neuralmimo:gains_db",), [1.0, 1e300], "neuralmimo:gains_db[1]"),
    (_G + ("neuralmimo:gains_db",), "loud", "neuralmimo:gains_db"),
] + [(_O + (k,), v, f"neuralmimo:ofdm.{k}") for k, v in [
    ("nt", HUGE), ("nt", 0), ("nr", HUGE), ("nr", -2), ("fft_len", HUGE), ("fft_len", 1 << 30), ("fft_len", -64),
    ("fft_len", 64.0), ("cp_len", HUGE), ("cp_len", -1), ("n_used", HUGE), ("n_data_symbols", HUGE),
    ("n_data_symbols", 0), ("ltf_repeats", HUGE), ("gap", HUGE), ("gap", -1), ("seed", -1), ("seed", 2 ** 64),
    ("pilots", [HUGE]), ("pilots", "abc"), ("constellation", 5), ("constellation", "qam1024"),
    ("training", ["time"]), ("nt", True)]]


@pytest.mark.parametrize("where,value,words", BAD_FIELDS, ids=[f"{w[-1]}={v!r}"[:40] for w, v, _ in BAD_FIELDS])
def test_absurd_metadata_is_refused_naming_the_field(tmp_path, where, value, words):
    import tracemalloc

    from neuralmimo.phy.ofdm import OfdmConfig

    meta = damaged_copy(tmp_path, lambda x: None)
    edit_meta(meta.with_suffix(""), _set(where, value))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            Recording.open(meta, config_from_dict=OfdmConfig.from_dict)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words in str(err.value) and FIXTURE in str(err.value), str(err.value)
    assert peak < 8 << 20, peak        # refused before anything was sized from the value


def test_metadata_within_the_bounds_is_accepted(tmp_path):
    """The bounds refuse nothing real: the shipped recording and a 2048-carrier 32x128 frame pass."""
    from neuralmimo.phy.ofdm import OfdmConfig, ofdm_config

    meta = damaged_copy(tmp_path, lambda x: None)
    assert Recording.open(meta, config_from_dict=OfdmConfig.from_dict).sample_count == 8760
    big = ofdm_config(nt=32, nr=128, fft_len=2048, cp_len=144, n_used=1200, pilots=(-500, 500), gap=10000)
    base, _ = make(tmp_path, nr=128, n=10, cfg=big, gains=None, extra={"seed": 1})
    assert Recording.open(base, config_from_dict=OfdmConfig.from_dict).config().nt == 32
