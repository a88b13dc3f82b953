# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""gr-neuralmimo: neural MIMO detectors for GNU Radio.

    import neuralmimo as nm          # or: from gnuradio import neuralmimo as nm
    c = nm.constellation("qam16")
    det = nm.detector("lmmse", constellation="qam16")
    out = det(y, H, noise_var)       # .symbols, .llr, .estimate

Imports run one way, lowest layer first (tests/test_imports.py checks it, lazy imports included):

    paths, manifest, cg_steps   files and their formats
    phy                         constellations, channels, SNR conventions, demapping, OFDM framing
    detectors                   classical detectors; adapters of ONNX files and torch modules
    models                      trainable families (models.FAMILIES), checkpoint loading
    registry                    nm.detector and DetectorSpec: every detector behind one spec
    export                      ONNX export, checked against torch
    train                       trainer, schedules, configs
    eval, recording,            Monte-Carlo harness and metrics; SigMF traces and the bounds of
    recording_fields            their metadata fields
    papers                      per-paper studies
    blocks                      GNU Radio blocks (Python, and the compiled C++ ones)
    bench, cli                  entry points

A module may import its own layer and the layers listed before it, never one listed after it.
Nothing listed before blocks imports gnuradio, so all of that runs on a machine without GNU
Radio (a training or GPU machine). This package re-exports the API at the
registry layer; its GNU Radio blocks are loaded on first access, so importing it stays light.
"""
from .detectors import DetectorOutput, detector_names
from .paths import example_path, fixture_path, model_path
from .phy.constellation import Constellation, constellation, constellation_names
from .phy.ofdm import OfdmConfig, ofdm_config
from .registry import DetectorSpec, detector

__version__ = "0.1.0"

#: Block name -> module that defines it (loaded lazily, needs GNU Radio).
_BLOCKS = {
    "lmmse_detector": ".neuralmimo_python",
    "cg_detector": ".neuralmimo_python",
    "softbit_quantizer": ".neuralmimo_python",
    "softbit_dequantizer": ".neuralmimo_python",
    "softbit_quantizer_from": ".blocks.softbit",
    "softbit_dequantizer_from": ".blocks.softbit",
    "softbit_codec": ".blocks.softbit_codec",
    "onnx_detector": ".blocks.onnx_detector",
    "classical_detector": ".blocks.classical_detector",
    "qam_mapper": ".blocks.qam_mapper",
    "mimo_channel": ".blocks.mimo_channel",
    "ofdm_channel": ".blocks.ofdm_channel",
    "ber_meter": ".blocks.ber_meter",
    "sigmf_recorder": ".blocks.sigmf_recorder",
    "ofdm_payload_source": ".blocks.ofdm_tx",
    "ofdm_tx": ".blocks.ofdm_tx",
    "ofdm_rx": ".blocks.ofdm_rx",
    "frame_checker": ".blocks.frame_checker",
    "detector_select": ".blocks.detector_select",
    "detector_switch": ".blocks.detector_switch",
    "channel_view": ".blocks.channel_view",
    "link_monitor": ".blocks.link_monitor",
    "pubsub_gate": ".blocks.pubsub_gate",
    "pubsub_ungate": ".blocks.pubsub_gate",
    "wire_meter": ".blocks.wire_meter",
    "usrp_mimo_sink": ".blocks.usrp_mimo",
    "usrp_mimo_source": ".blocks.usrp_mimo",
}


def __getattr__(name):
    if name in _BLOCKS:
        import importlib

        try:
            mod = importlib.import_module(_BLOCKS[name], __name__)
        except ImportError as exc:
            raise ImportError(f"neuralmimo.{name} needs GNU Radio and the built module ({exc})") from exc
        value = getattr(mod, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neuralmimo' has no attribute '{name}'")


__all__ = ["Constellation", "DetectorOutput", "DetectorSpec", "constellation", "constellation_names",
           "detector", "detector_names", "OfdmConfig", "ofdm_config", "model_path", "example_path", "fixture_path", *_BLOCKS]
