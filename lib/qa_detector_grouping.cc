/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * detect_items()'s grouping of items by channel (detector_core.cc), for every
 * kernel of qa_detector_cases.h: channels that recur at a stride, as an OFDM
 * frame's resource elements meet each carrier's H once per symbol, cost one
 * set-up per channel and window and give item-by-item detection bitwise; the
 * hash that finds them never merges two channels. Random draws are seeded.
 */

#include "qa_detector_cases.h"
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <limits>

// Channels that recur at a stride, as an OFDM frame's resource elements
// meet each carrier's H once per symbol (item i on carrier i % 48), over
// more than one window of detect_items() and with an invalid item and a bad
// channel among them: bitwise equal to item by item, one set-up per distinct
// channel and window, and the first failure is the lowest index.
BOOST_AUTO_TEST_CASE_TEMPLATE(detect_items_groups_strided_channels, T, all_kernels)
{
    rng r(8500 + T::seed);
    const int nt = 2, nr = 3, carriers = 48;
    const int n = gr::neuralmimo::detector_core::window + 5 * carriers + 7; // two windows
    for (const auto& name : { std::string("qpsk"), std::string("qam16") }) {
        auto batch = T::make(nt, nr, name);
        auto single = T::make(nt, nr, name);
        const int kb = batch.bits_per_symbol();
        std::vector<std::vector<cf>> hs;
        std::vector<float> s2(carriers);
        for (int c = 0; c < carriers; ++c) {
            hs.push_back(random_h(r, nt, nr));
            s2[c] = static_cast<float>(r.uniform(0.01, 0.5));
        }
        std::vector<cf> y(n * nr), h(n * nr * nt);
        std::vector<float> nv(n);
        for (int i = 0; i < n; ++i) {
            const int c = i % carriers;
            std::copy(hs[c].begin(), hs[c].end(), h.begin() + i * nr * nt);
            nv[i] = s2[c];
            std::vector<int> idx;
            const auto yi = make_y(r, hs[c], random_symbols(r, batch.constellation(), nt, idx), nt, nr, s2[c]);
            std::copy(yi.begin(), yi.end(), y.begin() + i * nr);
        }
        // Carrier 5 has a NaN channel throughout; item 1100 (second window) a NaN y.
        for (int i = 5; i < n; i += carriers)
            h[i * nr * nt] = cf(std::numeric_limits<float>::quiet_NaN(), 0.0f);
        y[1100 * nr] = cf(std::numeric_limits<float>::quiet_NaN(), 0.0f);
        batch_outputs got(n, nt, kb);
        const item_failures bad = batch.detect_items(n, { y.data(), h.data(), nv.data() }, got.all());
        BOOST_TEST_CONTEXT(T::name << " " << name)
        {
            const int carrier5 = (n - 5 + carriers - 1) / carriers;
            BOOST_TEST(bad.count == static_cast<uint64_t>(carrier5 + 1));
            BOOST_TEST(bad.first == 5);
            BOOST_TEST((bad.first_status == st::nonfinite_channel));
            // One set-up per carrier and window (never one per item).
            BOOST_TEST(batch.factorizations() <= static_cast<uint64_t>(2 * carriers));
            BOOST_TEST(batch.factorizations() >= static_cast<uint64_t>(carriers));
            BOOST_TEST(item_by_item_mismatches(single, y, h, nv, nr, got) == 0);
        }
    }
}

// Channels that differ only in words the grouping hash does not sample
// (a large H is hashed on 64 of its words) are still told apart by the
// bitwise compare: two such channels interleaved item by item give the outputs
// of item-by-item detection and two set-ups.
BOOST_AUTO_TEST_CASE_TEMPLATE(detect_items_separates_hash_collisions, T, all_kernels)
{
    rng r(8700 + T::seed);
    const int nt = 8, nr = 16, n = 40; // 256 words of H: every fourth pair hashed
    auto batch = T::make(nt, nr, "qpsk");
    auto single = T::make(nt, nr, "qpsk");
    const int kb = batch.bits_per_symbol();
    auto h0 = random_h(r, nt, nr);
    auto h1 = h0;
    h1[1] *= 1.5f; // floats 2 and 3: not sampled by the hash
    std::vector<cf> y(n * nr), h(n * nr * nt);
    std::vector<float> nv(n, 0.1f);
    for (int i = 0; i < n; ++i) {
        const auto& hi = i % 2 ? h1 : h0;
        std::copy(hi.begin(), hi.end(), h.begin() + i * nr * nt);
        std::vector<int> idx;
        const auto yi = make_y(r, hi, random_symbols(r, batch.constellation(), nt, idx), nt, nr, 0.1);
        std::copy(yi.begin(), yi.end(), y.begin() + i * nr);
    }
    batch_outputs got(n, nt, kb);
    const item_failures bad = batch.detect_items(n, { y.data(), h.data(), nv.data() }, got.all());
    BOOST_TEST_CONTEXT(T::name)
    {
        BOOST_TEST(bad.count == 0u);
        BOOST_TEST(batch.factorizations() == 2u);
        BOOST_TEST(item_by_item_mismatches(single, y, h, nv, nr, got) == 0);
    }
}
