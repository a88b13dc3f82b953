# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The interface every registered family (models.FAMILIES) offers to the exporter, and every
trainable one to the shared trainer (``neuralmimo.train``).

:class:`ExportableDetector` is what the exporter, the manifest and the family contract test need
(a fixed graph such as LmmseNet stops there); :class:`TrainableDetector` adds what the trainer
needs. A family subclasses one of them, sets the class attributes, builds its layers in
``__init__`` (after ``super().__init__(nt, nr, constellation)``) and implements ``forward``;
everything else has a default.

Tensors follow the ONNX contract (docs/conventions.md, "ONNX contract"), float32 with (re, im) last:

    y          float32[B, Nr, 2]
    h          float32[B, Nr, Nt, 2]
    noise_var  float32[B]            σ² per complex receive dimension
    estimate   float32[B, Nt, 2]     soft estimate x̂
    llr        float32[B, Nt, K]     LLR = ln P(b=1|y)/P(b=0|y) (docs/conventions.md)

Members the trainer and the exporter use:

    family, paper, outputs, nt, nr, constellation     attributes
    config() -> dict ; from_config(cfg) -> module     rebuild from a checkpoint
    forward(y, h, noise_var) -> tuple in `outputs` order (what ONNX exports)
    forward_train(y, h, noise_var) -> {"estimate": ..., "llr": ...}
    teacher(y, h, noise_var) -> tensor               optional: an expensive training target that
                                                      depends on the inputs only (EQ-Net's exact-ML soft
                                                      bits); the trainer computes it once per stored
                                                      vector and passes forward_train(..., teacher=)
    n_layers, active_layers                           layer-wise growth
    layer_parameters(i), parameter_group(name)        what a stage trains
    apply_settings(**kw)                              stage-specific settings
    export_mode(on)                                   compute as the exported graph does
    manifest_extra() -> dict                          added to the ONNX manifest
