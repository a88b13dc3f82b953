#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every GRC parameter of every block and example reaches the block.

Blocks: GNU Radio Companion's own platform loads grc/*.block.yml; for each parameter the block's
`make` (or `var_make`) template is rendered once with the defaults and once with that parameter at
a non-default value, and both are evaluated with `neuralmimo` recording the calls: the changed
value must arrive as an argument of a neuralmimo call, and the calls must differ.

Examples: every example is compiled with grcc; in the generated script every GRC `parameter`
(a command-line option) must be an argument of a block constructor in the top block's __init__.
loopback_mimo.py, which runs without hardware, is also run with each option changed and the
effect observed in its output (vectors counted, the BER at another SNR, another seed).
"""
import ast
import os
import re
import subprocess
import sys
import tempfile
import types

from gnuradio import gr_unittest

from neuralmimo.qa_common import compile_examples, grc_platform, source_dir

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "info")

#: Parameters every GRC block has (GRC's own, not the block's).
#: (gui_hint: where a Qt panel goes in the window, rendered by GRC into the lines after the constructor.)
GRC_BASE = {"id", "alias", "affinity", "minoutbuf", "maxoutbuf", "comment", "gui_hint"}
#: Parameters that only matter with another one set (block id -> {param: {other: value}}).
CONTEXT = {"neuralmimo_cg_detector": {"steps_file": {"steps": "file"}},
           "neuralmimo_softbit_quantizer": {"key": {"manifest": "m.json"}},
           "neuralmimo_softbit_dequantizer": {"key": {"manifest": "m.json"}}}
#: Parameters that choose a branch of the template instead of being passed: the call they must add.
SELECTS = {("neuralmimo_cg_detector", "steps"): "load_cg_steps"}


def _changed_value(param):
    """A non-default value (GRC code) for a parameter, by its dtype."""
    default = param.get_value()
    if param.is_enum():
        return next(k for k in param.options if k != default)
    dtype = param.dtype
    if dtype == "int":
        try:
            return str(int(eval(default, {})) + 3)       # noqa: S307 (a GRC default literal)
        except Exception:  # noqa: BLE001 (an expression such as a variable name)
            return "7"
    if dtype in ("real", "float"):
        return "0.4375" if default != "0.4375" else "0.5625"
    if dtype == "bool":
        return "False" if default == "True" else "True"
    if dtype == "int_vector":
        return "[-20, 3, 20]"
    if dtype in ("file_open", "file_save"):
        return "probe_file.json"
    if dtype == "name":                                  # another block's id
        return "probe_block"
    if dtype == "raw":
        return "[1.5, 2.5]" if default.startswith("[") else "other_cfg"
    return "probe_text"                                  # string


class _Recorder:
    """Stands in for the neuralmimo module of the generated code: records every call."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return ([1.0], [1.0], 1) if name == "load_cg_steps" else types.SimpleNamespace(name=name)
        return call


class _Blocks:
    """Stands in for the flowgraph (`self`) of the generated code: self.<id> is the text "self.<id>"."""

    def __getattr__(self, name):
        return f"self.{name}"


def _evaluate(code: str, rec: _Recorder):
    ns = {"neuralmimo": rec, "load_cg_steps": rec.load_cg_steps, "ofdm_cfg": "ofdm_cfg",
          "other_cfg": "other_cfg", "samp_rate": 1e6, "self": _Blocks(), "model_path": str}
    if not code.lstrip().startswith("self."):
        # A Qt panel's make is its constructor, then the statements (self...) that place its widget.
        lines = code.strip().splitlines()
        code = "\n".join(lines[:next((i for i, ln in enumerate(lines) if i and ln.startswith("self.")), len(lines))])
    if code.lstrip().startswith("self."):
        exec(code, ns)                                   # noqa: S102 (var_make: an assignment)
    else:
        eval(code, ns)                                   # noqa: S307 (make: an expression)
    return rec.calls


def _flat(calls):
    out = []
    for _, args, kwargs in calls:
        for v in (*args, *kwargs.values()):
            out.append(v)
            if isinstance(v, (list, tuple)):
                out.extend(v)
    return out


def _render(platform, block_id, values):
    fg = platform.make_flow_graph()
    blk = fg.new_block(block_id)
    blk.params["id"].set_value("blk0")
    for k, v in values.items():
        blk.params[k].set_value(v)
    fg.rewrite()
    key = "make" if blk.templates.get("make") else "var_make"
    return blk.templates.render(key)


