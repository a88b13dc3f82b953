# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""One detector interface for every backend (docs/conventions.md, "Python detector interface").

    out = det(y, H, noise_var)
    y: complex[B, Nr], H: complex[B, Nr, Nt], noise_var: float scalar or [B]
    out.symbols complex[B, Nt], out.llr float[B, Nt, K], out.estimate complex[B, Nt]

Numpy in gives numpy out, torch in gives torch out (same device). complex128 /
float64 inputs are computed and returned in double precision, anything else in
single precision. Input problems raise ValueError naming the argument.

The output contract (docs/conventions.md, "LLR sign and demapping"): every output is finite,
|LLR| <= LLR_LIMIT, and an item without an answer (H = 0, a singular system, an overflow) is
erased: LLR, estimate and symbols 0, flagged in `erased`, counted in `Detector.erased_items`,
the first one logged once per detector through logging.getLogger("neuralmimo").
`finish_outputs` is that last step, shared by Detector.__call__ and the ONNX path (run_raw and the
onnx_detector block).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..phy.constellation import Constellation, constellation as _lookup
from ..phy.demap import (LLR_LIMIT, NOISE_VAR_CEIL, NOISE_VAR_FLOOR, check_demapping, linear_llr,
                         symbols_from_llr)

log = logging.getLogger("neuralmimo")


@dataclass
class DetectorOutput:
    """Detector results; a field is None where the detector does not produce it.

    symbols: complex[B, Nt] hard decisions (constellation points).
    llr: float[B, Nt, K], LLR = ln P(b=1|y)/P(b=0|y), positive means bit 1; bit k of stream t
    is label bit k (MSB first) of the constellation (docs/conventions.md).
    estimate: complex[B, Nt] soft estimate x̂.
    erased: bool[B], True for the items the detector could not answer (their symbols, llr and
    estimate are 0; see the module docstring).
    numpy arrays for numpy inputs, torch tensors for torch inputs; complex64/float32 unless the
    inputs were double precision.
    """

    symbols: Any = None
    llr: Any = None
    estimate: Any = None
    erased: Any = None

    _FIELDS = ("symbols", "llr", "estimate")


def finish_outputs(fields: dict, erased: torch.Tensor | None = None) -> tuple[dict, torch.Tensor]:
    """The last step of every detector call: the output contract of the module docstring.

    fields: name -> tensor [B, ...] (or None), e.g. "llr", "estimate" (complex [B, Nt] or the ONNX
    float [B, Nt, 2]), "symbols"; erased: bool[B] of items already known to have no answer (H = 0,
    the graph's own "erased" output) or None. An item with a NaN or Inf in any field is erased too.
    -> (fields with the erased items set to 0 and "llr" clipped to ±LLR_LIMIT, erased bool[B]).
    The inputs are not modified.
    """
    present = [v for v in fields.values() if v is not None]
    n = present[0].shape[0] if present else (0 if erased is None else erased.shape[0])
    device = present[0].device if present else None
    bad = torch.zeros(n, dtype=torch.bool, device=device) if erased is None else erased.to(torch.bool).clone()
    for v in present:
        if v.numel():
            bad |= ~torch.isfinite(v.reshape(n, -1)).all(dim=1)
    out = {}
    for key, v in fields.items():
        if v is not None:
            mask = bad.reshape((n,) + (1,) * (v.ndim - 1))
            v = torch.where(mask, torch.zeros((), dtype=v.dtype, device=v.device), v)
            if key == "llr":
                v = v.clamp(-LLR_LIMIT, LLR_LIMIT)
        out[key] = v
    return out, bad


