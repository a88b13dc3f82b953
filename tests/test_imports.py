# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imports run one way, and the algorithm packages never import gnuradio.

Layers, lowest first (the package docstring of neuralmimo says the same): a module may import
its own layer and the layers below it, never one above. Every import counts, also one inside
a function, because a lazy import hides a cycle but does not remove it.
"""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "neuralmimo"

#: Top-level names of neuralmimo by layer, lowest first.
LAYERS = (
    ("paths", "manifest", "cg_steps"),   # files and their formats: models, examples, manifests, CG steps
    ("phy",),                             # conventions: constellations, channels, SNR, demapping, OFDM
    ("detectors",),                       # classical detectors; adapters of ONNX files and torch modules
    ("models",),                          # trainable families (FAMILIES), checkpoint loading
    ("registry",),                        # nm.detector: every kind of detector behind one spec
    ("export",),                          # ONNX export, checked against torch
    ("train",),                           # trainer, schedules, configs
    ("eval", "recording", "recording_fields"),   # Monte-Carlo harness, metrics; SigMF traces
    ("papers",),                          # per-paper studies
    ("blocks", "neuralmimo_python", "gnuradio"),   # GNU Radio: Python blocks, compiled blocks
    ("bench", "cli"),                     # entry points: run flowgraphs, studies, training
)
#: The package itself (`import neuralmimo`, `from .. import detector`): the API it re-exports
#: eagerly sits at the registry; its GNU Radio blocks load lazily, by name.
FACADE = "registry"
#: Below blocks nothing may load GNU Radio: the training and GPU machines have none.
GNURADIO_FREE_BELOW = "blocks"
#: (importer, imported) pairs allowed against the order, and why.
ALLOWED = {
    ("neuralmimo.phy.ofdm_rx_cpp", "neuralmimo.neuralmimo_python"):
        "the C++ receiver kernel, imported only when the backend decision picks it "
        "(test_algorithm_packages_import_without_gnuradio proves importing phy does not load it)",
    ("neuralmimo.detectors.onnx_split", "neuralmimo.neuralmimo_python"):
        "the C++ MMNet kernel of a split model's observation stage, imported only for split='cpp' "
        "(importing detectors does not load it)",
}


def _layer_of(top: str) -> int:
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"neuralmimo.{top} has no layer: add it to LAYERS in tests/test_imports.py")


def _modules():
    """(module name, path) of every .py file of the package, tests (qa_*) and binding tools aside."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts[0] in ("bindings", "_gnuradio_alias") or rel.parts[0].startswith("qa_"):
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        yield ".".join(("neuralmimo",) + parts), path


def _imports(module: str, path: Path):
    """Absolute names of everything `module` imports (modules, or the package for a name in it)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if target == "neuralmimo":      # from neuralmimo import x: a submodule, or the facade
                for a in node.names:
                    sub = PACKAGE / a.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").is_file() or a.name == "neuralmimo_python"
                    yield f"neuralmimo.{a.name}" if is_module else "neuralmimo"
            else:
                yield target


def _layer(name: str):
    """Layer index of an imported name; None for third-party modules."""
    parts = name.split(".")
    if parts[0] == "gnuradio":
        return _layer_of("gnuradio")
    if parts[0] != "neuralmimo":
        return None
    return _layer_of(parts[1] if len(parts) > 1 else FACADE)


def _violations():
    found = set()
    for module, path in _modules():
        own = _layer_of(module.split(".")[1]) if "." in module else _layer_of(FACADE)
        for target in _imports(module, path):
            layer = _layer(target)
            if layer is not None and layer > own:
                found.add((module, target))
    return found


def test_imports_run_one_way():
    found = _violations()
    bad = sorted(pair for pair in found if pair not in ALLOWED)
    assert not bad, "imports against the layer order:\n" + "\n".join(f"  {a} -> {b}" for a, b in bad)
    stale = sorted(set(ALLOWED) - found)
    assert not stale, f"ALLOWED lists imports that no longer happen, remove them: {stale}"


def test_nothing_below_blocks_imports_gnuradio():
    limit = _layer_of(GNURADIO_FREE_BELOW)
    bad = [(m, t) for m, path in _modules() for t in _imports(m, path)
           if t.split(".")[0] == "gnuradio" and _layer_of(m.split(".")[1] if "." in m else FACADE) < limit]
    assert not bad, bad


def test_the_layer_check_sees_lazy_and_relative_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from ..train import checkpoint\n    from .. import detector\n"
                   "    import gnuradio.gr\n")
    names = set(_imports("neuralmimo.detectors.m", src))
    assert names == {"neuralmimo.train", "neuralmimo", "gnuradio.gr"}
    assert [_layer(n) for n in sorted(names)] == [_layer_of("gnuradio"), _layer_of(FACADE), _layer_of("train")]


CODE = """
import importlib, pkgutil, sys
sys.modules["gnuradio"] = None          # any 'import gnuradio...' now raises ImportError
import neuralmimo as nm
for name in ("phy", "detectors", "models", "registry", "export", "train", "eval"):
    pkg = importlib.import_module("neuralmimo." + name)
    for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), pkg.__name__ + "."):
        if info.name not in COMPILED_ADAPTERS:     # they load the compiled module by design
            importlib.import_module(info.name)
import neuralmimo.cli, neuralmimo.cli.export
assert nm.detector("lmmse", constellation="qpsk") is not None
assert "neuralmimo.neuralmimo_python" not in sys.modules
try:
    nm.onnx_detector
except ImportError as exc:
    assert "needs GNU Radio" in str(exc)
else:
    raise SystemExit("blocks imported without GNU Radio")
print("ok")
"""


def test_algorithm_packages_import_without_gnuradio():
    adapters = sorted({src for src, dst in ALLOWED if dst == "neuralmimo.neuralmimo_python"})
    code = f"COMPILED_ADAPTERS = {adapters!r}\n" + CODE
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
