# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soft-bit codec of a compression family (EQ-Net), exported as two ONNX graphs beside the
detector (docs/conventions.md, "ONNX contract", codec models).

A family that compresses soft bits declares ``latent`` (features per vector) and implements

    encode_softbits(softbits float32[B, Nt, K]) -> latent float32[B, L]      f_Q
    decode_latent(latent float32[B, L]) -> llr float32[B, Nt, K]              g_Q, then 2·atanh
    codebook(bits) -> levels float32[L, 2^bits]   for each bits in ``codebook_bits``

``export_codec`` writes ``<stem>.codec/encoder.onnx`` (input ``llr`` float32[B, Nt, K]: the
graph takes LLRs, as a detector emits them, and forms the soft bits tanh(L/2) itself; output
``latent``) and ``<stem>.codec/decoder.onnx`` (input ``latent``, output ``llr``), checks both
against the module in torch (the whole graph's tolerance) and returns the manifest entries:
"codec" {encoder, decoder (paths relative to the model's folder), latent, max_abs_error} and one
scalar quantiser per fitted codebook, "quantizer_<bits>" ({"mode": "codebook", "bits",
"thresholds", "levels", "input": "latent"}, phy/quantizer.py's dict), plus "quantizer" = the one
with the most bits (what a quantiser block built from the manifest takes by default).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


class _Encoder(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, llr):
        return self.module.encode_softbits(torch.tanh(0.5 * llr))


class _Decoder(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, latent):
        return self.module.decode_latent(latent)


def can_codec(module) -> bool:
    return callable(getattr(module, "encode_softbits", None)) and callable(getattr(module, "decode_latent", None))


def codec_paths(path) -> tuple[Path, Path]:
    """(<stem>.codec/encoder.onnx, <stem>.codec/decoder.onnx) of the model at `path`."""
    folder = Path(path).with_suffix(".codec")
    return folder / "encoder.onnx", folder / "decoder.onnx"


def codebook_quantizer(levels: np.ndarray, bits: int) -> dict:
    """Sorted levels float[G, 2^bits] -> the nearest-level scalar quantiser dict (thresholds at
    the midpoints), as phy/quantizer.py reads it."""
    lv = np.asarray(levels, dtype=np.float32)
    if lv.ndim != 2 or lv.shape[1] != 1 << bits or not np.all(np.diff(lv, axis=1) > 0):
        raise ValueError(f"levels: need strictly increasing rows of {1 << bits} levels, got shape {lv.shape}")
    thr = (0.5 * (lv[:, 1:].astype(np.float64) + lv[:, :-1])).astype(np.float32)
    return {"mode": "codebook", "bits": int(bits), "thresholds": thr.tolist(), "levels": lv.tolist(),
            "input": "latent"}


def export_codec(module, path, opset: int, atol: float, rtol: float, seed: int = 1234) -> dict:
    """Write the codec graphs of `module` beside `path`, check them, return the manifest entries
    (module docstring)."""
    import onnxruntime as ort

    from .onnx_export import ExportValidationError, agreement, export_graph, strip_debug_metadata
    import onnx

    enc_path, dec_path = codec_paths(path)
    enc_path.parent.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    gen = torch.Generator().manual_seed(seed)
    k = module.constellation.bits_per_symbol
    # LLRs of every magnitude a detector emits, signs at random, and latents over (−1, 1) and beyond.
    llr = torch.randn(512, module.nt, k, generator=gen) * torch.logspace(-1, 2, 512).reshape(-1, 1, 1)
    latent = 1.2 * (2 * torch.rand(512, module.latent, generator=gen) - 1)
    batch = torch.export.Dim("batch", min=1)
    report = {}
    for wrapper, arg, p, i_name, o_name in ((_Encoder(module), llr, enc_path, "llr", "latent"),
                                            (_Decoder(module), latent, dec_path, "latent", "llr")):
        wrapper = wrapper.eval()
        export_graph(wrapper, (arg,), p, [i_name], [o_name], {i_name: {0: batch}}, opset)
        model = onnx.load(str(p))
        strip_debug_metadata(model)
        onnx.save(model, str(p))
        with torch.no_grad():
            ref = (wrapper(arg),)
        got = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run([o_name], {i_name: arg.numpy()})
        try:
            report[p.stem] = agreement([o_name], ref, got, atol, rtol,
                                       f"the codec {p.stem} (onnxruntime) and the module (torch) disagree on '{{}}'")[o_name]
        except ExportValidationError:
            enc_path.unlink(missing_ok=True)
            dec_path.unlink(missing_ok=True)
            raise
    rel = lambda p: f"{p.parent.name}/{p.name}"
    entries = {"codec": {"encoder": rel(enc_path), "decoder": rel(dec_path), "latent": int(module.latent),
                         "max_abs_error": report}}
    fitted = []
    for bits in getattr(module, "codebook_bits", ()):
        try:
            entries[f"quantizer_{bits}"] = codebook_quantizer(module.codebook(bits), bits)
            fitted.append(bits)
        except ValueError:   # not fitted (a run stopped before its end): no quantiser for it
            continue
    if fitted:
        entries["quantizer"] = entries[f"quantizer_{max(fitted)}"]
    return entries


__all__ = ["export_codec", "codec_paths", "can_codec", "codebook_quantizer"]
