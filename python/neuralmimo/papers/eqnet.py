# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net: LDPC-coded BLER of soft-bit compression and estimation (EQ-Net Figs. 5, 7, 8, 9; claims
E6, E8, E9, E10), with the scalar quantisers and the deep SISO quantiser [24] as baselines.

The coded link is eval/coded.py's: one 802.11n (648, 324) codeword per packet, interleaved,
i.i.d. Rayleigh held for a system's ``uses_per_channel`` channel uses (the reference code's 6 for
2x2 64-QAM), SNR convention "eqnet" (σ² = 1/SNR, Es/N0 per stream). EQ-Net comes from
train/configs/eqnet_2x2_qam64.toml and eqnet_4x4_qam16.toml, trained (or reused) under
runs/reproduce/<config name>; the deep SISO baseline is EQ-Net's autoencoder with Nt = 1 trained
on SISO Rayleigh soft bits (runs/reproduce/eqnet_siso_<constellation>).

Bit budgets are per soft bit: EQ-Net's codebook of b bits per latent feature spends
b·L/(Nt·K) bits per soft bit (2x2 64-QAM: L = 6 features for 12 soft bits, so 6 bits per
feature = 3 bits per soft bit, E10's 36-bit codeword; 4x4 16-QAM: L = 12 for 16, so 4 bits per
feature); the deep SISO one spends 3·b/K (3 features per symbol); a scalar quantiser of b bits
per LLR spends b. The scalar quantisers (max-MI, phy/maxmi.py; uniform with the MI-best clip) are
designed on the exact-ML LLRs of ``design_vectors`` vectors drawn over the training SNR range with
their bits: the data EQ-Net's codebooks see, so neither side is tuned per SNR.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .common import crossing_rows, train_or_reuse, write_table
from .study import Row, study


@dataclass(frozen=True)
class System:
    """One scenario of the BLER study: antennas, constellation, EQ-Net's training config and SNR
    range, the channel uses per Rayleigh draw, the evaluation SNRs, and the SISO training range of
    the deep SISO baseline (the per-stream SNRs its soft bits come from)."""
    nt: int
    nr: int
    const: str
    config: str
    train_snr: tuple
    uses_per_channel: int
    snrs: tuple
    siso_snr: tuple

    @property
    def key(self) -> str:
        return f"{self.nt}x{self.nr}_{self.const}"

    @property
    def run(self) -> str:
        return Path(self.config).stem


#: 2x2 64-QAM: the reference code's 6 uses per draw (9 draws per codeword). 4x4 16-QAM: 5 uses
#: (6 does not divide the 40 uses of a codeword), 8 draws per codeword.
SYSTEMS = {"2x2_qam64": System(2, 2, "qam64", "eqnet_2x2_qam64.toml", (10.0, 20.0), 6,
                               (10, 11, 12, 13, 14, 15, 16, 17, 18), (5.0, 30.0)),
           "4x4_qam16": System(4, 4, "qam16", "eqnet_4x4_qam16.toml", (3.0, 13.0), 5,
                               (3, 4, 5, 6, 7, 8, 9, 10, 11), (0.0, 25.0))}
MAIN = SYSTEMS["2x2_qam64"]
NT, NR, CONST, CONV = MAIN.nt, MAIN.nr, MAIN.const, "eqnet"
CONFIG, TRAIN_SNR, USES_PER_CHANNEL = MAIN.config, MAIN.train_snr, MAIN.uses_per_channel
#: bits per soft bit of the study's headline comparison (E10, the issue's goal)
HEADLINE_BITS = 3


def headline_codebook(features: int, soft_bits: int) -> int | None:
    """Bits per feature that spend HEADLINE_BITS per soft bit when ``features`` latent features carry
    ``soft_bits`` soft bits (None when no whole number does)."""
    bits, rest = divmod(HEADLINE_BITS * soft_bits, features)
    return bits if rest == 0 else None


