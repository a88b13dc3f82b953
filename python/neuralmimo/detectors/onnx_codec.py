# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soft-bit codec of an exported compression model (EQ-Net; export/codec.py) in onnxruntime.

OnnxCodec(model) opens the model's ``<stem>.codec/encoder.onnx`` and ``decoder.onnx`` named by its
manifest's "codec" entry, one session each (threads and provider explicit, as OnnxDetector):

    encode(llr float32[B, Nt, K] or [B, Nt·K]) -> latent float32[B, L]
    decode(latent float32[B, L]) -> llr float32[B, Nt, K]
    quantizer(bits=None) -> the manifest's ScalarQuantizer ("quantizer" or "quantizer_<bits>")

Non-finite values never reach a graph: a NaN LLR is an erasure (0) before encoding; an item whose
latent has a non-finite value decodes to LLR 0 (no information). Both are counted (``erased``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..manifest import read_manifest
from .onnx_model import open_session, resolve_provider


class OnnxCodec:
    def __init__(self, model, threads: int = 1, provider: str = "cpu"):
        self.path = Path(model)
        if not self.path.is_file():
            raise ValueError(f"model: file {self.path} not found")
        self.manifest = read_manifest(self.path)
        codec = self.manifest.get("codec")
        if codec is None:
            raise ValueError(f"model: {self.path.name} has no soft-bit codec (manifest key 'codec'; "
                             f"family '{self.manifest['family']}')")
        self.provider = resolve_provider(provider)
        self._enc, _ = open_session(self.path.parent / codec["encoder"], threads, self.provider)
        self._dec, _ = open_session(self.path.parent / codec["decoder"], threads, self.provider)
        from ..phy.constellation import constellation
        self.nt, self.latent = int(self.manifest["nt"]), int(codec["latent"])
        self.k = constellation(self.manifest["constellation"]).bits_per_symbol
        self.erased = 0

    def encode(self, llr) -> np.ndarray:
        x = np.asarray(llr, dtype=np.float32)
        if x.ndim not in (2, 3) or x.shape[1:] not in ((self.nt * self.k,), (self.nt, self.k)):
            raise ValueError(f"llr: expected float32[B, {self.nt}, {self.k}] or [B, {self.nt * self.k}], "
                             f"got shape {x.shape}")
        bad = ~np.isfinite(x)
        if bad.any():
            nan = np.isnan(x)
            self.erased += int(nan.sum())
            x = np.where(nan, np.float32(0), x)      # ±Inf is a certain bit: tanh keeps it at ±1
        x = np.ascontiguousarray(x.reshape(-1, self.nt, self.k))
        return self._enc.run(["latent"], {"llr": x})[0]

    def decode(self, latent) -> np.ndarray:
        z = np.asarray(latent, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"latent: expected float32[B, {self.latent}], got shape {z.shape}")
        bad = ~np.isfinite(z).all(axis=1)
        out = self._dec.run(["llr"], {"latent": np.ascontiguousarray(np.where(bad[:, None], 0, z))})[0]
        if bad.any():
            self.erased += int(bad.sum())
            out[bad] = 0.0
        return out

    def quantizer(self, bits: int | None = None):
        from ..phy.quantizer import ScalarQuantizer

        key = "quantizer" if bits is None else f"quantizer_{int(bits)}"
        if key not in self.manifest:
            have = sorted(k for k in self.manifest if k.startswith("quantizer"))
            raise ValueError(f"bits: {self.path.name} has no '{key}' (it has: {', '.join(have) or 'none'})")
        return ScalarQuantizer.from_dict(self.manifest[key])


__all__ = ["OnnxCodec"]
