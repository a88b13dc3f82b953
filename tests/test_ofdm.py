# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""MIMO-OFDM link without GNU Radio: frame format, receiver, LS estimate, CFO, frame checker."""
import numpy as np
import pytest

import neuralmimo as nm
from neuralmimo.phy.ofdm import OfdmConfig, OfdmTransmitter, ofdm_config
from neuralmimo.phy.ofdm_bits import CRC_BITS, FrameChecker, append_crc, check_crc, test_payload
from neuralmimo.phy.ofdm_channel import OfdmChannelSim
from neuralmimo.phy.ofdm_rx import OfdmReceiver

FS = 5e6


def transmit(c, frames, lead=150, amplitude=1.0):
    """complex64[n, Nt] of `frames` numbered frames after `lead` zero samples, and each frame's start."""
    tx = OfdmTransmitter(c, amplitude)
    x = np.concatenate([np.zeros((lead, c.nt), np.complex64)] + [tx.frame(test_payload(c, n)) for n in range(frames)])
    return x, lead + np.arange(frames) * c.frame_len


def link(c, frames=10, snr_db=30.0, chunk=None, **channel):
    """Transmitter -> OfdmChannelSim -> receiver; returns (frames, channel, tx frame starts)."""
    x, starts = transmit(c, frames)
    ch = OfdmChannelSim(c.nt, c.nr, sample_rate=FS, snr_db=snr_db, **channel)
    y = ch.process(np.concatenate([x, np.zeros((200, c.nt), np.complex64)]))
    rx = OfdmReceiver(c)
    if chunk is None:
        return rx.push(y), ch, starts
    out, i = [], 0
    rng = np.random.default_rng(chunk)
    while i < len(y):
        k = int(rng.integers(1, 700))
        out += rx.push(y[i:i + k])
        i += k
    return out, ch, starts


def decode_lmmse(c, frame):
    out = nm.detector("lmmse", constellation=c.constellation)(frame.y, frame.h, np.float32(frame.noise_var))
    return out.llr.reshape(c.n_re, -1)


# --- frame format ----------------------------------------------------------------------
def test_config_sizes_and_round_trip():
    c = ofdm_config(nt=2, nr=4, n_data_symbols=10)
    assert len(c.data_carriers) == 48 and c.n_re == 480
    assert c.bits_per_frame == 480 * 2 * 4 and c.payload_bits == c.bits_per_frame - CRC_BITS
    assert c.frame_len == (1 + 2 * 2 + 10) * 80
    assert OfdmConfig.from_dict(c.to_dict()) == c


