# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Multiply-adds, FLOPs and parameters of exported ONNX models, one markdown table row each:

    python -m neuralmimo.cli.cost models/*.onnx [--batch 4] [--nt 16]

Counted from the graph with its batch axis fixed to --batch (default 1) and divided by it
(per detection: one received vector with its channel); 1 MAC = 2 FLOPs. The counting rules are
in neuralmimo/export/graph_cost.py. "params" counts the elements of all initializers, "float
params" those of the floating-point ones; "top ops" are the op types with most FLOPs. A model with
a dynamic Nt axis (manifest nt_range, RE-MIMO) costs more with more streams: --nt says at which Nt
to count it (without --nt: at the largest Nt it serves, named in its row); any other model's Nt,
if given, must be its own.

Exit status 2 on a file that is missing, not an ONNX model, or holds an op without a rule.
"""
from __future__ import annotations

import sys

from ..export.graph_cost import graph_cost
from . import args as cli

HEADER = ("| file | MACs/detection | FLOPs/detection | params | float params | bytes | top ops |\n"
          "|---|---:|---:|---:|---:|---:|---|")


def _number(v: float) -> str:
    # whole per run, not always per detection: work on constants is paid once per run
    return f"{v:.0f}" if v == int(v) else f"{v:.2f}"


def row(path, cost, at: str = "") -> str:
    top = ", ".join(f"{op} {100 * f / cost.flops:.0f}%" for op, f in cost.top_ops(3)) if cost.flops else "-"
    return (f"| {path}{at} | {_number(cost.macs_per_detection)} | {_number(cost.flops_per_detection)} | "
            f"{cost.params} | {cost.float_params} | {cost.file_bytes} | {top} |")


def _range(path) -> tuple:
    """(nt_min, nt) from the model's manifest; (0, 0) for a graph without one (counted as it is)."""
    import onnx

    from ..manifest import nt_range, read_manifest

    try:
        meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        return nt_range(read_manifest(path, meta))
    except Exception:  # noqa: BLE001  (onnx raises protobuf errors) a file graph_cost refuses, naming why
        return 0, 0


@cli.command("cost")
def main(argv=None) -> int:
    ap = cli.parser("cost", __doc__)
    ap.add_argument("models", metavar="MODEL", nargs="+", type=cli.existing_file, help="ONNX files")
    ap.add_argument("--batch", type=cli.positive_int, default=1,
                    help="batch size the graph is counted at (default 1)")
    ap.add_argument("--nt", type=cli.positive_int, default=None,
                    help="number of streams to count a model with a dynamic Nt axis at")
    args = ap.parse_args(argv)
    rows = []
    for path in args.models:
        try:
            nt, at = args.nt, ""
            if nt is None:   # a model serving a range of Nt: counted at the largest, which the row names
                lo, hi = _range(path)
                if lo < hi:
                    nt, at = hi, f" (at Nt={hi} of {lo}..{hi})"
            cost = graph_cost(path, batch=args.batch, nt=nt)
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(msg if str(path) in msg else f"{path}: {msg}") from None
        rows.append(row(path, cost, at))
    # the table is printed whole, after every file counted: a bad file leaves no partial table
    print("\n".join([HEADER] + rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
