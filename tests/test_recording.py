# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SigMF recordings: round trip, accepted by sigmf's own reader, and every refusal with its reason."""
import json
from dataclasses import asdict, dataclass

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