@pytest.mark.parametrize("kwargs, word", [
    ({"nt": 0}, "nt"), ({"cp_len": 40}, "cp_len"), ({"n_used": 63}, "n_used"), ({"pilots": (-21, 30)}, "pilots"),
    ({"training": "freq"}, "training"), ({"ltf_repeats": 1}, "ltf_repeats"), ({"constellation": "qam7"}, "qam7"),
    ({"n_data_symbols": 1, "n_used": 4, "pilots": (), "constellation": "bpsk", "nt": 1}, "header"),
])
def test_config_rejects_bad_values(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ofdm_config(**kwargs)


def test_preamble_has_two_equal_halves_and_tx_power():
    c = ofdm_config(nt=2)
    x, _ = transmit(c, 1, lead=0)
    body = x[c.cp_len:c.symbol_len, 0]
    np.testing.assert_allclose(body[:32], body[32:], atol=1e-6)
    assert np.all(x[:c.symbol_len, 1] == 0)                       # antenna 1 silent in the preamble
    data = x[(1 + c.n_training_symbols) * c.symbol_len:c.n_symbols * c.symbol_len]
    # Orthonormal IFFT of unit-energy symbols on n_used of fft_len carriers.
    np.testing.assert_allclose(np.mean(np.abs(data) ** 2, axis=0), c.n_used / c.fft_len, rtol=0.08)


def test_crc_and_payload():
    c = ofdm_config()
    bits = append_crc(test_payload(c, 7))
    assert check_crc(bits)
    for i in (0, 100, len(bits) - 1):
        bad = bits.copy()
        bad[i] ^= 1
        assert not check_crc(bad)
    assert not np.array_equal(test_payload(c, 7), test_payload(c, 8))
    assert not np.array_equal(test_payload(c, 7), test_payload(ofdm_config(seed=1), 7))


# --- receiver --------------------------------------------------------------------------
@pytest.mark.parametrize("training", ["time", "comb"])
def test_high_snr_loopback_every_frame_passes(training):
    # Nr = 4 > Nt: with Nr = Nt = 2 a faded carrier can leave LMMSE a weak stream even at 40 dB.
    c = ofdm_config(nt=2, nr=4, training=training, gap=50)
    frames, _, starts = link(c, frames=8, snr_db=40, profile="A", delay_spread=100e-9, cfo_hz=3e3,
                             timing_offset=0.3, phase_noise_hz=50, seed=3)
    assert len(frames) == 8
    chk = FrameChecker(c)
    for f in frames:
        chk.check(decode_lmmse(c, f), f.info())
    assert chk.crc_failures == 0 and chk.bit_errors == 0 and chk.missed == 0
    assert [r["frame"] for r in chk.records] == list(range(8))


def test_ls_channel_estimate_error_matches_pilot_snr():
    """E|Ĥ − H|² = σ²/R per entry for time-orthogonal training with R repetitions of unit-modulus pilots."""
    c = ofdm_config(nt=2, nr=2, gap=30)
    snr = 20.0
    frames, ch, starts = link(c, frames=20, snr_db=snr, profile="A", delay_spread=200e-9, timing_offset=0.41, seed=5)
    assert len(frames) == 20
    err, n = 0.0, 0
    for f, s in zip(frames, starts):
        # The receiver's FFT window starts at fft_start; the transmitted preamble body at s + cp.
        h_true = ch.freq_response(c.fft_len, c.used_carriers, delay=f.fft_start - (s + c.cp_len))
        # Up to a common phase: a residual CFO turns all of Ĥ alike, which the pilot tracking removes.
        common = np.exp(-1j * np.angle(np.vdot(h_true, f.h_est)))
        err += np.sum(np.abs(f.h_est * common - h_true) ** 2)
        n += h_true.size
    ratio = err / n / (ch.noise_var / c.ltf_repeats)
    # n = 4160 complex errors: the ratio's standard error is 1/√n = 1.6 %.
    assert abs(ratio - 1) < 0.08, ratio
    nv = np.array([f.noise_var for f in frames])
    assert abs(nv.mean() / ch.noise_var - 1) < 0.05


@pytest.mark.parametrize("cfo_sub", [-0.8, -0.3, 0.45, 0.8])
def test_cfo_up_to_stated_limit_is_corrected(cfo_sub):
    """|CFO| < 1 subcarrier spacing (fs/N) is corrected: estimate within 1e-3 spacings, no frame lost."""
    c = ofdm_config(nt=2, nr=4, gap=40)
    df = FS / c.fft_len
    frames, _, _ = link(c, frames=5, snr_db=30, profile="A", delay_spread=100e-9, cfo_hz=cfo_sub * df, seed=9)
    assert len(frames) == 5
    chk = FrameChecker(c)
    for f in frames:
        assert abs(f.cfo - cfo_sub) < 1e-3, f.cfo
        chk.check(decode_lmmse(c, f), f.info())
    assert chk.crc_failures == 0


def test_receiver_output_does_not_depend_on_chunking():
    c = ofdm_config(nt=2, nr=3, gap=20)
    whole, _, _ = link(c, frames=4, snr_db=15, profile="B", seed=2)
    split, _, _ = link(c, frames=4, snr_db=15, profile="B", seed=2, chunk=7)
    assert len(whole) == len(split) == 4
    for a, b in zip(whole, split):
        assert a.start == b.start
        np.testing.assert_array_equal(a.y, b.y)
        np.testing.assert_array_equal(a.h, b.h)


def test_noise_only_gives_no_frames():
    c = ofdm_config(nt=2, nr=2)
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal((50000, 2)) + 1j * rng.standard_normal((50000, 2))).astype(np.complex64)
    assert OfdmReceiver(c).push(noise) == []


