# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
import os

import numpy as np
import pytest


def compiled(*names):
    """The named members of the compiled module neuralmimo.neuralmimo_python (one, or a tuple).
    Where it does not import (no GNU Radio, no build, or the source tree on sys.path) the caller is
    skipped, or fails under NEURALMIMO_REQUIRE_CPP (make test's installed-package run). Called at
    module level it skips the module, in a test the test."""
    try:
        from neuralmimo import neuralmimo_python as cpp
        found = tuple(getattr(cpp, n) for n in names)
    except (ImportError, AttributeError) as exc:
        if os.environ.get("NEURALMIMO_REQUIRE_CPP"):     # make test: a missing module is a failure
            raise
        pytest.skip(f"compiled module not importable ({exc}): run after `make build` without PYTHONPATH=python",
                    allow_module_level=True)
    return found[0] if len(found) == 1 else found


def random_system(rng, batch, nr, nt, const, noise_var, dtype=np.complex128):
    """y = Hx + n with CN(0,1) H; returns (y, H, x_indices)."""
    h = (rng.standard_normal((batch, nr, nt)) + 1j * rng.standard_normal((batch, nr, nt))) / np.sqrt(2)
    idx = rng.integers(0, const.order, (batch, nt))
    x = const.points.astype(np.complex128)[idx]
    n = (rng.standard_normal((batch, nr)) + 1j * rng.standard_normal((batch, nr))) * np.sqrt(noise_var / 2)
    y = np.einsum("brt,bt->br", h, x) + n
    return y.astype(dtype), h.astype(dtype), idx


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


@pytest.fixture(scope="session")
def toy_checkpoint(tmp_path_factory):
    """A trainer checkpoint of the toy config (4x8 QPSK), a few batches: final.pt (trained once
    for every test module that uses it)."""
    from neuralmimo.train import CONFIG_DIR, Trainer, load_config

    cfg = load_config(CONFIG_DIR / "toy.toml", [
        "model.n_layers=2", "train.steps_per_epoch=2", "train.validation_vectors=100",
        "schedule.snr_curriculum_db=[[10, 20]]", "schedule.max_epochs=1", "data.batch=32"])
    result = Trainer(cfg, out_dir=tmp_path_factory.mktemp("toy"), quiet=True).fit()
    return result.final


def tiny_training(config: dict, out_dir):
    """Train a config dict (train.config_from_dict) with the shared trainer into ``out_dir``, quietly,
    whatever the caller's autograd mode -> (the trained model, its final checkpoint path, the
    run's history rows): the tiny runs of the family tests."""
    import torch

    from neuralmimo.train import Trainer, config_from_dict
    from neuralmimo.train.checkpoint import model_from_checkpoint

    with torch.enable_grad():
        result = Trainer(config_from_dict(config), out_dir=out_dir, quiet=True).fit()
    model, ckpt = model_from_checkpoint(result.final)
    return model, result.final, ckpt["history"]
