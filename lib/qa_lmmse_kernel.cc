/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the LMMSE kernel against the double-precision references of
 * qa_helpers.h (the normal equations, a Gauss-Jordan inverse for G, max-log
 * LLRs by enumerating the whole constellation). The tests every detector
 * kernel shares (noise-free, cached channel, invalid inputs, degenerate and
 * singular channels) are in qa_detector_contract.cc. Random draws are seeded.
 */

#include "qa_helpers.h"
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <boost/test/unit_test.hpp>

using gr::neuralmimo::lmmse_kernel;
using namespace qa;

// (1) xhat solves (H^H H + s2 I) xhat = H^H y.
BOOST_AUTO_TEST_CASE(estimate_solves_normal_equations)
{
    rng r(1001);
    const int shapes[][2] = { { 4, 4 }, { 4, 8 }, { 4, 2 }, { 1, 1 }, { 8, 8 } }; // {nt, nr}
    for (const auto& s : shapes) {
        const int nt = s[0], nr = s[1];
        lmmse_kernel k(nt, nr, "qam16");
        outputs o(nt, k.bits_per_symbol());
        for (double s2 : { 1e-3, 0.1, 1.0 }) {
            for (int trial = 0; trial < 100; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto x = random_symbols(r, k.constellation(), nt, idx);
                const auto y = make_y(r, h, x, nt, nr, s2);
                BOOST_REQUIRE(k.set_channel(h.data(), static_cast<float>(s2)));
                BOOST_REQUIRE(run_detect(k, y, o));
                const lmmse_solution ref = lmmse_reference(h, y, nt, nr, static_cast<float>(s2));
                double res2 = 0.0, rhs2 = 0.0, err2 = 0.0, ref2 = 0.0;
                for (int i = 0; i < nt; ++i) {
                    cd ax = 0.0;
                    for (int j = 0; j < nt; ++j)
                        ax += ref.a[i * nt + j] * cd(o.est[j]);
                    res2 += std::norm(ax - ref.hhy[i]);
                    rhs2 += std::norm(ref.hhy[i]);
                    err2 += std::norm(cd(o.est[i]) - ref.xhat[i]);
                    ref2 += std::norm(ref.xhat[i]);
                }
                BOOST_TEST_CONTEXT("nt=" << nt << " nr=" << nr << " s2=" << s2
                                         << " trial=" << trial)
                {
                    BOOST_TEST(std::sqrt(res2) <= 1e-4 * std::sqrt(rhs2));
                    // Against the double solution as well (looser: cond(A) enters).
                    BOOST_TEST(std::sqrt(err2) <= 1e-3 * std::sqrt(ref2) + 1e-6);
                    for (int t = 0; t < nt; ++t) {
                        BOOST_TEST(std::abs(k.bias()[t] - ref.mu[t]) <= 1e-5 * ref.mu[t]);
                        BOOST_TEST(std::abs(k.post_noise_var()[t] - ref.nu[t]) <=
                                   1e-5 * ref.nu[t]);
                    }
                }
            }
        }
    }
}

// (2) LLRs equal a brute-force max-log over the whole constellation at the
// reference z and nu; hard decisions equal the brute-force nearest point.
BOOST_AUTO_TEST_CASE(llr_matches_brute_force_maxlog)
{
    rng r(3003);
    for (const auto& name : all_constellations()) {
        for (int nr : { 4, 8 }) {
            const int nt = 4;
            lmmse_kernel k(nt, nr, name);
            const constellation_table& c = k.constellation();
            const int kb = c.bits_per_symbol();
            outputs o(nt, kb);
            for (double s2 : { 0.01, 0.1, 1.0 }) {
                for (int trial = 0; trial < 100; ++trial) {
                    const auto h = random_h(r, nt, nr);
                    std::vector<int> idx;
                    const auto x = random_symbols(r, c, nt, idx);
                    const auto y = make_y(r, h, x, nt, nr, s2);
                    BOOST_REQUIRE(k.set_channel(h.data(), static_cast<float>(s2)));
                    BOOST_REQUIRE(run_detect(k, y, o));
                    const lmmse_solution ref =
                        lmmse_reference(h, y, nt, nr, static_cast<float>(s2));
                    for (int t = 0; t < nt; ++t) {
                        const auto want = brute_force_llr(c, ref.z[t], ref.nu[t]);
                        // Nearest point by enumeration; skip near-ties.
                        double gap;
                        const int best = nearest_point(c, ref.z[t], gap);
                        BOOST_TEST_CONTEXT(name << " nr=" << nr << " s2=" << s2
                                                << " trial=" << trial << " t=" << t)
                        {
                            for (int b = 0; b < kb; ++b)
                                BOOST_TEST(std::abs(o.llr[t * kb + b] - want[b]) <=
                                           1e-3 * std::max(std::abs(want[b]), 1.0));
                            if (gap > 1e-4) {
                                BOOST_TEST(o.sym[t] == c.points()[best]);
                                for (int b = 0; b < kb; ++b)
                                    BOOST_TEST(int(o.bits[t * kb + b]) == c.bit(best, b));
                            }
                        }
                    }
                }
            }
        }
    }
}

// (3) More streams than antennas (A stays regular through s2): finite LLRs.
BOOST_AUTO_TEST_CASE(more_streams_than_antennas_stay_finite)
{
    rng r(7007);
    const int nt = 4, nr = 2;
    lmmse_kernel k(nt, nr, "qpsk");
    outputs o(nt, 2);
    const auto h = random_h(r, nt, nr);
    std::vector<int> idx;
    const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 1e-4);
    BOOST_REQUIRE(k.set_channel(h.data(), 1e-4f));
    BOOST_REQUIRE(run_detect(k, y, o));
    for (float v : o.llr)
        BOOST_TEST(std::isfinite(v));
}
