# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak run: the MIMO-OFDM loopback for minutes with the C++ and an ONNX detector side by side.

    python -m neuralmimo.bench.soak [--seconds 600] [--snr 30] [--profile flat] [--model x.onnx]

The flowgraph is examples/ofdm_loopback.grc's, built from the same blocks (payload source ->
ofdm_tx -> ofdm_channel -> ofdm_rx -> detectors -> frame checkers), at 4x4 so that the shipped
4x4 LMMSE model fits; two detectors instead of three (cpp:lmmse and the ONNX model); flat
fading by default: with TDL-A a 4x4 link (no receive diversity) has a BER floor near 4e-3 at
38 dB, every 9,216-bit frame fails its CRC, and a frame checker numbers failed frames (for their
bit errors) only after a good one, so the per-minute BER would stay empty. A short
warm-up flowgraph loads the libraries and the model first. The soak flowgraph runs for
--seconds; then its source ends its stream (WORK_DONE) and the flowgraph drains to its natural
end, so that every item is accounted for.

Checked (exit status 1 when a check fails):
- memory: resident set size (RSS) once the soak flowgraph has run for its first interval (its
  buffers allocated, the allocator's pools filled) and at the end; growth within --max-growth-mib.
  The checkers' per-frame records are moved out of the blocks each minute (they are the run's
  data, kept by design, not a leak), so the growth measures what the blocks themselves keep.
- BER drift: each full minute's BER of each detector within 4 sigma of the run's BER. Bit
  errors come in bursts (a frame in a deep fade holds many), so sigma is that of a mean over
  the minute's frames, from the spread of the per-frame error counts; the binomial sigma
  (bits independent) is printed beside it.
- items in = items out: per block, items read and written against what the frame count implies;
  frames sent = frames checked + frames missed (never detected) for each detector.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

CHECKS_SIGMA = 4.0


def rss_mib() -> float:
    """Resident set size of this process, MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


@dataclass
class Minute:
    """What one detector's checker saw in one interval."""
    frames: int = 0
    bits: int = 0
    errors: int = 0
    frame_errors: list = field(default_factory=list)     # bit errors of each frame


def _stoppable_source(config, frames: int):
    """ofdm_payload_source whose stream ends (WORK_DONE) once .finish() is called or `frames`
    (0: no limit) are out: the flowgraph then drains everything in flight and stops."""
    from ..blocks.ofdm_tx import ofdm_payload_source

    class source(ofdm_payload_source):  # noqa: N801
        finished = False

        def finish(self):
            self.finished = True

        def work(self, input_items, output_items):
            return -1 if self.finished else super().work(input_items, output_items)

    return source(config, num_frames=frames, first_frame=0)


def build(config, snr_db: float, frames: int, detectors: dict, seed: int, profile: str = "flat"):
    """The loopback top block; returns (tb, blocks dict). frames = 0: until finish()."""
    from gnuradio import gr

    import neuralmimo as nm

    c = config
    tb = gr.top_block("soak", catch_exceptions=False)
    b = {"payload": _stoppable_source(c, frames),
         "tx": nm.ofdm_tx(c, amplitude=1.0),
         "channel": nm.ofdm_channel(nt=c.nt, nr=c.nr, samp_rate=5e6, snr_db=snr_db, profile=profile,
                                    delay_spread=300e-9, cfo_hz=10e3, timing_offset=0.37,
                                    phase_noise_hz=100, seed=seed),
         "rx": nm.ofdm_rx(c, threshold=0.3, backoff=-1, max_backlog=0, backend="auto")}
    tb.connect(b["payload"], b["tx"], b["channel"], b["rx"])
    for name, spec in detectors.items():
        det = nm.detector_select(spec, nt=c.nt, nr=c.nr, constellation=c.constellation, output="llr",
                                 batch=c.n_re, threads=1)
        chk = nm.frame_checker(c, input="llr", label=spec, test_payload=True, first_frame=0)
        chk.checker.keep_bits = False          # the soak needs counts, not every frame's bits
        for port in range(3):
            tb.connect((b["rx"], port), (det, port))
        tb.connect(det, chk)
        b[f"det:{name}"], b[f"chk:{name}"] = det, chk
    return tb, b


