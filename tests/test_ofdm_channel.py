# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""OfdmChannelSim: true H against the time-domain channel, statistics, impairments, streaming."""
import numpy as np
import pytest

from neuralmimo.phy.ofdm_channel import SINC_HALF_LENGTH, OfdmChannelSim

NOISELESS = 300.0          # dB: σ² ~ 1e-30, far below float32 rounding


def qpsk(rng, shape):
    return ((2 * rng.integers(0, 2, shape) - 1) + 1j * (2 * rng.integers(0, 2, shape) - 1)) / np.sqrt(2)


def ofdm_symbol(rng, nt, fft_len, carriers, cp, post):
    """Orthonormal-IFFT symbol of random QPSK, cyclically extended by cp before and post after.

    -> (X complex128[K, nt], x complex64[cp + fft_len + post, nt])."""
    big_x = qpsk(rng, (len(carriers), nt))
    grid = np.zeros((fft_len, nt), complex)
    grid[np.asarray(carriers) % fft_len] = big_x
    s = np.fft.ifft(grid, axis=0) * np.sqrt(fft_len)
    x = np.concatenate([s[fft_len - cp:], s, s[:post]])
    return big_x, x.astype(np.complex64)


@pytest.mark.parametrize("delay", [0, SINC_HALF_LENGTH, 13])
@pytest.mark.parametrize("profile,timing_offset", [("A", 0.0), ("C", 2.37)])
def test_freq_response_matches_time_domain(delay, profile, timing_offset):
    rng = np.random.default_rng(1)
    nt, nr, fft_len = 3, 2, 64
    carriers = np.r_[-26:0, 1:27]
    sim = OfdmChannelSim(nt, nr, sample_rate=20e6, snr_db=NOISELESS, profile=profile,
                         delay_spread=100e-9, timing_offset=timing_offset, seed=4)
    cp = sim.n_taps - 1                      # the whole response fits in the cyclic prefix
    big_x, x = ofdm_symbol(rng, nt, fft_len, carriers, cp, post=delay)
    y = sim.process(x)
    win = y[cp + delay:cp + delay + fft_len].astype(np.complex128)
    big_y = (np.fft.fft(win, axis=0) / np.sqrt(fft_len))[carriers % fft_len]
    expect = np.einsum("krt,kt->kr", sim.freq_response(fft_len, carriers, delay=delay), big_x)
    err = np.max(np.abs(big_y - expect)) / np.sqrt(np.mean(np.abs(expect) ** 2))
    assert err < 1e-5
    # A window one sample off sees a different phase ramp: the delay argument matters.
    wrong = np.einsum("krt,kt->kr", sim.freq_response(fft_len, carriers, delay=delay + 1), big_x)
    assert np.max(np.abs(big_y - wrong)) > 0.1


def test_process_is_the_fir_of_taps():
    rng = np.random.default_rng(2)
    nt, nr, m = 2, 3, 3000
    sim = OfdmChannelSim(nt, nr, sample_rate=10e6, snr_db=NOISELESS, profile="B",
                         delay_spread=300e-9, timing_offset=0.6, seed=9)
    x = qpsk(rng, (m, nt)).astype(np.complex64)
    ref = np.stack([sum(np.convolve(x[:, t], sim.taps[r, t])[:m] for t in range(nt)) for r in range(nr)], 1)
    np.testing.assert_allclose(sim.process(x), ref, rtol=0, atol=1e-5)
    assert sim.bulk_delay == SINC_HALF_LENGTH
    # Integer delays give single taps: a flat channel is a pure bulk delay.
    flat = OfdmChannelSim(nt, nr, profile="flat", seed=3)
    assert np.count_nonzero(flat.taps[0, 0]) == 1 and flat.taps[0, 0, SINC_HALF_LENGTH] != 0


@pytest.mark.parametrize("profile", ["A", "flat"])
def test_mean_gain_is_one(profile):
    # One mean over seeds, pairs and carriers. Per (seed, pair) the carrier
    # average of |H|² has variance <= 1 (exponential law, carriers correlated),
    # so the mean has standard error <= 1/√(seeds·pairs); 0.01 allows for the
    # interpolation filter's ripple (±2 % at the band edge, averaging out).
    nt = nr = 4
    seeds = 1500
    carriers = np.r_[-26:0, 1:27]
    p = np.mean([np.mean(np.abs(OfdmChannelSim(nt, nr, sample_rate=20e6, profile=profile, seed=s)
                                .freq_response(64, carriers)) ** 2) for s in range(seeds)])
    assert abs(p - 1) < 4 / np.sqrt(seeds * nr * nt) + 0.01


