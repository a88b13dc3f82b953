/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_FFT_H
#define INCLUDED_NEURALMIMO_OFDM_FFT_H

#include <gnuradio/neuralmimo/api.h>
#include <complex>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief In-place radix-2 FFT of a power-of-two length, orthonormal scaling
 *        (internal to the OFDM receiver; exported for its unit test).
 *
 * forward: X[k] = N^-1/2 sum_n x[n] exp(-2 pi i k n / N);
 * inverse: x[n] = N^-1/2 sum_k X[k] exp(+2 pi i k n / N)
 * (numpy.fft.fft / ifft with norm="ortho"). Twiddles and the bit-reversal
 * permutation are computed once in the constructor; forward() and inverse()
 * never allocate.
 */
class NEURALMIMO_API radix2_fft
{
public:
    //! \throws std::invalid_argument unless n is a power of two >= 2
    explicit radix2_fft(int n);

    int size() const { return d_n; }

    //! x: complex128[N], transformed in place.
    void forward(std::complex<double>* x) const { transform(x, false); }
    //! x: complex128[N], transformed in place.
    void inverse(std::complex<double>* x) const { transform(x, true); }

    /*!
     * \brief `batch` forward transforms at once, in place, split into real and
     *        imaginary parts: element n of transform b at n * batch + b (so that
     *        one vector instruction serves several transforms).
     * \param re, im float64[N * batch]
     */
    void forward_batch(double* re, double* im, int batch) const;

private:
    void transform(std::complex<double>* x, bool inverse) const;

    int d_n;
    double d_scale;                         // 1 / sqrt(N)
    std::vector<int> d_rev;                 // bit-reversed index of n
    std::vector<std::complex<double>> d_tw; // exp(-2 pi i k / N), k < N/2
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_FFT_H */
