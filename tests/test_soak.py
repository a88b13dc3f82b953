# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soak run's drift check (neuralmimo.bench.soak.drift); the run itself is `make soak`."""
import numpy as np
import pytest

from neuralmimo.bench.soak import Minute, drift

BITS = 1000


def minute(frame_errors):
    return Minute(frames=len(frame_errors), bits=len(frame_errors) * BITS, errors=int(sum(frame_errors)),
                  frame_errors=list(frame_errors))


def test_steady_ber_is_within_the_band_and_a_jump_is_not():
    rng = np.random.default_rng(1)
    steady = [minute(rng.binomial(BITS, 1e-2, 400)) for _ in range(5)]
    rows = drift(steady, min_frames=100, bits_per_frame=BITS)
    assert [r["minute"] for r in rows] == [1, 2, 3, 4, 5] and all(r["ok"] for r in rows)
    overall = sum(m.errors for m in steady) / (5 * 400 * BITS)
    assert rows[0]["overall"] == pytest.approx(overall)
    # Binomial per-frame errors: the clustered band equals the binomial one (to sampling error).
    assert rows[0]["band"] == pytest.approx(rows[0]["binomial_band"], rel=0.1)
    jumped = steady[:4] + [minute(rng.binomial(BITS, 2e-2, 400))]
    rows = drift(jumped, min_frames=100, bits_per_frame=BITS)
    assert [r["ok"] for r in rows][-1] is False


def test_bursty_errors_widen_the_band_and_short_intervals_are_skipped():
    # Same BER, errors in whole bad frames: the band follows the frame spread, not the bit count.
    rng = np.random.default_rng(2)
    bursty = [minute(np.where(rng.random(400) < 0.02, 500, 0)) for _ in range(4)] + [minute([0] * 20)]
    rows = drift(bursty, min_frames=100, bits_per_frame=BITS)
    assert len(rows) == 4                                   # the 20-frame tail is not judged
    assert rows[0]["band"] > 5 * rows[0]["binomial_band"]
    assert all(r["ok"] for r in rows)
