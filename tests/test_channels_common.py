# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel models, what every model shares (phy/channels/common.py and the ChannelModel contract):
the exponential correlation matrix, reproducible draws, dtypes, batch checks, devices."""
import pytest
import torch
from channel_helpers import exp_corr_reference, gen

from neuralmimo.phy.channels import (KroneckerChannel, LocalScatteringChannel, RayleighChannel,
                                     RemimoCorrelatedChannel, TdlChannel, exponential_correlation, imperfect_csi)


def test_exponential_correlation_matches_eq29():
    for r in (0.0, 0.5, 0.95, 0.3 + 0.5j, -0.4j, 1.0):
        ref = exp_corr_reference(7, r)
        got = exponential_correlation(7, r)
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got, got.mH)
    real = exponential_correlation(5, 0.6)
    idx = torch.arange(5)
    torch.testing.assert_close(real.real, 0.6 ** (idx[:, None] - idx[None, :]).abs().double())
    with pytest.raises(ValueError, match="r"):
        exponential_correlation(4, 1.2)


_MODELS = [
    lambda: RayleighChannel(6, 3),
    lambda: KroneckerChannel(6, 3, 0.3 + 0.2j, 0.5),
    lambda: RemimoCorrelatedChannel(6, 3, (0.5, 0.8)),
    lambda: LocalScatteringChannel(6, 3, [-20.0, 0.0, 20.0]),
    lambda: TdlChannel(6, 3, "B", n_subcarriers=4),
]


@pytest.mark.parametrize("make", _MODELS)
def test_reproducible_and_dtype(make):
    ch = make()
    a = ch.sample(5, gen(21))
    b = make().sample(5, gen(21))
    c = ch.sample(5, gen(22))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)
    d = ch.sample(5, gen(21), dtype=torch.complex128)
    assert d.dtype == torch.complex128 and a.dtype == torch.complex64
    torch.testing.assert_close(d, ch.sample(5, gen(21), dtype=torch.complex128), rtol=0, atol=0)
    assert ch.sample(0, gen(21)).shape[0] == 0
    with pytest.raises(ValueError, match="dtype"):
        ch.sample(2, gen(21), dtype=torch.float32)
    with pytest.raises(ValueError, match="batch"):
        ch.sample(-1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("make", _MODELS)
def test_device(make):
    ch = make()
    cpu = ch.sample(4, gen(23))
    gpu = ch.sample(4, gen(23), device="cuda")
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-5, atol=1e-5)
    g = torch.Generator(device="cuda").manual_seed(1)
    assert ch.sample(4, g, device="cuda").device.type == "cuda"
    h = imperfect_csi(gpu, 0.1, torch.Generator(device="cuda").manual_seed(2))
    assert h.device.type == "cuda"


def test_device_cpu_explicit():
    h = LocalScatteringChannel(6, 3, [-20.0, 0.0, 20.0]).sample(4, gen(24), device=torch.device("cpu"))
    assert h.device.type == "cpu"
