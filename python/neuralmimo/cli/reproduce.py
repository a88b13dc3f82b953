# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baseline curves and claims of the papers, measured next to what the papers' text states.

    python -m neuralmimo.cli.reproduce detnet-baselines    [--out docs/figures]
    python -m neuralmimo.cli.reproduce eqnet-bler          [--retrain]   (trains; see papers/eqnet.py)
    python -m neuralmimo.cli.reproduce eqnet-bler-4x4      [--retrain]   (trains; 4x4 16-QAM)
    python -m neuralmimo.cli.reproduce eqnet-latent        [--retrain]   (trains; latent size, E6)
    python -m neuralmimo.cli.reproduce eqnet-stages        [--retrain]
    python -m neuralmimo.cli.reproduce hypermimo-baselines [--out docs/figures]
    python -m neuralmimo.cli.reproduce hypermimo-ser       [--retrain]   (trains; see papers/hypermimo.py)
    python -m neuralmimo.cli.reproduce hypermimo-mobility  [--retrain]
    python -m neuralmimo.cli.reproduce lcgnet-lmmse-nmse   [--out docs/figures]
    python -m neuralmimo.cli.reproduce lcgnet-nmse-layers  [--retrain]   (trains; see papers/lcgnet.py)
    python -m neuralmimo.cli.reproduce lcgnet-ber          [--retrain]   (trains; see papers/lcgnet_ber.py)
    python -m neuralmimo.cli.reproduce lcgnet-quant        [--retrain]
    python -m neuralmimo.cli.reproduce wesnet-ber          [--retrain]   (trains; see papers/wesnet.py)
    python -m neuralmimo.cli.reproduce remimo-ser          [--retrain]   (trains; see papers/remimo.py)
    python -m neuralmimo.cli.reproduce remimo-ser-corr     [--retrain]
    python -m neuralmimo.cli.reproduce remimo-nt           [--retrain]

Each writes <out>/<name>.csv and .png and prints a table: measured figure,
paper figure (with where the paper states it), and the settings used. The
studies live in the neuralmimo.papers package, one module per paper.

--param NAME=VALUE (repeatable) passes a keyword argument of the study's function, e.g. a smaller
run: --param drops=1 --param train_steps=20. VALUE is read as a Python literal (1, 0.5, [6, 10],
None), otherwise kept as text.
"""
from __future__ import annotations

import inspect
import sys

from . import args as cli


@cli.command("reproduce")
def main(argv=None) -> int:
    from ..papers import STUDIES

    ap = cli.parser("reproduce", __doc__)
    ap.add_argument("task", choices=sorted(STUDIES))
    ap.add_argument("--out", type=cli.output_dir, default="docs/figures")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--retrain", action="store_true",
                    help="train again even when runs/reproduce/ holds a finished run (training tasks)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a keyword argument of the study function (repeatable)")
    args = ap.parse_args(argv)
    params = dict(_param(p) for p in args.param)
    accepted = inspect.signature(STUDIES[args.task].run).parameters
    unknown = [k for k in params if k not in accepted or k in ("out", "progress", "retrain")]
    if unknown:
        options = ", ".join(k for k in accepted if k not in ("out", "progress", "retrain")) or "none"
        raise SystemExit(f"reproduce: {args.task} takes no parameter {', '.join(unknown)} (it takes: {options})")
    # the study's files appear in --out only when it has finished (a failed run leaves none)
    with cli.staged(args.out) as stage:
        table = STUDIES[args.task].run(stage, not args.quiet, args.retrain, **params)
    print(f"| {args.task} | measured | paper |")
    print("|---|---|---|")
    for name, measured, paper in table:
        print(f"| {name} | {measured} | {paper} |")
    return 0


def _param(text: str) -> tuple:
    import ast

    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise SystemExit(f"reproduce: --param {text!r} is not NAME=VALUE")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


if __name__ == "__main__":
    sys.exit(main())
