# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench/remimo.py's bookkeeping at a tiny size: which rows, which ratios (no timing asserted)."""
from __future__ import annotations

import pytest

from neuralmimo.bench import remimo as bench


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench_remimo")
    re = bench.exported(bench.build("remimo", 4, 4, "qam16", {"nt_min": 2, "blocks": 1, "width": 16, "heads": 4}),
                        d / "remimo.onnx", progress=False)
    oamp = {nt: bench.exported(bench.build("oampnet2", nt, 4, "qam16", {"layers": 1}), d / f"oamp{nt}.onnx",
                               progress=False) for nt in (2, 4)}
    return {"RE-MIMO": {2: re, 4: re}, "OAMPNet-2": oamp}


def test_rows_table_and_ratios(tiny):
    rs = bench.rows(tiny, (2, 4), 4, "qam16", batch=8, reps=2, items=8, threads=1, flowgraph=False)
    assert [(r["model"], r["nt"]) for r in rs] == [("RE-MIMO", 2), ("RE-MIMO", 4), ("OAMPNet-2", 2), ("OAMPNet-2", 4)]
    re2, re4, oa2, oa4 = rs
    assert re2["params"] == re4["params"] and re4["macs"] > re2["macs"] and oa4["macs"] > oa2["macs"]
    assert oa2["flops_ratio"] == oa2["time_ratio"] == 1 and re2["flops_ratio"] == re2["flops"] / oa2["flops"]
    assert all(r["block"] is None and r["block_time_ratio"] is None for r in rs)
    lines = bench.table(rs, "OAMPNet-2").splitlines()
    assert len(lines) == 2 + 4 and lines[0].startswith("| model | Nt | params | MACs/detection | FLOPs/detection")
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "RE-MIMO: x" in bench.growth(rs, (2, 4))


def test_scaled_settings_are_the_config():
    assert bench.scaled_remimo_settings() == {"blocks": 8, "width": 64, "heads": 8, "gradient": True}
