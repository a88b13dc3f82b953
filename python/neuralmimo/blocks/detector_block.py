# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Common part of the Python detector blocks (docs/conventions.md, "GNU Radio stream contract").

Inputs:  y complex[Nr], h complex[Nr·Nt] (row-major H[r, t] at r·Nt + t), noise_var float.
Output:  one port, by `output`: "symbols" complex[Nt], "estimate" complex[Nt],
         "llr" float[Nt·K] (user-major), "bits" byte[Nt·K].

Items are processed in whole batches of `batch` (the block's output multiple,
so GNU Radio sizes the upstream buffers for it and each work() call runs one
inference on many items; a trailing partial batch at the end of a finite
stream is not processed). Invalid items (NaN/Inf in y or h, noise_var <= 0 or
not finite) never raise in work(): their outputs are erased (0), a warning is
logged once per block, and invalid_items() counts them.
"""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from . import item

OUTPUT_KINDS = ("symbols", "estimate", "llr", "bits")


class DetectorBlock(gr.sync_block):
    """Subclasses set self.constellation and implement _run(y, h, nv) -> dict of numpy outputs
    among "llr" float32[n, Nt, K], "estimate" complex64[n, Nt], "symbols" complex64[n, Nt]."""

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
        self.set_output_multiple(batch)
        self._log = gr.logger(name)
        self._warned = False
        self._invalid = 0
        self._bit_weights = 1 << np.arange(k - 1, -1, -1)

    def invalid_items(self) -> int:
        """Number of items erased because their input was invalid."""
        return self._invalid

    def _run(self, y: np.ndarray, h: np.ndarray, nv: np.ndarray) -> dict:
        raise NotImplementedError

    def _fill(self, out: np.ndarray, res: dict) -> None:
        n = out.shape[0]
        if self.output == "llr":
            out[:] = res["llr"].reshape(n, -1)
        elif self.output == "bits":
            out[:] = (res["llr"].reshape(n, -1) > 0)
        elif self.output == "estimate":
            out[:] = res["estimate"]
        elif "symbols" in res:
            out[:] = res["symbols"]
        elif "llr" in res:
            idx = (res["llr"] > 0).astype(np.int64) @ self._bit_weights
            out[:] = self.constellation.points[idx]
        else:
            out[:] = self.constellation.points[self.constellation.nearest(res["estimate"])]

    def work(self, input_items, output_items):
        # vlen-1 ports (Nr = 1, Nt = 1, BPSK with Nt = 1) arrive 1-D: make every port 2-D.
        y = input_items[0].reshape(len(input_items[0]), self.nr)
        h = input_items[1].reshape(len(input_items[1]), self.nr * self.nt)
        nv = input_items[2]
        out = output_items[0].reshape(len(output_items[0]), -1)
        n = out.shape[0]
        ok = (np.isfinite(y.view(np.float32)).all(axis=1) & np.isfinite(h.view(np.float32)).all(axis=1)
              & np.isfinite(nv) & (nv > 0))
        if ok.all():
            self._fill(out, self._run(y[:n], h[:n], nv[:n]))
            return n
        bad = np.flatnonzero(~ok)
        self._invalid += bad.size
        if not self._warned:
            i = bad[0]
            what = ("noise_var <= 0" if np.isfinite(nv[i]) and nv[i] <= 0 else
                    "non-finite noise_var" if not np.isfinite(nv[i]) else "NaN/Inf in y or h")
            self._log.warn(f"{what} at item {self.nitems_written(0) + i}; outputs erased "
                           "(logged once, see invalid_items())")
            self._warned = True
        out[~ok] = 0
        good = np.flatnonzero(ok)
        if good.size:
            res_out = np.empty((good.size,) + out.shape[1:], dtype=out.dtype)
            self._fill(res_out, self._run(y[good], h[good], nv[good]))
            out[good] = res_out
        return n