@pytest.mark.parametrize("nt,snr_db", [(1, 10.0), (4, -3.0)])
def test_noise_variance(nt, snr_db):
    nr, m = 3, 40000
    sim = OfdmChannelSim(nt, nr, snr_db=snr_db, seed=1)
    sigma2 = nt / 10 ** (snr_db / 10)
    assert sim.noise_var == pytest.approx(sigma2, rel=1e-12)
    n = sim.process(np.zeros((m, nt), np.complex64)).astype(np.complex128)
    # |n|² is exponential: sample means over M values have relative std 1/√M.
    tol = 5 / np.sqrt(m * nr)
    assert abs(np.mean(np.abs(n) ** 2) / sigma2 - 1) < tol
    assert abs(np.mean(n.real ** 2) / (sigma2 / 2) - 1) < 2 * tol       # circular: half per part
    assert abs(np.mean(n.real * n.imag)) / (sigma2 / 2) < 2 * tol
    assert abs(np.mean(n[:, 0] * np.conj(n[:, 1]))) / sigma2 < tol       # independent antennas
    sim.set_snr(snr_db + 10)
    n2 = sim.process(np.zeros((m, nt), np.complex64))
    assert abs(np.mean(np.abs(n2) ** 2) / (sigma2 / 10) - 1) < tol


def test_cfo_rotates_by_absolute_sample_index():
    nt, nr, fs, cfo = 2, 2, 1e6, 1234.5
    sim = OfdmChannelSim(nt, nr, sample_rate=fs, snr_db=NOISELESS, profile="flat", cfo_hz=cfo, seed=5)
    x = np.ones((5000, nt), np.complex64)
    y = np.concatenate([sim.process(x[:1700]), sim.process(x[1700:])])
    d = SINC_HALF_LENGTH
    gain = sim.taps[:, :, d].sum(axis=1)                  # Σ_t h[r, t] for a constant input
    n = np.arange(d, 5000)
    expect = gain[None, :] * np.exp(2j * np.pi * cfo * n / fs)[:, None]
    np.testing.assert_allclose(y[d:], expect, rtol=0, atol=2e-5 * np.abs(gain).max())
    assert np.abs(y[:d]).max() < 1e-12                    # the bulk delay: nothing arrived yet
    step = np.angle(y[d + 1:] / y[d:-1])
    np.testing.assert_allclose(step, 2 * np.pi * cfo / fs, atol=1e-4)


def test_set_cfo_changes_frequency_phase_continuously():
    # A live CFO control: from the next sample the phase advances by 2π·cfo2/fs per sample, and
    # the carrier phase has no jump at the change (closed form: phase at the change + the new ramp).
    nt, nr, fs, cfo1, cfo2 = 1, 1, 1e6, 1500.0, -4200.0
    sim = OfdmChannelSim(nt, nr, sample_rate=fs, snr_db=NOISELESS, profile="flat", cfo_hz=cfo1, seed=5)
    x = np.ones((6000, nt), np.complex64)
    y1 = sim.process(x[:3000])
    sim.set_cfo(cfo2)
    assert sim.cfo_hz == cfo1                              # applied by process(), not before
    y2 = sim.process(x[3000:])
    y = np.concatenate([y1, y2])[:, 0]
    d = SINC_HALF_LENGTH
    gain = sim.taps[0, 0, d]
    n = np.arange(6000)
    phase = np.where(n < 3000, cfo1 * n / fs, cfo1 * 3000 / fs + cfo2 * (n - 3000) / fs)
    np.testing.assert_allclose(y[d:], gain * np.exp(2j * np.pi * phase[d:]), rtol=0, atol=2e-5 * abs(gain))
    step = np.angle(y[d + 1:] / y[d:-1])
    np.testing.assert_allclose(step[3000 - d:], 2 * np.pi * cfo2 / fs, atol=1e-4)
    # back to 0 Hz: the phase stays where it was (no jump to 0)
    sim.set_cfo(0.0)
    y3 = sim.process(x[:100])[:, 0]
    np.testing.assert_allclose(y3, y[-1] * np.exp(2j * np.pi * cfo2 / fs), rtol=0, atol=2e-5 * abs(gain))
    with pytest.raises(ValueError, match="cfo_hz"):
        sim.set_cfo(float("nan"))


