# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exportable detector modules (torch.nn.Module), one file per family."""
from .eqnet import EqNet
from .hypermimo import HyperMimo
from .lcgnet import LcgNet
from .lmmse import LmmseNet
from .mmnet import MmNet
from .oampnet import OampNet
from .remimo import ReMimo
from .toy import ToyNet
from .wesnet import WeSNet

#: family name -> module class, for the exporter and the CLI.
FAMILIES = {LmmseNet.family: LmmseNet, ToyNet.family: ToyNet, LcgNet.family: LcgNet,
            WeSNet.family: WeSNet, OampNet.family: OampNet,
            ReMimo.family: ReMimo, MmNet.family: MmNet, HyperMimo.family: HyperMimo,
            EqNet.family: EqNet}

__all__ = ["EqNet", "HyperMimo", "LcgNet", "LmmseNet", "MmNet", "OampNet", "ReMimo", "ToyNet", "WeSNet", "FAMILIES"]
