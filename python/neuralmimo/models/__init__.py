# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exportable detector modules (torch.nn.Module), one file per family."""
from .lmmse import LmmseNet

#: family name -> module class, for the exporter and the CLI.
FAMILIES = {LmmseNet.family: LmmseNet}

__all__ = ["LmmseNet", "FAMILIES"]
