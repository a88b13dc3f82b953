# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""SNR conventions, each by name (docs/conventions.md, "SNR conventions").

Every convention maps an SNR in dB to σ², the noise variance per complex
receive dimension of y = Hx + n, n ~ CN(0, σ² I), for unit-average-energy
symbols x. Each one assumes a channel normalisation, recorded in
``CONVENTION_CHANNEL_VARIANCE`` (E|h_ij|² as a function of (nr, nt)) so that
the evaluation harness can pair a convention with its channel.

| name      | SNR definition (paper, equation)                   | channel E|h_ij|²    | σ²                 |
|-----------|----------------------------------------------------|---------------------|--------------------|
| rx        | E‖Hx‖²/E‖n‖² = per-receive-antenna SNR (default)   | 1                   | Nt/SNR             |
| detnet    | per sample: ‖H‖_F²/(Nt σ²) (DetNet's generator)    | any (scale-free)    | ‖H_b‖_F²/(Nt·SNR)  |
| lcgnet    | E‖s‖²/E‖n‖², LcgNet eq. (27)                       | 1/Nt (Sec. V-A)     | Nt/(Nr·SNR)        |
| remimo    | E‖Hx‖²/E‖n‖², RE-MIMO eq. (25)                     | 1/Nr (Sec. V-A)     | Nt/(Nr·SNR)        |
| hypermimo | E[(1/Nr)‖y‖²]/σ² = 1/σ², HyperMIMO eq. (15)        | 1/Nt (see below)    | 1/SNR              |
| eqnet     | Es/N0 (EQ-Net defines none, docs/papers.md)        | 1                   | 1/SNR              |

Notes per convention (the readings chosen where a paper is ambiguous):

rx: the project default. With CN(0, 1) H and unit-energy x,
  E‖Hx‖² = Nr·Nt and E‖n‖² = Nr·σ², so σ² = Nt/SNR.

detnet (DetNet and WeSNet): σ²_b = ‖H_b‖_F² / (Nt·SNR_b) per sample, the
  project's reading of DetNet's published generator
  (noise std √(trace(HᵀH)/K / SNR), K = Nt). WeSNet defines no SNR
  (its Section VI-B; docs/papers.md, "WeSNet") and is taken to use DetNet's. The
  realised ratio is, per sample, (E_x‖H_b x‖²/Nt) / σ²_b = SNR_b: the energy
  one user's unit symbol delivers to the whole array over the noise per
  antenna. It needs H ([B, Nr, Nt] -> σ² [B]). Caveat (real or complex system,
  docs/papers.md, "WeSNet"): DetNet's code applies the formula to a *real*
  system with σ² per real dimension;
  applying it to the real-valued equivalent of a complex system (2Nt columns,
  σ²/2 per real dimension) would give twice this σ² (−3 dB).

lcgnet: eq. (27) SNR = E‖s‖²/E‖n‖² = Nt/(Nr σ²) does not involve H; LcgNet's
  H has var 1/Nt (its Section V-A), so the per-receive-antenna SNR is (Nr/Nt)·SNR
  (+3 dB for 32×64; docs/papers.md, "LcgNet"). σ² does not depend on the channel.

remimo: eq. (25) SNR = E‖Hx‖²/E‖n‖² with h_ij ~ CN(0, 1/Nr) (Section V-A):
  E‖Hx‖² = Nt, so σ² = Nt/(Nr·SNR) = channel_variance·Nt/SNR. The same ratio as
  "rx" with the paper's channel scale; the total received SNR, so σ² scales
  with the number of users (docs/papers.md, "RE-MIMO").

hypermimo: HyperMIMO eq. (15) SNR = E[(1/Nr)‖y‖²]/σ² = 1/σ², so
  σ² = 1/SNR exactly as the paper writes. The middle ratio equals 1/σ² only if
  the received signal power per antenna is 1 (and the noise in y is left out
  of the numerator), i.e. E|h_ij|² = 1/Nu for unit-energy symbols. The paper
  also says each user has "an average gain of one" (Section IV-A), which with Nu
  users would make the per-antenna received SNR Nu·SNR (docs/papers.md,
  "HyperMIMO"). Reading chosen: eq. (15) (received power per antenna over σ²)
  wins, so the paired channel has E|h_ij|² = 1/Nt (LocalScatteringChannel with
  gain=1/nt), and with ``channel_variance`` given σ² = channel_variance·Nt/SNR.
  To reproduce the other reading use gain=1 with σ² = 1/SNR (i.e. this
  convention without channel_variance): the SNR axis then shifts by
  10·log10(Nu) dB (+7.8 dB for Nu = 6).

eqnet: EQ-Net states no SNR definition (neither with its model eq. (1) nor with
  its training data; docs/papers.md, "EQ-Net"), so the project calls it Es/N0.
  Reading chosen: Es = E|x_i|² = 1, the energy of one transmitted symbol per
  stream, and N0 = σ² (complex noise variance per
  receive dimension), so σ² = 1/SNR; channel i.i.d. CN(0, 1) (normalisation not
  stated), giving a per-receive-antenna SNR of Nt·Es/N0.

``channel_variance`` (optional) overrides the assumed E|h_ij|² for the
conventions whose ratio involves H in expectation (rx, remimo, hypermimo):
σ² = channel_variance·Nt/SNR, which keeps the named ratio equal to SNR for a
channel of that scale. It has no effect on lcgnet and eqnet (their ratio does
not involve H) nor on detnet (per-sample ‖H‖_F²).

Inputs may be numpy or torch: snr_db scalar or [B]; H complex[B, Nr, Nt] or
[Nr, Nt]. When snr_db or H is a torch tensor the result is a torch tensor (on
H's device, in H's real dtype when H is given); otherwise numpy float64.
"""
from __future__ import annotations

import numpy as np

DEFAULT = "rx"


def _is_torch(x) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the package
        return False
    return isinstance(x, torch.Tensor)


def _rx(snr_lin, nt, nr, h=None, v=None):
    v = 1.0 if v is None else v
    return v * nt / snr_lin


def _detnet(snr_lin, nt, nr, h=None, v=None):
    if h is None:
        raise ValueError("H: convention 'detnet' sets σ² per sample from ‖H‖_F²; pass H [B, Nr, Nt]")
    fro2 = (h.real ** 2 + h.imag ** 2).sum(-1).sum(-1)
    return fro2 / (nt * snr_lin)


def _lcgnet(snr_lin, nt, nr, h=None, v=None):
    return nt / (nr * snr_lin)


def _remimo(snr_lin, nt, nr, h=None, v=None):
    v = 1.0 / nr if v is None else v
    return v * nt / snr_lin


def _hypermimo(snr_lin, nt, nr, h=None, v=None):
    if v is None:
        return 1.0 / snr_lin
    return v * nt / snr_lin


def _eqnet(snr_lin, nt, nr, h=None, v=None):
    return 1.0 / snr_lin


_CONVENTIONS = {"rx": _rx, "detnet": _detnet, "lcgnet": _lcgnet, "remimo": _remimo,
                "hypermimo": _hypermimo, "eqnet": _eqnet}

#: E|h_ij|² of the channel each convention assumes, as a function of (nr, nt).
CONVENTION_CHANNEL_VARIANCE = {
    "rx": lambda nr, nt: 1.0,
    "detnet": lambda nr, nt: 1.0,          # scale-free; DetNet's generator uses unit-variance entries
    "lcgnet": lambda nr, nt: 1.0 / nt,     # LcgNet Section V-A
    "remimo": lambda nr, nt: 1.0 / nr,     # RE-MIMO Section V-A
    "hypermimo": lambda nr, nt: 1.0 / nt,  # eq. (15) holds with per-user gain 1/Nu (see module doc)
    "eqnet": lambda nr, nt: 1.0,           # not stated by EQ-Net; unit variance assumed
}

#: The ratio each convention sets equal to the SNR (for documentation and reports).
CONVENTION_RATIO = {
    "rx": "E‖Hx‖²/E‖n‖² (per receive antenna), H ~ CN(0,1)",
    "detnet": "per sample (‖H‖_F²/Nt)/σ²",
    "lcgnet": "E‖x‖²/E‖n‖² (LcgNet eq. 27), H ~ CN(0,1/Nt)",
    "remimo": "E‖Hx‖²/E‖n‖² (RE-MIMO eq. 25), H ~ CN(0,1/Nr)",
    "hypermimo": "E[(1/Nr)‖Hx‖²]/σ² = 1/σ² (HyperMIMO eq. 15), per-user gain 1/Nu",
    "eqnet": "Es/N0 = E|x_i|²/σ², H ~ CN(0,1)",
}


def snr_conventions() -> list[str]:
    """Names accepted by :func:`noise_var_from_snr` (the default first)."""
    return list(_CONVENTIONS)


def channel_variance_for(convention: str, nr: int, nt: int) -> float:
    """E|h_ij|² of the channel normalisation a convention assumes."""
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention: '{convention}' is not one of {', '.join(_CONVENTIONS)}")
    return float(CONVENTION_CHANNEL_VARIANCE[convention](int(nr), int(nt)))


def noise_var_from_snr(snr_db, nt: int, nr: int, convention: str = DEFAULT, H=None, channel_variance=None):
    """σ² per complex receive dimension for an SNR in dB under a named convention.

    snr_db: scalar or [B] (numpy or torch); nt, nr: antennas; H: optional
    complex[B, Nr, Nt] or [Nr, Nt] (numpy or torch), required by "detnet" and
    ignored by the others; channel_variance: optional E|h_ij|² override (see the
    module docstring).  ->  σ²: scalar or [B]; numpy float64, or a torch tensor
    when snr_db or H is one.
    """
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention: '{convention}' is not one of {', '.join(_CONVENTIONS)}")
    if channel_variance is not None and not float(channel_variance) > 0:
        raise ValueError(f"channel_variance: {channel_variance!r} is not > 0")
    v = None if channel_variance is None else float(channel_variance)
    if H is not None:
        shape = tuple(H.shape)
        if len(shape) not in (2, 3) or shape[-2:] != (nr, nt):
            raise ValueError(f"H: shape {shape} is not [B, {nr}, {nt}] or [{nr}, {nt}]")
    use_torch = _is_torch(snr_db) or _is_torch(H)
    if not use_torch:
        snr_lin = 10.0 ** (np.asarray(snr_db, dtype=np.float64) / 10.0)
        h = None
        if convention == "detnet" and H is not None:
            h = np.asarray(H).astype(np.complex128, copy=False)
        return _CONVENTIONS[convention](snr_lin, nt, nr, h, v)

    import torch

    if _is_torch(H):
        device, dtype = H.device, (H.real.dtype if H.is_complex() else H.dtype)
    elif _is_torch(snr_db):
        device = snr_db.device
        dtype = snr_db.dtype if snr_db.is_floating_point() else torch.get_default_dtype()
    else:  # pragma: no cover - unreachable
        device, dtype = torch.device("cpu"), torch.float64
    snr = torch.as_tensor(snr_db if _is_torch(snr_db) else np.asarray(snr_db, dtype=np.float64))
    snr_lin = 10.0 ** (snr.to(device=device, dtype=torch.float64) / 10.0)
    h = None
    if convention == "detnet" and H is not None:
        h = H if _is_torch(H) else torch.as_tensor(np.asarray(H))
        h = h.to(device=device, dtype=torch.complex128)
    out = _CONVENTIONS[convention](snr_lin, nt, nr, h, v)
    return torch.as_tensor(out, dtype=torch.float64, device=device).to(dtype)
