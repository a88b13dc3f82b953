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

namespace gr {
namespace neuralmimo {

class lmmse_detector_impl : public lmmse_detector
{
public:
    //! \p cfg is checked by make().
    explicit lmmse_detector_impl(const detector_config& cfg);
    ~lmmse_detector_impl() override;

    uint64_t invalid_items() const override { return d_invalid.count(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    const detector_config d_cfg;
    lmmse_kernel d_kernel;
    invalid_item_log d_invalid;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_LMMSE_DETECTOR_IMPL_H */