def autoencoder_stage(snr_db, epochs: int, patience: int) -> dict:
    """A schedule stage that trains f_Q and g_Q alone (loss (15)), lr 3e-3 × 0.9 per epoch."""
    return {"name": "autoencoder", "snr_db": list(snr_db), "group": "quantizer", "settings": {"stage": "autoencoder"},
            "lr": 3e-3, "lr_decay": 0.9, "max_epochs": int(epochs), "patience": int(patience)}


def _tiny(train_steps: int, stages: list) -> dict:
    """Overrides of a tiny run (tests): each stage one epoch of ``train_steps`` steps, fresh batches."""
    return {"schedule": {"name": "stages", "stages": stages}, "train.steps_per_epoch": int(train_steps),
            "train.validation_vectors": 500, "model.codebook_samples": 4000, "data.batch": 256, "data.pool": 0}


def checkpoint(progress: bool, retrain: bool = False, train_steps: int | None = None,
               system: System = MAIN) -> Path:
    """The trained EQ-Net of ``system`` (stage 1 then stage 2, codebooks fitted). train_steps: tiny
    runs (tests), named apart so they are never reused as the full run."""
    if train_steps is None:
        return train_or_reuse(system.run, system.config, {}, progress, retrain)
    stages = [{"name": s, "snr_db": list(system.train_snr), "group": g, "settings": {"stage": s}, "lr": 3e-3,
               "max_epochs": 1, "patience": 1} for s, g in (("autoencoder", "quantizer"), ("estimation", "estimator"))]
    return train_or_reuse(f"{system.run}_steps{int(train_steps)}", system.config, _tiny(train_steps, stages),
                          progress, retrain)


def siso_checkpoint(progress: bool, retrain: bool = False, train_steps: int | None = None,
                    system: System = MAIN) -> Path:
    """The deep SISO quantiser [24] for ``system``'s constellation: EQ-Net's autoencoder with Nt = 1
    (K soft bits of one symbol -> 3 features -> K soft bits; the paper: "Nt = 1 recovers [24]"),
    trained on SISO Rayleigh ML soft bits over system.siso_snr, k-means++ codebooks per feature.
    Applied to a MIMO soft-bit matrix row by row, as the paper extends it (Sec. 3.4)."""
    stage = autoencoder_stage(system.siso_snr, 10, 3)
    o = {"data.nt": 1, "data.nr": 1, "model.latent": 3, "train.validation_snr_db": list(system.siso_snr),
         "data.pool": 200_000, "schedule": {"name": "stages", "stages": [stage]}}
    if train_steps is None:
        return train_or_reuse(f"eqnet_siso_{system.const}", system.config, o, progress, retrain)
    o.update(_tiny(train_steps, [{**stage, "max_epochs": 1, "patience": 1}]))
    return train_or_reuse(f"eqnet_siso_{system.const}_steps{int(train_steps)}", system.config, o, progress, retrain)


class Codec:
    """EQ-Net's quantisation path as an LLR transform: llr float32[B,Nt,K] -> soft bits -> f_Q ->
    (scalar quantiser per latent feature, if given) -> g_Q -> llr float32[B,Nt,K]. A model of fewer
    streams than the LLRs (the deep SISO baseline, Nt = 1) codes them in groups of its own Nt rows."""

    def __init__(self, model, quantizer=None):
        self.model, self.quantizer = model.eval(), quantizer

    def latent_roundtrip(self, z: torch.Tensor) -> torch.Tensor:
        if self.quantizer is None:
            return z
        q = self.quantizer
        return torch.from_numpy(q.decode(q.encode(z.numpy().astype(np.float32))))

    def __call__(self, llr):
        llr = torch.as_tensor(llr)
        rows = llr.reshape(-1, self.model.nt, llr.shape[-1])
        with torch.no_grad():
            z = self.model.encode_softbits(torch.tanh(0.5 * rows))
            return self.model.decode_latent(self.latent_roundtrip(z)).reshape(llr.shape).numpy()


