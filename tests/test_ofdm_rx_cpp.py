# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ OFDM receiver (OfdmReceiver backend "cpp", lib/ofdm_rx_kernel.cc) against the numpy one.

Needs the compiled module neuralmimo.neuralmimo_python: run after `make build`, without
PYTHONPATH=python (the source tree has no compiled module and shadows the installed package),
e.g. `.venv/bin/python -m pytest -q tests/test_ofdm_rx_cpp.py`; skipped where it does not import.

Tolerances: both receivers compute in float64 and round the outputs to complex64; they differ
in summation order, FFT and the LMMSE solve of the EVM only. Measured over 429 frames (2x2, 2x4,
4x4, 3x4; time and comb training; 5 to 40 dB; CFO, timing offset, phase noise): same start and
fft_start everywhere; h_est bit for bit; y and h bit for bit except 5 entries rounded the other
way (at most 9e-8 of the rms); noise_var, evm, metric within 2e-14 relative, cfo within 3e-16
subcarrier spacings, snr_db within 3e-14 dB. The asserted bounds leave room for other compilers
and CPUs (FMA).
"""
import inspect
import itertools

import numpy as np
import pytest

import neuralmimo as nm
from neuralmimo.phy.ofdm import ofdm_config
from neuralmimo.phy.ofdm_channel import OfdmChannelSim
from neuralmimo.phy.ofdm_bits import FrameChecker
from neuralmimo.phy.ofdm_rx import OfdmReceiver

from conftest import compiled  # tests/ is on sys.path under pytest

ofdm_frame_spec, ofdm_rx_kernel, ofdm_rx_params = compiled("ofdm_frame_spec", "ofdm_rx_kernel", "ofdm_rx_params")

import test_ofdm  # noqa: E402  (tests/ is on sys.path under pytest)
from test_ofdm import FS, transmit  # noqa: E402

ARRAY_RTOL = 1e-6       # max |a - b| over rms(a), complex64 arrays
SCALAR_RTOL = 1e-9      # noise_var, evm, metric (relative)
SCALAR_ATOL = 1e-9      # cfo (subcarrier spacings), snr_db (dB)


def _stream(c, frames=6, snr_db=20.0, lead=150, tail=200, **channel):
    x, starts = transmit(c, frames, lead=lead)
    ch = OfdmChannelSim(c.nt, c.nr, sample_rate=FS, snr_db=snr_db, **channel)
    return ch.process(np.concatenate([x, np.zeros((tail, c.nt), np.complex64)])), starts


def _push_chunks(rx, y, seed, high=700):
    out, i = [], 0
    rng = np.random.default_rng(seed)
    while i < len(y):
        k = int(rng.integers(1, high))
        out += rx.push(y[i:i + k])
        i += k
    return out


def _assert_same_frames(a, b):
    assert [f.start for f in a] == [f.start for f in b]
    assert [f.fft_start for f in a] == [f.fft_start for f in b]
    for fa, fb in zip(a, b):
        for key in ("y", "h", "h_est"):
            va, vb = getattr(fa, key), getattr(fb, key)
            assert va.dtype == vb.dtype == np.complex64 and va.shape == vb.shape, key
            scale = np.sqrt(np.mean(np.abs(va) ** 2))
            assert np.max(np.abs(va - vb)) <= ARRAY_RTOL * scale, key
        for key in ("noise_var", "evm", "metric"):
            assert getattr(fb, key) == pytest.approx(getattr(fa, key), rel=SCALAR_RTOL, abs=0), key
        for key in ("cfo", "snr_db"):
            assert getattr(fb, key) == pytest.approx(getattr(fa, key), rel=0, abs=SCALAR_ATOL), key
        assert type(fb.start) is int and type(fb.fft_start) is int


# --- agreement with numpy ---------------------------------------------------------------
@pytest.mark.parametrize("training", ["time", "comb"])
@pytest.mark.parametrize("nt, nr", [(2, 2), (2, 4), (4, 4)])
@pytest.mark.parametrize("cfo_sub, snr_db", [(0.31, 20.0), (-0.62, 12.0)])
def test_cpp_matches_numpy(training, nt, nr, cfo_sub, snr_db):
    c = ofdm_config(nt=nt, nr=nr, training=training, gap=30)
    y, _ = _stream(c, snr_db=snr_db, profile="A", delay_spread=100e-9, cfo_hz=cfo_sub * FS / c.fft_len,
                   timing_offset=0.37, phase_noise_hz=50, seed=nt * 10 + nr)
    a = OfdmReceiver(c, backend="numpy").push(y)
    rx = OfdmReceiver(c, backend="cpp")
    b = rx.push(y)
    assert rx.backend == "cpp" and len(a) == 6 and rx.frames_found == 6
    _assert_same_frames(a, b)


@pytest.mark.parametrize("tracking", ["common", "per_stream"])
def test_cpp_matches_numpy_with_other_options(tracking):
    """Threshold, backoff, tracking, other sizes and constellation go through to the kernel."""
    c = ofdm_config(nt=3, nr=4, constellation="qam64", fft_len=128, cp_len=32, n_used=100,
                    pilots=(-40, -13, 13, 40), n_data_symbols=5, ltf_repeats=3, gap=40)
    y, _ = _stream(c, frames=4, snr_db=30, profile="B", delay_spread=150e-9, cfo_hz=0.2 * FS / c.fft_len,
                   timing_offset=1.6, seed=8)
    kw = dict(threshold=0.45, backoff=3, tracking=tracking)
    a = OfdmReceiver(c, backend="numpy", **kw).push(y)
    b = OfdmReceiver(c, backend="cpp", **kw).push(y)
    assert len(a) == 4
    _assert_same_frames(a, b)


# --- streaming ----------------------------------------------------------------------------
@pytest.mark.parametrize("training", ["time", "comb"])
def test_chunking_gives_bit_identical_frames(training):
    c = ofdm_config(nt=2, nr=3, training=training, gap=20)
    y, _ = _stream(c, frames=5, snr_db=15, profile="B", cfo_hz=2e3, seed=2)
    whole = OfdmReceiver(c, backend="cpp").push(y)
    assert len(whole) == 5
    for seed, high in ((7, 700), (8, 5), (9, 30000)):
        split = _push_chunks(OfdmReceiver(c, backend="cpp"), y, seed, high)
        assert len(split) == 5
        for a, b in zip(whole, split):
            assert a.info() == b.info()
            for key in ("y", "h", "h_est"):
                np.testing.assert_array_equal(getattr(a, key), getattr(b, key))


@pytest.mark.parametrize("cut_in_frame, skip_frames", [(500, 2.0), (20, 1.3), (1300, 0.0)])
def test_skip_behaves_as_numpy(cut_in_frame, skip_frames):
    c = ofdm_config(nt=2, nr=4, gap=40)
    y, starts = _stream(c, frames=8, snr_db=35, profile="A", seed=2)
    cut = int(starts[2]) + cut_in_frame
    n_skip = int(skip_frames * c.frame_len)
    got = {}
    for backend in ("numpy", "cpp"):
        rx = OfdmReceiver(c, backend=backend)
        frames = rx.push(y[:cut])
        rx.skip(n_skip)
        frames += _push_chunks(rx, y[cut + n_skip:], seed=3)
        assert rx.samples_skipped == n_skip and rx.frames_found == len(frames)
        got[backend] = frames
    assert len(got["numpy"]) >= 5
    _assert_same_frames(got["numpy"], got["cpp"])


def test_frame_arrays_are_independent_and_outlive_the_receiver():
    """The arrays of a push share memory blocks: each frame's are still its own."""
    c = ofdm_config(nt=2, nr=2, gap=10)
    y, _ = _stream(c, frames=3, snr_db=30, profile="A", seed=1)
    rx = OfdmReceiver(c, backend="cpp")
    frames = rx.push(y)
    assert len(frames) == 3
    keep = [(f.y.copy(), f.h.copy(), f.h_est.copy()) for f in frames]
    for f in frames:
        for a in (f.y, f.h, f.h_est):
            assert a.flags.c_contiguous and a.flags.writeable
    frames[0].y[:] = 0
    frames[0].h[:] = 0
    np.testing.assert_array_equal(frames[1].y, keep[1][0])
    np.testing.assert_array_equal(frames[1].h, keep[1][1])
    last = frames[2]
    del frames, rx
    OfdmReceiver(c, backend="cpp").push(y)       # reuses freed memory
    np.testing.assert_array_equal(last.y, keep[2][0])
    np.testing.assert_array_equal(last.h, keep[2][1])
    np.testing.assert_array_equal(last.h_est, keep[2][2])


