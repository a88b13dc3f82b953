# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel models by command-line spec ``name[:k=v,...]``: a lookup over the
models' ``SPEC_NAMES``, each parsed by its own ``from_spec``."""
from __future__ import annotations

from .common import ChannelModel, SpecArgs, SpecError, check_dim
from .correlated import KroneckerChannel, RayleighChannel, RemimoCorrelatedChannel
from .local_scattering import LocalScatteringChannel
from .tdl import TdlChannel

__all__ = ["make_channel", "channel_spec_forms", "SPEC_MODELS"]

#: every model a spec can name, in the order the forms are listed
SPEC_MODELS = (RayleighChannel, KroneckerChannel, RemimoCorrelatedChannel, LocalScatteringChannel, TdlChannel)
_BY_NAME = {name: model for model in SPEC_MODELS for name in model.SPEC_NAMES}


def channel_spec_forms() -> list[str]:
    """The channel spec forms accepted by :func:`make_channel`."""
    return [model.SPEC_FORM for model in SPEC_MODELS]


def make_channel(spec: str, nr: int, nt: int) -> ChannelModel:
    """Build a channel model from a command-line spec ``name[:k=v,...]``.

    Forms (see :func:`channel_spec_forms`):
      rayleigh, rayleigh:var=1/nt
      kron:r=0.5 (both sides), kron:rt=0.3,rr=0.7 (missing side: uncorrelated)
      remimo:rho=0.5, remimo:rho=0.7,partial, remimo:rho_min=0.55,rho_max=0.75
      ls:spread=10, ls:spread=10,angles=-30/0/30/...(Nt values, degrees),seed=3
      tdl:A,ds=100 (TdlChannel: sample returns complex[B, K, Nr, Nt])
    ``var`` accepts a number or 1/nt, 1/nr. ``ls`` without angles draws a user
    drop with ``seed`` (default 0). Unknown names or bad parameters raise
    ValueError naming the spec and the allowed forms.
    """
    nr, nt = check_dim("nr", nr), check_dim("nt", nt)
    allowed = "; ".join(channel_spec_forms())
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"channel spec {spec!r}: empty; allowed forms: " + allowed)
    try:
        args = SpecArgs.parse(spec.strip(), nr, nt)
        if args.name not in _BY_NAME:
            raise SpecError(f"unknown channel name '{args.name}'")
        return _BY_NAME[args.name].from_spec(args)
    except ValueError as err:
        raise ValueError(f"channel spec '{spec}': {err}; allowed forms: " + allowed) from None
