/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * What every fuzz harness shares: a reader that turns the fuzzer's bytes into
 * the kernel's inputs (dimensions within valid ranges, floats that reach
 * every regime: ordinary values, any exponent, raw bit patterns and the
 * special values), and FUZZ_CHECK, which aborts with a message when the
 * detector output contract is broken, so that libFuzzer (or the replay
 * driver, replay_main.cc) reports the input. Header-only, no libFuzzer
 * dependency: the same harness builds with g++ for the regression replay.
 */

#ifndef INCLUDED_NEURALMIMO_FUZZ_BYTES_H
#define INCLUDED_NEURALMIMO_FUZZ_BYTES_H

#include <cfloat>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            std::fprintf(stderr, "%s:%d: contract broken: %s: ", __FILE__,      \
                         __LINE__, #cond);                                      \
            std::fprintf(stderr, __VA_ARGS__);                                  \
            std::fprintf(stderr, "\n");                                         \
            std::abort();                                                       \
        }                                                                       \
    } while (0)

namespace fuzz {

// The fuzzer's bytes, consumed from the front; past the end every read is 0,
// so any input (even empty) decodes to some configuration.
class bytes
{
public:
    bytes(const uint8_t* data, size_t size) : d_p(data), d_end(data + size) {}

    size_t left() const { return static_cast<size_t>(d_end - d_p); }

    uint8_t u8() { return d_p < d_end ? *d_p++ : 0; }

    uint32_t u32()
    {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<uint32_t>(u8()) << (8 * i);
        return v;
    }

    // An integer in [lo, hi].
    int range(int lo, int hi) { return lo + static_cast<int>(u8() % (hi - lo + 1)); }

    /*
     * A float from a tag byte: mostly ordinary values (k/32, |k| <= 128), then
     * the same with any binary exponent (tiny to huge, subnormals and
     * overflow to Inf included), raw bit patterns, and the special values.
     */
    float value()
    {
        const uint8_t tag = u8();
        if (tag < 144)
            return static_cast<int8_t>(u8()) / 32.0f;
        if (tag < 208) {
            const float m = static_cast<int8_t>(u8()) / 32.0f;
            return static_cast<float>(std::ldexp(static_cast<double>(m), static_cast<int>(u8()) - 150));
        }
        if (tag < 240) {
            const uint32_t b = u32();
            float f;
            std::memcpy(&f, &b, sizeof(f));
            return f;
        }
        static const float special[] = { 0.0f,
                                         -0.0f,
                                         std::numeric_limits<float>::quiet_NaN(),
                                         std::numeric_limits<float>::infinity(),
                                         -std::numeric_limits<float>::infinity(),
                                         FLT_MAX,
                                         -FLT_MAX,
                                         FLT_MIN,
                                         std::numeric_limits<float>::denorm_min(),
                                         1e20f,
                                         1e-20f,
                                         1e30f,
                                         1.0f,
                                         -1.0f,
                                         0.5f,
                                         1e-10f };
        return special[tag % 16];
    }

    std::complex<float> cvalue()
    {
        const float re = value();
        return { re, value() };
    }

private:
    const uint8_t* d_p;
    const uint8_t* d_end;
};

inline bool finite(std::complex<float> v) { return std::isfinite(v.real()) && std::isfinite(v.imag()); }

} // namespace fuzz

#endif /* INCLUDED_NEURALMIMO_FUZZ_BYTES_H */
