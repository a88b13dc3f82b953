# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""detector_select: one parameter picks the detector block of a receiver flowgraph.

    spec "cpp:lmmse"           the C++ LMMSE block (lmmse_detector)
    spec "cpp:cg" / "cpp:cg:N" the C++ classical CG block, N iterations (default Nt)
    spec "path/model.onnx"     onnx_detector (its manifest must match nt, nr, constellation)
    spec "model.onnx:split=E"  onnx_detector on the model's split graphs (E = onnx or cpp); with
                               E = cpp a linear model runs in its C++ block, per-channel set-up
                               once per channel: LcgNet in cg_detector with the manifest's learned
                               steps, the max-log LMMSE model in lmmse_detector (the same
                               outputs to float tolerance, tested), HyperMIMO's observation stage
                               in the C++ MMNet kernel
    spec any other name        classical_detector(name): nm.detector_names()

The spec is parsed by registry.DetectorSpec, as nm.detector's. All of them take y, h, noise_var
(the stream contract, docs/conventions.md) and give one output of kind `output`; a receiver
flowgraph (usrp_rx.grc, replay) changes detector by changing a string.
"""
from __future__ import annotations

from ..registry import DetectorSpec


def detector_select(spec: str = "cpp:lmmse", nt: int = 2, nr: int = 2, constellation: str = "qam16",
                    output: str = "llr", batch: int = 256, threads: int = 1):
    s = DetectorSpec.parse(spec, "detector_select: spec")
    if s.kind == "cpp" and s.name == "lmmse":
        from .. import lmmse_detector
        return lmmse_detector(int(nt), int(nr), constellation, output)
    if s.kind == "cpp":
        from .. import cg_detector
        iterations = s.options.get("iterations", int(nt))
        return cg_detector(int(nt), int(nr), constellation, output, iterations, [], [], "complex", int(threads))
    if s.kind == "onnx" and s.options.get("split") == "cpp":
        block = cpp_block_for_model(s.name, nt, nr, constellation, output, threads)
        if block is not None:
            return block
    if s.kind == "onnx":
        from .onnx_detector import onnx_detector
        return onnx_detector(s.name, nt, nr, constellation, output, threads=threads, batch=batch,
                             split=s.options.get("split", "off"))
    if s.kind == "classical":
        from .classical_detector import classical_detector
        return classical_detector(s.name, nt, nr, constellation, output, batch=batch)
    raise ValueError(f"detector_select: spec '{spec}' is a {s.kind}; a block needs cpp:lmmse, cpp:cg[:N], "
                     "a .onnx model or a classical name")


def has_cpp_path(manifest: dict) -> bool:
    """Whether "model.onnx:split=cpp" runs the model in C++: the linear families in their C++
    blocks (cpp_block_for_model), HyperMIMO's observation stage in the MMNet kernel."""
    return _is_linear(manifest) or (manifest["family"] == "hypermimo" and "split" in manifest)


def _is_linear(manifest: dict) -> bool:
    return (manifest["family"] in ("lcgnet", "lmmse")
            and manifest.get("config", {}).get("demapping", "maxlog") == "maxlog")


def cpp_block_for_model(path: str, nt: int, nr: int, constellation: str, output: str, threads: int = 1):
    """The C++ block that computes a linear model (manifest family "lcgnet", or "lmmse" with max-log
    demapping), or None for any other family. The manifest must agree with nt, nr and the
    constellation (ValueError naming both values, as onnx_detector's)."""
    from ..detectors.onnx_model import check_flowgraph
    from ..manifest import manifest_path, read_manifest

    m = read_manifest(path)
    if not _is_linear(m):
        return None
    check_flowgraph(m, path, nt, nr, constellation)
    if m["family"] == "lmmse":
        from .. import lmmse_detector
        return lmmse_detector(int(nt), int(nr), constellation, output)
    from .. import cg_detector
    from ..cg_steps import load_cg_steps

    alpha, beta, layers = load_cg_steps(manifest_path(path), int(nt))
    return cg_detector(int(nt), int(nr), constellation, output, layers, alpha, beta, "complex", int(threads))


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
