/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "lmmse_detector_impl.h"
#include <gnuradio/io_signature.h>

namespace gr {
namespace neuralmimo {

lmmse_detector::sptr lmmse_detector::make(int nt,
                                          int nr,
                                          const std::string& constellation,
                                          const std::string& output)
{
    // Every argument is checked before the block is built, so a bad one gets
    // its own message instead of an io_signature error.
    check_block_dimensions("lmmse_detector", nt, nr, constellation, false);
    const detector_config cfg(nt, nr, constellation, parse_output("lmmse_detector", output));
    return gnuradio::make_block_sptr<lmmse_detector_impl>(cfg);
}

lmmse_detector_impl::lmmse_detector_impl(const detector_config& cfg)
    : gr::sync_block(
          "lmmse_detector", detector_input_signature(cfg), detector_output_signature(cfg)),
      d_cfg(cfg),
      d_kernel(cfg.nt, cfg.nr, cfg.constellation)
{
}

lmmse_detector_impl::~lmmse_detector_impl() {}

int lmmse_detector_impl::work(int noutput_items,
                              gr_vector_const_void_star& input_items,
                              gr_vector_void_star& output_items)
{
    // The kernel refactorises only when H or noise_var change (bitwise
    // compare), and erases the outputs of invalid items.
    const item_failures failures = d_kernel.detect_items(
        noutput_items, d_cfg.inputs(input_items), d_cfg.outputs(output_items[0], 0));
    d_invalid.add(failures, nitems_read(0), lmmse_kernel::describe, d_logger);
    return noutput_items;
}

} // namespace neuralmimo
} // namespace gr
