# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record a simulated over-the-air trace: examples/ofdm_loopback.grc with its SigMF recorder on.

    python -m neuralmimo.cli.record_loopback OUT [--snr 30] [--frames 6] [--nt 2] [--nr 2] [--seed 1]
        [--coding ldpc648]

Writes OUT.sigmf-data / OUT.sigmf-meta (the receiver input, as a USRP recording would
be) and OUT.live.json: what the live flowgraph's frame checkers decoded, per detector and
frame (hex of the packed frame bits) and their counts, so that a replay of the recording
can be compared bit for bit with the run that made it. With --coding ldpc648 the frames are
LDPC-coded (the recording's configuration says so), the frame bits are the decoded information
bits and the counts include the codeword errors. The shipped test fixture
(tests/data/ofdm_loopback_2x2.*) was made with the defaults.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from ..paths import example_path
from ..phy.ofdm import ofdm_config
from ..phy.ofdm_bits import FRAME_HISTORY
from ..phy.ofdm_coding import CODINGS
from . import args as cli
from .grc_run import compile_grc, load_top_block

CHECKERS = ("check_a", "check_b", "check_c")
#: Per-frame fields of the live results (the coded ones only in a coded run's records).
RECORD_KEYS = ("frame", "crc_ok", "bit_errors", "start", "channel_bit_errors", "codeword_errors",
               "codeword_failures")


def record(out: str | Path, snr_db: float = 30.0, frames: int = 6, nt: int = 2, nr: int = 2, seed: int = 1,
           workdir: str | None = None, coding: str = "none") -> dict:
    """Runs the loopback with recording on; returns the live results (also written to OUT.live.json).

    The three files are written in a temporary directory beside OUT and moved to OUT.* only when
    the run has finished: a failed or interrupted run leaves none of them."""
    out = Path(out)
    check_settings(frames, nt, nr, seed, coding)
    with tempfile.TemporaryDirectory() as tmp, cli.staged(out.parent) as stage:
        mod = load_top_block(compile_grc(example_path("ofdm_loopback.grc"), workdir or tmp))
        tb = mod.ofdm_loopback(snr_db=snr_db, num_frames=frames, nt=nt, nr=nr, seed=seed,
                               record=str(stage / out.name), coding=coding)
        tb.run()
        live = _live(tb, snr_db, frames, nt, nr, seed)
        if coding != "none":
            live["coding"] = coding
        (stage / f"{out.name}.live.json").write_text(json.dumps(live, indent=1) + "\n")
    return live


def check_settings(frames: int, nt: int, nr: int, seed: int, coding: str = "none") -> None:
    """ValueError naming a setting the flowgraph cannot run (before anything is compiled or written).
    num_frames 0 means "without end" to the frame source: a recording must end."""
    if frames < 1:
        raise ValueError(f"--frames must be >= 1, got {frames}")
    if frames > FRAME_HISTORY:
        # the live run's bits come from the frame_checker blocks, which keep the last FRAME_HISTORY frames
        raise ValueError(f"--frames must be <= {FRAME_HISTORY} (the frames whose live bits are kept), got {frames}")
    if seed < 0:
        raise ValueError(f"--seed must be >= 0, got {seed}")
    ofdm_config(nt=nt, nr=nr, coding=coding)
    if nr < nt:
        # the loopback's K-best and ZF detectors need at least as many antennas as streams
        raise ValueError(f"--nr {nr} is below --nt {nt}: the loopback's kbest and zf detectors need nr >= nt")


def _live(tb, snr_db, frames, nt, nr, seed) -> dict:
    live = {"snr_db": snr_db, "frames_sent": frames, "nt": nt, "nr": nr, "seed": seed, "detectors": {}}
    for name in CHECKERS:
        chk = getattr(tb, name)
        spec = getattr(tb, f"detector_{name[-1]}")
        live["detectors"][spec] = {"summary": {k: (None if v != v else v) for k, v in chk.summary().items()},
                                   "frames": [b.tobytes().hex() for b in chk.decoded()],
                                   "records": [{k: r[k] for k in RECORD_KEYS if k in r}
                                               for r in chk.records()]}
    return live


@cli.command("record_loopback")
def main(argv=None) -> int:
    ap = cli.parser("record_loopback", __doc__)
    ap.add_argument("out", metavar="OUT", type=cli.output_base,
                    help="recording base name (OUT.sigmf-meta, OUT.sigmf-data, OUT.live.json)")
    ap.add_argument("--snr", type=cli.finite_float, default=30.0, help="SNR per RE in dB (Nt/noise_var)")
    ap.add_argument("--frames", type=cli.positive_int, default=6)
    ap.add_argument("--nt", type=cli.positive_int, default=2)
    ap.add_argument("--nr", type=cli.positive_int, default=2)
    ap.add_argument("--seed", type=cli.nonnegative_int, default=1, help="channel seed")
    ap.add_argument("--coding", choices=CODINGS, default="none", help="frame coding (none, ldpc648)")
    args = ap.parse_args(argv)
    os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "warn")
    live = record(args.out, args.snr, args.frames, args.nt, args.nr, args.seed, coding=args.coding)
    for spec, d in live["detectors"].items():
        s = d["summary"]
        coded = (f", BLER {s['bler']:.3e} ({s['codeword_errors']}/{s['codewords']}), uncoded BER "
                 f"{s['channel_ber']:.3e}" if s.get("codewords") else "")
        print(f"{spec:>12}: {s['frames']} frames, {s['crc_failures']} CRC failures, BER {s['ber']:.3e}{coded}")
    print(f"wrote {args.out}.sigmf-meta, {args.out}.sigmf-data, {args.out}.live.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
