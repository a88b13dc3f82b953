#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt GUI examples as a person sees them, on a virtual X server (Debian's Xvfb).

Each GUI flowgraph runs for a few seconds (cli.gui_shot) and its panels are screenshot; the
pixels must show that every panel drew: the constellation points of both detectors sit on the
16QAM grid at high SNR (the plot area's pixels map linearly to its axes), the LLR histogram and
the channel curves are drawn, the link monitor counted frames with the BER the SNR allows. The
live controls (SNR, detector) reach the link. GNU Radio Companion itself starts with the module's
blocks (GRC_BLOCKS_PATH=grc/), opens every example, and its platform finds no error in any.
Skipped, with the reason, where Xvfb is not installed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import numpy as np
from gnuradio import gr_unittest

from neuralmimo.cli.grc_run import compile_grc, grc_blocks_dir
from neuralmimo.qa_common import grc_platform, source_dir

GUI_EXAMPLES = ("ofdm_loopback_gui", "replay_gui", "usrp_rx_gui")
RECORDING = "tests/data/ofdm_loopback_2x2.sigmf-meta"
BLUE, RED = (0, 0, 255), (255, 0, 0)          # detector A and B in every panel
#: 16QAM points per axis (unit energy) and the plot range of the constellation sinks (±1.5).
GRID = np.array([-3, -1, 1, 3]) / np.sqrt(10)
AXIS = 1.5


def _accepts(display: int) -> bool:
    """Whether an X server answers on the display's socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(f"/tmp/.X11-unix/X{display}")
        return True
    except OSError:
        return False
    finally:
        sock.close()


def start_xvfb():
    """An Xvfb server on a free display: (process, ":N"); unittest.SkipTest without Xvfb.

    Displays from 100 up whose lock file is absent (a server killed hard leaves its socket, and
    another server on that display may then start without answering), each checked by connecting."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise unittest.SkipTest("Xvfb is not installed (Debian package xvfb, which `make deps` installs): "
                                "the GUI tests need an X server")
    for display in range(100 + os.getpid() % 50, 200):
        if os.path.exists(f"/tmp/.X{display}-lock") or _accepts(display):
            continue
        proc = subprocess.Popen([exe, f":{display}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            if _accepts(display):
                return proc, f":{display}"
            time.sleep(0.1)
        stop_xvfb(proc)
    raise unittest.SkipTest("Xvfb did not start on any display :100 to :199: no X server for the GUI tests")


def stop_xvfb(proc) -> None:
    """Ends the server so that it removes its lock file and socket."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def image(path) -> np.ndarray:
    """A PNG as uint8 [height, width, 3] (Qt reads it; no imaging package needed)."""
    from PyQt5 import Qt

    img = Qt.QImage(str(path)).convertToFormat(Qt.QImage.Format_RGB888)
    if img.isNull():
        raise AssertionError(f"{path}: not a readable image")
    ptr = img.bits()
    ptr.setsize(img.byteCount())
    rows = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
    return rows[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def colour_mask(img, rgb) -> np.ndarray:
    return np.all(img == np.array(rgb, np.uint8), axis=2)


def drawn_fraction(img) -> float:
    """Share of the pixels that differ from the panel's most common colour (its background)."""
    flat = img.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return 1.0 - counts.max() / flat.shape[0]


def grid_share(mask, radius=0.2):
    """(share of the coloured pixels within `radius` (axis units) of a 16QAM point, number of the 16
    points with a coloured pixel within `radius`) for a constellation plot area's mask. 0.2 is well
    inside the decision region (half the point spacing: 0.316); a detector's erased items (0) lie
    0.45 from every point."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return 0.0, 0
    # Plot-area pixel -> axis units: the canvas spans [-AXIS, AXIS] on both axes (y up).
    re = (xs + 0.5) / w * 2 * AXIS - AXIS
    im = AXIS - (ys + 0.5) / h * 2 * AXIS
    d_re = np.abs(re[:, None] - GRID[None, :]).min(axis=1)
    d_im = np.abs(im[:, None] - GRID[None, :]).min(axis=1)
    near = np.hypot(d_re, d_im) < radius
    hit = {(int(np.argmin(np.abs(GRID - a))), int(np.argmin(np.abs(GRID - b)))) for a, b in zip(re[near], im[near])}
    return float(near.mean()), len(hit)


class qa_gui(gr_unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.xvfb, cls.display = start_xvfb()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.py = {}
        for name in GUI_EXAMPLES:
            out = Path(cls.tmp.name) / name
            out.mkdir()
            cls.py[name] = compile_grc(source_dir() / "examples" / f"{name}.grc", out)

    @classmethod
    def tearDownClass(cls):
        stop_xvfb(cls.xvfb)
        cls.tmp.cleanup()

    def _env(self):
        # One OpenBLAS thread, as `make gui-*` runs them (Makefile GUI_ENV).
        return dict(os.environ, DISPLAY=self.display, GR_CONF_LOG_LOG_LEVEL="warn", QT_QPA_PLATFORM="xcb",
                    OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))

    def _shoot(self, name, *args, seconds=6.0):
        out = Path(self.tmp.name) / f"shot_{name}_{len(list(Path(self.tmp.name).glob('shot_*')))}"
        cmd = [sys.executable, "-m", "neuralmimo.cli.gui_shot", str(self.py[name]), "--out", str(out),
               "--seconds", str(seconds), *args]
        res = subprocess.run(cmd, env=self._env(), capture_output=True, text=True, timeout=240)
        self.assertEqual(res.returncode, 0, res.stderr[-3000:])
        state = json.loads((out / "state.json").read_text())
        return out, state

    def _check_panels(self, out, state, least=0.8):
        # Measured at radius 0.2 (2 runs each): loopback 2x4 at 25 dB 0.93-0.97 (A, LMMSE) and 1.0 (B,
        # K-best: its estimate is its decision), replay 2x2 0.88-0.98; at 8 dB 0.32.
        self.assertLessEqual({"chan_view", "const_0", "const_1", "llr_hist", "monitor"}, set(state["panels"]))
        for panel in state["panels"]:
            self.assertGreater(drawn_fraction(image(out / f"{panel}.png")), 0.05, panel)
        for s in (0, 1):                        # both streams, both detectors, on the grid
            canvas = image(out / f"const_{s}_canvas.png")
            for rgb in (BLUE, RED):
                share, points = grid_share(colour_mask(canvas, rgb))
                self.assertGreater(share, least, (s, rgb, share))
                self.assertGreaterEqual(points, 14, (s, rgb, points))
        hist = image(out / "llr_hist_canvas.png")
        for rgb in (BLUE, RED):
            self.assertGreater(colour_mask(hist, rgb).sum(), 50, rgb)
        chan = image(out / "chan_view.png")
        # Curves: saturated colours (the axes, text and grid are grey).
        saturated = (chan.max(axis=2).astype(int) - chan.min(axis=2)) > 100
        self.assertGreater(saturated.sum(), 2000)
        self.assertGreater(state["chan_view_frames"], 10)
        mon = image(out / "monitor.png")
        self.assertGreater(colour_mask(mon, BLUE).sum() + colour_mask(mon, RED).sum(), 200)
        for k, run in enumerate(state["monitor"]["running"]):
            self.assertGreater(run["frames"], 10, k)

    def test_loopback_panels_at_25_db(self):
        out, state = self._shoot("ofdm_loopback_gui")
        self._check_panels(out, state)
        # 2x4 16QAM at 25 dB per RE: measured 2e-5 to 4e-5 (docs/results.md); 1e-3 is far above that
        # and far below the 1e-2 of 8 dB (next test).
        for k, run in enumerate(state["monitor"]["running"]):
            self.assertLess(run["ber"], 1e-3, k)
        self.assertEqual(state["monitor"]["labels"], ["cpp:lmmse", "kbest"])
        self.assertTrue(20 < state["monitor"]["receiver_snr_db"] < 27, state["monitor"])
        shutil.copy(out / "window.png", Path(self.tmp.name) / "loopback_window.png")

    def test_loopback_live_controls_reach_the_link(self):
        # SNR 8 dB and detector B = zf, set through the controls' setters after the start.
        # 9 s: at 8 dB every frame fails, and a failed frame is counted up to 16 frames late.
        out, state = self._shoot("ofdm_loopback_gui", "--set", "snr_db=8", "--set", "detector_b='zf'", seconds=9.0)
        self.assertEqual(state["monitor"]["labels"], ["cpp:lmmse", "zf"])
        self.assertEqual(state["switches"], {"det_a": "cpp:lmmse", "det_b": "zf", "view_a": "cpp:lmmse", "view_b": "zf"})
        # The receiver's SNR estimate follows the control (8.3 dB measured; 25 dB reads 22.6 to 23.7).
        self.assertLess(abs(state["monitor"]["receiver_snr_db"] - 8), 1.5)
        # At 8 dB every frame fails and the BER is about 0.14 for LMMSE, K-best and ZF alike (the
        # channel estimate's error dominates; measured on ofdm_loopback.grc, 150 frames).
        for k, run in enumerate(state["monitor"]["running"]):
            self.assertGreater(run["window_ber"], 0.05, k)
            self.assertGreater(run["window_fer"], 0.9, k)
        share, _ = grid_share(colour_mask(image(out / "const_0_canvas.png"), BLUE))
        self.assertLess(share, 0.6)                         # the cloud spreads off the grid (0.32)

    def test_replay_panels(self):
        out, state = self._shoot("replay_gui")
        self._check_panels(out, state)
        for k, run in enumerate(state["monitor"]["running"]):
            # The recording's 6 frames: LMMSE 5 bit errors, K-best 5 (docs/results.md), on a loop.
            self.assertLess(run["ber"], 1e-3, k)

    def test_usrp_gui_with_a_replayed_radio(self):
        out, state = self._shoot("usrp_rx_gui", "--radio-from", str(source_dir() / RECORDING),
                                 "--set", "samp_rate=100e3")
        self._check_panels(out, state)
        for k, run in enumerate(state["monitor"]["running"]):
            self.assertLess(run["ber"], 1e-3, k)

    def test_companion_opens_every_example(self):
        examples = sorted((source_dir() / "examples").glob("*.grc"))
        self.assertGreaterEqual(len(examples), 9)
        env = dict(self._env(), GRC_BLOCKS_PATH=str(grc_blocks_dir()))
        log = Path(self.tmp.name) / "grc.log"
        with open(log, "w") as f:
            grc = subprocess.Popen([sys.executable, shutil.which("gnuradio-companion") or "/usr/bin/gnuradio-companion",
                                    *map(str, examples)], env=env, stdout=f, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and log.read_text().count(">>> Done") < len(examples):
                self.assertIsNone(grc.poll(), log.read_text()[-3000:])
                time.sleep(0.5)
            text = log.read_text()
            self.assertEqual(text.count(">>> Done"), len(examples), text[-3000:])
            for ex in examples:
                self.assertIn(f'Loading: "{ex}"', text)
            self.assertNotIn("Traceback", text)
            time.sleep(1.0)
            self.assertIsNone(grc.poll(), "GNU Radio Companion quit after loading: " + text[-3000:])
        finally:
            grc.terminate()
            grc.wait(10)
        # GRC marks problems in the canvas, not in its log: its platform validates each example.
        p = grc_platform()
        for ex in examples:
            fg = p.make_flow_graph()
            fg.import_data(p.parse_flow_graph(str(ex)))
            fg.rewrite()
            fg.validate()
            dummies = [b.key for b in fg.blocks if b.is_dummy_block]
            self.assertEqual(dummies, [], f"{ex.name}: blocks GRC does not know")
            self.assertEqual(list(fg.iter_error_messages()), [], ex.name)


if __name__ == "__main__":
    gr_unittest.run(qa_gui)