def test_phase_noise_increments():
    nt, nr, fs, lw, m = 1, 3, 1e6, 500.0, 60000
    sim = OfdmChannelSim(nt, nr, sample_rate=fs, snr_db=NOISELESS, profile="flat", phase_noise_hz=lw, seed=6)
    y = sim.process(np.ones((m, nt), np.complex64))[SINC_HALF_LENGTH:]
    inc = np.angle(y[1:] / y[:-1])                        # [m', nr]
    var = 2 * np.pi * lw / fs
    # Sample variance of M Gaussians has relative standard error √(2/M).
    assert abs(np.var(inc[:, 0]) / var - 1) < 5 * np.sqrt(2 / inc.shape[0])
    assert abs(np.mean(inc[:, 0])) < 5 * np.sqrt(var / inc.shape[0])
    np.testing.assert_allclose(inc, inc[:, :1].repeat(nr, 1), atol=1e-4)   # one oscillator
    # Wiener process: increments uncorrelated from sample to sample.
    assert abs(np.corrcoef(inc[1:, 0], inc[:-1, 0])[0, 1]) < 5 / np.sqrt(inc.shape[0])


@pytest.mark.parametrize("nt,nr", [(3, 2), (2, 1), (1, 4), (4, 8)])
def test_chunking_is_bit_exact(nt, nr):
    rng = np.random.default_rng(7)
    kw = dict(sample_rate=20e6, snr_db=12.0, profile="C", delay_spread=300e-9, cfo_hz=3e3,
              timing_offset=1.7, phase_noise_hz=200.0, seed=11)
    m = 6000
    x = (rng.standard_normal((m, nt)) + 1j * rng.standard_normal((m, nt))).astype(np.complex64)
    whole = OfdmChannelSim(nt, nr, **kw).process(x)
    for _ in range(8):
        c = rng.integers(0, m - 1)                         # c, c+1, c+1: a 1- and a 0-sample chunk
        cuts = np.sort(np.r_[0, m, rng.integers(0, m, rng.integers(1, 40)), c, c + 1, c + 1])
        sim = OfdmChannelSim(nt, nr, **kw)
        parts = np.concatenate([sim.process(x[a:b]) for a, b in zip(cuts[:-1], cuts[1:])])
        np.testing.assert_array_equal(parts, whole)
    one_by_one = OfdmChannelSim(nt, nr, **kw)
    np.testing.assert_array_equal(np.concatenate([one_by_one.process(x[i:i + 1]) for i in range(300)]),
                                  whole[:300])


def test_seed_and_max_delay():
    a, b = OfdmChannelSim(2, 2, seed=1), OfdmChannelSim(2, 2, seed=2)
    assert np.array_equal(a.taps, OfdmChannelSim(2, 2, seed=1).taps) and not np.array_equal(a.taps, b.taps)
    full = OfdmChannelSim(1, 1, sample_rate=20e6, profile="A", delay_spread=100e-9)
    cut = OfdmChannelSim(1, 1, sample_rate=20e6, profile="A", delay_spread=100e-9, max_delay=200e-9)
    assert cut.path_delays.max() <= 200e-9 * 20e6 < full.path_delays.max()
    assert cut.path_powers.sum() == pytest.approx(1.0) and cut.n_taps < full.n_taps


@pytest.mark.parametrize("kwargs,name", [
    (dict(nt=0), "nt"), (dict(nr=1.5), "nr"), (dict(sample_rate=0), "sample_rate"),
    (dict(snr_db=float("nan")), "snr_db"), (dict(snr_db=float("inf")), "snr_db"),
    (dict(profile="D"), "profile"), (dict(delay_spread=-1e-9), "delay_spread"),
    (dict(cfo_hz=float("inf")), "cfo_hz"), (dict(timing_offset=-0.5), "timing_offset"),
    (dict(phase_noise_hz=-1.0), "phase_noise_hz"), (dict(seed=-1), "seed"),
    (dict(max_delay=-1e-9), "max_delay"),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: ") as err:
        OfdmChannelSim(**(dict(nt=2, nr=2) | kwargs))
    assert repr(kwargs[name]) in str(err.value)


def test_bad_calls():
    sim = OfdmChannelSim(2, 2)
    with pytest.raises(ValueError, match=r"^x: .*\[m, 2\].*\[5, 3\]"):
        sim.process(np.zeros((5, 3), np.complex64))
    with pytest.raises(ValueError, match=r"^x: .*float32"):
        sim.process(np.zeros((5, 2), np.float32))
    bad = np.zeros((5, 2), np.complex64)
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^x: .*NaN"):
        sim.process(bad)
    with pytest.raises(ValueError, match=r"^snr_db: "):
        sim.set_snr(float("nan"))
    with pytest.raises(ValueError, match=r"^carriers: "):
        sim.freq_response(64, np.arange(-40, 40))
    with pytest.raises(ValueError, match=r"^carriers: "):
        sim.freq_response(64, [0.5])
    with pytest.raises(ValueError, match=r"^fft_len: "):
        sim.freq_response(0, [0])
    assert sim.process(np.zeros((0, 2), np.complex64)).shape == (0, 2)