class Estimation:
    """EQ-Net's estimation path g_Q(f_E(y, H, σ)) as a detector, optionally with the latent quantised
    (the compressed soft bits of a receiver that estimates and forwards them)."""

    def __init__(self, model, quantizer=None):
        self.codec = Codec(model, quantizer)

    def __call__(self, y, h, noise_var):
        from types import SimpleNamespace

        as_ri = lambda a: torch.stack([a.real, a.imag], -1).float()
        with torch.no_grad():
            z = self.codec.model.estimate_latent(as_ri(y), as_ri(h), torch.as_tensor(noise_var).float())
            return SimpleNamespace(llr=self.codec.model.decode_latent(self.codec.latent_roundtrip(z)))


def design_llrs(vectors: int, seed: int, system: System = MAIN) -> tuple[np.ndarray, np.ndarray]:
    """Exact-ML LLRs and their bits, float32[S], uint8[S], of `vectors` vectors over the system's
    training SNR range."""
    import neuralmimo as nm
    from ..train.config import DataConfig
    from ..train.data import DataSource

    data = DataSource(DataConfig(nt=system.nt, nr=system.nr, constellation=system.const, channel="rayleigh",
                                 snr_convention=CONV, batch=4096))
    b = data.sample(vectors, system.train_snr, torch.Generator().manual_seed(seed))
    ml = nm.detector("ml", constellation=system.const)
    out = ml(torch.complex(b.y[..., 0], b.y[..., 1]), torch.complex(b.h[..., 0], b.h[..., 1]), b.noise_var)
    return out.llr.numpy().ravel(), b.bits.numpy().ravel().astype(np.uint8)


def scalar_quantizers(bits_list, vectors: int = 50_000, seed: int = 77, system: System = MAIN) -> dict:
    """{"maxmi-<b>": ScalarQuantizer, "uniform-<b>": ScalarQuantizer} for b in bits_list, designed
    on design_llrs (module docstring)."""
    from ..phy.maxmi import design_max_mi, design_uniform_clip

    llr, bits = design_llrs(vectors, seed, system)
    out = {}
    for b in bits_list:
        out[f"maxmi-{b}"] = design_max_mi(llr, b, bit_values=bits)
        out[f"uniform-{b}"] = design_uniform_clip(llr, b, bit_values=bits)
    return out


def labels(system: System, latent: int, books, siso_books) -> dict:
    """{chain: (display name, the paper's statement)} of the BLER study of ``system``: the paper's
    quantisation claims (E6, E10) are for 2x2 64-QAM only, E9 covers both systems (Figs. 7, 8)."""
    from ..phy.constellation import constellation

    k = constellation(system.const).bits_per_symbol
    n = system.nt * k
    main = system == MAIN
    per_bit = lambda b, feats, bits: f"{b} bits × {feats} features = {b * feats / bits:g} bits/soft bit"
    out = {"ml": ("exact-ML soft bits, unquantised", "reference (Figs. 5, 7, 9)"),
           "eqnet-ae": (f"EQ-Net f_Q → g_Q, latent {latent}, unquantised",
                        "< 0.1 dB from ML (E6, Fig. 5)" if main else "not in the paper")}
    for b in sorted(books, reverse=True):
        paper = ("≈ ML; 0.65 dB ahead of max-MI (E10, Fig. 9)" if main else "goal ≤ 0.3 dB from ML") \
            if b == headline_codebook(latent, n) else "not in the paper"
        out[f"eqnet-q{b}"] = (f"EQ-Net, {per_bit(b, latent, n)}", paper)
    out["siso-ae"] = ("deep SISO [24] per stream, 3 features per symbol, unquantised", "not in the paper")
    for b in sorted(siso_books, reverse=True):
        out[f"siso-q{b}"] = (f"deep SISO [24], {per_bit(b, 3, k)}",
                             "EQ-Net needs 16 % fewer bits at equal BLER (E10)" if main else "not in the paper")
    for b in (3, 2):
        out[f"maxmi-{b}"] = (f"max-MI scalar, {b} bits per LLR",
                             "0.65 dB behind EQ-Net (E10)" if main and b == 3 else "not in the paper")
        out[f"uniform-{b}"] = (f"uniform scalar (MI-best clip), {b} bits per LLR", "not in the paper")
    est = "beats ZF/MMSE-SIC, trails SD (E9, Fig. 8)" if main else "beats ZF/MMSE-SIC, trails SD (E9, Fig. 7)"
    out.update({"eqnet-est": ("EQ-Net estimation g_Q(f_E(y, H, σ))", est),
                "eqnet-est-q": (f"EQ-Net estimation, latent quantised to {HEADLINE_BITS} bits/soft bit",
                                "not in the paper"),
                "lmmse": ("LMMSE soft bits", "Fig. 10 (large systems)"),
                "mmse-sic": ("MMSE-SIC, SINR-ordered (max-log)", "not in the paper"),
                "mmse-sic-qr": ("MMSE-SIC, random order, exact per stream (the paper's)", "behind EQ-Net (E9)")})
    return out


