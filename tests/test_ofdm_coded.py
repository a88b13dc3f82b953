# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The LDPC-coded MIMO-OFDM link (coding "ldpc648"): frame layout, transmitter, frame checker."""
import numpy as np
import pytest

pytest.importorskip("ldpc")

from neuralmimo.phy.ldpc import ldpc_code  # noqa: E402
from neuralmimo.phy.ofdm import OfdmConfig, ofdm_config  # noqa: E402
from neuralmimo.phy.ofdm_bits import CRC_BITS, FrameChecker, append_crc, check_crc, test_payload  # noqa: E402
from neuralmimo.phy.ofdm_coding import (HARD_BIT_LLR, codeword_positions, encode_frame,  # noqa: E402
                                        pad_bits)

from test_ofdm import decode_lmmse, link  # noqa: E402


def test_coded_sizes_and_remainder_rule():
    c = ofdm_config(coding="ldpc648")                # 576 REs x 2 streams x 4 bits = 4608 bits
    assert c.bits_per_frame == 4608
    assert c.n_codewords == 7 and c.pad_bits == 4608 - 7 * 648 == 72
    assert c.info_bits == 7 * 324 and c.payload_bits == 7 * 324 - CRC_BITS
    assert OfdmConfig.from_dict(c.to_dict()) == c and c.to_dict()["coding"] == "ldpc648"
    assert "coding" not in ofdm_config().to_dict()   # uncoded configs serialise as before
    # A frame that is an exact multiple of 648 bits has no padding: 648 = 81 REs x 8 bits.
    exact = ofdm_config(n_used=30, pilots=(-9, 9), n_data_symbols=3, coding="ldpc648")
    assert exact.bits_per_frame == 3 * 28 * 8 == 672 and exact.n_codewords == 1 and exact.pad_bits == 24
    with pytest.raises(ValueError, match="648"):
        ofdm_config(n_data_symbols=1, n_used=8, pilots=(), coding="ldpc648")
    with pytest.raises(ValueError, match="coding"):
        ofdm_config(coding="turbo")


def test_frame_bits_are_interleaved_codewords_then_pad():
    c = ofdm_config(coding="ldpc648")
    info = append_crc(test_payload(c, 5))
    bits = encode_frame(c, info)
    assert bits.shape == (c.bits_per_frame,) and bits.dtype == np.uint8
    pos = codeword_positions(c)
    # Every frame bit before the pad belongs to exactly one codeword bit.
    assert np.array_equal(np.sort(pos.ravel()), np.arange(c.n_codewords * 648))
    assert pos[2, 0] == 2 and pos[2, 1] == 2 + c.n_codewords
    cw = bits[pos]
    code = ldpc_code()
    assert not code.syndrome(cw).any()
    np.testing.assert_array_equal(cw[:, :324].ravel(), info)          # systematic, in order
    np.testing.assert_array_equal(bits[-c.pad_bits:], pad_bits(c))
    assert 0 < pad_bits(c).sum() < c.pad_bits                          # pseudo-random, not zeros
    np.testing.assert_array_equal(pad_bits(c), pad_bits(ofdm_config(coding="ldpc648", seed=9)))


def test_checker_decodes_noiseless_and_noisy_llrs():
    c = ofdm_config(coding="ldpc648")
    rng = np.random.default_rng(4)
    chk = FrameChecker(c)
    for n in range(3):
        sent = encode_frame(c, append_crc(test_payload(c, n)))
        llr = np.where(sent == 1, 3.0, -3.0) + rng.normal(0, 1.6, sent.size)   # ~3 % raw errors
        rec = chk.check(llr.astype(np.float32).reshape(c.n_re, -1), {"start": 1000 + n * c.frame_len})
        assert rec["crc_ok"] and rec["frame"] == n
    s = chk.summary()
    assert s["coding"] == "ldpc648" and s["codewords"] == 21
    assert s["codeword_errors"] == 0 and s["codeword_failures"] == 0 and s["bler"] == 0
    assert s["bit_errors"] == 0 and s["bits"] == 3 * c.info_bits
    assert s["channel_bits"] == 3 * c.bits_per_frame and 0.01 < s["channel_ber"] < 0.06
    # Hard bits decode too (as LLRs of +-HARD_BIT_LLR): 1 % flipped bits.
    sent = encode_frame(c, append_crc(test_payload(c, 3)))
    flip = rng.random(sent.size) < 0.01
    rec = chk.check((sent ^ flip).astype(np.uint8).reshape(c.n_re, -1), {"start": 1000 + 3 * c.frame_len})
    assert rec["crc_ok"] and rec["bit_errors"] == 0 and rec["channel_bit_errors"] == flip.sum() > 0
    assert HARD_BIT_LLR > 0


def test_uncoded_checker_reports_channel_ber_equal_to_ber():
    c = ofdm_config()
    chk = FrameChecker(c, first_frame=0)
    sent = append_crc(test_payload(c, 0))
    bits = sent.copy()
    bits[[3, 500, 4000]] ^= 1
    chk.check(bits.reshape(c.n_re, -1), {"start": 0})
    chk.finish()                                     # the failed frame waited for a good one
    s = chk.summary()
    assert s["bit_errors"] == s["channel_bit_errors"] == 3 and s["codewords"] == 0
    assert np.isnan(s["bler"]) and s["ber"] == s["channel_ber"]


def test_coded_link_high_snr_every_codeword_decodes():
    c = ofdm_config(nt=2, nr=2, gap=50, coding="ldpc648")
    frames, _, _ = link(c, frames=5, snr_db=30, profile="A", delay_spread=100e-9, cfo_hz=2e3, seed=7)
    assert len(frames) == 5
    chk = FrameChecker(c)
    for f in frames:
        chk.check(decode_lmmse(c, f), f.info())
    s = chk.summary()
    assert s["codewords"] == 35 and s["codeword_errors"] == 0 and s["crc_failures"] == 0
    assert s["bit_errors"] == 0 and [r["frame"] for r in chk.records] == list(range(5))


def test_coded_link_low_snr_corrects_part_of_what_the_detector_gets_wrong():
    # 2x2 16QAM, LMMSE at 14 dB over a faded channel: a raw (uncoded) BER of about 14 %, near
    # the code's threshold, where rate-1/2 LDPC recovers about half of the codewords.
    c = ofdm_config(nt=2, nr=2, gap=50, coding="ldpc648")
    frames, _, _ = link(c, frames=4, snr_db=14, profile="A", delay_spread=100e-9, seed=5)
    assert len(frames) == 4
    chk = FrameChecker(c, first_frame=0)
    for f in frames:
        chk.check(decode_lmmse(c, f), f.info())
    chk.finish()
    s = chk.summary()
    assert s["codewords"] == 28
    assert 0.08 < s["channel_ber"] < 0.25             # the detector makes many errors ...
    assert 0.1 < s["bler"] < 0.9                     # ... the code corrects some codewords
    assert s["ber"] < 0.75 * s["channel_ber"]
    assert s["codeword_failures"] <= s["codeword_errors"] + 1


def test_crc_of_a_decoded_frame_is_over_information_bits():
    c = ofdm_config(coding="ldpc648")
    info = append_crc(test_payload(c, 1))
    assert check_crc(info) and info.size == c.info_bits
