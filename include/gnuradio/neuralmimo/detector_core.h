/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_DETECTOR_CORE_H
#define INCLUDED_NEURALMIMO_DETECTOR_CORE_H

#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/constellation_table.h>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief What every C++ detector kernel shares (no GNU Radio types): the
 *        status of a channel or item, the numeric floors, the Gray PAM split
 *        of the constellation that the max-log demapper reads, the inputs,
 *        outputs and failure report of a run of items, and the detector_core
 *        base (bitwise channel cache, per-item loop, demapping).
 *
 * Model y = H x + n, y: complex64[Nr], H: complex64[Nr, Nt] row-major
 * (H[r, t] at r*Nt + t), n ~ CN(0, s2 I), s2 = noise_var per complex receive
 * dimension; LLR = ln P(b=1 | y) / P(b=0 | y) (positive means bit 1), as in
 * docs/conventions.md.
 */

//! Numeric floors and limits of every detector kernel (those of the Python package).
struct detector_floors {
    //! |mu| of a bias (z = xhat / mu) below this is replaced by it.
    static constexpr double bias = 1e-12;
    //! Floor of a post-detection noise variance nu and of the channel's noise_var
    //! (NOISE_VAR_FLOOR in Python): noise_var = 0, a noise-free simulation or a
    //! receiver's estimate of 0, is valid and detected as noise_var = 1e-10,
    //! relative to a channel scaled to max |Re, Im H| ~ 1 (detector_core).
    static constexpr double noise_var = 1e-10;
    //! Ceiling of the noise_var a kernel's set-up sees, small enough that the
    //! float arithmetic of A = H^H H + s2 I cannot overflow: a scale-invariant
    //! kernel scales a noise-dominated channel down rather than reach it
    //! (exact); learned steps see noise_var capped (an SNR far below any
    //! they were trained for).
    static constexpr double noise_var_max = 1e30;
    //! Every LLR a kernel writes is clipped to +-llr_limit (LLR_LIMIT in Python):
    //! e^-87 is FLT_MIN, so no float32 posterior is more certain than |LLR| ~ 87,
    //! and the clip changes no decision and no representable probability.
    static constexpr float llr_limit = 100.0f;
    //! Saturation of z: far outside every constellation (|s| < 1.2), so the
    //! max-log LLRs stay finite for nu >= noise_var.
    static constexpr float z_limit = 1e18f;
};

//! Why the last set_channel() / detect() of a kernel failed (ok if it did not).
enum class detector_status : int {
    ok = 0,
    no_channel,        //!< detect() before any set_channel()
    nonfinite_channel, //!< H has a NaN or Inf entry
    bad_noise_var,     //!< noise_var < 0, NaN or Inf (0 is valid: floored)
    singular,          //!< H^H H + s2 I numerically singular (rank-deficient H, tiny s2)
    nonfinite_y,       //!< y has a NaN or Inf entry
    overflow,          //!< finite inputs, but the kernel's arithmetic overflowed float
    zero_channel,      //!< H == 0 exactly: y carries no information about x
};

/*!
 * \brief The dimension checks of every detector: nt >= 1, nr >= 1 and, when
 *        \p require_nr_ge_nt, nt <= nr.
 * \throws std::invalid_argument "<who>: nt = 0 must be >= 1" and the like
 */
NEURALMIMO_API void
check_dimensions(const std::string& who, int nt, int nr, bool require_nr_ge_nt);

/*!
 * \brief A short English description of \p s ("noise_var < 0 or not finite", ...).
 * \param overflow the kernel's text for status::overflow (what overflowed and why)
 */
NEURALMIMO_API const char* describe(detector_status s, const char* overflow);

/*!
 * \brief One real dimension of a square constellation as a Gray PAM.
 *
 * The real part of a QAM point carries the even label bits b0, b2, ..., the
 * imaginary part the odd bits b1, b3, ..., with the same PAM (38.211); BPSK
 * has its one bit on the real part and no imaginary part. Level g (the
 * dimension's B bits read MSB first) has amplitude amp()[g]. Built from the
 * constellation table and checked against every point, so a demapper that
 * reads it cannot drift from the table.
 */
class NEURALMIMO_API gray_pam
{
public:
    /*!
     * \throws std::logic_error (prefixed with \p who) if the constellation is
     *         not a separable Gray QAM, which no name of constellation_table is
     */
    gray_pam(const constellation_table& c, const std::string& who);

