/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_MMNET_KERNEL_H
#define INCLUDED_NEURALMIMO_MMNET_KERNEL_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief The per-observation half of HyperMIMO's MMNet detector: T layers
 *        of linear step and Gaussian denoiser from a per-channel state, and
 *        exact (log-sum-exp) LLRs of the last layer (no GNU Radio types).
 *
 * HyperMIMO splits into a per-channel stage (the hypernetwork, run in
 * onnxruntime or torch whenever H or s2 changes), which produces a state per
 * channel c, and this per-observation stage, run for every y. Nu users, Nr
 * receive antennas (Nr >= Nu), T layers, a constellation of M points with K
 * bits each (constellation_table). Per channel c, all row-major:
 *
 *   q[c]:         complex64[Nr, Nu]     Q_A of the thin QR H = Q_A R_A
 *   r[c]:         complex64[Nu, Nu]     R_A (used as a full matrix)
 *   theta[c]:     complex64[T, Nu, Nu]  Theta^(t) (layer t at t*Nu*Nu)
 *   tau_gain[c]:  float32[T, Nu]
 *   tau_floor[c]: float32[T, Nu]
 *   res_floor[c]: float32               (Nu s2)
 *
 * Per item i, y = y_i (complex64[Nr]) with the state of channel chan_i, from
 * x_0 = 0, for t = 0 .. T-1 (u = 0 .. Nu-1, x over the M points):
 *
 *   ys       = q^H y                                (complex[Nu], once)
 *   res      = ys - r x_t
 *   e        = max(||res||^2 - res_floor, 0),  ||res||^2 = sum_u |res_u|^2
 *   z        = x_t + Theta^(t) res
 *   tau_u    = max(tau_gain[t, u] e + tau_floor[t, u], 1e-10)
 *   m_u(x)   = |z_u - x|^2 / tau_u
 *   p_u(x)   = exp(-m_u(x)) / sum_x' exp(-m_u(x'))
 *   x_{t+1,u} = sum_x p_u(x) x
 *
 * Outputs: estimate_i = x_T (complex64[Nu]) and, with m_u of the last layer,
 *
 *   llr_i[u*K + k] = log sum_{x: bit k of x = 1} exp(-m_u(x))
 *                  - log sum_{x: bit k of x = 0} exp(-m_u(x))
 *
 * (LLR = ln P(b=1)/P(b=0), bit k = 0 the MSB of the label; the exact value,
 * not max-log), clipped to +-detector_floors::llr_limit.
 *
 * Evaluation: every constellation is a separable Gray QAM (gray_pam: real
 * part from the even label bits, imaginary part from the odd ones; BPSK real),
 * so |z - x|^2 = (Re z - Re x)^2 + (Im z - Im x)^2, p_u factors into two PAM
 * posteriors, x_{t+1} is the pair of their means and each LLR is the
 * log-sum-exp ratio over its own dimension's levels (the other dimension's sum
 * cancels): 2 sqrt(M) exponentials per user and layer instead of M, the same
 * values in exact arithmetic. Each log-sum-exp subtracts the minimum metric of
 * its sum (the point at the minimum contributes exactly 1). Arithmetic is
 * float32.
 *
 * Erasures: an item whose y or channel state has a NaN or Inf entry, or
 * whose arithmetic overflows float (e, z, the estimate or an LLR not
 * finite), gets estimate and LLRs 0; detect() counts these.
 *
 * Cost per item in real flops about 8 Nr Nu + T (16 Nu^2 + 10 Nu), plus
 * 2 T Nu sqrt(M) exponentials (QAM), and for the LLRs of the last layer
 * K sqrt(M) exponentials and (beyond QPSK) K logarithms per user.
 *
 * The exponentials and logarithms are float32 polynomials (Cephes expf and
 * logf, about 1 ulp; an exponent below -80 counts as -80, a weight of 2e-35
 * beside the 1 of the nearest level). Up to 8 consecutive items of one
 * channel run side by side in the SIMD lanes, each with the same result as
 * alone: pass the items of a channel consecutively (the state of a channel
 * is also checked once per run of its items).
 *
 * Memory: all allocated in the constructor; detect() allocates nothing. Not
 * thread-safe: one instance per thread.
 */
class NEURALMIMO_API mmnet_kernel
{
public:
    /*!
     * \param nu users (transmit streams), >= 1
     * \param nr receive antennas, >= nu
     * \param layers T, >= 1
     * \param constellation one of constellation_table::names()
     * \throws std::invalid_argument naming the parameter and its value
     */
    mmnet_kernel(int nu, int nr, int layers, const std::string& constellation);

    int nu() const { return d_nu; }
    int nr() const { return d_nr; }
    int layers() const { return d_layers; }
    //! K, bits per symbol of the constellation.
    int bits_per_symbol() const { return d_k; }
    const constellation_table& constellation() const { return d_const; }

    /*!
     * \brief Detect n items, item i with the state of channel chan[i].
     *
     * \param y         complex64[n * Nr], item-major
     * \param chan      int32[n], each in [0, n_channels)
     * \param n         items, >= 0
     * \param q         complex64[C * Nr * Nu]
     * \param r         complex64[C * Nu * Nu]
     * \param theta     complex64[C * T * Nu * Nu]
     * \param tau_gain  float32[C * T * Nu]
     * \param tau_floor float32[C * T * Nu]
     * \param res_floor float32[C]
     * \param n_channels C, >= 1 (or 0 when n = 0)
     * \param estimate  complex64[n * Nu] out
     * \param llr       float32[n * Nu * K] out, user-major per item (u*K + k)
     * \return the erased items: how many, the first and why (nonfinite_y,
     *         nonfinite_channel for a NaN/Inf in the state, overflow)
     * \throws std::invalid_argument, before any output is written, when n or
     *         n_channels is out of range or chan[i] is not in [0, C) (naming
     *         the item i and the value)
     */
    item_failures detect(const std::complex<float>* y,
                         const int32_t* chan,
                         int n,
                         const std::complex<float>* q,
                         const std::complex<float>* r,
                         const std::complex<float>* theta,
                         const float* tau_gain,
                         const float* tau_floor,
                         const float* res_floor,
                         int n_channels,
                         std::complex<float>* estimate,
                         float* llr);

private:
    // True when the state of one channel is finite.
    bool check_channel(const float* q,
                       const float* r,
                       const float* theta,
                       const float* tau_gain,
                       const float* tau_floor,
                       float res_floor) const;

    int d_nu;
    int d_nr;
    int d_layers;
    constellation_table d_const;
    int d_k;
    gray_pam d_pam;

    // Scratch of a group of up to 8 items side by side (8 floats per value,
    // item q in lane q): y [2 Nr x 8] (real and imaginary parts of y_i
    // apart), the recursion's vectors ys, x, res, z [8 Nu x 8].
    std::vector<float> d_y, d_vec;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_MMNET_KERNEL_H */