def test_snr_estimate_tracks_the_channel():
    c = ofdm_config(nt=2, nr=2, gap=10)
    frames, ch, _ = link(c, frames=12, snr_db=22, profile="flat", seed=4)
    true_snr = np.mean(np.sum(np.abs(ch.freq_response(c.fft_len, c.used_carriers)) ** 2, axis=2)) / ch.noise_var
    est = np.array([f.snr_db for f in frames])
    # σ̂² of one frame rests on 208 complex differences (7 % standard error, 0.3 dB): the mean of
    # 12 frames is within 0.1 dB of the truth, 0.4 dB is 4 standard errors.
    assert abs(est.mean() - 10 * np.log10(true_snr)) < 0.4, (est, 10 * np.log10(true_snr))


def test_frame_checker_predicts_number_of_failed_frame():
    c = ofdm_config(gap=10)
    chk = FrameChecker(c)
    good = append_crc(test_payload(c, 3)).reshape(c.n_re, -1)
    chk.check(good, {"start": 1000})
    bad = append_crc(test_payload(c, 5)).reshape(c.n_re, -1).copy()
    bad[0, :3] ^= 1
    rec = chk.check(bad, {"start": 1000 + 2 * c.frame_len + 3})
    assert rec["frame"] is None and chk.bits == c.info_bits       # waits for the next good frame
    chk.finish()                                                  # none came: from the last good one
    assert rec["frame"] == 5 and not rec["crc_ok"] and rec["bit_errors"] == 3
    assert chk.crc_failures == 1 and chk.bit_errors == 3 and chk.fer() == 0.5
    with pytest.raises(ValueError, match="n_re"):
        chk.check(good[:-1])


def test_frame_checker_numbers_failed_frames_across_a_numbering_break():
    # A replay that loops (or a transmitter that restarts): good 4, failed 5, failed 0, good 1.
    # Counted forward from 4 the failed frames are 5 and 6, back from 1 they are 65535 and 0: the
    # two disagree, and each failed frame's header picks the nearer (in bits) of its two numbers.
    c = ofdm_config(gap=10)
    frame = lambda n: append_crc(test_payload(c, n)).reshape(c.n_re, -1).copy()      # noqa: E731
    chk = FrameChecker(c)
    chk.check(frame(4), {"start": 0})
    before = frame(5)
    before[5, :2] ^= 1                           # 2 payload errors, header intact: says 5
    after = frame(0)
    after[7, :3] ^= 1
    after[0, 7] ^= 1                             # 4 errors, one in the header: it reads 256 (0 is nearer than 6)
    chk.check(before, {"start": c.frame_len})
    chk.check(after, {"start": 2 * c.frame_len})
    chk.check(frame(1), {"start": 3 * c.frame_len})
    nums = [r["frame"] for r in chk.records]
    assert nums == [4, 5, 0, 1], nums
    assert [r.get("bit_errors") for r in chk.records] == [0, 2, 4, 0]
    assert chk.records[1]["number_from_header"] and chk.records[2]["number_from_header"]
    assert chk.bit_errors == 6 and chk.missed == 0


def test_frame_checker_counts_a_run_of_failed_frames_without_a_good_one():
    # At low SNR every frame may fail: after MAX_WAITING_AFTER_GOOD of them the oldest is counted
    # forward from the last good frame, so the counters move while the link is bad.
    c = ofdm_config(gap=10)
    chk = FrameChecker(c)
    chk.check(append_crc(test_payload(c, 0)).reshape(c.n_re, -1), {"start": 0})
    k = FrameChecker.MAX_WAITING_AFTER_GOOD
    for n in range(1, k + 4):
        bad = append_crc(test_payload(c, n)).reshape(c.n_re, -1).copy()
        bad[3, :1] ^= 1
        chk.check(bad, {"start": n * c.frame_len})
    assert [r["frame"] for r in chk.records[:4]] == [0, 1, 2, 3]
    assert all(r["frame"] is None for r in chk.records[4:])
    assert chk.bit_errors == 3 and chk.crc_failures == k + 3
    # The same from the start of a link whose first frame number is known (a loopback): no good
    # frame at all, numbered from first_frame.
    known = FrameChecker(c, first_frame=7)
    for n in range(k + 3):
        bad = append_crc(test_payload(c, 7 + n)).reshape(c.n_re, -1).copy()
        bad[3, :2] ^= 1
        known.check(bad, {"start": 100 + n * c.frame_len})
    assert [r["frame"] for r in known.records[:3]] == [7, 8, 9] and known.bit_errors == 6


