# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Train a neural detector from a TOML config (see neuralmimo/train/config.py for the keys).

    python -m neuralmimo.cli.train python/neuralmimo/train/configs/toy.toml \\
        [--out DIR] [--device cpu|cuda|cuda:N|auto] [--resume] [--quiet] \\
        [--set train.steps_per_epoch=10 --set data.channel=kron:r=0.5 ...]

Several GPUs / nodes (DistributedDataParallel, one process per GPU):

    torchrun --nproc_per_node 4 -m neuralmimo.cli.train cfg.toml --device cuda

Writes <out>/last.pt after every epoch, <out>/final.pt at the end,
<out>/history.csv and <out>/history.png. --resume continues from <out>/last.pt
(same config and --set values). Export the result with
``python -m neuralmimo.cli.export <out>/final.pt --out models/x.onnx``.
Exit status 2 on a configuration error.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import args as cli


@cli.command("train", distributed=True)
def main(argv=None) -> int:
    ap = cli.parser("train", __doc__)
    ap.add_argument("config", help="TOML training config")
    ap.add_argument("--out", type=cli.output_dir, help="output directory (overrides train.out)")
    ap.add_argument("--device", help="cpu, cuda, cuda:N or auto (overrides train.device)")
    ap.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    ap.add_argument("--overwrite", action="store_true", help="start afresh in an <out> that holds a run")
    ap.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a config value (TOML syntax; repeatable)")
    ap.add_argument("--stop-after", type=cli.positive_int, metavar="EPOCHS",
                    help="stop after this many epochs (time-limited jobs; continue with --resume)")
    args = ap.parse_args(argv)
    main_rank = int(os.environ.get("RANK", "0")) == 0

    from ..train import Trainer, load_config

    overrides = list(args.overrides)
    if args.out:
        overrides.append(f"train.out={_toml_string(str(args.out))}")
    if args.device:
        overrides.append(f"train.device={_toml_string(args.device)}")
    cfg = load_config(args.config, overrides)
    # train.out may come from the config file: checked like --out before any training
    try:
        cli.output_dir(cfg.train.out)
    except argparse.ArgumentTypeError as exc:
        raise cli.CommandError(f"train.out {exc}") from None
    result = Trainer(cfg, quiet=args.quiet).fit(resume=args.resume, overwrite=args.overwrite,
                                                stop_after_epochs=args.stop_after)
    if main_rank:
        ckpt = result.final if result.finished else result.last
        state = "finished" if result.finished else "stopped early (continue with --resume)"
        print(f"training {state}\ncheckpoint: {ckpt}\nlogs: {result.csv}, {result.png}")
    return 0


def _toml_string(s: str) -> str:
    """A TOML basic string literal for s."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    sys.exit(main())
