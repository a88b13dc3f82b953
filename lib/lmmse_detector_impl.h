/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_LMMSE_DETECTOR_IMPL_H
#define INCLUDED_NEURALMIMO_LMMSE_DETECTOR_IMPL_H

#include <gnuradio/neuralmimo/lmmse_detector.h>
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include "detector_ports.h"
#include <atomic>

namespace gr {
namespace neuralmimo {

class lmmse_detector_impl : public lmmse_detector
{
public:
    lmmse_detector_impl(int nt,
                        int nr,
                        const std::string& constellation,
                        const std::string& output);
    ~lmmse_detector_impl() override;

    uint64_t invalid_items() const override { return d_invalid.load(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    const int d_nt;
    const int d_nr;
    const output_kind d_output;
    lmmse_kernel d_kernel;
    std::atomic<uint64_t> d_invalid{ 0 }; // read from other threads
    bool d_warned = false;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_LMMSE_DETECTOR_IMPL_H */
