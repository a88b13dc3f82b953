# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Common part of the Python detector blocks (docs/conventions.md, "GNU Radio stream contract").

Inputs:  y complex[Nr], h complex[Nr·Nt] (row-major H[r, t] at r·Nt + t), noise_var float.
Output:  one port, by `output`: "symbols" complex[Nt], "estimate" complex[Nt],
         "llr" float[Nt·K] (user-major), "bits" byte[Nt·K].

work() processes every item it is given, in inference calls of at most `batch` items (no output
multiple: a finite stream's last items are never held back waiting for a full batch).

work() never raises (an exception in a Python block's work() ends that block's thread, and the
flowgraph then waits for it forever). An item is erased (every output 0; 0 is no constellation
point, LLR 0 says "no information") and counted by invalid_items() when
  - its input is invalid: NaN/Inf in y or h, noise_var < 0 or not finite (noise_var 0 is valid:
    the detectors floor it);
  - the detector marks it: _run's optional "erased" bool[n];
  - the detector gives a non-finite output for it;
  - the detector raises: the call is split in halves until the raising items are found alone,
    so one bad item never costs its neighbours their outputs.
Each reason is logged once per block, with the first item's index and, for an exception, its text.
LLR outputs are clipped to ±LLR_LIMIT.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from . import item

from ..phy.demap import LLR_LIMIT

OUTPUT_KINDS = ("symbols", "estimate", "llr", "bits")

#: Erasure reasons, as counted by erasures() and named in the log.
REASONS = ("invalid input", "detector erasure", "non-finite output", "detector exception")


class DetectorBlock(gr.sync_block):
    """Subclasses set self.constellation and implement _run(y, h, nv) -> dict of numpy outputs
    among "llr" float32[n, Nt, K], "estimate" complex64[n, Nt], "symbols" complex64[n, Nt], and
    optionally "erased" bool[n] (items the detector had no answer for)."""

    def __init__(self, name: str, nt: int, nr: int, constellation, output: str, batch: int,
                 available_outputs: tuple[str, ...]):
        nt, nr, batch = int(nt), int(nr), int(batch)
        for key, val in (("nt", nt), ("nr", nr), ("batch", batch)):
            if val < 1:
                raise ValueError(f"{name}: {key} must be >= 1, got {val}")
        if output not in OUTPUT_KINDS:
            raise ValueError(f"{name}: output '{output}' is not one of {', '.join(OUTPUT_KINDS)}")
        needs = {"llr": "llr", "bits": "llr", "estimate": "estimate"}.get(output)
        if needs and needs not in available_outputs:
            raise ValueError(f"{name}: output '{output}' needs the detector's '{needs}' but it only "
                             f"gives {', '.join(available_outputs)}")
        self.nt, self.nr, self.output, self.batch = nt, nr, output, batch
        self.constellation = constellation
        k = constellation.bits_per_symbol
        out_sig = {"symbols": item(np.complex64, nt), "estimate": item(np.complex64, nt),
                   "llr": item(np.float32, nt * k), "bits": item(np.uint8, nt * k)}[output]
        gr.sync_block.__init__(self, name=name,
                               in_sig=[item(np.complex64, nr), item(np.complex64, nr * nt), np.float32],
                               out_sig=[out_sig])
        # No output multiple (it would hold back a finite stream's last partial batch), but input
        # buffers of several batches, so that work() gets whole batches (about `batch` items) when the
        # stream is flowing: GNU Radio sizes a block's input buffers to at least twice its
        # history, and work() reads past the history-1 old items at the front of each input.
        self.set_history(2 * batch)
        self.set_min_output_buffer(2 * batch)
        self._log = gr.logger(name)
        self._erasures = dict.fromkeys(REASONS, 0)
        self._bit_weights = 1 << np.arange(k - 1, -1, -1)

    def invalid_items(self) -> int:
        """Number of items erased (outputs 0), for any reason of erasures()."""
        return sum(self._erasures.values())

    def erasures(self) -> dict:
        """Erased items by reason (REASONS)."""
        return dict(self._erasures)

    def _run(self, y: np.ndarray, h: np.ndarray, nv: np.ndarray) -> dict:
        raise NotImplementedError

    def _erase(self, reason: str, count: int, first_item: int, detail: str = "") -> None:
        if count == 0:
            return
        if self._erasures[reason] == 0:
            self._log.warn(f"{reason}{': ' + detail if detail else ''} at item {first_item}; outputs "
                           "erased (logged once per reason, see invalid_items())")
        self._erasures[reason] += count

    def _source(self, res: dict, n: int) -> tuple[str, np.ndarray]:
        """(key, array [n, -1]) of the detector output the block's output is made from."""
        if self.output in ("llr", "bits", "estimate"):
            key = "estimate" if self.output == "estimate" else "llr"
        else:  # symbols: the detector's own decisions, else from the LLR signs, else nearest point
            key = next(k for k in ("symbols", "llr", "estimate") if k in res)
        return key, np.asarray(res[key]).reshape(n, -1)

    def _fill(self, out: np.ndarray, key: str, src: np.ndarray) -> None:
        if self.output == "llr":
            np.clip(src, -LLR_LIMIT, LLR_LIMIT, out=out)
        elif self.output == "bits":
            out[:] = src > 0
        elif self.output == "estimate" or key == "symbols":
            out[:] = src
        elif key == "llr":
            idx = (src.reshape(out.shape[0], self.nt, -1) > 0).astype(np.int64) @ self._bit_weights
            out[:] = self.constellation.points[idx]
        else:
            out[:] = self.constellation.points[self.constellation.nearest(src)]

    def _detect(self, out, y, h, nv, idx: np.ndarray, first: int) -> None:
        """Runs the detector on items idx (at most `batch`), writing out[idx]; on an exception it
        splits idx in halves, so only the items that raise alone are erased."""
        # Contiguous items (the usual case) as slices: views, no copies of the stream buffers.
        sel = slice(int(idx[0]), int(idx[-1]) + 1) if idx[-1] - idx[0] + 1 == idx.size else idx
        try:
            res = self._run(y[sel], h[sel], nv[sel])
            key, src = self._source(res, idx.size)
        except Exception as exc:  # noqa: BLE001 (work() must not raise; the text is logged)
            if idx.size > 1:
                half = idx.size // 2
                self._detect(out, y, h, nv, idx[:half], first)
                self._detect(out, y, h, nv, idx[half:], first)
            else:
                out[idx] = 0
                self._erase("detector exception", 1, first + int(idx[0]), f"{type(exc).__name__}: {exc}")
            return
        bad = np.zeros(idx.size, bool)
        erased = res.get("erased")
        if erased is not None:
            bad |= np.asarray(erased, bool).reshape(idx.size)
            self._erase("detector erasure", int(bad.sum()), first + int(idx[np.argmax(bad)]) if bad.any() else 0)
        nonfinite = ~np.isfinite(src).all(axis=1) & ~bad
        self._erase("non-finite output", int(nonfinite.sum()),
                    first + int(idx[np.argmax(nonfinite)]) if nonfinite.any() else 0)
        bad |= nonfinite
        part = np.empty((idx.size,) + out.shape[1:], out.dtype)
        if bad.any():
            src = src.copy()
            src[bad] = 0
        self._fill(part, key, src)
        part[bad] = 0
        out[sel] = part

    def work(self, input_items, output_items):
        out = output_items[0]
        n = len(out)
        try:
            # vlen-1 ports (Nr = 1, Nt = 1, BPSK with Nt = 1) arrive 1-D: make every port 2-D.
            skip = 2 * self.batch - 1                                # the history items
            y = input_items[0][skip:].reshape(n, self.nr)
            h = input_items[1][skip:].reshape(n, self.nr * self.nt)
            nv = input_items[2][skip:]
            out = out.reshape(n, -1)
            first = self.nitems_written(0)
            ok = (np.isfinite(y.view(np.float32)).all(axis=1) & np.isfinite(h.view(np.float32)).all(axis=1)
                  & np.isfinite(nv) & (nv >= 0))
            bad = np.flatnonzero(~ok)
            if bad.size:
                i = bad[0]
                what = ("noise_var < 0" if np.isfinite(nv[i]) and nv[i] < 0 else
                        "non-finite noise_var" if not np.isfinite(nv[i]) else "NaN/Inf in y or h")
                self._erase("invalid input", bad.size, first + int(i), what)
                out[bad] = 0
            good = np.flatnonzero(ok)
            for start in range(0, good.size, self.batch):
                self._detect(out, y, h, nv, good[start:start + self.batch], first)
        except Exception as exc:  # noqa: BLE001 (last resort: a bug here must not stop the flowgraph)
            output_items[0][:] = 0
            self._erase("detector exception", n, self.nitems_written(0), f"{type(exc).__name__}: {exc}")
        return n
