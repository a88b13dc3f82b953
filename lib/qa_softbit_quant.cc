/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of softbit_quant: the wire format against bytes worked out by
 * hand, pack/unpack round trips for every width, the uniform arithmetic on
 * edge values with hand-computed codes and counts, codebook codes against a
 * brute-force count of thresholds <= x, quantise/dequantise against
 * encode+pack and unpack+decode across chunk boundaries, and the
 * constructor's errors. Bit-exactness against the Python reference is
 * tests/test_quantizer.py's job (it needs both sides). Seeded.
 */

#include <gnuradio/neuralmimo/softbit_quant.h>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using gr::neuralmimo::softbit_counts;
using gr::neuralmimo::softbit_quant;

namespace {

const float nan_f = std::numeric_limits<float>::quiet_NaN();
const float inf_f = std::numeric_limits<float>::infinity();

std::vector<uint8_t> packed(const std::vector<uint16_t>& codes, int bits)
{
    const int n = static_cast<int>(codes.size());
    std::vector<uint8_t> out((n * bits + 7) / 8, 0xEE); // padding must be written as 0
    softbit_quant::pack(codes.data(), n, bits, 1, out.data());
    return out;
}

// Sorted random codebook rows: levels[G * L] and their midpoint thresholds.
void random_codebook(std::mt19937& gen, int groups, int L, std::vector<float>& t, std::vector<float>& lv)
{
    std::normal_distribution<float> g(0.0f, 2.0f);
    t.clear();
    lv.clear();
    for (int r = 0; r < groups; ++r) {
        std::vector<float> row(L);
        for (auto& v : row)
            v = g(gen);
        std::sort(row.begin(), row.end());
        for (int k = 1; k < L; ++k)
            if (!(row[k] > row[k - 1]))
                row[k] = std::nextafter(row[k - 1], inf_f);
        lv.insert(lv.end(), row.begin(), row.end());
        for (int k = 0; k + 1 < L; ++k)
            t.push_back(static_cast<float>((static_cast<double>(row[k]) + row[k + 1]) / 2));
        for (int k = 1; k + 1 < L; ++k) // midpoints of neighbours one ulp apart can collide
            if (!(t[t.size() - L + 1 + k] > t[t.size() - L + k]))
                t[t.size() - L + 1 + k] = std::nextafter(t[t.size() - L + k], inf_f);
    }
}

} // namespace

// (1) The wire format: codes MSB first, concatenated, zero-padded per vector.
BOOST_AUTO_TEST_CASE(pack_layout_matches_hand_computed_bytes)
{
    // 001 010 011 100 101 + 0 -> 00101001 11001010
    BOOST_TEST(packed({ 1, 2, 3, 4, 5 }, 3) == (std::vector<uint8_t>{ 0x29, 0xCA }),
               boost::test_tools::per_element());
    // 1011000111 + 000000 -> 10110001 11000000
    BOOST_TEST(packed({ 1, 0, 1, 1, 0, 0, 0, 1, 1, 1 }, 1) == (std::vector<uint8_t>{ 0xB1, 0xC0 }),
               boost::test_tools::per_element());
    // 11111 00000 repeated: 11111000 00111110 00001111 10000011 11100000
    BOOST_TEST(packed({ 31, 0, 31, 0, 31, 0, 31, 0 }, 5) ==
                   (std::vector<uint8_t>{ 0xF8, 0x3E, 0x0F, 0x83, 0xE0 }),
               boost::test_tools::per_element());
    // 12-bit ABC 123 007 + 0000 -> AB C1 23 00 70
    BOOST_TEST(packed({ 0xABC, 0x123, 0x007 }, 12) ==
                   (std::vector<uint8_t>{ 0xAB, 0xC1, 0x23, 0x00, 0x70 }),
               boost::test_tools::per_element());
    BOOST_TEST(packed({ 0x1234, 0xFFFF }, 16) == (std::vector<uint8_t>{ 0x12, 0x34, 0xFF, 0xFF }),
               boost::test_tools::per_element());
    // Each vector is padded on its own: two vectors of 3 codes of 3 bits -> 2 + 2 bytes.
    const std::vector<uint16_t> two = { 7, 0, 7, 1, 2, 3 };
    std::vector<uint8_t> out(4);
    softbit_quant::pack(two.data(), 3, 3, 2, out.data());
    BOOST_TEST(out == (std::vector<uint8_t>{ 0xE3, 0x80, 0x29, 0x80 }),
               boost::test_tools::per_element());
}

