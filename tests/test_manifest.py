# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A model's manifest: the JSON file beside it, or the copy in its metadata_props."""
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import random_system

import neuralmimo as nm
from neuralmimo.manifest import manifest_from_metadata, metadata_props

SHIPPED = sorted(p.name for p in Path(nm.model_path("lmmse_qam16_4x4.onnx")).parent.glob("*.onnx"))


@pytest.mark.parametrize("name", SHIPPED)
def test_metadata_props_carry_the_whole_manifest(name):
    path = nm.model_path(name)
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    manifest = json.loads(Path(path).with_suffix(".json").read_text())
    assert manifest_from_metadata(props) == manifest
    assert metadata_props(manifest_from_metadata(props)) == props


@pytest.mark.parametrize("name", SHIPPED)
def test_model_without_its_json_runs_from_its_metadata(tmp_path, rng, name):
    src = nm.model_path(name)
    alone = tmp_path / name
    shutil.copy(src, alone)
    assert not alone.with_suffix(".json").exists()
    with_json, without = nm.detector(src), nm.detector(str(alone))
    assert without.manifest == with_json.manifest
    c = with_json.constellation
    y, h, _ = random_system(rng, 64, with_json.nr, with_json.nt, c, 0.1, dtype=np.complex64)
    a, b = with_json(y, h, 0.1), without(y, h, 0.1)
    for field in ("symbols", "llr", "estimate"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_string_values_stay_strings():
    manifest = {"training_config_hash": "0123456789012345", "paper": "null", "nt": 4, "outputs": ["llr"],
                "training_snr_db": None, "torch_version": "2.5"}
    assert manifest_from_metadata(metadata_props(manifest)) == manifest


def _wesnet_variant(name: str) -> tuple:
    from neuralmimo.papers.wesnet_variants import CONFIG, VARIANTS

    return CONFIG.removesuffix(".toml"), VARIANTS[name]


#: Shipped models trained from a config outside the LcgNet family: model -> (config, overrides); the
#: 30x60 ones are variants of the WeSNet study (papers/wesnet_variants.py, Makefile `models`). The
#: LcgNetV models are checked the same way, with their step sizes, in tests/test_lcgnet.py.
TRAINED = {"wesnet_qam16_2x2": ("wesnet_2x2_qam16", {}), "detnet_bpsk_30x60": _wesnet_variant("detnet"),
           "wesnet_l50_bpsk_30x60": _wesnet_variant("wesnet_l50"),
           "remimo_qam16_4x4": ("remimo_4x4_qam16", {})}


@pytest.mark.parametrize("model, source", sorted(TRAINED.items()))
def test_shipped_model_comes_from_its_config(model, source):
    """A retrained config that was not re-exported (or the reverse) shows as a hash mismatch."""
    from neuralmimo.train import CONFIG_DIR, load_config

    config, overrides = source
    manifest = json.loads(Path(nm.model_path(f"{model}.onnx")).with_suffix(".json").read_text())
    cfg = load_config(CONFIG_DIR / f"{config}.toml", [(k.split("."), v) for k, v in overrides.items()])
    assert manifest["training_config_hash"] == cfg.hash
    assert manifest["family"] == cfg.model["family"] and manifest["snr_convention"] == cfg.data.snr_convention
    assert (manifest["nt"], manifest["nr"], manifest["constellation"]) == (cfg.data.nt, cfg.data.nr,
                                                                         cfg.data.constellation)
    assert manifest["training_checkpoint"]["finished"]
    assert {k: manifest["config"][k] for k in cfg.model if k != "family"} == \
        {k: v for k, v in cfg.model.items() if k != "family"}
