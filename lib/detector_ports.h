/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_DETECTOR_PORTS_H
#define INCLUDED_NEURALMIMO_DETECTOR_PORTS_H

#include <gnuradio/io_signature.h>
#include <gnuradio/logger.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <gnuradio/types.h>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace gr {
namespace neuralmimo {

/*
 * The block side every C++ detector block shares (docs/conventions.md, stream
 * contract): inputs y c[Nr], h c[Nr*Nt], noise_var f; one output of the
 * selected kind; configuration errors are std::invalid_argument prefixed with
 * the block name, data errors are counted and logged once. A detector block
 * is then a thin adapter over its kernel:
 *   make():  check_block_dimensions(), its own checks, parse_output() into a
 *            detector_config;
 *   ctor:    detector_input_signature(cfg), detector_output_signature(cfg),
 *            the kernel built through make_kernel_as();
 *   work():  kernel.detect_items(n, cfg.inputs(in), cfg.outputs(out, 0)),
 *            then invalid_item_log::add() with the kernel's verdict.
 */
enum class output_kind { symbols, estimate, llr, bits };

// nt >= 1, nr >= 1, nt <= nr when require_nr_ge_nt, Nr*Nt within the item-size
// limit, a known constellation.
void check_block_dimensions(const std::string& block,
                            int nt,
                            int nr,
                            const std::string& constellation,
                            bool require_nr_ge_nt);

// "symbols", "estimate", "llr" or "bits".
output_kind parse_output(const std::string& block, const std::string& output);

// The checked arguments every detector block has.
struct detector_config {
    detector_config(int nt, int nr, const std::string& constellation, output_kind output);

    int nt;
    int nr;
    std::string constellation;
    output_kind output;
    int bits_per_symbol; // K of the constellation

    // The three input buffers of a work() call (y c[n * Nr], h c[n * Nr * Nt],
    // noise_var f[n]) as the kernels' inputs.
    detector_inputs inputs(const gr_vector_const_void_star& items) const;

    // The selected output buffer of a work() call from item `item` on, as the
    // kernels' four optional outputs (the other three null).
    detector_outputs outputs(void* out, size_t item) const;
};

/*
 * make() of a kernel, with its configuration errors ("<kernel>: iterations = 0
 * ...") thrown under the block's name ("<block>: iterations = 0 ...").
 */
template <class Make>
auto make_kernel_as(const std::string& block, const std::string& kernel, Make&& make)
    -> decltype(make())
{
    try {
        return make();
    } catch (const std::invalid_argument& e) {
        const std::string prefix = kernel + ": ";
        std::string msg = e.what();
        if (msg.compare(0, prefix.size(), prefix) == 0)
            msg = msg.substr(prefix.size());
        throw std::invalid_argument(block + ": " + msg);
    }
}

gr::io_signature::sptr detector_input_signature(const detector_config& cfg);

gr::io_signature::sptr detector_output_signature(const detector_config& cfg);

/*
 * The count of erased (invalid) items, readable from any thread, and the one
 * warning about the first of them: data-dependent problems in work() never
 * throw, they are logged once and counted.
 */
class invalid_item_log
{
public:
    // Adds the erased items of one detect_items() call whose item 0 is the
    // block's input item `offset`; when there are some and nothing was logged
    // yet, logs "<describe(why)> at item <offset + first>; outputs erased ...".
    void add(const item_failures& failures,
             uint64_t offset,
             const char* (*describe)(detector_status),
             const gr::logger_ptr& logger);

    uint64_t count() const { return d_count.load(); }

private:
    std::atomic<uint64_t> d_count{ 0 };
    bool d_warned = false;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_DETECTOR_PORTS_H */
