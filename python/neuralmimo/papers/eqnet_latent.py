# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net Fig. 5 (claim E6): the latent size of the soft-bit autoencoder at 2x2 64-QAM. Every
latent size gets the same stage-1 budget from the same config (only the autoencoder is trained:
E6 is about f_Q → g_Q without quantisation), and each one's coded BLER is measured on the same
packets as exact ML on the coded link of papers/eqnet.py."""
from __future__ import annotations

from pathlib import Path

from .common import crossing_rows, train_or_reuse, write_table
from .eqnet import CONFIG, CONST, CONV, NR, NT, TRAIN_SNR, USES_PER_CHANNEL, Codec, autoencoder_stage
from .study import Row, study


def latent_overrides(latent: int, epochs: int, pool: int, steps: int | None = None) -> dict:
    """Stage 1 only, ``epochs`` epochs of ``steps`` steps (default: the config's), a pool of
    ``pool`` vectors."""
    o = {"model.latent": int(latent), "data.pool": int(pool), "model.codebook_bits": [4],
         "schedule": {"name": "stages", "stages": [autoencoder_stage(TRAIN_SNR, epochs, epochs)]}}
    if steps is not None:   # tiny runs (tests), named apart by the caller
        o.update({"train.steps_per_epoch": int(steps), "train.validation_vectors": 500,
                  "model.codebook_samples": 1000})
    return o


@study("eqnet-latent", "eqnet", trains=True)
def eqnet_latent(out: Path, progress: bool, retrain: bool = False, latents=(4, 5, 6), epochs: int = 10,
                 pool: int = 1_000_000, snrs=(12, 13, 14, 15, 16, 17, 18), max_codewords: int = 2000,
                 target_errors: int = 100, steps: int | None = None) -> list[Row]:
    """E6: SNR at BLER 1e-2 of the unquantised autoencoder at each latent size, against exact ML."""
    import neuralmimo as nm
    from ..eval.coded import Chain, run_coded
    from ..models.checkpoint import model_from_checkpoint
    from ..phy.channels import make_channel

    sources = {"ml": nm.detector("ml", constellation=CONST)}
    chains = {"ml": Chain("ml")}
    for latent in latents:
        name = f"eqnet_latent/latent{latent}_epochs{epochs}_pool{pool}" + (f"_steps{steps}" if steps else "")
        ckpt = train_or_reuse(name, CONFIG, latent_overrides(latent, epochs, pool, steps), progress, retrain)
        model, _ = model_from_checkpoint(ckpt)
        chains[f"latent-{latent}"] = Chain("ml", Codec(model))
    rows = run_coded(sources, chains, make_channel("rayleigh", NR, NT), NT, NR, CONST, list(snrs), CONV,
                     target_errors, max_codewords, uses_per_channel=USES_PER_CHANNEL, seed=5, progress=progress)
    write_table(rows, out / "eqnet_latent.csv")
    labels = {"ml": ("exact-ML soft bits", "reference")}
    labels.update({f"latent-{z}": (f"EQ-Net f_Q → g_Q, latent {z}, unquantised",
                                   "< 0.1 dB from ML (E6)" if z >= 6 else "loses more than latent 6 (E6)")
                   for z in latents})
    s, table = crossing_rows([{**r, "detector": r["chain"]} for r in rows], "bler", 1e-2, labels)
    table += [(f"latent {z} minus ML at BLER 1e-2 (dB)", f"{s[f'latent-{z}'] - s['ml']:.2f}",
               "< 0.1 (E6)" if z >= 6 else "> latent 6's (E6)") for z in latents]
    return table + [("stage-1 budget per latent size; codewords per point (max)",
                     f"{epochs} epochs of the config's steps, pool {pool:,}; {max_codewords}", "Fig. 5: 10,000 codewords")]
