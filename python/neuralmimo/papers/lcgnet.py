# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""LcgNet: the 32x64 BPSK setting and its NMSE studies (LcgNet Sec. V-A, Figs. 7-8).

lcgnet-lmmse-nmse   NMSE of LMMSE, widely-linear LMMSE and CG versus iterations (no training).
lcgnet-nmse-layers  NMSE versus layers at 30, 10 and 5 dB: LcgNetV and LcgNetS trained layer by
                    layer at that SNR (one network per SNR; the network after layer l's fine-tuning
                    is the l-layer point), CG with l iterations, complex LMMSE and widely-linear
                    LMMSE, on 10^4 test vectors (the paper's test-set size) drawn apart from the
                    training and validation data.

The BER and quantisation studies are in lcgnet_ber.py. Trained checkpoints go to
runs/reproduce/ and are reused when present (delete them, or pass --retrain, to train again).
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

from .common import RUNS, eval_named, train_or_reuse, write_table
from .study import Row, study

CONFIG = "lcgnetv_32x64_bpsk.toml"
NT, NR = 32, 64
#: LcgNet's i.i.d. channel: entries CN(0, 1/Nt) (Sec. V-A)
CHANNEL = "rayleigh:var=1/nt"


def train(name: str, overrides: dict, progress: bool, retrain: bool = False) -> Path:
    """Train (or reuse) runs/reproduce/<name> from the LcgNetV 32x64 BPSK config."""
    return train_or_reuse(name, CONFIG, overrides, progress, retrain)


def test_set(snr_db: float, vectors: int, seed: int, constellation: str = "bpsk"):
    """Test vectors from the trainer's own data source with a seed no training run uses."""
    from ..train.config import DataConfig
    from ..train.data import DataSource

    data = DataSource(DataConfig(nt=NT, nr=NR, constellation=constellation, channel=CHANNEL,
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
    from ..models.checkpoint import model_from_checkpoint

    model, _ = model_from_checkpoint(path)
    with torch.no_grad():
        return nmse_db(model.forward_train(batch.y, batch.h, batch.noise_var)["estimate"], batch.x)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_iterations(rows, iters, path: Path) -> None:
    """CG NMSE versus iterations, with the LMMSE and WL-LMMSE levels, at 5, 10 and 30 dB."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    for snr, colour in zip((5.0, 10.0, 30.0), ("C0", "C1", "C2")):
        get = {r["detector"]: r["nmse_db"] for r in rows if r["snr_db"] == snr}
        ax.plot(iters, [get[f"cg-{i}"] for i in iters], "o-", color=colour, label=f"CG, {snr:g} dB")
        ax.axhline(get["lmmse"], color=colour, ls="--", label=f"LMMSE, {snr:g} dB")
        ax.axhline(get["wl-lmmse"], color=colour, ls=":", label=f"WL-LMMSE, {snr:g} dB")
    ax.set_xlabel("iterations")
    ax.set_ylabel("NMSE (dB)")
    ax.set_title("32x64 BPSK, Rayleigh var 1/Nt, SNR convention lcgnet")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_layers(rows, plan, path: Path) -> None:
    """NMSE versus layers, one panel per (SNR, layers) of the plan."""
    plt = _pyplot()
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


@study("lcgnet-lmmse-nmse", "lcgnet")
def lcgnet_lmmse_nmse(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    """LcgNet Figs. 7-8: 32x64 BPSK, Rayleigh with variance 1/Nt, SNR = E‖s‖²/E‖n‖² (eq. 27), NMSE of
    LMMSE, widely-linear LMMSE and CG (real-valued form, as LcgNet unfolds) versus iterations.
    The text (Sec. V-A) states: CG needs 14 iterations for −30 dB NMSE at 30 dB; LcgNetV beats LMMSE
    by 3.35 / 3.08 dB at 5 / 10 dB with 6 layers; the LMMSE line itself is only drawn."""
    from ..eval import write_csv
    from ..phy.channels import make_channel

    iters = list(range(1, 17))
    dets = [("lmmse", "lmmse", {}), ("wl-lmmse", "wl-lmmse", {})]
    dets += [(f"cg-{i}", "cg", {"iterations": i, "form": "real"}) for i in iters]
    # 27 dB: the nominal 30 dB less 10·log10(Nr/Nt), i.e. the received-SNR reading of the paper's 30 dB.
    rows = eval_named(dets, make_channel(CHANNEL, NR, NT), NT, NR, "bpsk", [5.0, 10.0, 27.0, 30.0], "lcgnet",
                      10**12, 20_000, 1, progress)
    write_csv(rows, out / "lcgnet_32x64_bpsk_nmse.csv")
    _plot_iterations(rows, iters, out / "lcgnet_32x64_bpsk_nmse.png")
    get = {(r["detector"], r["snr_db"]): r["nmse_db"] for r in rows}
    first = next((i for i in iters if get[(f"cg-{i}", 30.0)] <= -30.0), None)
    first27 = next((i for i in iters if get[(f"cg-{i}", 27.0)] <= -30.0), None)
    return [("LMMSE NMSE at 5 / 10 / 30 dB (dB)",
             " / ".join(f"{get[('lmmse', s)]:.2f}" for s in (5.0, 10.0, 30.0)), "drawn only (Figs. 7-8)"),
            ("WL-LMMSE NMSE at 5 / 10 / 30 dB (dB)",
             " / ".join(f"{get[('wl-lmmse', s)]:.2f}" for s in (5.0, 10.0, 30.0)), "not shown"),
            ("CG iterations to reach −30 dB at 30 dB", str(first), "14 (Sec. V-A, Fig. 7)"),
            ("CG NMSE at 14 iterations, 30 dB (dB)", f"{get[('cg-14', 30.0)]:.2f}", "≈ −30"),
            ("CG iterations to reach −30 dB at 27 dB", str(first27), "14 at the paper's 30 dB")]


def layer_study_overrides(variant: str, snr_db: float, layers: int) -> dict:
    """LcgNet<variant> trained layer by layer at one SNR, keeping every layer's checkpoint."""
    return {"model.variant": variant, "model.layers": layers, "schedule.layers": layers,
            "schedule.snr_curriculum_db": [[snr_db, snr_db]], "train.stage_checkpoints": True}


@study("lcgnet-nmse-layers", "lcgnet", trains=True)
def nmse_layers(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
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
            train(name, layer_study_overrides(variant, snr, layers), progress, retrain)
            for l in range(1, layers + 1):
                ckpt = next((RUNS / name / "stages").glob(f"*-{snr:g}dB-L{l}-all.pt"))
                rows.append({"snr_db": snr, "layers": l, "detector": f"lcgnet{variant}",
                             "nmse_db": _model_nmse(ckpt, batch)})
    write_table(rows, out / "lcgnet_nmse_layers.csv")
    _plot_layers(rows, plan, out / "lcgnet_nmse_layers.png")
    get = {(r["snr_db"], r["layers"], r["detector"]): r["nmse_db"] for r in rows}
    reach = next((l for l in range(1, 9) if get[(30.0, l, "lcgnetV")] <= -30.0), None)
    reach_s = next((l for l in range(1, 9) if get[(30.0, l, "lcgnetS")] <= -30.0), None)
    reach_cg = next((l for l in range(1, 9) if get[(30.0, l, "cg")] <= -30.0), None)
    v7, s7 = get[(30.0, 7, "lcgnetV")], get[(30.0, 7, "lcgnetS")]
    table = [
        ("layers for −30 dB NMSE at 30 dB: LcgNetV / LcgNetS / CG", f"{reach} / {reach_s or '>8'} / {reach_cg or '>8'}",
         "7 / 14 / 14 (Sec. V-A, Fig. 7)"),
        ("NMSE at 30 dB, 7 layers: LcgNetV / LcgNetS / CG (dB)",
         f"{v7:.2f} / {s7:.2f} / {get[(30.0, 7, 'cg')]:.2f}", "≈ −30 / not stated / not stated"),
        ("LcgNetV gain over LcgNetS at 30 dB, 7 layers (dB)", f"{s7 - v7:.2f}", "6.72 (Sec. V-A, Fig. 7)"),
    ]
    for snr, paper in ((5.0, "3.35"), (10.0, "3.08")):
        v6 = get[(snr, 6, "lcgnetV")]
        table.append((f"LcgNetV (6 layers) gain over complex LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'lmmse')] - v6:.2f}", f"{paper} (Sec. V-A, Fig. 8)"))
        table.append((f"LcgNetV (6 layers) gain over WL-LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'wl-lmmse')] - v6:.2f}", "not in the paper"))
        table.append((f"LcgNetS (6 layers) minus complex LMMSE at {snr:g} dB (dB)",
                      f"{get[(snr, 6, 'lcgnetS')] - get[(snr, 6, 'lmmse')]:.2f}",
                      "≈ 0 (Sec. V-B, Fig. 10: LcgNetS equals LMMSE)"))
    return table
