# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training data generated on the fly from phy/: y = Hx + n on the ONNX contract layout.

Per vector: H from the configured channel model (phy.make_channel), x uniform
over the constellation, SNR uniform in the stage's [lo, hi] dB, σ² from
phy.snr.noise_var_from_snr with the configured convention (per sample, so
H-dependent conventions such as "detnet" work), n ~ CN(0, σ² I).

A variable-Nt config (data.nt_min < data.nt) draws one Nt per batch, so the whole batch shares
it as in RE-MIMO's training, with P(Nt) from data.nt_law, and moves the batch's SNR range by
(Nt − nt)·data.snr_db_per_stream dB; its validation runs at nt_min and at nt.

With data.pool = N the training steps draw their batches from a fixed pool of N vectors per SNR
range (``pool``), as the papers that train on a stored dataset do; a family whose training target
is expensive (``teacher``, EQ-Net's exact-ML soft bits) then computes it once per vector.

Randomness only from the torch.Generator passed in. Seeds come from
:func:`derive_seed`, so a (seed, rank, stage, epoch) always gives the same data
whatever happened before: that is what makes --resume exact and gives each
DDP rank its own data.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import torch

from ..phy.channels import make_channel
from ..phy.constellation import constellation as _lookup
from ..phy.snr import noise_var_from_snr
from .config import DataConfig


def derive_seed(*parts) -> int:
    """A 63-bit seed from any printable parts (stable across Python versions and runs)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


@dataclass
class Batch:
    """One batch on the contract layout (float32, (re, im) last).

    y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B], x [B,Nt,2] transmitted symbols,
    bits [B,Nt,K] their labels as 0.0/1.0, snr_db [B]; teacher: the model's stored training
    target per vector (models.base "teacher"), or None.
    """

    y: torch.Tensor
    h: torch.Tensor
    noise_var: torch.Tensor
    x: torch.Tensor
    bits: torch.Tensor
    snr_db: torch.Tensor
    teacher: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def _map(self, fn) -> "Batch":
        return Batch(**{f.name: None if getattr(self, f.name) is None else fn(getattr(self, f.name))
                        for f in fields(self)})

    def to(self, device) -> "Batch":
        return self._map(lambda t: t.to(device))

    def __getitem__(self, index) -> "Batch":
        return self._map(lambda t: t[index])

    @staticmethod
    def cat(batches: list) -> "Batch":
        """The batches one after the other; teacher only when every batch has one."""
        def joined(name):
            parts = [getattr(b, name) for b in batches]
            return None if any(p is None for p in parts) else torch.cat(parts)
        return Batch(**{f.name: joined(f.name) for f in fields(Batch)})


class DataSource:
    """Samples batches for one [data] config.

    sample(batch, snr_db (lo, hi), generator, device, nt) -> Batch on ``device``
    validation_set(snr_db, vectors, seed, nt) -> Batch on the CPU (fixed by the seed)
    validation_sets(snr_db, vectors, seed) -> one such Batch per validation Nt
    """

    def __init__(self, data: DataConfig):
        self.cfg = data
        self.nt_values = data.nt_values
        weights = torch.tensor([float(n) if data.nt_law == "linear" else 1.0 for n in self.nt_values],
                               dtype=torch.float64)
        self.nt_probs = weights / weights.sum()
        self.channels = {nt: make_channel(data.channel, data.nr, nt) for nt in self.nt_values}
        self.channel = self.channels[data.nt]
        const = _lookup(data.constellation)
        self.points = torch.view_as_real(torch.as_tensor(const.points.copy()).to(torch.complex64))   # [M, 2]
        self.labels = torch.as_tensor(const.bits.astype("float32"))                                    # [M, K]
        self._tables: dict = {}

    def _tables_on(self, dev) -> tuple:
        """(points [M, 2], labels [M, K]) on ``dev``, copied once per device."""
        key = str(dev)
        if key not in self._tables:
            self._tables[key] = (self.points.to(dev), self.labels.to(dev))
        return self._tables[key]

    def draw_nt(self, gen: torch.Generator) -> int:
        """One Nt from the config's law (without drawing anything when Nt is fixed)."""
        if len(self.nt_values) == 1:
            return self.nt_values[0]
        u = torch.rand((), generator=gen, device=gen.device, dtype=torch.float64).item()
        return self.nt_values[min(int(torch.searchsorted(self.nt_probs.cumsum(0), torch.tensor(u))),
                                  len(self.nt_values) - 1)]

    def snr_range(self, snr_db: tuple, nt: int) -> tuple:
        """The SNR range of a batch with ``nt`` streams: the stage's, moved by (nt − Nt_max)·slope."""
        shift = (nt - self.cfg.nt) * self.cfg.snr_db_per_stream
        return float(snr_db[0]) + shift, float(snr_db[1]) + shift

    def _channel(self, b: int, gen: torch.Generator, nt: int) -> torch.Tensor:
        """complex64[b, Nr, Nt]; a frequency-selective model's subcarriers count as vectors."""
        channel = self.channels[nt]
        per_draw = int(getattr(channel, "n_subcarriers", 1))
        h = channel.sample(-(-b // per_draw), generator=gen, device=gen.device)
        if h.ndim == 4:
            h = h.reshape(-1, *h.shape[-2:])
        return h[:b].to(torch.complex64)

    def sample(self, batch: int, snr_db: tuple, generator: torch.Generator, device=None,
               nt: int | None = None) -> Batch:
        """Draws on the generator's device, returns on ``device`` (default: the generator's).
        nt: the batch's Nt (default: drawn from the config's law; the config's Nt when fixed)."""
        c = self.cfg
        gen = generator
        dev = gen.device
        nt = self.draw_nt(gen) if nt is None else int(nt)
        if nt not in self.channels:
            raise ValueError(f"nt: {nt} is not one of the config's {', '.join(map(str, self.nt_values))}")
        h = self._channel(batch, gen, nt)                                                # [B, Nr, Nt]
        idx = torch.randint(0, self.points.shape[0], (batch, nt), generator=gen, device=dev)
        points, labels = self._tables_on(dev)
        x = points[idx]                                                                  # [B, Nt, 2]
        lo, hi = self.snr_range(snr_db, nt)
        snr = lo + (hi - lo) * torch.rand(batch, generator=gen, device=dev, dtype=torch.float64)
        nv = noise_var_from_snr(snr, nt, c.nr, c.snr_convention, H=h).to(torch.float32)  # [B]
        noise = torch.randn(batch, c.nr, 2, generator=gen, device=dev) * (nv[:, None, None] / 2).sqrt()
        # Elementwise product and sum: a batched matrix-vector bmm is several times slower on CPU.
        y = (h * torch.view_as_complex(x.contiguous()).unsqueeze(-2)).sum(-1)                # [B, Nr]
        out = Batch(y=torch.view_as_real(y) + noise, h=torch.view_as_real(h).contiguous(),
                    noise_var=nv, x=x, bits=labels[idx], snr_db=snr.to(torch.float32))
        return out if device is None else out.to(device)

    def validation_set(self, snr_db: tuple, vectors: int, seed: int, chunk: int = 4096,
                       nt: int | None = None, purpose: str = "validation") -> Batch:
        """A fixed set for one SNR range (and Nt, default the config's largest): drawn on the CPU
        from ``seed``, the range and Nt only, so every rank, device and resumed run sees the same vectors.
        purpose: "validation", or "pool" for the training pool (other vectors from the same seed)."""
        nt = self.cfg.nt if nt is None else int(nt)
        parts_of_seed = (seed, purpose, float(snr_db[0]), float(snr_db[1])) + ((nt,) if nt != self.cfg.nt else ())
        gen = torch.Generator().manual_seed(derive_seed(*parts_of_seed))
        parts = [self.sample(min(chunk, vectors - i), snr_db, gen, nt=nt) for i in range(0, vectors, chunk)]
        return Batch.cat(parts)

    def pool(self, snr_db: tuple, seed: int) -> Batch:
        """The fixed training pool of data.pool vectors for one SNR range (on the CPU); every rank
        holds the same pool and draws its own batches from it."""
        if self.cfg.pool < 1:
            raise ValueError("data.pool: 0 (fresh batches each step); there is no pool to draw")
        return self.validation_set(snr_db, self.cfg.pool, seed, purpose="pool")

    def validation_sets(self, snr_db: tuple, vectors: int, seed: int) -> list:
        """The validation Batches: one at the config's Nt, or for a variable Nt one at nt_min and one
        at nt with half the vectors each (RE-MIMO validates at Nt = 16 and 32 and averages)."""
        if len(self.nt_values) == 1:
            return [self.validation_set(snr_db, vectors, seed)]
        half = max(vectors // 2, 1)
        return [self.validation_set(snr_db, half, seed, nt=n) for n in (self.nt_values[0], self.cfg.nt)]
