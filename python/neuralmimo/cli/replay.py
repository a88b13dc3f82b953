# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replay a SigMF recording through the MIMO-OFDM receiver and one or more detectors.

    python -m neuralmimo.cli.replay run1.sigmf-meta --detector lmmse kbest models/x.onnx

The recording carries its frame configuration (neuralmimo:ofdm), so the receiver is
rebuilt exactly; it is validated first (SigMF schema, size, checksum, channel count) and
refused with the reason. Every detector sees the same (y, Ĥ, σ̂²) of every frame; the
table shows per frame the receiver's CFO, SNR and EVM (detector independent) and per
detector the CRC result and bit errors, then the frame error rate and BER of each.

A coded recording (its configuration's coding, e.g. "ldpc648") is LDPC-decoded per frame: the
summary then adds per detector the codeword errors, BLER and the uncoded BER of the detector's hard
decisions beside the decoded BER. --coding overrides the recording's coding (a trace recorded by
a receiver whose configuration did not say the transmitter coded its frames).

Detectors: any name of nm.detector_names(), a .onnx model (its manifest must match the
recording's Nr and constellation, and its Nt or Nt range the recording's Nt), or cpp:lmmse / cpp:cg[:N] (the C++ blocks, run in a
small GNU Radio flowgraph; needs GNU Radio). Without GNU Radio everything else works.
"""
from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path

import numpy as np

from ..phy.ofdm import OfdmConfig
from ..phy.ofdm_bits import FrameChecker
from ..phy.ofdm_coding import CODINGS
from ..phy.ofdm_rx import OfdmReceiver
from ..recording import Recording
from ..registry import DetectorSpec, detector
from . import args as cli


class _Detector:
    """One detector of the replay: frames -> their LLRs or bits, [n_re, Nt·K] each."""

    def __init__(self, spec: str, config: OfdmConfig, threads: int = 1):
        self.spec, self.config = spec, config
        self.erased_frames = 0      # frames this detector refused (ValueError): given all-zero LLRs
        c = config
        self._det = None
        kind = DetectorSpec.parse(spec, "--detectors").kind
        if kind == "cpp":
            from ..blocks.detector_select import detector_select     # raises without GNU Radio
            detector_select(spec, c.nt, c.nr, c.constellation, "llr")  # validate the spec now
        elif kind == "onnx":
            self._det = detector(spec, threads=threads, constellation=c.constellation, nt=c.nt, nr=c.nr)
        else:
            self._det = detector(spec, constellation=c.constellation)

    def frames(self, frames: list) -> list:
        c = self.config
        if self._det is None:
            # A C++ block: one throw-away flowgraph for all the frames (its items are independent).
            from ..blocks.detector_select import detector_select, run_items
            y = np.concatenate([f.y for f in frames])
            h = np.concatenate([f.h for f in frames])
            nv = np.concatenate([np.full(len(f.y), f.noise_var, np.float32) for f in frames])
            out = run_items(detector_select(self.spec, c.nt, c.nr, c.constellation, "llr"), y, h, nv,
                            c.nt * c.bits_per_symbol)
            return np.split(out, len(frames))
        # Python detectors frame by frame: the same batches as the live block (batch = n_re),
        # so a replay gives the live run's bits.
        return [self._one(f) for f in frames]

    def _one(self, f) -> np.ndarray:
        c = self.config
        try:
            out = self._det(f.y, f.h, np.full(len(f.y), f.noise_var, np.float32))
        except ValueError:
            # One bad frame is a lost frame (all LLRs 0: an erasure, which fails its CRC), never
            # the end of the replay; the receiver already drops frames with non-finite outputs.
            self.erased_frames += 1
            return np.zeros((len(f.y), c.nt * c.bits_per_symbol), np.float32)
        if out.llr is not None:
            return np.asarray(out.llr, np.float32).reshape(len(f.y), -1)
        idx = c.const.nearest(np.asarray(out.symbols))
        return c.const.indices_to_bits(idx).astype(np.uint8).reshape(len(f.y), -1)


def replay(path, detectors, threshold: float = 0.3, max_frames: int | None = None,
           chunk: int = 1 << 16, threads: int = 1, progress: bool = False, backend: str = "auto",
           first_frame: int | None = None, coding: str | None = None) -> dict:
    """Runs the receiver over a recording; returns {"recording", "config", "frames": [info dicts],
    "checkers": {spec: FrameChecker}, "receiver": OfdmReceiver, "erased": {spec: frames}} (each
    checker's records hold CRC and bit errors per frame; the receiver counts the frames it dropped
    and the NaN/Inf samples it zeroed; backend: the receiver's, "auto", "numpy" or "cpp"; first_frame:
    the number of the first frame detected when it is known, as in a loopback recording (0): failed
    frames before the first CRC-good one are then numbered from it rather than from their headers,
    which a frame with many bit errors misreads, counting its bits against another frame's; coding:
    None keeps the recording's frame coding, "none" or "ldpc648" replaces it)."""
    rec = Recording.open(path)
    config = rec.config(OfdmConfig.from_dict)
    if coding is not None and coding != config.coding:
        config = dataclasses.replace(config, coding=coding)       # validated like any config
    if not detectors:
        raise ValueError("replay: give at least one detector")
    dets = {spec: _Detector(spec, config, threads) for spec in detectors}
    checkers = {spec: FrameChecker(config, first_frame=first_frame) for spec in detectors}
    rx = OfdmReceiver(config, threshold=threshold, backend=backend)
    infos = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(rec), unit="S", unit_scale=True, desc="replay", leave=False)
    for x in rec.iter_chunks(chunk):
        frames = rx.push(x)
        if max_frames is not None:
            frames = frames[:max_frames - len(infos)]
        if frames:
            new = [f.info() for f in frames]
            infos += new
            for spec, det in dets.items():
                for out, info in zip(det.frames(frames), new):
                    checkers[spec].check(out, info)
        if bar is not None:
            bar.update(len(x))
        if max_frames is not None and len(infos) >= max_frames:
            break
    if bar is not None:
        bar.close()
    for k in checkers.values():
        k.finish()
    return {"recording": rec, "config": config, "frames": infos, "checkers": checkers, "receiver": rx,
            "erased": {spec: det.erased_frames for spec, det in dets.items()}}


