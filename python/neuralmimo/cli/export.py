# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a detector to ONNX + manifest, validated against torch.

    python -m neuralmimo.cli.export lmmse --nt 4 --nr 4 --constellation qam16 \
        --out models/lmmse_qam16_4x4.onnx
"""
from __future__ import annotations

import argparse
import sys

from ..export import ExportValidationError, export_detector
from ..models import FAMILIES


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m neuralmimo.cli.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("family", choices=sorted(FAMILIES), help="model family")
    ap.add_argument("--nt", type=int, required=True, help="transmit streams")
    ap.add_argument("--nr", type=int, required=True, help="receive antennas")
    ap.add_argument("--constellation", required=True, help="bpsk, qpsk, qam16, qam64, qam256")
    ap.add_argument("--demapping", default="maxlog", choices=["maxlog", "app"])
    ap.add_argument("--opset", type=int, default=18)
    ap.add_argument("--out", required=True, help="output .onnx path (manifest written beside it)")
    args = ap.parse_args(argv)
    try:
        module = FAMILIES[args.family](args.nt, args.nr, args.constellation, demapping=args.demapping)
        manifest = export_detector(module, args.out, opset=args.opset)
    except (ValueError, ExportValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    v = manifest["validation"]
    errs = ", ".join(f"{k} {e:.2e}" for k, e in v["max_abs_error"].items())
    print(f"wrote {args.out} (+ manifest); onnxruntime vs torch max abs error: {errs} "
          f"(tolerance {v['atol']:g} + {v['rtol']:g}·|torch|)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
