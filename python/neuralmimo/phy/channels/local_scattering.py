# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""HyperMIMO's local scattering channel (HyperMIMO Sec. IV-A, eq. 13-14) with user mobility (Fig. 6)."""
from __future__ import annotations

import math
from typing import Optional

import torch

from .common import (ChannelModel, DeviceCache, SpecArgs, SpecError, check_batch, check_dim, check_positive,
                     complex_normal, hermitian_sqrt, real_dtype)

__all__ = ["LocalScatteringChannel", "local_scattering_covariance", "draw_user_angles"]

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
    """Spatial covariance of the local scattering model (HyperMIMO Sec. IV-A).

    ULA with ``nr`` antennas spaced ``antenna_spacing`` wavelengths (the paper
    calls it d and does not give its value; 0.5 assumed);
    nominal angle φ (degrees from broadside), multipath angles φ + δ with δ of
    standard deviation σ_φ = ``spread_deg``.

    model="eq13" (the paper's choice): HyperMIMO eq. (13), the
      small-σ Gaussian approximation
      [C]_{m,n} = β e^{2πj d(m−n) sin φ} e^{−(σ_φ²/2)(2π d(m−n) cos φ)²}.
      Only ``distribution="gaussian"``.
    model="integral": the exact local scattering integral the approximation
      comes from (Björnson et al., the paper's ref. [13] Ch. 2.6)
      [C]_{m,n} = β ∫ e^{2πj d(m−n) sin(φ + δ)} f(δ) dδ,
      f Gaussian (the paper's, Sec. IV-A), Laplace or uniform with std σ_φ,
      computed in float64 by composite Simpson with ``n_quad`` nodes.

    The gain β = ``gain`` (the paper: perfect power control, "average gain of
    one", Sec. IV-A), so trace(C) = Nr·β and C is Hermitian PSD Toeplitz.
    angles_deg: float or [...]  ->  complex128[..., Nr, Nr] (CPU).
    """
    nr = check_dim("nr", nr)
    if model not in _LS_MODELS:
        raise ValueError(f"model: '{model}' is not one of {', '.join(_LS_MODELS)}")
    if distribution not in _LS_DISTRIBUTIONS:
        raise ValueError(f"distribution: '{distribution}' is not one of {', '.join(_LS_DISTRIBUTIONS)}")
    if model == "eq13" and distribution != "gaussian":
        raise ValueError(f"distribution: eq. 13 is the Gaussian approximation; use model='integral' "
                         f"for '{distribution}'")
    check_positive("spread_deg", spread_deg)
    check_positive("antenna_spacing", antenna_spacing)
    check_positive("gain", gain)
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
    """Nominal user angles for a user drop (HyperMIMO Sec. IV-A, Fig. 4).

    Uniform in the sector [−sector/2, sector/2] degrees around broadside (the
    paper: users "dropped with random nominal angles" in a 120° sector; the law
    is not stated; uniform assumed). The paper states no minimum
    separation; ``min_separation_deg`` > 0 draws users one by one, rejecting
    angles closer than that to an earlier user.
    -> float64[n_users] (CPU), in degrees, in drawing order.
    """
    n_users = check_dim("n_users", n_users)
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
    """HyperMIMO's local scattering channel (HyperMIMO Sec. IV-A and IV-B).

    Nt = Nu single-antenna users, one column each: h_u = U_u D_u^{1/2} U_uᴴ e,
    e ~ CN(0, I_Nr) (eq. 14), with C_u = U_u D_u U_uᴴ from
    :func:`local_scattering_covariance` (eq. 13 by default). Users are
    independent. σ_φ = 10° in the paper (Sec. IV-B), Nr = 12, Nu = 6.

    angles_deg: [Nt] nominal angles in degrees from broadside, or None to draw a
      drop with :func:`draw_user_angles` (uniform in a ``sector_deg`` sector,
      optional ``min_separation_deg``) from ``generator``.
    gain: β per user (paper: 1, Sec. IV-A). Note the SNR pairing in snr.py: under
      the "hypermimo" convention eq. (15) holds with β = 1/Nu.

    sample -> complex[batch, Nr, Nt]; user_covariances: complex128[Nt, Nr, Nr];
    covariance(): block structure E[h_{m,u} h*_{n,v}] = δ_uv C_u[m, n] for the
    row-major vec of H.

    Mobility (Sec. IV-C, Fig. 6): ``rotated`` (all users moved by an angle,
    per-user direction ±1), ``displaced`` (random 2D moves from r = 250 m), and
    ``sample_trajectory`` (angles changing at a constant rate per step). The
    paper changes only the spatial covariance with the user positions (no
    temporal fading correlation is described), so every step draws new e.
    """

    SPEC_NAMES = ("ls", "local_scattering")
    SPEC_FORM = ("ls:spread=DEG[,angles=A1/A2/...][,d=0.5][,gain=G][,model=eq13|integral]"
                 "[,dist=gaussian|laplace|uniform][,seed=S][,sector=120][,minsep=0]")

    def __init__(self, nr: int, nt: int, angles_deg=None, spread_deg: float = 10.0,
                 antenna_spacing: float = 0.5, gain: float = 1.0, model: str = "eq13",
                 distribution: str = "gaussian", generator: Optional[torch.Generator] = None,
                 sector_deg: float = 120.0, min_separation_deg: float = 0.0, n_quad: int = 4001):
        self.nr, self.nt = check_dim("nr", nr), check_dim("nt", nt)
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
        self._cache = DeviceCache()

    @classmethod
    def from_spec(cls, args: SpecArgs) -> "LocalScatteringChannel":
        """Without ``angles`` a user drop is drawn with ``seed`` (default 0)."""
        args.allow(("spread", "angles", "d", "gain", "model", "dist", "seed", "sector", "minsep"))
        if "spread" not in args.params:
            raise SpecError("needs spread=DEG")
        angles = None
        if "angles" in args.params:
            text = args.params["angles"]
            try:
                angles = [float(p) for p in text.replace(";", "/").split("/")]
            except ValueError:
                raise SpecError(f"angles={text!r} is not a '/'-separated list of numbers") from None
            if len(angles) != args.nt:
                raise SpecError(f"angles: {len(angles)} values for nt={args.nt} users")
        gen = torch.Generator().manual_seed(args.integer("seed", 0))
        return cls(args.nr, args.nt, angles, spread_deg=args.number("spread"),
                   antenna_spacing=args.number("d", 0.5), gain=args.number("gain", 1.0),
                   model=args.params.get("model", "eq13").lower(),
                   distribution=args.params.get("dist", "gaussian").lower(), generator=gen,
                   sector_deg=args.number("sector", 120.0), min_separation_deg=args.number("minsep", 0.0))

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
        batch = check_batch(batch)
        real_dtype(dtype)
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
        Sec. IV-C): φ_u + s_u·δ, s_u = ±1 per user (``directions``;
        None = all +1, counter-clockwise). The paper averages over both directions
        per user. Same statistics otherwise; the new C_u are recomputed."""
        return self._with_angles(self.angles_deg + self._directions(directions) * float(delta_deg))

    def displaced(self, distance_m: float, generator: Optional[torch.Generator] = None,
                  radius_m: float = 250.0) -> "LocalScatteringChannel":
        """Random 2D mobility (Fig. 6b, Sec. IV-C): each user, at distance ``radius_m``
        (paper: r = 250 m) and angle φ_u from broadside, moves ``distance_m`` in a
        uniformly random direction; the new nominal angle is that of the new
        position seen from the BS. Perfect power control (Sec. IV-A) keeps the gain."""
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
        steps = check_dim("steps", steps)
        t = torch.arange(steps, dtype=torch.float64)[:, None]
        return self.angles_deg[None, :] + t * float(rate_deg_per_step) * self._directions(directions)[None, :]

    def sample_trajectory(self, steps: int, batch: int, rate_deg_per_step: float, directions=None,
                          generator: Optional[torch.Generator] = None, device="cpu",
                          dtype=torch.complex64) -> torch.Tensor:
        """Channels of users moving in angle at a constant rate (degrees per step).

        The paper's angular mobility (Fig. 6a) moves every user by a given angle;
        the displacement rate is only on the figure axis, so it is a
        parameter here. Step t uses C_u(φ_u + s_u·t·rate); fading e is drawn anew
        each step (the paper describes no temporal correlation).
        -> complex[T, batch, Nr, Nt].
        """
        batch = check_batch(batch)
        real_dtype(dtype)
        ang = self.trajectory_angles(steps, rate_deg_per_step, directions)  # [T, Nt]
        sq = hermitian_sqrt(self._cov(ang)).to(device=device, dtype=dtype)  # [T, Nt, Nr, Nr]
        return self._draw(sq, batch, generator, device, dtype)

    def __repr__(self):
        ang = ", ".join(f"{a:.2f}" for a in self.angles_deg.tolist())
        return (f"LocalScatteringChannel(nr={self.nr}, nt={self.nt}, angles_deg=[{ang}], "
                f"spread_deg={self.spread_deg:g}, antenna_spacing={self.antenna_spacing:g}, gain={self.gain:g}, "
                f"model='{self.model}', distribution='{self.distribution}')")

