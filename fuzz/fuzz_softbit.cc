/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Fuzz harness of softbit_quant: a few bytes choose N (1..24), bits (1..16)
 * and the mode; uniform mode takes its clip from any float regime (an
 * invalid clip must be refused with std::invalid_argument, a valid one
 * accepted); codebook mode builds one row or N rows of strictly increasing
 * thresholds from gaps of any size, and levels of any finite value. The rest
 * are up to 64 vectors of floats of every regime (NaN, +-Inf, huge,
 * subnormal). Contract: no crash; codes < L and equal to the count of
 * thresholds <= x (codebook) or the uniform arithmetic's bounds (uniform:
 * x >= clip -> L-1, x <= -clip -> 0, so a clipped LLR of +-100 with clip <=
 * 100 maps to the extreme code); NaN -> the code of 0.0; codes monotone in x;
 * the counts; quantize == pack(encode), dequantize == decode(unpack) and
 * every dequantised value is a level of its row.
 */

#include "fuzz_bytes.h"
#include <gnuradio/neuralmimo/softbit_quant.h>
#include <algorithm>
#include <stdexcept>
#include <vector>

using gr::neuralmimo::softbit_counts;
using gr::neuralmimo::softbit_quant;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::bytes in(data, size);
    const int n = in.range(1, 24), bits = in.range(1, 16);
    const bool uniform = in.u8() & 1;
    const int L = 1 << bits;
    float clip = 0.0f;
    std::vector<float> t, lv;
    int groups = 1;
    if (uniform) {
        clip = in.value();
        const bool valid = clip >= 1e-20f && clip <= 1e20f;
        try {
            softbit_quant probe(n, bits, "uniform", clip, t, lv);
            FUZZ_CHECK(valid, "clip = %g accepted", static_cast<double>(clip));
        } catch (const std::invalid_argument&) {
            FUZZ_CHECK(!valid, "clip = %g refused", static_cast<double>(clip));
            return 0;
        }
    } else {
        // Per-position rows only for small codebooks: the bytes would run out anyway.
        groups = (bits <= 8 && (in.u8() & 1)) ? n : 1;
        for (int g = 0; g < groups; ++g) {
            float prev = in.value();
            if (!std::isfinite(prev))
                prev = 0.0f;
            t.push_back(prev);
            for (int k = 1; k < L - 1; ++k) {
                float next = prev + std::fabs(in.value());
                if (!(next > prev))
                    next = std::nextafter(prev, std::numeric_limits<float>::infinity());
                if (!std::isfinite(next))
                    return 0; // no room above FLT_MAX: not a valid codebook
                t.push_back(prev = next);
            }
            for (int k = 0; k < L; ++k) {
                const float v = in.value();
                lv.push_back(std::isfinite(v) ? v : 0.0f);
            }
        }
    }
    softbit_quant q(n, bits, uniform ? "uniform" : "codebook", clip, t, lv);
    FUZZ_CHECK(q.n_groups() == groups, "groups %d, expected %d", q.n_groups(), groups);

    const int count = std::min<int>(64, static_cast<int>(in.left() / (2 * n)) + 1);
    std::vector<float> x(static_cast<size_t>(count) * n);
    for (auto& v : x)
        v = in.value();
    std::vector<uint16_t> codes(x.size()), zero_codes(n), back(x.size());
    const std::vector<float> zeros(n, 0.0f);
    softbit_counts c, cz, c2;
    q.encode(x.data(), count, codes.data(), c);
    q.encode(zeros.data(), 1, zero_codes.data(), cz);
    FUZZ_CHECK(cz.erased == 0 && cz.clamped == 0, "zeros counted");

    uint64_t nan = 0, clamped = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const int j = static_cast<int>(i % n), g = groups == 1 ? 0 : j;
        const float v = x[i];
        FUZZ_CHECK(codes[i] < L, "code %d >= L = %d", codes[i], L);
        nan += std::isnan(v);
        clamped += uniform ? std::fabs(v) > clip : std::isinf(v);
        if (std::isnan(v)) {
            FUZZ_CHECK(codes[i] == zero_codes[j], "NaN -> %d, 0.0 -> %d", codes[i], zero_codes[j]);
            continue;
        }
        if (uniform) {
            if (v >= clip)
                FUZZ_CHECK(codes[i] == L - 1, "x = %g >= clip: code %d", double(v), codes[i]);
            if (v <= -clip)
                FUZZ_CHECK(codes[i] == 0, "x = %g <= -clip: code %d", double(v), codes[i]);
        } else {
            int want = 0;
            for (int k = 0; k < L - 1; ++k)
                want += t[static_cast<size_t>(g) * (L - 1) + k] <= v;
            FUZZ_CHECK(codes[i] == want, "x = %a: code %d, count %d", double(v), codes[i], want);
        }
        // monotone: against the previous vector's value at the same position
        if (i >= static_cast<size_t>(n) && x[i - n] <= v)
            FUZZ_CHECK(codes[i - n] <= codes[i], "not monotone at %zu", i);
    }
    FUZZ_CHECK(c.erased == nan, "erased %llu, NaNs %llu", (unsigned long long)c.erased,
               (unsigned long long)nan);
    FUZZ_CHECK(c.clamped == clamped, "clamped %llu, expected %llu",
               (unsigned long long)c.clamped, (unsigned long long)clamped);

    const size_t nbytes = static_cast<size_t>(count) * q.bytes_per_vector();
    std::vector<uint8_t> got(nbytes), want(nbytes);
    q.quantize(x.data(), count, got.data(), c2);
    softbit_quant::pack(codes.data(), n, bits, count, want.data());
    FUZZ_CHECK(got == want, "quantize != pack(encode)");
    FUZZ_CHECK(c2.erased == c.erased && c2.clamped == c.clamped, "counts differ");
    softbit_quant::unpack(got.data(), n, bits, count, back.data());
    FUZZ_CHECK(back == codes, "unpack(pack) != codes");
    std::vector<float> deq(x.size());
    q.dequantize(got.data(), count, deq.data());
    for (size_t i = 0; i < x.size(); ++i) {
        const int g = groups == 1 ? 0 : static_cast<int>(i % n);
        const float level = q.levels()[static_cast<size_t>(g) * L + codes[i]];
        FUZZ_CHECK(deq[i] == level, "dequantised %g, level %g", double(deq[i]), double(level));
    }
    return 0;
}
