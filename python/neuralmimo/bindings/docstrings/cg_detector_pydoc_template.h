/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, neuralmimo, __VA_ARGS__)
/*
  Docstrings of the Python bindings. Without Doxygen the build copies this
  file as is; with Doxygen it fills in the docstrings scraped from the header.
 */


static const char* __doc_gr_neuralmimo_cg_detector = R"doc(Conjugate-gradient MIMO detector (C++): classical CG or LcgNet (learned steps), max-log LLRs.

Model y = H x + n, n ~ CN(0, noise_var I), unit-energy constellation with the
Gray labels of 3GPP TS 38.211 5.1 (BPSK real, bit 0 -> +1). Real-valued system
(n = 2Nt): A = H_r^T H_r + noise_var I, b = H_r^T y_r.

Inputs (one item per resource element):
  0 y:         complex[Nr]
  1 h:         complex[Nr*Nt], row-major, H[r, t] at r*Nt + t
  2 noise_var: float, noise variance per complex receive dimension
Output (by `output`):
  symbols:  complex[Nt], hard decisions
  estimate: complex[Nt], the CG / LcgNet estimate xhat = s[:Nt] + j s[Nt:]
  llr:      float[Nt*K], max-log LLR = ln P(b=1)/P(b=0), stream t bit k at t*K + k
  bits:     byte[Nt*K], hard bits 0/1

Learned steps (alpha, beta: float[L*2Nt], layer-major): from s = 0, r = d = b,
s += alpha_i * d; r -= alpha_i * (A d); d = r + beta_i * d. LLRs use the exact
Gaussian variance of this linear map (as neuralmimo.models.lcgnet). Classical
CG (no steps): `iterations` CG iterations, form "complex" or "real", LLR
variance of the LMMSE filter (neuralmimo.detectors.cg, llr_variance="exact").

The per-channel set-up is reused while H and noise_var repeat bitwise. LLRs are
clipped to +-100; noise_var = 0 is valid (floored at 1e-10). Items with NaN/Inf
in y or H, noise_var < 0 or not finite, H all zero, (classical CG) a
numerically singular H^H H + s2 I, or an overflow are erased (zeros), logged
once, and counted by invalid_items(). A stream with no gain has LLR 0.)doc";


static const char* __doc_gr_neuralmimo_cg_detector_cg_detector = R"doc()doc";


static const char* __doc_gr_neuralmimo_cg_detector_make = R"doc(Make a CG detector block.

Args:
    nt: number of transmit streams Nt, >= 1
    nr: number of receive antennas Nr, >= Nt
    constellation: "bpsk", "qpsk", "qam16", "qam64" or "qam256"
    output: "symbols", "estimate", "llr" or "bits"
    iterations: classical CG: iterations >= 1; learned steps: L, or 0 meaning L
    alpha: learned steps, float[L*2Nt] layer-major; [] for classical CG
    beta: learned steps, float[L*2Nt]; [] iff alpha is []
    form: classical CG: "complex" or "real"
    threads: worker threads sharing the items of one work() call, >= 1

Raises ValueError naming the parameter and the values.)doc";


static const char* __doc_gr_neuralmimo_cg_detector_invalid_items = R"doc(Number of items erased so far because their input was invalid.)doc";
