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
#include <vector>

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

/*
 * Sums of every L consecutive terms of a sequence that grows term by term,
 * each made only of that window's own terms, at O(1) per term and window.
 *
 * Why not differences of running sums: a difference of two running sums is
 * off by up to (terms so far) * eps * (largest running sum), so after a burst
 * of |x| ~ 1e30 every later window in the span loses all its digits, and a
 * good frame behind the burst is not detected (and a NaN or Inf poisons all
 * later windows). Here the terms are cut into blocks of L from the first
 * one; window [i, i + L) is the suffix of i's block from i plus the prefix of
 * the next block up to i + L: two sums of the window's own terms, as exact as
 * summing the window on its own (numpy's metric does that).
 */
template <class T>
class window_sums
{
public:
    //! Room for `capacity` terms of windows of L; starts empty.
    void reset(int L, int capacity)
    {
        d_L = L;
        d_pre.assign(static_cast<size_t>(capacity) + 1, T());
        d_suf.assign(static_cast<size_t>(capacity), T());
        d_n = 0;
    }
    void clear() { d_n = 0; }
    int size() const { return d_n; }
    //! Appends a term (at most `capacity` in all since the last clear()).
    void push(T t)
    {
        // d_pre[j]: terms of j's block before j (0 at a block start);
        // d_suf[j]: terms of j's block from j on, once the block is complete.
        d_suf[d_n] = t;
        ++d_n;
        d_pre[d_n] = d_n % d_L == 0 ? T() : d_pre[d_n - 1] + t;
        if (d_n % d_L == 0)
            for (int q = d_n - 2; q >= d_n - d_L; --q)
                d_suf[q] += d_suf[q + 1];
    }
    //! Sum of terms i ... i + L - 1; needs i + L <= size().
    T window(int i) const { return d_suf[i] + d_pre[i + d_L]; }

private:
    int d_L = 1, d_n = 0;
    std::vector<T> d_pre, d_suf;
};

} // namespace ofdm_math
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_MATH_H */
