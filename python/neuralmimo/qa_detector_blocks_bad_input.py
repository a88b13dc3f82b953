#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input table of the detector-block contract: every detector block, every shipped model.

BAD_INPUTS (H = 0, rank-1 H, |H| and |y| near the float range, noise_var 0, tiny, < 0 or not
finite, NaN/Inf in y or H) mixed among good items, through every detector block (classical, ONNX
for each shipped model, C++ LMMSE and CG, detector_select): an item is erased exactly when the
Python API alone has no answer, the others equal its answer. The rest of the block contract is
checked in qa_detector_blocks.py.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.qa_common import (random_system, run_detector_block, shipped_model, source_dir,
                                  tc_check_against_api)

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")


class qa_detector_blocks_bad_input(gr_unittest.TestCase):
    """One test method per contract block: test_bad_inputs_are_erased_or_answered__<block>."""


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
#: Model prefix -> cases whose answer depends on how items are batched, with the reason: only
#: erasure, finiteness and bounds are compared there.
BATCH_DEPENDENT = {
    "onnx_detector(eqnet_": (("|H|, |y| ~ 1e20, noise_var ~ 1e38",),
                             "EQ-Net's estimation encoder takes raw y, H and σ into ReLU layers: at 1e20 its "
                             "pre-activations are ~1e21 and their signs come from cancellations whose rounding "
                             "differs between onnxruntime calls of different batch sizes"),
}
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
    cases = next((c for prefix, (c, _) in BATCH_DEPENDENT.items() if kind.label.startswith(prefix)), ())
    unstable = {i for case in cases for i in where[case]}
    erased = tc_check_against_api(tc, kind.reference(const), block, y, h, nv, got, kind.llr_tol, kind.label,
                                  unstable)
    for case in MUST_ERASE:
        tc.assertTrue(erased[where[case]].all(), f"{kind.label}: {case} must be erased")
    for case in MUST_ANSWER:
        tc.assertFalse(erased[where[case]].any(), f"{kind.label}: {case} must be answered")


for _kind in _contract_blocks():
    _name = f"test_bad_inputs_are_erased_or_answered__{re.sub(r'[^0-9a-zA-Z]+', '_', _kind.label).strip('_')}"
    setattr(qa_detector_blocks_bad_input, _name,
            lambda self, kind=_kind: bad_inputs_are_erased_or_answered(self, kind))


if __name__ == "__main__":
    gr_unittest.run(qa_detector_blocks_bad_input)
