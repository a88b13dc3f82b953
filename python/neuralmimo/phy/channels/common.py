# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every channel model shares: argument checks, CN(0, 1) draws, correlation
matrices and their square roots, the per-device cache, the ``ChannelModel`` base
class and the parsed form of a command-line spec (``SpecArgs``)."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def real_dtype(dtype) -> torch.dtype:
    """The real dtype of a complex torch dtype; ValueError naming ``dtype`` otherwise."""
    if dtype not in _REAL_OF:
        raise ValueError(f"dtype: {dtype} is not a complex dtype (use torch.complex64 or torch.complex128)")
    return _REAL_OF[dtype]


def check_dim(name: str, value) -> int:
    """A positive integer size (antennas, users, subcarriers, steps)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ValueError(f"{name}: {value!r} is not a positive integer")
    return int(value)


def check_batch(batch) -> int:
    """A non-negative integer batch size."""
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or int(batch) < 0:
        raise ValueError(f"batch: {batch!r} is not a non-negative integer")
    return int(batch)


def check_positive(name: str, value) -> float:
    """A number > 0 (variances, gains, spreads, spacings)."""
    if not float(value) > 0:
        raise ValueError(f"{name}: {value!r} is not > 0")
    return float(value)


def generator_device(generator, device) -> torch.device:
    """Where random numbers are drawn: the generator's device, else ``device``."""
    return generator.device if generator is not None else torch.device(device)


def complex_normal(shape, generator=None, device="cpu", dtype=torch.complex64) -> torch.Tensor:
    """i.i.d. CN(0, 1) samples: complex[*shape] on ``device``.

    Drawn on the generator's device (float32/float64 pairs, then viewed as
    complex) and moved to ``device``, so a seeded CPU generator gives the same
    numbers whatever ``device`` is asked for.
    """
    real = real_dtype(dtype)
    z = torch.randn(*shape, 2, generator=generator, device=generator_device(generator, device), dtype=real)
    z = torch.view_as_complex(z) * math.sqrt(0.5)
    return z.to(device)


def complex_noise(rng: np.random.Generator, shape, noise_var, dtype=np.complex64) -> np.ndarray:
    """CN(0, σ²) samples from a numpy Generator  ->  complex[*shape].

    noise_var: σ², a scalar or float[shape[0]] (one variance per batch element).
    Also the numpy draw behind ``RayleighChannel.sample_numpy`` (σ² = variance).
    """
    nv = np.asarray(noise_var, dtype=np.float64)
    if nv.ndim == 1:
        nv = nv.reshape(-1, *([1] * (len(shape) - 1)))
    n = rng.standard_normal((*shape, 2)) * np.sqrt(nv / 2.0)[..., None]
    return (n[..., 0] + 1j * n[..., 1]).astype(dtype)


def hermitian_sqrt(r) -> torch.Tensor:
    """Hermitian PSD square root U D^{1/2} Uᴴ by eigendecomposition (torch.linalg.eigh).

    r: complex or real [..., n, n] (torch or numpy), Hermitian PSD up to rounding
    -> complex128[..., n, n] on the CPU. Negative eigenvalues from rounding are
    clipped to zero.
    """
    r = torch.as_tensor(np.asarray(r) if not isinstance(r, torch.Tensor) else r)
    r = r.to(device="cpu", dtype=torch.complex128)
    r = 0.5 * (r + r.mH)
    w, u = torch.linalg.eigh(r)
    w = w.clamp_min(0.0).sqrt()
    return (u * w.unsqueeze(-2).to(u.dtype)) @ u.mH


