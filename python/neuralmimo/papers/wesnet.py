# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""WeSNet: DetNet and the WeSNet variants on 30x60 BPSK (WeSNet Sections VI-C to VI-E).

wesnet-ber    BER versus SNR, 0-15 dB (Figs. 5, 7a, 9): every trained variant (papers/wesnet_variants.py),
              exported and pruned as it ships, beside ZF, LMMSE, WL-LMMSE, K-best and LcgNetV, with the
              SNR at BER 1e-3 and the paper's gaps there.
The cost of the same exported graphs (Table II, Fig. 12) needs flowgraphs, so it is a benchmark:
`python -m neuralmimo.cli.bench wesnet` (bench/wesnet.py).

Both train the variants they miss (about an hour on two cores for all of them; runs/reproduce/).
"""
from __future__ import annotations

from pathlib import Path

from .common import RUNS, train_or_reuse
from .study import Row, study
from .wesnet_variants import REMOVED, VARIANTS, variant_checkpoint

NT, NR, CONST, CONVENTION = 30, 60, "bpsk", "detnet"
SNRS = list(range(0, 16))
#: The exported graphs the two studies measure: label -> (variant, R-WeSNet layers removed).
EXPORTS = {**{name: (name, 0) for name in VARIANTS if not name.startswith("r_")},
           **{f"{name}_{k}L": (name, k) for name in VARIANTS if name.startswith("r_") for k in REMOVED}}
ONNX_DIR = RUNS / "wesnet_30x60" / "onnx"
#: LcgNetV on this system and convention: the shipped 32x64 recipe with the system changed.
LCGNET = {"data.nt": NT, "data.nr": NR, "data.channel": "rayleigh", "data.snr_convention": CONVENTION}


def exported(label: str, progress: bool, retrain: bool = False) -> Path:
    """runs/reproduce/wesnet_30x60/onnx/<label>.onnx, exported (pruned) from the variant's checkpoint
    the way `cli.export` does (train.checkpoint.deployed_from_checkpoint), so what is measured ships."""
    from ..export import export_detector
    from ..train.checkpoint import deployed_from_checkpoint, training_domain

    name, removed = EXPORTS[label]
    ckpt = variant_checkpoint(name, progress, retrain)
    path = ONNX_DIR / f"{label}.onnx"
    if retrain or not path.is_file() or path.stat().st_mtime < ckpt.stat().st_mtime:
        module, extra, _ = deployed_from_checkpoint(ckpt, {"remove_layers": removed} if removed else None)
        export_detector(module, path, manifest_extra=extra, domain=training_domain(extra))
    return path


@study("wesnet-ber", "wesnet", trains=True)
def ber(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    import neuralmimo as nm

    from ..eval import EvalConfig, plot_rows, run_eval, write_csv
    from ..eval.crossing import snr_at
    from ..phy.channels import make_channel

    dets = {label: nm.detector(str(exported(label, progress, retrain))) for label in EXPORTS}
    lcg = train_or_reuse("wesnet_30x60/lcgnetv", "lcgnetv_32x64_bpsk.toml", LCGNET, progress, retrain)
    dets.update({"lcgnetV": nm.detector(str(lcg), constellation=CONST),
                 "zf": nm.detector("zf", constellation=CONST), "lmmse": nm.detector("lmmse", constellation=CONST),
                 "wl-lmmse": nm.detector("wl-lmmse", constellation=CONST),
                 "kbest": nm.detector("kbest", constellation=CONST)})
    cfg = EvalConfig(nt=NT, nr=NR, constellation=CONST, snr_db=SNRS, convention=CONVENTION,
                     target_errors=300, max_vectors=12_000, batch=2000, seed=31)
    rows = run_eval(dets, make_channel("rayleigh", NR, NT), cfg, progress=progress)
    write_csv(rows, out / "wesnet_30x60_bpsk.csv")
    plot_rows(rows, out / "wesnet_30x60_bpsk.png", "30x60 BPSK, i.i.d. Rayleigh, SNR convention detnet")
    s = {d: snr_at(rows, d, "ber", 1e-3) for d in dets}
    names = {label: dets[label].manifest["variant"] for label in EXPORTS}
    table = [(f"SNR at BER 1e-3, {names.get(d, d)} (dB)", f"{v:.2f}", "drawn only (Figs. 5, 7a, 9)")
             for d, v in s.items()]

    def gap(a, b):
        return f"{s[b] - s[a]:+.2f}"

    table += [
        ("L-WeSNet-HF-50% over DetNet at BER 1e-3 (dB)", gap("l_wesnet_hf50", "detnet"), "0.69 (W18, Fig. 9)"),
        ("L-WeSNet-HF-50% over WeSNet-HF-50% (dB)", gap("l_wesnet_hf50", "wesnet_hf50"), "0.22 (W18)"),
        ("L-WeSNet-HF-20% over DetNet / over WeSNet-HF-20% (dB)",
         f"{gap('l_wesnet_hf20', 'detnet')} / {gap('l_wesnet_hf20', 'wesnet_hf20')}", "0.19 / 0.19 (W17)"),
        ("WeSNet-HF-10% over ZF / LMMSE / WL-LMMSE (dB)",
         f"{gap('wesnet_hf10', 'zf')} / {gap('wesnet_hf10', 'lmmse')} / {gap('wesnet_hf10', 'wl-lmmse')}",
         "1.68 over ZF, 0.79 over MMSE (W7; the real-system MMSE is WL-LMMSE here)"),
        ("WeSNet-HF-50% over DetNet (dB)", gap("wesnet_hf50", "detnet"), "> 0: HF-50% beats DetNet (W9)"),
        ("WeSNet-HF-20% over DetNet (dB)", gap("wesnet_hf20", "detnet"), "≈ 0: 'virtually the same' (W8)"),
        *[(f"R-WeSNet-{tag}-50% minus 3/7/10/13 layers over DetNet (dB)",
           " / ".join(gap(f"r_wesnet_{tag.lower()}50_{k}L", "detnet") for k in REMOVED),
           "10L > 0, 20-30L ≈ 0, 40L clearly < 0 of 90 layers (W10)") for tag in ("HF", "L")],
    ]
    return table


def table_ii_flops(cfg: dict, layers: int) -> float:
    """Table II's FLOPs per symbol slot: DetNet Nt(128Nt − 2)·L, WeSNet [βNt(128Nt + 5) + 9Nt]·L."""
    if cfg["profile"] == "none":
        return NT * (128 * NT - 2) * layers
    return (cfg["keep"] * NT * (128 * NT + 5) + 9 * NT) * layers
