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


static const char* __doc_gr_neuralmimo_softbit_quantizer = R"doc(Scalar quantiser of soft values (LLRs, soft bits, latents) to packed codes (C++).

In: float[N] per item. Out: byte[ceil(N*bits/8)] per item: the N codes, each
bits wide, MSB first, zero-padded to whole bytes (the wire format of
neuralmimo.phy.quantizer, which defines the codes bit for bit).

mode "uniform": 2**bits equal cells over [-clip, clip]; mode "codebook":
code = number of thresholds <= x, one codebook for every position or one per
position (thresholds float[G*(L-1)], levels float[G*L], row-major, G = 1 or N).

NaN -> the code of the cell holding 0.0 (an erasure), counted by erased();
+-Inf (uniform: any |x| > clip) -> the outer code, counted by clamped(); the
first of each is logged once. neuralmimo.softbit_quantizer_from() builds the
block from a ScalarQuantizer or a manifest.)doc";


static const char* __doc_gr_neuralmimo_softbit_quantizer_softbit_quantizer = R"doc()doc";


static const char* __doc_gr_neuralmimo_softbit_quantizer_make = R"doc(Make a soft-bit quantiser block.

Args:
    n: vector length N (floats per item), >= 1
    bits: bits per code, 1..16
    mode: "uniform" or "codebook"
    clip: uniform: half-width of the range, in [1e-20, 1e20]; codebook: ignored
    thresholds: codebook: float[G*(L-1)] strictly increasing per row; uniform: empty
    levels: codebook: float[G*L]; uniform: empty

Raises ValueError naming the parameter and the values.)doc";


static const char* __doc_gr_neuralmimo_softbit_quantizer_erased = R"doc(NaN inputs so far (coded as the cell of 0.0).)doc";


static const char* __doc_gr_neuralmimo_softbit_quantizer_clamped = R"doc(Clamped inputs so far (+-Inf; uniform mode also finite |x| > clip).)doc";


static const char* __doc_gr_neuralmimo_softbit_quantizer_bytes_per_vector = R"doc(ceil(N*bits/8): the output item size in bytes.)doc";
