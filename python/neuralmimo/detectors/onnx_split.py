# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-channel / per-observation path of a split model (export/split.py, manifest "split").

The channel stage runs once per distinct (H, σ²) of a call, not per item: items whose H and σ²
are bit-for-bit equal share one state, wherever they are in the call (the OFDM receiver emits a
frame's resource elements symbol by symbol, so one carrier's H recurs every 52 items, constant over
the frame's data symbols), and the channels of the previous call are remembered for the next one,
so a frame split over two work() calls costs one channel stage per carrier. The observation stage
runs on every item, in onnxruntime ("onnx") or in the C++ kernel lib/mmnet_kernel.cc ("cpp",
HyperMIMO's MMNet only).

The outputs are finished as the whole graph's (erasure of H = 0 and non-finite items, LLR clip).
"""
from __future__ import annotations

import numpy as np

from ..phy.constellation import constellation as lookup
from .base import finish_numpy

ENGINES = ("onnx", "cpp")


def channel_keys(h_ri: np.ndarray, nv: np.ndarray) -> np.ndarray:
    """One bytes-comparable row per item: the bit patterns of its H and σ² (a NaN channel repeated
    is one channel; -0.0 and 0.0 differ) -> void[B]."""
    b = h_ri.shape[0]
    bits = np.concatenate([np.ascontiguousarray(h_ri, dtype=np.float32).reshape(b, -1).view(np.uint32),
                           np.ascontiguousarray(nv, dtype=np.float32).reshape(b, 1).view(np.uint32)], axis=1)
    return np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1] * 4))).ravel()


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
        self._prev = None             # the previous call's channels: (sorted keys, state arrays)
        self.channel_items = 0        # channel stages run (counters for the saving measured in bench)
        self.items = 0
        self._kernel = None
        if engine == "cpp":
            if manifest["family"] != "hypermimo":
                raise ValueError(f"split: engine 'cpp' runs HyperMIMO's MMNet here (LcgNet and LMMSE models run in "
                                 f"their C++ blocks through detector_select); this model is '{manifest['family']}'")
            from ..neuralmimo_python import mmnet_kernel   # the compiled module (make build)

            self._kernel = mmnet_kernel(self.nt, self.nr, int(manifest["config"]["layers"]),
                                        manifest["constellation"])

    def reset(self) -> None:
        """Forget the remembered channels (the next call runs the channel stage for all of its own)."""
        self._prev = None

    def _states(self, h_ri, nv, keys):
        """State arrays [U, ...] for the call's U distinct channels, and each item's index into them.
        Channels of the previous call are taken from it (sorted keys, one searchsorted); the rest
        run the channel graph in one call."""
        uniq, first, index = np.unique(keys, return_index=True, return_inverse=True)
        found = np.zeros(len(uniq), dtype=bool)
        if self._prev is not None:
            prev_keys, prev_states = self._prev
            pos = np.minimum(np.searchsorted(prev_keys, uniq), len(prev_keys) - 1)
            found = prev_keys[pos] == uniq
        todo = np.flatnonzero(~found)
        if len(todo):
            rows = first[todo]
            new = self.channel_session.run(self.state_names, {"h": np.ascontiguousarray(h_ri[rows]),
                                                              "noise_var": np.ascontiguousarray(nv[rows])})
            self.channel_items += len(todo)
        if not found.any():
            states = new
        else:
            states = [np.empty((len(uniq),) + a.shape[1:], a.dtype) for a in prev_states]
            for st, a in zip(states, prev_states):
                st[found] = a[pos[found]]
            for st, a in zip(states, new if len(todo) else ()):
                st[todo] = a
        self._prev = (uniq, states)
        return states, index.reshape(-1)

    def run(self, y_ri: np.ndarray, h_ri: np.ndarray, nv: np.ndarray) -> dict:
        """y float32[B,Nr,2], h float32[B,Nr,Nt,2], noise_var float32[B] -> outputs + "erased"."""
        b = y_ri.shape[0]
        if b == 0:
            empty = {"llr": np.zeros((0, self.nt, self.k), np.float32), "estimate": np.zeros((0, self.nt, 2), np.float32)}
            return finish_numpy({k: empty[k] for k in self.outputs}, np.zeros(0, bool))
        states, index = self._states(h_ri, nv, channel_keys(h_ri, nv))
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
        zero_h = (h_ri == 0).reshape(b, -1).all(axis=1)
        return finish_numpy(res, zero_h)

    @staticmethod
    def _as_kernel(name, s):
        """(re, im)-last float32 state arrays as the kernel's complex64 ones."""
        if name in ("q", "r", "theta"):
            return np.ascontiguousarray(s).view(np.complex64)[..., 0]
        return np.ascontiguousarray(s, dtype=np.float32)


__all__ = ["SplitRunner", "channel_keys", "ENGINES"]
