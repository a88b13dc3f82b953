/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_LMMSE_KERNEL_H
#define INCLUDED_NEURALMIMO_LMMSE_KERNEL_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/constellation_table.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief LMMSE MIMO detector with max-log demapping (no GNU Radio types).
 *
 * Model y = H x + n, y: complex64[Nr], H: complex64[Nr, Nt] row-major
 * (H[r, t] at r*Nt + t), x: unit-energy constellation points, n ~ CN(0, s2 I)
 * with s2 = noise_var per complex receive dimension. For one channel:
 *
 *   A = H^H H + s2 I,  G = A^-1,  W = G H^H            (Cholesky of A, double)
 *   mu_t = 1 - s2 G_tt   (floored at 1e-12)           bias of stream t
 *   nu_t = s2 G_tt / mu_t (floored at 1e-10)          1/SINR_t of z_t
 *
 * and for each y:
 *
 *   xhat = W y                                         biased estimate
 *   z_t  = xhat_t / mu_t                               unbiased estimate
 *   LLR_{t,k} = (min_{s: b_k(s)=0} |z_t - s|^2 - min_{s: b_k(s)=1} |z_t - s|^2) / nu_t
 *
 * LLR = ln P(b=1)/P(b=0): positive means bit 1. Hard symbols are the
 * constellation point nearest to z_t, hard bits its label. The demapper uses
 * the separable Gray PAM structure of the square constellations (exactly the
 * max-log values of the full enumeration, at O(K) cost per stream).
 * Components of z are saturated at +-1e18 so that LLRs stay finite.
 *
 * Usage: set_channel() once per channel (an unchanged H and noise_var, compared
 * bitwise, reuse the previous factorisation), then detect() per y. All memory
 * is allocated in the constructor; set_channel() and detect() never allocate
 * and never throw.
 */
class NEURALMIMO_API lmmse_kernel
{
public:
    //! Why the last set_channel() / detect() failed (ok if it did not).
    enum class status : int {
        ok = 0,
        no_channel,        //!< detect() before any set_channel()
        nonfinite_channel, //!< H has a NaN or Inf entry
        bad_noise_var,     //!< noise_var <= 0, NaN or Inf
        singular,          //!< H^H H + s2 I numerically singular (rank-deficient H, tiny s2)
        nonfinite_y,       //!< y has a NaN or Inf entry
        overflow,          //!< finite inputs, but the estimate overflowed float
    };

    //! A short English description of \p s ("noise_var <= 0 or not finite", ...).
    static const char* describe(status s);

    /*!
     * \param nt number of transmit streams, >= 1
     * \param nr number of receive antennas, >= 1
     * \param constellation one of constellation_table::names()
     * \throws std::invalid_argument naming the parameter and the value
     */
    lmmse_kernel(int nt, int nr, const std::string& constellation);

    int nt() const { return d_nt; }
    int nr() const { return d_nr; }
    //! K, bits per symbol of the constellation.
    int bits_per_symbol() const { return d_k; }
    const constellation_table& constellation() const { return d_const; }

    /*!
     * \brief Set the channel for the following detect() calls.
     *
     * \param H complex64[Nr * Nt], row-major H[r, t] at r*Nt + t
     * \param noise_var s2 per complex receive dimension, > 0 and finite
     * \return false (and last_status() says why) if H has NaN/Inf, noise_var
     *         is not > 0 and finite, or A is numerically singular; detect()
     *         then erases its outputs until a valid channel is set.
     *
     * When H and noise_var are bitwise equal to the previous call the cached
     * factorisation (and the cached verdict) is reused.
     */
    bool set_channel(const std::complex<float>* H, float noise_var);

    /*!
     * \brief Detect one received vector with the current channel.
     *
     * Every output pointer may be null (not computed).
     * \param y        complex64[Nr]
     * \param estimate complex64[Nt], the biased LMMSE estimate xhat
     * \param symbols  complex64[Nt], hard decisions (constellation points)
     * \param llr      float32[Nt * K], user-major: stream t, bit k at t*K + k
     * \param bits     uint8[Nt * K], hard bits (0/1), same layout
     * \return false if there is no valid channel, y has NaN/Inf or the
     *         estimate overflowed; the outputs are then erased (0) and
     *         last_status() says why.
     */
    bool detect(const std::complex<float>* y,
                std::complex<float>* estimate,
                std::complex<float>* symbols,
                float* llr,
                uint8_t* bits);

    //! Write the erased value (0) to every non-null output of one item.
    void erase(std::complex<float>* estimate,
               std::complex<float>* symbols,
               float* llr,
               uint8_t* bits) const;

    //! The outcome of the last set_channel() or detect() call.
    status last_status() const { return d_last; }

    //! The validity of the current channel (status::no_channel before the first).
    status channel_status() const { return d_chan_status; }

    //! How many times set_channel() recomputed the filter (cache misses).
    uint64_t factorizations() const { return d_factorizations; }

    //! mu_t: float32[Nt], the bias of the current channel (valid channel only).
    const float* bias() const { return d_mu.data(); }

    //! nu_t: float32[Nt], the post-equalisation noise variance of z_t.
    const float* post_noise_var() const { return d_nu.data(); }

private:
    //! One real dimension of the square constellation as a Gray PAM.
    struct pam_dim {
        int nbits = 0;         //!< label bits carried by this dimension (0..4)
        int levels = 1;        //!< 2^nbits
        float a_min = 0.0f;    //!< lowest amplitude
        float inv_step = 0.0f; //!< 1 / level spacing
        float amp[16] = {};    //!< amplitude by sorted position
        uint8_t bit[16][4] = {};  //!< bit m of the level at sorted position p
        int8_t opp_lo[16][4] = {}; //!< highest position < p with the other bit m, or -1
        int8_t opp_hi[16][4] = {}; //!< lowest position > p with the other bit m, or -1
        int pos[4] = {};       //!< label bit index k of the dimension's bit m
    };

    void build_demapper();
    status factorize(float noise_var);
    void demap_dim(const pam_dim& d,
                   float v,
                   float inv_nu,
                   float* llr_t,
                   uint8_t* bits_t,
                   float* hard) const;

    int d_nt;
    int d_nr;
    constellation_table d_const;
    int d_k;
    pam_dim d_dim[2]; // real, imaginary

    // Cache of the last channel (bitwise compare).
    bool d_have_cache = false;
    std::vector<std::complex<float>> d_h; // [Nr * Nt]
    uint32_t d_nv_bits = 0;
    status d_chan_status = status::no_channel;
    status d_last = status::no_channel;
    uint64_t d_factorizations = 0;

    // Factorisation scratch, double (split re/im, row-major).
    std::vector<double> d_l_re, d_l_im;   // A, then its Cholesky factor L [Nt * Nt]
    std::vector<double> d_li_re, d_li_im; // L^-1 [Nt * Nt]
    std::vector<double> d_m_re, d_m_im;   // L^-1 H^H [Nt * Nr]

    // Per-channel result used per item, float.
    std::vector<float> d_w_re, d_w_im; // W = G H^H [Nt * Nr]
    std::vector<float> d_inv_mu, d_inv_nu, d_mu, d_nu; // [Nt]
    std::vector<float> d_xhat;                         // [2 * Nt] scratch
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_LMMSE_KERNEL_H */
