/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * v8: eight floats operated on together, the vector type of the detector
 * kernels (internal: not part of the installed headers). With GCC/Clang it is
 * a generic vector type that the compiler maps onto the target's SIMD
 * registers (one AVX register, two SSE/NEON registers, or scalars), which
 * gives register tiles without spills where plain loops were vectorised
 * poorly. Other compilers (or -DNEURALMIMO_GENERIC_V8, to test that path) get
 * an array with the same operations.
 *
 * Every real vector of a kernel is padded with zeros to a multiple of
 * k_lanes floats, so loops run over whole v8 blocks.
 */

#ifndef INCLUDED_NEURALMIMO_SIMD_V8_H
#define INCLUDED_NEURALMIMO_SIMD_V8_H

#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__)
// Without AVX, GCC notes that passing a 32-byte vector by value has another
// ABI; these helpers are internal to the library, so no interface is affected.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace gr {
namespace neuralmimo {
namespace simd {

constexpr int k_lanes = 8; // floats per v8: one AVX register

//! v rounded up to a multiple of q.
inline int round_up(int v, int q) { return (v + q - 1) / q * q; }

#if (defined(__GNUC__) || defined(__clang__)) && !defined(NEURALMIMO_GENERIC_V8)
#define NEURALMIMO_GNU_V8 1
typedef float v8 __attribute__((vector_size(32)));
inline v8 vzero() { return v8{ 0, 0, 0, 0, 0, 0, 0, 0 }; }
inline v8 vset1(float x) { return v8{ x, x, x, x, x, x, x, x }; }
inline v8 vmin(const v8& a, const v8& b) { return b < a ? b : a; }
inline v8 vmax(const v8& a, const v8& b) { return a < b ? b : a; }
inline float vlane(const v8& a, int l) { return a[l]; }
// Lane-wise a > b ? x : y (false for NaN).
inline v8 vselect_gt(const v8& a, const v8& b, const v8& x, const v8& y)
{
    return b < a ? x : y;
}
#else
struct v8 {
    float f[k_lanes];
};
inline v8 vzero() { return v8{}; }
inline v8 vset1(float x)
{
    v8 r;
    for (int l = 0; l < k_lanes; ++l)
        r.f[l] = x;
    return r;
}
#define NEURALMIMO_V8_OP(op)                        \
    inline v8 operator op(v8 a, v8 b)               \
    {                                               \
        for (int l = 0; l < k_lanes; ++l)           \
            a.f[l] = a.f[l] op b.f[l];              \
        return a;                                   \
    }                                               \
    inline v8& operator op##=(v8& a, v8 b) { return a = a op b; }
NEURALMIMO_V8_OP(+)
NEURALMIMO_V8_OP(-)
NEURALMIMO_V8_OP(*)
NEURALMIMO_V8_OP(/)
#undef NEURALMIMO_V8_OP
inline v8 vmin(v8 a, v8 b)
{
    for (int l = 0; l < k_lanes; ++l)
        a.f[l] = b.f[l] < a.f[l] ? b.f[l] : a.f[l];
    return a;
}
inline v8 vmax(v8 a, v8 b)
{
    for (int l = 0; l < k_lanes; ++l)
        a.f[l] = a.f[l] < b.f[l] ? b.f[l] : a.f[l];
    return a;
}
inline float vlane(const v8& a, int l) { return a.f[l]; }
inline v8 vselect_gt(v8 a, v8 b, v8 x, v8 y)
{
    for (int l = 0; l < k_lanes; ++l)
        x.f[l] = b.f[l] < a.f[l] ? x.f[l] : y.f[l];
    return x;
}
#endif
inline v8 vload(const float* p)
{
    v8 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}
inline void vstore(float* p, const v8& v) { std::memcpy(p, &v, sizeof(v)); }

/*
 * Two lane permutations, for the interleaved (re, im) layout:
 * swap_pairs([a0 a1 a2 a3 ...]) = [a1 a0 a3 a2 ...], and interleave_pairs
 * of a = [a0 a1 | a2 a3 | a4 a5 | a6 a7], b likewise gives
 * lo = [a0 a1 b0 b1 a2 a3 b2 b3], hi = [a4 a5 b4 b5 a6 a7 b6 b7].
 */
#if defined(NEURALMIMO_GNU_V8) && defined(__clang__)
inline v8 swap_pairs(const v8& a)
{
    return __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6);
}
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    lo = __builtin_shufflevector(a, b, 0, 1, 8, 9, 2, 3, 10, 11);
    hi = __builtin_shufflevector(a, b, 4, 5, 12, 13, 6, 7, 14, 15);
}
#elif defined(NEURALMIMO_GNU_V8)
typedef int32_t v8i __attribute__((vector_size(32)));
inline v8 swap_pairs(const v8& a) { return __builtin_shuffle(a, v8i{ 1, 0, 3, 2, 5, 4, 7, 6 }); }
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    lo = __builtin_shuffle(a, b, v8i{ 0, 1, 8, 9, 2, 3, 10, 11 });
    hi = __builtin_shuffle(a, b, v8i{ 4, 5, 12, 13, 6, 7, 14, 15 });
}
#else
inline v8 swap_pairs(v8 a)
{
    v8 r;
    for (int l = 0; l < k_lanes; l += 2) {
        r.f[l] = a.f[l + 1];
        r.f[l + 1] = a.f[l];
    }
    return r;
}
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    for (int q = 0; q < 2; ++q)
        for (int h = 0; h < 2; ++h) {
            lo.f[4 * q + h] = a.f[2 * q + h];
            lo.f[4 * q + 2 + h] = b.f[2 * q + h];
            hi.f[4 * q + h] = a.f[4 + 2 * q + h];
            hi.f[4 * q + 2 + h] = b.f[4 + 2 * q + h];
        }
}
#endif

// True when every v[0:n] is finite (x - x is 0 for finite x, NaN otherwise).
inline bool all_finite(const float* v, int n)
{
    int ok = 1;
    for (int k = 0; k < n; ++k)
        ok &= (v[k] - v[k] == 0.0f);
    return ok != 0;
}

// The same for a padded vector (np a multiple of 8, padding finite): the
// lanes of the sum of x - x are 0 or NaN, and so is their total.
inline bool all_finite_padded(const float* v, int np)
{
    v8 acc = vzero();
    for (int k0 = 0; k0 < np; k0 += k_lanes) {
        const v8 x = vload(v + k0);
        acc += x - x;
    }
    float total = 0.0f;
    for (int l = 0; l < k_lanes; ++l)
        total += vlane(acc, l);
    return total == 0.0f;
}

} // namespace simd
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SIMD_V8_H */
