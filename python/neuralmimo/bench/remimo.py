# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost of RE-MIMO against OAMPNet-2 at Nr = 64, 16QAM, Nt = 16 and 32 (RE-MIMO paper, Fig. 14):

  - RE-MIMO at the scaled CPU size (train/configs/remimo_64_qam16.toml: width 64, 8 blocks),
  - RE-MIMO at the paper's size (width 512, 12 blocks, 8 heads, no gradient input; ~60 M
    parameters: benchmarked, never shipped),
  - OAMPNet-2, 10 layers, one export per Nt;

each with its parameters, multiply-adds and FLOPs per detection counted in the graph at that Nt
(export/graph_cost.py; OAMPNet-2's inverses are elementwise updates, FLOPs but no MatMul MACs, so
FLOPs are the ratio that compares the two), detections/s in bare onnxruntime (one session per model, `--batch`,
median of `--reps` runs) and in the onnx_detector block in a flowgraph, all on `--threads`
intra-op threads; and the ratios RE-MIMO / OAMPNet-2 of the same run. The paper claims RE-MIMO's
compute time is below OAMPNet-2's at low Nt/Nr, grows linearly with Nt, and OAMPNet-2's stays
about constant; the last lines say whether that holds here.

    python -m neuralmimo.cli.bench remimo [--batch 256] [--reps 7] [--items 4096] [--cache DIR]
        [--remimo PATH.onnx] [--remimo-paper PATH.onnx] [--oampnet2-16 PATH] [--oampnet2-32 PATH]

Without files the models are built with random weights (the cost does not depend on them) and
exported into --cache (default a temporary directory; a file already there is reused). The
OAMPNet-2 exports take minutes (10 layers of an unrolled 2Nt x 2Nt inverse: models/linalg.py);
keep them with --cache. --nts 16 benches one Nt only (the growth line then needs two).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

from ..cli import args as cli
from .blocks import flowgraph_rate
from .common import make_system

NR = 64
CONST = "qam16"
NTS = (16, 32)
SCALED_CONFIG = Path(__file__).resolve().parents[1] / "train" / "configs" / "remimo_64_qam16.toml"
#: the RE-MIMO paper's model (Section V): 12 EP blocks of width 512, 8 heads, FFN 4·width
PAPER = {"blocks": 12, "width": 512, "heads": 8, "gradient": False}


def scaled_remimo_settings() -> dict:
    """The [model] settings of the scaled CPU configuration (family excluded)."""
    model = tomllib.loads(SCALED_CONFIG.read_text())["model"]
    return {k: v for k, v in model.items() if k != "family"}


def build(kind: str, nt: int, nr: int, const: str, settings: dict | None = None):
    """A randomly initialised module: kind "remimo" (Nt in nt_min..nt, settings: ReMimo's
    keywords) or "oampnet2" (one Nt, 10 layers)."""
    import torch

    torch.manual_seed(0)
    if kind == "remimo":
        from ..models.remimo import ReMimo

        s = dict(settings or {})
        return ReMimo(nt, nr, const, **s)
    from ..models.oampnet import OampNet

    return OampNet(nt, nr, const, **({"layers": 10, "variant": "2"} | dict(settings or {})))


def exported(module, path: Path, progress: bool = True) -> Path:
    """`module` exported to `path`, unless a file is already there."""
    from ..export.onnx_export import export_detector

    if not path.is_file():
        t0 = time.perf_counter()
        export_detector(module, path)
        if progress:
            print(f"exported {path.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def measure(path, nt: int, nr: int, const: str, batch: int, reps: int, items: int, threads: int,
            flowgraph: bool = True) -> dict:
    """params, MACs per detection (at nt), onnxruntime detections/s (median of reps) and the
    block's detections/s (None without flowgraph) of the model at `path` with nt streams."""
    import neuralmimo as nm
    from ..detectors.onnx_model import OnnxDetector
    from ..export.graph_cost import graph_cost
    from ..manifest import nt_range, read_manifest

    dynamic = nt_range(read_manifest(path))[0] < nt_range(read_manifest(path))[1]
    gc = graph_cost(path, batch=1, nt=nt if dynamic else None)
    rng = np.random.default_rng(5)
    c = nm.constellation(const)
    y, h, nv = make_system(rng, nt, nr, const, max(batch, 1024), 1, nt / nr / 10 ** 2.0)
    det = OnnxDetector(str(path), threads=threads)
    feeds = (y[:batch].view(np.float32).reshape(batch, nr, 2),
             h[:batch].view(np.float32).reshape(batch, nr, nt, 2), nv[:batch])
    det.run_raw(*feeds)                                              # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        det.run_raw(*feeds)
        times.append(time.perf_counter() - t0)
    ort = batch / statistics.median(times)
    block = None
    if flowgraph:
        n = max(items - items % batch, batch)
        block = flowgraph_rate(lambda: nm.onnx_detector(str(path), nt, nr, const, "llr", threads=threads,
                                                        batch=batch),
                               y, h, nv, n, np.float32, nt * c.bits_per_symbol)
    return {"params": gc.float_params, "macs": gc.macs_per_detection, "flops": gc.flops_per_detection,
            "ort": ort, "block": block}


def rows(models: dict, nts, nr: int, const: str, **kw) -> list:
    """models: label -> {nt: path} (a dynamic-Nt model: the same path for every nt); one row per
    (label, nt), in order, each with the ratios to the reference (the last label) at that nt."""
    out = []
    for label, paths in models.items():
        for nt in nts:
            out.append({"model": label, "nt": nt, **measure(paths[nt], nt, nr, const, **kw)})
    ref = list(models)[-1]
    refs = {r["nt"]: r for r in out if r["model"] == ref}
    for r in out:
        b = refs[r["nt"]]
        r["macs_ratio"] = r["macs"] / b["macs"]
        r["flops_ratio"] = r["flops"] / b["flops"]
        r["time_ratio"] = b["ort"] / r["ort"]                           # time per detection, / reference
        r["block_time_ratio"] = b["block"] / r["block"] if r["block"] and b["block"] else None
    return out