def test_noise_and_silence_give_no_frames():
    c = ofdm_config(nt=2, nr=2)
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal((50000, 2)) + 1j * rng.standard_normal((50000, 2))).astype(np.complex64)
    rx = OfdmReceiver(c, backend="cpp")
    assert rx.push(noise) == [] and rx.push(np.zeros((20000, 2), np.complex64)) == []
    assert rx.push(np.zeros((0, 2), np.complex64)) == [] and rx.frames_found == 0


# --- backend choice and errors ---------------------------------------------------------
def test_backend_choice():
    c = ofdm_config()
    assert OfdmReceiver(c).backend == "cpp"                  # the compiled module is there
    assert OfdmReceiver(c, backend="numpy").backend == "numpy"
    assert OfdmReceiver(c, backend="cpp").backend == "cpp"
    with pytest.raises(ValueError, match="backend"):
        OfdmReceiver(c, backend="fortran")
    # The kernel's FFT is radix 2: other FFT lengths stay with numpy ("auto") or are refused.
    odd = ofdm_config(fft_len=48, cp_len=12, n_used=40, pilots=(-15, -5, 5, 15))
    assert OfdmReceiver(odd).backend == "numpy"
    with pytest.raises(ValueError, match="fft_len"):
        OfdmReceiver(odd, backend="cpp")


