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


static const char* __doc_gr_neuralmimo_lmmse_detector = R"doc(LMMSE MIMO detector with max-log LLRs (C++).

Model y = H x + n, n ~ CN(0, noise_var I), unit-energy constellation with the
Gray labels of 3GPP TS 38.211 5.1 (BPSK real, bit 0 -> +1).

Inputs (one item per resource element):
  0 y:         complex[Nr]
  1 h:         complex[Nr*Nt], row-major, H[r, t] at r*Nt + t
  2 noise_var: float, noise variance per complex receive dimension
Output (by `output`):
  symbols:  complex[Nt], hard decisions
  estimate: complex[Nt], biased LMMSE estimate xhat = (H^H H + s2 I)^-1 H^H y
  llr:      float[Nt*K], max-log LLR = ln P(b=1)/P(b=0), stream t bit k at t*K + k
  bits:     byte[Nt*K], hard bits 0/1

The factorisation is reused while H and noise_var repeat bitwise. LLRs are
clipped to +-100; noise_var = 0 is valid (floored at 1e-10 after H is scaled by
a power of two to max |Re, Im H| ~ 1). Items with NaN/Inf in y or H, noise_var
< 0 or not finite, H all zero, a numerically singular H^H H + s2 I or an
overflow are erased (zeros), logged once, and counted by invalid_items().)doc";


static const char* __doc_gr_neuralmimo_lmmse_detector_lmmse_detector = R"doc()doc";


static const char* __doc_gr_neuralmimo_lmmse_detector_make = R"doc(Make an LMMSE detector block.

Args:
    nt: number of transmit streams Nt, >= 1
    nr: number of receive antennas Nr, >= 1
    constellation: "bpsk", "qpsk", "qam16", "qam64" or "qam256"
    output: "symbols", "estimate", "llr" or "bits"

Raises ValueError naming the parameter and the value.)doc";


static const char* __doc_gr_neuralmimo_lmmse_detector_invalid_items = R"doc(Number of items erased so far because their input was invalid.)doc";
