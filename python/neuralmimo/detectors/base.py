# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""One detector interface for every backend (docs/conventions.md, "Python detector interface").

    out = det(y, H, noise_var)
    y: complex[B, Nr], H: complex[B, Nr, Nt], noise_var: float scalar or [B]
    out.symbols complex[B, Nt], out.llr float[B, Nt, K], out.estimate complex[B, Nt]

Numpy in gives numpy out, torch in gives torch out (same device). complex128 /
float64 inputs are computed and returned in double precision, anything else in
single precision. Input problems raise ValueError naming the argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..phy.constellation import Constellation, constellation as _lookup
from ..phy.demap import check_demapping, linear_llr, symbols_from_llr


@dataclass
class DetectorOutput:
    """Detector results; a field is None where the detector does not produce it.

    symbols: complex[B, Nt] hard decisions (constellation points).
    llr: float[B, Nt, K], LLR = ln P(b=1|y)/P(b=0|y), positive means bit 1; bit k of stream t
    is label bit k (MSB first) of the constellation (docs/conventions.md).
    estimate: complex[B, Nt] soft estimate x̂.
    numpy arrays for numpy inputs, torch tensors for torch inputs; complex64/float32 unless the
    inputs were double precision.
    """

    symbols: Any = None
    llr: Any = None
    estimate: Any = None


def _as_tensor(name: str, value, expected_ndim: int) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.from_numpy(np.ascontiguousarray(value))
        except TypeError as exc:
            raise ValueError(f"{name}: cannot convert {type(value).__name__} to an array") from exc
    if t.ndim != expected_ndim:
        raise ValueError(f"{name}: expected {expected_ndim} dimensions, got shape {tuple(t.shape)}")
    if not (t.is_complex() or t.is_floating_point()):
        raise ValueError(f"{name}: expected a complex or real floating array, got {t.dtype}")
    return t


