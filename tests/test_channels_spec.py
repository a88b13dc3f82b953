# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel specs (phy/channels/spec.py): make_channel parses every model's form and refuses
bad specs with the list of allowed forms."""
import pytest
import torch

from neuralmimo.phy.channels import (KroneckerChannel, LocalScatteringChannel, RayleighChannel,
                                     RemimoCorrelatedChannel, TdlChannel, channel_spec_forms, make_channel)


def test_make_channel_parses():
    ch = make_channel("rayleigh", 8, 4)
    assert isinstance(ch, RayleighChannel) and ch.variance == 1.0
    assert make_channel("rayleigh:var=1/nt", 8, 4).variance == pytest.approx(0.25)
    ch = make_channel("kron:r=0.5", 8, 4)
    assert isinstance(ch, KroneckerChannel) and ch.r_tx == 0.5 and ch.r_rx == 0.5
    ch = make_channel("kron:rt=0.3,rr=0.7", 8, 4)
    assert (ch.r_tx, ch.r_rx) == (0.3, 0.7)
    ch = make_channel("kron:rt=0.3+0.4j", 8, 4)
    assert ch.r_tx == 0.3 + 0.4j and ch.r_rx == 0.0
    ch = make_channel("remimo:rho=0.5", 64, 16)
    assert isinstance(ch, RemimoCorrelatedChannel) and ch.rho == 0.5 and not ch.partial
    assert ch.variance == pytest.approx(1 / 64)
    ch = make_channel("remimo:rho_min=0.65,rho_max=0.85,partial", 64, 16)
    assert ch.rho_range == (0.65, 0.85) and ch.partial
    ch = make_channel("ls:spread=10", 12, 6)
    assert isinstance(ch, LocalScatteringChannel) and ch.spread_deg == 10.0
    torch.testing.assert_close(ch.angles_deg, make_channel("ls:spread=10", 12, 6).angles_deg)
    ch = make_channel("ls:spread=5,angles=-30/-10/0/10/30/50,gain=1/nt,model=integral,dist=laplace", 12, 6)
    assert ch.angles_deg.tolist() == [-30, -10, 0, 10, 30, 50] and ch.gain == pytest.approx(1 / 6)
    assert ch.model == "integral" and ch.distribution == "laplace"
    ch = make_channel("tdl:A,ds=30", 8, 4)
    assert isinstance(ch, TdlChannel) and ch.profile == "A" and ch.delay_spread_ns == 30.0
    ch = make_channel("tdl:c,ds=100,nsc=12,scs=15e3,rt=0.5,rr=0.5", 8, 4)
    assert ch.profile == "C" and ch.n_subcarriers == 12 and ch.subcarrier_spacing_hz == 15e3


@pytest.mark.parametrize("spec", [
    "", "nope", "rayleigh:var=abc", "rayleigh:foo=1", "kron", "kron:r=1.5", "kron:r=0.5,rt=0.2",
    "kron:r=0.5,r=0.4", "remimo", "remimo:rho=2", "remimo:rho=0.5,bogus", "remimo:rho_min=0.8,rho_max=0.6",
    "ls", "ls:spread=-1", "ls:spread=10,angles=1/2", "ls:spread=10,model=exact", "ls:spread=10,dist=cauchy",
    "ls:spread=10,model=eq13,dist=uniform", "tdl", "tdl:D", "tdl:A,B", "tdl:A,ds=0", "tdl:A,nsc=x",
    "rayleigh:", "kron:r=0.5,",
])
def test_make_channel_refuses(spec):
    with pytest.raises(ValueError) as err:
        make_channel(spec, 12, 6)
    msg = str(err.value)
    assert "allowed forms" in msg and "kron:r=R" in msg
    assert repr(spec)[1:-1] in msg or spec == ""


def test_spec_forms_listed():
    forms = channel_spec_forms()
    assert any(f.startswith("rayleigh") for f in forms) and any(f.startswith("tdl") for f in forms)
