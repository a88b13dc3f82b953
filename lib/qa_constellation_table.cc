/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the constellation table (unit energy, the Gray labels and
 * closed forms of 38.211 section 5.1, name checks) and of its split into one
 * Gray PAM per real dimension, which the demapper of every detector kernel
 * reads.
 */

#include "qa_helpers.h"
#include <gnuradio/neuralmimo/constellation_table.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <boost/test/unit_test.hpp>

using gr::neuralmimo::gray_pam;
using namespace qa;

// (1) The table: unit energy, Gray labels, 38.211 formulas.
BOOST_AUTO_TEST_CASE(constellation_table_properties)
{
    for (const auto& name : all_constellations()) {
        const constellation_table c(name);
        const int m = c.order(), kb = c.bits_per_symbol();
        BOOST_TEST_CONTEXT(name)
        {
            BOOST_TEST(m == (1 << kb));
            BOOST_TEST(kb == constellation_table::bits_per_symbol(name));
            double e = 0.0;
            for (int i = 0; i < m; ++i)
                e += std::norm(cd(c.points()[i]));
            BOOST_TEST(std::abs(e / m - 1.0) <= 1e-6);

            // Labels: point i carries the bits of i, MSB first.
            for (int i = 0; i < m; ++i)
                for (int b = 0; b < kb; ++b)
                    BOOST_TEST(int(c.bits()[i * kb + b]) == ((i >> (kb - 1 - b)) & 1));

            // Gray: every nearest neighbour differs in exactly one bit.
            double dmin = 1e300;
            for (int i = 0; i < m; ++i)
                for (int j = i + 1; j < m; ++j)
                    dmin = std::min(dmin, std::abs(cd(c.points()[i]) - cd(c.points()[j])));
            int neighbours = 0;
            for (int i = 0; i < m; ++i) {
                for (int j = 0; j < m; ++j) {
                    if (i == j)
                        continue;
                    const double d = std::abs(cd(c.points()[i]) - cd(c.points()[j]));
                    if (d <= dmin * (1.0 + 1e-5)) {
                        ++neighbours;
                        int diff = 0;
                        for (int b = 0; b < kb; ++b)
                            diff += c.bit(i, b) != c.bit(j, b);
                        BOOST_TEST(diff == 1);
                    }
                }
            }
            BOOST_TEST(neighbours >= m); // every point has at least one
        }
    }

    // Closed forms.
    const constellation_table bpsk("bpsk");
    BOOST_TEST(bpsk.points()[0] == cf(1.0f, 0.0f));
    BOOST_TEST(bpsk.points()[1] == cf(-1.0f, 0.0f));
    const constellation_table qpsk("qpsk");
    for (int i = 0; i < 4; ++i) {
        const int b0 = (i >> 1) & 1, b1 = i & 1;
        const cd want = cd(1 - 2 * b0, 1 - 2 * b1) / std::sqrt(2.0);
        BOOST_TEST(std::abs(cd(qpsk.points()[i]) - want) <= 1e-7);
    }
    const constellation_table qam16("qam16");
    for (int i = 0; i < 16; ++i) {
        const int b0 = (i >> 3) & 1, b1 = (i >> 2) & 1, b2 = (i >> 1) & 1, b3 = i & 1;
        const cd want = cd((1 - 2 * b0) * (2 - (1 - 2 * b2)), (1 - 2 * b1) * (2 - (1 - 2 * b3))) /
                        std::sqrt(10.0);
        BOOST_TEST(std::abs(cd(qam16.points()[i]) - want) <= 1e-7);
    }
    // 64QAM index 0 (all bits 0) is (3 + 3j)/sqrt(42); index 63 is (-7 - 7j)/sqrt(42).
    const constellation_table qam64("qam64");
    BOOST_TEST(std::abs(cd(qam64.points()[0]) - cd(3, 3) / std::sqrt(42.0)) <= 1e-7);
    BOOST_TEST(std::abs(cd(qam64.points()[63]) - cd(-7, -7) / std::sqrt(42.0)) <= 1e-7);

    BOOST_CHECK_THROW(constellation_table("qam32"), std::invalid_argument);
    BOOST_TEST(!constellation_table::is_valid_name("QAM16"));
    BOOST_TEST(constellation_table::names().size() == 5u);
}

// (2) Only the five names pass, and the message names the caller and the value.
BOOST_AUTO_TEST_CASE(checked_name_names_caller_and_value)
{
    for (const auto& name : all_constellations())
        BOOST_TEST(&constellation_table::checked_name("who", name) == &name);
    throws_with([] { constellation_table::checked_name("my_block", "qam32"); },
                { "my_block: ", "constellation 'qam32'", "bpsk, qpsk, qam16, qam64, qam256" });
    throws_with([] { constellation_table::bits_per_symbol("QAM16"); }, { "'QAM16'" });
}

// (3) The Gray PAM split: level g of a dimension is the amplitude of the
// points whose dimension bits (even label bits for the real part, odd for the
// imaginary part, BPSK: bit 0 on the real part) read g, for every point; the
// levels are a uniform grid symmetric about 0, and a^2, -2a are tabulated.
BOOST_AUTO_TEST_CASE(gray_pam_split_equals_the_table)
{
    for (const auto& name : all_constellations()) {
        const constellation_table c(name);
        const gray_pam pam(c, "qa");
        const int kb = c.bits_per_symbol();
        const bool bpsk = kb == 1;
        BOOST_TEST_CONTEXT(name)
        {
            BOOST_TEST(pam.bpsk() == bpsk);
            BOOST_TEST(pam.dim_bits() == (bpsk ? 1 : kb / 2));
            BOOST_TEST(pam.levels() == (1 << pam.dim_bits()));
            for (int i = 0; i < c.order(); ++i) {
                int g_re = 0, g_im = 0;
                for (int m = 0; m < pam.dim_bits(); ++m) {
                    g_re = (g_re << 1) | c.bit(i, bpsk ? 0 : 2 * m);
                    if (!bpsk)
                        g_im = (g_im << 1) | c.bit(i, 2 * m + 1);
                }
                BOOST_TEST(c.points()[i].real() == pam.amp()[g_re]);
                BOOST_TEST(c.points()[i].imag() == (bpsk ? 0.0f : pam.amp()[g_im]));
            }
            std::vector<float> levels(pam.amp(), pam.amp() + pam.levels());
            std::sort(levels.begin(), levels.end());
            const double step = levels[1] - levels[0];
            for (int p = 0; p < pam.levels(); ++p) {
                BOOST_TEST(std::abs(levels[p] + levels[pam.levels() - 1 - p]) <= 1e-7);
                if (p > 0)
                    BOOST_TEST(std::abs(levels[p] - levels[p - 1] - step) <= 1e-6 * step);
                const float a = pam.amp()[p];
                BOOST_TEST(pam.amp2()[p] == a * a);
                BOOST_TEST(pam.m2amp()[p] == -2.0f * a);
            }
        }
    }
}
