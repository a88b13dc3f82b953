# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio Python blocks (the only package that imports gnuradio)."""


def item(dtype, vlen: int):
    """A port's item type for gr.*_block signatures: dtype, or (dtype, vlen) for vectors
    (numpy deprecates the (dtype, 1) form)."""
    return (dtype, int(vlen)) if int(vlen) > 1 else dtype
