/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "detector_ports.h"
#include <gnuradio/neuralmimo/constellation_table.h>
#include <cstdint>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

void check_dimensions(const std::string& block,
                      int nt,
                      int nr,
                      const std::string& constellation,
                      bool require_nr_ge_nt)
{
    if (nt < 1)
        throw std::invalid_argument(block + ": nt = " + std::to_string(nt) + " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument(block + ": nr = " + std::to_string(nr) + " must be >= 1");
    if (require_nr_ge_nt && nt > nr)
        throw std::invalid_argument(block + ": nt = " + std::to_string(nt) +
                                    " must be <= nr = " + std::to_string(nr));
    // Keeps the item size (8 * Nr * Nt bytes) far from int overflow.
    if (static_cast<int64_t>(nt) * nr > (int64_t(1) << 20))
        throw std::invalid_argument(block + ": nt * nr = " + std::to_string(nt) + " * " +
                                    std::to_string(nr) + " exceeds the limit of 1048576");
    if (!constellation_table::is_valid_name(constellation)) {
        std::string names;
        for (const auto& n : constellation_table::names())
            names += (names.empty() ? "" : ", ") + n;
        throw std::invalid_argument(block + ": constellation '" + constellation +
                                    "' is not one of " + names);
    }
}

output_kind parse_output(const std::string& block, const std::string& output)
{
    if (output == "symbols")
        return output_kind::symbols;
    if (output == "estimate")
        return output_kind::estimate;
    if (output == "llr")
        return output_kind::llr;
    if (output == "bits")
        return output_kind::bits;
    throw std::invalid_argument(block + ": output '" + output +
                                "' is not one of symbols, estimate, llr, bits");
}

gr::io_signature::sptr detector_input_signature(int nt, int nr)
{
    return gr::io_signature::makev(3,
                                   3,
                                   { static_cast<int>(sizeof(gr_complex)) * nr,
                                     static_cast<int>(sizeof(gr_complex)) * nr * nt,
                                     static_cast<int>(sizeof(float)) });
}

gr::io_signature::sptr
detector_output_signature(output_kind kind, int nt, const std::string& constellation)
{
    const int nbits = nt * constellation_table::bits_per_symbol(constellation);
    int itemsize = 0;
    switch (kind) {
    case output_kind::symbols:
    case output_kind::estimate:
        itemsize = static_cast<int>(sizeof(gr_complex)) * nt;
        break;
    case output_kind::llr:
        itemsize = static_cast<int>(sizeof(float)) * nbits;
        break;
    case output_kind::bits:
        itemsize = static_cast<int>(sizeof(uint8_t)) * nbits;
        break;
    }
    return gr::io_signature::make(1, 1, itemsize);
}

} // namespace neuralmimo
} // namespace gr
