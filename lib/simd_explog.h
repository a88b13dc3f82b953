/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * exp and log in float32 for the kernels (internal: inline, not installed):
 * fexp, flog on one float and vexp, vlog on a v8 (simd_v8.h), the Cephes
 * expf and logf polynomials (about 1 ulp), branch-free and without library
 * calls so that they run in SIMD registers. With GCC/Clang vectors the v8
 * versions use integer lanes for the exponent bits; the generic v8 applies
 * the scalar versions lane by lane.
 */

#ifndef INCLUDED_NEURALMIMO_SIMD_EXPLOG_H
#define INCLUDED_NEURALMIMO_SIMD_EXPLOG_H

#include "simd_v8.h"
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gr {
namespace neuralmimo {
namespace simd {

/*
 * exp(x) in float32 for finite x <= 88 (Cephes expf, about 1 ulp): x = n ln2 + r,
 * |r| <= ln2 / 2, exp(r) by a degree-7 polynomial, times 2^n from the bits.
 * exp(0) is exactly 1; x < -80 is taken as -80 (exp(-80) = 1.8e-35: small
 * beside any sum holding a 1, and its products with the constellation's
 * amplitudes stay normal floats, no subnormal slow paths). No branch and no
 * call.
 */
inline float fexp(float x)
{
    x = std::max(x, -80.0f);
    const float shift = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer
    const float fn = (x * 1.44269504088896341f + shift) - shift;
    float r = x - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(fn) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

/*
 * log(x) in float32 for a positive normal x (Cephes logf, about 1 ulp):
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a polynomial in m - 1.
 * Branch-free like fexp.
 */
inline float flog(float x)
{
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof(bits));
    int32_t e = static_cast<int32_t>((bits >> 23) & 0xffu) - 126;
    bits = (bits & 0x007fffffu) | 0x3f000000u; // m in [1/2, 1)
    float m;
    std::memcpy(&m, &bits, sizeof(m));
    const bool lo = m < 0.707106781186547524f;
    e -= lo ? 1 : 0;
    m = (lo ? m + m : m) - 1.0f;
    const float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    const float fe = static_cast<float>(e);
    y += fe * -2.12194440e-4f;
    y -= 0.5f * z;
    return (m + y) + fe * 0.693359375f;
}

#if defined(NEURALMIMO_GNU_V8)
typedef int32_t vi8 __attribute__((vector_size(32)));
inline vi8 vi8_set1(int32_t v) { return vi8{ v, v, v, v, v, v, v, v }; }
inline vi8 as_int(const v8& x)
{
    vi8 i;
    std::memcpy(&i, &x, sizeof(i));
    return i;
}
inline v8 as_float(const vi8& i)
{
    v8 x;
    std::memcpy(&x, &i, sizeof(x));
    return x;
}

// fexp on 8 lanes: n from the bits of x log2(e) + 1.5 * 2^23 (0x4B400000 + n).
inline v8 vexp(v8 x)
{
    x = vmax(x, vset1(-80.0f));
    const v8 shift = vset1(12582912.0f);
    const v8 t = x * vset1(1.44269504088896341f) + shift;
    const v8 fn = t - shift;
    v8 r = x - fn * vset1(0.693359375f);
    r = r - fn * vset1(-2.12194440e-4f);
    v8 p = vset1(1.9875691500e-4f);
    p = p * r + vset1(1.3981999507e-3f);
    p = p * r + vset1(8.3334519073e-3f);
    p = p * r + vset1(4.1665795894e-2f);
    p = p * r + vset1(1.6666665459e-1f);
    p = p * r + vset1(5.0000001201e-1f);
    p = p * (r * r) + r + vset1(1.0f);
    const vi8 bits = (as_int(t) - vi8_set1(0x4B400000 - 127)) << 23;
    return p * as_float(bits);
}

// flog on 8 lanes; e as a float from the bits of 1.5 * 2^23 + e.
inline v8 vlog(const v8& x)
{
    const vi8 bits = as_int(x);
    vi8 e = ((bits >> 23) & vi8_set1(0xff)) - vi8_set1(126);
    v8 m = as_float((bits & vi8_set1(0x007fffff)) | vi8_set1(0x3f000000));
    const vi8 lo = m < vset1(0.707106781186547524f); // -1 where true
    e += lo;
    m = (lo ? m + m : m) - vset1(1.0f);
    const v8 z = m * m;
    v8 y = vset1(7.0376836292e-2f);
    y = y * m - vset1(1.1514610310e-1f);
    y = y * m + vset1(1.1676998740e-1f);
    y = y * m - vset1(1.2420140846e-1f);
    y = y * m + vset1(1.4249322787e-1f);
    y = y * m - vset1(1.6668057665e-1f);
    y = y * m + vset1(2.0000714765e-1f);
    y = y * m - vset1(2.4999993993e-1f);
    y = y * m + vset1(3.3333331174e-1f);
    y = y * m * z;
    const v8 fe = as_float(e + vi8_set1(0x4B400000)) - vset1(12582912.0f);
    y += fe * vset1(-2.12194440e-4f);
    y -= vset1(0.5f) * z;
    return (m + y) + fe * vset1(0.693359375f);
}
#else
inline v8 vexp(v8 x)
{
    for (int l = 0; l < k_lanes; ++l)
        x.f[l] = fexp(x.f[l]);
    return x;
}
inline v8 vlog(v8 x)
{
    for (int l = 0; l < k_lanes; ++l)
        x.f[l] = flog(x.f[l]);
    return x;
}
#endif

} // namespace simd
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SIMD_EXPLOG_H */
