# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""usrp_mimo_sink / usrp_mimo_source: the Nt (Nr) channels of one or more USRPs as ONE vector stream.

usrp_mimo_sink    in:  complex[nchan], item n = sample n of every transmit channel (ofdm_tx's output)
usrp_mimo_source  out: complex[nchan], item n = sample n of every receive channel (ofdm_rx's input)

Both are hier blocks around gr-uhd (vector_to_streams -> usrp_sink, usrp_source -> streams_to_vector)
with one sample rate, centre frequency, gain and antenna on every channel. Multi-device set-ups use
UHD's own device arguments ("addr0=192.168.10.2,addr1=192.168.10.3"); channel c of the block is
channel c of that multi-device, in motherboard order.

Time alignment (`sync`):
  "none"      no timed start. One motherboard streams its channels together anyway; several
              motherboards are NOT aligned (a warning says so).
  "internal"  one motherboard with several channels (B210, X310, N310): device time set to 0 now,
              streaming starts at start_delay seconds, the same sample on every channel.
  "pps"       several motherboards sharing a 10 MHz reference and a PPS (OctoClock, GPSDO):
              clock and time sources "external" (unless clock_source / time_source name another one,
              e.g. "gpsdo"), device time 0 on the next PPS edge on all motherboards, streaming starts
              at start_delay + 1.0 s device time.
The start time is absolute device time: if building the rest of the flowgraph takes longer than
that after the block is made, UHD reports late commands ('L'); increase start_delay.

Tuning: all channels are retuned by one timed command (_TUNE_LEAD s after each motherboard's
current time) where the device supports timed commands, so they retune at the same instant.
What that does and does not guarantee:
  - channels sharing one LO (B210, N310 channel pairs) keep a constant relative phase for the run;
  - separate LOs (X310 with two daughterboards, several devices) are frequency-locked only when
    they share a reference; their relative phase is random after each tune (UBX/SBX on X310/N210
    make it repeatable with timed tuning; other front ends do not);
  - across runs the relative phases change.
None of this matters to the OFDM link: every frame carries training symbols, so the per-frame
channel estimate absorbs any constant phase (and sub-CP timing) offset between channels. What
must hold is a common reference for channels of different devices, or each channel gets its own
frequency offset, which one CFO correction cannot remove.
"""
from __future__ import annotations

import math
import numbers
import time

from gnuradio import blocks, gr, uhd

__all__ = ["usrp_mimo_sink", "usrp_mimo_source", "SYNC_MODES"]

SYNC_MODES = ("none", "internal", "pps")
_TUNE_LEAD = 0.1          # s after "now" at which the timed retune happens
_REF_LOCK_WAIT = 1.0      # s to wait for an external 10 MHz reference to lock
_sleep = time.sleep       # tests replace it (no hardware, no waiting)


def check_args(name: str, device_args, nchan, samp_rate, center_freq, gain, sync, clock_source,
               time_source, subdev, antenna, start_delay) -> dict:
    """Validates and normalises the parameters; raises ValueError naming the parameter and value."""
    a = {}
    for key, val in (("device_args", device_args), ("clock_source", clock_source),
                     ("time_source", time_source), ("subdev", subdev), ("antenna", antenna)):
        if val is None:
            val = ""
        if not isinstance(val, str):
            raise ValueError(f"{name}: {key} must be a string, got {val!r}")
        a[key] = val.strip()
    if isinstance(nchan, bool) or not isinstance(nchan, numbers.Integral):
        raise ValueError(f"{name}: nchan must be an integer >= 1, got {nchan!r}")
    a["nchan"] = int(nchan)
    if a["nchan"] < 1:
        raise ValueError(f"{name}: nchan must be >= 1, got {a['nchan']}")
    for key, val, low, strict in (("samp_rate", samp_rate, 0.0, True), ("center_freq", center_freq, 0.0, False),
                                  ("gain", gain, None, False), ("start_delay", start_delay, 0.0, True)):
        try:
            x = float(val)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {key} must be a number, got {val!r}") from None
        if not math.isfinite(x) or (low is not None and (x <= low if strict else x < low)):
            raise ValueError(f"{name}: {key} must be finite and {'>' if strict else '>='} {low}, got {val!r}"
                             if low is not None else f"{name}: {key} must be finite, got {val!r}")
        a[key] = x
    if sync not in SYNC_MODES:
        raise ValueError(f"{name}: sync must be one of {', '.join(SYNC_MODES)}, got {sync!r}")
    a["sync"] = sync
    return a


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _open(name: str, make, a: dict):
    try:
        return make(a["device_args"], uhd.stream_args(cpu_format="fc32", channels=list(range(a["nchan"]))))
    except (RuntimeError, LookupError) as exc:
        raise RuntimeError(f"{name}: could not open a USRP with device_args '{a['device_args']}' "
                           f"for {a['nchan']} channel(s) ({_one_line(exc)}); list the connected devices with "
                           "uhd_find_devices and check them with uhd_usrp_probe") from exc


def _set_source(name, u, kind, value, mb, a, log):
    """kind: 'clock_source' or 'time_source'; value '' = leave the device's default."""
    if not value:
        return
    try:
        options = list(getattr(u, f"get_{kind}s")(mb))
    except RuntimeError:
        options = None
    if options is not None and value not in options:
        if value == "internal":     # the default; some devices (N210 time source) have no such selector
            log.debug(f"{kind} 'internal' not offered by motherboard {mb}; left at its default")
            return
        raise ValueError(f"{name}: {kind} '{value}' is not supported by motherboard {mb} of "
                         f"'{a['device_args']}' (supported: {', '.join(options)})")
    getattr(u, f"set_{kind}")(value, mb)


def _wait_ref_locked(u, nmb, log):
    for mb in range(nmb):
        if "ref_locked" not in list(u.get_mboard_sensor_names(mb)):
            continue
        waited = 0.0
        while not u.get_mboard_sensor("ref_locked", mb).to_bool() and waited < _REF_LOCK_WAIT:
            _sleep(0.1)
            waited += 0.1
        if not u.get_mboard_sensor("ref_locked", mb).to_bool():
            log.warn(f"motherboard {mb}: external 10 MHz reference not locked; check the reference cable")


def _tune(u, freq, nchan, nmb, log):
    """All channels to `freq`, by a timed command on every motherboard where supported."""
    timed = True
    try:
        for mb in range(nmb):
            u.set_command_time(u.get_time_now(mb) + uhd.time_spec(_TUNE_LEAD), mb)
    except RuntimeError as exc:
        timed = False
        log.info(f"timed tuning not supported ({_one_line(exc)}); channels tuned one after another")
        for mb in range(nmb):
            try:
                u.clear_command_time(mb)
            except RuntimeError:
                pass
    try:
        for ch in range(nchan):
            u.set_center_freq(freq, ch)
    finally:
        if timed:
            for mb in range(nmb):
                u.clear_command_time(mb)
    if timed:
        _sleep(_TUNE_LEAD + 0.05)       # let the timed retune happen before anything else is timed


def _configure(name: str, u, a: dict, log) -> None:
    """Sources, rate, gain, antenna, time, tuning and start time, in the order UHD wants them."""
    nmb, step = u.get_num_mboards(), "clock/time source"
    try:
        clock, tsrc = a["clock_source"], a["time_source"]
        if a["sync"] == "pps":
            clock = "external" if clock in ("", "internal") else clock
            tsrc = "external" if tsrc in ("", "internal") else tsrc
        for mb in range(nmb):
            _set_source(name, u, "clock_source", clock, mb, a, log)
            _set_source(name, u, "time_source", tsrc, mb, a, log)
        if clock == "external":
            _wait_ref_locked(u, nmb, log)
        step = f"subdev '{a['subdev']}'"
        if a["subdev"]:
            for mb in range(nmb):
                u.set_subdev_spec(a["subdev"], mb)
        step = f"samp_rate {a['samp_rate']:g}"
        u.set_samp_rate(a["samp_rate"])
        for ch in range(a["nchan"]):
            step = f"gain {a['gain']:g} dB on channel {ch}"
            u.set_gain(a["gain"], ch)
            if a["antenna"]:
                step = f"antenna '{a['antenna']}' on channel {ch}"
                u.set_antenna(a["antenna"], ch)
        if a["sync"] == "pps":
            step = "sync pps (no PPS edge seen? check the PPS cable)"
            u.set_time_unknown_pps(uhd.time_spec(0.0))
        step = f"center_freq {a['center_freq']:g}"
        _tune(u, a["center_freq"], a["nchan"], nmb, log)
        step = "timed start"
        if a["sync"] == "internal":
            u.set_time_now(uhd.time_spec(0.0), uhd.ALL_MBOARDS)
            u.set_start_time(uhd.time_spec(a["start_delay"]))
            if nmb > 1:
                log.warn(f"sync internal with {nmb} motherboards: their clocks are set one after another, "
                         "so only channels of one motherboard are aligned; use sync pps")
        elif a["sync"] == "pps":
            u.set_start_time(uhd.time_spec(a["start_delay"] + 1.0))
        elif nmb > 1:
            log.warn(f"sync none with {nmb} motherboards: channels of different motherboards are not "
                     "time-aligned; use sync pps")
    except RuntimeError as exc:
        hint = (f"; does the device have {a['nchan']} channels (subdev '{a['subdev']}')?"
                if "channel" in step or "subdev" in step else "")
        raise RuntimeError(f"{name}: configuring '{a['device_args']}' ({a['nchan']} channels) failed at "
                           f"{step} ({_one_line(exc)}){hint}") from exc
    rate = u.get_samp_rate()
    if abs(rate - a["samp_rate"]) > 1e-6 * a["samp_rate"]:
        log.warn(f"samp_rate {a['samp_rate']:g} not available; the device runs at {rate:g}")
    for ch in range(a["nchan"]):
        f = u.get_center_freq(ch)
        if abs(f - a["center_freq"]) > 1.0:
            log.warn(f"channel {ch} tuned to {f:.0f} Hz instead of {a['center_freq']:.0f} Hz")


class _UsrpMimo(gr.hier_block2):
    """What both blocks share: the argument checks, opening and configuring the device, the wiring
    between the vector port and the per-channel USRP ports, and the run-time setters (GRC
    callbacks). self.usrp is the gr-uhd block."""

    def __init__(self, name: str, uhd_block: str, params: dict):
        """uhd_block: "usrp_sink" or "usrp_source" (looked up in gr-uhd now, so tests can stand in for
        it); params: the public constructor's arguments, as its locals()."""
        a = check_args(name, **{key: val for key, val in params.items() if key != "self"})
        self.nchan, self.args = a["nchan"], a
        vector, nothing = gr.io_signature(1, 1, gr.sizeof_gr_complex * self.nchan), gr.io_signature(0, 0, 0)
        transmit = uhd_block == "usrp_sink"
        gr.hier_block2.__init__(self, name, *((vector, nothing) if transmit else (nothing, vector)))
        self._log = gr.logger(name)
        self.usrp = _open(name, getattr(uhd, uhd_block), a)
        _configure(name, self.usrp, a, self._log)
        if transmit:
            split = blocks.vector_to_streams(gr.sizeof_gr_complex, self.nchan)
            self.connect(self, split)
            for ch in range(self.nchan):
                self.connect((split, ch), (self.usrp, ch))
        else:
            merge = blocks.streams_to_vector(gr.sizeof_gr_complex, self.nchan)
            for ch in range(self.nchan):
                self.connect((self.usrp, ch), (merge, ch))
            self.connect(merge, self)

    def set_gain(self, gain: float) -> None:
        for ch in range(self.nchan):
            self.usrp.set_gain(float(gain), ch)

    def set_center_freq(self, center_freq: float) -> None:
        _tune(self.usrp, float(center_freq), self.nchan, self.usrp.get_num_mboards(), self._log)


# The two public signatures differ only in the antenna default (the GRC YAML mirrors each one).
class usrp_mimo_sink(_UsrpMimo):  # noqa: N801
    def __init__(self, device_args: str = "", nchan: int = 2, samp_rate: float = 1e6, center_freq: float = 2.45e9,
                 gain: float = 20.0, sync: str = "none", clock_source: str = "internal",
                 time_source: str = "internal", subdev: str = "", antenna: str = "TX/RX", start_delay: float = 0.5):
        _UsrpMimo.__init__(self, "usrp_mimo_sink", "usrp_sink", locals())


class usrp_mimo_source(_UsrpMimo):  # noqa: N801
    def __init__(self, device_args: str = "", nchan: int = 2, samp_rate: float = 1e6, center_freq: float = 2.45e9,
                 gain: float = 20.0, sync: str = "none", clock_source: str = "internal",
                 time_source: str = "internal", subdev: str = "", antenna: str = "RX2", start_delay: float = 0.5):
        _UsrpMimo.__init__(self, "usrp_mimo_source", "usrp_source", locals())