def _print_report(res: dict, show_frames: int, out=sys.stdout) -> None:
    rec, c, infos, checkers = res["recording"], res["config"], res["frames"], res["checkers"]
    fs = rec.sample_rate or float("nan")
    print(f"{rec.meta_path.name}: {len(rec)} samples x {rec.num_channels} channels at {fs / 1e6:g} MS/s, "
          f"centre {(rec.center_freq or 0) / 1e6:g} MHz, hw '{rec.hw}'", file=out)
    print(f"frame: {c.nt}x{c.nr} {c.constellation}, FFT {c.fft_len}, CP {c.cp_len}, {c.n_used} used carriers, "
          f"{c.n_data_symbols} data symbols, {c.training} training, coding {c.coding}"
          + (f" ({c.n_codewords} codewords + {c.pad_bits} pad bits)" if c.n_codewords else "")
          + f"; {len(infos)} frames detected\n", file=out)
    specs = list(checkers)
    if show_frames and infos:
        head = f"{'#':>4} {'frame':>6} {'start':>9} {'CFO kHz':>8} {'SNR dB':>7} {'EVM dB':>7} | " + \
               " | ".join(f"{s[-18:]:>18}" for s in specs)
        print(head, file=out)
        print("-" * len(head), file=out)
        for i, info in enumerate(infos[:show_frames]):
            cells = []
            for s in specs:
                r = checkers[s].records[i]
                cells.append(f"{'ok ' if r['crc_ok'] else 'CRC'} {r.get('bit_errors', 0):>6} err".rjust(18))
            number = checkers[specs[0]].records[i]["frame"]
            print(f"{i:>4} {number:>6} {info['start']:>9} {info['cfo'] * fs / c.fft_len / 1e3:>8.2f} "
                  f"{info['snr_db']:>7.2f} {20 * np.log10(info['evm']):>7.2f} | " + " | ".join(cells), file=out)
        if len(infos) > show_frames:
            print(f"... {len(infos) - show_frames} more frames (--show-frames)", file=out)
        print(file=out)
    print(f"{'detector':>28} {'frames':>7} {'CRC fail':>8} {'FER':>9} {'bit errors':>11} {'BER':>10} "
          f"{'missed':>6}", file=out)
    for s in specs:
        k = checkers[s]
        print(f"{s[-28:]:>28} {k.frames:>7} {k.crc_failures:>8} {k.fer():>9.3e} {k.bit_errors:>11} "
              f"{k.ber():>10.3e} {k.missed:>6}", file=out)
    if c.n_codewords:
        print(f"\n{'detector (LDPC decoded)':>28} {'codewords':>9} {'errors':>7} {'BLER':>9} {'no conv.':>8} "
              f"{'uncoded BER':>11}", file=out)
        for s in specs:
            k = checkers[s]
            print(f"{s[-28:]:>28} {k.codewords:>9} {k.codeword_errors:>7} {k.bler():>9.3e} "
                  f"{k.codeword_failures:>8} {k.channel_ber():>11.3e}", file=out)
        print("   BER above: decoded information bits; uncoded BER: the detector's hard decisions.", file=out)
    rx = res.get("receiver")
    if rx is not None and (rx.frames_dropped or rx.samples_invalid):
        print(f"receiver: {rx.frames_dropped} frames dropped (non-finite estimates), "
              f"{rx.samples_invalid} NaN/Inf samples replaced by 0", file=out)
    erased = {s: n for s, n in res.get("erased", {}).items() if n}
    if erased:
        print("frames erased by a detector that refused them: "
              + ", ".join(f"{s} {n}" for s, n in erased.items()), file=out)
    if infos:
        snr = np.array([i["snr_db"] for i in infos])
        evm = 20 * np.log10(np.sqrt(np.mean(np.array([i["evm"] for i in infos]) ** 2)))
        print(f"\nreceiver: SNR per frame {snr.mean():.2f} dB mean ({snr.min():.2f} … {snr.max():.2f}), "
              f"EVM {evm:.2f} dB (LMMSE-equalised, decision directed)", file=out)


