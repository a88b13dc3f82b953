# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a detector to ONNX + manifest, validated against torch.

A trained model, from a training checkpoint (final.pt or last.pt):

    python -m neuralmimo.cli.export runs/toy/final.pt --out models/toy_qpsk_4x8.onnx

The manifest then carries training_config_hash, training_snr_db (the SNR
range(s) trained on), snr_convention and the model's own keys. ``--setting NAME=VALUE``
(repeatable) applies a model setting before the export, e.g. R-WeSNet's layer removal:

    python -m neuralmimo.cli.export runs/r_wesnet/final.pt --setting remove_layers=10 --out m.onnx

A family built from its constructor arguments (classical modules such as LMMSE):

    python -m neuralmimo.cli.export lmmse --nt 4 --nr 4 --constellation qam16 \\
        --out models/lmmse_qam16_4x4.onnx

Exit status 2 on a bad argument, an unreadable checkpoint or a failed
onnxruntime-vs-torch check.
"""
from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from ..export import export_detector
from ..models import FAMILIES
from ..train.checkpoint import training_domain
from . import args as cli



def _from_family(ap, args):
    missing = [f"--{k}" for k in ("nt", "nr", "constellation") if getattr(args, k) is None]
    if missing:
        raise cli.CommandError(f"family '{args.source}' needs {', '.join(missing)}")
    if args.setting:
        raise cli.CommandError("--setting: applies to a trained checkpoint, not to a family")
    cls = FAMILIES[args.source]
    kwargs = {}
    if "demapping" in inspect.signature(cls.__init__).parameters:
        kwargs["demapping"] = args.demapping
    return cls(args.nt, args.nr, args.constellation, **kwargs), None


def _from_checkpoint(ap, args):
    from ..train.checkpoint import deployed_from_checkpoint

    given = [f"--{k}" for k in ("nt", "nr", "constellation") if getattr(args, k) is not None]
    if given:
        raise cli.CommandError(f"{', '.join(given)}: not used with a checkpoint (it holds the model's config)")
    try:
        module, extra, ckpt = deployed_from_checkpoint(args.source, dict(args.setting))
    except TypeError as exc:           # a setting the family's apply_settings does not take
        raise cli.CommandError(f"--setting: {exc}") from None
    if not ckpt.get("finished"):
        print(f"note: {args.source} is from an unfinished run (stage {ckpt['stage_index'] + 1}, "
              f"epoch {ckpt['epoch']})", file=sys.stderr)
    return module, extra


def _opset(text: str) -> int:
    import onnx

    # torch.onnx writes opset 18 and converts down to an older one with onnx's version converter;
    # how far down a graph converts depends on its operators (export_detector refuses a graph
    # left at another opset)
    v, top = cli.any_int(text), onnx.defs.onnx_opset_version()
    if not 1 <= v <= top:
        raise argparse.ArgumentTypeError(f"must be in [1, {top}] (onnx {onnx.__version__}), got {text}")
    return v


def _setting(text: str) -> tuple:
    """'name=value' with a TOML value (plain string when it does not parse) -> (name, value)."""
    from ..train.config import toml_value

    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), toml_value(raw)


def _onnx_path(text: str) -> Path:
    p = cli.output_file(text)
    if p.suffix != ".onnx":
        raise argparse.ArgumentTypeError(f"'{text}' must end in .onnx (its manifest is written beside it as .json)")
    return p


@cli.command("export")
def main(argv=None) -> int:
    ap = cli.parser("export", __doc__)
    ap.add_argument("source", metavar="CHECKPOINT_OR_FAMILY",
                    help=f"training checkpoint (.pt) or a family: {', '.join(sorted(FAMILIES))}")
    ap.add_argument("--nt", type=cli.positive_int, help="transmit streams (family form)")
    ap.add_argument("--nr", type=cli.positive_int, help="receive antennas (family form)")
    ap.add_argument("--constellation", help="bpsk, qpsk, qam16, qam64, qam256 (family form)")
    ap.add_argument("--demapping", default="maxlog", choices=["maxlog", "app"],
                    help="LLR demapping of families that take it (family form)")
    ap.add_argument("--setting", type=_setting, action="append", default=[], metavar="NAME=VALUE",
                    help="model setting applied before the export (checkpoint form), e.g. remove_layers=10")
    ap.add_argument("--opset", type=_opset, default=18)
    ap.add_argument("--out", type=_onnx_path, required=True,
                    help="output .onnx path (manifest written beside it; the directory must exist)")
    args = ap.parse_args(argv)
    is_family = args.source in FAMILIES
    if not is_family and not (args.source.endswith(".pt") or Path(args.source).is_file()):
        raise cli.CommandError(f"{args.source!r} is neither a checkpoint file (.pt) nor a family "
                               f"({', '.join(sorted(FAMILIES))})")
    module, extra = (_from_family if is_family else _from_checkpoint)(ap, args)
    domain = None if is_family else training_domain(extra)
    # The model and its manifest are written beside --out and renamed when both are complete and
    # validated: a failed export or a failed onnxruntime-vs-torch check leaves no file.
    with cli.staged(args.out.parent) as stage:
        try:
            manifest = export_detector(module, stage / args.out.name, manifest_extra=extra, opset=args.opset,
                                       domain=domain)
        except RuntimeError as exc:     # torch.onnx's exporter errors
            raise ValueError(f"torch.onnx could not export {args.source} at opset {args.opset}: {exc}") from None
    v = manifest["validation"]
    errs = ", ".join(f"{k} {e:.2e}" for k, e in v["max_abs_error"].items())
    print(f"wrote {args.out} (+ manifest); onnxruntime vs torch max abs error: {errs} "
          f"(tolerance {v['atol']:g} + {v['rtol']:g}·|torch|)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