// (2) unpack inverts pack for every width and vector length.
BOOST_AUTO_TEST_CASE(pack_unpack_round_trip_every_width)
{
    std::mt19937 gen(71);
    for (int bits = 1; bits <= 16; ++bits) {
        for (int n : { 1, 2, 7, 8, 9, 16, 17, 33 }) {
            const int count = 5, bytes = (n * bits + 7) / 8;
            std::uniform_int_distribution<int> d(0, (1 << bits) - 1);
            std::vector<uint16_t> codes(count * n), back(count * n);
            for (auto& c : codes)
                c = static_cast<uint16_t>(d(gen));
            std::vector<uint8_t> buf(count * bytes);
            softbit_quant::pack(codes.data(), n, bits, count, buf.data());
            softbit_quant::unpack(buf.data(), n, bits, count, back.data());
            BOOST_TEST_CONTEXT("bits=" << bits << " n=" << n)
            {
                BOOST_TEST(back == codes, boost::test_tools::per_element());
                // the padding bits of every vector are 0
                const int pad = bytes * 8 - n * bits;
                for (int v = 0; v < count; ++v)
                    BOOST_TEST((buf[v * bytes + bytes - 1] & ((1 << pad) - 1)) == 0);
            }
        }
    }
}

// (3) Uniform mode on edge values: codes and counts worked out by hand.
BOOST_AUTO_TEST_CASE(uniform_edge_values_and_counts)
{
    // bits 3, clip 1: scale 4, code = floor((x + 1) * 4) clamped to 0..7; 0.0 is in cell 4.
    softbit_quant q(9, 3, "uniform", 1.0f, {}, {});
    const std::vector<float> x = { nan_f, inf_f, -inf_f, 0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 0.3f };
    const std::vector<uint16_t> want = { 4, 7, 0, 4, 4, 7, 0, 7, 5 };
    std::vector<uint16_t> codes(9);
    softbit_counts c;
    q.encode(x.data(), 1, codes.data(), c);
    BOOST_TEST(codes == want, boost::test_tools::per_element());
    BOOST_TEST(c.erased == 1u);
    BOOST_TEST(c.clamped == 3u); // +Inf, -Inf, 2 (1 and -1 are inside [-clip, clip])
    // Levels: clip (2k + 1 - L) / L = -0.875 + 0.25 k.
    for (int k = 0; k < 8; ++k)
        BOOST_TEST(q.levels()[k] == -0.875f + 0.25f * k);
    std::vector<uint8_t> bytes(q.bytes_per_vector());
    BOOST_TEST(q.bytes_per_vector() == 4); // 27 bits
    softbit_counts c2;
    q.quantize(x.data(), 1, bytes.data(), c2);
    // 100 111 000 100 100 111 000 111 101 + 00000
    BOOST_TEST(bytes == (std::vector<uint8_t>{ 0x9C, 0x49, 0xC7, 0xA0 }),
               boost::test_tools::per_element());
    BOOST_TEST(c2.erased == 1u);
    BOOST_TEST(c2.clamped == 3u);
    std::vector<float> back(9);
    q.dequantize(bytes.data(), 1, back.data());
    for (int i = 0; i < 9; ++i)
        BOOST_TEST(back[i] == q.levels()[want[i]]);
    // Huge, denormal and -0 values: the outer codes and the code of 0.
    const std::vector<float> y = { 3e38f, -3e38f, 1e-45f, -1e-45f, 1e-40f, -0.0f, 0.99999994f, -0.99999994f, 1.0000001f };
    softbit_counts c3;
    q.encode(y.data(), 1, codes.data(), c3);
    BOOST_TEST(codes == (std::vector<uint16_t>{ 7, 0, 4, 4, 4, 4, 7, 0, 7 }),
               boost::test_tools::per_element());
    BOOST_TEST(c3.clamped == 3u);
    BOOST_TEST(c3.erased == 0u);
}