class Monitor:
    """Samples the checkers every `interval` seconds while the flowgraph runs; moves their
    per-frame records out (into Minute totals) so that the blocks keep nothing per frame."""

    def __init__(self, blocks: dict, names, interval: float):
        self.blocks, self.names, self.interval = blocks, list(names), interval
        self.minutes: dict[str, list[Minute]] = {n: [] for n in self.names}
        self.taken = {n: 0 for n in self.names}       # records moved out so far
        self.rss: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self):
        self.rss.append((time.monotonic() - self._t0, rss_mib()))
        for n in self.names:
            ck = self.blocks[f"chk:{n}"].update()      # the frames completed so far (C++ checker)
            # Records of frames that wait for a good frame have no bit errors yet: leave those.
            recs = ck.records
            k = 0
            while k < len(recs) - 1 and "bit_errors" in recs[k]:
                k += 1
            taken, m = recs[:k], Minute()
            del recs[:k]                        # atomic under the GIL; work() only appends
            m.frames = len(taken)
            m.frame_errors = [r["bit_errors"] for r in taken]
            m.errors = int(sum(m.frame_errors))
            m.bits = m.frames * ck.config.bits_per_frame
            self.taken[n] += k
            self.minutes[n].append(m)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.sample()                           # the rest, after the flowgraph ended


def drift(minutes: list[Minute], min_frames: int, bits_per_frame: int) -> list[dict]:
    """Per interval: BER, the run's BER, the clustered and binomial 4-sigma bands, within band."""
    errors = np.concatenate([np.asarray(m.frame_errors, float) for m in minutes] + [np.zeros(0)])
    total_bits = sum(m.bits for m in minutes)
    p = sum(m.errors for m in minutes) / max(total_bits, 1)
    sd_frame = float(np.std(errors / bits_per_frame)) if errors.size else 0.0
    out = []
    for i, m in enumerate(minutes):
        if m.frames < min_frames:
            continue
        ber = m.errors / m.bits
        band = CHECKS_SIGMA * sd_frame / np.sqrt(m.frames)
        binom = CHECKS_SIGMA * np.sqrt(p * (1 - p) / m.bits)
        out.append({"minute": i + 1, "frames": m.frames, "ber": ber, "overall": p, "band": band,
                    "binomial_band": binom, "ok": bool(abs(ber - p) <= band)})
    return out


def items_balance(b: dict, c, frames_sent: int, names) -> list[tuple[str, int, int, bool]]:
    """(what, expected, got, equal) for every block's items in and out."""
    rx_frames = b["rx"].frames_found()
    rows = [("payload bits out", frames_sent * c.payload_bits, b["payload"].nitems_written(0)),
            ("ofdm_tx bits in", frames_sent * c.payload_bits, b["tx"].nitems_read(0)),
            ("ofdm_tx samples out", frames_sent * c.frame_len, b["tx"].nitems_written(0)),
            ("channel samples in", b["tx"].nitems_written(0), b["channel"].nitems_read(0)),
            ("channel samples out", b["channel"].nitems_read(0), b["channel"].nitems_written(0)),
            ("ofdm_rx samples in", b["channel"].nitems_written(0), b["rx"].nitems_read(0))]
    for port, what in enumerate(("y", "H", "noise_var")):
        rows.append((f"ofdm_rx {what} out (frames x n_re)", rx_frames * c.n_re, b["rx"].nitems_written(port)))
    for n in names:
        det, chk = b[f"det:{n}"], b[f"chk:{n}"]
        for port in range(3):
            rows.append((f"{n} in[{port}]", b["rx"].nitems_written(port), det.nitems_read(port)))
        rows.append((f"{n} out", det.nitems_read(0), det.nitems_written(0)))
        rows.append((f"{n} checker in", det.nitems_written(0), chk.nitems_read(0)))
    return [(what, int(want), int(got), int(want) == int(got)) for what, want, got in rows]


