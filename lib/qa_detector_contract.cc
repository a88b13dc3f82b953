/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The tests every detector kernel shares, written once over the kernel
 * adapters of qa_detector_cases.h: noise-free input gives the transmitted
 * symbols, the cached channel gives bitwise the outputs of a fresh set-up,
 * invalid inputs are flagged and erased, degenerate and singular channels,
 * detect_items() equals item-by-item detection, and the LLRs are the max-log
 * values of the kernel's own estimate (the shared Gray PAM demapper against
 * enumeration). The table of bad inputs is qa_detector_bad_inputs.cc. Random
 * draws are seeded.
 */

#include "qa_detector_cases.h"
#include <boost/test/unit_test.hpp>
#include <cfloat>

// (1) Noise-free y = H x: zero symbol and bit errors, LLR signs follow the labels.
BOOST_AUTO_TEST_CASE_TEMPLATE(noise_free_gives_transmitted_symbols, T, solving_kernels)
{
    rng r(T::noise_free_seed);
    for (const auto& name : all_constellations()) {
        for (int nr : T::noise_free_nrs()) {
            const int nt = 4;
            auto k = T::make(nt, nr, name);
            const constellation_table& c = k.constellation();
            const int kb = c.bits_per_symbol();
            outputs o(nt, kb);
            for (int trial = 0; trial < T::noise_free_trials; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto x = random_symbols(r, c, nt, idx);
                const auto y = make_y(r, h, x, nt, nr, 0.0);
                BOOST_REQUIRE(k.set_channel(h.data(), T::noise_free_s2));
                BOOST_REQUIRE(run_detect(k, y, o));
                for (int t = 0; t < nt; ++t) {
                    BOOST_TEST_CONTEXT(T::name << " " << name << " nr=" << nr
                                               << " trial=" << trial << " t=" << t)
                    {
                        BOOST_TEST(o.sym[t] == x[t]);
                        for (int b = 0; b < kb; ++b) {
                            BOOST_TEST(int(o.bits[t * kb + b]) == c.bit(idx[t], b));
                            BOOST_TEST((o.llr[t * kb + b] > 0.0f) == (c.bit(idx[t], b) == 1));
                        }
                    }
                }
            }
        }
    }
}

// (2) The cached path gives bitwise the same outputs as a fresh set-up, and
// any change of H or noise_var (one ulp) sets up again.
BOOST_AUTO_TEST_CASE_TEMPLATE(cached_channel_equals_fresh, T, all_kernels)
{
    rng r(5000 + T::seed);
    const int shapes[][2] = { { 4, 6 }, { 3, 5 } }; // {nt, nr}; 3 streams leave padding
    for (const auto& shape : shapes) {
        const int nt = shape[0], nr = shape[1];
        for (const auto& name : all_constellations()) {
            auto cached = T::make(nt, nr, name);
            const int kb = cached.bits_per_symbol();
            const auto h1 = random_h(r, nt, nr);
            const auto h2 = random_h(r, nt, nr);
            const float s2 = 0.2f;
            outputs a(nt, kb), b(nt, kb);
            auto fresh_equals_cached = [&](const std::vector<cf>& y) {
                auto fresh = T::make(nt, nr, name);
                BOOST_REQUIRE(fresh.set_channel(h1.data(), s2));
                BOOST_REQUIRE(run_detect(fresh, y, b));
                BOOST_TEST(a.same_bits(b));
            };
            BOOST_TEST_CONTEXT(T::name << " " << name << " nt=" << nt << " nr=" << nr)
            {
                BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
                BOOST_TEST(cached.factorizations() == 1u);
                for (int item = 0; item < 20; ++item) {
                    std::vector<int> idx;
                    const auto y = make_y(
                        r, h1, random_symbols(r, cached.constellation(), nt, idx), nt, nr, s2);
                    BOOST_REQUIRE(cached.set_channel(h1.data(), s2)); // unchanged: cache hit
                    BOOST_REQUIRE(run_detect(cached, y, a));
                    fresh_equals_cached(y);
                }
                BOOST_TEST(cached.factorizations() == 1u);

                // Any change sets up again: one ulp of noise_var, another H, back to h1.
                BOOST_REQUIRE(cached.set_channel(h1.data(), std::nextafter(s2, 1.0f)));
                BOOST_TEST(cached.factorizations() == 2u);
                BOOST_REQUIRE(cached.set_channel(h2.data(), s2));
                BOOST_TEST(cached.factorizations() == 3u);
                BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
                BOOST_TEST(cached.factorizations() == 4u);
                std::vector<int> idx;
                const auto y = make_y(
                    r, h1, random_symbols(r, cached.constellation(), nt, idx), nt, nr, s2);
                BOOST_REQUIRE(run_detect(cached, y, a));
                fresh_equals_cached(y);
            }
        }
    }
}

