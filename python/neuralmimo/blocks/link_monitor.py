# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""link_monitor: a Qt panel of the link per frame, for detectors compared side by side.

    link_monitor(checkers, labels, config, samp_rate, window=200, history=600, update_ms=500)

Reads frame_checker blocks (one per detector, all fed by the same receiver) on a Qt timer and
shows what GNU Radio's sinks cannot: per detector the running BER and FER over the last `window`
frames and over the whole run, and per-frame curves of the last `history` frames:
  - BER per frame of each detector (log scale; a frame without errors is drawn at the floor
    0.1 / bits per frame),
  - the receiver's SNR and EVM per frame (dB), from the first checker's frame_info records,
  - its CFO estimate per frame in Hz (frame_info's cfo in subcarrier spacings × fs / fft_len).
set_label(i, text) renames detector i (a live detector switch) and draws a marker at the frame
where it happened. Not a stream block: it has no ports; qwidget() is what a GRC layout places.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .ofdm_tx import _check_config

#: Pen colours of detectors A, B, ...: the ones the constellation sinks use for their inputs.
COLOURS = ("#0000ff", "#ff0000", "#008000", "#000000")
#: Their names in the panel.
NAMES = "ABCD"


class link_monitor:  # noqa: N801 (GNU Radio block naming)
    def __init__(self, checkers, labels, config, samp_rate: float, window: int = 200, history: int = 600,
                 update_ms: int = 500):
        self.config = _check_config("link_monitor", config)
        checkers = list(checkers)
        labels = [str(s) for s in ([labels] if isinstance(labels, str) else labels)]
        if not checkers or len(checkers) > len(COLOURS):
            raise ValueError(f"link_monitor: needs 1 to {len(COLOURS)} frame checkers, got {len(checkers)}")
        if len(labels) != len(checkers):
            raise ValueError(f"link_monitor: {len(checkers)} checkers but {len(labels)} labels")
        for k, chk in enumerate(checkers):
            if not all(hasattr(chk, m) for m in ("records", "frames")):
                raise ValueError(f"link_monitor: checker {k} ({chk!r}) is not a frame_checker")
        for key, val, low in (("window", window, 1), ("history", history, 2), ("update_ms", update_ms, 10)):
            if int(val) < low:
                raise ValueError(f"link_monitor: {key} must be >= {low}, got {val}")
        if not (float(samp_rate) > 0 and math.isfinite(float(samp_rate))):
            raise ValueError(f"link_monitor: samp_rate must be a positive number, got {samp_rate}")
        self.checkers, self.labels = checkers, labels
        self.samp_rate, self.window, self.history = float(samp_rate), int(window), int(history)
        self._seen = [0] * len(checkers)
        # (index, record): a failed frame's record gets its bit errors only when the checker has
        # numbered it (a few frames later), so BERs are read from the records at each redraw.
        self._frames = [deque(maxlen=self.history) for _ in checkers]
        self._rx = deque(maxlen=self.history)                           # (index, snr_db, evm_db, cfo_hz)
        self._markers = []                                              # (detector, frame index)
        self._widget = _MonitorWidget(self, int(update_ms))

    def qwidget(self):
        return self._widget

    def set_label(self, index: int, text: str) -> None:
        """Renames detector `index` (a QT GUI Chooser's callback) and marks the frame of the change."""
        text = str(text)
        if text != self.labels[index]:
            self.labels[index] = text
            self._markers.append((index, self._seen[index]))

    def poll(self) -> None:
        """Takes the frames the checkers counted since the last poll (the timer calls this)."""
        c = self.config
        for k, chk in enumerate(self.checkers):
            total = chk.frames()
            new = total - self._seen[k]
            if new <= 0:
                continue
            recs = chk.records()[-new:]
            first = total - len(recs)
            for i, r in enumerate(recs):
                self._frames[k].append((first + i, r))
                if k == 0:
                    evm = r.get("evm", float("nan"))
                    self._rx.append((first + i, r.get("snr_db", float("nan")),
                                     20 * math.log10(evm) if evm and evm > 0 else float("nan"),
                                     r.get("cfo", float("nan")) * self.samp_rate / c.fft_len))
            self._seen[k] = total

    def _ber(self, rec: dict) -> float:
        errors = rec.get("bit_errors")
        return errors / self.config.info_bits if errors is not None else float("nan")

    def running(self, index: int) -> dict:
        """BER and FER of detector `index` over the last `window` frames and the whole run."""
        chk = self.checkers[index]
        last = list(self._frames[index])[-self.window:]
        bers = [b for b in (self._ber(r) for _, r in last) if not math.isnan(b)]
        return {"frames": chk.frames(), "ber": chk.ber(), "fer": chk.fer(),
                "window_frames": len(last),
                "window_ber": float(np.mean(bers)) if bers else float("nan"),
                "window_fer": (sum(not r.get("crc_ok") for _, r in last) / len(last)) if last else float("nan")}

    def series(self):
        """(per detector: frame indices and BERs; receiver: indices, SNR dB, EVM dB, CFO Hz)."""
        det = [np.array([(i, self._ber(r)) for i, r in d], float).reshape(-1, 2) for d in self._frames]
        rx = np.array(list(self._rx), float).reshape(-1, 4)
        return det, rx


def _fmt(x: float, spec: str) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _MonitorWidget(mon: link_monitor, update_ms: int):
    import pyqtgraph as pg
    from PyQt5 import Qt

    c = mon.config
    floor = 0.1 / c.info_bits
    root = Qt.QWidget()
    layout = Qt.QVBoxLayout(root)
    table = Qt.QLabel()
    table.setTextFormat(Qt.Qt.RichText)
    table.setStyleSheet("QLabel { background: white; padding: 4px; font-family: monospace; font-size: 11px; }")
    layout.addWidget(table)
    plots = pg.GraphicsLayoutWidget()
    plots.setBackground("w")
    layout.addWidget(plots, 1)
    ber_plot = plots.addPlot(row=0, col=0, title="BER per frame")
    ber_plot.setLogMode(y=True)
    ber_plot.setYRange(math.log10(floor), 0)
    ber_plot.showGrid(x=True, y=True, alpha=0.3)
    ber_plot.addLegend(offset=(5, 5), labelTextColor="k")
    ber_curves = [ber_plot.plot([], [], pen=pg.mkPen(COLOURS[k], width=2), symbol="o", symbolSize=4,
                                symbolBrush=COLOURS[k], symbolPen=None, name=f"{NAMES[k]}")
                  for k in range(len(mon.checkers))]
    snr_plot = plots.addPlot(row=1, col=0, title="Receiver SNR and EVM per frame (dB)")
    snr_plot.showGrid(x=True, y=True, alpha=0.3)
    snr_plot.addLegend(offset=(5, 5), labelTextColor="k")
    snr_curve = snr_plot.plot([], [], pen=pg.mkPen("#006400", width=2), name="SNR")
    evm_curve = snr_plot.plot([], [], pen=pg.mkPen("#8b4513", width=2), name="EVM")
    cfo_plot = plots.addPlot(row=2, col=0, title="CFO estimate per frame (Hz)")
    cfo_plot.showGrid(x=True, y=True, alpha=0.3)
    cfo_curve = cfo_plot.plot([], [], pen=pg.mkPen("#4b0082", width=2))
    for p in (ber_plot, snr_plot, cfo_plot):
        p.setLabel("bottom", "frame")
    markers = []
    root.setMinimumSize(380, 480)

    def redraw():
        try:
            mon.poll()
        except Exception as exc:  # noqa: BLE001 (a panel must not stop the receiver; shown instead)
            table.setText(f"<b>link_monitor: {type(exc).__name__}: {exc}</b>")
            return
        rows = []
        for k, label in enumerate(mon.labels):
            s = mon.running(k)
            rows.append(f"<tr><td style='color:{COLOURS[k]}'><b>{NAMES[k]}: {label}</b></td>"
                        f"<td>BER {_fmt(s['window_ber'], '.1e')}</td><td>FER {_fmt(s['window_fer'], '.2f')}</td>"
                        f"<td>last {s['window_frames']}</td><td>run {_fmt(s['ber'], '.1e')} / "
                        f"{_fmt(s['fer'], '.2f')}, {s['frames']} fr.</td></tr>")
        det, rx = mon.series()
        if len(rx):
            rows.append(f"<tr><td>receiver</td><td>SNR {_fmt(rx[-1, 1], '.1f')} dB</td>"
                        f"<td>EVM {_fmt(rx[-1, 2], '.1f')} dB</td>"
                        f"<td colspan='2'>CFO {_fmt(rx[-1, 3], '.0f')} Hz</td></tr>")
        table.setText("<table cellspacing='6'>" + "".join(rows) + "</table>")
        for k, d in enumerate(det):
            ok = ~np.isnan(d[:, 1])
            ber_curves[k].setData(d[ok, 0], np.maximum(d[ok, 1], floor))
        if len(rx):
            snr_curve.setData(rx[:, 0], rx[:, 1])
            evm_curve.setData(rx[:, 0], rx[:, 2])
            cfo_curve.setData(rx[:, 0], rx[:, 3])
        while len(markers) < len(mon._markers):
            k, at = mon._markers[len(markers)]
            line = pg.InfiniteLine(pos=at, angle=90, pen=pg.mkPen(COLOURS[k], style=Qt.Qt.DashLine))
            ber_plot.addItem(line)
            markers.append(line)

    timer = Qt.QTimer(root)
    timer.timeout.connect(redraw)
    timer.start(update_ms)
    root._nm_timer = timer
    root._nm_plots = {"ber": ber_plot, "snr": snr_plot, "cfo": cfo_plot}
    return root
