/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_CG_DETECTOR_IMPL_H
#define INCLUDED_NEURALMIMO_CG_DETECTOR_IMPL_H

#include <gnuradio/neuralmimo/cg_detector.h>
#include <gnuradio/neuralmimo/cg_kernel.h>
#include "detector_ports.h"
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace gr {
namespace neuralmimo {

class cg_detector_impl : public cg_detector
{
public:
    //! \p cfg and \p threads are checked by make(), the rest by cg_kernel.
    cg_detector_impl(const detector_config& cfg,
                     int iterations,
                     const std::vector<float>& alpha,
                     const std::vector<float>& beta,
                     const std::string& form,
                     int threads);
    ~cg_detector_impl() override;

    uint64_t invalid_items() const override { return d_invalid.count(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    void run_chunk(int worker, int begin, int end);
    void worker_loop(int worker);

    const detector_config d_cfg;
    const int d_threads;
    // One kernel per thread: each holds its own cached channel and scratch.
    std::vector<std::unique_ptr<cg_kernel>> d_kernels;
    std::vector<item_failures> d_results; // per thread: its chunk's failures
    invalid_item_log d_invalid;

    // The work() call being shared out (valid while d_pending > 0).
    detector_inputs d_in;
    void* d_out = nullptr;
    std::vector<int> d_begin, d_end;
    int d_active = 1;

    // Thread pool, created in the constructor: work() only signals it.
    std::mutex d_mutex;
    std::condition_variable d_cv_start;
    std::condition_variable d_cv_done;
    uint64_t d_generation = 0;
    int d_pending = 0;
    bool d_stop = false;
    std::vector<std::thread> d_workers;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_CG_DETECTOR_IMPL_H */
