# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The coded layout of a MIMO-OFDM frame (coding "ldpc648"): the one definition that the
transmitter, the frame checker, the replay CLI and the loopback share.

A frame has bits_per_frame = n_re·Nt·K channel bits (phy/ofdm.py). With coding "ldpc648":

- Information: info_bits = n_codewords·324 bits, the payload (payload_bits) then its CRC-32,
  where n_codewords = bits_per_frame // 648 (as many whole codewords as fit).
- Codeword c (c = 0 … n_codewords−1) encodes information bits [324·c, 324·(c+1)) with the
  802.11n (648, 324) code (phy/ldpc.py; systematic: [information | parity]).
- Interleaving: bit j of codeword c is frame bit j·n_codewords + c. The codewords take turns,
  so each is spread over the whole frame (every data symbol, carrier and antenna) instead of a
  few adjacent carriers that fade together.
- Padding: the last pad_bits = bits_per_frame − 648·n_codewords frame bits are known pad bits,
  a fixed pseudo-random sequence (seed _PAD_SEED, part of the frame format, like the preamble),
  not zeros, so the padded resource elements carry ordinary random constellation points.
  The receiver ignores them.

With coding "none" the frame's bits are the information bits themselves (payload then CRC).
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from .ldpc import Ldpc80211n

if TYPE_CHECKING:
    from .ofdm import OfdmConfig

__all__ = ["CODINGS", "LDPC_N", "LDPC_K", "HARD_BIT_LLR", "pad_bits", "codeword_positions",
           "encode_frame", "FrameDecoder", "DecodedFrame"]

CODINGS = ("none", "ldpc648")
LDPC_N, LDPC_K = Ldpc80211n.n, Ldpc80211n.k
_PAD_SEED = 0x3D

#: Hard bits (a detector that gives no LLRs) enter the decoder as LLRs of this magnitude: the
#: LLR of a binary symmetric channel with crossover 1 % (ln 99). Product-sum BP weighs the
#: channel against the checks by it; any moderate value decodes a few errors per codeword.
HARD_BIT_LLR = float(np.log(99.0))


def pad_bits(config: OfdmConfig) -> np.ndarray:
    """uint8[config.pad_bits]: the known pad bits at the end of a coded frame."""
    return np.random.default_rng(_PAD_SEED).integers(0, 2, config.pad_bits).astype(np.uint8)


def codeword_positions(config: OfdmConfig) -> np.ndarray:
    """int64[n_codewords, 648]: the frame bit index of bit j of codeword c (j·n_codewords + c)."""
    n = config.n_codewords
    return np.arange(LDPC_N)[None, :] * n + np.arange(n)[:, None]


def encode_frame(config: OfdmConfig, info, code: Ldpc80211n | None = None) -> np.ndarray:
    """info: uint8[info_bits] (payload then CRC) -> the frame's channel bits uint8[bits_per_frame]."""
    c = config
    info = np.asarray(info, np.uint8)
    if info.shape != (c.info_bits,):
        raise ValueError(f"encode_frame: info must have shape ({c.info_bits},), got {info.shape}")
    if c.coding == "none":
        return info
    code = code or _shared_code()
    cw = code.encode(info.reshape(c.n_codewords, LDPC_K))
    bits = np.empty(c.bits_per_frame, np.uint8)
    bits[codeword_positions(c)] = cw
    bits[c.n_codewords * LDPC_N:] = pad_bits(c)
    return bits


@dataclasses.dataclass
class DecodedFrame:
    """One frame after decoding.

    info: uint8[info_bits] information bits (payload then CRC): decoded, or the hard decisions
        when uncoded.
    channel: uint8[bits_per_frame] hard decisions of the channel bits (before decoding).
    codeword_ok: bool[n_codewords] the decoder converged to a codeword (syndrome 0); [0] uncoded.
    iterations: int32[n_codewords] BP iterations.
    """

    info: np.ndarray
    channel: np.ndarray
    codeword_ok: np.ndarray
    iterations: np.ndarray


class FrameDecoder:
    """Decodes frames of one configuration: LLRs or hard bits [n_re, Nt·K] -> DecodedFrame.

    Each instance owns its decoder (the `ldpc` package's decoder object holds per-call state),
    so blocks running in separate threads each make their own. max_iter, method: Ldpc80211n's.
    """

    def __init__(self, config: OfdmConfig, max_iter: int = 50, method: str = "product_sum"):
        self.config = config
        self.code = Ldpc80211n(max_iter=max_iter, method=method) if config.coding != "none" else None
        self._pos = codeword_positions(config) if self.code is not None else None

    def __call__(self, detected) -> DecodedFrame:
        """detected: float LLRs (bit = LLR > 0) or uint8 bits, any shape of bits_per_frame items."""
        c = self.config
        det = np.asarray(detected)
        if det.size != c.bits_per_frame:
            raise ValueError(f"frame decoder: a frame has {c.bits_per_frame} bits, got {det.shape}")
        det = det.ravel()
        soft = det.dtype.kind == "f"
        channel = (det > 0).astype(np.uint8) if soft else (det & 1).astype(np.uint8)
        if self.code is None:
            return DecodedFrame(channel, channel, np.zeros(0, bool), np.zeros(0, np.int32))
        llr = det.astype(np.float32) if soft else np.where(channel == 1, HARD_BIT_LLR, -HARD_BIT_LLR)
        res = self.code.decode(llr[self._pos].astype(np.float32))
        return DecodedFrame(res.info.ravel(), channel, res.ok, res.iterations)


_CODE = None


def _shared_code() -> Ldpc80211n:
    # The encoder has no state (H and the parity map are read-only), so transmitters share one.
    global _CODE
    if _CODE is None:
        _CODE = Ldpc80211n()
    return _CODE