def table(rs: list, ref: str) -> str:
    lines = ["| model | Nt | params | MACs/detection | FLOPs/detection | ORT det/s | block det/s | "
             f"FLOPs / {ref} | ORT time / {ref} | block time / {ref} |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    fmt = lambda v, f: "-" if v is None else format(v, f)
    for r in rs:
        lines.append(f"| {r['model']} | {r['nt']} | {r['params']:,} | {r['macs']:,.0f} | {r['flops']:,.0f} | "
                     f"{r['ort']:,.0f} | {fmt(r['block'], ',.0f')} | {r['flops_ratio']:.2f} | {r['time_ratio']:.2f} | "
                     f"{fmt(r['block_time_ratio'], '.2f')} |")
    return "\n".join(lines)


def growth(rs: list, nts) -> str:
    """Per model: the time per detection at the largest Nt over that at the smallest."""
    lo, hi = min(nts), max(nts)
    parts = []
    for label in dict.fromkeys(r["model"] for r in rs):
        at = {r["nt"]: r for r in rs if r["model"] == label}
        parts.append(f"{label}: x{at[lo]['ort'] / at[hi]['ort']:.2f} (FLOPs x{at[hi]['flops'] / at[lo]['flops']:.2f})")
    return f"time per detection from Nt={lo} to Nt={hi} (onnxruntime): " + "; ".join(parts)


def main(argv=None) -> int:
    ap = cli.parser("bench remimo", __doc__)
    ap.add_argument("--batch", type=cli.positive_int, default=256, help="detections per onnxruntime run")
    ap.add_argument("--reps", type=cli.positive_int, default=7, help="timed onnxruntime runs (median)")
    ap.add_argument("--items", type=cli.positive_int, default=4096, help="items through each flowgraph")
    ap.add_argument("--threads", type=cli.positive_int, default=1, help="onnxruntime intra-op threads")
    ap.add_argument("--cache", default=None, help="directory for the exports (default: a temporary one)")
    ap.add_argument("--remimo", type=cli.existing_file, default=None, help="a trained RE-MIMO (Nt 16..32)")
    ap.add_argument("--remimo-paper", type=cli.existing_file, default=None, help="RE-MIMO at the paper's size")
    ap.add_argument("--oampnet2-16", type=cli.existing_file, default=None, help="a trained OAMPNet-2, Nt = 16")
    ap.add_argument("--oampnet2-32", type=cli.existing_file, default=None, help="a trained OAMPNet-2, Nt = 32")
    ap.add_argument("--no-flowgraph", action="store_true", help="skip the GNU Radio flowgraphs")
    ap.add_argument("--nts", default="16,32", help="the Nt to bench, from 16 and 32 (default 16,32)")
    args = ap.parse_args(argv)
    try:
        nts = tuple(sorted({int(v) for v in args.nts.split(",")}))
    except ValueError:
        nts = ()
    if not nts or not set(nts) <= set(NTS):
        ap.error(f"--nts: a comma-separated list from {', '.join(map(str, NTS))}, got {args.nts!r}")
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    tmp = None
    if args.cache is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_remimo_")
    cache = Path(args.cache or tmp.name)
    cache.mkdir(parents=True, exist_ok=True)
    lo, hi = min(NTS), max(NTS)      # the RE-MIMO models serve 16..32 whichever --nts
    scaled = args.remimo or exported(build("remimo", hi, NR, CONST, {"nt_min": lo, **scaled_remimo_settings()}),
                                     cache / "remimo_scaled.onnx")
    paper = args.remimo_paper or exported(build("remimo", hi, NR, CONST, {"nt_min": lo, **PAPER}),
                                          cache / "remimo_paper.onnx")
    given = {16: args.oampnet2_16, 32: args.oampnet2_32}
    oamp = {nt: given[nt] or exported(build("oampnet2", nt, NR, CONST), cache / f"oampnet2_{nt}.onnx")
            for nt in nts}
    models = {"RE-MIMO scaled (w64, 8 blocks)": {nt: Path(scaled) for nt in nts},
              "RE-MIMO paper (w512, 12 blocks)": {nt: Path(paper) for nt in nts},
              "OAMPNet-2 (10 layers)": {nt: Path(p) for nt, p in oamp.items()}}
    rs = rows(models, nts, NR, CONST, batch=args.batch, reps=args.reps, items=args.items,
              threads=args.threads, flowgraph=not args.no_flowgraph)
    ref = "OAMPNet-2"
    print(f"\nNr={NR}, 16QAM, batch {args.batch}, {args.threads} onnxruntime thread(s), {os.cpu_count()} CPU(s); "
          f"random weights unless files were given; ratios against {ref} at the same Nt, same run\n")
    print(table(rs, ref))
    if len(nts) > 1:
        print("\n" + growth(rs, nts))
    for label in list(models)[:2]:
        at = {r["nt"]: r["time_ratio"] for r in rs if r["model"] == label}
        where = ", ".join(f"{at[nt]:.2f} at Nt={nt}" for nt in nts)
        verdict = "below" if at[nts[0]] < 1 else "not below"
        print(f"{label} / OAMPNet-2 time per detection: {where} "
              f"(Fig. 14: below 1 at low Nt/Nr; here {verdict} at Nt={nts[0]})")
    if tmp is not None:
        tmp.cleanup()
    return 0
