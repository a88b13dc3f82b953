# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Monte-Carlo evaluation: metrics, harness, CSV/PNG output."""
from .metrics import Counts
from .montecarlo import EvalConfig, run_eval
from .plot import plot_rows, write_csv

__all__ = ["Counts", "EvalConfig", "run_eval", "plot_rows", "write_csv"]
