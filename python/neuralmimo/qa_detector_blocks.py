#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detector-block contract, for every detector block: source -> block -> sink.

Each output kind (symbols, estimate, llr, bits) equals the Python reference nm.detector on the
same items; NaN/Inf items and noise_var < 0 are erased (0) and counted, never fatal; every item
of a finite stream comes out; an exception in a Python block's detector costs only the items that
raise it; a wrong vlen is refused at connect; bad constructor arguments raise ValueError naming
them. The table of bad inputs (BAD_INPUTS) that every block meets under the detector output
contract is in qa_detector_blocks_bad_input.py. Checks specific to one block (held channels,
threads, learned steps, model manifests) stay in its qa_<block>.py.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.phy.demap import LLR_LIMIT
from neuralmimo.qa_common import (CG_SYSTEMS, random_system, run_detector_block, shipped_model,
                                  tc_check_against_api)

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")



@dataclass(frozen=True)
class BlockKind:
    """A detector block and its Python reference.

    make(constellation, nr, nt, output, batch) -> block; reference(constellation, nt) -> nm.detector.
    systems: (constellation, Nr, Nt) to check. items: a multiple of the Python blocks' batch.
    double_reference: the reference runs in float64 (the block computes in float32).
    llr_tol: (rtol, atol) of the LLRs; estimate_atol; agreement: least fraction of equal hard
    symbols and bits (1.0: all equal).
    """

    label: str
    make: Callable
    reference: Callable
    systems: tuple
    items: int
    noise_var: tuple
    batch: int = 32
    double_reference: bool = True
    llr_tol: tuple = (2e-3, 2e-3)
    estimate_atol: float = 1e-4
    agreement: float = 0.999


def _cg_kind(form: str, iterations: Callable[[int], int], label: str) -> BlockKind:
    return BlockKind(
        f"cg_detector {label}",
        lambda c, nr, nt, out, batch: nm.cg_detector(nt, nr, c, out, iterations(nt), form=form),
        lambda c, nt: nm.detector("cg", constellation=c, iterations=iterations(nt), form=form,
                                  llr_variance="exact"),
        CG_SYSTEMS, 200, (0.05, 1.0))


KINDS = (
    BlockKind("lmmse_detector", lambda c, nr, nt, out, batch: nm.lmmse_detector(nt, nr, c, out),
              lambda c, nt: nm.detector("lmmse", constellation=c),
              (("qam16", 4, 4), ("qpsk", 8, 4), ("qam64", 3, 2), ("bpsk", 4, 3), ("qam256", 2, 2)),
              300, (0.01, 1.0)),
    _cg_kind("complex", lambda nt: nt, "complex Nt iterations"),
    _cg_kind("real", lambda nt: 2 * nt, "real 2Nt iterations"),
    _cg_kind("complex", lambda nt: 2, "complex 2 iterations"),
    _cg_kind("real", lambda nt: 3, "real 3 iterations"),
    BlockKind("onnx_detector",
              lambda c, nr, nt, out, batch: nm.onnx_detector(shipped_model(), nt, nr, c, out, threads=1,
                                                             batch=batch),
              lambda c, nt: nm.detector(shipped_model()), (("qam16", 4, 4),), 512, (0.02, 1.0), batch=128,
              double_reference=False, llr_tol=(1e-6, 1e-6), estimate_atol=1e-6, agreement=1.0),
    *(BlockKind(f"classical_detector({name})",
                lambda c, nr, nt, out, batch, name=name: nm.classical_detector(name, nt, nr, c, out, batch=batch),
                lambda c, nt, name=name: nm.detector(name, constellation=c), (system,), 96, (0.3, 0.3),
                double_reference=False, llr_tol=(1e-6, 1e-6), estimate_atol=1e-6, agreement=1.0)
      for name, system in (("lmmse", ("qam16", 4, 4)), ("zf", ("qpsk", 6, 3)), ("ml", ("qpsk", 2, 2)))),
)

#: vlen and item type of each output kind for Nt streams of K bits.
OUTPUT_PORTS = {"symbols": (np.complex64, lambda nt, k: nt), "estimate": (np.complex64, lambda nt, k: nt),
                "llr": (np.float32, lambda nt, k: nt * k), "bits": (np.uint8, lambda nt, k: nt * k)}


def reference_output(kind: BlockKind, const, nt, y, h, nv):
    det = kind.reference(const, nt)
    if kind.double_reference:
        return det(y.astype(np.complex128), h.astype(np.complex128), nv)
    return det(y, h, nv)


def reference_llr(kind: BlockKind, const, nt, y, h, nv):
    """The reference's LLRs as [B, Nt·K], clipped to ±LLR_LIMIT as every block's are."""
    llr = np.asarray(reference_output(kind, const, nt, y, h, nv).llr)
    return np.clip(llr.reshape(y.shape[0], -1), -LLR_LIMIT, LLR_LIMIT)


def run_output(kind: BlockKind, const, nr, nt, output, y, h, nv, block=None):
    dtype, vlen = OUTPUT_PORTS[output]
    block = block or kind.make(const, nr, nt, output, kind.batch)
    return run_detector_block(block, y, h, nv, dtype, vlen(nt, nm.constellation(const).bits_per_symbol))


