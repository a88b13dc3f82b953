# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput benchmarks, each against a reference measured in the same run.
`python -m neuralmimo.cli.bench [detectors|cg|ofdm]` runs one (`make bench` runs all):

    blocks.py     (no argument) the LMMSE detector blocks: batched numpy, bare onnxruntime,
                  onnx_detector and the C++ lmmse_detector in a flowgraph
    detectors.py  every nm.detector on three reference systems (CPU)
    cg.py         the C++ cg_detector block and its kernel alone (<build>/bench/bench_cg_kernel)
    ofdm.py       the whole MIMO-OFDM receiver against a USRP sample rate
    common.py     the random systems, the numpy LMMSE reference and the timing loop they share

The C++ kernel benchmarks are in the repository's bench/ folder. Tests never assert times.
"""
