# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The coded Monte-Carlo harness (eval/coded.py): packet layout, interleaving, decoding through
chains, its counts at a high and a hopeless SNR, and its argument checks."""
import numpy as np
import pytest

import neuralmimo as nm
from neuralmimo.eval.coded import Chain, interleaver, packet_layout, run_coded
from neuralmimo.phy.channels import make_channel


def test_packet_layout_and_interleaver():
    assert packet_layout(2, 6) == (54, 0)          # 2x2 64-QAM: 648 = 54 · 12
    assert packet_layout(4, 4) == (40, 8)          # 4x4 16-QAM: 40 uses, 8 coded bits not sent
    with pytest.raises(ValueError, match="exceeds"):
        packet_layout(100, 8)
    p = interleaver()
    assert sorted(p.tolist()) == list(range(648)) and np.array_equal(p, interleaver())
    assert (p != np.arange(648)).mean() > 0.9


def run(chains, snr, **kw):
    srcs = {"lmmse": nm.detector("lmmse", constellation="qpsk")}
    args = dict(target_errors=1000, max_codewords=20, batch_codewords=10, uses_per_channel=3, seed=2)
    args.update(kw)
    return {r["chain"]: r for r in run_coded(srcs, chains, make_channel("rayleigh", 2, 2), 2, 2, "qpsk", [snr],
                                             "eqnet", **args)}


def test_high_snr_decodes_every_codeword_and_erasures_none():
    """At 40 dB every codeword decodes; LLRs forced to 0 (erasures) decode none; the identity
    transform gives the source's counts exactly."""
    rows = run({"plain": Chain("lmmse"), "same": Chain("lmmse", lambda l: l),
                "erased": Chain("lmmse", lambda l: 0 * l)}, 40.0)
    assert rows["plain"]["codewords"] == 20 and rows["plain"]["block_errors"] == 0
    assert rows["plain"]["channel_ber"] < 1e-3
    assert {k: v for k, v in rows["same"].items() if k != "chain"} == \
        {k: v for k, v in rows["plain"].items() if k != "chain"}
    assert rows["erased"]["bler"] == 1.0
    assert rows["erased"]["channel_ber"] > 0.3      # LLR 0 counts as bit 0: about half wrong


def test_low_snr_fails_and_counts_are_consistent():
    """At −5 dB the code fails on most words; block errors bound the decoded bit errors."""
    r = run({"plain": Chain("lmmse")}, -5.0)["plain"]
    assert r["bler"] > 0.5 and r["channel_ber"] > 0.1
    assert r["info_bit_errors"] >= r["block_errors"] and r["ber"] <= r["bler"]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="source 'nope'"):
        run({"x": Chain("nope")}, 10.0)
    with pytest.raises(ValueError, match="uses_per_channel"):
        run({"x": Chain("lmmse")}, 10.0, uses_per_channel=7)
    with pytest.raises(ValueError, match="max_codewords"):
        run({"x": Chain("lmmse")}, 10.0, max_codewords=0)