def check_agreement(tc, got, want, kind, msg):
    if kind.agreement == 1.0:
        np.testing.assert_array_equal(got, want, err_msg=msg)
    else:
        tc.assertGreater(np.mean(np.abs(got.astype(np.complex128) - want) < 1e-5), kind.agreement, msg)


def every_output_kind_equals_the_python_reference(tc, kind):
    rng = np.random.default_rng(4)
    for const, nr, nt in kind.systems:
        msg = f"{kind.label} {const} {nr}x{nt}"
        c = nm.constellation(const)
        n = kind.items
        y, h, _ = random_system(rng, n, nr, nt, c, 0.1)
        nv = rng.uniform(*kind.noise_var, n).astype(np.float32)
        ref = reference_output(kind, const, nt, y, h, nv)
        ref_llr = reference_llr(kind, const, nt, y, h, nv)
        llr = run_output(kind, const, nr, nt, "llr", y, h, nv)
        tc.assertEqual(llr.shape, (n, nt * c.bits_per_symbol), msg)
        rtol, atol = kind.llr_tol
        np.testing.assert_allclose(llr, ref_llr, rtol=rtol, atol=atol, err_msg=msg)
        est = run_output(kind, const, nr, nt, "estimate", y, h, nv)
        np.testing.assert_allclose(est, ref.estimate, atol=kind.estimate_atol, err_msg=msg)
        sym = run_output(kind, const, nr, nt, "symbols", y, h, nv)
        check_agreement(tc, sym, ref.symbols, kind, msg)
        bits = run_output(kind, const, nr, nt, "bits", y, h, nv)
        check_agreement(tc, bits, (ref_llr > 0).astype(np.uint8), kind, msg)


def invalid_items_are_erased_not_fatal(tc, kind):
    """noise_var Inf and < 0, NaN in y, Inf and NaN in H: those items give 0 and are counted; the
    others equal the reference (noise_var 0 is valid: BAD_INPUTS, qa_detector_blocks_bad_input.py)."""
    rng = np.random.default_rng(9)
    const, nr, nt = kind.systems[0]
    c = nm.constellation(const)
    n = 64
    y, h, _ = random_system(rng, n, nr, nt, c, 0.1)
    nv = np.full(n, 0.1, np.float32)
    nv[2], nv[5] = np.inf, -0.5
    y[7, 0] = np.nan
    h[9, 1, 1] = np.inf
    h[11, 0, nt - 1] = np.nan
    bad = [2, 5, 7, 9, 11]
    good = np.setdiff1d(np.arange(n), bad)
    block = kind.make(const, nr, nt, "llr", 32)
    got = run_output(kind, const, nr, nt, "llr", y, h, nv, block=block)
    tc.assertEqual(got.shape[0], n)
    tc.assertTrue(np.all(got[bad] == 0))
    tc.assertTrue(np.all(np.isfinite(got)))
    tc.assertEqual(block.invalid_items(), len(bad))
    ref = reference_llr(kind, const, nt, y[good], h[good], nv[good])
    rtol, atol = kind.llr_tol
    np.testing.assert_allclose(got[good], ref, rtol=rtol, atol=atol)


def wrong_vlen_is_refused_at_connect(tc, kind):
    const, nr, nt = kind.systems[0]
    block = kind.make(const, nr, nt, "llr", 32)
    tb = gr.top_block()
    with tc.assertRaisesRegex(Exception, "itemsize mismatch"):
        tb.connect(blocks.vector_source_c([0j] * (nr + 1), False, nr + 1), (block, 0))


def configuration_errors_name_the_parameter(tc, kind):
    const, nr, nt = kind.systems[0]
    with tc.assertRaisesRegex(ValueError, r"\bnt\b"):
        kind.make(const, nr, 0, "llr", 32)
    with tc.assertRaisesRegex(ValueError, "'qam32' is not one of"):
        kind.make("qam32", nr, nt, "llr", 32)
    with tc.assertRaisesRegex(ValueError, "output 'soft' is not one of"):
        kind.make(const, nr, nt, "soft", 32)


CHECKS = (every_output_kind_equals_the_python_reference, invalid_items_are_erased_not_fatal,
          wrong_vlen_is_refused_at_connect, configuration_errors_name_the_parameter)


class qa_detector_blocks(gr_unittest.TestCase):
    """One test method per (check, block kind): test_<check>__<block kind>."""


for _kind in KINDS:
    for _check in CHECKS:
        _name = f"test_{_check.__name__}__{re.sub(r'[^0-9a-zA-Z]+', '_', _kind.label).strip('_')}"
        setattr(qa_detector_blocks, _name, lambda self, kind=_kind, check=_check: check(self, kind))


# --- Nothing lost, nothing fatal: the Python blocks' work() --------------------------------------

def _python_block_kinds():
    return [k for k in KINDS if k.label.startswith(("onnx_detector", "classical_detector"))]


