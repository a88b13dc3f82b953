/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "softbit_quantizer_impl.h"
#include <gnuradio/io_signature.h>

namespace gr {
namespace neuralmimo {

softbit_dequantizer::sptr softbit_dequantizer::make(int n,
                                                    int bits,
                                                    const std::string& mode,
                                                    float clip,
                                                    const std::vector<float>& thresholds,
                                                    const std::vector<float>& levels)
{
    return gnuradio::make_block_sptr<softbit_dequantizer_impl>(
        make_softbit_kernel("softbit_dequantizer", n, bits, mode, clip, thresholds, levels));
}

softbit_dequantizer_impl::softbit_dequantizer_impl(std::unique_ptr<softbit_quant> kernel)
    : gr::sync_block("softbit_dequantizer",
                     gr::io_signature::make(1, 1, kernel->bytes_per_vector()),
                     gr::io_signature::make(1, 1, sizeof(float) * kernel->n())),
      d_kernel(std::move(kernel))
{
}

int softbit_dequantizer_impl::work(int noutput_items,
                                   gr_vector_const_void_star& input_items,
                                   gr_vector_void_star& output_items)
{
    // Every bits-wide code is valid: nothing to check or log.
    d_kernel->dequantize(static_cast<const uint8_t*>(input_items[0]),
                         noutput_items,
                         static_cast<float*>(output_items[0]));
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