class qa_grc_params(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.platform = grc_platform()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.compiled = compile_examples(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_block_parameter_reaches_the_constructor(self):
        ids = sorted(p.stem.replace(".block", "") for p in (source_dir() / "grc").glob("*.block.yml"))
        self.assertGreaterEqual(len(ids), 17)
        checked = 0
        for block_id in ids:
            blk = self.platform.make_flow_graph().new_block(block_id)
            params = [k for k in blk.params if k not in GRC_BASE]
            for name in params:
                with self.subTest(block=block_id, param=name):
                    ctx = CONTEXT.get(block_id, {}).get(name, {})
                    value = _changed_value(blk.params[name])
                    base = _evaluate(_render(self.platform, block_id, ctx), _Recorder())
                    code = _render(self.platform, block_id, {**ctx, name: value})
                    changed = _evaluate(code, _Recorder())
                    self.assertNotEqual(base, changed, f"{block_id}.{name}={value} changes nothing: {code}")
                    if (block_id, name) in SELECTS:
                        self.assertIn(SELECTS[block_id, name], [c[0] for c in changed], code)
                        checked += 1
                        continue
                    param = blk.params[name]
                    if param.dtype == "name":                   # another block: self.<id>
                        want = f"self.{value}"
                    elif param.dtype in ("string", "file_open", "file_save", "enum") or param.is_enum():
                        want = value
                    else:
                        want = eval(value, {"other_cfg": "other_cfg"})  # noqa: S307 (a GRC literal)
                    self.assertIn(want, _flat(changed), f"{block_id}.{name}={value} not passed: {code}")
                    checked += 1
        self.assertGreater(checked, 80)

    def test_every_example_parameter_reaches_a_block(self):
        import yaml

        for grc in sorted((source_dir() / "examples").glob("*.grc")):
            with self.subTest(example=grc.name):
                d = yaml.safe_load(grc.read_text())
                params = [b["name"] for b in d["blocks"] if b["id"] == "parameter"]
                self.assertTrue(params, grc.name)
                tree = ast.parse(self.compiled[grc.name].read_text())
                init = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
                used = set()
                for node in ast.walk(init):
                    # Block constructors and the variables they use: calls not of `self.connect`.
                    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Attribute)
                                                           and node.func.attr in ("connect", "msg_connect")):
                        used |= {n.id for a in (*node.args, *(k.value for k in node.keywords))
                                 for n in ast.walk(a) if isinstance(n, ast.Name)}
                # A parameter may reach a block through a variable computed from it.
                derived = {}
                for node in ast.walk(init):
                    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Call, ast.BinOp, ast.IfExp)):
                        names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                        for t in node.targets:
                            if isinstance(t, ast.Name):
                                derived.setdefault(t.id, set()).update(names)
                reach = {p for p in params if p in used or any(p in derived.get(u, ()) for u in used)}
                self.assertEqual(sorted(set(params) - reach), [], f"{grc.name}: parameters no block receives")

    def _loopback(self, *args):
        py = self.compiled["loopback_mimo.grc"]
        env = dict(os.environ, GR_CONF_LOG_LOG_LEVEL="info")
        res = subprocess.run([sys.executable, str(py), *args], capture_output=True, text=True, timeout=300,
                             env=env)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        found = re.findall(r"(ONNX|C\+\+|numpy) LMMSE: (\S+) \((\d+) errors in (\d+) bits\)", res.stdout + res.stderr)
        self.assertEqual(len(found), 3, res.stdout + res.stderr)
        return {k: (int(e), int(b)) for k, _, e, b in found}

    def test_loopback_options_reach_the_blocks(self):
        """--num-vectors: bits counted by every meter (300 and 100: not multiples of the Python
        blocks' batch of 256, which used to lose the tail: "ONNX LMMSE: nan (0 errors in 0 bits)" at
        100); --snr-db: errors at 0 dB, none at 80 dB; --seed: another seed, other errors."""
        base = self._loopback("--num-vectors", "300", "--snr-db", "0", "--seed", "1")
        for name, (errors, bits) in base.items():
            self.assertEqual(bits, 300 * 16, name)
            self.assertGreater(errors, 300, name)          # BER ~ 0.2 at 0 dB
        other = self._loopback("--num-vectors", "300", "--snr-db", "0", "--seed", "2")
        self.assertNotEqual(other["C++"][0], base["C++"][0])
        high = self._loopback("--num-vectors", "100", "--snr-db", "80", "--seed", "1")
        self.assertEqual(high, dict.fromkeys(base, (0, 1600)))


if __name__ == "__main__":
    gr_unittest.run(qa_grc_params)