// (3) Invalid inputs: set_channel / detect return false with the status that
// says why, outputs are erased; configuration errors throw and name the
// parameter and the value.
BOOST_AUTO_TEST_CASE_TEMPLATE(invalid_inputs_are_flagged_and_erased, T, all_kernels)
{
    rng r(6000 + T::seed);
    const int nt = 4, nr = 4;
    auto k = T::make(nt, nr, "qam16");
    outputs o(nt, 4);
    const auto h = random_h(r, nt, nr);
    std::vector<int> idx;
    const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.1);

    BOOST_TEST_CONTEXT(T::name)
    {
        // Before any channel.
        o.fill_garbage();
        BOOST_TEST(!run_detect(k, y, o));
        BOOST_TEST(o.all_zero());
        BOOST_TEST((k.last_status() == st::no_channel));

        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        for (float bad : { nan, inf, -inf }) {
            auto hb = h;
            hb[5] = cf(hb[5].real(), bad);
            BOOST_TEST(!k.set_channel(hb.data(), 0.1f));
            BOOST_TEST((k.last_status() == st::nonfinite_channel));
            BOOST_TEST(!k.set_channel(hb.data(), 0.1f)); // cached verdict
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, y, o));
            BOOST_TEST(o.all_zero());
            BOOST_TEST((k.last_status() == st::nonfinite_channel));
        }
        for (float bad : { -1.0f, -1e-30f, nan, inf, -inf }) {
            BOOST_TEST(!k.set_channel(h.data(), bad));
            BOOST_TEST((k.last_status() == st::bad_noise_var));
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, y, o));
            BOOST_TEST(o.all_zero());
        }
        // noise_var = 0 is valid (floored): a noise-free simulation loses nothing.
        for (float zero : { 0.0f, -0.0f }) {
            BOOST_TEST(k.set_channel(h.data(), zero));
            BOOST_TEST(run_detect(k, y, o));
        }
        // H == 0 carries no information: erased, with its own status.
        const std::vector<cf> h0(h.size(), cf(0.0f, 0.0f));
        BOOST_TEST(!k.set_channel(h0.data(), 0.1f));
        BOOST_TEST((k.last_status() == st::zero_channel));
        o.fill_garbage();
        BOOST_TEST(!run_detect(k, y, o));
        BOOST_TEST(o.all_zero());

        // A valid channel again, then a bad y.
        BOOST_REQUIRE(k.set_channel(h.data(), 0.1f));
        BOOST_TEST(run_detect(k, y, o));
        for (float bad : { nan, inf }) {
            auto yb = y;
            yb[2] = cf(bad, 0.0f);
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, yb, o));
            BOOST_TEST(o.all_zero());
            BOOST_TEST((k.last_status() == st::nonfinite_y));
        }
        BOOST_TEST(run_detect(k, y, o)); // the channel is still valid

        // Every status has its own description.
        std::vector<std::string> seen;
        for (st s : { st::ok,
                      st::no_channel,
                      st::nonfinite_channel,
                      st::bad_noise_var,
                      st::singular,
                      st::nonfinite_y,
                      st::overflow,
                      st::zero_channel }) {
            const std::string d = T::kernel::describe(s);
            BOOST_TEST(std::count(seen.begin(), seen.end(), d) == 0);
            seen.push_back(d);
        }
        BOOST_TEST(seen[3] == "noise_var < 0 or not finite");

        throws_with([] { T::make(0, 4, "qam16"); }, { "nt", "0" });
        throws_with([] { T::make(4, 0, "qam16"); }, { "nr", "0" });
        throws_with([] { T::make(4, 4, "qam32"); }, { "constellation", "qam32" });
    }
}

