/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "softbit_quantizer_impl.h"
#include <gnuradio/io_signature.h>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

std::unique_ptr<softbit_quant> make_softbit_kernel(const std::string& block,
                                                   int n,
                                                   int bits,
                                                   const std::string& mode,
                                                   float clip,
                                                   const std::vector<float>& thresholds,
                                                   const std::vector<float>& levels)
{
    try {
        return std::make_unique<softbit_quant>(n, bits, mode, clip, thresholds, levels);
    } catch (const std::invalid_argument& e) {
        const std::string prefix = "softbit_quant: ";
        std::string msg = e.what();
        if (msg.compare(0, prefix.size(), prefix) == 0)
            msg = msg.substr(prefix.size());
        throw std::invalid_argument(block + ": " + msg);
    }
}

softbit_quantizer::sptr softbit_quantizer::make(int n,
                                                int bits,
                                                const std::string& mode,
                                                float clip,
                                                const std::vector<float>& thresholds,
                                                const std::vector<float>& levels)
{
    // The kernel checks every argument before the block (and its io
    // signature) exists, so a bad one gets its own message.
    return gnuradio::make_block_sptr<softbit_quantizer_impl>(
        make_softbit_kernel("softbit_quantizer", n, bits, mode, clip, thresholds, levels));
}

softbit_quantizer_impl::softbit_quantizer_impl(std::unique_ptr<softbit_quant> kernel)
    : gr::sync_block("softbit_quantizer",
                     gr::io_signature::make(1, 1, sizeof(float) * kernel->n()),
                     gr::io_signature::make(1, 1, kernel->bytes_per_vector())),
      d_kernel(std::move(kernel))
{
}

int softbit_quantizer_impl::work(int noutput_items,
                                 gr_vector_const_void_star& input_items,
                                 gr_vector_void_star& output_items)
{
    softbit_counts c;
    d_kernel->quantize(static_cast<const float*>(input_items[0]),
                       noutput_items,
                       static_cast<uint8_t*>(output_items[0]),
                       c);
    // Data problems are counted and logged once per reason, never thrown.
    if (c.erased) {
        d_erased += c.erased;
        if (!d_warned_erased) {
            d_warned_erased = true;
            d_logger->warn("NaN input in items {}..{}: coded as the cell of 0.0 (an erasure; "
                           "logged once, erased() counts them)",
                           nitems_read(0),
                           nitems_read(0) + noutput_items - 1);
        }
    }
    if (c.clamped) {
        d_clamped += c.clamped;
        if (!d_warned_clamped) {
            d_warned_clamped = true;
            d_logger->warn("input beyond the quantiser's range in items {}..{}: given the "
                           "outer code (logged once, clamped() counts them)",
                           nitems_read(0),
                           nitems_read(0) + noutput_items - 1);
        }
    }
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
