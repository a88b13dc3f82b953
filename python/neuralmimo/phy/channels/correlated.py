# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rayleigh fading: i.i.d., Kronecker-correlated (LcgNet) and RE-MIMO's correlated
and partially correlated channels with a random correlation coefficient."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

from .common import (ChannelModel, SpatialCorrelation, SpecArgs, SpecError, check_batch, check_dim,
                     check_positive, complex_noise, complex_normal, real_dtype)

__all__ = ["RayleighChannel", "KroneckerChannel", "RemimoCorrelatedChannel", "sample_triangular"]


class RayleighChannel(ChannelModel):
    """i.i.d. Rayleigh fading, h_ij ~ CN(0, variance).

    variance 1 is the project's default (docs/conventions.md); LcgNet uses 1/Nt
    (LcgNet Sec. V-A, Figs. 7-8), RE-MIMO 1/Nr (RE-MIMO Sec. V-A).
    sample -> complex[batch, Nr, Nt] (torch); sample_numpy -> the same law from
    a numpy Generator (numpy in, numpy out); covariance() = variance · I_{Nr·Nt}.
    """

    SPEC_NAMES = ("rayleigh",)
    SPEC_FORM = "rayleigh[:var=V]"

    def __init__(self, nr: int, nt: int, variance: float = 1.0):
        self.nr, self.nt = check_dim("nr", nr), check_dim("nt", nt)
        self.variance = check_positive("variance", variance)

    @classmethod
    def from_spec(cls, args: SpecArgs) -> "RayleighChannel":
        args.allow(("var",))
        return cls(args.nr, args.nt, args.number("var", 1.0))

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = check_batch(batch)
        return complex_normal((batch, self.nr, self.nt), generator, device, dtype) * math.sqrt(self.variance)

    def sample_numpy(self, batch: int, rng: np.random.Generator, dtype=np.complex64) -> np.ndarray:
        """H complex[batch, Nr, Nt] drawn from the numpy Generator ``rng`` (for the
        numpy-only paths: the mimo_channel block, benchmarks)."""
        return complex_noise(rng, (check_batch(batch), self.nr, self.nt), self.variance, dtype)

    def covariance(self):
        return self.variance * torch.eye(self.nr * self.nt, dtype=torch.complex128)

    @property
    def entry_variance(self):
        return self.variance

    def __repr__(self):
        return f"RayleighChannel(nr={self.nr}, nt={self.nt}, variance={self.variance:g})"


def _real_if_real(r):
    return r.real if isinstance(r, complex) and r.imag == 0 else r


class KroneckerChannel(ChannelModel):
    """Kronecker-correlated Rayleigh channel, LcgNet eq. (28)-(29) (Sec. V-B).

    H = R_r^{1/2} G R_t^{1/2}, G i.i.d. CN(0, variance). R_t [Nt, Nt] and
    R_r [Nr, Nr] follow the exponential correlation model (29):
    R[i, j] = r^{j−i} (i ≤ j), (r*)^{i−j} (i > j), |r| ≤ 1, i.e. r^{|i−j|} for a
    real r. LcgNet uses r = 0.5 and names it for the receive branches; the
    transmit side is not stated and is taken to be the same. The complex form
    of (29) is supported: pass a complex r. An explicit Hermitian PSD [n, n]
    matrix may be passed instead of a coefficient.

    Square roots are Hermitian (eigh), computed once in the constructor.
    LcgNet's G "obeys Rayleigh distribution" (below eq. 28) without a stated
    variance; its i.i.d. channel has variance 1/Nt (Sec. V-A): pass
    variance=1/nt to match. Default variance 1 (docs/conventions.md).

    sample -> complex[batch, Nr, Nt].
    covariance() = variance · R_r ⊗ R_tᵀ for the row-major vec of H.
    tx_correlation: complex128[Nt, Nt] (= E[Hᴴ H] / (variance · Nr)),
    rx_correlation: complex128[Nr, Nr] (= E[H Hᴴ] / (variance · Nt)).
    """

    SPEC_NAMES = ("kron", "kronecker")
    SPEC_FORM = "kron:r=R[,var=V] | kron:rt=R,rr=R[,var=V]   (R real or complex, |R| <= 1, e.g. 0.5 or 0.3+0.4j)"

    def __init__(self, nr: int, nt: int, r_tx=0.0, r_rx=0.0, variance: float = 1.0):
        self.nr, self.nt = check_dim("nr", nr), check_dim("nt", nt)
        self.variance = check_positive("variance", variance)
        self.r_tx, self.r_rx = r_tx, r_rx
        self._corr = SpatialCorrelation(self.nr, self.nt, r_tx, r_rx)
        self.tx_correlation, self.rx_correlation = self._corr.tx, self._corr.rx

    @classmethod
    def from_spec(cls, args: SpecArgs) -> "KroneckerChannel":
        args.allow(("r", "rt", "rr", "var"))
        p = args.params
        if "r" in p and ("rt" in p or "rr" in p):
            raise SpecError("give r, or rt/rr, not both")
        if not any(k in p for k in ("r", "rt", "rr")):
            raise SpecError("needs r=R or rt=R,rr=R")
        rt, rr = (args.coefficient("r"),) * 2 if "r" in p else (args.coefficient("rt"), args.coefficient("rr"))
        return cls(args.nr, args.nt, _real_if_real(rt), _real_if_real(rr), args.number("var", 1.0))

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = check_batch(batch)
        real_dtype(dtype)
        g = complex_normal((batch, self.nr, self.nt), generator, device, dtype)
        return self._corr.apply(g) * math.sqrt(self.variance)

    def covariance(self):
        return self._corr.covariance(self.variance)

    @property
    def entry_variance(self):
        return self._corr.entry_variance(self.variance)

    def __repr__(self):
        return (f"KroneckerChannel(nr={self.nr}, nt={self.nt}, r_tx={self.r_tx!r}, r_rx={self.r_rx!r}, "
                f"variance={self.variance:g})")