def _bler(system: System, out: Path, progress: bool, retrain: bool, train_steps, snrs, max_codewords: int,
          target_errors: int, design_vectors: int) -> list[Row]:
    """The BLER study of one system (eqnet_bler's docstring)."""
    import neuralmimo as nm
    from ..eval.coded import Chain, run_coded
    from ..eval.plot import plot_rows
    from ..models.checkpoint import model_from_checkpoint
    from ..phy.channels import make_channel
    from ..phy.quantizer import ScalarQuantizer

    model, _ = model_from_checkpoint(checkpoint(progress, retrain, train_steps, system))
    siso, _ = model_from_checkpoint(siso_checkpoint(progress, retrain, train_steps, system))
    model.eval()
    siso.eval()
    n_bits = model.n_bits
    books = {b: ScalarQuantizer.from_codebook(model.codebook(b), input="latent") for b in model.codebook_bits}
    siso_books = {b: ScalarQuantizer.from_codebook(siso.codebook(b), input="latent") for b in siso.codebook_bits}
    scalar = scalar_quantizers((2, 3), design_vectors, system=system)
    const = system.const
    sources = {name: nm.detector(name, constellation=const) for name in ("ml", "lmmse", "mmse-sic", "mmse-sic-qr")}
    sources["eqnet-est"] = Estimation(model)
    chains = {"ml": Chain("ml"), "eqnet-ae": Chain("ml", Codec(model))}
    chains.update({f"eqnet-q{b}": Chain("ml", Codec(model, q)) for b, q in sorted(books.items(), reverse=True)})
    chains["siso-ae"] = Chain("ml", Codec(siso))
    chains.update({f"siso-q{b}": Chain("ml", Codec(siso, q)) for b, q in sorted(siso_books.items(), reverse=True)})
    chains.update({name: Chain("ml", _scalar_transform(q)) for name, q in scalar.items()})
    chains.update({"eqnet-est": Chain("eqnet-est"), "lmmse": Chain("lmmse"), "mmse-sic": Chain("mmse-sic"),
                   "mmse-sic-qr": Chain("mmse-sic-qr")})
    headline = headline_codebook(model.latent, n_bits)
    if headline in books:
        sources["eqnet-est-q"] = Estimation(model, books[headline])
        chains["eqnet-est-q"] = Chain("eqnet-est-q")
    rows = run_coded(sources, chains, make_channel("rayleigh", system.nr, system.nt), system.nt, system.nr, const,
                     list(snrs or system.snrs), CONV, target_errors, max_codewords,
                     uses_per_channel=system.uses_per_channel, seed=5, progress=progress)
    name = f"eqnet_bler_{system.key}"
    write_table(rows, out / f"{name}.csv")
    caption = (f"{system.nt}x{system.nr} {const.upper().replace('QAM', '-QAM ')}, LDPC (648, 324), Rayleigh held "
               f"{system.uses_per_channel} uses, SNR convention eqnet")
    plot_rows([{**r, "detector": r["chain"]} for r in rows], out / f"{name}.png", caption)
    named = {c: v for c, v in labels(system, model.latent, books, siso_books).items() if c in chains}
    s, table = crossing_rows([{**r, "detector": r["chain"]} for r in rows], "bler", 1e-2, named)
    q = f"eqnet-q{headline}"
    siso_q = f"siso-q{headline_codebook(3, n_bits // system.nt)}"      # 3 features per symbol of K soft bits
    gaps = [(f"EQ-Net autoencoder (latent {model.latent}) minus ML", "eqnet-ae", "ml",
             "< 0.1 (E6)" if system == MAIN else "not in the paper"),
            (f"EQ-Net {HEADLINE_BITS} bits/soft bit minus ML", q, "ml", "goal ≤ 0.3"),
            (f"max-MI {HEADLINE_BITS} bits minus EQ-Net {HEADLINE_BITS} bits/soft bit", f"maxmi-{HEADLINE_BITS}", q,
             "0.65 (E10)" if system == MAIN else "not in the paper"),
            (f"uniform {HEADLINE_BITS} bits minus EQ-Net {HEADLINE_BITS} bits/soft bit", f"uniform-{HEADLINE_BITS}",
             q, "not in the paper"),
            (f"deep SISO {HEADLINE_BITS} bits/soft bit minus EQ-Net {HEADLINE_BITS} bits/soft bit", siso_q, q,
             "> 0 (E10)" if system == MAIN else "not in the paper"),
            ("MMSE-SIC (paper's) minus EQ-Net estimation", "mmse-sic-qr", "eqnet-est", "> 0 (E9)")]
    table += [(f"{name} at BLER 1e-2 (dB)", f"{s[a] - s[b]:.2f}", paper) for name, a, b, paper in gaps
              if a in s and b in s]
    return table + [("codewords per point (max), block errors to stop; channel uses per Rayleigh draw",
                     f"{max_codewords}, {target_errors}; {system.uses_per_channel}", "10,000 packets (EA6); not stated")]


