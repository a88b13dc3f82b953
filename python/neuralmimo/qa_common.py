# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the GNU Radio QA tests (not a test itself, not installed)."""

import threading

import numpy as np
from gnuradio import blocks, gr

from neuralmimo.paths import source_dir  # noqa: F401  (the QA tests import it from here)
from neuralmimo.phy.demap import LLR_LIMIT

#: (constellation, Nr, Nt) of the CG block checks; Nr >= 2 Nt keeps float32 CG within 1e-4 of
#: float64 after Nt iterations.
CG_SYSTEMS = (("qam16", 8, 4), ("qpsk", 6, 3), ("bpsk", 8, 4), ("qam64", 4, 2), ("qam256", 4, 2))

_SINKS = {np.float32: blocks.vector_sink_f, np.complex64: blocks.vector_sink_c, np.uint8: blocks.vector_sink_b}


def shipped_model(name="lmmse_qam16_4x4.onnx") -> str:
    return str(source_dir() / "models" / name)


def random_system(rng, batch, nr, nt, const, noise_var):
    """complex64 y [B, Nr], H [B, Nr, Nt], symbol indices [B, Nt], with CN(0,1) H."""
    h = ((rng.standard_normal((batch, nr, nt)) + 1j * rng.standard_normal((batch, nr, nt))) / np.sqrt(2))
    idx = rng.integers(0, const.order, (batch, nt))
    x = const.points[idx]
    nv = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), (batch,))
    n = (rng.standard_normal((batch, nr)) + 1j * rng.standard_normal((batch, nr))) * np.sqrt(nv[:, None] / 2)
    y = np.einsum("brt,bt->br", h, x) + n
    return y.astype(np.complex64), h.astype(np.complex64), idx


#: Seconds a test flowgraph may run before it counts as hung (generous: the slowest run takes ~2 s).
WATCHDOG_S = 120.0


def run_flowgraph(tb, timeout=WATCHDOG_S):
    """tb.run() with a watchdog: a flowgraph that does not finish within `timeout` seconds (a block
    thread died and the scheduler waits for it forever) fails the test instead of hanging it."""
    t = threading.Thread(target=tb.run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        tb.stop()
        raise AssertionError(f"the flowgraph did not finish within {timeout:.0f} s (a hang)")


def run_float_chain(x, *chain, out_vlen, sink=None, dtype=np.float32):
    """float32 x [B, N] -> vector source -> chain... -> vector sink (default float): the sink's
    data [B, out_vlen]."""
    from gnuradio import blocks, gr

    tb = gr.top_block()
    src = blocks.vector_source_f(x.ravel().tolist(), False, x.shape[1])
    snk = (sink or blocks.vector_sink_f)(out_vlen)
    tb.connect(src, *chain, snk)
    run_flowgraph(tb)
    return np.asarray(snk.data(), dtype).reshape(-1, out_vlen)


def run_detector_block(block, y, h, nv, out_dtype, out_vlen, buffer_items=None):
    """vector sources -> block -> vector sink, under run_flowgraph's watchdog; returns the sink
    data as [B, out_vlen].

    y: complex64[B, Nr], h: complex64[B, Nr, Nt], nv: float32[B]. buffer_items: a minimum buffer
    size (items) on every port, so that one work() call sees many items."""
    b, nr = y.shape
    nt = h.shape[2]
    tb = gr.top_block()
    srcs = [blocks.vector_source_c(y.ravel().tolist(), False, nr),
            blocks.vector_source_c(h.reshape(b, -1).ravel().tolist(), False, nr * nt),
            blocks.vector_source_f(np.asarray(nv, np.float32).ravel().tolist(), False, 1)]
    sink = _SINKS[out_dtype](out_vlen)
    for port, src in enumerate(srcs):
        if buffer_items is not None:
            src.set_min_output_buffer(buffer_items)
        tb.connect(src, (block, port))
    if buffer_items is not None:
        block.set_min_output_buffer(buffer_items)
    tb.connect(block, sink)
    run_flowgraph(tb)
    return np.asarray(sink.data(), dtype=out_dtype).reshape(-1, out_vlen)


# --- A block's output against the Python API, item by item (the detector output contract) ------

def api_answer(det, y, h, nv):
    """The Python API on one item alone: clipped LLRs [width], or None where it has no answer
    (it raises ValueError, marks the item erased, or gives a non-finite output)."""
    try:
        out = det(y[None], h[None], np.float32([nv]))
    except Exception:  # noqa: BLE001 (ValueError by the API's contract; torch's LinAlgError until
        return None    # the classical CG is fixed: either way the API has no answer)
    llr = np.asarray(out.llr, np.float64).reshape(-1)
    erased = getattr(out, "erased", None)
    if (erased is not None and np.asarray(erased).any()) or not np.isfinite(llr).all():
        return None
    return np.clip(llr, -LLR_LIMIT, LLR_LIMIT)


def tc_check_against_api(tc, det, block, y, h, nv, got, tol, msg, unstable=()):
    """got (the block's LLRs) against det (the API), item by item: N in = N out, finite, bounded;
    an item is 0 and counted exactly when the API alone has no answer, else equal to its answer
    (except the items in `unstable`, whose answer depends on the call's batch; see the caller).
    Returns the erased mask."""
    n = y.shape[0]
    tc.assertEqual(got.shape[0], n, f"{msg}: items in != items out")
    tc.assertTrue(np.isfinite(got).all(), f"{msg}: non-finite output")
    tc.assertLessEqual(float(np.abs(got).max()), LLR_LIMIT, f"{msg}: |LLR| > {LLR_LIMIT}")
    answers = [api_answer(det, y[i], h[i], nv[i]) for i in range(n)]
    erased = np.array([a is None for a in answers])
    for i in np.flatnonzero(erased):
        np.testing.assert_array_equal(got[i], 0, err_msg=f"{msg}: item {i} has no API answer but is not erased")
    tc.assertEqual(block.invalid_items(), int(erased.sum()), f"{msg}: erased items counted")
    if not getattr(det, "deterministic", True):
        # A random-order SIC answers an item according to its place in the call's batch (its
        # draw): the block's batches are not the API's single items, so only erasures compare.
        return erased
    for i in np.flatnonzero(~erased):
        if i in unstable:
            continue
        np.testing.assert_allclose(got[i], answers[i], rtol=tol[0], atol=tol[1], err_msg=f"{msg}: item {i}")
    return erased


def compile_examples(folder) -> dict:
    """Every examples/*.grc compiled with grcc into its own subfolder of `folder`: {file name: the
    generated script's path}."""
    from pathlib import Path

    from neuralmimo.cli.grc_run import compile_grc

    compiled = {}
    for grc in sorted((source_dir() / "examples").glob("*.grc")):
        out = Path(folder) / grc.stem
        out.mkdir()
        compiled[grc.name] = compile_grc(grc, out)
    return compiled


def grc_platform():
    """GNU Radio Companion's own platform with the module's block YAML loaded (GRC_BLOCKS_PATH)."""
    import os

    from gnuradio import gr
    from gnuradio.grc.core.platform import Platform

    from neuralmimo.cli.grc_run import grc_blocks_dir

    os.environ["GRC_BLOCKS_PATH"] = str(grc_blocks_dir())
    p = Platform(name="neuralmimo_qa", prefs=gr.prefs(), version=gr.version(),
                 version_parts=(gr.major_version(), gr.api_version(), gr.minor_version()))
    p.build_library()
    return p
