# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-paper studies: each measures a paper's setting and returns its figures next to the
paper's, as rows (measured, paper). `python -m neuralmimo.cli.reproduce <study>` runs one.

One module per paper; a study registers itself with ``@study(name, paper)`` and is then
listed in ``STUDIES`` and accepted by the CLI:

    detnet.py      the WeSNet paper's DetNet setting (classical baselines)
    eqnet.py       EQ-Net: LDPC-coded BLER of soft-bit compression and estimation (2x2 64-QAM,
                   4x4 16-QAM); eqnet_stages.py: two-stage against single-stage training (E8);
                   eqnet_latent.py: the latent size (E6)
    hypermimo.py   HyperMIMO's local scattering setting: baselines, SER over drops, mobility
                   (hypermimo_runs.py: the per-drop runs, per-channel MMNet, fixed-channel SER)
    lcgnet.py      LcgNet's 32x64 setting: NMSE versus iterations and layers
    lcgnet_ber.py  LcgNet: BER and step-size quantisation
    remimo.py      RE-MIMO: SER on i.i.d./correlated/imperfect-CSI channels, interpolation in Nt
    wesnet.py      WeSNet: DetNet and the WeSNet variants, BER and cost (wesnet_variants.py: the runs)
    oampnet_variants.py  the RE-MIMO study's trained OAMPNet / OAMPNet-2 baselines (the runs)
    common.py      shared helpers: Monte-Carlo runs, CSV rows, train-or-reuse under runs/reproduce/

This package stands on top of ``eval`` and ``train`` (like ``cli``); nothing in the library
imports it.
"""
from . import detnet, eqnet, eqnet_latent, eqnet_stages, hypermimo, lcgnet, lcgnet_ber, remimo, wesnet  # noqa: F401  (each registers its studies)
from .study import STUDIES, Row, Study, study

__all__ = ["STUDIES", "Row", "Study", "study"]
