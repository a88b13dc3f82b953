# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soft-bit (LLR) quantisers designed on a detector's LLRs, written as JSON manifests that the
softbit_quantizer / softbit_dequantizer blocks load (nm.softbit_quantizer_from(path)).

    python -m neuralmimo.cli.quantizer design --detector lmmse --nt 2 --nr 4 --constellation qam16 \\
        --snr-db 5 15 --snr-convention rx --channel rayleigh --bits 3 --kind maxmi \\
        --vectors 50000 --seed 1 --out models/quantizer_maxmi3_qam16_2x4.json

--source data (default) draws --vectors channel uses y = Hx + n (the trainer's data source,
train/data.py: H from --channel, SNR uniform in [lo, hi] dB under --snr-convention) and runs the
detector (nm.detector(spec, constellation=...)). --source ofdm runs the coded MIMO-OFDM loopback
instead (blocks/fronthaul.py, needs GNU Radio: TDL-A, CFO, phase noise, estimated channel and
noise) for --frames frames at each whole dB from lo to hi, with --seed as its channel seed and
--detector a detector_select spec (e.g. cpp:lmmse), and takes the LLRs the link's detector gives:
their levels then are the link's own cell LLRs (docs/results.md: the link's LLRs are
over-confident, which the levels of a quantiser designed on ideal data do not reflect). Either way it designs a scalar
quantiser of all the LLRs with their true bits: --kind maxmi (phy/maxmi.design_max_mi: max
I(B; Q(L)), levels = the cells' LLRs) or uniform (design_uniform_clip: 2**bits equal cells, clip
chosen for the largest MI). Prints the mutual information per bit before and after quantisation
and writes

    {"quantizer": ScalarQuantizer.to_dict(),
     "design": {"kind", "source", "detector", "nt", "nr", "constellation", "snr_db" [lo, hi],
                "snr_convention", "channel", "vectors" (ofdm: "frames" per SNR and "llrs"), "seed",
                "mi_unquantised", "mi_quantised"}}

