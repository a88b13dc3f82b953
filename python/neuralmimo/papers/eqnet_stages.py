# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net Fig. 6 (claim E8): two-stage training against the single-stage baseline, over seeds, at
2x2 64-QAM on the coded link of papers/eqnet.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import train_or_reuse, write_table
from .eqnet import CONFIG, CONST, CONV, NR, NT, TRAIN_SNR, USES_PER_CHANNEL, Estimation
from .study import Row, study


def stages_overrides(kind: str, seed: int, steps: int, pool: int = 0) -> dict:
    """E8's runs: "two-stage" (autoencoder then estimation, ``steps`` each) or "joint" (the
    single-stage baseline: f_E and g_Q on loss (15), 2·``steps``: the same number of updates), batch
    512, ``seed`` for the initial weights and the data (a pool of ``pool`` vectors, 0: fresh
    batches); no codebooks (not used)."""
    common = {"snr_db": list(TRAIN_SNR), "lr": 3e-3, "lr_decay": 0.9, "max_epochs": 10, "patience": 10}
    if kind == "two-stage":
        stages = [{**common, "name": "autoencoder", "group": "quantizer", "settings": {"stage": "autoencoder"}},
                  {**common, "name": "estimation", "group": "estimator", "settings": {"stage": "estimation"}}]
        per_epoch = steps // 10
    elif kind == "joint":
        stages = [{**common, "name": "joint", "group": "joint", "settings": {"stage": "joint"}}]
        per_epoch = 2 * steps // 10
    else:
        raise ValueError(f"kind: {kind!r} is not 'two-stage' or 'joint'")
    return {"schedule": {"name": "stages", "stages": stages}, "train.steps_per_epoch": max(per_epoch, 1),
            "train.seed": int(seed), "data.batch": 512, "data.pool": int(pool), "model.codebook_bits": [4],
            "model.codebook_samples": 2000}


@study("eqnet-stages", "eqnet", trains=True)
def eqnet_stages(out: Path, progress: bool, retrain: bool = False, seeds=(1, 2, 3), steps: int = 1000,
                 snrs=(14.0, 16.0), max_codewords: int = 400, target_errors: int = 10_000,
                 pool: int = 0) -> list[Row]:
    """EQ-Net Fig. 6 (claim E8): two-stage training (autoencoder, then the estimation encoder against its
    frozen features) against the single-stage baseline (f_E and g_Q trained jointly on loss (15)),
    same architecture, same seed per pair (the same initial f_E and g_Q: the trainer seeds torch
    before building the model), the same number of updates (``steps`` per stage, 2·``steps`` joint);
    the coded BLER of each run's estimation path at ``snrs`` on the same packets. pool: train from a
    pool of that many vectors per run (data.pool; 0: fresh batches, the first measurement)."""
    import neuralmimo as nm
    from ..eval.coded import Chain, run_coded
    from ..models.checkpoint import model_from_checkpoint
    from ..phy.channels import make_channel

    sources = {"ml": nm.detector("ml", constellation=CONST)}
    chains = {"ml": Chain("ml")}
    for seed in seeds:
        for kind in ("two-stage", "joint"):
            name = f"{kind}-{seed}"
            run = f"eqnet_stages/{kind}_seed{seed}_steps{steps}" + (f"_pool{pool}" if pool else "")
            ckpt = train_or_reuse(run, CONFIG, stages_overrides(kind, seed, steps, pool), progress, retrain)
            model, _ = model_from_checkpoint(ckpt)
            sources[name] = Estimation(model)
            chains[name] = Chain(name)
    rows = run_coded(sources, chains, make_channel("rayleigh", NR, NT), NT, NR, CONST, list(snrs), CONV,
                     target_errors, max_codewords, uses_per_channel=USES_PER_CHANNEL, seed=9, progress=progress)
    write_table(rows, out / "eqnet_stages.csv")
    table: list[Row] = []
    for snr in snrs:
        at = {r["chain"]: r for r in rows if r["snr_db"] == float(snr)}
        for kind, paper in (("two-stage", "lower BLER, more stable over 10 runs (E8, Fig. 6)"),
                            ("joint", "higher BLER (E8)")):
            for key, what in (("bler", "BLER"), ("channel_ber", "uncoded BER")):
                b = [at[f"{kind}-{s}"][key] for s in seeds]
                table.append((f"{what} at {snr:g} dB, {kind}: mean (min–max over seeds {list(seeds)})",
                              f"{np.mean(b):.3f} ({min(b):.3f}–{max(b):.3f})", paper))
        table.append((f"BLER at {snr:g} dB, exact ML", f"{at['ml']['bler']:.3f}", "reference"))
    data = f"a pool of {pool:,} vectors" if pool else "fresh batches"
    return table + [("updates per run; data; codewords per point", f"{2 * steps} of 512; {data}; {max_codewords}",
                     "500 epochs, batch 32768 (Fig. 6)")]
