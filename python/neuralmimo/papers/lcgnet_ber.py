# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LcgNet: BER and step-size quantisation studies on the 32x64 setting (LcgNet Sec. V-B and V-D).

lcgnet-ber    BER versus SNR of LcgNetV for BPSK, QPSK and 16QAM, 32x64 (Figs. 10-11),
              against LMMSE, WL-LMMSE and CG with as many iterations as LcgNetV has layers.
lcgnet-quant  QLcgNetV: soft (TanhSum, σ annealed) and hard uniform quantisers at 3 and 4
              bits, SNR at BER 1e-4 against the unquantised LcgNetV (Fig. 15), and the
              step-size memory (Sec. V-D).
"""
from __future__ import annotations

from pathlib import Path

from .lcgnet import CHANNEL, NR, NT, train
from .study import Row, study

# -- BER ----------------------------------------------------------------------------------------------

BER_PLAN = {  # constellation: (SNR curriculum, evaluation SNRs, BER target for the crossing)
    "bpsk": ([[20, 30], [10, 20], [0, 10]], [0, 1, 2, 3, 4, 5, 6, 7], 1e-4),
    "qpsk": ([[20, 30], [10, 20], [3, 13]], [3, 5, 7, 9, 11], 1e-4),
    "qam16": ([[25, 30], [15, 25], [8, 20]], [8, 11, 14, 17, 20], 1e-3),
}
#: QPSK and 16QAM train with half-length epochs and at most 4 epochs per stage (the BPSK model is the
#: shipped config as it stands), to fit the study in about half an hour on 2 CPU cores.
SHORT_TRAINING = {"train.steps_per_epoch": 50, "schedule.max_epochs": 4}
BER_LAYERS = 10


def ber_model(const: str, progress: bool, retrain: bool = False) -> Path:
    """The BPSK model is configs/lcgnetv_32x64_bpsk.toml as it stands (the shipped one); QPSK and
    16QAM change the constellation and the curriculum."""
    curriculum = BER_PLAN[const][0]
    over = {"data.constellation": const, "model.layers": BER_LAYERS, "schedule.layers": BER_LAYERS,
            "schedule.snr_curriculum_db": curriculum}
    if const != "bpsk":
        over.update(SHORT_TRAINING)
    return train(f"lcgnetv_32x64_{const}", over, progress, retrain)


def _ber_rows(detectors: dict, const: str, snrs, target_errors: int, max_vectors: int, progress: bool):
    from ..eval import EvalConfig, run_eval
    from ..phy.channels import make_channel

    cfg = EvalConfig(nt=NT, nr=NR, constellation=const, snr_db=list(snrs), convention="lcgnet",
                     target_errors=target_errors, max_vectors=max_vectors, batch=2048, seed=77)
    return run_eval(detectors, make_channel(CHANNEL, NR, NT), cfg, progress=progress)


@study("lcgnet-ber", "lcgnet", trains=True)
def ber(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    import neuralmimo as nm

    from ..detectors.torch_model import TorchModelDetector
    from ..eval import plot_rows, write_csv
    from ..eval.crossing import snr_at
    from ..models.checkpoint import model_from_checkpoint

    table = []
    for const, (_, snrs, target) in BER_PLAN.items():
        ckpt = ber_model(const, progress, retrain)
        # BPSK / QPSK: hard decisions from the estimate (sign), no LLR variance needed; 16QAM: the
        # unbiased estimate behind the LLRs decides (see TorchModelDetector).
        cheap = const in ("bpsk", "qpsk")
        dets = {"lcgnetV": TorchModelDetector(model_from_checkpoint(ckpt)[0],
                                              decisions="estimate" if cheap else "llr"),
                "lmmse": nm.detector("lmmse", constellation=const),
                "wl-lmmse": nm.detector("wl-lmmse", constellation=const),
                f"cg-{BER_LAYERS}": nm.detector("cg", constellation=const, iterations=BER_LAYERS, form="real",
                                                llr_variance="diag" if cheap else "exact")}
        rows = _ber_rows(dets, const, snrs, 300, 100_000, progress)
        write_csv(rows, out / f"lcgnet_ber_32x64_{const}.csv")
        plot_rows(rows, out / f"lcgnet_ber_32x64_{const}.png",
                  f"32x64 {const}, Rayleigh var 1/Nt, lcgnet SNR; LcgNetV {BER_LAYERS} layers")
        s = {d: snr_at(rows, d, "ber", target) for d in dets}
        table.append((f"{const}: SNR at BER {target:g}, LcgNetV / LMMSE / WL-LMMSE / CG-{BER_LAYERS} (dB)",
                      " / ".join(f"{s[d]:.2f}" for d in dets),
                      {"bpsk": "LcgNetV beats LMMSE and CG (Sec. V-B, Fig. 10)",
                       "qpsk": "LcgNetV beats LMMSE by less than for BPSK (Sec. V-B, Fig. 11)",
                       "qam16": "all but SD perform similarly (Sec. V-B, Fig. 11)"}[const]))
    return table


# -- quantisation ---------------------------------------------------------------------------------------

QUANT_STAGES = ((10.0, 1e-2), (50.0, 5e-3), (100.0, 1e-3))   # (σ, lr): the paper's σ, 100x its lr


def quant_model(bits: int, progress: bool, retrain: bool = False) -> Path:
    base = ber_model("bpsk", progress, retrain=False)
    return train(f"qlcgnetv{bits}_32x64_bpsk", quant_overrides(bits, base), progress, retrain)


def quant_overrides(bits: int, base: Path) -> dict:
    """Soft-quantised steps fine-tuned from the trained BPSK model ``base``: only the quantiser
    group trains, σ annealed over QUANT_STAGES (a whole new schedule)."""
    snr = BER_PLAN["bpsk"][0][-1]
    stages = [{"name": f"sigma{int(s)}", "snr_db": snr, "group": "quantizer", "lr": lr, "max_epochs": 6,
               "patience": 2, "settings": {"quant_sigma": s, "quant_step": "auto"}} for s, lr in QUANT_STAGES]
    return {"model.layers": BER_LAYERS, "model.quant_bits": bits, "model.quantizer": "soft",
            "train.init_from": str(base), "schedule": {"name": "stages", "stages": stages}}


def _hard_quantised(base: Path, bits: int):
    """The uniform hard staircase (19)-(21) applied to the trained steps, no training."""
    from ..models.lcgnet import LcgNet
    from ..models.checkpoint import model_from_checkpoint

    trained, _ = model_from_checkpoint(base)
    cfg = {**trained.config(), "quant_bits": bits, "quantizer": "hard"}
    cfg.pop("family")
    model = LcgNet(**cfg)
    model.load_state_dict(trained.state_dict(), strict=False)
    model.apply_settings(quant_step="auto")
    return model.eval()


@study("lcgnet-quant", "lcgnet", trains=True)
def quant(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    from ..detectors.torch_model import TorchModelDetector
    from ..eval import plot_rows, write_csv
    from ..eval.crossing import snr_at
    from ..models.lcgnet import LcgNet
    from ..models.checkpoint import model_from_checkpoint

    base = ber_model("bpsk", progress)
    dets = {"lcgnetV": TorchModelDetector(model_from_checkpoint(base)[0], decisions="estimate")}
    levels = {}
    for bits in (3, 4):
        # deployed: the σ → ∞ staircase the exported model uses
        soft, _ = model_from_checkpoint(quant_model(bits, progress, retrain), deployed=True)
        dets[f"soft-{bits}bit"] = TorchModelDetector(soft, decisions="estimate")
        dets[f"hard-{bits}bit"] = TorchModelDetector(_hard_quantised(base, bits), decisions="estimate")
        levels[bits] = len(soft.steps_dict()["quantization"]["levels"])
    snrs = [1, 2, 3, 4, 5, 6, 7]
    rows = _ber_rows(dets, "bpsk", snrs, 300, 300_000, progress)
    write_csv(rows, out / "qlcgnet_ber_32x64_bpsk.csv")
    plot_rows(rows, out / "qlcgnet_ber_32x64_bpsk.png", f"QLcgNetV, 32x64 BPSK, {BER_LAYERS} layers")
    s = {d: snr_at(rows, d, "ber", 1e-4) for d in dets}
    v15 = LcgNet(NT, NR, "bpsk", layers=15)
    trained, _ = model_from_checkpoint(base)
    return [
        ("SNR at BER 1e-4, unquantised LcgNetV (dB)", f"{s['lcgnetV']:.2f}", "drawn only (Fig. 15)"),
        ("loss at BER 1e-4, 3-bit soft / 4-bit soft (dB)",
         f"{s['soft-3bit'] - s['lcgnetV']:.2f} / {s['soft-4bit'] - s['lcgnetV']:.2f}", "0.55 / 0.27 (Sec. V-D, Fig. 15)"),
        ("loss at BER 1e-4, 3-bit hard / 4-bit hard (dB)",
         f"{s['hard-3bit'] - s['lcgnetV']:.2f} / {s['hard-4bit'] - s['lcgnetV']:.2f}",
         "larger than soft; 3-bit soft beats 4-bit hard (Fig. 15)"),
        ("distinct step values after soft quantisation, 3 / 4 bits", f"{levels[3]} / {levels[4]}",
         "≤ 7 / ≤ 15; 12 of 15 stairs used at 4 bits (Fig. 16)"),
        (f"step-size memory, {BER_LAYERS} layers: 32-bit / 3-bit (bits)",
         f"{trained.step_memory_bits(32)} / {trained.step_memory_bits(3)}", "n/a"),
        ("step-size memory, 15 layers: 32-bit / 3-bit (bits)",
         f"{v15.step_memory_bits(32)} / {v15.step_memory_bits(3)}", "61440 / 5760 (Sec. V-D)"),
    ]