    //! B, label bits per real dimension (K/2, or 1 for BPSK).
    int dim_bits() const { return d_dim_bits; }
    //! P = 2^B levels.
    int levels() const { return d_levels; }
    //! True for BPSK: one real dimension.
    bool bpsk() const { return d_bpsk; }
    //! a_g: float32[P], the amplitude of level g.
    const float* amp() const { return d_amp; }
    //! a_g^2: float32[P].
    const float* amp2() const { return d_amp2; }
    //! -2 a_g: float32[P].
    const float* m2amp() const { return d_m2amp; }

private:
    int d_dim_bits = 1;
    int d_levels = 2;
    bool d_bpsk = false;
    float d_amp[16] = {};
    float d_amp2[16] = {};
    float d_m2amp[16] = {};
};

/*!
 * \brief The inputs of a run of n items, item-major: item i is y + i*Nr,
 *        H + i*Nr*Nt, noise_var[i].
 */
struct detector_inputs {
    const std::complex<float>* y = nullptr; //!< complex64[n * Nr]
    const std::complex<float>* H = nullptr; //!< complex64[n * Nr * Nt], each row-major
    const float* noise_var = nullptr;       //!< float32[n]

    //! The inputs from item \p i on, for \p nt streams and \p nr antennas.
    detector_inputs from_item(size_t i, int nt, int nr) const
    {
        return { y + i * nr, H + i * nr * nt, noise_var + i };
    }
};

/*!
 * \brief The four optional outputs of a run of items, item-major; a null
 *        pointer is an output not computed.
 */
struct detector_outputs {
    std::complex<float>* estimate = nullptr; //!< complex64[n * Nt]
    std::complex<float>* symbols = nullptr;  //!< complex64[n * Nt]
    float* llr = nullptr;                    //!< float32[n * Nt * K], user-major per item
    uint8_t* bits = nullptr;                 //!< uint8[n * Nt * K], same layout

    //! The outputs from item \p i on, for \p nt streams of \p k bits.
    detector_outputs from_item(size_t i, int nt, int k) const
    {
        const size_t c = i * nt, b = c * k;
        return { estimate ? estimate + c : nullptr,
                 symbols ? symbols + c : nullptr,
                 llr ? llr + b : nullptr,
                 bits ? bits + b : nullptr };
    }
};

//! The failures of one detect_items() call: how many, the first and why.
struct item_failures {
    uint64_t count = 0; //!< failed (erased) items
    int first = -1;     //!< index of the first, -1 if none
    //! why the first failed (ok if none did)
    detector_status first_status = detector_status::ok;

    //! Counts a failure of item \p item, remembered if it is the first
    //! (the lowest index: detect_items() visits items grouped by channel).
    void note(int item, detector_status why)
    {
        if (count++ == 0 || item < first) {
            first = item;
            first_status = why;
        }
    }
};

/*!
 * \brief The interface of every detector kernel and what they share: Nt,
 *        Nr, the constellation and its PAM split, the status of the last
 *        call, the cache of the last channel (H and noise_var, compared
 *        bitwise), the per-item loop and the demapping of an estimate.
 *
 * Usage: set_channel() once per channel (an unchanged H and noise_var reuse
 * the previous set-up and its verdict), then detect() per y; or
 * detect_items() for a run of items, each with its own H. A kernel adds two
 * steps: setup_channel() (per channel: its filter and the demapper's 1/mu_k
 * and w_k) and estimate() (per item: the biased estimate s). A kernel
 * allocates all its memory in its constructor; set_channel(), detect() and
 * detect_items() never allocate and never throw. Not thread-safe: one
 * instance per thread.
 */
class NEURALMIMO_API detector_core
{
public:
    using status = detector_status;

    /*!
     * \brief The most consecutive items of one channel that detect_items()
     *        passes to estimate() at once (classical CG runs them side by
     *        side, one per SIMD lane).
     */
    static constexpr int group_size = 8;

    //! The items detect_items() groups by channel at once (its scratch is
    //! allocated for this many in the constructor).
    static constexpr int window = 1024;

    virtual ~detector_core();

    int nt() const { return d_nt; }
    int nr() const { return d_nr; }
    //! K, bits per symbol of the constellation.
    int bits_per_symbol() const { return d_k; }
    const constellation_table& constellation() const { return d_const; }