def exponential_correlation(n: int, r) -> torch.Tensor:
    """Exponential correlation matrix, LcgNet eq. (29).

    R[i, j] = r^{j−i} for i ≤ j and (r*)^{i−j} for i > j, |r| ≤ 1; for a real r
    this is r^{|i−j|} (Loyka's model, RE-MIMO's ref. [48]).
    n: size; r: real or complex scalar  ->  complex128[n, n] (CPU).
    """
    n = check_dim("n", n)
    r = complex(r)
    if not abs(r) <= 1.0:
        raise ValueError(f"r: |{r}| > 1; the exponential correlation coefficient needs |r| <= 1")
    k = np.arange(n)[None, :] - np.arange(n)[:, None]  # j - i
    upper = np.power(r, np.clip(k, 0, None).astype(float))
    lower = np.power(np.conj(r), np.clip(-k, 0, None).astype(float))
    return torch.as_tensor(np.where(k >= 0, upper, lower).astype(np.complex128))


def correlation_arg(n: int, r, name: str) -> torch.Tensor:
    """A scalar coefficient (exponential model) or an explicit Hermitian PSD [n, n]
    matrix  ->  complex128[n, n] (CPU); ValueError naming ``name`` otherwise."""
    if isinstance(r, (torch.Tensor, np.ndarray)) and np.ndim(r) == 2:
        m = torch.as_tensor(np.asarray(r) if isinstance(r, np.ndarray) else r).to("cpu", torch.complex128)
        if tuple(m.shape) != (n, n):
            raise ValueError(f"{name}: matrix shape {tuple(m.shape)} is not ({n}, {n})")
        if not torch.allclose(m, m.mH, atol=1e-10):
            raise ValueError(f"{name}: matrix is not Hermitian")
        if torch.linalg.eigvalsh(m).min() < -1e-10:
            raise ValueError(f"{name}: matrix is not positive semi-definite")
        return m
    try:
        return exponential_correlation(n, r)
    except TypeError:
        raise ValueError(f"{name}: {r!r} is neither a scalar coefficient nor an [{n}, {n}] matrix") from None
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


class SpatialCorrelation:
    """Transmit and receive correlation (coefficients or matrices) with their
    Hermitian square roots, shared by the Kronecker and TDL models.

    tx: complex128[Nt, Nt], rx: complex128[Nr, Nr]; ``apply(g)`` returns
    R_r^{1/2} g R_t^{1/2} for g complex[..., Nr, Nt] (cached per device/dtype).
    """

    def __init__(self, nr: int, nt: int, r_tx, r_rx):
        self.tx = correlation_arg(nt, r_tx, "r_tx")
        self.rx = correlation_arg(nr, r_rx, "r_rx")
        self._sqrt_tx = hermitian_sqrt(self.tx)
        self._sqrt_rx = hermitian_sqrt(self.rx)
        self._cache = DeviceCache()

    def apply(self, g: torch.Tensor) -> torch.Tensor:
        a = self._cache.get("rx", self._sqrt_rx, g.device, g.dtype)
        b = self._cache.get("tx", self._sqrt_tx, g.device, g.dtype)
        return a @ g @ b

    def covariance(self, variance: float) -> torch.Tensor:
        """variance · R_r ⊗ R_tᵀ: E[h hᴴ] of the row-major vec of H  ->  complex128[Nr·Nt, Nr·Nt]."""
        return variance * torch.kron(self.rx, self.tx.transpose(0, 1).contiguous())

    def entry_variance(self, variance: float) -> float:
        return variance * float(torch.diagonal(self.rx).real.mean() * torch.diagonal(self.tx).real.mean())


class DeviceCache:
    """Per (device, dtype) copies of constant tensors (square roots, steering matrices)."""

    def __init__(self):
        self._store = {}

    def get(self, key: str, t: torch.Tensor, device, dtype) -> torch.Tensor:
        k = (key, str(torch.device(device)), dtype)
        if k not in self._store:
            self._store[k] = t.to(device=device, dtype=dtype)
        return self._store[k]