// (4) Uniform with an ample budget is nearly lossless inside the range:
// |x - Q(x)| <= clip / L + 8 clip 2^-24 (half a cell, plus the rounding of
// x + clip, of the scale, of the product and of the level).
BOOST_AUTO_TEST_CASE(uniform_error_bound_inside_range)
{
    std::mt19937 gen(5);
    for (int bits : { 3, 8, 12, 16 }) {
        for (float clip : { 1.0f, 17.3f, 100.0f }) {
            const int n = 64, count = 200;
            softbit_quant q(n, bits, "uniform", clip, {}, {});
            std::uniform_real_distribution<float> u(-clip, clip);
            std::vector<float> x(n * count), back(n * count);
            for (auto& v : x)
                v = u(gen);
            std::vector<uint8_t> buf(count * q.bytes_per_vector());
            softbit_counts c;
            q.quantize(x.data(), count, buf.data(), c);
            q.dequantize(buf.data(), count, back.data());
            const double bound = clip / double(1 << bits) + 8.0 * clip * std::ldexp(1.0, -24);
            double worst = 0.0;
            for (int i = 0; i < n * count; ++i)
                worst = std::max(worst, std::fabs(double(x[i]) - back[i]));
            BOOST_TEST_CONTEXT("bits=" << bits << " clip=" << clip)
            {
                BOOST_TEST(worst <= bound);
                BOOST_TEST(worst >= 0.5 * clip / double(1 << bits)); // the bound is not vacuous
                BOOST_TEST(c.clamped == 0u);
            }
        }
    }
}

// (5) Codebook mode: the number of thresholds <= x, exactly, around every
// threshold and on random values, with one row per position or one for all.
BOOST_AUTO_TEST_CASE(codebook_codes_equal_brute_force_count)
{
    std::mt19937 gen(9);
    for (int bits : { 1, 2, 3, 5, 8, 11 }) {
        for (int groups : { 1, 3 }) {
            const int n = 3, L = 1 << bits;
            std::vector<float> t, lv;
            random_codebook(gen, groups, L, t, lv);
            softbit_quant q(n, bits, "codebook", 0.0f, t, lv);
            BOOST_REQUIRE(q.n_groups() == groups);
            std::vector<float> x;
            for (float v : t)
                for (float w : { v, std::nextafter(v, inf_f), std::nextafter(v, -inf_f) })
                    x.push_back(w);
            std::normal_distribution<float> g(0.0f, 3.0f);
            for (int i = 0; i < 3000; ++i)
                x.push_back(g(gen));
            for (float s : { 0.0f, -0.0f, nan_f, inf_f, -inf_f, 3e38f, -3e38f, 1e-45f, -1e-45f })
                x.push_back(s);
            while (x.size() % n)
                x.push_back(0.5f);
            const int count = static_cast<int>(x.size()) / n;
            std::vector<uint16_t> codes(x.size());
            softbit_counts c;
            q.encode(x.data(), count, codes.data(), c);
            uint64_t nan = 0, inf = 0, bad = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                const int row = groups == 1 ? 0 : static_cast<int>(i % n);
                const float* tr = t.data() + row * (L - 1);
                const float v = std::isnan(x[i]) ? 0.0f : x[i];
                int want = 0;
                for (int k = 0; k < L - 1; ++k)
                    want += tr[k] <= v;
                nan += std::isnan(x[i]);
                inf += std::isinf(x[i]);
                bad += codes[i] != want;
            }
            BOOST_TEST_CONTEXT("bits=" << bits << " groups=" << groups)
            {
                BOOST_TEST(bad == 0u);
                BOOST_TEST(c.erased == nan);
                BOOST_TEST(c.clamped == inf);
                BOOST_TEST(nan == 1u);
                BOOST_TEST(inf == 2u);
            }
            // dequantise: position j gets row j's level
            std::vector<float> back(x.size());
            q.decode(codes.data(), count, back.data());
            for (size_t i = 0; i < x.size(); ++i) {
                const int row = groups == 1 ? 0 : static_cast<int>(i % n);
                BOOST_TEST(back[i] == lv[row * L + codes[i]]);
            }
        }
    }
}

