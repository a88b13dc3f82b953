# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The soft-bit fronthaul: the coded MIMO-OFDM loopback whose detector LLRs cross a link quantised.

    link = FronthaulLink({"float": None, "maxmi3": "models/quantizer_maxmi3_qam16_2x4.json"},
                         snr_db=16, frames=30, transport="zmq")
    rows = link.run()          # one dict per branch: wire bytes, BLER, BER, uncoded BER, frames ok

Sender (one top block, as examples/ofdm_loopback.grc): ofdm_payload_source -> ofdm_tx ->
ofdm_channel -> ofdm_rx -> detector_select (LLRs float32[Nt·K] per resource element), then per
branch: softbit_quantizer (float32[N] -> byte[ceil(N·bits/8)], N = Nt·K) -> transport;
the "float" branch (quantiser None) sends the float32 LLRs themselves, the reference.
Receiver per branch: transport -> softbit_dequantizer (the quantiser's levels, float32[N]) ->
frame_checker (LDPC decoding when coded, BLER).

Transports: "zmq": a gr-zeromq PUB sink bound to a free port of 127.0.0.1 and a SUB source
connected to it, both with pass_tags, in a receiver top block of their own, with a gate that
holds the stream until the subscription is in (pubsub_gate.py: a PUB drops what it sends before).
A SUB source never ends by itself: the receiver is stopped once its checker has read every item
the sender wrote, or after `timeout` s (items_received then tells the loss). "direct": the same
chain in the sender's top block without a socket. The frame_checker needs ofdm_rx's "frame_info" tags (frame start, SNR,
EVM: they number a frame whose CRC fails); pass_tags carries them over ZMQ. A file pair carries
no tags (file_sink writes items only) and cannot run in one flowgraph (file_source reads the file
as it is when it opens), so it is not offered.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from gnuradio import blocks, gr, zeromq

from ..phy.ofdm import ofdm_config
from ..phy.quantizer import ScalarQuantizer
from .detector_select import detector_select
from .frame_checker import frame_checker
from .ofdm_channel import ofdm_channel
from .ofdm_rx import ofdm_rx
from .ofdm_tx import ofdm_payload_source, ofdm_tx
from .pubsub_gate import pubsub_gate, pubsub_ungate
from .softbit import quantizer_of, softbit_dequantizer_from, softbit_quantizer_from

TRANSPORTS = ("zmq", "direct")
#: The channel and frame of examples/ofdm_loopback.grc (and softbit_fronthaul.grc).
LOOPBACK = {"samp_rate": 5e6, "profile": "A", "delay_spread": 300e-9, "cfo_hz": 10e3,
            "timing_offset": 0.37, "phase_noise_hz": 100.0, "gap": 100}
#: ZMQ receive timeout (ms) of the SUB source: how often its work() returns to check for a stop.
ZMQ_TIMEOUT_MS = 100
#: High-water mark (messages, one per work() call of the sender) of both sockets, and the PUB
#: waits at it instead of dropping (drop_on_hwm False): the receiver decodes LDPC in Python and
#: may lag behind the sender; a dropped message would misalign every frame after it.
ZMQ_HWM = 100000


def wire_bytes_per_item(q: ScalarQuantizer | None, n: int) -> int:
    """Bytes on the wire per resource element: ceil(n·bits/8), or 4·n for float32 LLRs."""
    return 4 * n if q is None else q.bytes_per_vector(n)


class _Branch:
    """One quantiser's path: its blocks, and what it counted."""

    def __init__(self, label: str, q: ScalarQuantizer | None, config, n: int):
        self.label, self.q, self.n = label, q, n
        self.item_bytes = wire_bytes_per_item(q, n)
        self.quantizer = None if q is None else softbit_quantizer_from(q, n=n)
        self.dequantizer = None if q is None else softbit_dequantizer_from(q, n=n)
        self.checker = frame_checker(config, input="llr", label=label, first_frame=0, history=None)
        self.pub = self.sub = self.gate = self.ungate = None

    def wire_port(self):
        """(itemsize, vlen) of the wire items: bytes, or the float32 LLRs."""
        return (1, self.item_bytes) if self.q is not None else (4, self.n)


class FronthaulLink:
    """The sender and receiver flowgraphs of the module docstring for a set of quantisers.

    quantizers: {label: None (float32 LLRs) | ScalarQuantizer | manifest path or dict}; snr_db:
    the channel's SNR per resource element (Nt/noise_var); frames >= 1; detector: a
    detector_select spec (the loopback's "cpp:lmmse"); coding: "ldpc648" or "none"; seed: the
    channel's; transport: "zmq" or "direct".
    """

    def __init__(self, quantizers: dict, snr_db: float, frames: int, nt: int = 2, nr: int = 4,
                 constellation: str = "qam16", detector: str = "cpp:lmmse", coding: str = "ldpc648",
                 seed: int = 1, transport: str = "zmq"):
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
        if isinstance(frames, bool) or int(frames) != frames or frames < 1:
            raise ValueError(f"frames must be an integer >= 1, got {frames!r}")
        if not quantizers:
            raise ValueError("quantizers: at least one branch is needed, got none")
        self.config = c = ofdm_config(nt=nt, nr=nr, constellation=constellation, gap=LOOPBACK["gap"], coding=coding)
        self.frames, self.transport, self.snr_db = int(frames), transport, float(snr_db)
        n = c.nt * c.bits_per_symbol
        self.branches = [_Branch(label, None if q is None else quantizer_of(q), c, n)
                         for label, q in quantizers.items()]
        self.tx = gr.top_block("fronthaul_tx")
        self.rx = gr.top_block("fronthaul_rx") if transport == "zmq" else None
        src = ofdm_payload_source(c, num_frames=self.frames, first_frame=0)
        modulator = ofdm_tx(c)
        chan = ofdm_channel(nt=nt, nr=nr, samp_rate=LOOPBACK["samp_rate"], snr_db=snr_db,
                            profile=LOOPBACK["profile"], delay_spread=LOOPBACK["delay_spread"],
                            cfo_hz=LOOPBACK["cfo_hz"], timing_offset=LOOPBACK["timing_offset"],
                            phase_noise_hz=LOOPBACK["phase_noise_hz"], seed=seed)
        receiver = ofdm_rx(c)
        self.detector = detector_select(detector, nt=nt, nr=nr, constellation=constellation,
                                        output="llr", batch=c.n_re)
        # Python blocks live as long as their Python object: the link holds them all.
        self.source, self.modulator, self.channel, self.receiver = src, modulator, chan, receiver
        self.tx.connect(src, modulator, chan, receiver)
        for k in range(3):
            self.tx.connect((receiver, k), (self.detector, k))
        for b in self.branches:
            self._wire(b)

    def _wire(self, b: _Branch) -> None:
        head = self.detector if b.quantizer is None else b.quantizer
        if b.quantizer is not None:
            self.tx.connect(self.detector, b.quantizer)
        rest = [b.dequantizer, b.checker] if b.dequantizer is not None else [b.checker]
        if self.transport == "direct":
            self.tx.connect(head, *rest)
            return
        size, vlen = b.wire_port()
        # "*": the OS picks a free port at bind time (no race with another process for it); the
        # SUB side connects to the endpoint the PUB actually bound.
        b.pub = zeromq.pub_sink(size, vlen, "tcp://127.0.0.1:*", ZMQ_TIMEOUT_MS, True, ZMQ_HWM, "", False)
        b.sub = zeromq.sub_source(size, vlen, b.pub.last_endpoint(), ZMQ_TIMEOUT_MS, True, ZMQ_HWM, "")
        # The gate holds the stream until the subscription is in (pubsub_gate.py), so the
        # receiver gets every item and frames by counting stay aligned.
        opened = threading.Event()
        dtype = np.uint8 if size == 1 else np.float32
        b.gate, b.ungate = pubsub_gate(dtype, vlen, opened), pubsub_ungate(dtype, vlen, opened)
        self.tx.connect(head, b.gate, b.pub)
        self.rx.connect(b.sub, b.ungate, *rest)

    @staticmethod
    def _sent_items(b: _Branch) -> int:
        """Data items the branch put on the wire (ZMQ: through the gate; direct: into the checker)."""
        return b.gate.data_items() if b.gate is not None else int(b.checker.nitems_read(0))

    def run(self, timeout: float = 60.0) -> list[dict]:
        """Runs the link; returns per branch (in the order given) a dict: the checker's summary()
        (frames, crc_failures, bler, ber, bits (information bits compared), channel_ber, codewords,
        codeword_errors ...), then label, llr_bits (bits per LLR; None for float), bytes_per_item,
        items_sent / items_received (resource elements on the wire),
        wire_bytes_sent / wire_bytes_received, bytes_per_frame, realtime_bytes_per_s (the wire
        rate at the link's sample rate, LOOPBACK["samp_rate"]), ratio_to_float (bytes over those
        of float32 LLRs) and elapsed_s."""
        t0 = time.perf_counter()
        if self.rx is not None:
            self.rx.start()
        self.tx.run()
        if self.rx is not None:
            # The sender has finished; the receiver still drains the sockets. Its checkers' item
            # counts say when it has everything (a SUB source gives no end-of-stream).
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(
                    b.checker.nitems_read(0) < self._sent_items(b) for b in self.branches):
                time.sleep(0.01)
            self.rx.stop()
            self.rx.wait()
        # The checkers' stop() (called by the scheduler as each top block ends) settled any frames
        # still waiting for a number.
        elapsed = time.perf_counter() - t0
        return [self._row(b, elapsed) for b in self.branches]

    def _row(self, b: _Branch, elapsed: float) -> dict:
        c = self.config
        float_bytes = wire_bytes_per_item(None, b.n)
        sent, got = self._sent_items(b), int(b.checker.nitems_read(0))
        return {**b.checker.summary(), "label": b.label, "llr_bits": None if b.q is None else b.q.bits,
                "mode": None if b.q is None else b.q.mode,
                "bytes_per_item": b.item_bytes, "items_sent": sent, "items_received": got,
                "wire_bytes_sent": sent * b.item_bytes, "wire_bytes_received": got * b.item_bytes,
                "bytes_per_frame": c.n_re * b.item_bytes,
                "realtime_bytes_per_s": c.n_re * b.item_bytes * LOOPBACK["samp_rate"] / c.frame_len,
                "ratio_to_float": b.item_bytes / float_bytes, "elapsed_s": elapsed}


def capture_llrs(snr_db: float, frames: int, nt: int = 2, nr: int = 4, constellation: str = "qam16",
                 detector: str = "cpp:lmmse", coding: str = "ldpc648", seed: int = 1):
    """The link's own detector LLRs and the channel bits they stand for, to design a quantiser on:
    (llr float32[F·bits_per_frame], bits uint8[same]) over the F frames the receiver detected
    (frame order, LLR order of the frame checker). ValueError when the receiver detected none."""
    from ..phy.ofdm_bits import append_crc, test_payload
    from ..phy.ofdm_coding import encode_frame

    link = FronthaulLink({"float": None}, snr_db, frames, nt=nt, nr=nr, constellation=constellation,
                         detector=detector, coding=coding, seed=seed, transport="direct")
    sink = blocks.vector_sink_f(nt * link.config.bits_per_symbol)
    link.tx.connect(link.detector, sink)
    link.run()
    c, records = link.config, link.branches[0].checker.records()
    llr = np.asarray(sink.data(), np.float32)
    if not records:
        raise ValueError(f"capture_llrs: the receiver detected no frame at {snr_db:g} dB")
    # A frame's number comes from the checker (CRC, or frame starts when it failed): its bits are known.
    bits = np.concatenate([encode_frame(c, append_crc(test_payload(c, r["frame"]))) for r in records])
    return llr[:bits.size], bits


__all__ = ["FronthaulLink", "LOOPBACK", "TRANSPORTS", "capture_llrs", "wire_bytes_per_item"]