def sample_triangular(low: float, high: float, mode: Optional[float] = None,
                      generator: Optional[torch.Generator] = None) -> float:
    """One draw from the triangular distribution T(low, high, mode) (inverse CDF).

    RE-MIMO draws its correlation coefficient per training iteration as
    ρ ~ T(a = ρ_min, b = ρ_max, c = ρ_max) (RE-MIMO Sec. V-B); mode=None means
    mode = high. Mean (low + high + mode) / 3.
    """
    low, high = float(low), float(high)
    mode = high if mode is None else float(mode)
    if not (low <= mode <= high) or not low < high:
        raise ValueError(f"triangular: need low < high and low <= mode <= high, got ({low}, {high}, {mode})")
    dev = generator.device if generator is not None else "cpu"
    u = float(torch.rand((), generator=generator, device=dev, dtype=torch.float64))
    f = (mode - low) / (high - low)
    if u < f:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


class RemimoCorrelatedChannel(ChannelModel):
    """RE-MIMO's correlated Rayleigh channel (RE-MIMO Sec. V-A and V-B).

    Kronecker model (26) H = R_R^{1/2} H_w R_T^{1/2} with the exponential
    correlation model of Loyka (the paper's ref. [48]) with a real coefficient ρ:
    R[i, j] = ρ^{|i−j|}. "Correlated": both sides; "partially correlated"
    (``partial=True``): H_w is not post-multiplied by R_T^{1/2} (Sec. V-B), i.e.
    receive-side correlation only. H_w has the paper's i.i.d. normalisation
    h_ij ~ CN(0, 1/Nr) (Sec. V-A; the paper does not restate it for the
    correlated case, we keep it), so ``variance`` defaults to 1/nr.

    rho: a float in [0, 1], or a pair (ρ_min, ρ_max): then every ``sample`` call
    draws one ρ ~ T(ρ_min, ρ_max, mode ρ_max) shared by the batch, as the paper
    does per training iteration (Sec. V-B: [0.55, 0.75] correlated, [0.65, 0.85]
    partially correlated). The last ρ used is in ``last_rho``.

    sample -> complex[batch, Nr, Nt]; covariance() (fixed ρ only) =
    variance · R_R ⊗ R_Tᵀ (R_T = I when partial).
    """

    SPEC_NAMES = ("remimo",)
    SPEC_FORM = ("remimo:rho=P[,partial][,var=V] | remimo:rho_min=A,rho_max=B[,partial][,var=V]   "
                 "(var default 1/nr)")

    def __init__(self, nr: int, nt: int, rho=0.5, partial: bool = False, variance: Optional[float] = None):
        self.nr, self.nt = check_dim("nr", nr), check_dim("nt", nt)
        self.partial = bool(partial)
        self.variance = 1.0 / self.nr if variance is None else float(variance)
        if not self.variance > 0:
            raise ValueError(f"variance: {variance!r} is not > 0")
        if isinstance(rho, (tuple, list)):
            if len(rho) != 2:
                raise ValueError(f"rho: a range must be (rho_min, rho_max), got {rho!r}")
            lo, hi = float(rho[0]), float(rho[1])
            if not (0.0 <= lo < hi <= 1.0):
                raise ValueError(f"rho: range {rho!r} must satisfy 0 <= rho_min < rho_max <= 1")
            self.rho_range = (lo, hi)
            self.rho = None
            self._fixed = None
        else:
            r = float(rho)
            if not 0.0 <= r <= 1.0:
                raise ValueError(f"rho: {rho!r} is not in [0, 1]")
            self.rho_range = None
            self.rho = r
            self._fixed = self._kron(r)
        self.last_rho = self.rho

    @classmethod
    def from_spec(cls, args: SpecArgs) -> "RemimoCorrelatedChannel":
        args.allow(("rho", "rho_min", "rho_max", "var"), ("partial",))
        p = args.params
        if "rho" in p and ("rho_min" in p or "rho_max" in p):
            raise SpecError("give rho, or rho_min/rho_max, not both")
        if "rho" in p:
            rho = args.number("rho")
        elif "rho_min" in p and "rho_max" in p:
            rho = (args.number("rho_min"), args.number("rho_max"))
        else:
            raise SpecError("needs rho=P or rho_min=A,rho_max=B")
        return cls(args.nr, args.nt, rho, args.has_flag("partial"), args.number("var"))

    def _kron(self, rho: float) -> KroneckerChannel:
        return KroneckerChannel(self.nr, self.nt, r_tx=0.0 if self.partial else rho, r_rx=rho,
                                variance=self.variance)

    def with_rho(self, rho: float) -> "RemimoCorrelatedChannel":
        """The same channel with a fixed ρ."""
        return RemimoCorrelatedChannel(self.nr, self.nt, rho, self.partial, self.variance)

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = check_batch(batch)
        if self._fixed is not None:
            ch = self._fixed
        else:
            self.last_rho = sample_triangular(*self.rho_range, generator=generator)
            ch = self._kron(self.last_rho)
        return ch.sample(batch, generator, device, dtype)

    def covariance(self):
        if self._fixed is None:
            raise ValueError("covariance(): defined for a fixed rho; use with_rho(rho).covariance()")
        return self._fixed.covariance()

    @property
    def entry_variance(self):
        return self.variance

    def __repr__(self):
        rho = self.rho if self.rho_range is None else self.rho_range
        return (f"RemimoCorrelatedChannel(nr={self.nr}, nt={self.nt}, rho={rho!r}, partial={self.partial}, "
                f"variance={self.variance:g})")
