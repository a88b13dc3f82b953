/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "lmmse_detector_impl.h"
#include <gnuradio/io_signature.h>
#include <cstdint>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

const char* const k_outputs = "symbols, estimate, llr, bits";

/*
 * Checks every argument and returns the output kind. Called from the
 * signature helpers, i.e. before the base class is built, so a bad argument
 * gives its own message instead of an io_signature error.
 */
lmmse_detector_impl::output_kind
check_args(int nt, int nr, const std::string& constellation, const std::string& output)
{
    using kind = lmmse_detector_impl::output_kind;
    if (nt < 1)
        throw std::invalid_argument("lmmse_detector: nt = " + std::to_string(nt) +
                                    " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument("lmmse_detector: nr = " + std::to_string(nr) +
                                    " must be >= 1");
    // Keeps the item size (8 * Nr * Nt bytes) far from int overflow.
    if (static_cast<int64_t>(nt) * nr > (int64_t(1) << 20))
        throw std::invalid_argument("lmmse_detector: nt * nr = " + std::to_string(nt) +
                                    " * " + std::to_string(nr) +
                                    " exceeds the limit of 1048576");
    if (!constellation_table::is_valid_name(constellation)) {
        std::string names;
        for (const auto& n : constellation_table::names())
            names += (names.empty() ? "" : ", ") + n;
        throw std::invalid_argument("lmmse_detector: constellation '" + constellation +
                                    "' is not one of " + names);
    }
    if (output == "symbols")
        return kind::symbols;
    if (output == "estimate")
        return kind::estimate;
    if (output == "llr")
        return kind::llr;
    if (output == "bits")
        return kind::bits;
    throw std::invalid_argument("lmmse_detector: output '" + output + "' is not one of " +
                                k_outputs);
}

gr::io_signature::sptr
make_input_signature(int nt, int nr, const std::string& constellation, const std::string& output)
{
    check_args(nt, nr, constellation, output);
    return gr::io_signature::makev(
        3,
        3,
        { static_cast<int>(sizeof(gr_complex)) * nr,
          static_cast<int>(sizeof(gr_complex)) * nr * nt,
          static_cast<int>(sizeof(float)) });
}

gr::io_signature::sptr
make_output_signature(int nt, int nr, const std::string& constellation, const std::string& output)
{
    using kind = lmmse_detector_impl::output_kind;
    const kind o = check_args(nt, nr, constellation, output);
    const int nbits = nt * constellation_table::bits_per_symbol(constellation);
    int itemsize = 0;
    switch (o) {
    case kind::symbols:
    case kind::estimate:
        itemsize = static_cast<int>(sizeof(gr_complex)) * nt;
        break;
    case kind::llr:
        itemsize = static_cast<int>(sizeof(float)) * nbits;
        break;
    case kind::bits:
        itemsize = static_cast<int>(sizeof(uint8_t)) * nbits;
        break;
    }
    return gr::io_signature::make(1, 1, itemsize);
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