class ChannelModel:
    """Base class. Subclasses set ``nr``, ``nt`` and implement ``sample``.

    Spec support (``make_channel``): ``SPEC_NAMES`` (the names a spec may start
    with), ``SPEC_FORM`` (the form shown in help and errors) and the classmethod
    ``from_spec(args: SpecArgs)``.
    """

    nr: int
    nt: int
    SPEC_NAMES: tuple = ()
    SPEC_FORM: str = ""

    @classmethod
    def from_spec(cls, args: "SpecArgs") -> "ChannelModel":
        raise NotImplementedError

    def sample(self, batch: int, generator: Optional[torch.Generator] = None, device="cpu",
               dtype=torch.complex64) -> torch.Tensor:
        """-> H complex[batch, Nr, Nt]."""
        raise NotImplementedError

    def covariance(self) -> torch.Tensor:
        """E[h hᴴ], h = H.reshape(Nr·Nt) row-major  ->  complex128[Nr·Nt, Nr·Nt]."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form covariance")

    @property
    def entry_variance(self) -> float:
        """Average E|h_ij|² over the entries of H."""
        c = self.covariance()
        return float(torch.diagonal(c).real.mean())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nr={self.nr}, nt={self.nt})"


# --------------------------------------------------------------------------------------
# command-line specs: name[:k=v,...,flag]
# --------------------------------------------------------------------------------------

class SpecError(ValueError):
    """A malformed channel spec (``make_channel`` adds the spec and the allowed forms)."""


class SpecArgs:
    """The parameters of one spec ``name[:k=v,...,flag]`` for a system of nr x nt.

    params: {key: text} (keys lower-case), flags: [text]. The typed getters
    raise ``SpecError`` naming the key and the text.
    """

    def __init__(self, name: str, params: dict, flags: list, nr: int, nt: int):
        self.name, self.params, self.flags, self.nr, self.nt = name, params, flags, nr, nt

    @classmethod
    def parse(cls, spec: str, nr: int, nt: int) -> "SpecArgs":
        name, _, rest = spec.partition(":")
        params: dict = {}
        flags: list = []
        if rest.strip():
            for item in rest.split(","):
                item = item.strip()
                if not item:
                    raise SpecError("empty parameter")
                if "=" in item:
                    k, _, v = item.partition("=")
                    k = k.strip().lower()
                    if not k or k in params:
                        raise SpecError(f"parameter '{k}' empty or given twice")
                    params[k] = v.strip()
                else:
                    flags.append(item)
        elif ":" in spec:
            raise SpecError("no parameters after ':'")
        return cls(name.strip().lower(), params, flags, nr, nt)

    def allow(self, keys, allowed_flags=()) -> None:
        """Refuse any key or flag outside ``keys`` / ``allowed_flags`` (lower-case)."""
        bad = [k for k in self.params if k not in keys]
        badf = [f for f in self.flags if f.lower() not in allowed_flags]
        if bad or badf:
            raise SpecError(f"unknown parameter(s) {', '.join(bad + badf)} for '{self.name}' "
                            f"(allowed: {', '.join(list(keys) + list(allowed_flags))})")

    def has_flag(self, flag: str) -> bool:
        return any(f.lower() == flag for f in self.flags)

    def number(self, key: str, default=None):
        """A finite float; also "1/nt" and "1/nr"."""
        if key not in self.params:
            return default
        text = self.params[key]
        t = text.strip().lower()
        if t in ("1/nt", "1/nr"):
            return 1.0 / (self.nt if t == "1/nt" else self.nr)
        try:
            v = float(t)
        except ValueError:
            raise SpecError(f"{key}={text!r} is not a number") from None
        if not math.isfinite(v):
            raise SpecError(f"{key}={text!r} is not finite")
        return v

    def coefficient(self, key: str, default=0.0):
        """A correlation coefficient: a real or complex number with modulus <= 1."""
        if key not in self.params:
            return default
        text = self.params[key]
        try:
            v = complex(text.strip().replace(" ", ""))
        except ValueError:
            raise SpecError(f"{key}={text!r} is not a (complex) number") from None
        if not abs(v) <= 1:
            raise SpecError(f"{key}={text!r} has |{key}| > 1")
        return v

    def integer(self, key: str, default: int) -> int:
        text = self.params.get(key, str(default))
        try:
            return int(text)
        except ValueError:
            raise SpecError(f"{key}={text!r} is not an integer") from None