    /*!
     * \brief Set the channel for the following detect() calls.
     *
     * When H and noise_var are bitwise those of the previous call, the cached
     * set-up (and its verdict) is reused; otherwise the kernel's
     * setup_channel() runs.
     *
     * A scale-invariant kernel (LMMSE, classical CG: their outputs for
     * c y, c H, |c|^2 s2 are those for y, H, s2) runs on the channel scaled by
     * the exact power of two c = 2^-round(log2 max |Re, Im H|) (smaller
     * where c^2 noise_var would pass detector_floors::noise_var_max), and
     * each y by the same c, so |H| ~ 1e20 or 1e-20 gives the results of
     * |H| ~ 1 (bitwise, barring float under- and overflow). The scaled
     * noise_var is then floored at detector_floors::noise_var (so 0 is
     * valid). Learned CG steps are not scale-invariant and see H as given
     * (with the same floor, and noise_var capped at noise_var_max).
     * \param H complex64[Nr * Nt], row-major H[r, t] at r*Nt + t
     * \param noise_var s2 per complex receive dimension, >= 0 and finite
     * \return false (and last_status() says why) if H has NaN/Inf, H == 0,
     *         noise_var is < 0 or not finite, or the kernel's set-up fails
     *         (singular, overflow); detect() then erases its outputs until a
     *         valid channel is set.
     */
    bool set_channel(const std::complex<float>* H, float noise_var)
    {
        if (!same_channel(H, noise_var))
            refresh_channel(H, noise_var);
        d_last = d_chan_status;
        return d_chan_status == status::ok;
    }

    /*!
     * \brief Detect one received vector with the current channel.
     *
     * \param y   complex64[Nr]
     * \param out one item's outputs, each may be null (not computed):
     *            estimate complex64[Nt], the kernel's estimate xhat; symbols
     *            complex64[Nt], hard decisions (constellation points); llr
     *            float32[Nt * K], user-major: stream t, bit k at t*K + k;
     *            bits uint8[Nt * K], hard bits (0/1), same layout
     * \return false if there is no valid channel, y has NaN/Inf or the
     *         estimate overflowed; the outputs are then erased (0) and
     *         last_status() says why.
     */
    bool detect(const std::complex<float>* y, const detector_outputs& out);

    /*!
     * \brief Detect n items, each with its own channel, in one call: item i
     *        is set_channel(H + i*Nr*Nt, noise_var[i]) then detect(y + i*Nr, ...),
     *        bitwise.
     *
     * The per-channel set-up runs once per distinct channel of each window of
     * `window` items, wherever its items sit in the window: the items are
     * grouped by their (H, noise_var) bits (a hash, then a bitwise compare),
     * so the resource elements of an OFDM frame, which meet each carrier's H
     * once per OFDM symbol, cost one set-up per carrier, not one per item.
     *
     * \param n   items, >= 0
     * \param in  the n items' y, H and noise_var (detector_inputs)
     * \param out the n items' outputs (detector_outputs), each may be null
     * \return the failed (erased) items: how many, the first and why
     */
    item_failures
    detect_items(int n, const detector_inputs& in, const detector_outputs& out);

    /*!
     * \brief Write the erased value (0) to every non-null output of one item:
     *        estimate, symbols complex64[Nt]; llr float32[Nt * K]; bits uint8[Nt * K].
     */
    void erase(const detector_outputs& out) const;

    //! The outcome of the last set_channel() or detect() call.
    status last_status() const { return d_last; }

    //! The validity of the current channel (status::no_channel before the first).
    status channel_status() const { return d_chan_status; }

    //! How many times set_channel() recomputed the per-channel set-up (cache misses).
    uint64_t factorizations() const { return d_factorizations; }

protected:
    /*!
     * \param who the kernel's name, the prefix of every message
     * \param nt streams, >= 1
     * \param nr receive antennas, >= 1 (and >= nt when \p require_nr_ge_nt)
     * \param constellation one of constellation_table::names()
     * \param scale_invariant the kernel's outputs for c y, c H, |c|^2 s2 are
     *        those for y, H, s2 (set_channel() may then scale the channel)
     * \throws std::invalid_argument naming the parameter and the value(s)
     */
    detector_core(const std::string& who,
                  int nt,
                  int nr,
                  const std::string& constellation,
                  bool require_nr_ge_nt,
                  bool scale_invariant);

    /*!
     * \brief The kernel's per-channel set-up for a checked H (finite, not all
     *        zero; scaled when the kernel is scale-invariant, so not d_h) and
     *        noise_var (floored and capped: in [detector_floors::noise_var,
     *        detector_floors::noise_var_max]). Sets d_inv_mu and d_w for the
     *        demapper.
     * \return ok, or why the channel cannot be used (singular, overflow)
     */
    virtual status setup_channel(const std::complex<float>* H, float noise_var) = 0;