class Detector:
    """Base class of every detector: validation, dtype/backend conversion. Subclasses implement
    `_detect`; their docstrings say only what is their own (parameters, what `estimate` holds).

    Call: det(y complex[B, Nr], H complex[B, Nr, Nt], noise_var float scalar, [B] or [B, 1]) ->
    DetectorOutput with symbols complex[B, Nt], llr float[B, Nt, K], estimate complex[B, Nt]
    (complex64/float32, or complex128/float64 for double inputs; numpy or torch as given).
    LLR = ln P(b=1|y)/P(b=0|y): positive means bit 1 (docs/conventions.md).
    noise_var is σ² per complex receive dimension, >= 0 (0 is floored at NOISE_VAR_FLOOR).
    Inputs are checked (shapes, NaN/Inf, negative σ²) and ValueError names the argument.
    `_detect` receives torch tensors y complex[B, Nr], h complex[B, Nr, Nt], noise_var real[B]
    of one precision on one device. constellation= is required.
    """

    name = "detector"
    #: Whether Nt > Nr is acceptable (ZF and friends need Nr >= Nt).
    allows_more_streams_than_antennas = True
    #: Constructor parameters repr() shows after the constellation (attribute names).
    repr_fields: tuple[str, ...] = ()

    def __init__(self, constellation: str | Constellation | None = None, demapping: str | None = None):
        """demapping: "maxlog" or "app" for the detectors that demap a per-stream Gaussian estimate
        (phy.demap); None for the others, which have no such choice."""
        if constellation is None:
            raise ValueError(f"{self.name}: constellation= is required "
                             "(one of bpsk, qpsk, qam16, qam64, qam256)")
        self.constellation = _lookup(constellation)
        if demapping is not None:
            self.demapping = check_demapping(demapping)

    # -- subclasses ---------------------------------------------------------
    def _check_dims(self, nr: int, nt: int) -> None:
        if not self.allows_more_streams_than_antennas and nt > nr:
            raise ValueError(f"H: {self.name} needs Nr >= Nt, got Nr={nr}, Nt={nt}")

    def _detect(self, y: torch.Tensor, h: torch.Tensor, noise_var: torch.Tensor) -> DetectorOutput:
        raise NotImplementedError

    # -- public -------------------------------------------------------------
    def __call__(self, y, H, noise_var) -> DetectorOutput:
        as_numpy = not isinstance(y, torch.Tensor)
        y_t = _as_tensor("y", y, 2)
        h_t = _as_tensor("H", H, 3)
        double = y_t.dtype in (torch.complex128, torch.float64) or h_t.dtype in (torch.complex128, torch.float64)
        cdtype = torch.complex128 if double else torch.complex64
        rdtype = torch.float64 if double else torch.float32
        device = y_t.device
        y_t = y_t.to(device=device, dtype=cdtype)
        h_t = h_t.to(device=device, dtype=cdtype)
        b, nr = y_t.shape
        if h_t.shape[0] != b or h_t.shape[1] != nr:
            raise ValueError(f"H: shape {tuple(h_t.shape)} does not match y shape {tuple(y_t.shape)} "
                             "(expected [B, Nr, Nt] with the same B and Nr)")
        nt = h_t.shape[2]
        if nt < 1 or nr < 1:
            raise ValueError(f"H: empty system, shape {tuple(h_t.shape)}")
        self._check_dims(nr, nt)
        if isinstance(noise_var, torch.Tensor):
            nv = noise_var.to(device=device, dtype=rdtype)
        else:
            nv = torch.as_tensor(np.asarray(noise_var, dtype=np.float64), dtype=rdtype, device=device)
        if nv.ndim == 0:
            nv = nv.expand(b)
        elif nv.ndim == 2 and nv.shape[1] == 1:
            nv = nv[:, 0]
        if nv.ndim != 1 or nv.shape[0] != b:
            raise ValueError(f"noise_var: expected a scalar or shape [{b}], got shape {tuple(nv.shape)}")
        if not torch.isfinite(torch.view_as_real(y_t)).all():
            raise ValueError("y: contains NaN or Inf")
        if not torch.isfinite(torch.view_as_real(h_t)).all():
            raise ValueError("H: contains NaN or Inf")
        if not torch.isfinite(nv).all():
            raise ValueError("noise_var: contains NaN or Inf")
        if (nv < 0).any():
            raise ValueError(f"noise_var: must be >= 0, got minimum {float(nv.min()):g}")
        out = self._detect(y_t, h_t, nv)
        if as_numpy:
            out = DetectorOutput(*(None if v is None else v.detach().cpu().numpy()
                                   for v in (out.symbols, out.llr, out.estimate)))
        return out

    def linear_output(self, xhat, g_diag, nv, biased: bool = True) -> DetectorOutput:
        """Output of a linear filter x̂ = G Hᴴ y: bias-corrected Gaussian LLRs (phy.demap.linear_llr),
        symbols from their signs. xhat complex[B, Nt], g_diag real[B, Nt] (G_tt), nv real[B]."""
        pts, bits = constellation_tensors(self.constellation, nv.dtype, nv.device)
        llr, _ = linear_llr(xhat.real, xhat.imag, g_diag, nv, pts.real, pts.imag, bits, self.demapping, biased)
        return DetectorOutput(symbols=symbols_from_llr(llr, pts), llr=llr, estimate=xhat)

    def __repr__(self) -> str:
        extra = "".join(f", {key}={getattr(self, key)!r}" for key in self.repr_fields)
        return f"{type(self).__name__}(constellation='{self.constellation.name}'{extra})"


def contract_output(res: dict, points: torch.Tensor) -> DetectorOutput:
    """DetectorOutput of a model's outputs on the ONNX contract: res holds "estimate" float[B, Nt, 2]
    and/or "llr" float[B, Nt, K]; points complex[M]. Symbols come from the LLR signs, or are the
    points nearest to the estimate when the model gives no LLRs."""
    out = DetectorOutput()
    if "estimate" in res:
        est = res["estimate"]
        # torch.complex, not view_as_complex: an empty batch from onnxruntime has strides a view refuses.
        out.estimate = torch.complex(est[..., 0], est[..., 1])
    if "llr" in res:
        out.llr = res["llr"]
        out.symbols = symbols_from_llr(out.llr, points)
    else:
        out.symbols = points[torch.argmin((out.estimate.unsqueeze(-1) - points).abs(), dim=-1)]
    return out


def positive_int(name: str, value) -> int:
    """A count parameter: value as an int >= 1 (an integral float such as 4.0 passes), else ValueError
    naming the parameter."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an integer >= 1, got {value!r}") from exc
    if number < 1 or number != value:
        raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
    return number


def constellation_tensors(const: Constellation, dtype: torch.dtype, device) -> tuple[torch.Tensor, torch.Tensor]:
    """(points complex[M], bits bool[M, K]) as tensors."""
    cdtype = torch.complex128 if dtype in (torch.float64, torch.complex128) else torch.complex64
    pts = torch.as_tensor(const.points.astype(np.complex128), device=device).to(cdtype)
    bits = torch.as_tensor(const.bits.astype(bool), device=device)
    return pts, bits
