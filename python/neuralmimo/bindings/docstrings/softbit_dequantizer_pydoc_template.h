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


static const char* __doc_gr_neuralmimo_softbit_dequantizer = R"doc(Dequantiser of packed soft-bit codes back to levels (C++).

In: byte[ceil(N*bits/8)] per item (the wire format of softbit_quantizer).
Out: float[N] per item, the level of each code (row j of a per-position
codebook for position j). Every bits-wide code is valid; padding is ignored.)doc";


static const char* __doc_gr_neuralmimo_softbit_dequantizer_softbit_dequantizer = R"doc()doc";


static const char* __doc_gr_neuralmimo_softbit_dequantizer_make = R"doc(Make a soft-bit dequantiser block (the arguments of the quantiser it undoes).

Args:
    n: vector length N (floats per output item), >= 1
    bits: bits per code, 1..16
    mode: "uniform" or "codebook"
    clip: uniform: half-width of the range, in [1e-20, 1e20]; codebook: ignored
    thresholds: codebook: float[G*(L-1)] strictly increasing per row; uniform: empty
    levels: codebook: float[G*L]; uniform: empty

Raises ValueError naming the parameter and the values.)doc";


static const char* __doc_gr_neuralmimo_softbit_dequantizer_bytes_per_vector = R"doc(ceil(N*bits/8): the input item size in bytes.)doc";
