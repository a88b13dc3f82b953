# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The trainer's fixed data: the validation sets and the training pool of one SNR range, each
drawn once and kept on the device, with the model's teacher targets computed once per vector
(models.base, "teacher": EQ-Net's exact-ML soft bits), and the forward call that passes them on.
"""
from __future__ import annotations

import torch

from .data import Batch, DataSource


def forward(fn, b: Batch) -> dict:
    """fn(y, h, noise_var) on a Batch, for model.forward_train or its DDP wrapper, with the stored
    teacher targets when the batch has them."""
    return fn(b.y, b.h, b.noise_var) if b.teacher is None else fn(b.y, b.h, b.noise_var, teacher=b.teacher)


class StoredSets:
    """validation(data, rng, ctx, model) -> this rank's validation Batches of ``rng``;
    pool(data, rng, ctx, model) -> the training pool of ``rng``. One range of each is cached."""

    def __init__(self, cfg, log, quiet: bool = False):
        """log(ctx, message): the trainer's log (main rank, unless quiet)."""
        self.cfg, self.log, self.quiet = cfg, log, quiet
        self._val_key, self._val = None, None
        self._pool_key, self._pool = None, None

    def with_teacher(self, model, batch: Batch, what: str, ctx) -> Batch:
        """``batch`` with the model's teacher target per vector, computed once in chunks (a family
        without ``teacher`` gets the batch back as it is)."""
        teacher = getattr(model, "teacher", None)
        if teacher is None or batch.teacher is not None:
            return batch
        from tqdm.auto import tqdm

        chunk = max(self.cfg.data.batch, 1024)
        parts = []
        with torch.no_grad():
            for i in tqdm(range(0, len(batch), chunk), desc=f"{what}: teacher targets", unit="chunk",
                          leave=False, disable=self.quiet or not ctx.is_main):
                b = batch[i:i + chunk]
                parts.append(teacher(b.y, b.h, b.noise_var))
        batch.teacher = torch.cat(parts)
        return batch

    def validation(self, data: DataSource, rng: tuple, ctx, model) -> list:
        """This rank's shards of the fixed validation sets of ``rng`` (one per validation Nt), on the
        device, with teacher targets."""
        key = (float(rng[0]), float(rng[1]))
        if self._val_key != key:
            self._val = None
            full = data.validation_sets(key, self.cfg.train.validation_vectors, self.cfg.train.seed)
            self._val = [self.with_teacher(model, v[slice(ctx.rank, None, ctx.world_size)].to(ctx.device),
                                           "validation", ctx) for v in full]
            self._val_key = key
        return self._val

    def pool(self, data: DataSource, rng: tuple, ctx, model) -> Batch:
        """The fixed training pool of ``rng`` (data.pool vectors, the same on every rank) on the
        device, with teacher targets."""
        key = (float(rng[0]), float(rng[1]))
        if self._pool_key != key:
            self._pool = None
            self.log(ctx, f"drawing the training pool: {self.cfg.data.pool} vectors, SNR {key[0]:g}..{key[1]:g} dB")
            self._pool = self.with_teacher(model, data.pool(key, self.cfg.train.seed).to(ctx.device), "pool", ctx)
            self._pool_key = key
        return self._pool
