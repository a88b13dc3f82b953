# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training data generated on the fly from phy/: y = Hx + n on the ONNX contract layout.

Per vector: H from the configured channel model (phy.make_channel), x uniform
over the constellation, SNR uniform in the stage's [lo, hi] dB, σ² from
phy.snr.noise_var_from_snr with the configured convention (per sample, so
H-dependent conventions such as "detnet" work), n ~ CN(0, σ² I).

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
    bits [B,Nt,K] their labels as 0.0/1.0, snr_db [B].
    """

    y: torch.Tensor
    h: torch.Tensor
    noise_var: torch.Tensor
    x: torch.Tensor
    bits: torch.Tensor
    snr_db: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def _map(self, fn) -> "Batch":
        return Batch(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def to(self, device) -> "Batch":
        return self._map(lambda t: t.to(device))

    def __getitem__(self, index) -> "Batch":
        return self._map(lambda t: t[index])

    @staticmethod
    def cat(batches: list) -> "Batch":
        return Batch(**{f.name: torch.cat([getattr(b, f.name) for b in batches]) for f in fields(Batch)})


class DataSource:
    """Samples batches for one [data] config.

    sample(batch, snr_db (lo, hi), generator, device) -> Batch on ``device``
    validation_set(snr_db, vectors, seed) -> Batch on the CPU (fixed by the seed)
    """

    def __init__(self, data: DataConfig):
        self.cfg = data
        self.channel = make_channel(data.channel, data.nr, data.nt)
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

    def _channel(self, b: int, gen: torch.Generator) -> torch.Tensor:
        """complex64[b, Nr, Nt]; a frequency-selective model's subcarriers count as vectors."""
        per_draw = int(getattr(self.channel, "n_subcarriers", 1))
        h = self.channel.sample(-(-b // per_draw), generator=gen, device=gen.device)
        if h.ndim == 4:
            h = h.reshape(-1, *h.shape[-2:])
        return h[:b].to(torch.complex64)

    def sample(self, batch: int, snr_db: tuple, generator: torch.Generator, device=None) -> Batch:
        """Draws on the generator's device, returns on ``device`` (default: the generator's)."""
        c = self.cfg
        gen = generator
        dev = gen.device
        h = self._channel(batch, gen)                                                    # [B, Nr, Nt]
        idx = torch.randint(0, self.points.shape[0], (batch, c.nt), generator=gen, device=dev)
        points, labels = self._tables_on(dev)
        x = points[idx]                                                                  # [B, Nt, 2]
        lo, hi = float(snr_db[0]), float(snr_db[1])
        snr = lo + (hi - lo) * torch.rand(batch, generator=gen, device=dev, dtype=torch.float64)
        nv = noise_var_from_snr(snr, c.nt, c.nr, c.snr_convention, H=h).to(torch.float32)  # [B]
        noise = torch.randn(batch, c.nr, 2, generator=gen, device=dev) * (nv[:, None, None] / 2).sqrt()
        # Elementwise product and sum: a batched matrix-vector bmm is several times slower on CPU.
        y = (h * torch.view_as_complex(x.contiguous()).unsqueeze(-2)).sum(-1)                # [B, Nr]
        out = Batch(y=torch.view_as_real(y) + noise, h=torch.view_as_real(h).contiguous(),
                    noise_var=nv, x=x, bits=labels[idx], snr_db=snr.to(torch.float32))
        return out if device is None else out.to(device)

    def validation_set(self, snr_db: tuple, vectors: int, seed: int, chunk: int = 4096) -> Batch:
        """A fixed set for one SNR range: drawn on the CPU from ``seed`` and the range only,
        so every rank, device and resumed run sees the same vectors."""
        gen = torch.Generator().manual_seed(derive_seed(seed, "validation", float(snr_db[0]), float(snr_db[1])))
        parts = [self.sample(min(chunk, vectors - i), snr_db, gen) for i in range(0, vectors, chunk)]
        return Batch.cat(parts)
