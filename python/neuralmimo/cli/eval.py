# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Monte-Carlo evaluation of detectors: CSV + PNG (SER, BER, NMSE, bitwise MI) versus SNR.

    python -m neuralmimo.cli.eval --detectors lmmse,kbest:k=32,ml --channel kron:r=0.5 \\
        --nt 4 --nr 8 --constellation qam16 --snr 0:2:20 --snr-convention rx \\
        --target-errors 300 --max-vectors 2e6 --seed 1 --out results/x

Detectors: names from nm.detector_names() with options as name:key=value,...
(e.g. cg:iterations=3,form=real), or paths to .onnx models. Writes <out>.csv and
<out>.png. Each SNR point stops per detector at --target-errors bit errors or
--max-vectors vectors; all detectors see the same samples.
"""
from __future__ import annotations

import argparse
import re
import sys

from . import args as cli


def parse_snr(spec: str) -> list[float]:
    """'0:2:20' (start:step:stop, inclusive) or '0,5,10' -> SNR points (never empty, all finite)."""
    try:
        return cli.snr_range(spec)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"--snr {exc}") from None


def _value(v: str):
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def parse_detectors(spec: str) -> list[tuple[str, str, dict]]:
    """'lmmse,cg:iterations=3,form=real,m.onnx' -> [(label, name, kwargs)]."""
    out = []
    for part in spec.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part and ":" not in part and out:      # continuation of the previous options
            label, name, kw = out[-1]
            key, val = part.split("=", 1)
            kw[key] = _value(val)
            out[-1] = (f"{label},{part}", name, kw)
            continue
        name, _, opts = part.partition(":")
        kw = {}
        for o in filter(None, opts.split(",")):
            if "=" not in o:
                raise ValueError(f"--detectors: option '{o}' of '{part}' is not key=value")
            key, val = o.split("=", 1)
            kw[key] = _value(val)
        out.append((part, name, kw))
    if not out:
        raise ValueError("--detectors: no detector given")
    return out


def _device(text: str) -> str:
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"must be cpu, cuda or cuda:N, got {text!r}")
    return text


@cli.command("eval")
def main(argv=None) -> int:
    ap = cli.parser("eval", __doc__)
    ap.add_argument("--detectors", required=True)
    ap.add_argument("--channel", default="rayleigh", help="channel spec, e.g. rayleigh, kron:r=0.5")
    ap.add_argument("--nt", type=cli.positive_int, required=True)
    ap.add_argument("--nr", type=cli.positive_int, required=True)
    ap.add_argument("--constellation", required=True)
    ap.add_argument("--snr", type=cli.snr_range, default="0:2:20", help="dB: start:step:stop or a comma list")
    ap.add_argument("--snr-convention", default="rx")
    ap.add_argument("--target-errors", type=cli.positive_int, default=300)
    # a float form (2e6) is accepted as long as it is a whole number
    ap.add_argument("--max-vectors", type=cli.positive_int, default=2_000_000)
    ap.add_argument("--batch", type=cli.positive_int, default=4096)
    ap.add_argument("--seed", type=cli.nonnegative_int, default=1)
    ap.add_argument("--device", type=_device, default="cpu", help="cpu or cuda")
    ap.add_argument("--csi-error", type=cli.nonnegative_float, default=None,
                    help="channel-estimate error variance")
    ap.add_argument("--out", type=cli.output_base, required=True,
                    help="output path without extension (its directory must exist)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    import torch

    import neuralmimo as nm
    from ..eval import EvalConfig, plot_rows, run_eval, write_csv
    from ..phy.channels import make_channel
    from ..phy.snr import channel_variance_for

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device: cuda requested but torch sees no GPU")
    snrs = args.snr
    dets = {}
    for label, name, kw in parse_detectors(args.detectors):
        shape = {"nt": args.nt, "nr": args.nr} if name.lower().endswith(".onnx") else {}
        try:
            dets[label] = nm.detector(name, constellation=args.constellation, **shape, **kw)
        except ValueError as exc:      # name the detector: its options' errors do not
            raise ValueError(f"--detectors '{label}': {exc}") from None
    channel = make_channel(args.channel, args.nr, args.nt)
    want = channel_variance_for(args.snr_convention, args.nr, args.nt)
    have = getattr(channel, "entry_variance", None)
    if args.snr_convention != "detnet" and want is not None and have is not None and abs(float(have) - float(want)) > 1e-9 * float(want):
        print(f"note: SNR convention '{args.snr_convention}' assumes channel entries of variance "
              f"{float(want):g}, channel '{args.channel}' has {float(have):g}; the SNR axis follows "
              "the convention's formula for sigma^2 as it is", file=sys.stderr)
    cfg = EvalConfig(nt=args.nt, nr=args.nr, constellation=args.constellation, snr_db=snrs,
                     convention=args.snr_convention, target_errors=args.target_errors,
                     max_vectors=args.max_vectors, batch=args.batch, seed=args.seed,
                     device=args.device, csi_error_var=args.csi_error)
    rows = run_eval(dets, channel, cfg, progress=not args.quiet)
    out = args.out
    title = (f"{args.nr}x{args.nt} {args.constellation}, channel {args.channel}, "
             f"SNR convention {args.snr_convention}")
    # both files or neither: written beside the outputs and renamed when both are complete
    with cli.staged(out.parent) as stage:
        write_csv(rows, stage / f"{out.name}.csv")
        plot_rows(rows, stage / f"{out.name}.png", title)
    print(f"{'detector':<24} {'SNR':>6} {'vectors':>9} {'SER':>10} {'BER':>10} {'NMSE dB':>8} {'BMI':>6}")
    for r in rows:
        print(f"{r['detector']:<24} {r['snr_db']:>6.1f} {r['vectors']:>9} {r['ser']:>10.3e} "
              f"{r['ber']:>10.3e} {r['nmse_db']:>8.2f} {r['bmi']:>6.3f}")
    print(f"wrote {out}.csv and {out}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