// (4) A dead stream (zero column of H) gives finite outputs and LLRs ~0 (with
// learned steps exactly 0: its gain is 0, and the floored variance would
// claim certainty, |LLR| ~ 4e9).
BOOST_AUTO_TEST_CASE_TEMPLATE(degenerate_channels_stay_finite, T, all_kernels)
{
    rng r(7000 + T::seed);
    const int nt = 4, nr = 4;
    auto k = T::make(nt, nr, "qam64");
    outputs o(nt, 6);
    auto h = random_h(r, nt, nr);
    for (int i = 0; i < nr; ++i)
        h[i * nt + 2] = cf(0.0f, 0.0f);
    std::vector<int> idx;
    const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.01);
    BOOST_TEST_CONTEXT(T::name)
    {
        BOOST_REQUIRE(k.set_channel(h.data(), 0.01f));
        BOOST_REQUIRE(run_detect(k, y, o));
        for (float v : o.llr)
            BOOST_TEST(std::isfinite(v));
        for (int b = 0; b < 6; ++b)
            BOOST_TEST(std::abs(o.llr[2 * 6 + b]) <= 1e-6f);
    }
}

// (5) Two equal columns (A = [[1, 1], [1, 1]] + s2 I): with noise_var 0 or
// lost in rounding next to them (floored at 1e-10), A is singular to working
// precision (1 / (||A||_1 ||A^-1||_1) < FLT_EPSILON) and the channel is
// erased as singular, as the Python detectors erase it (conditioning.py);
// with s2 = 1e-3 (reciprocal condition 5e-4) it is answered, and the
// estimate is A^-1 H^H y = (1, 1) / (2 + s2) for y = (1, 0).
BOOST_AUTO_TEST_CASE_TEMPLATE(rank_deficient_channel_is_singular, T, solving_kernels)
{
    const int nt = 2, nr = 2;
    auto k = T::make(nt, nr, "qpsk");
    outputs o(nt, 2);
    const std::vector<cf> h = { { 1.0f, 0.0f }, { 1.0f, 0.0f }, { 0.0f, 0.0f }, { 0.0f, 0.0f } };
    const std::vector<cf> y = { { 1.0f, 0.0f }, { 0.0f, 0.0f } };
    for (float s2 : { 0.0f, 1e-20f, 1e-9f }) {
        BOOST_TEST_CONTEXT(T::name << " s2=" << s2)
        {
            BOOST_TEST(!k.set_channel(h.data(), s2));
            BOOST_TEST((k.channel_status() == st::singular));
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, y, o));
            BOOST_TEST(o.all_zero());
        }
    }
    BOOST_TEST_CONTEXT(T::name << " s2=1e-3")
    {
        BOOST_REQUIRE(k.set_channel(h.data(), 1e-3f));
        BOOST_REQUIRE(run_detect(k, y, o));
        for (int t = 0; t < nt; ++t)
            BOOST_TEST(std::abs(o.est[t] - cf(1.0f / 2.001f, 0.0f)) <= 1e-3f);
        for (float v : o.llr)
            BOOST_TEST((std::isfinite(v) && std::abs(v) <= 100.0f));
    }
}

