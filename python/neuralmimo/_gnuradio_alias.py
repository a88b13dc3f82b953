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
    """Resolves gnuradio.neuralmimo.X to the already importable neuralmimo.X."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(_PREFIX):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("neuralmimo." + spec.name[len(_PREFIX):])

    def exec_module(self, module):
        pass


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
sys.modules[__name__] = _real
