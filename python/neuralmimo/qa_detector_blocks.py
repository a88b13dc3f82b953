#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detector-block contract, for every detector block: source -> block -> sink.

Each output kind (symbols, estimate, llr, bits) equals the Python reference nm.detector on the
same items; NaN/Inf items and noise_var < 0 are erased (0) and counted, never fatal; every item
of a finite stream comes out; an exception in a Python block's detector costs only the items that
raise it; a table of bad inputs (BAD_INPUTS) meets the detector output contract; a wrong
vlen is refused at connect; bad constructor arguments raise ValueError naming them. Checks
specific to one block (held channels, threads, learned steps, model manifests) stay in its
qa_<block>.py.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.phy.demap import LLR_LIMIT
from neuralmimo.qa_common import CG_SYSTEMS, random_system, run_detector_block, shipped_model, source_dir

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
    others equal the reference (noise_var 0 is valid: BAD_INPUTS)."""
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


# --- The bad-input table: every detector block, every shipped model -----------------------------

def _rank1(h):
    return np.outer(h[:, 0], np.arange(1, h.shape[1] + 1)).astype(np.complex64)


# What the old code did with these (each now a failure of this table): the C++ blocks did not clip
# LLRs (|LLR| up to 1e20 at |y| ~ 1e30, 6e19 for learned CG at H = 0) and erased noise_var 0;
# classical and ONNX blocks answered H = 0 (oamp: NaN) and gave NaN at |H| ~ 1e20 or |y| ~ 1e30.
#: (case, f(y, h, nv) -> y, h, nv of one item). Finite cases: the outputs must be finite and
#: bounded, and the item erased exactly when the Python API alone has no answer for it.
BAD_INPUTS = (
    ("H = 0", lambda y, h, nv: (y, np.zeros_like(h), nv)),
    ("rank-1 H, noise_var 0.1", lambda y, h, nv: (y, _rank1(h), np.float32(0.1))),
    ("rank-1 H, noise_var 0", lambda y, h, nv: (y, _rank1(h), np.float32(0.0))),
    ("|H| ~ 1e20", lambda y, h, nv: (y, (h * 1e20).astype(np.complex64), nv)),
    ("|H|, |y| ~ 1e20, noise_var ~ 1e38", lambda y, h, nv: ((y * 1e20).astype(np.complex64),
                                                           (h * 1e20).astype(np.complex64), np.float32(1e38))),
    ("|y| ~ 1e30", lambda y, h, nv: ((y * 1e30).astype(np.complex64), h, nv)),
    ("noise_var 0", lambda y, h, nv: (y, h, np.float32(0.0))),
    ("noise_var 1e-30", lambda y, h, nv: (y, h, np.float32(1e-30))),
    ("noise_var < 0", lambda y, h, nv: (y, h, np.float32(-0.5))),
    ("NaN noise_var", lambda y, h, nv: (y, h, np.float32(np.nan))),
    ("Inf noise_var", lambda y, h, nv: (y, h, np.float32(np.inf))),
    ("NaN in y", lambda y, h, nv: (np.where(np.arange(y.size) == 0, np.nan, y).astype(np.complex64), h, nv)),
    ("Inf in y", lambda y, h, nv: (np.where(np.arange(y.size) == 0, np.inf, y).astype(np.complex64), h, nv)),
    ("NaN in H", lambda y, h, nv: (y, np.where(np.eye(*h.shape, dtype=bool), np.nan, h).astype(np.complex64), nv)),
    ("Inf in H", lambda y, h, nv: (y, np.where(np.eye(*h.shape, dtype=bool), np.inf, h).astype(np.complex64), nv)),
)
#: Cases whose erasure the contract fixes whatever the API does: H = 0 carries no information
#: (erased); noise_var 0 with a full-rank H is valid (answered, floored at 1e-10).
MUST_ERASE = ("H = 0",)
MUST_ANSWER = ("noise_var 0",)


@dataclass(frozen=True)
class ContractBlock:
    """make() -> a block with LLR output for `system` (constellation, Nr, Nt); reference() -> the
    Python API detector it must agree with; llr_tol (rtol, atol) on items both answer."""

    label: str
    make: Callable
    reference: Callable
    system: tuple
    llr_tol: tuple = (1e-5, 1e-5)


def _classical_system(name):
    return ("qpsk", 2, 2) if name in ("ml", "ml-maxlog", "kbest") else ("qpsk", 4, 2)


def _model_system(path):
    m = json.loads(path.with_suffix(".json").read_text())
    return (m["constellation"], int(m["nr"]), int(m["nt"]))


def _contract_blocks():
    from neuralmimo.cg_steps import load_cg_steps

    models = sorted((source_dir() / "models").glob("*.onnx"))
    cpp_tol = (2e-3, 2e-3)
    lcg = source_dir() / "models" / "lcgnetv_qam16_4x4.json"
    out = [ContractBlock(f"classical_detector({name})",
                         lambda c, nr, nt, name=name: nm.classical_detector(name, nt, nr, c, "llr", batch=16),
                         lambda c, name=name: nm.detector(name, constellation=c), _classical_system(name))
           for name in nm.detector_names()]
    out += [ContractBlock(f"onnx_detector({p.stem})",
                          lambda c, nr, nt, p=p: nm.onnx_detector(str(p), nt, nr, c, "llr", batch=16),
                          lambda c, p=p: nm.detector(str(p)), _model_system(p), (1e-4, 1e-4))
            for p in models]
    out += [
        ContractBlock("lmmse_detector", lambda c, nr, nt: nm.lmmse_detector(nt, nr, c, "llr"),
                      lambda c: nm.detector("lmmse", constellation=c), ("qam16", 4, 4), cpp_tol),
        ContractBlock("cg_detector computed", lambda c, nr, nt: nm.cg_detector(nt, nr, c, "llr", nt),
                      lambda c: nm.detector("cg", constellation=c, iterations=4, llr_variance="exact"),
                      ("qam16", 8, 4), cpp_tol),
        ContractBlock("cg_detector learned (lcgnetv_qam16_4x4)",
                      lambda c, nr, nt: nm.cg_detector(nt, nr, c, "llr", 0, *load_cg_steps(lcg, nt)[:2]),
                      lambda c: nm.detector(str(lcg.with_suffix(".onnx"))), ("qam16", 4, 4), cpp_tol),
        ContractBlock("detector_select(cpp:lmmse)", lambda c, nr, nt: nm.detector_select("cpp:lmmse", nt, nr, c),
                      lambda c: nm.detector("lmmse", constellation=c), ("qam16", 4, 4), cpp_tol),
        ContractBlock("detector_select(cpp:cg:4)", lambda c, nr, nt: nm.detector_select("cpp:cg:4", nt, nr, c),
                      lambda c: nm.detector("cg", constellation=c, iterations=4, llr_variance="exact"),
                      ("qam16", 8, 4), cpp_tol),
        ContractBlock("detector_select(zf)", lambda c, nr, nt: nm.detector_select("zf", nt, nr, c, batch=16),
                      lambda c: nm.detector("zf", constellation=c), ("qpsk", 4, 2)),
        ContractBlock("detector_select(model)",
                      lambda c, nr, nt: nm.detector_select(shipped_model(), nt, nr, c, batch=16),
                      lambda c: nm.detector(shipped_model()), ("qam16", 4, 4), (1e-4, 1e-4)),
    ]
    return out


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


def tc_check_against_api(tc, det, block, y, h, nv, got, tol, msg):
    """got (the block's LLRs) against det (the API), item by item: N in = N out, finite, bounded;
    an item is 0 and counted exactly when the API alone has no answer, else equal to its answer.
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
    for i in np.flatnonzero(~erased):
        np.testing.assert_allclose(got[i], answers[i], rtol=tol[0], atol=tol[1], err_msg=f"{msg}: item {i}")
    return erased


def bad_inputs_are_erased_or_answered(tc, kind):
    """BAD_INPUTS mixed among good items (each case twice, 3 good items apart, so that an inference
    call holds good and bad items): the flowgraph finishes (watchdog), N in = N out, every output
    finite and |LLR| <= LLR_LIMIT, an item is erased (0) and counted exactly when the Python API
    alone has no answer, the others equal the API's answer. Then the contract's fixed points:
    H = 0 erased, noise_var 0 answered. On these cases the C++ blocks and the Python API erase
    the same items (a conditioning test and an overflow rule on both sides), so the comparison
    holds for every kind of block."""
    const, nr, nt = kind.system
    c = nm.constellation(const)
    rng = np.random.default_rng(21)
    per = 4
    n = per * 2 * len(BAD_INPUTS) + 3
    y, h, _ = random_system(rng, n, nr, nt, c, 0.05)
    nv = np.full(n, 0.05, np.float32)
    where = {}
    for j, (case, f) in enumerate(BAD_INPUTS):
        where[case] = [per * 2 * j + 1, per * (2 * j + 1) + 1]
        for i in where[case]:
            y[i], h[i], nv[i] = f(y[i], h[i], nv[i])
    block = kind.make(const, nr, nt)
    got = run_detector_block(block, y, h, nv, np.float32, nt * c.bits_per_symbol)
    erased = tc_check_against_api(tc, kind.reference(const), block, y, h, nv, got, kind.llr_tol, kind.label)
    for case in MUST_ERASE:
        tc.assertTrue(erased[where[case]].all(), f"{kind.label}: {case} must be erased")
    for case in MUST_ANSWER:
        tc.assertFalse(erased[where[case]].any(), f"{kind.label}: {case} must be answered")


for _kind in _contract_blocks():
    _name = f"test_bad_inputs_are_erased_or_answered__{re.sub(r'[^0-9a-zA-Z]+', '_', _kind.label).strip('_')}"
    setattr(qa_detector_blocks, _name, lambda self, kind=_kind: bad_inputs_are_erased_or_answered(self, kind))


if __name__ == "__main__":
    gr_unittest.run(qa_detector_blocks)