def soak(seconds: float, snr_db: float, model: str, seed: int = 1, interval: float = 60.0,
         max_growth_mib: float = 32.0, warmup_frames: int = 50, profile: str = "flat", out=sys.stdout) -> bool:
    """Runs the soak and prints its report; True when every check passes."""
    import neuralmimo as nm

    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    c = nm.ofdm_config(nt=4, nr=4, constellation="qam16", fft_len=64, cp_len=16, n_used=52,
                       pilots=(-21, -7, 7, 21), n_data_symbols=12, training="time", ltf_repeats=2, gap=100, seed=0)
    detectors = {"cpp:lmmse": "cpp:lmmse", "onnx": model}
    # Warm-up: loads the libraries and the model.
    t0 = time.monotonic()
    tb, _ = build(c, snr_db, warmup_frames, detectors, seed, profile)
    tb.run()
    rate = warmup_frames / (time.monotonic() - t0)
    del tb
    print(f"soak: 4x4 16-QAM OFDM loopback ({profile} fading, CFO 10 kHz, phase noise 100 Hz), SNR {snr_db:g} dB;"
          f" detectors cpp:lmmse and {model}", file=out)
    print(f"warm-up: {warmup_frames} frames at {rate:.1f} frames/s (library and model loading included); "
          f"host load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=out)
    tb, b = build(c, snr_db, 0, detectors, seed + 1, profile)
    mon = Monitor(b, detectors, interval)
    t0 = time.monotonic()
    tb.start()
    mon.start()
    while time.monotonic() - t0 < seconds:
        time.sleep(min(1.0, max(seconds - (time.monotonic() - t0), 0.01)))
    b["payload"].finish()
    tb.wait()
    elapsed = time.monotonic() - t0
    mon.stop()
    frames = b["payload"].nitems_written(0) // c.payload_bits
    rss0 = mon.rss[0][1] if len(mon.rss) > 1 else float("nan")
    rss1 = mon.rss[-1][1]
    ok = True
    print(f"\nran {elapsed:.0f} s, {frames} frames ({frames / elapsed:.1f} frames/s); host load average at "
          f"the end {os.getloadavg()[0]:.2f}", file=out)
    growth = rss1 - rss0
    mem_ok = bool(growth <= max_growth_mib)          # NaN (a run shorter than one interval) fails
    ok &= mem_ok
    print(f"RSS: {rss0:.1f} MiB after the first interval, {rss1:.1f} MiB at the end, growth {growth:+.1f} MiB "
          f"(limit {max_growth_mib:g}) {'ok' if mem_ok else 'FAIL'}", file=out)
    print("RSS per interval (s: MiB): " + ", ".join(f"{t:.0f}: {r:.1f}" for t, r in mon.rss), file=out)
    for n in detectors:
        rows = drift(mon.minutes[n], min_frames=max(10, int(0.5 * frames / elapsed * interval)),
                     bits_per_frame=c.bits_per_frame)
        print(f"\n{n}: BER per {interval:g} s interval (band: {CHECKS_SIGMA:g} sigma of a mean over the "
              "interval's frames; binomial band beside it)", file=out)
        for r in rows:
            print(f"  {r['minute']:>3}: {r['frames']:>6} frames BER {r['ber']:.3e} vs {r['overall']:.3e} "
                  f"band ±{r['band']:.1e} (binomial ±{r['binomial_band']:.1e}) {'ok' if r['ok'] else 'FAIL'}",
                  file=out)
            ok &= r["ok"]
        if not rows:
            print("  no full interval (run longer than --interval)", file=out)
    print("\nitems in = items out:", file=out)
    for what, want, got, eq in items_balance(b, c, frames, detectors):
        print(f"  {what:<34} {want:>12} {got:>12} {'ok' if eq else 'FAIL'}", file=out)
        ok &= eq
    print("\nframes:", file=out)
    for n in detectors:
        ck = b[f"chk:{n}"].update()
        checked = mon.taken[n] + len(ck.records)
        missed = frames - checked
        bits = sum(m.bits for m in mon.minutes[n])
        errors = sum(m.errors for m in mon.minutes[n])
        fine = checked == b["rx"].frames_found() and checked + missed == frames and bits > 0
        print(f"  {n:<10} sent {frames}, detected {b['rx'].frames_found()}, checked {checked}, never detected "
              f"{missed}; CRC failures {ck.crc_failures}; BER {errors / max(bits, 1):.3e} "
              f"({errors} errors in {bits} bits) {'ok' if fine else 'FAIL'}", file=out)
        ok &= fine
    print(f"\nsoak: {'all checks passed' if ok else 'a check FAILED'}", file=out)
    return ok


def main(argv=None) -> int:
    from ..paths import model_path

    ap = argparse.ArgumentParser(prog="python -m neuralmimo.bench.soak", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600.0, help="length of the soak run (s)")
    ap.add_argument("--snr", type=float, default=30.0, help="SNR per RE (dB); 30: BER about 5e-4 (flat, 4x4)")
    ap.add_argument("--profile", default="flat", help="channel: flat, A, B, C (TDL, 300 ns)")
    ap.add_argument("--model", default=None, help="ONNX detector (default: the shipped 4x4 16-QAM LMMSE)")
    ap.add_argument("--interval", type=float, default=60.0, help="BER and RSS sampling interval (s)")
    ap.add_argument("--max-growth-mib", type=float, default=32.0, help="allowed RSS growth (MiB)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    for name in ("seconds", "interval"):
        value = getattr(args, name)
        if not np.isfinite(value) or value <= 0:
            ap.error(f"--{name} must be > 0, got {value}")
    model = args.model or model_path("lmmse_qam16_4x4.onnx")
    return 0 if soak(args.seconds, args.snr, model, args.seed, args.interval, args.max_growth_mib,
                     profile=args.profile) else 1


if __name__ == "__main__":
    sys.exit(main())
