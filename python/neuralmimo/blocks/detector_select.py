# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""detector_select: one parameter picks the detector block of a receiver flowgraph.

    spec "cpp:lmmse"           the C++ LMMSE block (lmmse_detector)
    spec "cpp:cg" / "cpp:cg:N" the C++ classical CG block, N iterations (default Nt)
    spec "path/model.onnx"     onnx_detector (its manifest must match nt, nr, constellation)
    spec any other name        classical_detector(name): nm.detector_names()

All of them take y, h, noise_var (docs/conventions.md, stream contract) and give one output of kind
`output`; a receiver flowgraph (usrp_rx.grc, replay) changes detector by changing a string.
"""
from __future__ import annotations

from ..detectors import detector_names


def detector_select(spec: str = "cpp:lmmse", nt: int = 2, nr: int = 2, constellation: str = "qam16",
                    output: str = "llr", batch: int = 256, threads: int = 1):
    spec = str(spec).strip()
    if spec == "cpp:lmmse":
        from .. import lmmse_detector
        return lmmse_detector(int(nt), int(nr), constellation, output)
    if spec == "cpp:cg" or spec.startswith("cpp:cg:"):
        from .. import cg_detector
        iterations = spec[len("cpp:cg:"):] if spec != "cpp:cg" else str(nt)
        if not iterations.isdigit() or int(iterations) < 1:
            raise ValueError(f"detector_select: '{spec}' is not cpp:cg or cpp:cg:<iterations >= 1>")
        return cg_detector(int(nt), int(nr), constellation, output, int(iterations), [], [], "complex",
                           int(threads))
    if spec.endswith(".onnx"):
        from .onnx_detector import onnx_detector
        return onnx_detector(spec, nt, nr, constellation, output, threads=threads, batch=batch)
    if spec in detector_names():
        from .classical_detector import classical_detector
        return classical_detector(spec, nt, nr, constellation, output, batch=batch)
    raise ValueError(f"detector_select: unknown detector '{spec}'; use cpp:lmmse, cpp:cg[:N], "
                     f"a .onnx file or one of {', '.join(detector_names())}")


def run_items(block, y, h, noise_var, width: int):
    """Runs a detector block once over items in a throw-away flowgraph (replay, tests).

    y: complex64[n, Nr], h: complex64[n, Nr, Nt], noise_var: float32[n]; the block's output
    must be float[width] (LLRs). Returns float32[n, width]."""
    import numpy as np
    from gnuradio import blocks, gr

    n, nr = y.shape
    tb = gr.top_block()
    srcs = [blocks.vector_source_c(np.asarray(y).ravel().tolist(), False, nr),
            blocks.vector_source_c(np.asarray(h).reshape(n, -1).ravel().tolist(), False, h.shape[1] * h.shape[2]),
            blocks.vector_source_f(np.asarray(noise_var, np.float32).ravel().tolist(), False, 1)]
    snk = blocks.vector_sink_f(width)
    for i, src in enumerate(srcs):
        tb.connect(src, (block, i))
    tb.connect(block, snk)
    tb.run()
    return np.asarray(snk.data(), np.float32).reshape(-1, width)