def _recording(block):
    """Wraps block._run so that the item count of every inference call is recorded."""
    sizes, run = [], block._run

    def _run(y, h, nv):
        sizes.append(len(y))
        return run(y, h, nv)
    block._run = _run
    return sizes


def every_item_comes_out_of_a_finite_stream(tc, kind):
    """1,000 items at batch 256 (regression: the last partial batch was dropped, 768 out): N in = N
    out, the tail items equal the reference, and no inference call holds more than `batch` items."""
    rng = np.random.default_rng(12)
    const, nr, nt = kind.systems[0]
    c = nm.constellation(const)
    n, batch = 1000, 256
    y, h, _ = random_system(rng, n, nr, nt, c, 0.1)
    nv = np.full(n, 0.1, np.float32)
    block = kind.make(const, nr, nt, "llr", batch)
    sizes = _recording(block)
    got = run_output(kind, const, nr, nt, "llr", y, h, nv, block=block)
    tc.assertEqual(got.shape, (n, nt * c.bits_per_symbol))
    tc.assertEqual(sum(sizes), n)
    tc.assertLessEqual(max(sizes), batch)
    tail = slice(n - n % batch, n)
    ref = reference_llr(kind, const, nt, y[tail], h[tail], nv[tail])
    np.testing.assert_allclose(got[tail], ref, rtol=kind.llr_tol[0], atol=kind.llr_tol[1])
    tc.assertEqual(block.invalid_items(), 0)


class _raising_on_marked_items:
    """Mixin: _run raises (as a detector bug would) when an item's noise_var is MARK."""
    MARK = np.float32(0.123)

    def _run(self, y, h, nv):
        if np.any(nv == self.MARK):
            raise RuntimeError("marked item")
        return super()._run(y, h, nv)


def an_exception_in_run_erases_only_the_raising_items(tc, kind):
    """work() never raises: a _run that raises on 3 of 200 items costs those 3 items (0, counted,
    logged once), the flowgraph finishes, the other 197 equal the reference."""
    rng = np.random.default_rng(13)
    const, nr, nt = kind.systems[0]
    c = nm.constellation(const)
    n = 200
    y, h, _ = random_system(rng, n, nr, nt, c, 0.1)
    nv = np.full(n, 0.1, np.float32)
    marked = [0, 77, 199]
    nv[marked] = _raising_on_marked_items.MARK
    base = type(kind.make(const, nr, nt, "llr", 64))
    raising = type("raising", (_raising_on_marked_items, base), {})
    if base.__name__ == "onnx_detector":
        block = raising(shipped_model(), nt, nr, const, "llr", batch=64)
    else:
        block = raising(kind.label[len("classical_detector("):-1], nt, nr, const, "llr", batch=64)
    got = run_output(kind, const, nr, nt, "llr", y, h, nv, block=block)
    tc.assertEqual(got.shape[0], n)
    tc.assertTrue(np.all(got[marked] == 0))
    tc.assertEqual(block.invalid_items(), len(marked))
    tc.assertEqual(block.erasures()["detector exception"], len(marked))
    good = np.setdiff1d(np.arange(n), marked)
    ref = reference_llr(kind, const, nt, y[good], h[good], nv[good])
    np.testing.assert_allclose(got[good], ref, rtol=kind.llr_tol[0], atol=kind.llr_tol[1])


for _kind in _python_block_kinds():
    for _check in (every_item_comes_out_of_a_finite_stream, an_exception_in_run_erases_only_the_raising_items):
        _name = f"test_{_check.__name__}__{re.sub(r'[^0-9a-zA-Z]+', '_', _kind.label).strip('_')}"
        setattr(qa_detector_blocks, _name, lambda self, kind=_kind, check=_check: check(self, kind))


def test_regression_rank1_h_does_not_hang_zf_vblast(self):
    """Regression: classical_detector(zf | vblast) with one finite rank-1 H (noise_var 0.1) among
    good items raised in work(); GNU Radio ended the block's thread and tb.run() never returned.
    Now the flowgraph finishes (watchdog), every item comes out, the rank-1 item is erased or
    answered as the Python API answers it alone, the others equal the reference."""
    rng = np.random.default_rng(14)
    c = nm.constellation("qpsk")
    n, nr, nt = 64, 4, 2
    for name in ("zf", "vblast"):
        y, h, _ = random_system(rng, n, nr, nt, c, 0.1)
        h[3] = np.outer(h[3][:, 0], [1.0, 2.0])
        nv = np.full(n, 0.1, np.float32)
        block = nm.classical_detector(name, nt, nr, "qpsk", "llr", batch=32)
        got = run_detector_block(block, y, h, nv, np.float32, nt * 2)
        tc_check_against_api(self, nm.detector(name, constellation="qpsk"), block, y, h, nv, got,
                             (1e-5, 1e-5), f"{name} rank-1")


qa_detector_blocks.test_regression_rank1_h_does_not_hang_zf_vblast = test_regression_rank1_h_does_not_hang_zf_vblast


if __name__ == "__main__":
    gr_unittest.run(qa_detector_blocks)
