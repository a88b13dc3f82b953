# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""frame_checker: CRC, frame and bit error counters, EVM and SNR per frame.

In: float[Nt·K] LLRs (input="llr"; bit = LLR > 0) or byte[Nt·K] bits (input="bits"),
config.n_re items per frame, as ofdm_rx emits them and a detector block maps them one to
one. The "frame_info" tag of ofdm_rx (passed on by the detector) gives each frame's start
sample, SNR, EVM and CFO. Counters: frames(), crc_failures(), fer(), bit_errors(),
bits(), ber(), missed() (frames whose numbers were skipped), summary(), records().
A coded frame (config.coding "ldpc648") is LDPC-decoded first: crc/fer/ber() then concern the
decoded information bits, channel_ber() the detector's hard decisions (uncoded BER), and
codewords(), codeword_errors(), codeword_failures(), bler() the codewords (phy/ofdm_bits.py).
Bit errors are counted against the numbered test payload (ofdm_payload_source); set
test_payload=False for user data (CRC only). first_frame >= 0: the first detected frame
has this number (a loopback that starts at frame 0), used only when no frame at all passes
its CRC (otherwise numbers come from the frames that pass). The summary is logged when the flowgraph stops.
records() and decoded() hold the last `history` (FRAME_HISTORY) to 2·`history` frames, so that a
receiver running for days has bounded memory; the counters cover every frame (history=None: keep all).
verify="crc" (default) counts an uncoded frame that passes its CRC-32 as error-free without
regenerating its payload; "payload" compares every frame bit by bit (phy/ofdm_bits.FrameChecker).
Two blocks behind one constructor (frame_checker(..., engine=)): for uncoded frames the C++
frame_bits_sink makes each frame's hard bits, CRC verdict and frame_info, and FrameChecker numbers
and counts them when a counter is read and when the flowgraph stops (no Python per work() call,
which costs GNU Radio's gateway about 100 µs); coded frames, or a build without the compiled
module, take the Python block, which checks whole frames in place.
"""
from __future__ import annotations

import struct
import threading
import weakref

import numpy as np
import pmt
from gnuradio import gr

from ..phy.ofdm_bits import FRAME_HISTORY, FrameChecker
from . import item
from .ofdm_tx import _check_config


def _counter(name: str, doc: str):
    """A method of the block that returns FrameChecker's `name` (called when it is a method; a list
    is returned as a copy)."""
    def read(self):
        self._sync()
        value = getattr(self.checker, name)
        value = value() if callable(value) else value
        return list(value) if isinstance(value, list) else value

    read.__name__, read.__qualname__, read.__doc__ = name, f"frame_checker.{name}", doc
    return read


# PMT's serialisation tags (gnuradio/pmt/pmt_serial_tags.h), those a frame_info dict holds.
_PST_SYMBOL, _PST_INT32, _PST_DOUBLE, _PST_NULL, _PST_PAIR, _PST_DICT, _PST_UINT64, _PST_INT64 = \
    0x02, 0x03, 0x04, 0x06, 0x07, 0x09, 0x0B, 0x0D
_NUMBER = {_PST_INT32: struct.Struct(">i"), _PST_DOUBLE: struct.Struct(">d"), _PST_UINT64: struct.Struct(">Q"),
           _PST_INT64: struct.Struct(">q")}


def frame_info(value) -> dict:
    """The frame_info tag's pmt dict as a Python dict, equal to pmt.to_python's. The receiver's
    dict of numbers is read from its serialisation (one pmt call; pmt.to_python costs some 30 µs a
    frame, as much as the rest of the check); anything else (another value type, not a dict) goes
    through pmt.to_python, and a tag that is not a dict reads as no information."""
    if pmt.is_dict(value):
        out = _numbers_dict(pmt.serialize_str(value))
        if out is not None:
            return out
    return _as_info(pmt.to_python(value))


def _as_info(value) -> dict:
    """A tag value from pmt.to_python as frame information: a dict, or none ({})."""
    return value if isinstance(value, dict) else {}


def _numbers_dict(b: bytes) -> dict | None:
    """{symbol: number} from a serialised pmt dict (DICT (PAIR SYMBOL number) ... NULL), or None
    at the first other element."""
    out, i, n = {}, 0, len(b)
    while i < n and b[i] == _PST_DICT:
        if i + 5 > n or b[i + 1] != _PST_PAIR or b[i + 2] != _PST_SYMBOL:
            return None
        length = (b[i + 3] << 8) | b[i + 4]
        key = b[i + 5:i + 5 + length].decode()
        i += 5 + length
        fmt = _NUMBER.get(b[i]) if i < n else None
        if fmt is None or i + 1 + fmt.size > n:
            return None
        out[key] = fmt.unpack_from(b, i + 1)[0]
        i += 1 + fmt.size
    if i != n - 1 or b[i] != _PST_NULL:
        return None
    # pmt.to_python builds the dict from the pmt's items in their stored order: the same order
    return out


ENGINES = ("auto", "cpp", "python")


def frame_checker(config, input: str = "llr", label: str = "", test_payload: bool = True,  # noqa: A002
                  first_frame: int = -1, history: int | None = FRAME_HISTORY, verify: str = "crc",
                  engine: str = "auto"):
    """The frame checker block for config (module docstring). engine "auto": the C++ streaming half
    (frame_bits_sink) for uncoded frames where the compiled module is installed, else the Python
    block; "cpp" or "python" to choose. Both count the same (tested frame for frame)."""
    c = _check_config("frame_checker", config)
    if input not in ("llr", "bits"):
        raise ValueError(f"frame_checker: input must be 'llr' or 'bits', got '{input}'")
    if engine not in ENGINES:
        raise ValueError(f"frame_checker: engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    if engine == "cpp" and c.coding != "none":
        raise ValueError(f"frame_checker: engine 'cpp' checks uncoded frames; this config is coded ({c.coding})")
    kw = dict(input=input, label=label, test_payload=test_payload, first_frame=first_frame, history=history,
              verify=verify)
    if engine == "python" or c.coding != "none":
        return _frame_checker_py(c, **kw)
    try:
        from ..neuralmimo_python import frame_bits_sink   # noqa: F401 (the compiled module)
    except ImportError:
        if engine == "cpp":
            raise
        return _frame_checker_py(c, **kw)
    return _frame_checker_cpp(c, **kw)


class _Counters:
    """The counters of both frame checker blocks: FrameChecker's, after _sync() has brought in the
    frames the block completed."""

    def _sync(self) -> None:
        pass

    def update(self) -> "FrameChecker":
        """Brings in the frames completed so far and returns the FrameChecker (for code that reads
        or moves its records directly, as the soak run does; the counters call it themselves)."""
        self._sync()
        return self.checker

    # --- readable while the flowgraph runs and after it stops ---------------------------------
    frames = _counter("frames", "frames detected")
    crc_failures = _counter("crc_failures", "frames whose CRC failed")
    fer = _counter("fer", "frame error rate (NaN before the first frame)")
    bit_errors = _counter("bit_errors", "bit errors against the numbered test payload")
    bits = _counter("bits", "bits compared against the test payload")
    ber = _counter("ber", "bit error rate (NaN before the first compared bit)")
    channel_bit_errors = _counter("channel_bit_errors", "hard-decision errors of all channel bits (uncoded)")
    channel_ber = _counter("channel_ber", "uncoded bit error rate of the channel bits (= ber() uncoded)")
    codewords = _counter("codewords", "LDPC codewords checked (0 uncoded)")
    codeword_errors = _counter("codeword_errors", "codewords whose decoded information differs from what was sent")
    codeword_failures = _counter("codeword_failures", "codewords where BP did not reach a codeword")
    bler = _counter("bler", "codeword error rate (NaN uncoded)")
    missed = _counter("missed", "frame numbers skipped (frames never detected)")
    records = _counter("records", "one dict per frame: number, crc_ok and the frame_info fields")
    decoded = _counter("decoded", "packed bits (payload + CRC) of every frame, in order")
    summary = _counter("summary", "all counters and the mean EVM and SNR, as a dict")


class _frame_checker_py(gr.sync_block, _Counters):  # noqa: N801
    """The frame checker as one Python block (coded frames, or where the module is not built)."""

    def __init__(self, c, input: str = "llr", label: str = "", test_payload: bool = True,  # noqa: A002
                 first_frame: int = -1, history: int | None = FRAME_HISTORY, verify: str = "crc"):
        self.config, self.label = c, label or "frame_checker"
        width = c.nt * c.bits_per_symbol
        gr.sync_block.__init__(self, name="frame_checker",
                               in_sig=[item(np.float32 if input == "llr" else np.uint8, width)], out_sig=None)
        self.checker = FrameChecker(c, test_payload=test_payload, first_frame=int(first_frame),
                                    history=history, verify=verify)
        self._buf = np.zeros((c.n_re, width), np.float32 if input == "llr" else np.uint8)
        self._fill = 0
        self._info = None
        self._log = gr.logger(f"frame_checker({self.label})")

    def work(self, input_items, output_items):
        x = input_items[0].reshape(len(input_items[0]), -1)           # vlen 1 arrives 1-D
        n, i, n_re = len(x), 0, self.config.n_re
        base = self.nitems_read(0)
        tags = {t.offset: frame_info(t.value)
                for t in self.get_tags_in_window(0, 0, n, pmt.intern("frame_info"))}
        while i < n:
            if self._fill == 0:
                self._info = tags.get(base + i)
                if n - i >= n_re:             # a whole frame in this call: checked in place
                    self.checker.check(x[i:i + n_re], self._info)
                    i += n_re
                    continue
            k = min(n - i, n_re - self._fill)
            self._buf[self._fill:self._fill + k] = x[i:i + k]
            self._fill += k
            i += k
            if self._fill == n_re:
                self.checker.check(self._buf, self._info)
                self._fill = 0
        return n

    def stop(self):
        self.checker.finish()
        _log_summary(self._log, self.summary())
        return True


class _frame_checker_cpp(gr.hier_block2, _Counters):  # noqa: N801
    """The frame checker with its streaming half in C++: frame_bits_sink makes each frame's hard
    bits, CRC verdict and frame_info; FrameChecker numbers and counts them in Python when a counter
    is read (a status line's poll) and when the flowgraph stops. No Python runs per work() call."""

    def __init__(self, c, input: str = "llr", label: str = "", test_payload: bool = True,  # noqa: A002
                 first_frame: int = -1, history: int | None = FRAME_HISTORY, verify: str = "crc"):
        from ..neuralmimo_python import frame_bits_sink

        self.config, self.label = c, label or "frame_checker"
        width = c.nt * c.bits_per_symbol
        size = width * (4 if input == "llr" else 1)
        gr.hier_block2.__init__(self, "frame_checker", gr.io_signature(1, 1, size), gr.io_signature(0, 0, 0))
        self.checker = FrameChecker(c, test_payload=test_payload, first_frame=int(first_frame),
                                    history=history, verify=verify)
        self.sink = frame_bits_sink(width, c.n_re, input == "llr")
        self.connect(self, self.sink)
        self._lock = threading.Lock()
        self._log = gr.logger(f"frame_checker({self.label})")
        me = weakref.ref(self)       # the sink keeps the callback: no cycle through it
        self.sink.set_stop_callback(lambda: me() is not None and me()._stopped())

    def nitems_read(self, port: int = 0) -> int:
        """Items the checker has read (the C++ sink's), as a block's nitems_read."""
        return self.sink.nitems_read(port)

    def _sync(self) -> None:
        with self._lock:
            ok, packed, infos = self.sink.take()
            n = self.config.bits_per_frame
            for crc_ok, row, raw in zip(ok, packed, infos):
                self.checker.check_decided(np.unpackbits(row, count=n), bool(crc_ok), _info_bytes(raw), packed=row)

    def _stopped(self) -> None:
        self._sync()
        with self._lock:
            self.checker.finish()
        _log_summary(self._log, self.summary())


def _info_bytes(raw: bytes) -> dict | None:
    """A frame_info tag serialised by frame_bits_sink (b"": none) as frame_info() reads it."""
    if not raw:
        return None
    out = _numbers_dict(raw)
    return out if out is not None else _as_info(pmt.to_python(pmt.deserialize_str(raw)))


def _log_summary(log, s: dict) -> None:
    coded = (f" ({s['coding']}: BLER {s['bler']:.3e}, {s['codeword_errors']}/{s['codewords']} codewords; "
             f"uncoded BER {s['channel_ber']:.3e})" if s["codewords"] else "")
    log.info(f"{s['frames']} frames, {s['crc_failures']} CRC failures, BER {s['ber']:.3e}{coded}, "
             f"EVM {s['evm_db']:.1f} dB, SNR {s['snr_db']:.1f} dB")
