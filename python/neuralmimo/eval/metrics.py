# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Error counting for Monte-Carlo evaluation (sums, so batches accumulate exactly)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


@dataclass
class Counts:
    """Accumulated sums for one detector at one SNR point."""

    vectors: int = 0
    bits: int = 0
    bit_errors: int = 0
    symbols: int = 0
    symbol_errors: int = 0
    sq_error: float = 0.0        # Σ ‖x̂ − x‖² over vectors with an estimate
    sq_signal: float = 0.0       # Σ ‖x‖² over the same vectors
    info_bits: float = 0.0       # Σ (1 − log2(1 + e^{−s·LLR})) over bits, s = +1 for bit 1
    has_llr: bool = field(default=False)
    has_estimate: bool = field(default=False)
    has_hard_bits: bool = field(default=False)

    def add(self, out, x: torch.Tensor, x_bits: torch.Tensor, hard_bits: torch.Tensor | None = None) -> None:
        """out: DetectorOutput (torch); x complex[B, Nt]; x_bits bool[B, Nt, K]; hard_bits bool[B, Nt, K]:
        the labels of out.symbols, used for the BER of a detector without LLRs."""
        b, nt = x.shape
        self.vectors += b
        self.symbols += b * nt
        self.symbol_errors += int((out.symbols != x).sum())
        self.bits += x_bits.numel()
        if out.llr is not None:
            self.has_llr = True
            llr = out.llr.to(torch.float64)
            self.bit_errors += int(((llr > 0) != x_bits).sum())
            s = x_bits.to(torch.float64) * 2.0 - 1.0
            self.info_bits += float((1.0 - torch.nn.functional.softplus(-s * llr) / math.log(2.0)).sum())
        elif hard_bits is not None:
            self.has_hard_bits = True
            self.bit_errors += int((hard_bits != x_bits).sum())
        if out.estimate is not None:
            self.has_estimate = True
            self.sq_error += float((out.estimate.to(torch.complex128) - x).abs().pow(2).sum())
            self.sq_signal += float(x.abs().pow(2).sum())

    def row(self) -> dict:
        nan = float("nan")
        nmse = self.sq_error / self.sq_signal if self.has_estimate and self.sq_signal else nan
        return {
            "vectors": self.vectors,
            "bits": self.bits,
            "bit_errors": self.bit_errors if self.has_llr or self.has_hard_bits else "",
            "ber": self.bit_errors / self.bits if (self.has_llr or self.has_hard_bits) and self.bits else nan,
            "symbols": self.symbols,
            "symbol_errors": self.symbol_errors,
            "ser": self.symbol_errors / self.symbols if self.symbols else nan,
            "nmse": nmse,
            "nmse_db": 10 * math.log10(nmse) if nmse == nmse and nmse > 0 else nan,
            "bmi": self.info_bits / self.bits if self.has_llr and self.bits else nan,
        }

    @property
    def errors(self) -> int:
        """The error count that stops a point: bit errors, or symbol errors without any bit decisions."""
        return self.bit_errors if self.has_llr or self.has_hard_bits else self.symbol_errors
