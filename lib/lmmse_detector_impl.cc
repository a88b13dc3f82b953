/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "lmmse_detector_impl.h"
#include "detector_ports.h"
#include <gnuradio/io_signature.h>
#include <cstdint>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

/*
 * Checks every argument and returns the output kind. Called from the
 * signature helpers, i.e. before the base class is built, so a bad argument
 * gives its own message instead of an io_signature error.
 */
output_kind check_args(int nt, int nr, const std::string& constellation, const std::string& output)
{
    check_dimensions("lmmse_detector", nt, nr, constellation, false);
    return parse_output("lmmse_detector", output);
}

gr::io_signature::sptr
make_input_signature(int nt, int nr, const std::string& constellation, const std::string& output)
{
    check_args(nt, nr, constellation, output);
    return detector_input_signature(nt, nr);
}

gr::io_signature::sptr
make_output_signature(int nt, int nr, const std::string& constellation, const std::string& output)
{
    return detector_output_signature(check_args(nt, nr, constellation, output), nt, constellation);
}

} // namespace

lmmse_detector::sptr lmmse_detector::make(int nt,
                                          int nr,
                                          const std::string& constellation,
                                          const std::string& output)
{
    return gnuradio::make_block_sptr<lmmse_detector_impl>(nt, nr, constellation, output);
}

lmmse_detector_impl::lmmse_detector_impl(int nt,
                                         int nr,
                                         const std::string& constellation,
                                         const std::string& output)
    : gr::sync_block("lmmse_detector",
                     // Both helpers validate all arguments first, whatever
                     // order the compiler evaluates them in.
                     make_input_signature(nt, nr, constellation, output),
                     make_output_signature(nt, nr, constellation, output)),
      d_nt(nt),
      d_nr(nr),
      d_output(check_args(nt, nr, constellation, output)),
      d_kernel(nt, nr, constellation)
{
}

lmmse_detector_impl::~lmmse_detector_impl() {}

int lmmse_detector_impl::work(int noutput_items,
                              gr_vector_const_void_star& input_items,
                              gr_vector_void_star& output_items)
{
    const auto* y = static_cast<const gr_complex*>(input_items[0]);
    const auto* h = static_cast<const gr_complex*>(input_items[1]);
    const auto* nv = static_cast<const float*>(input_items[2]);

    gr_complex* out_c = nullptr;
    float* out_llr = nullptr;
    uint8_t* out_bits = nullptr;
    size_t out_stride = d_nt; // elements per output item
    switch (d_output) {
    case output_kind::symbols:
    case output_kind::estimate:
        out_c = static_cast<gr_complex*>(output_items[0]);
        break;
    case output_kind::llr:
        out_llr = static_cast<float*>(output_items[0]);
        out_stride = static_cast<size_t>(d_nt) * d_kernel.bits_per_symbol();
        break;
    case output_kind::bits:
        out_bits = static_cast<uint8_t*>(output_items[0]);
        out_stride = static_cast<size_t>(d_nt) * d_kernel.bits_per_symbol();
        break;
    }
    const bool want_symbols = d_output == output_kind::symbols;

    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    uint64_t invalid = 0;
    for (int i = 0; i < noutput_items; ++i) {
        const size_t o = static_cast<size_t>(i) * out_stride;
        gr_complex* c = out_c ? out_c + o : nullptr;
        // Cheap when H and noise_var repeat: a memcmp against the cached copy.
        d_kernel.set_channel(h + i * hsize, nv[i]);
        const bool ok = d_kernel.detect(y + static_cast<size_t>(i) * d_nr,
                                        want_symbols ? nullptr : c,
                                        want_symbols ? c : nullptr,
                                        out_llr ? out_llr + o : nullptr,
                                        out_bits ? out_bits + o : nullptr);
        if (!ok) {
            // detect() has erased the outputs; log the first problem only.
            ++invalid;
            if (!d_warned) {
                d_warned = true;
                d_logger->warn("{} at item {}; outputs erased (logged once, "
                               "invalid_items() counts them)",
                               lmmse_kernel::describe(d_kernel.last_status()),
                               nitems_read(0) + i);
            }
        }
    }
    if (invalid)
        d_invalid.fetch_add(invalid, std::memory_order_relaxed);
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
