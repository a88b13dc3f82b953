# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bits of a MIMO-OFDM frame (phy/ofdm.py): CRC-32, the numbered test payload, and the
receiver side's frame checker.

A frame carries payload_bits of payload, then its CRC-32 (MSB first). The numbered test
payload (for BER over the air): a 16-bit frame number, then PRBS bits drawn from (seed, frame
number), so a receiver regenerates what was sent.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .ofdm import OfdmConfig

__all__ = ["FrameChecker", "crc32_bits", "append_crc", "check_crc", "header_number", "test_payload",
           "HEADER_BITS", "CRC_BITS"]

HEADER_BITS = 16
CRC_BITS = 32


# --- bits ---------------------------------------------------------------------------
def crc32_bits(bits: np.ndarray) -> np.ndarray:
    """CRC-32 (zlib polynomial) of a 0/1 bit vector, as uint8[32], MSB first."""
    crc = zlib.crc32(np.packbits(np.asarray(bits, np.uint8)).tobytes())
    return ((crc >> np.arange(31, -1, -1)) & 1).astype(np.uint8)


def append_crc(payload: np.ndarray) -> np.ndarray:
    payload = np.asarray(payload, np.uint8)
    return np.concatenate([payload, crc32_bits(payload)])


def check_crc(frame_bits: np.ndarray) -> bool:
    frame_bits = np.asarray(frame_bits, np.uint8)
    return bool(np.array_equal(crc32_bits(frame_bits[:-CRC_BITS]), frame_bits[-CRC_BITS:]))


def test_payload(config: OfdmConfig, frame_number: int) -> np.ndarray:
    """uint8[payload_bits]: the numbered test payload of frame `frame_number`.

    Numbers wrap at 2^16 (the header's width), so frame n and n + 65536 carry the same bits
    and a receiver that only knows the header regenerates them."""
    n = int(frame_number) % (1 << HEADER_BITS)
    header = (n >> np.arange(HEADER_BITS - 1, -1, -1)) & 1
    body = np.random.default_rng([config.seed, n]).integers(0, 2, config.payload_bits - HEADER_BITS)
    return np.concatenate([header, body]).astype(np.uint8)


test_payload.__test__ = False          # a payload generator, not a pytest test


def header_number(frame_bits: np.ndarray) -> int:
    b = np.asarray(frame_bits[:HEADER_BITS], np.int64)
    return int(b @ (1 << np.arange(HEADER_BITS - 1, -1, -1)))


# --- receiver side: CRC, frame numbers, error counts --------------------------------
class FrameChecker:
    """Checks received frames: CRC, and bit errors against the numbered test payload.

    check(detected, info) takes one frame's detector output, float32 LLRs [n_re, Nt·K]
    (bit = LLR > 0, docs/conventions.md) or uint8 bits of the same shape, and `info`
    (RxFrame.info(): start sample, SNR, EVM, CFO …). The frame number comes from the
    header when the CRC passes; otherwise from the nearest good frame and the distance
    between frame starts (frame_len samples apart), so the bit errors of a failed frame
    are counted against what was sent. Failed frames before the first good one wait for
    it; finish() settles any still waiting: from `first_frame` (the number of the first
    frame detected, when the link is known to start there, as in a loopback) or else from
    their unreliable headers, marking them "number_from_header". With test_payload=False
    only CRCs are checked (user data).
    """

    def __init__(self, config: OfdmConfig, test_payload: bool = True, keep_bits: bool = True,
                 first_frame: int | None = None):
        self.config, self.test_payload, self.keep_bits = config, bool(test_payload), bool(keep_bits)
        self.first_frame = None if first_frame is None or first_frame < 0 else int(first_frame)
        self.records: list[dict] = []
        self.decoded: list[np.ndarray] = []     # packed frame bits (payload + CRC) per frame
        self.bit_errors = self.bits = self.crc_failures = 0
        self._last_good = None                  # (frame number, start sample)
        self._waiting = []                      # (record, bits) of failed frames before any good one

    def check(self, detected, info: dict | None = None) -> dict:
        c = self.config
        det = np.asarray(detected)
        if det.shape != (c.n_re, c.nt * c.bits_per_symbol):
            raise ValueError(f"frame_checker: a frame is [{c.n_re}, {c.nt * c.bits_per_symbol}] "
                             f"(n_re, Nt·K), got {det.shape}")
        bits = (det > 0).astype(np.uint8).ravel() if det.dtype.kind == "f" else (det & 1).astype(np.uint8).ravel()
        info = dict(info or {})
        ok = check_crc(bits)
        rec = {"frame": None, "crc_ok": ok, **info}
        self.crc_failures += not ok
        self.records.append(rec)
        if self.keep_bits:
            self.decoded.append(np.packbits(bits))
        start = info.get("start")
        if ok:
            rec["frame"] = header_number(bits)
            self._last_good = (rec["frame"], start)
            self._count(rec, bits)
            if self._waiting and start is not None:
                for r, b in self._waiting:
                    r["frame"] = (rec["frame"] - int(round((start - r["start"]) / c.frame_len))) % (1 << HEADER_BITS)
                    self._count(r, b)
                self._waiting = []
        elif self._last_good is not None and start is not None and self._last_good[1] is not None:
            rec["frame"] = (self._last_good[0] + int(round((start - self._last_good[1]) / c.frame_len))) % (1 << HEADER_BITS)
            self._count(rec, bits)
        elif start is not None:
            self._waiting.append((rec, bits))
        else:
            rec["frame"], rec["number_from_header"] = header_number(bits), True
            self._count(rec, bits)
        return rec

    def finish(self) -> None:
        """Settles failed frames that never saw a good one."""
        first = self._waiting[0][0]["start"] if self._waiting else 0
        for r, b in self._waiting:
            if self.first_frame is not None:
                r["frame"] = (self.first_frame + int(round((r["start"] - first) / self.config.frame_len))) \
                    % (1 << HEADER_BITS)
            else:
                r["frame"], r["number_from_header"] = header_number(b), True
            self._count(r, b)
        self._waiting = []

    def _count(self, rec: dict, bits: np.ndarray) -> None:
        if self.test_payload:
            sent = append_crc(test_payload(self.config, rec["frame"]))
            rec["bit_errors"] = int(np.count_nonzero(sent != bits))
            self.bit_errors += rec["bit_errors"]
            self.bits += bits.size

    @property
    def frames(self) -> int:
        return len(self.records)

    @property
    def missed(self) -> int:
        """Frame numbers skipped between consecutive numbered frames (frames never detected)."""
        nums = [r["frame"] for r in self.records if r["frame"] is not None]
        steps = [(b - a) % (1 << HEADER_BITS) for a, b in zip(nums, nums[1:])]
        # A repeated or backwards number (a misread header) is no evidence of lost frames.
        return int(sum(d - 1 for d in steps if 0 < d < (1 << (HEADER_BITS - 1))))

    def fer(self) -> float:
        """Frame error rate of the detected frames (NaN before the first)."""
        return self.crc_failures / self.frames if self.frames else float("nan")

    def ber(self) -> float:
        return self.bit_errors / self.bits if self.bits else float("nan")

    def summary(self) -> dict:
        recs = self.records
        mean = (lambda k: float(np.mean([r[k] for r in recs if k in r])) if any(k in r for r in recs)
                else float("nan"))
        return {"frames": self.frames, "crc_failures": self.crc_failures, "fer": self.fer(),
                "missed": self.missed, "bit_errors": self.bit_errors, "bits": self.bits, "ber": self.ber(),
                "evm_db": 20 * np.log10(mean("evm")) if recs else float("nan"),
                "snr_db": mean("snr_db")}