def finish_numpy(fields: dict, erased: np.ndarray | None = None) -> dict:
    """finish_outputs on numpy arrays (the onnxruntime path), the same rules in numpy (no tensor
    round trip): -> fields plus "erased" bool[B]. The inputs are not modified."""
    present = [np.asarray(v) for v in fields.values() if v is not None]
    n = present[0].shape[0] if present else (0 if erased is None else len(erased))
    bad = np.zeros(n, dtype=bool) if erased is None else np.array(erased, dtype=bool)
    for v in present:
        if v.size:
            bad |= ~np.isfinite(v.reshape(n, -1)).all(axis=1)
    out = {}
    for key, v in fields.items():
        if v is not None:
            v = np.asarray(v)
            if bad.any():
                v = np.where(bad.reshape((n,) + (1,) * (v.ndim - 1)), v.dtype.type(0), v)
            if key == "llr":
                v = np.clip(v, -LLR_LIMIT, LLR_LIMIT)
        out[key] = v
    out["erased"] = bad
    return out


def zero_channel(h: torch.Tensor) -> torch.Tensor:
    """bool[B]: items whose H [B, Nr, Nt] is exactly 0 (no information about x: erased)."""
    return (h == 0).reshape(h.shape[0], -1).all(dim=1) if h.shape[0] else torch.zeros(0, dtype=torch.bool,
                                                                                       device=h.device)


