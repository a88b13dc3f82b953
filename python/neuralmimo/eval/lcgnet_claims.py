# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LcgNet paper claims (lcgnet.txt): train with the shared trainer, measure, print beside the paper.

Three studies, each `python -m neuralmimo.cli.reproduce <task>`:

lcgnet-nmse-layers  NMSE versus layers at 30, 10 and 5 dB, 32x64 BPSK (Figs. 7-8, C3, C4, C6):
                    LcgNetV and LcgNetS trained layer by layer at that SNR (one network per SNR;
                    the network after layer l's fine-tuning is the l-layer point), CG with l
                    iterations, complex LMMSE and widely-linear LMMSE, on 10^4 test vectors
                    (the paper's test-set size) drawn apart from the training and validation data.
lcgnet-ber          BER versus SNR of LcgNetV for BPSK, QPSK and 16QAM, 32x64 (Figs. 10-11),
                    against LMMSE, WL-LMMSE and CG with as many iterations as LcgNetV has layers.
lcgnet-quant        QLcgNetV: soft (TanhSum, σ annealed) and hard uniform quantisers at 3 and 4
                    bits, SNR at BER 1e-4 against the unquantised LcgNetV (Fig. 15, C20), and the
                    step-size memory (C21).

Trained checkpoints go to runs/reproduce/ and are reused when present (delete them, or pass
--retrain, to train again).
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

CONFIG = "lcgnetv_32x64_bpsk.toml"
RUNS = Path("runs") / "reproduce"
NT, NR = 32, 64


def _toml(v) -> str:
    """A --set value in TOML syntax."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return f'"{v}"' if isinstance(v, str) else str(v).replace("(", "[").replace(")", "]")


def train(name: str, overrides: dict, progress: bool, retrain: bool = False, config: str = CONFIG) -> Path:
    """Train (or reuse) runs/reproduce/<name>; returns the final checkpoint path."""
    from ..train import CONFIG_DIR, Trainer, load_config

    out = RUNS / name
    final = out / "final.pt"
    if final.is_file() and not retrain:
        return final
    sets = [f"{k}={_toml(v)}" for k, v in overrides.items()] + [f"train.out={_toml(str(out))}"]
    cfg = load_config(Path(CONFIG_DIR) / config, sets)
    resume = (out / "last.pt").is_file() and not retrain
    result = Trainer(cfg, quiet=not progress).fit(resume=resume, overwrite=retrain)
    if not result.finished:
        raise RuntimeError(f"training {name} stopped before the end of its schedule")
    return result.final


def test_set(snr_db: float, vectors: int, seed: int, constellation: str = "bpsk"):
    """Test vectors from the trainer's own data source with a seed no training run uses."""
    from ..train.config import DataConfig
    from ..train.data import DataSource

    data = DataSource(DataConfig(nt=NT, nr=NR, constellation=constellation, channel="rayleigh:var=1/nt",
                                 snr_convention="lcgnet", batch=vectors))
    return data.sample(vectors, (snr_db, snr_db), torch.Generator().manual_seed(seed))


def nmse_db(estimate_ri: torch.Tensor, x_ri: torch.Tensor) -> float:
    """Eq. 26: 10 log10 E{‖x̂ − x‖² / ‖x‖²} over vectors (the trainer's metric); [B, Nt, 2] float."""
    from ..train.losses import per_vector_nmse

    return 10 * math.log10(float(per_vector_nmse(estimate_ri, x_ri).mean()))


def _classical_nmse(batch, dets: dict) -> dict:
    y = torch.view_as_complex(batch.y.contiguous())
    h = torch.view_as_complex(batch.h.contiguous())
    return {label: nmse_db(torch.view_as_real(d(y, h, batch.noise_var).estimate), batch.x)
            for label, d in dets.items()}


def _model_nmse(path: Path, batch) -> float:
    from ..train.checkpoint import model_from_checkpoint

    model, _ = model_from_checkpoint(path)
    with torch.no_grad():
        return nmse_db(model.forward_train(batch.y, batch.h, batch.noise_var)["estimate"], batch.x)


def nmse_layers(out: Path, progress: bool, retrain: bool = False) -> list[tuple]:
    import neuralmimo as nm

    plan = ((30.0, 8), (10.0, 7), (5.0, 7))
    rows = []
    for snr, layers in plan:
        batch = test_set(snr, 10_000, seed=9000 + int(snr))
        base = _classical_nmse(batch, {"lmmse": nm.detector("lmmse", constellation="bpsk"),
                                       "wl-lmmse": nm.detector("wl-lmmse", constellation="bpsk")})
        for label, v in base.items():
            rows += [{"snr_db": snr, "layers": l, "detector": label, "nmse_db": v} for l in range(1, layers + 1)]
        for l in range(1, layers + 1):
            cg = nm.detector("cg", constellation="bpsk", iterations=l, form="real", llr_variance="diag")
            rows.append({"snr_db": snr, "layers": l, "detector": "cg",
                         "nmse_db": _classical_nmse(batch, {"cg": cg})["cg"]})
        for variant in ("V", "S"):
            name = f"lcgnet{variant.lower()}_32x64_bpsk_{snr:g}dB"
            train(name, {"model.variant": variant, "model.layers": layers, "schedule.layers": layers,
                         "schedule.snr_curriculum_db": [[snr, snr]], "train.stage_checkpoints": True},
                  progress, retrain)
            for l in range(1, layers + 1):
                ckpt = next((RUNS / name / "stages").glob(f"*-{snr:g}dB-L{l}-all.pt"))
                rows.append({"snr_db": snr, "layers": l, "detector": f"lcgnet{variant}",
                             "nmse_db": _model_nmse(ckpt, batch)})
    _write(rows, out / "lcgnet_nmse_layers.csv")
    _plot_nmse(rows, plan, out / "lcgnet_nmse_layers.png")
    get = {(r["snr_db"], r["layers"], r["detector"]): r["nmse_db"] for r in rows}
    reach = next((l for l in range(1, 9) if get[(30.0, l, "lcgnetV")] <= -30.0), None)
    reach_s = next((l for l in range(1, 9) if get[(30.0, l, "lcgnetS")] <= -30.0), None)
    reach_cg = next((l for l in range(1, 9) if get[(30.0, l, "cg")] <= -30.0), None)
    v7, s7 = get[(30.0, 7, "lcgnetV")], get[(30.0, 7, "lcgnetS")]
    table = [
        ("layers for −30 dB NMSE at 30 dB: LcgNetV / LcgNetS / CG", f"{reach} / {reach_s or '>8'} / {reach_cg or '>8'}",
         "7 / 14 / 14 (C3, L1220-1222)"),
        ("NMSE at 30 dB, 7 layers: LcgNetV / LcgNetS / CG (dB)",
         f"{v7:.2f} / {s7:.2f} / {get[(30.0, 7, 'cg')]:.2f}", "≈ −30 / not stated / not stated"),
        ("LcgNetV gain over LcgNetS at 30 dB, 7 layers (dB)", f"{s7 - v7:.2f}", "6.72 (C4, L1223-1225)"),
    ]
    for snr, paper in ((5.0, "3.35"), (10.0, "3.08")):
        v6 = get[(snr, 6, "lcgnetV")]
        table.append((f"LcgNetV (6 layers) gain over complex LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'lmmse')] - v6:.2f}", f"{paper} (C6, L1233-1235)"))
        table.append((f"LcgNetV (6 layers) gain over WL-LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'wl-lmmse')] - v6:.2f}", "not in the paper"))
        table.append((f"LcgNetS (6 layers) minus complex LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'lcgnetS')] - get[(snr, 6, 'lmmse')]:.2f}", "≈ 0 (C10: LcgNetS equals LMMSE)"))
    return table


def _write(rows: list[dict], path: Path) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _plot_nmse(rows, plan, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(plan), figsize=(5 * len(plan), 4.2))
    styles = {"lcgnetV": "o-", "lcgnetS": "s-", "cg": "^-", "lmmse": "--", "wl-lmmse": ":"}
    for ax, (snr, layers) in zip(axes, plan):
        for det, style in styles.items():
            pts = [(r["layers"], r["nmse_db"]) for r in rows if r["snr_db"] == snr and r["detector"] == det]
            ax.plot(*zip(*pts), style, label=det)
        ax.set_title(f"32x64 BPSK, {snr:g} dB (lcgnet SNR)")
        ax.set_xlabel("layers / iterations")
        ax.set_ylabel("NMSE (dB)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    return run_eval(detectors, make_channel("rayleigh:var=1/nt", NR, NT), cfg, progress=progress)


def ber(out: Path, progress: bool, retrain: bool = False) -> list[tuple]:
    import neuralmimo as nm

    from .crossing import snr_at
    from .plot import plot_rows, write_csv

    from ..detectors.torch_model import TorchModelDetector
    from ..train.checkpoint import model_from_checkpoint

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
                      {"bpsk": "LcgNetV beats LMMSE and CG (C10, Fig. 10)",
                       "qpsk": "LcgNetV beats LMMSE by less than for BPSK (C12, Fig. 11)",
                       "qam16": "all but SD perform similarly (C12, Fig. 11)"}[const]))
    return table


# -- quantisation ---------------------------------------------------------------------------------------

QUANT_STAGES = ((10.0, 1e-2), (50.0, 5e-3), (100.0, 1e-3))   # (σ, lr): the paper's σ, 100x its lr


def quant_model(bits: int, progress: bool, retrain: bool = False) -> Path:
    base = ber_model("bpsk", progress, retrain=False)
    snr = BER_PLAN["bpsk"][0][-1]
    stages = [{"name": f"sigma{int(s)}", "snr_db": snr, "group": "quantizer", "lr": lr, "max_epochs": 6,
               "patience": 2, "settings": {"quant_sigma": s, "quant_step": "auto"}} for s, lr in QUANT_STAGES]
    return _train_stages(f"qlcgnetv{bits}_32x64_bpsk", base, bits, stages, progress, retrain)


def _train_stages(name, base: Path, bits: int, stages: list, progress: bool, retrain: bool) -> Path:
    from ..train import CONFIG_DIR, Trainer
    from ..train.config import apply_overrides, config_from_dict

    import tomllib

    raw = tomllib.loads((Path(CONFIG_DIR) / CONFIG).read_text())
    raw = apply_overrides(raw, [(["model", "layers"], BER_LAYERS), (["model", "quant_bits"], bits),
                                (["model", "quantizer"], "soft"), (["train", "init_from"], str(base)),
                                (["train", "out"], str(RUNS / name))])
    raw["schedule"] = {"name": "stages", "stages": stages}
    out = RUNS / name
    if (out / "final.pt").is_file() and not retrain:
        return out / "final.pt"
    cfg = config_from_dict(raw, source=CONFIG)
    result = Trainer(cfg, quiet=not progress).fit(overwrite=True)
    return result.final


def _hard_quantised(base: Path, bits: int):
    """The uniform hard staircase (19)-(21) applied to the trained steps, no training."""
    from ..models.lcgnet import LcgNet
    from ..train.checkpoint import model_from_checkpoint

    trained, _ = model_from_checkpoint(base)
    cfg = {**trained.config(), "quant_bits": bits, "quantizer": "hard"}
    cfg.pop("family")
    model = LcgNet(**cfg)
    model.load_state_dict(trained.state_dict(), strict=False)
    model.apply_settings(quant_step="auto")
    return model.eval()


def quant(out: Path, progress: bool, retrain: bool = False) -> list[tuple]:
    from ..detectors.torch_model import TorchModelDetector
    from ..models.lcgnet import LcgNet
    from ..train.checkpoint import model_from_checkpoint
    from .crossing import snr_at
    from .plot import plot_rows, write_csv

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
         f"{s['soft-3bit'] - s['lcgnetV']:.2f} / {s['soft-4bit'] - s['lcgnetV']:.2f}", "0.55 / 0.27 (C20)"),
        ("loss at BER 1e-4, 3-bit hard / 4-bit hard (dB)",
         f"{s['hard-3bit'] - s['lcgnetV']:.2f} / {s['hard-4bit'] - s['lcgnetV']:.2f}",
         "larger than soft; 3-bit soft beats 4-bit hard (C19)"),
        ("distinct step values after soft quantisation, 3 / 4 bits", f"{levels[3]} / {levels[4]}",
         "≤ 7 / ≤ 15; 12 of 15 stairs used at 4 bits (C22)"),
        (f"step-size memory, {BER_LAYERS} layers: 32-bit / 3-bit (bits)",
         f"{trained.step_memory_bits(32)} / {trained.step_memory_bits(3)}", "n/a"),
        ("step-size memory, 15 layers: 32-bit / 3-bit (bits)",
         f"{v15.step_memory_bits(32)} / {v15.step_memory_bits(3)}", "61440 / 5760 (C21)"),
    ]
