# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Batched torch channel models for training and evaluation (no GNU Radio).

Every model is a small class with ``nr``, ``nt``, ``entry_variance`` (the
average E|h_ij|²) and

    sample(batch, generator=None, device="cpu", dtype=torch.complex64)
        -> H complex[batch, Nr, Nt]        (TdlChannel: complex[batch, K, Nr, Nt])

plus, where it is meaningful, ``covariance()``: the exact theoretical
covariance E[h hᴴ] of h = H.reshape(Nr·Nt) (row-major, H[r, t] at r·Nt + t,
the order of the GNU Radio stream contract), complex128[Nr·Nt, Nr·Nt].

Randomness comes only from the ``generator`` passed in (a ``torch.Generator``;
``None`` uses torch's global generator). Random numbers are drawn on the
generator's device and then moved to ``device``, so a CPU generator with a
given seed gives the same channels whatever ``device`` is asked for.

Models
------
RayleighChannel          i.i.d. CN(0, variance).
KroneckerChannel         H = R_r^{1/2} G R_t^{1/2}, exponential correlation of
                         LcgNet eq. (28)-(29) (lcgnet.txt L1342-1398).
RemimoCorrelatedChannel  RE-MIMO's correlated / partially correlated Kronecker
                         channel, h ~ CN(0, 1/Nr) (remimo.txt L322, L330-347).
LocalScatteringChannel   HyperMIMO's local-scattering ULA model, eq. (13)-(14)
                         (hypermimo.txt L137-157), with user mobility (L192-194).
TdlChannel               3GPP TR 38.901 TDL-A/B/C per subcarrier (see tdl.py).

Helpers: ``exponential_correlation``, ``hermitian_sqrt``,
``local_scattering_covariance``, ``draw_user_angles``, ``sample_triangular``,
``imperfect_csi``, ``csi_error_var``, ``imperfect_csi_snr``, ``make_channel``.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

__all__ = [
    "ChannelModel", "RayleighChannel", "KroneckerChannel", "RemimoCorrelatedChannel",
    "LocalScatteringChannel", "exponential_correlation", "hermitian_sqrt",
    "local_scattering_covariance", "draw_user_angles", "sample_triangular",
    "imperfect_csi", "csi_error_var", "imperfect_csi_snr", "make_channel",
    "channel_spec_forms",
]

# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------

_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def _real_dtype(dtype) -> torch.dtype:
    if dtype not in _REAL_OF:
        raise ValueError(f"dtype: {dtype} is not a complex dtype (use torch.complex64 or torch.complex128)")
    return _REAL_OF[dtype]


def _check_dim(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ValueError(f"{name}: {value!r} is not a positive integer")
    return int(value)


def _check_batch(batch) -> int:
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or int(batch) < 0:
        raise ValueError(f"batch: {batch!r} is not a non-negative integer")
    return int(batch)


def _gen_device(generator, device) -> torch.device:
    return generator.device if generator is not None else torch.device(device)


def complex_normal(shape, generator=None, device="cpu", dtype=torch.complex64) -> torch.Tensor:
    """i.i.d. CN(0, 1) samples: complex[*shape] on ``device``.

    Drawn on the generator's device (float32/float64 pairs, then viewed as
    complex) and moved to ``device``.
    """
    real = _real_dtype(dtype)
    z = torch.randn(*shape, 2, generator=generator, device=_gen_device(generator, device), dtype=real)
    z = torch.view_as_complex(z) * math.sqrt(0.5)
    return z.to(device)


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
    """Exponential correlation matrix, LcgNet eq. (29) (lcgnet.txt L1386-1397).

    R[i, j] = r^{j−i} for i ≤ j and (r*)^{i−j} for i > j, |r| ≤ 1; for a real r
    this is r^{|i−j|} (Loyka's model, remimo.txt ref. [48]).
    n: size; r: real or complex scalar  ->  complex128[n, n] (CPU).
    """
    n = _check_dim("n", n)
    r = complex(r)
    if not abs(r) <= 1.0:
        raise ValueError(f"r: |{r}| > 1; the exponential correlation coefficient needs |r| <= 1")
    k = np.arange(n)[None, :] - np.arange(n)[:, None]  # j - i
    upper = np.power(r, np.clip(k, 0, None).astype(float))
    lower = np.power(np.conj(r), np.clip(-k, 0, None).astype(float))
    return torch.as_tensor(np.where(k >= 0, upper, lower).astype(np.complex128))


def _correlation_arg(n: int, r, name: str) -> torch.Tensor:
    """A scalar coefficient (exponential model) or an explicit [n, n] matrix."""
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


class _Cache:
    """Per (device, dtype) copies of constant tensors."""

    def __init__(self):
        self._store = {}

    def get(self, key: str, t: torch.Tensor, device, dtype) -> torch.Tensor:
        k = (key, str(torch.device(device)), dtype)
        if k not in self._store:
            self._store[k] = t.to(device=device, dtype=dtype)
        return self._store[k]


# --------------------------------------------------------------------------------------
# base class and simple models
# --------------------------------------------------------------------------------------

class ChannelModel:
    """Base class. Subclasses set ``nr``, ``nt`` and implement ``sample``."""

    nr: int
    nt: int

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


class RayleighChannel(ChannelModel):
    """i.i.d. Rayleigh fading, h_ij ~ CN(0, variance).

    variance 1 is DESIGN.md's default; LcgNet uses 1/Nt (lcgnet.txt L1214-1215),
    RE-MIMO 1/Nr (remimo.txt L322).
    sample -> complex[batch, Nr, Nt]; covariance() = variance · I_{Nr·Nt}.
    """

    def __init__(self, nr: int, nt: int, variance: float = 1.0):
        self.nr, self.nt = _check_dim("nr", nr), _check_dim("nt", nt)
        if not float(variance) > 0:
            raise ValueError(f"variance: {variance!r} is not > 0")
        self.variance = float(variance)

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = _check_batch(batch)
        return complex_normal((batch, self.nr, self.nt), generator, device, dtype) * math.sqrt(self.variance)

    def covariance(self):
        return self.variance * torch.eye(self.nr * self.nt, dtype=torch.complex128)

    @property
    def entry_variance(self):
        return self.variance

    def __repr__(self):
        return f"RayleighChannel(nr={self.nr}, nt={self.nt}, variance={self.variance:g})"


class KroneckerChannel(ChannelModel):
    """Kronecker-correlated Rayleigh channel, LcgNet eq. (28)-(29) (lcgnet.txt L1342-1398).

    H = R_r^{1/2} G R_t^{1/2}, G i.i.d. CN(0, variance). R_t [Nt, Nt] and
    R_r [Nr, Nr] follow the exponential correlation model (29):
    R[i, j] = r^{j−i} (i ≤ j), (r*)^{i−j} (i > j), |r| ≤ 1, i.e. r^{|i−j|} for a
    real r. LcgNet uses r = 0.5 (L1397-1398; the paper names r for the receive
    branches, the transmit side is taken to be the same, CLAIMS.md CA8). The
    complex form of (29) is supported: pass a complex r. An explicit Hermitian
    PSD [n, n] matrix may be passed instead of a coefficient.

    Square roots are Hermitian (eigh), computed once in the constructor.
    LcgNet's U "obeys Rayleigh distribution" (L1348) without a stated variance;
    its i.i.d. channel has variance 1/Nt (L1214-1215): pass variance=1/nt to
    match. Default variance 1 (DESIGN.md section 3).

    sample -> complex[batch, Nr, Nt].
    covariance() = variance · R_r ⊗ R_tᵀ for the row-major vec of H.
    tx_correlation: complex128[Nt, Nt] (= E[Hᴴ H] / (variance · Nr)),
    rx_correlation: complex128[Nr, Nr] (= E[H Hᴴ] / (variance · Nt)).
    """

    def __init__(self, nr: int, nt: int, r_tx=0.0, r_rx=0.0, variance: float = 1.0):
        self.nr, self.nt = _check_dim("nr", nr), _check_dim("nt", nt)
        if not float(variance) > 0:
            raise ValueError(f"variance: {variance!r} is not > 0")
        self.variance = float(variance)
        self.r_tx, self.r_rx = r_tx, r_rx
        self.tx_correlation = _correlation_arg(self.nt, r_tx, "r_tx")
        self.rx_correlation = _correlation_arg(self.nr, r_rx, "r_rx")
        self._sqrt_tx = hermitian_sqrt(self.tx_correlation)
        self._sqrt_rx = hermitian_sqrt(self.rx_correlation)
        self._cache = _Cache()

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = _check_batch(batch)
        _real_dtype(dtype)
        g = complex_normal((batch, self.nr, self.nt), generator, device, dtype)
        a = self._cache.get("rx", self._sqrt_rx, device, dtype)
        b = self._cache.get("tx", self._sqrt_tx, device, dtype)
        return (a @ g @ b) * math.sqrt(self.variance)

    def covariance(self):
        return self.variance * torch.kron(self.rx_correlation, self.tx_correlation.transpose(0, 1).contiguous())

    @property
    def entry_variance(self):
        return self.variance * float(torch.diagonal(self.rx_correlation).real.mean()
                                     * torch.diagonal(self.tx_correlation).real.mean())

    def __repr__(self):
        return (f"KroneckerChannel(nr={self.nr}, nt={self.nt}, r_tx={self.r_tx!r}, r_rx={self.r_rx!r}, "
                f"variance={self.variance:g})")


def sample_triangular(low: float, high: float, mode: Optional[float] = None,
                      generator: Optional[torch.Generator] = None) -> float:
    """One draw from the triangular distribution T(low, high, mode) (inverse CDF).

    RE-MIMO draws its correlation coefficient per training iteration as
    ρ ~ T(a = ρ_min, b = ρ_max, c = ρ_max) (remimo.txt L347); mode=None means
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
    """RE-MIMO's correlated Rayleigh channel (remimo.txt L322, L330-347).

    Kronecker model (26) H = R_R^{1/2} H_w R_T^{1/2} with the exponential
    correlation model of Loyka (ref. [48], L345) with a real coefficient ρ:
    R[i, j] = ρ^{|i−j|}. "Correlated": both sides; "partially correlated"
    (``partial=True``): H_w is not post-multiplied by R_T^{1/2} (L345), i.e.
    receive-side correlation only. H_w has the paper's i.i.d. normalisation
    h_ij ~ CN(0, 1/Nr) (L322; the paper does not restate it for the correlated
    case, we keep it), so ``variance`` defaults to 1/nr.

    rho: a float in [0, 1], or a pair (ρ_min, ρ_max): then every ``sample`` call
    draws one ρ ~ T(ρ_min, ρ_max, mode ρ_max) shared by the batch, as the paper
    does per training iteration (L347: [0.55, 0.75] correlated, [0.65, 0.85]
    partially correlated). The last ρ used is in ``last_rho``.

    sample -> complex[batch, Nr, Nt]; covariance() (fixed ρ only) =
    variance · R_R ⊗ R_Tᵀ (R_T = I when partial).
    """

    def __init__(self, nr: int, nt: int, rho=0.5, partial: bool = False, variance: Optional[float] = None):
        self.nr, self.nt = _check_dim("nr", nr), _check_dim("nt", nt)
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

    def _kron(self, rho: float) -> KroneckerChannel:
        return KroneckerChannel(self.nr, self.nt, r_tx=0.0 if self.partial else rho, r_rx=rho,
                                variance=self.variance)

    def with_rho(self, rho: float) -> "RemimoCorrelatedChannel":
        """The same channel with a fixed ρ."""
        return RemimoCorrelatedChannel(self.nr, self.nt, rho, self.partial, self.variance)

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = _check_batch(batch)
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


# --------------------------------------------------------------------------------------
# local scattering (HyperMIMO)
# --------------------------------------------------------------------------------------

_LS_DISTRIBUTIONS = ("gaussian", "laplace", "uniform")
_LS_MODELS = ("eq13", "integral")


def _angular_grid(spread_rad: float, distribution: str, n_quad: int):
    """Composite-Simpson nodes δ and weights w·f(δ) for the angular deviation density.

    Gaussian N(0, σ²) on [−8σ, 8σ]; Laplace with std σ (density e^{−√2|δ|/σ}/(√2σ))
    on [−20σ, 20σ] (0 is a node, so the kink sits between Simpson panels);
    uniform with std σ on [−√3σ, √3σ]. Weights are normalised to sum to one
    (the truncated mass, < 1e-12, is put back).
    """
    if n_quad < 3 or n_quad % 2 == 0:
        raise ValueError(f"n_quad: {n_quad} must be an odd integer >= 3")
    s = spread_rad
    half = {"gaussian": 8.0 * s, "laplace": 20.0 * s, "uniform": math.sqrt(3.0) * s}[distribution]
    delta = torch.linspace(-half, half, n_quad, dtype=torch.float64)
    h = 2.0 * half / (n_quad - 1)
    simpson = torch.ones(n_quad, dtype=torch.float64)
    simpson[1:-1:2] = 4.0
    simpson[2:-1:2] = 2.0
    simpson *= h / 3.0
    if distribution == "gaussian":
        dens = torch.exp(-0.5 * (delta / s) ** 2) / (s * math.sqrt(2 * math.pi))
    elif distribution == "laplace":
        dens = torch.exp(-math.sqrt(2.0) * delta.abs() / s) / (math.sqrt(2.0) * s)
    else:
        dens = torch.full_like(delta, 1.0 / (2.0 * math.sqrt(3.0) * s))
    w = simpson * dens
    return delta, w / w.sum()


def local_scattering_covariance(nr: int, angles_deg, spread_deg: float = 10.0, antenna_spacing: float = 0.5,
                                gain: float = 1.0, model: str = "eq13", distribution: str = "gaussian",
                                n_quad: int = 4001) -> torch.Tensor:
    """Spatial covariance of the local scattering model (hypermimo.txt L137-157).

    ULA with ``nr`` antennas spaced ``antenna_spacing`` wavelengths (the paper
    calls it d and does not give its value, CLAIMS.md HA2; 0.5 assumed);
    nominal angle φ (degrees from broadside), multipath angles φ + δ with δ of
    standard deviation σ_φ = ``spread_deg``.

    model="eq13" (the paper's choice): HyperMIMO eq. (13), L149-153, the
      small-σ Gaussian approximation
      [C]_{m,n} = β e^{2πj d(m−n) sin φ} e^{−(σ_φ²/2)(2π d(m−n) cos φ)²}.
      Only ``distribution="gaussian"``.
    model="integral": the exact local scattering integral the approximation
      comes from (Björnson et al., the paper's ref. [13] Ch. 2.6)
      [C]_{m,n} = β ∫ e^{2πj d(m−n) sin(φ + δ)} f(δ) dδ,
      f Gaussian (the paper's, L137), Laplace or uniform with std σ_φ,
      computed in float64 by composite Simpson with ``n_quad`` nodes.

    The gain β = ``gain`` (the paper: perfect power control, "average gain of
    one", L137), so trace(C) = Nr·β and C is Hermitian PSD Toeplitz.
    angles_deg: float or [...]  ->  complex128[..., Nr, Nr] (CPU).
    """
    nr = _check_dim("nr", nr)
    if model not in _LS_MODELS:
        raise ValueError(f"model: '{model}' is not one of {', '.join(_LS_MODELS)}")
    if distribution not in _LS_DISTRIBUTIONS:
        raise ValueError(f"distribution: '{distribution}' is not one of {', '.join(_LS_DISTRIBUTIONS)}")
    if model == "eq13" and distribution != "gaussian":
        raise ValueError(f"distribution: eq. 13 is the Gaussian approximation; use model='integral' "
                         f"for '{distribution}'")
    if not float(spread_deg) > 0:
        raise ValueError(f"spread_deg: {spread_deg!r} is not > 0")
    if not float(antenna_spacing) > 0:
        raise ValueError(f"antenna_spacing: {antenna_spacing!r} is not > 0")
    if not float(gain) > 0:
        raise ValueError(f"gain: {gain!r} is not > 0")
    phi = torch.as_tensor(angles_deg, dtype=torch.float64).cpu() * (math.pi / 180.0)
    shape = phi.shape
    phi = phi.reshape(-1)
    sigma = float(spread_deg) * math.pi / 180.0
    d = float(antenna_spacing)
    lags = torch.arange(nr, dtype=torch.float64)  # k = m − n >= 0
    if model == "eq13":
        ph = 2 * math.pi * d * lags[None, :] * torch.sin(phi)[:, None]
        amp = torch.exp(-0.5 * sigma ** 2 * (2 * math.pi * d * lags[None, :] * torch.cos(phi)[:, None]) ** 2)
        col = torch.polar(amp, ph)  # [U, Nr]: C[m, n] for m − n = k
    else:
        delta, w = _angular_grid(sigma, distribution, int(n_quad))
        cols = []
        chunk = max(1, int(2_000_000 // (len(delta) * nr)))
        for i in range(0, len(phi), chunk):
            p = phi[i:i + chunk]
            s = torch.sin(p[:, None] + delta[None, :])  # [u, Q]
            ang = 2 * math.pi * d * s[:, None, :] * lags[None, :, None]  # [u, Nr, Q]
            cols.append((torch.complex(torch.cos(ang), torch.sin(ang)) * w.to(torch.complex128)).sum(-1))
        col = torch.cat(cols, 0) if cols else torch.zeros(0, nr, dtype=torch.complex128)
    k = torch.arange(nr)[:, None] - torch.arange(nr)[None, :]  # m − n
    c = col[:, k.abs()]
    c = torch.where(k[None] >= 0, c, c.conj())
    return (float(gain) * c).reshape(*shape, nr, nr)


def draw_user_angles(n_users: int, generator: Optional[torch.Generator] = None, sector_deg: float = 120.0,
                     min_separation_deg: float = 0.0, max_tries: int = 100_000) -> torch.Tensor:
    """Nominal user angles for a user drop (hypermimo.txt L137, L147).

    Uniform in the sector [−sector/2, sector/2] degrees around broadside (the
    paper: users "dropped with random nominal angles" in a 120° sector; the law
    is not stated, CLAIMS.md HA3, uniform assumed). The paper states no minimum
    separation; ``min_separation_deg`` > 0 draws users one by one, rejecting
    angles closer than that to an earlier user.
    -> float64[n_users] (CPU), in degrees, in drawing order.
    """
    n_users = _check_dim("n_users", n_users)
    half = float(sector_deg) / 2.0
    if not half > 0:
        raise ValueError(f"sector_deg: {sector_deg!r} is not > 0")
    dev = generator.device if generator is not None else "cpu"
    if float(min_separation_deg) <= 0:
        u = torch.rand(n_users, generator=generator, device=dev, dtype=torch.float64).cpu()
        return (2.0 * u - 1.0) * half
    out = []
    tries = 0
    while len(out) < n_users:
        tries += 1
        if tries > max_tries:
            raise ValueError(f"min_separation_deg: cannot place {n_users} users {min_separation_deg}° apart "
                             f"in a {sector_deg}° sector")
        a = (2.0 * float(torch.rand((), generator=generator, device=dev, dtype=torch.float64)) - 1.0) * half
        if all(abs(a - b) >= float(min_separation_deg) for b in out):
            out.append(a)
    return torch.tensor(out, dtype=torch.float64)


class LocalScatteringChannel(ChannelModel):
    """HyperMIMO's local scattering channel (hypermimo.txt L137-163).

    Nt = Nu single-antenna users, one column each: h_u = U_u D_u^{1/2} U_uᴴ e,
    e ~ CN(0, I_Nr) (eq. 14, L155-157), with C_u = U_u D_u U_uᴴ from
    :func:`local_scattering_covariance` (eq. 13 by default). Users are
    independent. σ_φ = 10° in the paper (L163), Nr = 12, Nu = 6.

    angles_deg: [Nt] nominal angles in degrees from broadside, or None to draw a
      drop with :func:`draw_user_angles` (uniform in a ``sector_deg`` sector,
      optional ``min_separation_deg``) from ``generator``.
    gain: β per user (paper: 1, L137). Note the SNR pairing in snr.py: under
      the "hypermimo" convention eq. (15) holds with β = 1/Nu.

    sample -> complex[batch, Nr, Nt]; user_covariances: complex128[Nt, Nr, Nr];
    covariance(): block structure E[h_{m,u} h*_{n,v}] = δ_uv C_u[m, n] for the
    row-major vec of H.

    Mobility (L192-194, Fig. 6): ``rotated`` (all users moved by an angle,
    per-user direction ±1), ``displaced`` (random 2D moves from r = 250 m), and
    ``sample_trajectory`` (angles changing at a constant rate per step). The
    paper changes only the spatial covariance with the user positions (no
    temporal fading correlation is described), so every step draws new e.
    """

    def __init__(self, nr: int, nt: int, angles_deg=None, spread_deg: float = 10.0,
                 antenna_spacing: float = 0.5, gain: float = 1.0, model: str = "eq13",
                 distribution: str = "gaussian", generator: Optional[torch.Generator] = None,
                 sector_deg: float = 120.0, min_separation_deg: float = 0.0, n_quad: int = 4001):
        self.nr, self.nt = _check_dim("nr", nr), _check_dim("nt", nt)
        if angles_deg is None:
            angles = draw_user_angles(self.nt, generator, sector_deg, min_separation_deg)
        else:
            angles = torch.as_tensor(angles_deg, dtype=torch.float64).cpu().reshape(-1)
            if angles.numel() != self.nt:
                raise ValueError(f"angles_deg: {angles.numel()} angles given for nt={self.nt} users")
        self.angles_deg = angles
        self.spread_deg = float(spread_deg)
        self.antenna_spacing = float(antenna_spacing)
        self.gain = float(gain)
        self.model = model
        self.distribution = distribution
        self.sector_deg = float(sector_deg)
        self.n_quad = int(n_quad)
        self.user_covariances = self._cov(angles)
        self._sqrt = hermitian_sqrt(self.user_covariances)
        self._cache = _Cache()

    def _cov(self, angles):
        return local_scattering_covariance(self.nr, angles, self.spread_deg, self.antenna_spacing, self.gain,
                                           self.model, self.distribution, self.n_quad)

    def _with_angles(self, angles) -> "LocalScatteringChannel":
        return LocalScatteringChannel(self.nr, self.nt, angles, self.spread_deg, self.antenna_spacing, self.gain,
                                      self.model, self.distribution, sector_deg=self.sector_deg,
                                      n_quad=self.n_quad)

    @staticmethod
    def _draw(sqrt, batch, generator, device, dtype):
        # sqrt: [..., Nt, Nr, Nr]; e: [..., batch, Nt, Nr]  ->  H [..., batch, Nr, Nt]
        lead = tuple(sqrt.shape[:-3])
        nt, nr = sqrt.shape[-3], sqrt.shape[-1]
        e = complex_normal((*lead, batch, nt, nr), generator, device, dtype)
        return torch.einsum("...umn,...bun->...bmu", sqrt, e)

    def sample(self, batch, generator=None, device="cpu", dtype=torch.complex64):
        batch = _check_batch(batch)
        _real_dtype(dtype)
        s = self._cache.get("sqrt", self._sqrt, device, dtype)
        return self._draw(s, batch, generator, device, dtype)

    def covariance(self):
        nr, nt = self.nr, self.nt
        c = torch.zeros(nr, nt, nr, nt, dtype=torch.complex128)
        for u in range(nt):
            c[:, u, :, u] = self.user_covariances[u]
        return c.reshape(nr * nt, nr * nt)

    @property
    def entry_variance(self):
        return self.gain

    # ---- mobility ------------------------------------------------------------------
    def _directions(self, directions) -> torch.Tensor:
        if directions is None:
            return torch.ones(self.nt, dtype=torch.float64)
        d = torch.as_tensor(directions, dtype=torch.float64).cpu().reshape(-1)
        if d.numel() == 1:
            d = d.expand(self.nt).clone()
        if d.numel() != self.nt or not torch.all(d.abs() == 1):
            raise ValueError(f"directions: need +1/-1 per user ({self.nt}), got {directions!r}")
        return d

    def rotated(self, delta_deg: float, directions=None) -> "LocalScatteringChannel":
        """All users moved by ``delta_deg`` along their circle around the BS (Fig. 6a,
        hypermimo.txt L192): φ_u + s_u·δ, s_u = ±1 per user (``directions``;
        None = all +1, counter-clockwise). The paper averages over both directions
        per user. Same statistics otherwise; the new C_u are recomputed."""
        return self._with_angles(self.angles_deg + self._directions(directions) * float(delta_deg))

    def displaced(self, distance_m: float, generator: Optional[torch.Generator] = None,
                  radius_m: float = 250.0) -> "LocalScatteringChannel":
        """Random 2D mobility (Fig. 6b, L194): each user, at distance ``radius_m``
        (paper: r = 250 m) and angle φ_u from broadside, moves ``distance_m`` in a
        uniformly random direction; the new nominal angle is that of the new
        position seen from the BS. Perfect power control (L137) keeps the gain."""
        if not float(distance_m) >= 0 or not float(radius_m) > 0:
            raise ValueError(f"distance_m/radius_m: need distance >= 0 and radius > 0, got "
                             f"{distance_m!r}, {radius_m!r}")
        dev = generator.device if generator is not None else "cpu"
        theta = torch.rand(self.nt, generator=generator, device=dev, dtype=torch.float64).cpu() * 2 * math.pi
        phi = self.angles_deg * math.pi / 180.0
        x = radius_m * torch.cos(phi) + distance_m * torch.cos(theta)
        y = radius_m * torch.sin(phi) + distance_m * torch.sin(theta)
        return self._with_angles(torch.atan2(y, x) * 180.0 / math.pi)

    def trajectory_angles(self, steps: int, rate_deg_per_step: float, directions=None) -> torch.Tensor:
        """Angles at steps t = 0..T−1: φ_u + s_u·t·rate  ->  float64[T, Nt] (degrees)."""
        steps = _check_dim("steps", steps)
        t = torch.arange(steps, dtype=torch.float64)[:, None]
        return self.angles_deg[None, :] + t * float(rate_deg_per_step) * self._directions(directions)[None, :]

    def sample_trajectory(self, steps: int, batch: int, rate_deg_per_step: float, directions=None,
                          generator: Optional[torch.Generator] = None, device="cpu",
                          dtype=torch.complex64) -> torch.Tensor:
        """Channels of users moving in angle at a constant rate (degrees per step).

        The paper's angular mobility (Fig. 6a) moves every user by a given angle;
        the displacement rate is only on the figure axis (CLAIMS.md HA9), so it is a
        parameter here. Step t uses C_u(φ_u + s_u·t·rate); fading e is drawn anew
        each step (the paper describes no temporal correlation).
        -> complex[T, batch, Nr, Nt].
        """
        batch = _check_batch(batch)
        _real_dtype(dtype)
        ang = self.trajectory_angles(steps, rate_deg_per_step, directions)  # [T, Nt]
        sq = hermitian_sqrt(self._cov(ang)).to(device=device, dtype=dtype)  # [T, Nt, Nr, Nr]
        return self._draw(sq, batch, generator, device, dtype)

    def __repr__(self):
        ang = ", ".join(f"{a:.2f}" for a in self.angles_deg.tolist())
        return (f"LocalScatteringChannel(nr={self.nr}, nt={self.nt}, angles_deg=[{ang}], "
                f"spread_deg={self.spread_deg:g}, antenna_spacing={self.antenna_spacing:g}, gain={self.gain:g}, "
                f"model='{self.model}', distribution='{self.distribution}')")


# --------------------------------------------------------------------------------------
# imperfect CSI
# --------------------------------------------------------------------------------------

def imperfect_csi(h, error_var, generator: Optional[torch.Generator] = None):
    """Channel estimate with additive Gaussian error: H_est = H + E, E i.i.d. CN(0, error_var).

    RE-MIMO eq. (27) H* = H + W, w_ij ~ CN(0, σ_w²) (remimo.txt L359-366);
    EQ-Net Ĥ = H + N, N ~ CN(0, σ_CSI² I) (eqnet.txt L1060-1066).
    h: complex[B, Nr, Nt] (or any shape) torch or numpy; error_var: scalar or
    [B] (one variance per batch element)  ->  same type, shape, dtype, device.
    """
    is_np = isinstance(h, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(h)) if is_np else h
    if not isinstance(t, torch.Tensor) or not t.is_complex():
        raise ValueError(f"H: expected a complex tensor/array, got {type(h).__name__} "
                         f"{getattr(h, 'dtype', '')}")
    ev = torch.as_tensor(np.asarray(error_var) if not isinstance(error_var, torch.Tensor) else error_var,
                         dtype=torch.float64)
    if torch.any(ev < 0) or not torch.all(torch.isfinite(ev)):
        raise ValueError(f"error_var: must be finite and >= 0, got {error_var!r}")
    if ev.ndim == 1:
        if t.ndim < 1 or ev.shape[0] != t.shape[0]:
            raise ValueError(f"error_var: shape {tuple(ev.shape)} does not match H batch {tuple(t.shape)[:1]}")
        ev = ev.reshape(-1, *([1] * (t.ndim - 1)))
    elif ev.ndim > 1:
        raise ValueError(f"error_var: expected a scalar or [B], got shape {tuple(ev.shape)}")
    e = complex_normal(tuple(t.shape), generator, t.device, t.dtype)
    out = t + e * ev.sqrt().to(device=t.device, dtype=e.real.dtype)
    return out.numpy() if is_np else out


def csi_error_var(csi_snr_db, channel_variance: float) -> float:
    """σ_w² for RE-MIMO's CSI-error SNR, eq. (28) (remimo.txt L366-370):
    SNR_csi = E‖H‖_F² / E‖W‖_F² = channel_variance / σ_w²  ->  σ_w² = channel_variance / 10^(dB/10).
    RE-MIMO uses 20 dB with channel_variance = 1/Nr."""
    if not float(channel_variance) > 0:
        raise ValueError(f"channel_variance: {channel_variance!r} is not > 0")
    return float(channel_variance) / 10.0 ** (float(csi_snr_db) / 10.0)


def imperfect_csi_snr(h, csi_snr_db, channel_variance: Optional[float] = None,
                      generator: Optional[torch.Generator] = None):
    """H* = H + W with σ_w² set by the CSI SNR in dB, eq. (28) (remimo.txt L359-370).

    channel_variance: E|h_ij|² of the channel model (e.g. ``model.entry_variance``);
    None estimates E‖H‖_F²/(Nr·Nt) from the batch (mean |h|² over all entries).
    """
    if channel_variance is None:
        t = torch.as_tensor(h)
        channel_variance = float((t.abs() ** 2).mean())
    return imperfect_csi(h, csi_error_var(csi_snr_db, channel_variance), generator)


# --------------------------------------------------------------------------------------
# CLI specs
# --------------------------------------------------------------------------------------

_SPEC_FORMS = (
    "rayleigh[:var=V]",
    "kron:r=R[,var=V] | kron:rt=R,rr=R[,var=V]   (R real or complex, |R| <= 1, e.g. 0.5 or 0.3+0.4j)",
    "remimo:rho=P[,partial][,var=V] | remimo:rho_min=A,rho_max=B[,partial][,var=V]   (var default 1/nr)",
    "ls:spread=DEG[,angles=A1/A2/...][,d=0.5][,gain=G][,model=eq13|integral]"
    "[,dist=gaussian|laplace|uniform][,seed=S][,sector=120][,minsep=0]",
    "tdl:A|B|C[,ds=NS][,nsc=K][,scs=HZ][,rt=R][,rr=R][,var=V]",
)


def channel_spec_forms() -> list[str]:
    """The channel spec forms accepted by :func:`make_channel`."""
    return list(_SPEC_FORMS)


class _SpecError(ValueError):
    pass


def _parse_float(key, text, nr, nt) -> float:
    t = text.strip().lower()
    if t in ("1/nt", "1/nr"):
        return 1.0 / (nt if t == "1/nt" else nr)
    try:
        v = float(t)
    except ValueError:
        raise _SpecError(f"{key}={text!r} is not a number") from None
    if not math.isfinite(v):
        raise _SpecError(f"{key}={text!r} is not finite")
    return v


def _parse_complex(key, text) -> complex:
    try:
        v = complex(text.strip().replace(" ", ""))
    except ValueError:
        raise _SpecError(f"{key}={text!r} is not a (complex) number") from None
    if not abs(v) <= 1:
        raise _SpecError(f"{key}={text!r} has |{key}| > 1")
    return v


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
    nr, nt = _check_dim("nr", nr), _check_dim("nt", nt)
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"channel spec {spec!r}: empty; allowed forms: " + "; ".join(_SPEC_FORMS))
    try:
        return _make(spec.strip(), nr, nt)
    except (_SpecError, ValueError) as err:
        raise ValueError(f"channel spec '{spec}': {err}; allowed forms: " + "; ".join(_SPEC_FORMS)) from None


def _make(spec: str, nr: int, nt: int) -> ChannelModel:
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    params: dict = {}
    flags: list = []
    if rest.strip():
        for item in rest.split(","):
            item = item.strip()
            if not item:
                raise _SpecError("empty parameter")
            if "=" in item:
                k, _, v = item.partition("=")
                k = k.strip().lower()
                if not k or k in params:
                    raise _SpecError(f"parameter '{k}' empty or given twice")
                params[k] = v.strip()
            else:
                flags.append(item)
    elif ":" in spec:
        raise _SpecError("no parameters after ':'")

    def allow(keys, allowed_flags=()):
        bad = [k for k in params if k not in keys]
        badf = [f for f in flags if f.lower() not in allowed_flags]
        if bad or badf:
            raise _SpecError(f"unknown parameter(s) {', '.join(bad + badf)} for '{name}' "
                             f"(allowed: {', '.join(list(keys) + list(allowed_flags))})")

    def fnum(key, default=None):
        return _parse_float(key, params[key], nr, nt) if key in params else default

    if name == "rayleigh":
        allow(("var",))
        return RayleighChannel(nr, nt, fnum("var", 1.0))
    if name in ("kron", "kronecker"):
        allow(("r", "rt", "rr", "var"))
        if "r" in params and ("rt" in params or "rr" in params):
            raise _SpecError("give r, or rt/rr, not both")
        if not any(k in params for k in ("r", "rt", "rr")):
            raise _SpecError("needs r=R or rt=R,rr=R")
        if "r" in params:
            rt = rr = _parse_complex("r", params["r"])
        else:
            rt = _parse_complex("rt", params["rt"]) if "rt" in params else 0.0
            rr = _parse_complex("rr", params["rr"]) if "rr" in params else 0.0
        rt = rt.real if isinstance(rt, complex) and rt.imag == 0 else rt
        rr = rr.real if isinstance(rr, complex) and rr.imag == 0 else rr
        return KroneckerChannel(nr, nt, rt, rr, fnum("var", 1.0))
    if name == "remimo":
        allow(("rho", "rho_min", "rho_max", "var"), ("partial",))
        partial = any(f.lower() == "partial" for f in flags)
        if "rho" in params and ("rho_min" in params or "rho_max" in params):
            raise _SpecError("give rho, or rho_min/rho_max, not both")
        if "rho" in params:
            rho = fnum("rho")
        elif "rho_min" in params and "rho_max" in params:
            rho = (fnum("rho_min"), fnum("rho_max"))
        else:
            raise _SpecError("needs rho=P or rho_min=A,rho_max=B")
        return RemimoCorrelatedChannel(nr, nt, rho, partial, fnum("var"))
    if name in ("ls", "local_scattering"):
        allow(("spread", "angles", "d", "gain", "model", "dist", "seed", "sector", "minsep"))
        if "spread" not in params:
            raise _SpecError("needs spread=DEG")
        angles = None
        if "angles" in params:
            parts = [p for p in params["angles"].replace(";", "/").split("/")]
            try:
                angles = [float(p) for p in parts]
            except ValueError:
                raise _SpecError(f"angles={params['angles']!r} is not a '/'-separated list of numbers") from None
            if len(angles) != nt:
                raise _SpecError(f"angles: {len(angles)} values for nt={nt} users")
        seed = params.get("seed", "0")
        try:
            seed = int(seed)
        except ValueError:
            raise _SpecError(f"seed={seed!r} is not an integer") from None
        gen = torch.Generator().manual_seed(seed)
        return LocalScatteringChannel(
            nr, nt, angles, spread_deg=fnum("spread"), antenna_spacing=fnum("d", 0.5), gain=fnum("gain", 1.0),
            model=params.get("model", "eq13").lower(), distribution=params.get("dist", "gaussian").lower(),
            generator=gen, sector_deg=fnum("sector", 120.0), min_separation_deg=fnum("minsep", 0.0))
    if name == "tdl":
        from .tdl import TDL_PROFILES, TdlChannel
        allow(("ds", "nsc", "scs", "rt", "rr", "var", "profile"), tuple(p.lower() for p in TDL_PROFILES))
        prof = [f.upper() for f in flags]
        if "profile" in params:
            prof.append(params["profile"].upper())
        if len(prof) != 1:
            raise _SpecError(f"needs exactly one profile out of {', '.join(TDL_PROFILES)}")
        nsc = params.get("nsc", "64")
        try:
            nsc = int(nsc)
        except ValueError:
            raise _SpecError(f"nsc={nsc!r} is not an integer") from None
        return TdlChannel(nr, nt, prof[0], delay_spread_ns=fnum("ds", 100.0), n_subcarriers=nsc,
                          subcarrier_spacing_hz=fnum("scs", 30e3),
                          r_tx=_parse_complex("rt", params["rt"]) if "rt" in params else 0.0,
                          r_rx=_parse_complex("rr", params["rr"]) if "rr" in params else 0.0,
                          variance=fnum("var", 1.0))
    raise _SpecError(f"unknown channel name '{name}'")