    /*!
     * \brief The kernel's per-item step with a valid channel: the biased
     *        estimate s of \p count (1 to group_size) consecutive items.
     * \param y     float32[count * 2Nr], each item's y interleaved (re, im),
     *              scaled like the channel
     * \return float32[count * np], row q the estimate of item q interleaved
     *         (Re xhat_t at 2t, Im at 2t + 1), zero in the padding; the
     *         kernel's scratch, valid until its next call
     */
    virtual const float* estimate(const float* y, int count) = 0;

    int d_nt;
    int d_nr;
    constellation_table d_const;
    int d_k;
    gray_pam d_pam;
    int d_np; // 2 Nt rounded up to a multiple of 8 (one AVX register of floats)

    // The demapper's per-channel inputs, set by setup_channel(), per
    // interleaved coordinate (Re of stream t at 2t, Im at 2t + 1), zero in
    // the padding: float32[np] each.
    std::vector<float> d_inv_mu; // 1 / mu_k
    std::vector<float> d_w;      // the LLR weight w_k (gray_pam_demap.h)

    std::vector<std::complex<float>> d_h; // [Nr * Nt], the cached H (as given)

private:
    //! True when H and noise_var are bitwise those of the cached channel.
    bool same_channel(const std::complex<float>* H, float noise_var) const
    {
        uint32_t nv_bits;
        std::memcpy(&nv_bits, &noise_var, sizeof(nv_bits));
        return d_have_cache && nv_bits == d_nv_bits && same_bits(H, d_h.data(), d_h.size());
    }

    //! True when the n complex values at \p a and \p b are bitwise equal.
    static bool same_bits(const std::complex<float>* a, const std::complex<float>* b, size_t n)
    {
        // Bitwise, without a call or ordering: cheaper than memcmp for the
        // few hundred bytes of one H.
        const float* fa = reinterpret_cast<const float*>(a);
        const float* fb = reinterpret_cast<const float*>(b);
        uint32_t diff = 0;
        for (size_t i = 0; i < 2 * n; ++i) {
            uint32_t x, y;
            std::memcpy(&x, fa + i, sizeof(x));
            std::memcpy(&y, fb + i, sizeof(y));
            diff |= x ^ y;
        }
        return diff == 0;
    }

    /*!
     * \brief Cache H (complex64[Nr * Nt]) and noise_var as the current
     *        channel, count one set-up, check them (bad_noise_var: < 0 or
     *        not finite; nonfinite_channel; zero_channel), scale them (a
     *        scale-invariant kernel), floor and cap noise_var and run the
     *        kernel's setup_channel(); channel_status() is the verdict.
     */
    void refresh_channel(const std::complex<float>* H, float noise_var);

    /*!
     * \brief Groups the m items of \p in by channel: d_head[g], d_next[j]
     *        (item j's next item of the same channel, -1 after the last),
     *        in the order of each channel's first item.
     * \return the number of groups
     */
    int group_by_channel(int m, const detector_inputs& in);

    //! Item \p j's channel (H and noise_var) bitwise equals item \p k's.
    bool same_item_channel(const detector_inputs& in, int j, int k) const;

    //! \p count items' y (float32[count * 2Nr]) scaled like the channel: y
    //! itself when the scale is 1, else a copy in d_ys.
    const float* scaled_y(const float* y, int count);

    // The outputs of one item from its estimate s (float32[np]); false
    // (outputs erased, d_last says why) if s is not finite. Inline, defined
    // in detector_core.cc (its only user): the per-item loop inlines it.
    inline bool emit(const float* y, const float* s, const detector_outputs& out);

    // Erases the outputs of an item while the channel is not valid; false.
    bool reject(const detector_outputs& out);

    bool d_scale_invariant;
    int d_scale_exp = 0;                   // the channel's scale c = 2^d_scale_exp
    double d_scale = 1.0;                  // c itself (scaled_y runs per item)
    std::vector<std::complex<float>> d_hs; // [Nr * Nt], the scaled H
    std::vector<float> d_ys;               // [group_size * 2Nr], scaled y
    // detect_items()'s grouping scratch: per item of a window, the next
    // item of its channel; per group its first and last item; an open
    // addressing table of 2 * window slots (hash, group), valid when its
    // stamp is the current d_stamp (no clearing per window); gathered y.
    std::vector<int> d_next, d_head, d_tail;
    std::vector<uint64_t> d_slot_hash;
    std::vector<int> d_slot_group;
    std::vector<uint32_t> d_slot_stamp;
    uint32_t d_stamp = 0;
    std::vector<float> d_yg;
    bool d_have_cache = false;
    uint32_t d_nv_bits = 0; // the cached noise_var, bitwise
    status d_chan_status = status::no_channel;
    status d_last = status::no_channel;
    uint64_t d_factorizations = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_DETECTOR_CORE_H */