MI is the usual estimate H(B) − E log2(1 + e^−(2b−1)L), which assumes consistent LLRs: for
over-confident LLRs (the OFDM link's) the unquantised figure can be below the quantised one.
"""
from __future__ import annotations

import json
import sys

import numpy as np

from . import args as cli

KINDS = ("maxmi", "uniform")
SOURCES = ("data", "ofdm")
#: The channel of --source ofdm (blocks/fronthaul.py LOOPBACK), as the manifest records it.
OFDM_CHANNEL = "ofdm_loopback: TDL-A 300 ns, CFO 10 kHz, phase noise 100 Hz, estimated H and noise"
#: Vectors per detector call: bounds the memory of one batch (LLRs float32[B, Nt, K]).
CHUNK = 8192


def draw_llrs(detector: str, nt: int, nr: int, constellation: str, snr_db, convention: str,
              channel: str, vectors: int, seed: int):
    """(llr float32[vectors·Nt·K], bits uint8[same]): the detector's LLRs on vectors drawn by
    train.data.DataSource (seeded by `seed` alone) and the bits that were sent."""
    import torch

    import neuralmimo as nm
    from ..train.config import DataConfig
    from ..train.data import DataSource, derive_seed

    try:
        det = nm.detector(detector, constellation=constellation)
    except ValueError as exc:
        raise ValueError(f"--detector {detector!r}: {exc}") from None
    src = DataSource(DataConfig(nt=nt, nr=nr, constellation=constellation, channel=channel,
                                snr_convention=convention, batch=CHUNK))
    gen = torch.Generator().manual_seed(derive_seed(seed, "quantizer-design"))
    llrs, bits = [], []
    for i in range(0, vectors, CHUNK):
        b = src.sample(min(CHUNK, vectors - i), tuple(snr_db), gen)
        y = torch.view_as_complex(b.y.contiguous()).numpy()                  # complex64[B, Nr]
        h = torch.view_as_complex(b.h.contiguous()).numpy()                  # complex64[B, Nr, Nt]
        out = det(y, h, b.noise_var.numpy())
        llrs.append(np.asarray(out.llr, np.float32).ravel())                  # [B·Nt·K], user-major
        bits.append(b.bits.numpy().astype(np.uint8).ravel())
    return np.concatenate(llrs), np.concatenate(bits)


def draw_link_llrs(detector: str, nt: int, nr: int, constellation: str, snr_db, frames: int, seed: int):
    """(llr float32[S], bits uint8[S]) of the OFDM loopback at each whole dB in [lo, hi]."""
    from ..blocks.fronthaul import capture_llrs

    lo, hi = snr_db
    points = [lo + k for k in range(int(np.floor(hi - lo + 1e-9)) + 1)]
    parts = [capture_llrs(s, frames, nt=nt, nr=nr, constellation=constellation, detector=detector, seed=seed)
             for s in points]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def design(kind: str, llr, bits_sent, bits: int):
    """(ScalarQuantizer, mi_unquantised, mi_quantised): the quantiser of `kind` designed on llr
    float32[S] with their true bits uint8[S], and I(B; L), I(B; Q(L)) in bits per bit."""
    from ..phy.maxmi import design_max_mi, design_uniform_clip, llr_mutual_information, mutual_information

    if kind not in KINDS:
        raise ValueError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    q = (design_max_mi if kind == "maxmi" else design_uniform_clip)(llr, bits, bit_values=bits_sent)
    mi_q = mutual_information(q.encode(llr).astype(np.int64), q.n_levels, bit_values=bits_sent)
    return q, llr_mutual_information(llr, bit_values=bits_sent), mi_q


def _check(args) -> None:
    """Refuses what argparse cannot see alone, naming the option."""
    from ..phy.channels import make_channel
    from ..phy.maxmi import MAX_BITS
    from ..phy.snr import snr_conventions

    lo, hi = args.snr_db
    if lo > hi:
        raise ValueError(f"--snr-db: the low end must be <= the high end, got {lo:g} {hi:g}")
    if not 1 <= args.bits <= MAX_BITS:
        raise ValueError(f"--bits must be in 1..{MAX_BITS}, got {args.bits}")
    if args.snr_convention not in snr_conventions():
        raise ValueError(f"--snr-convention must be one of {', '.join(snr_conventions())}, "
                         f"got {args.snr_convention!r}")
    if args.source == "ofdm":
        if args.channel is not None:
            raise ValueError(f"--channel applies to --source data (the OFDM loopback has its own), "
                             f"got {args.channel!r}")
        if args.snr_convention != "rx":
            raise ValueError(f"--snr-convention: the OFDM loopback's SNR is per RE (rx), got {args.snr_convention!r}")
        return
    try:
        make_channel(args.channel or "rayleigh", args.nr, args.nt)
    except ValueError as exc:
        raise ValueError(f"--channel {args.channel!r}: {exc}") from None
    if args.vectors * args.nt < 1 << args.bits:
        raise ValueError(f"--vectors: {args.vectors} vectors give fewer LLRs than the 2**{args.bits} cells")


@cli.command("quantizer")
def main(argv=None) -> int:
    ap = cli.parser("quantizer", __doc__)
    sub = ap.add_subparsers(dest="task", required=True, parser_class=cli.ArgumentParser)
    d = sub.add_parser("design", help="design an LLR quantiser on a detector's LLRs")
    d.add_argument("--detector", default="lmmse", help="nm.detector spec (classical name or .onnx)")
    d.add_argument("--nt", type=cli.positive_int, required=True)
    d.add_argument("--nr", type=cli.positive_int, required=True)
    d.add_argument("--constellation", required=True)
    d.add_argument("--snr-db", type=cli.finite_float, nargs=2, metavar=("LO", "HI"), required=True,
                   help="SNR drawn uniformly in [LO, HI] dB per vector")
    d.add_argument("--snr-convention", default="rx")
    d.add_argument("--source", choices=SOURCES, default="data",
                   help="data: y = Hx + n from train/data.py; ofdm: the coded OFDM loopback's own LLRs")
    d.add_argument("--channel", default=None, help="channel spec of --source data (default rayleigh)")
    d.add_argument("--bits", type=cli.positive_int, required=True, help="bits per LLR")
    d.add_argument("--kind", choices=KINDS, required=True)
    d.add_argument("--vectors", type=cli.positive_int, default=50000)
    d.add_argument("--frames", type=cli.positive_int, default=20, help="--source ofdm: frames per SNR point")
    d.add_argument("--seed", type=cli.nonnegative_int, default=1)
    d.add_argument("--out", type=cli.output_file, required=True, help="the JSON manifest to write")
    args = ap.parse_args(argv)
    _check(args)
    import neuralmimo as nm

    try:
        nm.constellation(args.constellation)
    except ValueError as exc:
        raise ValueError(f"--constellation: {exc}") from None
    if args.source == "ofdm":
        import os

        os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")
        llr, sent = draw_link_llrs(args.detector, args.nt, args.nr, args.constellation, args.snr_db,
                                   args.frames, args.seed)
        amount = {"frames": args.frames, "llrs": int(llr.size)}
    else:
        llr, sent = draw_llrs(args.detector, args.nt, args.nr, args.constellation, args.snr_db,
                              args.snr_convention, args.channel or "rayleigh", args.vectors, args.seed)
        amount = {"vectors": args.vectors}
    q, mi, mi_q = design(args.kind, llr, sent, args.bits)
    manifest = {"quantizer": q.to_dict(),
                "design": {"kind": args.kind, "source": args.source, "detector": args.detector, "nt": args.nt,
                           "nr": args.nr, "constellation": args.constellation, "snr_db": list(args.snr_db),
                           "snr_convention": args.snr_convention,
                           "channel": OFDM_CHANNEL if args.source == "ofdm" else args.channel or "rayleigh",
                           **amount, "seed": args.seed,
                           "mi_unquantised": round(mi, 6), "mi_quantised": round(mi_q, 6)}}
    with cli.staged(args.out.parent) as stage:
        (stage / args.out.name).write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{args.kind} {args.bits}-bit quantiser of {args.detector} LLRs, {args.nt}x{args.nr} "
          f"{args.constellation}, {args.snr_db[0]:g}..{args.snr_db[1]:g} dB ({args.snr_convention}), "
          f"{llr.size} LLRs")
    note = (f"loss {mi - mi_q:.4f}" if mi >= mi_q else
            "above the unquantised estimate: the LLRs are over-confident, the levels are the cells' true LLRs")
    print(f"MI per bit: unquantised {mi:.4f}, quantised {mi_q:.4f} ({note})")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