def test_receiver_rejects_wrong_channel_count():
    with pytest.raises(ValueError, match="nr=2"):
        OfdmReceiver(ofdm_config(nr=2)).push(np.zeros((100, 3), np.complex64))


def test_frame_checker_settles_failed_frames_before_the_first_good_one():
    c = ofdm_config(gap=10)
    chk = FrameChecker(c)
    bad = append_crc(test_payload(c, 8)).reshape(c.n_re, -1).copy()
    bad[1, 0] ^= 1
    bad[0, 0] ^= 1                                  # the header is hit too: its number would be wrong
    chk.check(bad, {"start": 500})
    assert chk.bits == 0                            # waits for a good frame
    chk.check(append_crc(test_payload(c, 9)).reshape(c.n_re, -1), {"start": 500 + c.frame_len})
    assert chk.records[0]["frame"] == 8 and chk.records[0]["bit_errors"] == 2 and chk.bit_errors == 2
    # Without any good frame the header decides, and the record says so.
    lone = FrameChecker(c)
    lone.check(bad, {"start": 0})
    lone.finish()
    assert lone.records[0]["number_from_header"] and lone.records[0]["frame"] != 8


def test_payload_numbers_wrap_with_the_header():
    c = ofdm_config()
    np.testing.assert_array_equal(test_payload(c, 3), test_payload(c, 3 + 65536))


def test_per_stream_phase_tracking_follows_a_drifting_transmitter():
    """Antenna 1 with its own slightly offset oscillator (0.002 subcarrier spacings, 0.27 rad over
    a frame): per-stream tracking follows it, common-phase tracking cannot."""
    c = ofdm_config(nt=2, nr=4, gap=20)
    x, _ = transmit(c, 6)
    x[:, 1] *= np.exp(2j * np.pi * 0.002 * np.arange(len(x)) / c.fft_len).astype(np.complex64)
    ch = OfdmChannelSim(c.nt, c.nr, sample_rate=FS, snr_db=35, profile="A", delay_spread=100e-9, seed=6)
    y = ch.process(np.concatenate([x, np.zeros((100, c.nt), np.complex64)]))
    evm = {}
    for tracking in ("per_stream", "common"):
        frames = OfdmReceiver(c, tracking=tracking).push(y)
        assert len(frames) == 6
        evm[tracking] = 20 * np.log10(np.mean([f.evm for f in frames]))
    assert evm["per_stream"] < evm["common"] - 3, evm


def test_skipping_ahead_loses_only_the_skipped_frames():
    c = ofdm_config(nt=2, nr=4, gap=40)
    x, starts = transmit(c, 8)
    ch = OfdmChannelSim(c.nt, c.nr, sample_rate=FS, snr_db=35, profile="A", delay_spread=100e-9, seed=2)
    y = ch.process(np.concatenate([x, np.zeros((100, c.nt), np.complex64)]))
    rx = OfdmReceiver(c)
    cut = int(starts[2]) + 500                   # inside frame 2
    got = rx.push(y[:cut])
    rx.skip(2 * c.frame_len)                     # frames 2, 3 and 4 are gone (part of 4 skipped)
    got += rx.push(y[cut + 2 * c.frame_len:])
    assert rx.samples_skipped == 2 * c.frame_len
    # Bulk delay of the channel: 8 samples.
    assert [f.start - 8 for f in got] == [int(s) for s in starts[[0, 1, 5, 6, 7]]]
    chk = FrameChecker(c)
    for f in got:
        chk.check(decode_lmmse(c, f), f.info())
    assert chk.crc_failures == 0 and [r["frame"] for r in chk.records] == [0, 1, 5, 6, 7] and chk.missed == 3


