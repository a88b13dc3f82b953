/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_DETECTOR_PORTS_H
#define INCLUDED_NEURALMIMO_DETECTOR_PORTS_H

#include <gnuradio/io_signature.h>
#include <string>

namespace gr {
namespace neuralmimo {

/*
 * Ports and argument checks shared by the C++ detector blocks (stream contract,
 * docs/conventions.md): inputs y c[Nr], h c[Nr*Nt], noise_var f; one output of
 * the selected kind. Errors are std::invalid_argument prefixed with the block name.
 */
enum class output_kind { symbols, estimate, llr, bits };

// nt >= 1, nr >= 1, nt <= nr when require_nr_ge_nt, Nr*Nt within the item-size
// limit, a known constellation.
void check_dimensions(const std::string& block,
                      int nt,
                      int nr,
                      const std::string& constellation,
                      bool require_nr_ge_nt);

// "symbols", "estimate", "llr" or "bits".
output_kind parse_output(const std::string& block, const std::string& output);

gr::io_signature::sptr detector_input_signature(int nt, int nr);

gr::io_signature::sptr
detector_output_signature(output_kind kind, int nt, const std::string& constellation);

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_DETECTOR_PORTS_H */
