/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Fuzz harness of cg_kernel, classical (complex or real form, 1..2Nt+2
 * iterations) and with learned steps (1..4 layers of steps decoded from the
 * bytes, any finite values): a few bytes choose the configuration, the rest
 * are the items (detector_contract.h). Non-finite steps are a configuration
 * error the constructor reports (std::invalid_argument): that is the
 * documented answer, not a finding.
 */

#include "detector_contract.h"
#include <gnuradio/neuralmimo/cg_kernel.h>
#include <stdexcept>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const char* const names[] = { "bpsk", "qpsk", "qam16", "qam64", "qam256" };
    static fuzz::status_counts counts;
    counts.who = "fuzz_cg";
    fuzz::bytes in(data, size);
    const int nt = in.range(1, 6), nr = nt + in.range(0, 3);
    const char* c = names[in.u8() % 5];
    const uint8_t mode = in.u8();
    std::vector<float> alpha, beta;
    int iterations = 0;
    std::string form = "complex";
    if (mode & 1) { // learned steps
        const int layers = 1 + (mode >> 1) % 4;
        bool finite_steps = true;
        for (int i = 0; i < layers * 2 * nt; ++i) {
            alpha.push_back(in.value());
            beta.push_back(in.value());
            finite_steps = finite_steps && std::isfinite(alpha.back()) && std::isfinite(beta.back());
        }
        if (!finite_steps) {
            bool threw = false;
            try {
                gr::neuralmimo::cg_kernel k(nt, nr, c, 0, alpha, beta);
            } catch (const std::invalid_argument&) {
                threw = true;
            }
            FUZZ_CHECK(threw, "non-finite learned steps accepted");
            return 0;
        }
    } else {
        iterations = 1 + (mode >> 2) % (2 * nt + 2);
        form = (mode & 2) ? "real" : "complex";
    }
    try {
        gr::neuralmimo::cg_kernel k(nt, nr, c, iterations, alpha, beta, form);
        gr::neuralmimo::cg_kernel twin(nt, nr, c, iterations, alpha, beta, form);
        fuzz::check_detector(in, k, twin, counts);
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, "exception: %s", e.what());
    }
    return 0;
}
