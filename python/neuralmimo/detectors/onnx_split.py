# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-channel / per-observation path of a split model (export/split.py, manifest "split").

The channel stage runs once per distinct (H, σ²), not per item: consecutive items whose H and σ²
are bit-for-bit equal to the previous item's share one state (the comparison the C++ detector
blocks make; in the OFDM link H is constant over a frame's data symbols on a carrier), and the last
channel of a call is remembered for the next one, so a run of equal channels across work() calls
costs one channel stage. The observation stage runs on every item, in onnxruntime ("onnx") or in
the C++ kernel lib/mmnet_kernel.cc ("cpp", HyperMIMO's MMNet only).

The outputs are finished as the whole graph's (erasure of H = 0 and non-finite items, LLR clip).
"""
from __future__ import annotations

import numpy as np

from ..phy.constellation import constellation as lookup
from .base import finish_numpy

ENGINES = ("onnx", "cpp")


def new_channels(h_ri: np.ndarray, nv: np.ndarray, last=None) -> np.ndarray:
    """bool[B]: the items that start a new channel, i.e. whose H or σ² differ (bit for bit) from the
    previous item's; item 0 is compared with `last` = (h, nv) of the previous call, or is new."""
    b = h_ri.shape[0]
    bits = np.ascontiguousarray(h_ri).reshape(b, -1).view(np.uint32)
    nvb = np.ascontiguousarray(nv, dtype=np.float32).view(np.uint32)
    first = np.ones(b, dtype=bool)
    if b > 1:   # bit patterns: a NaN channel repeated is one channel; -0.0 and 0.0 differ
        first[1:] = (bits[1:] != bits[:-1]).any(axis=1) | (nvb[1:] != nvb[:-1])
    if last is not None and b:
        first[0] = not (np.array_equal(bits[0], last[0].reshape(-1).view(np.uint32))
                        and nvb[0] == np.float32(last[1]).view(np.uint32))
    return first


class SplitRunner:
    """Runs a split model's two stages. sessions: (channel InferenceSession, observation
    InferenceSession or None for engine "cpp"); manifest: the model's; engine: "onnx" | "cpp"."""

    def __init__(self, channel_session, observation_session, manifest: dict, engine: str = "onnx"):
        if engine not in ENGINES:
            raise ValueError(f"split: engine '{engine}' is not one of {', '.join(ENGINES)}")
        self.engine = engine
        self.channel_session = channel_session
        self.observation_session = observation_session
        self.state_names = list(manifest["split"]["state"])
        self.outputs = list(manifest["outputs"])
        self.nt, self.nr = int(manifest["nt"]), int(manifest["nr"])
        self.k = lookup(manifest["constellation"]).bits_per_symbol
        self._last = None             # (h float32[Nr, Nt, 2], nv float32, state tuple of [1, ...] arrays)
        self.channel_items = 0        # channel stages run (counters for the saving measured in bench)
        self.items = 0
        self._kernel = None
        if engine == "cpp":
            if manifest["family"] != "hypermimo":
                raise ValueError(f"split: engine 'cpp' runs HyperMIMO's MMNet; this model is '{manifest['family']}'")
            from ..neuralmimo_python import mmnet_kernel   # the compiled module (make build)

            self._kernel = mmnet_kernel(self.nt, self.nr, int(manifest["config"]["layers"]),
                                        manifest["constellation"])

    def reset(self) -> None:
        """Forget the remembered channel (the next item runs the channel stage)."""
        self._last = None

    def _states(self, h_ri, nv, first):
        """State arrays for the channels starting at `first` items, with the remembered one prepended
        when item 0 continues it: -> list of arrays [C, ...]."""
        new = self.channel_session.run(self.state_names, {"h": h_ri[first], "noise_var": nv[first]}) \
            if first.any() else None
        self.channel_items += int(first.sum())
        if not first[0]:
            kept = self._last[2]
            return [np.concatenate([k, s]) for k, s in zip(kept, new)] if new is not None else list(kept)
        return new

    def run(self, y_ri: np.ndarray, h_ri: np.ndarray, nv: np.ndarray) -> dict:
        """y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B] -> outputs + "erased"."""
        b = y_ri.shape[0]
        if b == 0:
            empty = {"llr": np.zeros((0, self.nt, self.k), np.float32), "estimate": np.zeros((0, self.nt, 2), np.float32)}
            return finish_numpy({k: empty[k] for k in self.outputs}, np.zeros(0, bool))
        first = new_channels(h_ri, nv, None if self._last is None else self._last[:2])
        index = np.cumsum(first) - (1 if first[0] else 0)
        states = self._states(h_ri, nv, first)
        self.items += b
        if self.engine == "cpp":
            est, llr = self._kernel.detect(
                np.ascontiguousarray(y_ri).view(np.complex64)[..., 0], index.astype(np.int32),
                *[self._as_kernel(name, s) for name, s in zip(self.state_names, states)])
            res = {"llr": llr, "estimate": np.ascontiguousarray(est).view(np.float32).reshape(b, self.nt, 2)}
            res = {k: res[k] for k in self.outputs}
            if self._kernel.erased:   # the kernel zeroes what it erases (non-finite y or state, overflow)
                zero = (llr == 0).reshape(b, -1).all(axis=1) & (est == 0).all(axis=1)
                return finish_numpy(res, zero | (h_ri == 0).reshape(b, -1).all(axis=1))
        else:
            feed = {"y": y_ri, **{n: np.take(s, index, axis=0) for n, s in zip(self.state_names, states)}}
            res = dict(zip(self.outputs, self.observation_session.run(self.outputs, feed)))
        self._last = (h_ri[-1].copy(), np.float32(nv[-1]), [s[-1:].copy() for s in states])
        zero_h = (h_ri == 0).reshape(b, -1).all(axis=1)
        return finish_numpy(res, zero_h)

    @staticmethod
    def _as_kernel(name, s):
        """(re, im)-last float32 state arrays as the kernel's complex64 ones."""
        if name in ("q", "r", "theta"):
            return np.ascontiguousarray(s).view(np.complex64)[..., 0]
        return np.ascontiguousarray(s, dtype=np.float32)


__all__ = ["SplitRunner", "new_channels", "ENGINES"]