"""
from __future__ import annotations

import inspect

import torch
from torch import nn

from ..phy.constellation import Constellation, constellation as _lookup


class ExportableDetector(nn.Module):
    """Base class of every registered family (models.FAMILIES): what the exporter needs.

    Class attributes a family sets:
      family:  registry name (models.FAMILIES key, manifest "family").
      paper:   paper the family comes from (manifest "paper").
      outputs: graph outputs of ``forward`` in order, a tuple of "llr" / "estimate".

    Instance attributes: nt, nr (ints), constellation (phy Constellation).
    """

    family: str = "exportable"
    paper: str = ""
    outputs: tuple = ("estimate",)

    def __init__(self, nt: int, nr: int, constellation: str | Constellation):
        super().__init__()
        for name, value in (("nt", nt), ("nr", nr)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {value!r} is not a positive integer")
        self.nt, self.nr = int(nt), int(nr)
        self.constellation = _lookup(constellation)

    # ---------------------------------------------------------------- config
    def config(self) -> dict:
        """JSON-able constructor arguments plus "family"; ``from_config(config())`` rebuilds the module.

        Subclasses add their own constructor arguments to this dict.
        """
        return {"family": self.family, "nt": self.nt, "nr": self.nr,
                "constellation": self.constellation.name}

    @classmethod
    def from_config(cls, cfg: dict) -> "ExportableDetector":
        """Rebuild from ``config()`` output. ValueError on a wrong family or an unknown key."""
        cfg = dict(cfg)
        family = cfg.pop("family", cls.family)
        if family != cls.family:
            raise ValueError(f"family: config is for '{family}', not '{cls.family}'")
        accepted = constructor_arguments(cls)
        unknown = [k for k in cfg if k not in accepted]
        if unknown:
            raise ValueError(f"model.{unknown[0]}: unknown key for family '{cls.family}' "
                             f"(allowed: {', '.join(sorted(accepted))})")
        return cls(**cfg)

    def forward(self, y: torch.Tensor, h: torch.Tensor, noise_var: torch.Tensor) -> tuple:
        """y [B,Nr,2], h [B,Nr,Nt,2], noise_var [B]  ->  tuple of tensors in ``outputs`` order."""
        raise NotImplementedError

    def export_mode(self, on: bool = True) -> "ExportableDetector":
        """Compute as the exported graph does (a family whose training-time forward differs, e.g.
        QLcgNetV's soft quantiser, overrides this). Default: nothing differs. Returns self."""
        return self

    def manifest_extra(self) -> dict:
        """Keys added to the exported manifest (JSON-able)."""
        return {}

    def register_constellation_buffers(self) -> None:
        """Buffers pts_re, pts_im float32[M] and bits bool[M, K] for demapping inside the graph."""
        pts = torch.as_tensor(self.constellation.points.copy())
        self.register_buffer("pts_re", pts.real.float().clone())
        self.register_buffer("pts_im", pts.imag.float().clone())
        self.register_buffer("bits", torch.as_tensor(self.constellation.bits.astype(bool)))


class TrainableDetector(ExportableDetector):
    """Base class of the trainable detectors: an ExportableDetector plus what the trainer needs.

    Class attributes a family sets besides ExportableDetector's:
      parameter_groups: names ``parameter_group`` accepts ("all", "last" + own ones).
      settable: names ``apply_settings`` accepts (attributes set as they are).
      ddp_find_unused_parameters: True only if the parameters forward uses
        change from batch to batch (data-dependent control flow); the trainer
        then passes find_unused_parameters=True to DistributedDataParallel.

    Instance attribute besides ExportableDetector's: n_layers (int, default 1).
    """

    family: str = "trainable"
    parameter_groups: tuple = ("all", "last")
    settable: tuple = ()
    ddp_find_unused_parameters: bool = False
    n_layers: int = 1

    def __init__(self, nt: int, nr: int, constellation: str | Constellation):
        super().__init__(nt, nr, constellation)
        self._active_layers = None   # None: all n_layers (n_layers may be set after this constructor)

    # ---------------------------------------------------------------- forward
    def forward_train(self, y: torch.Tensor, h: torch.Tensor, noise_var: torch.Tensor) -> dict:
        """What the loss sees: {"estimate": [B,Nt,2], "llr": [B,Nt,K] if the model has LLRs, ...}.

        Override to expose more than the exported outputs (e.g. an estimate of
        a model that exports LLRs only, or per-layer outputs).
        """
        return dict(zip(self.outputs, self.forward(y, h, noise_var)))

    # ---------------------------------------------------------------- layers
    @property
    def active_layers(self) -> int:
        """How many of the n_layers layers ``forward`` runs (1..n_layers; default all)."""
        return self.n_layers if self._active_layers is None else self._active_layers

    @active_layers.setter
    def active_layers(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.n_layers:
            raise ValueError(f"active_layers: {value!r} is not in 1..{self.n_layers}")
        self._active_layers = int(value)

    def layer_parameters(self, index: int) -> list:
        """Parameters of layer ``index`` (0-based).

        Default: ``self.layers[index]`` when the module holds an nn.ModuleList
        ``layers`` of n_layers entries; a single-layer model owns all its
        parameters. Other layouts override this.
        """
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.n_layers:
            raise ValueError(f"layer index: {index!r} is not in 0..{self.n_layers - 1}")
        layers = getattr(self, "layers", None)
        if isinstance(layers, nn.ModuleList) and len(layers) == self.n_layers:
            return list(layers[index].parameters())
        if self.n_layers == 1:
            return list(self.parameters())
        raise NotImplementedError(f"{type(self).__name__}: override layer_parameters() "
                                  "(no nn.ModuleList 'layers' of n_layers entries)")

    def parameter_group(self, name: str) -> list:
        """Parameters a training stage updates.

        "all": every parameter; "last": those of layer active_layers − 1 (the
        newest layer in layer-wise growth). Subclasses add names (listed in
        ``parameter_groups``) and call ``super().parameter_group(name)`` for the
        rest. Unknown name -> ValueError.
        """
        if name == "all":
            return list(self.parameters())
        if name == "last":
            return self.layer_parameters(self.active_layers - 1)
        raise ValueError(f"parameter group: '{name}' is not one of {', '.join(self.parameter_groups)} "
                         f"for family '{self.family}'")

    # ---------------------------------------------------------------- settings
    def apply_settings(self, **settings) -> None:
        """Stage-specific model settings (e.g. a quantiser's smoothing coefficient).

        Default: each key must be in ``settable`` and is set as an attribute.
        Unknown key -> ValueError naming it.
        """
        for key in settings:
            if key not in self.settable:
                allowed = ", ".join(self.settable) or "none"
                raise ValueError(f"settings: unknown key '{key}' for family '{self.family}' "
                                 f"(allowed: {allowed})")
        for key, value in settings.items():
            setattr(self, key, value)


def constructor_arguments(cls) -> set:
    """Keyword names ``cls.__init__`` accepts (without self)."""
    params = inspect.signature(cls.__init__).parameters
    return {n for n, p in params.items() if n != "self"
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
