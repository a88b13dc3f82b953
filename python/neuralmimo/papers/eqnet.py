# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""EQ-Net: LDPC-coded BLER of soft-bit compression and estimation (EQ-Net Figs. 5, 8, 9; claims
E6, E9, E10), with the scalar quantisers as baselines.

The coded link is eval/coded.py's: one 802.11n (648, 324) codeword per packet, interleaved,
i.i.d. Rayleigh held for ``USES_PER_CHANNEL`` channel uses (the reference code's 6), SNR
convention "eqnet" (σ² = 1/SNR, Es/N0 per stream). EQ-Net comes from
train/configs/eqnet_2x2_qam64.toml, trained (or reused) under runs/reproduce/eqnet_2x2_qam64.

Bit budgets are per soft bit: EQ-Net's codebook of b bits per latent feature spends
b·L/(Nt·K) bits per soft bit (2x2 64-QAM: L = 6 features for 12 soft bits, so 6 bits per
feature = 3 bits per soft bit, E10's 36-bit codeword); a scalar quantiser of b bits per LLR spends b.
The scalar quantisers (max-MI, phy/maxmi.py; uniform with the MI-best clip) are designed on the
exact-ML LLRs of ``design_vectors`` vectors drawn over the training SNR range with their bits: the
data EQ-Net's codebooks see, so neither side is tuned per SNR.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .common import crossing_rows, train_or_reuse, write_table
from .study import Row, study

NT, NR, CONST, CONV = 2, 2, "qam64", "eqnet"
CONFIG = "eqnet_2x2_qam64.toml"
TRAIN_SNR = (10.0, 20.0)
USES_PER_CHANNEL = 6
SNRS = [10, 11, 12, 13, 14, 15, 16, 17, 18]


def checkpoint(progress: bool, retrain: bool = False, train_steps: int | None = None) -> Path:
    """The trained EQ-Net (stage 1 then stage 2, codebooks fitted). train_steps: tiny runs (tests),
    each stage one epoch of that many steps, named apart so they are never reused as the full run."""
    if train_steps is None:
        return train_or_reuse("eqnet_2x2_qam64", CONFIG, {}, progress, retrain)
    stages = [{"name": s, "snr_db": list(TRAIN_SNR), "group": g, "settings": {"stage": s}, "lr": 3e-3,
               "max_epochs": 1, "patience": 1} for s, g in (("autoencoder", "quantizer"), ("estimation", "estimator"))]
    o = {"schedule": {"name": "stages", "stages": stages}, "train.steps_per_epoch": int(train_steps),
         "train.validation_vectors": 500, "model.codebook_samples": 4000, "data.batch": 256}
    return train_or_reuse(f"eqnet_2x2_qam64_steps{int(train_steps)}", CONFIG, o, progress, retrain)


class Codec:
    """EQ-Net's quantisation path as an LLR transform: llr float32[B,Nt,K] -> soft bits -> f_Q ->
    (scalar quantiser per latent feature, if given) -> g_Q -> llr float32[B,Nt,K]."""

    def __init__(self, model, quantizer=None):
        self.model, self.quantizer = model.eval(), quantizer

    def latent_roundtrip(self, z: torch.Tensor) -> torch.Tensor:
        if self.quantizer is None:
            return z
        q = self.quantizer
        return torch.from_numpy(q.decode(q.encode(z.numpy().astype(np.float32))))

    def __call__(self, llr):
        with torch.no_grad():
            z = self.model.encode_softbits(torch.tanh(0.5 * torch.as_tensor(llr)))
            return self.model.decode_latent(self.latent_roundtrip(z)).numpy()


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


def design_llrs(vectors: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact-ML LLRs and their bits, float32[S], uint8[S], of `vectors` vectors over TRAIN_SNR."""
    import neuralmimo as nm
    from ..train.config import DataConfig
    from ..train.data import DataSource

    data = DataSource(DataConfig(nt=NT, nr=NR, constellation=CONST, channel="rayleigh", snr_convention=CONV,
                                 batch=4096))
    b = data.sample(vectors, TRAIN_SNR, torch.Generator().manual_seed(seed))
    ml = nm.detector("ml", constellation=CONST)
    out = ml(torch.complex(b.y[..., 0], b.y[..., 1]), torch.complex(b.h[..., 0], b.h[..., 1]), b.noise_var)
    return out.llr.numpy().ravel(), b.bits.numpy().ravel().astype(np.uint8)


def scalar_quantizers(bits_list, vectors: int = 50_000, seed: int = 77) -> dict:
    """{"maxmi-<b>": ScalarQuantizer, "uniform-<b>": ScalarQuantizer} for b in bits_list, designed
    on design_llrs (module docstring)."""
    from ..phy.maxmi import design_max_mi, design_uniform_clip

    llr, bits = design_llrs(vectors, seed)
    out = {}
    for b in bits_list:
        out[f"maxmi-{b}"] = design_max_mi(llr, b, bit_values=bits)
        out[f"uniform-{b}"] = design_uniform_clip(llr, b, bit_values=bits)
    return out


#: (display name, the paper's statement) per chain of the BLER study
LABELS = {"ml": ("exact-ML soft bits, unquantised", "reference (Figs. 5, 9)"),
          "eqnet-ae": ("EQ-Net f_Q → g_Q, latent 6, unquantised", "< 0.1 dB from ML (E6, Fig. 5)"),
          "eqnet-q6": ("EQ-Net, 6 bits × 6 features = 3 bits/soft bit", "≈ ML; 0.65 dB ahead of max-MI (E10, Fig. 9)"),
          "eqnet-q5": ("EQ-Net, 5 bits × 6 features = 2.5 bits/soft bit", "Fig. 9 (5 bits per feature)"),
          "eqnet-q4": ("EQ-Net, 4 bits × 6 features = 2 bits/soft bit", "not in the paper"),
          "maxmi-3": ("max-MI scalar, 3 bits per LLR", "0.65 dB behind EQ-Net (E10)"),
          "uniform-3": ("uniform scalar (MI-best clip), 3 bits per LLR", "not in the paper"),
          "maxmi-2": ("max-MI scalar, 2 bits per LLR", "not in the paper"),
          "uniform-2": ("uniform scalar (MI-best clip), 2 bits per LLR", "not in the paper"),
          "eqnet-est": ("EQ-Net estimation g_Q(f_E(y, H, σ))", "beats ZF/MMSE-SIC, trails SD (E9, Fig. 8)"),
          "eqnet-est-q6": ("EQ-Net estimation, latent quantised to 6 bits", "not in the paper"),
          "lmmse": ("LMMSE soft bits", "Fig. 10 (large systems)"),
          "mmse-sic": ("MMSE-SIC, SINR-ordered (max-log)", "not in the paper"),
          "mmse-sic-qr": ("MMSE-SIC, random order, exact per stream (the paper's)", "behind EQ-Net (E9, Fig. 8)")}


@study("eqnet-bler", "eqnet", trains=True)
def eqnet_bler(out: Path, progress: bool, retrain: bool = False, train_steps: int | None = None, snrs=None,
               max_codewords: int = 2000, target_errors: int = 100, design_vectors: int = 50_000) -> list[Row]:
    """EQ-Net Figs. 5, 8, 9 (claims E6, E9, E10) at 2x2 64-QAM: coded BLER against SNR of exact-ML soft bits,
    EQ-Net's autoencoder unquantised and with its k-means++ codebooks, the scalar quantisers at the
    same bits per soft bit, EQ-Net's estimation path and the classical soft-bit sources. Each point
    runs until every chain has ``target_errors`` block errors or ``max_codewords`` codewords; the
    table gives each chain's SNR at BLER 1e-2 and the gaps the paper states."""
    import neuralmimo as nm
    from ..eval.coded import Chain, run_coded
    from ..eval.plot import plot_rows
    from ..models.checkpoint import model_from_checkpoint
    from ..phy.channels import make_channel
    from ..phy.quantizer import ScalarQuantizer

    model, _ = model_from_checkpoint(checkpoint(progress, retrain, train_steps))
    model.eval()
    books = {b: ScalarQuantizer.from_codebook(model.codebook(b), input="latent") for b in model.codebook_bits}
    scalar = scalar_quantizers((2, 3), design_vectors)
    sources = {name: nm.detector(name, constellation=CONST) for name in ("ml", "lmmse", "mmse-sic", "mmse-sic-qr")}
    sources["eqnet-est"] = Estimation(model)
    chains = {"ml": Chain("ml"), "eqnet-ae": Chain("ml", Codec(model))}
    chains.update({f"eqnet-q{b}": Chain("ml", Codec(model, q)) for b, q in sorted(books.items(), reverse=True)})
    chains.update({name: Chain("ml", _scalar_transform(q)) for name, q in scalar.items()})
    chains.update({"eqnet-est": Chain("eqnet-est"), "lmmse": Chain("lmmse"), "mmse-sic": Chain("mmse-sic"),
                   "mmse-sic-qr": Chain("mmse-sic-qr")})
    if max(books) == 6:
        sources["eqnet-est-q6"] = Estimation(model, books[6])
        chains["eqnet-est-q6"] = Chain("eqnet-est-q6")
    rows = run_coded(sources, chains, make_channel("rayleigh", NR, NT), NT, NR, CONST, list(snrs or SNRS), CONV,
                     target_errors, max_codewords, uses_per_channel=USES_PER_CHANNEL, seed=5, progress=progress)
    write_table(rows, out / "eqnet_bler_2x2_qam64.csv")
    plot_rows([{**r, "detector": r["chain"]} for r in rows], out / "eqnet_bler_2x2_qam64.png",
              "2x2 64-QAM, LDPC (648, 324), Rayleigh held 6 uses, SNR convention eqnet")
    labels = {c: LABELS[c] for c in chains}
    s, table = crossing_rows([{**r, "detector": r["chain"]} for r in rows], "bler", 1e-2, labels)
    gaps = [("EQ-Net autoencoder (latent 6) minus ML", "eqnet-ae", "ml", "< 0.1 (E6)"),
            ("EQ-Net 3 bits/soft bit minus ML", "eqnet-q6", "ml", "goal ≤ 0.3"),
            ("max-MI 3 bits minus EQ-Net 3 bits/soft bit", "maxmi-3", "eqnet-q6", "0.65 (E10)"),
            ("uniform 3 bits minus EQ-Net 3 bits/soft bit", "uniform-3", "eqnet-q6", "not in the paper"),
            ("MMSE-SIC (paper's) minus EQ-Net estimation", "mmse-sic-qr", "eqnet-est", "> 0 (E9)")]
    table += [(f"{name} at BLER 1e-2 (dB)", f"{s[a] - s[b]:.2f}", paper) for name, a, b, paper in gaps
              if a in s and b in s]
    return table + [("codewords per point (max), block errors to stop; channel uses per Rayleigh draw",
                     f"{max_codewords}, {target_errors}; {USES_PER_CHANNEL}", "10,000 packets (EA6); not stated")]


def _scalar_transform(q):
    """A scalar quantiser of LLRs as an LLR transform: llr float32[B,Nt,K] -> its levels."""
    def transform(llr):
        flat = np.asarray(llr, np.float32).reshape(len(llr), -1)
        return q.decode(q.encode(flat)).reshape(np.shape(llr))
    return transform


def stages_overrides(kind: str, seed: int, steps: int) -> dict:
    """E8's runs: "two-stage" (autoencoder then estimation, ``steps`` each) or "joint" (the
    single-stage baseline: f_E and g_Q on loss (15), 2·``steps``: the same number of updates), batch
    512, ``seed`` for the initial weights and the data; no codebooks (not used)."""
    common = {"snr_db": list(TRAIN_SNR), "lr": 3e-3, "lr_decay": 0.9, "max_epochs": 10, "patience": 10}
    if kind == "two-stage":
        stages = [{**common, "name": "autoencoder", "group": "quantizer", "settings": {"stage": "autoencoder"}},
                  {**common, "name": "estimation", "group": "estimator", "settings": {"stage": "estimation"}}]
        per_epoch = steps // 10
    elif kind == "joint":
        stages = [{**common, "name": "joint", "group": "joint", "settings": {"stage": "joint"}}]
        per_epoch = 2 * steps // 10
    else:
        raise ValueError(f"kind: {kind!r} is not 'two-stage' or 'joint'")
    return {"schedule": {"name": "stages", "stages": stages}, "train.steps_per_epoch": max(per_epoch, 1),
            "train.seed": int(seed), "data.batch": 512, "model.codebook_bits": [4], "model.codebook_samples": 2000}


@study("eqnet-stages", "eqnet", trains=True)
def eqnet_stages(out: Path, progress: bool, retrain: bool = False, seeds=(1, 2, 3), steps: int = 1000,
                 snrs=(14.0, 16.0), max_codewords: int = 400, target_errors: int = 10_000) -> list[Row]:
    """EQ-Net Fig. 6 (claim E8): two-stage training (autoencoder, then the estimation encoder against its
    frozen features) against the single-stage baseline (f_E and g_Q trained jointly on loss (15)),
    same architecture, same seed per pair (the same initial f_E and g_Q: the trainer seeds torch
    before building the model), the same number of updates (``steps`` per stage, 2·``steps`` joint);
    the coded BLER of each run's estimation path at ``snrs`` on the same packets."""
    import neuralmimo as nm
    from ..eval.coded import Chain, run_coded
    from ..models.checkpoint import model_from_checkpoint
    from ..phy.channels import make_channel

    sources = {"ml": nm.detector("ml", constellation=CONST)}
    chains = {"ml": Chain("ml")}
    for seed in seeds:
        for kind in ("two-stage", "joint"):
            name = f"{kind}-{seed}"
            ckpt = train_or_reuse(f"eqnet_stages/{kind}_seed{seed}_steps{steps}", CONFIG,
                                  stages_overrides(kind, seed, steps), progress, retrain)
            model, _ = model_from_checkpoint(ckpt)
            sources[name] = Estimation(model)
            chains[name] = Chain(name)
    rows = run_coded(sources, chains, make_channel("rayleigh", NR, NT), NT, NR, CONST, list(snrs), CONV,
                     target_errors, max_codewords, uses_per_channel=USES_PER_CHANNEL, seed=9, progress=progress)
    write_table(rows, out / "eqnet_stages.csv")
    table: list[Row] = []
    for snr in snrs:
        at = {r["chain"]: r for r in rows if r["snr_db"] == float(snr)}
        for kind, paper in (("two-stage", "lower BLER, more stable over 10 runs (E8, Fig. 6)"),
                            ("joint", "higher BLER (E8)")):
            for key, what in (("bler", "BLER"), ("channel_ber", "uncoded BER")):
                b = [at[f"{kind}-{s}"][key] for s in seeds]
                table.append((f"{what} at {snr:g} dB, {kind}: mean (min–max over seeds {list(seeds)})",
                              f"{np.mean(b):.3f} ({min(b):.3f}–{max(b):.3f})", paper))
        table.append((f"BLER at {snr:g} dB, exact ML", f"{at['ml']['bler']:.3f}", "reference"))
    return table + [("updates per run; codewords per point", f"{2 * steps} of 512; {max_codewords}",
                     "500 epochs, batch 32768 (Fig. 6)")]
