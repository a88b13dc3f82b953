# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput benchmarks (neuralmimo.bench), each against a same-run reference:

    python -m neuralmimo.cli.bench [--items 400000] [--batch 1024]   the LMMSE detector blocks
    python -m neuralmimo.cli.bench detectors [--batch 4096]          every nm.detector, CPU
    python -m neuralmimo.cli.bench cg [--hold 14] [--min-time 1.0]    the C++ cg_detector block and kernel
    python -m neuralmimo.cli.bench ofdm [--samples 4000000]          the MIMO-OFDM receiver
    python -m neuralmimo.cli.bench wesnet [--threads 1]               DetNet / WeSNet variants, 30x60
    python -m neuralmimo.cli.bench remimo [--batch 256]               RE-MIMO against OAMPNet-2, Nr = 64
    python -m neuralmimo.cli.bench hypermimo [--hold 12]              HyperMIMO: split path, online MMNet
    python -m neuralmimo.cli.bench softbit [--n 48]                   soft-bit quantiser kernel and blocks
    python -m neuralmimo.cli.bench eqnet [--reps 20]                  EQ-Net latency (paper's Tables 1-2)
    python -m neuralmimo.cli.bench switch [--items 300000]            detector_switch against detector_select

`make bench` runs the first four (wesnet trains its variants first when they are missing).
"""
from __future__ import annotations

import importlib
import sys

from . import args as cli

#: modules of neuralmimo.bench named by the first argument (none: "blocks", the detector blocks)
BENCHMARKS = ("detectors", "cg", "ofdm", "wesnet", "remimo", "hypermimo", "softbit", "eqnet", "switch")


@cli.command("bench")
def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    name = argv.pop(0) if argv[:1] and argv[0] in BENCHMARKS else "blocks"
    return importlib.import_module(f"..bench.{name}", __package__).main(argv)


if __name__ == "__main__":
    sys.exit(main())