// (6) detect_items() over runs of items that share a channel, with invalid
// items among them, equals set_channel() + detect() item by item, bitwise,
// and reports the first failure.
BOOST_AUTO_TEST_CASE_TEMPLATE(detect_items_equals_item_by_item, T, all_kernels)
{
    rng r(8000 + T::seed);
    const int nt = 3, nr = 5, n = 60;
    for (const auto& name : all_constellations()) {
        auto batch = T::make(nt, nr, name);
        auto single = T::make(nt, nr, name);
        const int kb = batch.bits_per_symbol();
        std::vector<cf> y(n * nr), h(n * nr * nt);
        std::vector<float> nv(n);
        // Channels held for 1 to 11 items (classical CG groups up to 8).
        for (int i = 0; i < n;) {
            const auto hi = random_h(r, nt, nr);
            const float s2 = static_cast<float>(r.uniform(0.01, 1.0));
            for (int run = 1 + r.index(11); run > 0 && i < n; --run, ++i) {
                std::copy(hi.begin(), hi.end(), h.begin() + i * nr * nt);
                nv[i] = s2;
                std::vector<int> idx;
                const auto yi =
                    make_y(r, hi, random_symbols(r, batch.constellation(), nt, idx), nt, nr, s2);
                std::copy(yi.begin(), yi.end(), y.begin() + i * nr);
            }
        }
        y[17 * nr + 1] = cf(std::numeric_limits<float>::quiet_NaN(), 0.0f);
        nv[23] = -1.0f;
        std::fill(h.begin() + 24 * nr * nt, h.begin() + 25 * nr * nt, cf(0.0f, 0.0f));
        h[41 * nr * nt + 2] = cf(std::numeric_limits<float>::infinity(), 0.0f);
        batch_outputs got(n, nt, kb);
        const item_failures bad = batch.detect_items(n, { y.data(), h.data(), nv.data() }, got.all());
        BOOST_TEST_CONTEXT(T::name << " " << name)
        {
            BOOST_TEST(bad.count == 4u);
            BOOST_TEST(bad.first == 17);
            BOOST_TEST((bad.first_status == st::nonfinite_y));
            outputs o(nt, kb);
            for (int i = 0; i < n; ++i) {
                single.set_channel(&h[i * nr * nt], nv[i]);
                const std::vector<cf> yi(y.begin() + i * nr, y.begin() + (i + 1) * nr);
                const bool ok = run_detect(single, yi, o);
                BOOST_TEST(ok == (i != 17 && i != 23 && i != 24 && i != 41));
                BOOST_TEST_CONTEXT("item " << i) { BOOST_TEST(got.item(i).same_bits(o)); }
            }
        }
    }
}

// (7) The LLRs are the max-log values of the kernel's own estimate z and
// variance nu (enumeration in double, at low and high SNR), up to float
// rounding of z and of the demapper's a^2 - 2 a z form; hard bits follow the
// signs and the symbol is the point of those bits.
BOOST_AUTO_TEST_CASE_TEMPLATE(llr_is_maxlog_of_own_estimate, T, all_kernels)
{
    rng r(9000 + T::seed);
    const int nt = 4, nr = 8;
    for (const auto& name : all_constellations()) {
        auto k = T::make(nt, nr, name);
        const constellation_table& c = k.constellation();
        const int kb = c.bits_per_symbol();
        outputs o(nt, kb);
        for (double s2 : { 1e-4, 0.01, 1.0 }) {
            for (int trial = 0; trial < 20; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto y = make_y(r, h, random_symbols(r, c, nt, idx), nt, nr, s2);
                BOOST_REQUIRE(k.set_channel(h.data(), static_cast<float>(s2)));
                BOOST_REQUIRE(run_detect(k, y, o));
                for (int t = 0; t < nt; ++t) {
                    cd z;
                    double nu_re, nu_im;
                    T::coordinate(k, o, t, z, nu_re, nu_im);
                    const auto want = brute_force_llr(c, z, nu_re, nu_im);
                    // The largest LLR weight w = 1 / (2 nu) of the stream's real
                    // dimensions, and its largest |z| (BPSK: the real ones only).
                    const bool bpsk = kb == 1;
                    const double w = 0.5 / (bpsk ? nu_re : std::min(nu_re, nu_im));
                    const double z_max = bpsk ? std::abs(z.real())
                                              : std::max(std::abs(z.real()), std::abs(z.imag()));
                    // Rounding of the two terms a^2 - 2 a z (|a| < 1.2) and of z
                    // itself (the slope of the LLR in z is 2 |a1 - a0| w).
                    const double rounding = 16.0 * FLT_EPSILON * w * (1.0 + z_max);
                    int label = 0;
                    BOOST_TEST_CONTEXT(T::name << " " << name << " s2=" << s2 << " trial="
                                               << trial << " t=" << t)
                    {
                        for (int b = 0; b < kb; ++b) {
                            const double tol = 1e-3 * std::max(std::abs(want[b]), 1.0) + rounding;
                            BOOST_TEST(std::abs(o.llr[t * kb + b] - want[b]) <= tol);
                            if (std::abs(want[b]) > tol)
                                BOOST_TEST(int(o.bits[t * kb + b]) == (want[b] > 0 ? 1 : 0));
                            label = (label << 1) | o.bits[t * kb + b];
                        }
                        BOOST_TEST(o.sym[t] == c.points()[label]);
                    }
                }
            }
        }
    }
}