// (6) quantize/dequantize equal encode + pack and unpack + decode, across
// the kernel's chunks (8192 values), for odd vector lengths.
BOOST_AUTO_TEST_CASE(quantize_equals_encode_then_pack_across_chunks)
{
    std::mt19937 gen(13);
    std::normal_distribution<float> g(0.0f, 4.0f);
    for (int bits : { 1, 3, 4, 6, 8, 9, 16 }) {
        for (const char* mode : { "uniform", "codebook" }) {
            const int n = 13, count = 2000, L = 1 << bits;
            std::vector<float> t, lv;
            if (std::string(mode) == "codebook")
                random_codebook(gen, n, L, t, lv);
            softbit_quant q(n, bits, mode, 6.0f, t, lv);
            std::vector<float> x(n * count);
            for (auto& v : x)
                v = g(gen);
            x[5] = nan_f;
            x[n * 1000 + 2] = -inf_f;
            std::vector<uint16_t> codes(x.size()), back_codes(x.size());
            softbit_counts c1, c2;
            q.encode(x.data(), count, codes.data(), c1);
            std::vector<uint8_t> want(count * q.bytes_per_vector()), got(want.size());
            softbit_quant::pack(codes.data(), n, bits, count, want.data());
            q.quantize(x.data(), count, got.data(), c2);
            std::vector<float> deq(x.size()), dec(x.size());
            q.dequantize(got.data(), count, deq.data());
            q.decode(codes.data(), count, dec.data());
            BOOST_TEST_CONTEXT("bits=" << bits << " mode=" << mode)
            {
                BOOST_TEST(got == want, boost::test_tools::per_element());
                BOOST_TEST(deq == dec, boost::test_tools::per_element());
                BOOST_TEST(c1.erased == 1u);
                BOOST_TEST(c2.erased == 1u);
                BOOST_TEST(c1.clamped == c2.clamped);
                BOOST_TEST(c1.clamped >= 1u);
            }
        }
    }
}

// (7) Configuration errors name the parameter and the values.
BOOST_AUTO_TEST_CASE(constructor_errors_name_the_parameter)
{
    auto message = [](auto make) -> std::string {
        try {
            make();
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "no exception";
    };
    auto has = [](const std::string& msg, const std::string& part) {
        BOOST_TEST_INFO(msg);
        BOOST_TEST(msg.find(part) != std::string::npos);
    };
    has(message([] { softbit_quant(4, 0, "uniform", 1.0f, {}, {}); }), "bits = 0");
    has(message([] { softbit_quant(4, 17, "uniform", 1.0f, {}, {}); }), "bits = 17");
    has(message([] { softbit_quant(0, 3, "uniform", 1.0f, {}, {}); }), "n = 0");
    has(message([] { softbit_quant(4, 3, "linear", 1.0f, {}, {}); }), "mode = 'linear'");
    has(message([] { softbit_quant(4, 3, "uniform", 0.0f, {}, {}); }), "clip = 0");
    has(message([] { softbit_quant(4, 3, "uniform", nan_f, {}, {}); }), "clip = nan");
    has(message([] { softbit_quant(4, 1, "uniform", 1.0f, { 0.0f }, { -1.0f, 1.0f }); }),
        "thresholds has 1 and levels 2 values (expected 0 and 0");
    has(message([] { softbit_quant(4, 2, "codebook", 0.0f, { 0.0f, 1.0f }, { 0, 1, 2, 3 }); }),
        "thresholds has 2 and levels 4 values (expected L-1 = 3 and L = 4");
    has(message([] { softbit_quant(4, 2, "codebook", 0.0f, { 0.0f, 1.0f, 1.0f }, { 0, 1, 2, 3 }); }),
        "thresholds[0][1] = 1 >= thresholds[0][2] = 1");
    has(message([] { softbit_quant(4, 2, "codebook", 0.0f, { 0.0f, nan_f, 2.0f }, { 0, 1, 2, 3 }); }),
        "thresholds[0][1] = nan is not finite");
    has(message([] { softbit_quant(4, 2, "codebook", 0.0f, { 0.0f, 1.0f, 2.0f }, { 0, 1, inf_f, 3 }); }),
        "levels[0][2] = inf is not finite");
}
