# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""WeSNet: DetNet and the WeSNet variants on 30x60 BPSK (WeSNet Sections VI-C to VI-E).

wesnet-ber    BER versus SNR, 0-15 dB (Figs. 5, 7a, 9): every trained variant (papers/wesnet_variants.py),
              exported and pruned as it ships, beside ZF, LMMSE, WL-LMMSE, K-best and LcgNetV, with the
              SNR at BER 1e-3 and the paper's gaps there.
wesnet-cost   cost of the same exported graphs (Table II, Fig. 12): multiply-adds counted in the graph
              beside Table II's formula, parameters, file size, and detections/s in onnxruntime at
              batch 1 and 1024 and in the onnx_detector block in a flowgraph, all in one run.

Both train the variants they miss (about an hour on two cores for all of them; runs/reproduce/).
"""
from __future__ import annotations

import os
from pathlib import Path

from .common import RUNS, train_or_reuse, write_table
from .study import Row, study
from .wesnet_variants import REMOVED, VARIANTS, variant_checkpoint

NT, NR, CONST, CONVENTION = 30, 60, "bpsk", "detnet"
SNRS = list(range(0, 16))
#: The exported graphs the two studies measure: label -> (variant, R-WeSNet layers removed).
EXPORTS = {**{name: (name, 0) for name in VARIANTS if name != "r_wesnet_hf50"},
           **{f"r_wesnet_hf50_{k}L": ("r_wesnet_hf50", k) for k in REMOVED}}
ONNX_DIR = RUNS / "wesnet_30x60" / "onnx"
#: LcgNetV on this system and convention: the shipped 32x64 recipe with the system changed.
LCGNET = {"data.nt": NT, "data.nr": NR, "data.channel": "rayleigh", "data.snr_convention": CONVENTION}


def exported(label: str, progress: bool, retrain: bool = False) -> Path:
    """runs/reproduce/wesnet_30x60/onnx/<label>.onnx, exported (pruned) from the variant's checkpoint
    through the export CLI, so that what is measured is what `cli.export` ships."""
    from ..cli import export as export_cli

    name, removed = EXPORTS[label]
    ckpt = variant_checkpoint(name, progress, retrain)
    path = ONNX_DIR / f"{label}.onnx"
    if retrain or not path.is_file() or path.stat().st_mtime < ckpt.stat().st_mtime:
        ONNX_DIR.mkdir(parents=True, exist_ok=True)
        argv = [str(ckpt), "--out", str(path)] + (["--setting", f"remove_layers={removed}"] if removed else [])
        if export_cli.main(argv) != 0:
            raise RuntimeError(f"export of {label} failed")
    return path


def variant_name(label: str) -> str:
    import json

    return json.loads(exported(label, False).with_suffix(".json").read_text())["variant"]


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
    names = {label: variant_name(label) for label in EXPORTS}
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
        ("R-WeSNet-HF-50% minus 3/7/10/13 layers over DetNet (dB)",
         " / ".join(gap(f"r_wesnet_hf50_{k}L", "detnet") for k in REMOVED),
         "10L > 0, 20-30L ≈ 0, 40L clearly < 0 of 90 layers (W10)"),
    ]
    return table


def table_ii_flops(name_cfg: dict, layers: int) -> float:
    """Table II's FLOPs per symbol slot: DetNet Nt(128Nt − 2)·L, WeSNet [βNt(128Nt + 5) + 9Nt]·L."""
    if name_cfg["profile"] == "none":
        return NT * (128 * NT - 2) * layers
    return (name_cfg["keep"] * NT * (128 * NT + 5) + 9 * NT) * layers


def _rates(path: Path, items: int, threads: int) -> tuple[float, float, float]:
    """Detections/s: bare onnxruntime at batch 1 and 1024, and the onnx_detector block (batch 1024)."""
    import numpy as np

    import neuralmimo as nm
    from ..bench.blocks import flowgraph_rate
    from ..bench.common import make_system, rate
    from ..detectors.onnx_model import OnnxDetector

    rng = np.random.default_rng(3)
    y, h, nv = make_system(rng, NT, NR, CONST, 4096, 1, NT / 10.0)
    det = OnnxDetector(str(path), threads=threads)

    def feeds(b):
        return (y[:b].view(np.float32).reshape(b, NR, 2), h[:b].view(np.float32).reshape(b, NR, NT, 2), nv[:b])

    f1, fb = feeds(1), feeds(1024)
    r1 = rate(lambda: det.run_raw(*f1), 1, 0.5)
    rb = rate(lambda: det.run_raw(*fb), 1024, 0.5)
    n = items - items % 1024
    blk = flowgraph_rate(lambda: nm.onnx_detector(str(path), NT, NR, CONST, "llr", threads=threads, batch=1024),
                         y, h, nv, n, np.float32, NT)
    return r1, rb, blk


@study("wesnet-cost", "wesnet", trains=True)
def cost(out: Path, progress: bool, retrain: bool = False) -> list[Row]:
    import json

    from ..export.graph_cost import graph_cost

    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    rows = []
    for label in EXPORTS:
        path = exported(label, progress, retrain)
        man = json.loads(path.with_suffix(".json").read_text())
        layers = man["config"]["layers"] - len(man["removed_layers"])
        gc = graph_cost(path)
        r1, rb, blk = _rates(path, 40_960, 1)
        rows.append({"label": label, "variant": man["variant"], "layers": layers,
                     "hidden_units": man["hidden_units"], "graph_macs": gc.macs_per_detection,
                     "graph_flops": gc.flops_per_detection, "table_ii_flops": table_ii_flops(man["config"], layers),
                     "params": gc.params, "bytes": gc.file_bytes, "ort_b1_per_s": round(r1),
                     "ort_b1024_per_s": round(rb), "block_per_s": round(blk)})
        if progress:
            print(rows[-1])
    write_table(rows, out / "wesnet_cost.csv")
    by = {r["label"]: r for r in rows}
    d = by["detnet"]

    def rel(label, key):
        return f"{100 * (1 - by[label][key] / d[key]):.2f} %"

    table = [(f"{r['variant']}: MACs / Table II FLOPs / params / bytes / ORT b1, b1024 / block (det/s)",
              f"{r['graph_macs']:,.0f} / {r['table_ii_flops']:,.0f} / {r['params']:,} / {r['bytes']:,} / "
              f"{r['ort_b1_per_s']:,}, {r['ort_b1024_per_s']:,} / {r['block_per_s']:,}", "Table II formula")
             for r in rows]
    table += [
        ("WeSNet-HF-50%: fewer graph MACs / fewer bytes than DetNet",
         f"{rel('wesnet_hf50', 'graph_macs')} / {rel('wesnet_hf50', 'bytes')}",
         "51.43 % fewer FLOPs, 49.78 % smaller (W4, W22); Table II gives 49.67 %"),
        ("WeSNet-HF-20%: fewer bytes than DetNet", f"{rel('wesnet_hf20', 'bytes')}",
         "79.82 % at 20 % (W22)"),
    ]
    return table