@study("eqnet-bler", "eqnet", trains=True)
def eqnet_bler(out: Path, progress: bool, retrain: bool = False, train_steps: int | None = None, snrs=None,
               max_codewords: int = 2000, target_errors: int = 100, design_vectors: int = 50_000) -> list[Row]:
    """EQ-Net Figs. 5, 8, 9 (claims E6, E9, E10) at 2x2 64-QAM: coded BLER against SNR of exact-ML soft bits,
    EQ-Net's autoencoder unquantised and with its k-means++ codebooks, the deep SISO baseline [24]
    and the scalar quantisers at the same bits per soft bit, EQ-Net's estimation path and the
    classical soft-bit sources. Each point runs until every chain has ``target_errors`` block
    errors or ``max_codewords`` codewords; the table gives each chain's SNR at BLER 1e-2 and the
    gaps the paper states."""
    return _bler(MAIN, out, progress, retrain, train_steps, snrs, max_codewords, target_errors, design_vectors)


@study("eqnet-bler-4x4", "eqnet", trains=True)
def eqnet_bler_4x4(out: Path, progress: bool, retrain: bool = False, train_steps: int | None = None, snrs=None,
                   max_codewords: int = 1000, target_errors: int = 100, design_vectors: int = 30_000) -> list[Row]:
    """EQ-Net Fig. 7 (claim E9) at 4x4 16-QAM, with the quantisation chains of eqnet-bler (the
    paper shows quantisation at 4x4 in no figure): the same chains and table as eqnet-bler."""
    return _bler(SYSTEMS["4x4_qam16"], out, progress, retrain, train_steps, snrs, max_codewords, target_errors,
                 design_vectors)


def _scalar_transform(q):
    """A scalar quantiser of LLRs as an LLR transform: llr float32[B,Nt,K] -> its levels."""
    def transform(llr):
        flat = np.asarray(llr, np.float32).reshape(len(llr), -1)
        return q.decode(q.encode(flat)).reshape(np.shape(llr))
    return transform
