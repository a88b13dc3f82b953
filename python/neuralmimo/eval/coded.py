# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LDPC-coded block error rate of soft-bit chains on a narrowband MIMO channel.

One packet = one 802.11n (648, 324) codeword (phy/ldpc.py): 324 random information bits,
encoded, interleaved by a fixed random permutation, and sent over ⌊648 / (Nt·K)⌋ channel uses of
y = Hx + n. H is drawn afresh every ``uses_per_channel`` consecutive uses (block fading; the
EQ-Net reference code holds each Rayleigh draw for 6 uses, 9 draws per 2×2 64-QAM codeword; 1 gives
a fresh H per use, the most diversity a codeword can collect). When 648 is not a multiple of
Nt·K the last coded bits of the interleaved word are not sent and enter the decoder as erasures
(LLR 0): the EQ-Net reference code's padding (docs/papers.md, EQ-Net reading EA6); 4×4 16-QAM
sends 40 uses and erases 8 of 648 bits.

A chain turns each channel use into LLRs float32[B, Nt, K]: a *source* (a detector: its LLRs on
(y, H, σ²)) followed by an optional *transform* of those LLRs (a soft-bit quantiser, EQ-Net's
autoencoder...). Every chain sees the same packets, and sources shared by several chains run once
per batch. Per SNR the run stops when every chain has ``target_errors`` block errors or after
``max_codewords`` codewords.

Row per chain and SNR: chain, snr_db, codewords, block_errors, bler, info_bit_errors, ber (decoded
information bits), channel_ber (hard decisions of the chain's LLRs on the sent coded bits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..phy.constellation import constellation as _lookup
from ..phy.ldpc import ldpc_code
from ..phy.snr import noise_var_from_snr

#: seed of the interleaver permutation (fixed, like a standard's interleaver)
INTERLEAVER_SEED = 1111


@dataclass(frozen=True)
class Chain:
    """source: name of a detector in the run's sources; transform: llr float32[B,Nt,K] (numpy) ->
    llr float32[B,Nt,K], or None for the source's LLRs as they are."""
    source: str
    transform: Callable | None = None


def packet_layout(nt: int, k: int, n: int = 648) -> tuple[int, int]:
    """(channel uses per codeword, coded bits not sent) for Nt streams of K bits."""
    per_use = nt * k
    uses = n // per_use
    if uses < 1:
        raise ValueError(f"Nt·K = {per_use} exceeds the codeword length {n}")
    return uses, n - uses * per_use


def interleaver(n: int = 648, seed: int = INTERLEAVER_SEED) -> np.ndarray:
    """The permutation int64[n]: interleaved bit j is codeword bit perm[j]."""
    return np.random.default_rng(seed).permutation(n)


def run_coded(sources: dict, chains: dict, channel, nt: int, nr: int, constellation: str, snr_db,
              convention: str = "eqnet", target_errors: int = 100, max_codewords: int = 2000,
              batch_codewords: int = 50, uses_per_channel: int = 1, seed: int = 1,
              progress: bool = False) -> list[dict]:
    """sources: {name: detector called as det(y, H, noise_var) -> .llr [B,Nt,K]}; chains: {name: Chain}.
    channel: a phy channel model (sample(b, generator) -> complex[b, Nr, Nt]). -> rows (module docstring)."""
    for name, ch in chains.items():
        if ch.source not in sources:
            raise ValueError(f"chains: '{name}' uses source '{ch.source}', which is not in sources "
                             f"({', '.join(sources)})")
    for key, v in (("target_errors", target_errors), ("max_codewords", max_codewords),
                   ("batch_codewords", batch_codewords), ("uses_per_channel", uses_per_channel)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{key}: must be an integer >= 1, got {v!r}")
    const = _lookup(constellation)
    k = const.bits_per_symbol
    code = ldpc_code()
    uses, _ = packet_layout(nt, k, code.n)
    if uses % uses_per_channel:
        raise ValueError(f"uses_per_channel: {uses_per_channel} does not divide the {uses} channel uses of a codeword")
    perm = interleaver(code.n)
    used = {ch.source for ch in chains.values()}
    rows = []
    for si, snr in enumerate(snr_db):
        rng = np.random.default_rng([seed, si])
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        acc = {name: np.zeros(5, dtype=np.int64) for name in chains}   # cw, blk, info err, ch err, ch bits
        done = 0
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=max_codewords, desc=f"coded {snr:g} dB", leave=False, unit="cw")
        while done < max_codewords and min(a[1] for a in acc.values()) < target_errors:
            b = min(batch_codewords, max_codewords - done)
            info = rng.integers(0, 2, size=(b, code.k), dtype=np.uint8)
            cw = code.encode(info)
            sent = cw[:, perm][:, :uses * nt * k].reshape(b * uses, nt, k)
            x = torch.from_numpy(const.points[const.bits_to_indices(sent.reshape(-1, k))].reshape(b * uses, nt))
            h = channel.sample(b * uses // uses_per_channel, generator=gen).to(torch.complex64)
            h = h.repeat_interleave(uses_per_channel, dim=0)
            nv = torch.as_tensor(noise_var_from_snr(float(snr), nt, nr, convention, H=h), dtype=torch.float32)
            nv = nv.expand(b * uses).contiguous() if nv.ndim == 0 else nv.float()
            noise = torch.complex(torch.randn(b * uses, nr, generator=gen), torch.randn(b * uses, nr, generator=gen))
            y = (h @ x.unsqueeze(-1)).squeeze(-1) + noise * torch.sqrt(nv / 2).unsqueeze(-1)
            llr_of = {}
            for s in used:
                out = sources[s](y, h, nv).llr
                llr_of[s] = (out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)).astype(np.float32)
            for name, ch in chains.items():
                llr = llr_of[ch.source] if ch.transform is None else np.asarray(ch.transform(llr_of[ch.source]),
                                                                                np.float32)
                flat = np.zeros((b, code.n), np.float32)
                flat[:, :uses * nt * k] = llr.reshape(b, -1)
                deint = np.empty_like(flat)
                deint[:, perm] = flat                        # interleaved position j held codeword bit perm[j]
                res = code.decode(deint)
                info_err = (res.info != info).sum(axis=1)
                a = acc[name]
                a[0] += b
                a[1] += int((info_err > 0).sum())
                a[2] += int(info_err.sum())
                a[3] += int(((llr.reshape(b, -1) > 0) != sent.reshape(b, -1).astype(bool)).sum())
                a[4] += sent.size
            done += b
            if bar is not None:
                bar.update(b)
        if bar is not None:
            bar.close()
        for name, a in acc.items():
            rows.append({"chain": name, "snr_db": float(snr), "codewords": int(a[0]), "block_errors": int(a[1]),
                         "bler": a[1] / a[0], "info_bit_errors": int(a[2]), "ber": a[2] / (a[0] * code.k),
                         "channel_ber": a[3] / a[4]})
    return rows


__all__ = ["Chain", "run_coded", "packet_layout", "interleaver", "INTERLEAVER_SEED"]