def test_cpp_rejects_bad_input():
    c = ofdm_config(nr=2)
    rx = OfdmReceiver(c, backend="cpp")
    with pytest.raises(ValueError, match="nr=2"):
        rx.push(np.zeros((100, 3), np.complex64))
    with pytest.raises(ValueError, match="nr=2"):
        rx._kernel.push(np.zeros(100, np.complex64))
    with pytest.raises(ValueError, match="skip"):
        rx.skip(-1)
    kw = dict(nt=2, nr=2, fft_len=64, cp_len=16, used_carriers=c.used_carriers.tolist(),
              pilot_positions=[5, 19, 32, 46], data_positions=[0, 1, 2], n_data_symbols=c.n_data_symbols,
              n_training_symbols=4, ltf_repeats=2, training="time", preamble_values=c.preamble_values,
              training_values=c.training_values, pilot_values=c.pilot_values,
              constellation_points=c.const.points, frame_len=c.frame_len)
    settings = dict(threshold=0.3, backoff=4, tracking="per_stream")

    def kernel(key=None, value=None):
        spec, params = ofdm_frame_spec(**kw), ofdm_rx_params(**settings)
        if key is not None:
            setattr(params if key in settings else spec, key, value)
        return ofdm_rx_kernel(spec, params)

    kernel()
    for key, bad, word in (("training_values", c.training_values[0], "axes"), ("fft_len", 96, "fft_len"),
                           ("backoff", 16, "backoff"), ("threshold", 1.0, "threshold"),
                           ("pilot_values", c.pilot_values[:, :2], "pilot_values")):
        with pytest.raises(ValueError, match=word):
            kernel(key, bad)


def test_frame_spec_carries_the_config():
    """cpp_spec fills every field from the OfdmConfig and the receiver's settings; the kernel keeps
    a copy; the tables read back flattened, as they went in."""
    from neuralmimo.phy.ofdm_rx_cpp import cpp_spec
    c = ofdm_config(nt=3, nr=2, constellation="qpsk", training="comb", gap=7)
    rx = OfdmReceiver(c, backend="cpp", threshold=0.4, backoff=2, tracking="common")
    spec, params = cpp_spec(rx, max_backlog=2 * c.frame_len)
    assert (spec.nt, spec.nr, spec.fft_len, spec.cp_len, spec.frame_len) == (3, 2, 64, 16, c.frame_len)
    assert (spec.n_data_symbols, spec.n_training_symbols, spec.ltf_repeats, spec.training) == (
        c.n_data_symbols, c.n_training_symbols, c.ltf_repeats, "comb")
    assert spec.used_carriers == c.used_carriers.tolist()
    assert [spec.used_carriers[p] for p in spec.pilot_positions] == sorted(c.pilots)
    assert [spec.used_carriers[p] for p in spec.data_positions] == c.data_carriers.tolist()
    for key, want in (("preamble_values", c.preamble_values), ("training_values", c.training_values),
                      ("pilot_values", c.pilot_values), ("constellation_points", c.const.points)):
        got = getattr(spec, key)
        assert got.dtype == np.complex128 and got.ndim == 1, key
        np.testing.assert_array_equal(got, np.ravel(want).astype(np.complex128), key)
    assert (params.threshold, params.backoff, params.tracking, params.max_backlog) == (
        0.4, 2, "common", 2 * c.frame_len)
    spec.validate()
    params.validate(spec)
    assert rx._kernel.spec.frame_len == c.frame_len and rx._kernel.params.tracking == "common"
    spec.training_values = spec.training_values                     # flattened tables go back in
    ofdm_rx_kernel(spec, params)
    with pytest.raises(TypeError, match="no field 'gap'"):
        ofdm_frame_spec(gap=7)


