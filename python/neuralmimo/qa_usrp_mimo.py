#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""usrp_mimo_sink / usrp_mimo_source without hardware.

Bad arguments raise ValueError before UHD is touched; a device that does not exist gives a
RuntimeError naming the device args; with stand-in gr-uhd blocks the configuration sequence
(sources, PPS, timed tune, timed start) and the channel <-> vector index mapping are checked;
the GRC YAML matches the Python signatures.
"""
import inspect
import re
import types
from unittest import mock

import numpy as np
import yaml
from gnuradio import blocks, gr, gr_unittest, uhd

import neuralmimo as nm
from neuralmimo.blocks import usrp_mimo
from neuralmimo.paths import source_dir

N_ITEMS = 1000
SOURCE_DIR = source_dir()


class _Sensor:
    def __init__(self, value):
        self.value = value

    def to_bool(self):
        return self.value


class _FakeUsrp:
    """The gr-uhd usrp_block calls the adapters make, recorded in order."""

    nmb = 1
    clock_sources = ("internal", "external", "gpsdo")
    time_sources = ("internal", "external", "gpsdo")
    fail = {}                       # method name -> RuntimeError message

    def _init_fake(self, device_args, stream_args):
        self.device_args, self.channels, self.calls = device_args, list(stream_args.channels), []
        self.freq = {}

    def _rec(self, name, *args):
        if name in self.fail:
            raise RuntimeError(self.fail[name])
        self.calls.append((name,) + tuple(a.get_real_secs() if isinstance(a, uhd.time_spec_t) else a for a in args))

    def names(self):
        return [c[0] for c in self.calls]

    def get_num_mboards(self):
        return self.nmb

    def get_clock_sources(self, mb):
        return list(self.clock_sources)

    def get_time_sources(self, mb):
        return list(self.time_sources)

    def get_mboard_sensor_names(self, mb):
        return ["ref_locked"]

    def get_mboard_sensor(self, name, mb):
        return _Sensor(True)

    def get_time_now(self, mb=0):
        return uhd.time_spec(5.0)

    def get_samp_rate(self):
        return self.rate

    def get_center_freq(self, ch=0):
        return self.freq[ch]

    def set_samp_rate(self, rate):
        self._rec("set_samp_rate", rate)
        self.rate = rate

    def set_center_freq(self, freq, ch=0):
        self._rec("set_center_freq", freq, ch)
        self.freq[ch] = freq


for _name in ("set_clock_source", "set_time_source", "set_subdev_spec", "set_gain", "set_antenna",
              "set_time_unknown_pps", "set_time_now", "set_command_time", "clear_command_time", "set_start_time"):
    setattr(_FakeUsrp, _name, (lambda n: lambda self, *a: self._rec(n, *a))(_name))


class FakeSource(gr.sync_block, _FakeUsrp):
    """nchan outputs; channel c, sample n = c * 1000 + n (then done after N_ITEMS)."""

    def __init__(self, device_args, stream_args):
        self._init_fake(device_args, stream_args)
        gr.sync_block.__init__(self, "fake_usrp_source", None, [np.complex64] * len(self.channels))
        self.n = 0

    def work(self, input_items, output_items):
        k = min(len(output_items[0]), N_ITEMS - self.n)
        if k <= 0:
            return -1
        for c, out in enumerate(output_items):
            out[:k] = c * 1000 + np.arange(self.n, self.n + k)
        self.n += k
        return k


class FakeSink(gr.sync_block, _FakeUsrp):
    def __init__(self, device_args, stream_args):
        self._init_fake(device_args, stream_args)
        gr.sync_block.__init__(self, "fake_usrp_sink", [np.complex64] * len(self.channels), None)
        self.data = [[] for _ in self.channels]

    def work(self, input_items, output_items):
        for c, x in enumerate(input_items):
            self.data[c].extend(x.tolist())
        return len(input_items[0])


def fake_uhd(source=FakeSource, sink=FakeSink):
    return types.SimpleNamespace(usrp_source=source, usrp_sink=sink, stream_args=uhd.stream_args,
                                 time_spec=uhd.time_spec, ALL_MBOARDS=uhd.ALL_MBOARDS)


def _untouchable(*args, **kwargs):
    raise AssertionError("the device was opened although the arguments are invalid")


class qa_usrp_mimo(gr_unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.object(usrp_mimo, "_sleep", lambda s: None)
        patcher.start()
        self.addCleanup(patcher.stop)

    def make(self, cls, fake_attrs=None, **kw):
        attrs = {"nmb": 1, "fail": {}, **(fake_attrs or {})}
        src = type("Src", (FakeSource,), attrs)
        snk = type("Snk", (FakeSink,), attrs)
        with mock.patch.object(usrp_mimo, "uhd", fake_uhd(src, snk)):
            return cls(**kw)

    # --- arguments -------------------------------------------------------------------
    def test_same_objects_as_package(self):
        self.assertIs(nm.usrp_mimo_sink, usrp_mimo.usrp_mimo_sink)
        self.assertIs(nm.usrp_mimo_source, usrp_mimo.usrp_mimo_source)

    def test_bad_arguments_raise_before_device_access(self):
        bad = [("nchan", 0), ("nchan", -2), ("nchan", 1.5), ("nchan", True), ("nchan", "2"),
               ("samp_rate", 0), ("samp_rate", -1e6), ("samp_rate", float("nan")), ("samp_rate", "fast"),
               ("center_freq", float("inf")), ("center_freq", -1.0), ("gain", float("nan")), ("gain", None),
               ("sync", "gps"), ("sync", ""), ("sync", None), ("start_delay", 0), ("start_delay", -1.0),
               ("device_args", 5), ("antenna", 1), ("clock_source", 0), ("time_source", []), ("subdev", 3)]
        never = fake_uhd(_untouchable, _untouchable)
        for cls in (usrp_mimo.usrp_mimo_sink, usrp_mimo.usrp_mimo_source):
            for key, value in bad:
                with self.subTest(block=cls.__name__, arg=key, value=value), \
                        mock.patch.object(usrp_mimo, "uhd", never):
                    with self.assertRaises(ValueError) as ctx:
                        cls(**{key: value})
                    msg = str(ctx.exception)
                    self.assertIn(cls.__name__, msg)
                    self.assertIn(key, msg)
                    self.assertIn(repr(value), msg)

    def test_missing_device_names_the_args(self):
        for cls in (usrp_mimo.usrp_mimo_sink, usrp_mimo.usrp_mimo_source):
            with self.subTest(block=cls.__name__):
                with self.assertRaises(RuntimeError) as ctx:
                    cls(device_args="type=doesnotexist", nchan=2)
                msg = str(ctx.exception)
                self.assertIn("device_args 'type=doesnotexist'", msg)
                self.assertIn("uhd_find_devices", msg)
                self.assertNotIn("\n", msg)

    # --- configuration sequence (stand-in devices) -----------------------------------
    def test_pps_sync_sequence(self):
        b = self.make(usrp_mimo.usrp_mimo_source, {"nmb": 2}, device_args="addr0=a,addr1=b", nchan=4,
                      samp_rate=2e6, center_freq=915e6, gain=12.5, sync="pps", start_delay=0.25)
        u = b.usrp
        self.assertEqual((u.device_args, u.channels), ("addr0=a,addr1=b", [0, 1, 2, 3]))
        for mb in (0, 1):
            self.assertIn(("set_clock_source", "external", mb), u.calls)
            self.assertIn(("set_time_source", "external", mb), u.calls)
        self.assertIn(("set_samp_rate", 2e6), u.calls)
        for ch in range(4):
            self.assertIn(("set_gain", 12.5, ch), u.calls)
            self.assertIn(("set_antenna", "RX2", ch), u.calls)
            self.assertIn(("set_center_freq", 915e6, ch), u.calls)
        n = u.names()
        self.assertEqual(u.calls[n.index("set_time_unknown_pps")], ("set_time_unknown_pps", 0.0))
        tunes = [i for i, c in enumerate(n) if c == "set_center_freq"]
        cmd = [i for i, c in enumerate(n) if c == "set_command_time"]
        clear = [i for i, c in enumerate(n) if c == "clear_command_time"]
        self.assertEqual([u.calls[i] for i in cmd], [("set_command_time", 5.1, 0), ("set_command_time", 5.1, 1)])
        self.assertLess(n.index("set_time_unknown_pps"), cmd[0])
        self.assertLess(cmd[-1], tunes[0])
        self.assertLess(tunes[-1], clear[0])
        self.assertEqual(u.calls[-1], ("set_start_time", 1.25))
        self.assertNotIn("set_time_now", n)

    def test_internal_sync_sequence(self):
        b = self.make(usrp_mimo.usrp_mimo_sink, nchan=2, sync="internal", start_delay=0.5, subdev="A:A A:B")
        u = b.usrp
        n = u.names()
        self.assertIn(("set_clock_source", "internal", 0), u.calls)
        self.assertIn(("set_subdev_spec", "A:A A:B", 0), u.calls)
        self.assertIn(("set_antenna", "TX/RX", 1), u.calls)
        self.assertNotIn("set_time_unknown_pps", n)
        self.assertLess(n.index("clear_command_time"), n.index("set_time_now"))
        self.assertEqual(u.calls[n.index("set_time_now")], ("set_time_now", 0.0, uhd.ALL_MBOARDS))
        self.assertEqual(u.calls[-1], ("set_start_time", 0.5))

    def test_no_sync_has_no_timed_start(self):
        u = self.make(usrp_mimo.usrp_mimo_source, nchan=1, sync="none").usrp
        n = u.names()
        for name in ("set_start_time", "set_time_now", "set_time_unknown_pps"):
            self.assertNotIn(name, n)
        self.assertIn(("set_center_freq", 2.45e9, 0), u.calls)

    def test_untimed_tuning_where_unsupported(self):
        u = self.make(usrp_mimo.usrp_mimo_source, {"fail": {"set_command_time": "not supported"}},
                      nchan=2).usrp
        self.assertEqual([c for c in u.calls if c[0] == "set_center_freq"],
                         [("set_center_freq", 2.45e9, 0), ("set_center_freq", 2.45e9, 1)])

    def test_unsupported_source_and_default_source(self):
        with self.assertRaises(ValueError) as ctx:
            self.make(usrp_mimo.usrp_mimo_sink, {"clock_sources": ("internal", "external")}, clock_source="mimo")
        self.assertIn("clock_source 'mimo'", str(ctx.exception))
        # "internal" is the default; a device without that selector keeps its own default.
        u = self.make(usrp_mimo.usrp_mimo_sink, {"time_sources": ("none", "external", "mimo")}).usrp
        self.assertNotIn("set_time_source", u.names())

    def test_configuration_failure_names_step(self):
        with self.assertRaises(RuntimeError) as ctx:
            self.make(usrp_mimo.usrp_mimo_source, {"fail": {"set_antenna": "bad antenna"}}, device_args="serial=X",
                      antenna="RX9")
        msg = str(ctx.exception)
        for part in ("serial=X", "antenna 'RX9'", "bad antenna"):
            self.assertIn(part, msg)

    # --- data path ---------------------------------------------------------------------
    def test_source_channel_c_is_vector_index_c(self):
        for nchan in (1, 2, 4):
            with self.subTest(nchan=nchan):
                src = self.make(usrp_mimo.usrp_mimo_source, nchan=nchan)
                snk = blocks.vector_sink_c(nchan)
                tb = gr.top_block()
                tb.connect(src, snk)
                tb.run()
                got = np.array(snk.data()).reshape(-1, nchan)
                want = np.arange(nchan)[None, :] * 1000 + np.arange(N_ITEMS)[:, None]
                np.testing.assert_array_equal(got, want)

    def test_sink_vector_index_c_is_channel_c(self):
        for nchan in (1, 2, 4):
            with self.subTest(nchan=nchan):
                x = (np.arange(nchan)[None, :] * 1000 + np.arange(N_ITEMS)[:, None]).astype(np.complex64)
                sink = self.make(usrp_mimo.usrp_mimo_sink, nchan=nchan)
                tb = gr.top_block()
                tb.connect(blocks.vector_source_c(x.ravel().tolist(), False, nchan), sink)
                tb.run()
                for c in range(nchan):
                    np.testing.assert_array_equal(np.array(sink.usrp.data[c]), x[:, c])

    # --- GRC ---------------------------------------------------------------------------
    def test_grc_yaml_matches_signatures(self):
        for cls, port in ((usrp_mimo.usrp_mimo_sink, "inputs"), (usrp_mimo.usrp_mimo_source, "outputs")):
            with self.subTest(block=cls.__name__):
                path = SOURCE_DIR / "grc" / f"neuralmimo_{cls.__name__}.block.yml"
                d = yaml.safe_load(path.read_text())
                self.assertEqual(d["id"], f"neuralmimo_{cls.__name__}")
                self.assertEqual(d["category"], "[Neural MIMO]/OFDM")
                sig = inspect.signature(cls.__init__).parameters
                names = [p for p in sig if p != "self"]
                params = {p["id"]: p for p in d["parameters"]}
                self.assertEqual(list(params), names)
                make = d["templates"]["make"]
                self.assertTrue(make.startswith(f"neuralmimo.{cls.__name__}("), make)
                self.assertEqual(re.findall(r"(\w+)=\$\{", make), names)
                for key in names:
                    self.assertIn(f"{key}=${{{key}}}", make)
                self.assertEqual(tuple(params["sync"]["options"]), usrp_mimo.SYNC_MODES)
                for key in ("nchan", "gain", "sync", "clock_source", "time_source", "subdev", "antenna",
                            "start_delay", "device_args", "center_freq"):
                    want = sig[key].default
                    self.assertEqual(type(want)(params[key]["default"]), want, key)
                self.assertEqual(d[port][0]["vlen"], "${nchan}")
                self.assertEqual(d[port][0]["dtype"], "complex")


if __name__ == "__main__":
    gr_unittest.run(qa_usrp_mimo)
