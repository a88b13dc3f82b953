# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bits of a MIMO-OFDM frame (phy/ofdm.py): CRC-32, the numbered test payload, and the
receiver side's frame checker.

A frame's information is payload_bits of payload, then its CRC-32 (MSB first); uncoded they are
the frame's bits, with coding "ldpc648" they are LDPC-encoded (ofdm_coding.py). The numbered test
payload (for BER over the air): a 16-bit frame number, then PRBS bits drawn from (seed, frame
number), so a receiver regenerates what was sent.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import numpy as np

from .ofdm_coding import DecodedFrame, FrameDecoder, encode_frame

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
#: Frames whose records and bits the frame_checker block keeps by default (its counters cover all
#: frames): about 10 MB at 4x4 16QAM, bounded however long a receiver runs.
FRAME_HISTORY = 10_000


def _missed(numbers: list) -> int:
    """Frame numbers skipped between consecutive numbered frames of `numbers` (None: unnumbered)."""
    nums = [n for n in numbers if n is not None]
    steps = [(b - a) % (1 << HEADER_BITS) for a, b in zip(nums, nums[1:])]
    # A repeated or backwards number (a misread header) is no evidence of lost frames.
    return int(sum(d - 1 for d in steps if 0 < d < (1 << (HEADER_BITS - 1))))