# --- the whole test_ofdm.py with the C++ backend -----------------------------------------------
def _ofdm_cases():
    """Every test of test_ofdm.py that runs the receiver, with its parametrisations."""
    out = []
    for name, fn in inspect.getmembers(test_ofdm, inspect.isfunction):
        src = inspect.getsource(fn)
        if not name.startswith("test_") or ("OfdmReceiver" not in src and "link(" not in src):
            continue
        grids = []
        for mark in getattr(fn, "pytestmark", []):
            if mark.name == "parametrize":
                names = [n.strip() for n in mark.args[0].split(",")]
                grids.append([dict(zip(names, v if len(names) > 1 else (v,))) for v in mark.args[1]])
        for combo in itertools.product(*grids):
            kwargs = {k: v for d in combo for k, v in d.items()}
            out.append(pytest.param(fn, kwargs, id=name + "".join(f"-{v}" for v in kwargs.values())))
    return out


@pytest.mark.parametrize("fn, kwargs", _ofdm_cases())
def test_ofdm_suite_with_cpp_backend(fn, kwargs, monkeypatch):
    def cpp_receiver(*args, **kw):
        rx = OfdmReceiver(*args, **kw, backend="cpp")
        assert rx.backend == "cpp"
        return rx

    monkeypatch.setattr(test_ofdm, "OfdmReceiver", cpp_receiver)
    fn(**kwargs)


def test_suite_cases_found():
    names = {p.values[0].__name__ for p in _ofdm_cases()}
    assert {"test_high_snr_loopback_every_frame_passes", "test_skipping_ahead_loses_only_the_skipped_frames",
            "test_receiver_output_does_not_depend_on_chunking", "test_noise_only_gives_no_frames"} <= names
    assert nm.ofdm_config is ofdm_config


# --- damaged recordings through the C++ receiver (the table of tests/test_recording.py) -------
import test_recording  # noqa: E402
from test_recording import CORRUPTIONS, check_replay_of_damage, damaged_copy  # noqa: E402

@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_damaged_samples_lose_only_their_frame_cpp(tmp_path, name):
    damage, must_lose = CORRUPTIONS[name]
    check_replay_of_damage(damaged_copy(tmp_path, damage), name, must_lose, ["cpp:lmmse", "zf"], "cpp")


@pytest.mark.parametrize("backend", ["numpy", "cpp"])
def test_common_tracking_gives_one_channel_per_carrier_and_frame(backend):
    """tracking="common" (the real-time setting): every data RE's h is its carrier's Ĥ bitwise, the
    same for all of the frame's data symbols (what lets a detector set up one filter per carrier and
    frame); per-stream tracking makes h differ from symbol to symbol. Both decode the frames."""
    if backend == "cpp":
        compiled("ofdm_rx_kernel")
    c = ofdm_config(nt=2, nr=2)
    y, _ = _stream(c, frames=3, snr_db=35, profile="A", delay_spread=50e-9, cfo_hz=0.05 * FS / c.fft_len, seed=4)
    data = np.flatnonzero(~np.isin(c.used_carriers, c.pilots))
    for tracking in ("common", "per_stream"):
        frames = OfdmReceiver(c, backend=backend, tracking=tracking).push(y)
        assert len(frames) == 3
        for f in frames:
            h = f.h.reshape(c.n_data_symbols, len(data), c.nr, c.nt)
            same = (h == f.h_est[data][None]).all()
            assert same if tracking == "common" else not (h == h[:1]).all()
            llr = nm.detector("lmmse", constellation=c.constellation)(f.y, f.h, np.full(c.n_re, f.noise_var, np.float32)).llr
            assert FrameChecker(c).check(llr.reshape(c.n_re, -1), f.info())["crc_ok"]
