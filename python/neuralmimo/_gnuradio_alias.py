# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""`gnuradio.neuralmimo`: the same module objects as `neuralmimo`.

Installed as gnuradio/neuralmimo/__init__.py. It replaces itself in
sys.modules by the real package, and registers every `neuralmimo.*`
submodule under `gnuradio.neuralmimo.*` too, so that
`from gnuradio.neuralmimo.blocks import ...` never loads a second copy.
"""
import importlib.abc
import importlib.util
import sys

import neuralmimo as _real

_PREFIX = __name__ + "."


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves gnuradio.neuralmimo.X to the already importable neuralmimo.X.

    The import system stamps the alias spec on whatever create_module returns; exec_module puts
    the module's own spec back, so that __spec__.name stays "neuralmimo.X" and importlib.reload
    re-executes the real module instead of this loader's no-op.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(_PREFIX):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("neuralmimo." + spec.name[len(_PREFIX):])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
sys.modules[__name__] = _real
