/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "detector_ports.h"
#include <gnuradio/neuralmimo/constellation_table.h>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

void check_block_dimensions(const std::string& block,
                            int nt,
                            int nr,
                            const std::string& constellation,
                            bool require_nr_ge_nt)
{
    check_dimensions(block, nt, nr, require_nr_ge_nt);
    // Keeps the item size (8 * Nr * Nt bytes) far from int overflow.
    if (static_cast<int64_t>(nt) * nr > (int64_t(1) << 20))
        throw std::invalid_argument(block + ": nt * nr = " + std::to_string(nt) + " * " +
                                    std::to_string(nr) + " exceeds the limit of 1048576");
    constellation_table::checked_name(block, constellation);
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

detector_config::detector_config(int nt,
                                 int nr,
                                 const std::string& constellation,
                                 output_kind output)
    : nt(nt),
      nr(nr),
      constellation(constellation),
      output(output),
      bits_per_symbol(constellation_table::bits_per_symbol(constellation))
{
}

detector_inputs detector_config::inputs(const gr_vector_const_void_star& items) const
{
    return { static_cast<const gr_complex*>(items[0]),
             static_cast<const gr_complex*>(items[1]),
             static_cast<const float*>(items[2]) };
}

detector_outputs detector_config::outputs(void* out, size_t item) const
{
    const output_kind k = output;
    const detector_outputs o{
        k == output_kind::estimate ? static_cast<gr_complex*>(out) : nullptr,
        k == output_kind::symbols ? static_cast<gr_complex*>(out) : nullptr,
        k == output_kind::llr ? static_cast<float*>(out) : nullptr,
        k == output_kind::bits ? static_cast<uint8_t*>(out) : nullptr
    };
    return o.from_item(item, nt, bits_per_symbol);
}

gr::io_signature::sptr detector_input_signature(const detector_config& cfg)
{
    return gr::io_signature::makev(3,
                                   3,
                                   { static_cast<int>(sizeof(gr_complex)) * cfg.nr,
                                     static_cast<int>(sizeof(gr_complex)) * cfg.nr * cfg.nt,
                                     static_cast<int>(sizeof(float)) });
}

gr::io_signature::sptr detector_output_signature(const detector_config& cfg)
{
    const int nbits = cfg.nt * cfg.bits_per_symbol;
    int itemsize = 0;
    switch (cfg.output) {
    case output_kind::symbols:
    case output_kind::estimate:
        itemsize = static_cast<int>(sizeof(gr_complex)) * cfg.nt;
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

void invalid_item_log::add(const item_failures& failures,
                           uint64_t offset,
                           const char* (*describe)(detector_status),
                           const gr::logger_ptr& logger)
{
    if (failures.count == 0)
        return;
    d_count.fetch_add(failures.count, std::memory_order_relaxed);
    if (!d_warned) {
        d_warned = true;
        logger->warn("{} at item {}; outputs erased (logged once, "
                     "invalid_items() counts them)",
                     describe(failures.first_status),
                     offset + failures.first);
    }
}

} // namespace neuralmimo
} // namespace gr
