# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The 802.11n (648, 324) LDPC code of phy/ldpc.py: matrix, encoder, decoder, alist.

The BLER comparison with GNU Radio's own LDPC decoder is in python/neuralmimo/qa_ldpc.py
(it needs GNU Radio; this file must run without it).
"""
import numpy as np
import pytest

pytest.importorskip("ldpc")

from ldpc import mod2  # noqa: E402

from neuralmimo.phy.ldpc import BASE_MATRIX, LLR_CLIP, Ldpc80211n, ldpc_code, lift  # noqa: E402


@pytest.fixture(scope="module")
def code():
    return ldpc_code()


def bpsk_awgn_llr(rng, cw, ebn0_db, rate=0.5):
    """BPSK (bit 0 -> +1) over real AWGN at Eb/N0: LLR = ln P(1)/P(0) = -2y/sigma^2."""
    sigma2 = 1.0 / (2.0 * rate * 10 ** (ebn0_db / 10))
    y = (1.0 - 2.0 * cw) + rng.normal(0.0, np.sqrt(sigma2), cw.shape)
    return (-2.0 * y / sigma2).astype(np.float32)


def test_information_part_matches_a_sparse_listing():
    # The information columns 0-11 of the standard's table as a row-pointer / column / shift
    # listing (CSR form), written independently of the dense table in the module.
    row_ptr = [0, 5, 11, 16, 21, 26, 32, 36, 41, 47, 52, 58, 63]
    cols = [0, 4, 5, 8, 11, 0, 1, 4, 6, 7, 8, 0, 2, 4, 8, 10, 0, 3, 4, 8, 9, 0, 4, 8, 10, 11,
            0, 2, 3, 4, 6, 8, 0, 4, 8, 9, 0, 1, 4, 6, 8, 0, 1, 3, 4, 5, 8, 0, 4, 8, 10, 11,
            0, 2, 4, 5, 7, 8, 0, 4, 7, 8, 9]
    shifts = [0, 0, 0, 0, 0, 22, 0, 17, 0, 0, 12, 6, 0, 10, 24, 0, 2, 0, 20, 25, 0, 23, 3, 0, 9,
              11, 24, 23, 1, 17, 3, 10, 25, 8, 7, 18, 13, 24, 0, 8, 6, 7, 20, 16, 22, 10, 23, 11,
              19, 13, 3, 17, 25, 8, 23, 18, 14, 9, 3, 16, 2, 25, 5]
    expect = -np.ones((12, 12), dtype=int)
    for r in range(12):
        for i in range(row_ptr[r], row_ptr[r + 1]):
            expect[r, cols[i]] = shifts[i]
    np.testing.assert_array_equal(BASE_MATRIX[:, :12], expect)


def test_parity_part_is_the_dual_diagonal_structure():
    # Column 12: shift 1 in rows 0 and 11, shift 0 in row 6; columns 13..23: identities on the
    # diagonal and the sub-diagonal (the staircase every 802.11n code shares).
    expect = -np.ones((12, 12), dtype=int)
    expect[0, 0] = expect[11, 0] = 1
    expect[6, 0] = 0
    for j in range(1, 12):
        expect[j - 1, j] = expect[j, j] = 0
    np.testing.assert_array_equal(BASE_MATRIX[:, 12:], expect)


def test_shift_direction_and_degree_profile(code):
    H = code.H
    assert H.shape == (324, 648) and H.dtype == np.uint8
    # Right shift: block (0, 12) has shift 1, so check row 0 touches parity column 12*27 + 1,
    # and row 26 wraps around to 12*27 + 0.
    assert H[0, 12 * 27 + 1] == 1 and H[0, 12 * 27] == 0
    assert H[26, 12 * 27] == 1
    base_rows = (BASE_MATRIX >= 0).sum(axis=1)
    base_cols = (BASE_MATRIX >= 0).sum(axis=0)
    np.testing.assert_array_equal(H.sum(axis=1), np.repeat(base_rows, 27))
    np.testing.assert_array_equal(H.sum(axis=0), np.repeat(base_cols, 27))
    assert sorted(set(base_rows.tolist())) == [7, 8]          # check degrees of the rate-1/2 code
    assert H.sum() == 2376                                   # 88 non-empty blocks of 27


def test_full_rank_and_left_shift_gives_another_code(code):
    assert mod2.rank(code.H) == 324
    # The transposed lifting (left shift) is a different code: our codewords are not in it.
    H_left = lift(np.where(BASE_MATRIX >= 0, (-BASE_MATRIX) % 27, -1), 27)
    cw = code.encode(np.random.default_rng(1).integers(0, 2, (4, 324)))
    assert ((cw.astype(int) @ H_left.T.astype(int)) % 2).any(axis=1).all()


def test_encoder_is_systematic_and_in_the_code(code, rng):
    info = rng.integers(0, 2, (64, 324)).astype(np.uint8)
    cw = code.encode(info)
    assert cw.shape == (64, 648) and cw.dtype == np.uint8
    np.testing.assert_array_equal(cw[:, :324], info)
    assert not code.syndrome(cw).any()
    assert not ((cw.astype(int) @ code.H.T.astype(int)) % 2).any()
    # Linear and non-trivial: parity of a sum is the sum of parities, and a unit vector has parity.
    np.testing.assert_array_equal(code.encode(info[0] ^ info[1]), cw[0] ^ cw[1])
    assert code.encode(np.eye(324, dtype=np.uint8)[:5])[:, 324:].any(axis=1).all()
    assert code.encode(info[3]).shape == (648,)


def test_noiseless_and_erased_codewords_decode(code, rng):
    info = rng.integers(0, 2, (6, 324)).astype(np.uint8)
    cw = code.encode(info)
    llr = np.where(cw == 1, 20.0, -20.0).astype(np.float32)        # positive LLR = bit 1
    res = code.decode(llr)
    assert res.ok.all() and (res.iterations == 1).all()
    np.testing.assert_array_equal(res.codeword, cw)
    np.testing.assert_array_equal(res.info, info)
    # Inf is a certain bit, |LLR| far beyond the clip decodes the same.
    res = code.decode(np.where(cw == 1, np.inf, -1e6).astype(np.float32))
    np.testing.assert_array_equal(res.info, info)
    # 100 erasures (LLR 0) per codeword are filled in by the parity checks.
    erased = llr.copy()
    for b in range(len(erased)):
        erased[b, rng.choice(648, 100, replace=False)] = 0.0
    res = code.decode(erased)
    assert res.ok.all()
    np.testing.assert_array_equal(res.info, info)


def test_flipped_bits_at_high_snr_decode(code, rng):
    info = rng.integers(0, 2, (8, 324)).astype(np.uint8)
    cw = code.encode(info)
    llr = np.where(cw == 1, 4.0, -4.0).astype(np.float32)
    for b in range(len(llr)):
        idx = rng.choice(648, 12, replace=False)
        llr[b, idx] = -0.8 * llr[b, idx]                   # 12 wrong hard decisions, less confident
    assert ((llr > 0) != cw).sum(axis=1).min() == 12
    res = code.decode(llr)
    assert res.ok.all() and (res.iterations >= 1).all()
    np.testing.assert_array_equal(res.info, info)


def test_nan_is_an_erasure_and_counted(code, rng):
    info = rng.integers(0, 2, (2, 324)).astype(np.uint8)
    cw = code.encode(info)
    llr = np.where(cw == 1, 8.0, -8.0).astype(np.float32)
    llr[0, :30] = np.nan
    res = code.decode(llr)
    np.testing.assert_array_equal(res.nan_llrs, [30, 0])
    np.testing.assert_array_equal(res.info, info)
    single = code.decode(llr[1])
    assert single.info.shape == (324,) and bool(single.ok)


def test_all_erased_word_is_not_a_success(code):
    # No information at all: every bit is a tie, BP runs to max_iter and reports no codeword
    # rather than claiming one.
    res = code.decode(np.zeros((1, 648), np.float32))
    assert not res.ok[0] and res.iterations[0] == code.max_iter


def test_bler_far_below_uncoded_at_3db(code):
    # Eb/N0 = 3 dB: uncoded BPSK has BER Q(sqrt(2*10^0.3)) = 0.023, so a block of 324 bits is
    # wrong with probability 1 - 0.977^324 = 0.9994; the (648, 324) code with BP is near 1e-3.
    rng = np.random.default_rng(3)
    info = rng.integers(0, 2, (150, 324)).astype(np.uint8)
    cw = code.encode(info)
    llr = bpsk_awgn_llr(rng, cw, 3.0)
    res = code.decode(llr)
    coded_bler = np.mean((res.info != info).any(axis=1))
    sigma2_uncoded = 1.0 / (2.0 * 10 ** 0.3)
    y = (1.0 - 2.0 * info) + rng.normal(0.0, np.sqrt(sigma2_uncoded), info.shape)
    uncoded_bler = np.mean(((y < 0) != info).any(axis=1))
    assert uncoded_bler > 0.95
    assert coded_bler <= 0.02
    assert res.ok.mean() >= 0.98


def test_bler_waterfall_is_monotone_and_min_sum_is_not_better(rng):
    ps, ms = ldpc_code(), Ldpc80211n(method="min_sum")
    info = rng.integers(0, 2, (120, 324)).astype(np.uint8)
    cw = ps.encode(info)
    llr_1 = bpsk_awgn_llr(rng, cw, 1.0)
    llr_2 = bpsk_awgn_llr(rng, cw, 2.0)
    bler = {}
    for name, c in (("ps", ps), ("ms", ms)):
        for snr, llr in ((1, llr_1), (2, llr_2)):
            bler[name, snr] = np.mean((c.decode(llr).info != info).any(axis=1))
    # Measured: product-sum 0.38 at 1 dB, <0.01 at 2 dB; min-sum (unscaled) 0.8 and 0.07.
    assert 0.15 < bler["ps", 1] < 0.65 and bler["ps", 2] < 0.06
    assert bler["ms", 1] >= bler["ps", 1] and bler["ms", 2] >= bler["ps", 2]


def test_bad_arguments_raise():
    c = ldpc_code()
    with pytest.raises(ValueError, match="info"):
        c.encode(np.zeros((2, 323), np.uint8))
    with pytest.raises(ValueError, match="info"):
        c.encode(np.full((1, 324), 2, np.uint8))
    with pytest.raises(ValueError, match="info"):
        c.encode(np.zeros((1, 324), np.float32))
    with pytest.raises(ValueError, match=r"llr.*\[B, 648\]"):
        c.decode(np.zeros((2, 600), np.float32))
    with pytest.raises(ValueError, match="llr"):
        c.decode(np.zeros((2, 648), np.int32))
    with pytest.raises(ValueError, match="max_iter"):
        Ldpc80211n(max_iter=0)
    with pytest.raises(ValueError, match="method"):
        Ldpc80211n(method="layered")


def test_alist_round_trip(code, tmp_path):
    path = tmp_path / "wifi648.alist"
    code.write_alist(path)
    lines = path.read_text().splitlines()
    N, M = map(int, lines[0].split())
    assert (N, M) == (648, 324)
    assert list(map(int, lines[1].split())) == [int(code.H.sum(0).max()), int(code.H.sum(1).max())]
    H = np.zeros((M, N), np.uint8)
    for j in range(N):
        for r in map(int, lines[4 + j].split()):
            H[r - 1, j] = 1
    H2 = np.zeros((M, N), np.uint8)
    for i in range(M):
        for col in map(int, lines[4 + N + i].split()):
            H2[i, col - 1] = 1
    np.testing.assert_array_equal(H, code.H)
    np.testing.assert_array_equal(H2, code.H)
