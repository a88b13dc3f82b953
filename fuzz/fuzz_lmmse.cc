/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Fuzz harness of lmmse_kernel: 3 bytes choose Nt, Nr (1..8 each, Nr < Nt
 * allowed) and the constellation; the rest are the items (detector_contract.h).
 */

#include "detector_contract.h"
#include <gnuradio/neuralmimo/lmmse_kernel.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const char* const names[] = { "bpsk", "qpsk", "qam16", "qam64", "qam256" };
    static fuzz::status_counts counts;
    counts.who = "fuzz_lmmse";
    fuzz::bytes in(data, size);
    const int nt = in.range(1, 8), nr = in.range(1, 8);
    const char* c = names[in.u8() % 5];
    try {
        gr::neuralmimo::lmmse_kernel k(nt, nr, c), twin(nt, nr, c);
        fuzz::check_detector(in, k, twin, counts);
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, "exception: %s", e.what());
    }
    return 0;
}
