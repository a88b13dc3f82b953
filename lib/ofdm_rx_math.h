/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Complex arithmetic of the OFDM receiver's loops (internal): the numbers must
 * round as the numpy receiver's do, and the loops must vectorise.
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_MATH_H
#define INCLUDED_NEURALMIMO_OFDM_RX_MATH_H

#include <cmath>
#include <complex>

namespace gr {
namespace neuralmimo {
namespace ofdm_math {

using cd = std::complex<double>;
using cf = std::complex<float>;

constexpr double k_pi = 3.14159265358979323846;

inline bool power_of_two(int n) { return n >= 2 && (n & (n - 1)) == 0; }

/*
 * Explicit complex products for the loops that run per sample: std::complex's
 * operator* checks every result for NaN (C99 Annex G) and calls a library
 * routine then, which keeps GCC from vectorising the loop. Finite inputs give
 * the same value either way.
 */
inline cd mul(cd a, cd b)
{
    return { a.real() * b.real() - a.imag() * b.imag(),
             a.real() * b.imag() + a.imag() * b.real() };
}
inline cd mul_conj(cd a, cd b) // conj(a) * b
{
    return { a.real() * b.real() + a.imag() * b.imag(),
             a.real() * b.imag() - a.imag() * b.real() };
}
inline double abs2(cd a) { return a.real() * a.real() + a.imag() * a.imag(); }

/*
 * a / b by Smith's method, the formula of numpy's complex division (so that
 * the LS estimates round as the numpy receiver's do); inline, where
 * std::complex's operator/ calls a library routine.
 */
inline cd div(cd a, cd b)
{
    const double br = b.real(), bi = b.imag();
    if (std::abs(br) >= std::abs(bi)) {
        if (br == 0.0 && bi == 0.0)
            return { a.real() / std::abs(br), a.imag() / std::abs(br) };
        const double rat = bi / br;
        const double scl = 1.0 / (br + bi * rat);
        return { (a.real() + a.imag() * rat) * scl, (a.imag() - a.real() * rat) * scl };
    }
    const double rat = br / bi;
    const double scl = 1.0 / (bi + br * rat);
    return { (a.real() * rat + a.imag()) * scl, (a.imag() * rat - a.real()) * scl };
}

} // namespace ofdm_math
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_MATH_H */