def _write_csv(res: dict, path: Path) -> None:
    specs = list(res["checkers"])
    keys = ("crc_ok", "bit_errors") + (("channel_bit_errors", "codeword_errors", "codeword_failures")
                                       if res["config"].n_codewords else ())
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "frame", "start", "cfo_subcarriers", "snr_db", "evm", "noise_var"]
                   + [f"{s}:{k}" for s in specs for k in keys])
        for i, info in enumerate(res["frames"]):
            recs = [res["checkers"][s].records[i] for s in specs]
            w.writerow([i, recs[0]["frame"], info["start"], info["cfo"], info["snr_db"], info["evm"],
                        info["noise_var"]]
                       + [int(r[k]) if k == "crc_ok" else r.get(k, "") for r in recs for k in keys])


@cli.command("replay")
def main(argv=None) -> int:
    ap = cli.parser("replay", __doc__)
    ap.add_argument("recording", help="the .sigmf-meta file (or .sigmf-data, or the base name)")
    ap.add_argument("--detector", nargs="+", default=["lmmse"],
                    help="one or more: a name of nm.detector_names(), a .onnx model, cpp:lmmse, cpp:cg[:N]")
    ap.add_argument("--threshold", type=cli.finite_float, default=0.3, help="frame detection threshold (0..1)")
    ap.add_argument("--max-frames", type=cli.positive_int, default=None, help="stop after this many frames")
    ap.add_argument("--show-frames", type=cli.nonnegative_int, default=20, help="per-frame rows to print (0: none)")
    ap.add_argument("--threads", type=cli.positive_int, default=1, help="onnxruntime intra-op threads")
    ap.add_argument("--first-frame", type=cli.nonnegative_int, default=None,
                    help="number of the first frame detected, when known (0 for a record_loopback "
                         "recording): numbers failed frames before the first good one")
    ap.add_argument("--coding", choices=CODINGS, default=None,
                    help="frame coding of the transmitter (default: the recording's)")
    ap.add_argument("--csv", type=cli.output_file, default=None,
                    help="write the per-frame table here (the directory must exist)")
    args = ap.parse_args(argv)
    if Path(args.recording).is_dir():
        raise cli.CommandError(f"'{args.recording}' is a directory, not a recording (.sigmf-meta)")
    try:
        res = replay(args.recording, args.detector, threshold=args.threshold, max_frames=args.max_frames,
                     threads=args.threads, progress=sys.stderr.isatty(),
                     first_frame=args.first_frame, coding=args.coding)
    except ImportError as exc:      # cpp: detectors without GNU Radio
        raise cli.CommandError(str(exc)) from None
    _print_report(res, args.show_frames)
    if args.csv:
        with cli.staged(args.csv.parent) as stage:
            _write_csv(res, stage / args.csv.name)
        print(f"\nper-frame table written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