class FrameChecker:
    """Checks received frames: CRC, and bit errors against the numbered test payload.

    check(detected, info) takes one frame's detector output, float32 LLRs [n_re, Nt·K]
    (bit = LLR > 0, docs/conventions.md) or uint8 bits of the same shape, and `info`
    (RxFrame.info(): start sample, SNR, EVM, CFO …). A coded frame (config.coding) is decoded
    first (ofdm_coding.FrameDecoder; hard bits enter as LLRs ±HARD_BIT_LLR); the CRC, header
    and `bit_errors` / ber() then concern the decoded information bits, `channel_bit_errors` /
    channel_ber() the hard decisions of all the frame's channel bits (the uncoded BER; the same
    as ber() when uncoded), and per codeword: `codewords`, `codeword_errors` (decoded
    information differs from what was sent; test payload only), `codeword_failures` (BP did
    not reach a codeword) and bler() (errors per codeword, or failures without the test
    payload). The frame number comes from the
    header when the CRC passes; otherwise from the good frames around it and the distance
    between frame starts (frame_len samples apart), so the bit errors of a failed frame
    are counted against what was sent: a failed frame waits for the next good one (at most
    MAX_WAITING_AFTER_GOOD frames, then it is counted forward from the last good one) and is
    counted back from it; where the good frame before it says otherwise (the numbering broke in
    between: a looping replay, a transmitter restart), its header picks the nearer of the two
    numbers ("number_from_header"). finish() settles frames still waiting: from the last good
    frame, or with none from `first_frame` (the number of the first frame detected, when the
    link is known to start there, as in a loopback) or else from their unreliable headers
    ("number_from_header"). With test_payload=False only CRCs are checked (user data).

    verify: "crc" (default) takes an uncoded frame whose CRC-32 passes as sent (0 bit errors)
    without regenerating its payload, the receiver's costliest per-frame step (25 µs of about 70):
    a frame with errors passes a CRC-32 with probability 2^-32, so the counts differ from "payload"
    (every frame compared bit by bit against its regenerated payload) only after some 4·10⁹
    erroneous frames. Failed and coded frames are always compared in full.

    history: None keeps every frame's record and bits (a finite replay); a number keeps the last
    `history` to 2·`history` of them (a receiver that runs for days), while every counter (frames,
    CRC failures, bit errors, missed, mean EVM and SNR) still covers all frames. At most
    MAX_WAITING failed frames wait for a good one; older ones are settled from their headers.
    """

    #: Failed frames that may wait for a good one: half the header's number range, beyond
    #: which a distance in frames no longer names one number.
    MAX_WAITING = 1 << (HEADER_BITS - 1)

    #: Failed frames that wait for the next good one when a good one came before them (or first_frame
    #: numbers the first frame detected): beyond this the oldest is counted forward from that one (a
    #: link whose every frame fails, at low SNR, is still counted, a few frames late).
    MAX_WAITING_AFTER_GOOD = 16

    VERIFY = ("crc", "payload")

    def __init__(self, config: OfdmConfig, test_payload: bool = True, keep_bits: bool = True,
                 first_frame: int | None = None, history: int | None = None, verify: str = "crc"):
        if verify not in self.VERIFY:
            raise ValueError(f"frame_checker: verify must be one of {', '.join(self.VERIFY)}, got '{verify}'")
        self.config, self.test_payload, self.keep_bits = config, bool(test_payload), bool(keep_bits)
        self.verify = verify
        self.first_frame = None if first_frame is None or first_frame < 0 else int(first_frame)
        if history is not None and int(history) < 1:
            raise ValueError(f"frame_checker: history must be >= 1 frames or None (keep all), got {history}")
        self.history = None if history is None else int(history)
        self.records: list[dict] = []
        self.decoded: list[np.ndarray] = []     # packed frame bits (payload + CRC) per frame
        self.bit_errors = self.bits = self.crc_failures = 0
        self.channel_bit_errors = self.channel_bits = 0
        self.codewords = self.codeword_errors = self.codeword_failures = 0
        self._decode = FrameDecoder(config)
        self._frames = 0
        self._means = {"evm": [0.0, 0], "snr_db": [0.0, 0]}   # running [sum, count] over all frames
        self._missed_dropped = 0                # missed() of the records dropped from the history
        self._last_dropped_number = None        # frame number of the last of them
        self._last_good = None                  # (frame number, start sample)
        self._first_start = None                # start sample of the first frame detected
        self._waiting = []                      # (record, decoded) of failed frames since the last good one

    def check(self, detected, info: dict | None = None) -> dict:
        c = self.config
        det = np.asarray(detected)
        if det.shape != (c.n_re, c.nt * c.bits_per_symbol):
            raise ValueError(f"frame_checker: a frame is [{c.n_re}, {c.nt * c.bits_per_symbol}] "
                             f"(n_re, Nt·K), got {det.shape}")
        dec = self._decode(det)
        return self._record(dec, check_crc(dec.info), info)

    def check_decided(self, bits, crc_ok: bool, info: dict | None = None, packed=None) -> dict:
        """check() of an uncoded frame whose hard decisions and CRC verdict were made elsewhere (the
        C++ frame_bits_sink): bits uint8[bits_per_frame] (0/1), crc_ok as check_crc(bits) would
        say, packed: np.packbits(bits) when at hand."""
        c = self.config
        if c.coding != "none":
            raise ValueError("frame_checker: check_decided takes uncoded frames only")
        bits = np.asarray(bits, np.uint8)
        if bits.shape != (c.bits_per_frame,):
            raise ValueError(f"frame_checker: a frame has {c.bits_per_frame} bits, got {bits.shape}")
        dec = DecodedFrame(bits, bits, np.zeros(0, bool), np.zeros(0, np.int32))
        return self._record(dec, bool(crc_ok), info, packed)

    def _record(self, dec: DecodedFrame, ok: bool, info: dict | None, packed=None) -> dict:
        bits = dec.info
        info = dict(info or {})
        rec = {"frame": None, "crc_ok": ok, **info}
        self.crc_failures += not ok
        self._frames += 1
        for key, acc in self._means.items():
            if key in info and np.isfinite(info[key]):
                acc[0] += float(info[key])
                acc[1] += 1
        self.records.append(rec)
        if self.keep_bits:
            self.decoded.append(np.packbits(bits) if packed is None else packed)
        start = info.get("start")
        if self._first_start is None and start is not None:
            self._first_start = start
        if ok:
            rec["frame"] = header_number(bits)
            self._count(rec, dec)
            self._settle(rec["frame"], start)
            self._last_good = (rec["frame"], start)
        elif start is not None:
            # Numbered when the next good frame comes: from both good neighbours (_settle).
            self._waiting.append((rec, dec))
            unanchored = self._last_good is None and self.first_frame is None
            if len(self._waiting) > (self.MAX_WAITING if unanchored else self.MAX_WAITING_AFTER_GOOD):
                old, old_dec = self._waiting.pop(0)
                self._number_forward(old, old_dec)
        else:
            rec["frame"], rec["number_from_header"] = header_number(bits), True
            self._count(rec, dec)
        if self.history is not None and len(self.records) > 2 * self.history:
            self._drop_history(len(self.records) - self.history)
        return rec

    def _drop_history(self, k: int) -> None:
        """Drops the k oldest records (and bits), folding them into missed(); a record still waiting
        for a number is kept (with everything after it)."""
        k = next((i for i, r in enumerate(self.records[:k]) if r["frame"] is None), k)
        if k == 0:
            return
        self._missed_dropped += _missed([self._last_dropped_number] * (self._last_dropped_number is not None)
                                        + [r["frame"] for r in self.records[:k]])
        self._last_dropped_number = self.records[k - 1]["frame"]
        del self.records[:k]
        if self.keep_bits:
            del self.decoded[:k]

    def _number_from(self, anchor: int, anchor_start, start) -> int:
        """The number of the frame starting at `start`, counted from frame `anchor` at
        `anchor_start` (frames are frame_len samples apart; the header's numbers wrap)."""
        return (anchor + int(round((start - anchor_start) / self.config.frame_len))) % (1 << HEADER_BITS)

    def _settle(self, number: int, start) -> None:
        """Numbers the failed frames waiting since the last good frame, now that the good frame
        `number` at `start` follows them: counted back from it and, when a good frame came before
        them too, forward from that one. The two agree unless the numbering broke in between (a
        transmitter restart, a replay that loops, lost samples); then the failed frame takes the
        candidate whose 16 bits are nearer its own header's ("number_from_header" marks it)."""
        for r, d in self._waiting:
            back = self._number_from(number, start, r["start"])
            if self._last_good is None or self._last_good[1] is None:
                r["frame"] = back
            else:
                fwd = self._number_from(*self._last_good, r["start"])
                if fwd == back:
                    r["frame"] = back
                else:
                    head = header_number(d.info)
                    r["frame"] = min((fwd, back), key=lambda n: bin(n ^ head).count("1"))
                    r["number_from_header"] = True
            self._count(r, d)
        self._waiting = []

    def _number_forward(self, rec: dict, dec: DecodedFrame) -> None:
        """A failed frame no good frame followed: numbered from the last good one, else from
        first_frame (the number of the first frame detected), else from its own header."""
        if self._last_good is not None and self._last_good[1] is not None:
            rec["frame"] = self._number_from(*self._last_good, rec["start"])
        elif self.first_frame is not None and rec.get("start") is not None:
            rec["frame"] = self._number_from(self.first_frame, self._first_start, rec["start"])
        else:
            rec["frame"], rec["number_from_header"] = header_number(dec.info), True
        self._count(rec, dec)

    def finish(self) -> None:
        """Settles failed frames that no good frame followed (_number_forward)."""
        for r, b in self._waiting:
            self._number_forward(r, b)
        self._waiting = []

    def _count(self, rec: dict, dec: DecodedFrame) -> None:
        c = self.config
        coded = c.coding != "none"
        if coded:
            rec["codeword_failures"] = int(np.count_nonzero(~dec.codeword_ok))
            self.codewords += c.n_codewords
            self.codeword_failures += rec["codeword_failures"]
        if self.test_payload and not coded and rec["crc_ok"] and self.verify == "crc":
            # The CRC vouches for the bits (class docstring): no payload to regenerate.
            rec["bit_errors"] = rec["channel_bit_errors"] = 0
            self.bits += dec.info.size
            self.channel_bits += dec.channel.size
        elif self.test_payload:
            sent = append_crc(test_payload(c, rec["frame"]))
            rec["bit_errors"] = int(np.count_nonzero(sent != dec.info))
            self.bit_errors += rec["bit_errors"]
            self.bits += dec.info.size
            sent_channel = encode_frame(c, sent) if coded else sent
            rec["channel_bit_errors"] = int(np.count_nonzero(sent_channel != dec.channel))
            self.channel_bit_errors += rec["channel_bit_errors"]
            self.channel_bits += dec.channel.size
            if coded:
                wrong = (sent != dec.info).reshape(c.n_codewords, -1).any(axis=1)
                rec["codeword_errors"] = int(np.count_nonzero(wrong))
                self.codeword_errors += rec["codeword_errors"]

    @property
    def frames(self) -> int:
        """Frames checked (all of them, whatever the history keeps)."""
        return self._frames

    @property
    def missed(self) -> int:
        """Frame numbers skipped between consecutive numbered frames (frames never detected)."""
        head = [self._last_dropped_number] if self._last_dropped_number is not None else []
        return self._missed_dropped + _missed(head + [r["frame"] for r in self.records])

    def fer(self) -> float:
        """Frame error rate of the detected frames (NaN before the first)."""
        return self.crc_failures / self.frames if self.frames else float("nan")

    def ber(self) -> float:
        """Information-bit error rate (after decoding when coded; NaN before the first bit)."""
        return self.bit_errors / self.bits if self.bits else float("nan")

    def channel_ber(self) -> float:
        """Uncoded bit error rate: hard decisions of all the frame's channel bits."""
        return self.channel_bit_errors / self.channel_bits if self.channel_bits else float("nan")

    def bler(self) -> float:
        """Codeword error rate: codeword_errors / codewords with the test payload, else
        codeword_failures / codewords (NaN uncoded or before the first codeword)."""
        if not self.codewords:
            return float("nan")
        return (self.codeword_errors if self.test_payload else self.codeword_failures) / self.codewords

    def summary(self) -> dict:
        mean = {k: total / count if count else float("nan") for k, (total, count) in self._means.items()}
        return {"frames": self.frames, "crc_failures": self.crc_failures, "fer": self.fer(),
                "missed": self.missed, "bit_errors": self.bit_errors, "bits": self.bits, "ber": self.ber(),
                "coding": self.config.coding, "channel_bit_errors": self.channel_bit_errors,
                "channel_bits": self.channel_bits, "channel_ber": self.channel_ber(),
                "codewords": self.codewords, "codeword_errors": self.codeword_errors,
                "codeword_failures": self.codeword_failures, "bler": self.bler(),
                "evm_db": 20 * np.log10(mean["evm"]) if mean["evm"] > 0 else float("nan"),
                "snr_db": mean["snr_db"]}