def power_of_two_scale(h: torch.Tensor) -> torch.Tensor:
    """float64[B]: s = 2^−round(log2 max|Re, Im H|) per item (1 for H = 0), so that H·s has its
    largest real or imaginary part in [2^−0.5, 2^0.5). Multiplying by a power of two is exact in
    floating point, so a scale-invariant detector gives on (y·s, H·s, σ²·s²) exactly its answer on
    (y, H, σ²), while its floors (NOISE_VAR_FLOOR, ...) act relative to |H| ≈ 1 and nothing
    overflows or underflows for |H| ≈ 1e20 or 1e−20. The exponent is kept where s and 1/s are
    normal numbers of h's precision."""
    b = h.shape[0]
    m = torch.view_as_real(h).abs().reshape(b, -1).amax(dim=1).to(torch.float64) if b else \
        torch.zeros(0, dtype=torch.float64, device=h.device)
    limit = int(math.log2(torch.finfo(h.real.dtype).max)) - 1       # 126 for float32, 1022 for float64
    e = torch.where(m > 0, torch.round(torch.log2(torch.where(m > 0, m, torch.ones_like(m)))),
                    torch.zeros_like(m)).clamp(-limit, limit)
    return torch.exp2(-e)


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
    noise_var is σ² per complex receive dimension, >= 0 (floored at NOISE_VAR_FLOOR and capped at
    NOISE_VAR_CEIL after the scaling below, so σ² = 0 is valid).
    Inputs are checked (shapes, NaN/Inf, negative σ²) and ValueError names the argument.
    A scale_invariant detector sees every item scaled by a power of two (power_of_two_scale).
    Output contract (module docstring): finite, |LLR| <= LLR_LIMIT, erased items 0 and flagged in
    out.erased bool[B], counted in erased_items, the first erasure logged once.
    `_detect` receives torch tensors y complex[B, Nr], h complex[B, Nr, Nt], noise_var real[B]
    of one precision on one device. constellation= is required.
    """

    name = "detector"
    #: Whether Nt > Nr is acceptable (ZF and friends need Nr >= Nt).
    allows_more_streams_than_antennas = True
    #: Constructor parameters repr() shows after the constellation (attribute names).
    repr_fields: tuple[str, ...] = ()
    #: Whether the answer on (y·c, H·c, σ²|c|²) equals the answer on (y, H, σ²): __call__ then
    #: normalises every item by a power of two (power_of_two_scale). Learned models are not
    #: (LcgNet's step sizes are tuned to the training channel's scale).
    scale_invariant = True
    #: Whether the answer is a function of the call's inputs alone. False for a detector that draws
    #: random numbers (SIC with a random detection order): two calls on the same inputs then differ,
    #: and an item's answer depends on its place in the batch; a new detector built with the same
    #: seed repeats the draws of the first one's calls.
    deterministic = True

    def __init__(self, constellation: str | Constellation | None = None, demapping: str | None = None):
        """demapping: "maxlog" or "app" for the detectors that demap a per-stream Gaussian estimate
        (phy.demap); None for the others, which have no such choice."""
        if constellation is None:
            raise ValueError(f"{self.name}: constellation= is required "
                             "(one of bpsk, qpsk, qam16, qam64, qam256)")
        self.constellation = _lookup(constellation)
        if demapping is not None:
            self.demapping = check_demapping(demapping)
        #: Items erased over this detector's life (module docstring).
        self.erased_items = 0
        self._warned = False

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
        # σ² stays in float64 until it is scaled (power_of_two_scale): a σ² of 1e39 next to an H of
        # 1e20 is an ordinary SNR, though neither 1e39 nor its float32 square fits in float32.
        if isinstance(noise_var, torch.Tensor):
            nv = noise_var.to(device=device, dtype=torch.float64)
        else:
            nv = torch.as_tensor(np.asarray(noise_var, dtype=np.float64), dtype=torch.float64, device=device)
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
        zero = zero_channel(h_t)
        nv64 = nv
        if self.scale_invariant:
            s = power_of_two_scale(h_t)
            y_t = y_t * s.to(rdtype)[:, None]
            h_t = h_t * s.to(rdtype)[:, None, None]
            nv64 = nv64 * s * s
        nv = nv64.clamp(NOISE_VAR_FLOOR, NOISE_VAR_CEIL).to(rdtype)
        # y·s can overflow when |y| is huge next to a tiny H: no answer in this precision.
        overflow = ~torch.isfinite(torch.view_as_real(y_t)).reshape(b, -1).all(dim=1) if b else zero
        skip = zero | overflow
        out = self._detect_items(y_t, h_t, nv, skip)
        fields, erased = finish_outputs({f: getattr(out, f) for f in DetectorOutput._FIELDS},
                                        skip if out.erased is None else skip | out.erased.to(skip.device))
        out = DetectorOutput(**fields, erased=erased)
        self._count_erasures(erased, zero, overflow)
        if as_numpy:
            out = DetectorOutput(*(None if v is None else v.detach().cpu().numpy()
                                   for v in (out.symbols, out.llr, out.estimate, out.erased)))
        return out

    def _detect_items(self, y, h, nv, skip) -> DetectorOutput:
        """_detect on the items not in skip bool[B] (their outputs stay 0 and are erased)."""
        if not bool(skip.any()):
            return self._detect(y, h, nv)
        idx = torch.nonzero(~skip).squeeze(1)
        part = self._detect(y[idx], h[idx], nv[idx])
        b = y.shape[0]

        def spread(v):
            if v is None:
                return None
            full = torch.zeros((b,) + tuple(v.shape[1:]), dtype=v.dtype, device=v.device)
            full[idx] = v
            return full

        return DetectorOutput(spread(part.symbols), spread(part.llr), spread(part.estimate), spread(part.erased))

    def _count_erasures(self, erased, zero, overflow) -> None:
        count = int(erased.sum())
        if not count:
            return
        self.erased_items += count
        if not self._warned:
            self._warned = True
            i = int(torch.nonzero(erased)[0, 0])
            why = ("H = 0 (no information)" if zero[i] else
                   "y overflows once H is scaled to |H| ≈ 1" if overflow[i] else
                   "no finite answer (singular system or overflow)")
            log.warning(f"{self.name}: item {i} of a batch of {erased.shape[0]} erased: {why}; outputs 0 "
                        "(logged once per detector; see erased_items)")

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
    and/or "llr" float[B, Nt, K], and optionally "erased" bool[B]; points complex[M]. Symbols come from the LLR signs, or are the
    points nearest to the estimate when the model gives no LLRs."""
    out = DetectorOutput(erased=res.get("erased"))
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
