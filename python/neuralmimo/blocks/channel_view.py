# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""channel_view: a Qt panel of the receiver's channel estimate, |Ĥ[r, t]| per subcarrier.

In: ofdm_rx's h stream (complex[Nr·Nt]); the panel reads the "chan_est" tag at each frame's first
item (Ĥ of every used carrier, [n_used, Nr, Nt] row-major) and draws the latest one, one curve
per antenna pair (rx r, tx t), in dB over the signed subcarrier index. Items are only counted:
the panel costs one tag read per frame. qwidget() is the widget a GRC layout places.

The drawing runs on the Qt thread (a timer, `update_ms`); work() only keeps the newest frame.
"""
from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

from . import item
from .ofdm_tx import _check_config

_CHAN_EST = pmt.intern("chan_est")


class channel_view(gr.sync_block):  # noqa: N801
    def __init__(self, config, name: str = "Channel estimate |H| (dB)", update_ms: int = 250):
        c = _check_config("channel_view", config)
        update_ms = int(update_ms)
        if update_ms < 10:
            raise ValueError(f"channel_view: update_ms must be >= 10, got {update_ms}")
        self.config = c
        gr.sync_block.__init__(self, name="channel_view", in_sig=[item(np.complex64, c.nr * c.nt)], out_sig=None)
        self._latest = None                    # complex64[n_used, Nr, Nt] of the newest frame
        self.frames = 0                        # chan_est tags seen
        self.bad_tags = 0                      # tags of the wrong size (counted, not drawn)
        self._widget = _ChannelWidget(self, name, update_ms)

    def qwidget(self):
        return self._widget

    def latest(self):
        """Ĥ of the newest frame, complex64[n_used, Nr, Nt] (None before the first)."""
        return self._latest

    def work(self, input_items, output_items):
        n = len(input_items[0])
        tags = self.get_tags_in_window(0, 0, n, _CHAN_EST)
        if tags:
            c = self.config
            try:
                h = np.asarray(pmt.c32vector_elements(tags[-1].value), np.complex64)
                self._latest = h.reshape(len(c.used_carriers), c.nr, c.nt)
                self.frames += len(tags)
            except (ValueError, RuntimeError, TypeError):
                self.bad_tags += 1
        return n


def _ChannelWidget(block, name: str, update_ms: int):
    """The plot: one curve per (rx, tx) pair, redrawn by a Qt timer."""
    import pyqtgraph as pg
    from PyQt5 import Qt

    c = block.config
    carriers = np.asarray(c.used_carriers)
    w = pg.PlotWidget(title=name)
    w.setBackground("w")
    w.showGrid(x=True, y=True, alpha=0.3)
    w.setLabel("bottom", "subcarrier")
    w.setLabel("left", "|H| (dB)")
    w.addLegend(offset=(5, 5), labelTextColor="k")
    curves = []
    for r in range(c.nr):
        for t in range(c.nt):
            pen = pg.mkPen(pg.intColor(r * c.nt + t, hues=max(c.nr * c.nt, 2)), width=2)
            curves.append(w.plot(carriers, np.zeros(carriers.size), pen=pen, name=f"rx{r}-tx{t}"))
    w.setMinimumSize(320, 220)

    def redraw():
        h = block.latest()
        if h is None:
            return
        db = 20 * np.log10(np.maximum(np.abs(h), 1e-6))
        for k, curve in enumerate(curves):
            curve.setData(carriers, db[:, k // c.nt, k % c.nt])

    timer = Qt.QTimer(w)
    timer.timeout.connect(redraw)
    timer.start(update_ms)
    w._nm_timer = timer          # keeps the timer with the widget
    return w