def test_frame_checker_history_is_bounded_and_counters_cover_every_frame():
    """A receiver that runs for days: records and bits beyond the history are dropped, while frames,
    bit errors, missed frames and the mean SNR still count every frame, equal to an unbounded checker's."""
    from neuralmimo.phy.ofdm import ofdm_config
    from neuralmimo.phy.ofdm_bits import FrameChecker, append_crc, test_payload

    cfg = ofdm_config(nt=1, nr=1)
    rng = np.random.default_rng(5)
    full, short = FrameChecker(cfg), FrameChecker(cfg, history=4)
    for number in [n for n in range(40) if n not in (7, 8, 23)]:     # frames 7, 8 and 23 never arrive
        bits = append_crc(test_payload(cfg, number)).astype(np.uint8)
        if number % 5 == 0:                                          # some frames fail their CRC
            bits = bits.copy()
            bits[rng.integers(0, bits.size, 3)] ^= 1
        frame = bits.reshape(cfg.n_re, -1)
        info = {"start": number * cfg.frame_len, "snr_db": float(number)}
        full.check(frame, info)
        short.check(frame, info)
    assert len(full.records) == 37 and 4 <= len(short.records) <= 8
    assert short.frames == full.frames == 37
    assert short.missed == full.missed == 3
    assert (short.bit_errors, short.bits, short.crc_failures) == (full.bit_errors, full.bits, full.crc_failures)
    assert short.bit_errors > 0
    assert short.summary()["snr_db"] == full.summary()["snr_db"] == pytest.approx(np.mean(
        [n for n in range(40) if n not in (7, 8, 23)]))
    assert [r["frame"] for r in short.records] == [r["frame"] for r in full.records][-len(short.records):]
    with pytest.raises(ValueError, match="history"):
        FrameChecker(cfg, history=0)


def test_frame_checker_crc_verify_equals_payload_verify():
    """verify="crc" (an uncoded frame that passes its CRC counts as sent) gives every counter and
    record of verify="payload" (each frame against its regenerated payload) on frames with and
    without errors; only a frame whose errors keep a valid CRC (forged here, probability 2^-32 on a
    channel) tells them apart, and that is counted by "payload" alone."""
    from neuralmimo.phy.ofdm import ofdm_config
    from neuralmimo.phy.ofdm_bits import FrameChecker, append_crc, test_payload

    cfg = ofdm_config(nt=2, nr=2)
    rng = np.random.default_rng(11)
    fast, full = FrameChecker(cfg), FrameChecker(cfg, verify="payload")
    for number in range(30):
        bits = append_crc(test_payload(cfg, number)).astype(np.uint8)
        if number % 3 == 0:                                           # a third fail their CRC
            bits[rng.integers(0, bits.size, 1 + number % 7)] ^= 1
        llr = np.where(bits == 1, 4.0, -4.0).astype(np.float32).reshape(cfg.n_re, -1)
        info = {"start": number * cfg.frame_len, "snr_db": 20.0}
        fast.check(llr, info)
        full.check(llr, info)
    assert full.bit_errors > 0 and full.crc_failures == 10
    finite = lambda d: {k: v for k, v in d.items() if v == v}        # NaN fields (uncoded BLER) differ from themselves
    assert finite(fast.summary()) == finite(full.summary()) and fast.summary().keys() == full.summary().keys()
    assert [finite(r) for r in fast.records] == [finite(r) for r in full.records]
    # A forged frame: payload bits flipped and the CRC recomputed over them.
    sent = append_crc(test_payload(cfg, 30))
    payload = test_payload(cfg, 30)
    payload[-1] ^= 1
    bad = append_crc(payload)
    for chk in (fast, full):
        chk.check(bad.reshape(cfg.n_re, -1), {"start": 30 * cfg.frame_len})
    assert full.crc_failures == fast.crc_failures == 10
    assert full.bit_errors == fast.bit_errors + np.count_nonzero(bad != sent) > fast.bit_errors
    with pytest.raises(ValueError, match="verify"):
        FrameChecker(cfg, verify="none")


def test_frame_info_tag_reads_as_pmt_to_python():
    """The frame checker's reading of the receiver's frame_info tag equals pmt.to_python's, number
    types included; a tag that is not a dict reads as no information."""
    pmt = pytest.importorskip("pmt")
    from neuralmimo.blocks.frame_checker import frame_info

    info = {"start": 123456789012, "fft_start": -3, "cfo": -0.0123, "noise_var": 1e-30, "snr_db": 31.5,
            "evm": float("inf"), "metric": 0.87, "label": "a", "flag": True}
    got = frame_info(pmt.to_pmt(info))
    assert got == pmt.to_python(pmt.to_pmt(info)) == info
    assert [type(got[k]) for k in info] == [type(v) for v in info.values()]
    assert frame_info(pmt.from_long(3)) == {} and frame_info(pmt.to_pmt({"snr_db": 3.0})) == {"snr_db": 3.0}
