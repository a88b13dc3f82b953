# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soft-bit fronthaul: the coded MIMO-OFDM loopback with the detector's LLRs sent quantised.

    python -m neuralmimo.cli.fronthaul [--snr 8 9 10] [--frames 30] [--transport zmq|direct]
        [--quantizers float models/quantizer_uniform3_qam16_2x4.json models/quantizer_maxmi3_qam16_2x4.json
                      models/quantizer_maxmi3_qam16_2x4_link.json]

The chain of examples/softbit_fronthaul.grc, built in Python (blocks/fronthaul.py): numbered
frames, LDPC (648, 324) coded (--coding) -> 2-antenna OFDM transmitter -> TDL-A channel with
CFO, timing offset and phase noise (as examples/ofdm_loopback.grc) -> receiver -> detector
(--detector, default the loopback's cpp:lmmse) -> per quantiser: softbit_quantizer -> ZeroMQ
PUB/SUB on a free port of 127.0.0.1 (tags passed) -> softbit_dequantizer -> frame_checker
(LDPC decoding). "float" sends the float32 LLRs themselves (the reference). --transport direct
connects the blocks in one flowgraph instead of the socket.

Per SNR and quantiser the table gives bits per LLR, bytes per frame on the wire, the wire rate
when the link runs in real time (5 MS/s) and its ratio to float32 LLRs, coded BLER (codewords
decoded wrong), decoded BER, uncoded BER (the detector's hard decisions after the quantiser's
levels), frames passing the CRC, and whether every byte sent arrived. Exit status 1 when a
branch lost items on the wire, 2 on a bad argument.

--calibrate prints instead, per SNR, how trustworthy the link's LLRs are: the empirical LLR
ln P(b=1)/P(b=0) of the channel bits whose float LLR falls in each of a few bins, and per
quantiser its levels beside the empirical LLR of each of its cells (a consistent LLR equals it).
"""
from __future__ import annotations

import os
import sys

import numpy as np

from ..paths import model_path
from ..phy.ofdm_coding import CODINGS
from . import args as cli

#: designed on flat Rayleigh data (uniform, max-MI) and on the OFDM link's own LLRs (max-MI, "_link")
SHIPPED = ("quantizer_uniform3_qam16_2x4.json", "quantizer_maxmi3_qam16_2x4.json",
           "quantizer_maxmi3_qam16_2x4_link.json")
FLOAT = "float"


def quantizer_sources(specs) -> dict:
    """{label: None (float) | ScalarQuantizer} from "float" or manifest paths; the label is the
    manifest's file stem. ValueError naming the one that does not load."""
    from ..phy.quantizer import ScalarQuantizer

    out = {}
    for spec in specs:
        label = FLOAT if spec == FLOAT else os.path.splitext(os.path.basename(spec))[0].removeprefix("quantizer_")
        if label in out:
            raise ValueError(f"--quantizers: {label!r} given twice")
        try:
            out[label] = None if spec == FLOAT else ScalarQuantizer.from_manifest(spec)
        except ValueError as exc:
            raise ValueError(f"--quantizers {spec!r}: {exc}") from None
    return out


def default_quantizers() -> list[str]:
    return [FLOAT, *(str(model_path(name)) for name in SHIPPED)]


#: float LLR bin edges of --calibrate
CALIBRATION_EDGES = (-20.0, -8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0, 20.0)


def _empirical_llr(bits, mask) -> float:
    p = float(bits[mask].mean()) if mask.any() else float("nan")
    return float(np.log(p / (1 - p))) if 0 < p < 1 else float("nan")


def print_calibration(snr: float, frames: int, sources: dict, **link) -> None:
    """The --calibrate lines of one SNR (LLRs and bits from blocks/fronthaul.capture_llrs)."""
    from ..blocks.fronthaul import capture_llrs

    llr, bits = capture_llrs(snr, frames, **link)
    e = np.asarray(CALIBRATION_EDGES)
    cells = np.digitize(llr, e)
    print(f"{snr:g} dB, {llr.size} LLRs. float LLR bin -> empirical LLR:")
    print("   " + ", ".join(f"[{e[i - 1]:g}, {e[i]:g}): {_empirical_llr(bits, cells == i):.2f}"
                          for i in range(1, e.size)))
    for label, q in sources.items():
        if q is None:
            continue
        codes = q.encode(llr)
        print(f"   {label}: level -> empirical LLR of its cell: "
              + ", ".join(f"{q.levels[0, j]:.2f} -> {_empirical_llr(bits, codes == j):.2f}"
                          for j in range(q.n_levels)))


def print_table(rows_by_snr: dict) -> bool:
    """Prints the table; True when every branch received every item it sent."""
    head = (f"{'SNR dB':>6} {'quantiser':<25} {'bits':>4} {'B/frame':>8} {'B/s real time':>13} "
            f"{'ratio':>6} | {'BLER':>8} {'cw err':>8} {'BER':>9} {'uncoded':>8} {'frames ok':>9} | wire")
    print(head)
    print("-" * len(head))
    whole = True
    for snr, rows in rows_by_snr.items():
        for r in rows:
            ok = r["items_received"] == r["items_sent"]
            whole &= ok
            bits = "32" if r["llr_bits"] is None else str(r["llr_bits"])
            bler = f"{r['bler']:.3f}" if r["codewords"] else "-"
            cw = f"{r['codeword_errors']}/{r['codewords']}" if r["codewords"] else "-"
            print(f"{snr:>6.1f} {r['label']:<25} {bits:>4} {r['bytes_per_frame']:>8} "
                  f"{r['realtime_bytes_per_s']:>13,.0f} {r['ratio_to_float']:>6.3f} | {bler:>8} {cw:>8} "
                  f"{r['ber']:>9.2e} {r['channel_ber']:>8.2e} "
                  f"{r['frames'] - r['crc_failures']:>4}/{r['frames']:<4} | "
                  + ("whole" if ok else f"LOST {r['items_sent'] - r['items_received']} items"))
    return whole


@cli.command("fronthaul")
def main(argv=None) -> int:
    ap = cli.parser("fronthaul", __doc__)
    ap.add_argument("--snr", type=cli.finite_float, nargs="+", default=[8.0, 9.0, 10.0],
                    help="SNR points in dB per resource element (Nt/noise_var)")
    ap.add_argument("--frames", type=cli.positive_int, default=30, help="frames per SNR point")
    ap.add_argument("--quantizers", nargs="+", default=None,
                    help="'float' and/or quantiser manifests (JSON with a \"quantizer\" key); "
                         "default: float and the shipped 3-bit ones (uniform, max-MI, max-MI of the link)")
    ap.add_argument("--transport", choices=("zmq", "direct"), default="zmq")
    ap.add_argument("--detector", default="cpp:lmmse", help="detector_select spec")
    ap.add_argument("--nr", type=cli.positive_int, default=4, help="receive antennas (Nt = 2)")
    ap.add_argument("--coding", choices=CODINGS, default="ldpc648")
    ap.add_argument("--seed", type=cli.nonnegative_int, default=1, help="channel seed")
    ap.add_argument("--calibrate", action="store_true",
                    help="print the link's LLR calibration per SNR instead of the table")
    args = ap.parse_args(argv)
    sources = quantizer_sources(args.quantizers or default_quantizers())
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")
    from ..blocks.fronthaul import FronthaulLink

    if args.calibrate:
        for snr in args.snr:
            print_calibration(snr, args.frames, sources, nr=args.nr, detector=args.detector, coding=args.coding,
                              seed=args.seed)
        return 0
    print(f"Soft-bit fronthaul: 2x{args.nr} 16QAM OFDM, {args.coding}, detector {args.detector}, "
          f"TDL-A 300 ns, {args.frames} frames per SNR, transport {args.transport}\n")
    rows = {}
    for snr in args.snr:
        link = FronthaulLink(sources, snr_db=snr, frames=args.frames, nr=args.nr, detector=args.detector,
                             coding=args.coding, seed=args.seed, transport=args.transport)
        rows[snr] = link.run()
    whole = print_table(rows)
    print("\n   bits: per LLR (float32: 32); B/frame: bytes on the wire per OFDM frame; B/s real time: at "
          "5 MS/s;\n   ratio: to float32 LLRs; BLER: codewords decoded wrong; BER: decoded information "
          "bits;\n   uncoded: hard decisions of the LLRs that reached the checker; wire: every item sent arrived.")
    if not whole:
        print("fronthaul: items were lost on the wire", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
