/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_IMPL_H
#define INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_IMPL_H

#include <gnuradio/neuralmimo/softbit_dequantizer.h>
#include <gnuradio/neuralmimo/softbit_quant.h>
#include <gnuradio/neuralmimo/softbit_quantizer.h>
#include <atomic>
#include <memory>

namespace gr {
namespace neuralmimo {

class softbit_quantizer_impl : public softbit_quantizer
{
public:
    explicit softbit_quantizer_impl(std::unique_ptr<softbit_quant> kernel);

    uint64_t erased() const override { return d_erased.load(); }
    uint64_t clamped() const override { return d_clamped.load(); }
    int bytes_per_vector() const override { return d_kernel->bytes_per_vector(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    std::unique_ptr<softbit_quant> d_kernel;
    std::atomic<uint64_t> d_erased{ 0 }, d_clamped{ 0 };
    bool d_warned_erased = false, d_warned_clamped = false;
};

class softbit_dequantizer_impl : public softbit_dequantizer
{
public:
    explicit softbit_dequantizer_impl(std::unique_ptr<softbit_quant> kernel);

    int bytes_per_vector() const override { return d_kernel->bytes_per_vector(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;

private:
    std::unique_ptr<softbit_quant> d_kernel;
};

/*
 * The kernel of a block: softbit_quant's configuration errors
 * ("softbit_quant: bits = 0 ...") rethrown under the block's name.
 */
std::unique_ptr<softbit_quant> make_softbit_kernel(const std::string& block,
                                                   int n,
                                                   int bits,
                                                   const std::string& mode,
                                                   float clip,
                                                   const std::vector<float>& thresholds,
                                                   const std::vector<float>& levels);

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SOFTBIT_QUANTIZER_IMPL_H */
