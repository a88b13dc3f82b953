/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_KERNEL_H
#define INCLUDED_NEURALMIMO_OFDM_RX_KERNEL_H

#include <gnuradio/neuralmimo/api.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief In-place radix-2 FFT of a power-of-two length, orthonormal scaling
 *        (no GNU Radio types).
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

/*!
 * \brief One frame found by ofdm_rx_kernel (the fields of the Python RxFrame).
 *
 * start: absolute input index of the frame's first sample as estimated (the
 * preamble's CP); fft_start: absolute index of the preamble's FFT window; cfo:
 * in subcarrier spacings; noise_var: sigma^2 per complex receive dimension;
 * snr_db: per-RE SNR with the LS estimation noise in |H|^2 removed; evm: rms
 * LMMSE error against the nearest constellation point (unit symbol energy);
 * metric: peak Schmidl & Cox metric.
 */
struct NEURALMIMO_API ofdm_rx_frame {
    int64_t start = 0;
    int64_t fft_start = 0;
    double cfo = 0.0;
    double noise_var = 0.0;
    double snr_db = 0.0;
    double evm = 0.0;
    double metric = 0.0;
    std::vector<std::complex<float>> h_est; //!< complex64[n_used, Nr, Nt] row-major
    std::vector<std::complex<float>> y;     //!< complex64[n_re, Nr]
    std::vector<std::complex<float>> h;     //!< complex64[n_re, Nr, Nt] row-major
};

/*!
 * \brief MIMO-OFDM receiver front end: Nr sample streams -> per-RE (y, H, sigma^2)
 *        of each frame (no GNU Radio types).
 *
 * The C++ port of python/neuralmimo/phy/ofdm_rx.py (OfdmReceiver), step by
 * step, with the frame format of phy/ofdm.py passed in as constants (preamble,
 * training and pilot values, constellation points), so that both receivers
 * share one frame definition. In short (the Python module has the reasons):
 *
 *  1. Schmidl & Cox metric M(d) = |P(d)|^2 / (E1(d) E2(d)), summed over the
 *     receive antennas; a frame is declared where M first exceeds threshold
 *     (with E1 E2 > 0). The plateau is where M >= 0.9 max M within the next
 *     cp + L + 1 samples (L = N/2); coarse CFO = arg(sum_plateau P) / pi.
 *  2. Fine timing: the peak of sum_r |<preamble body, x_r>|^2 after the
 *     coarse CFO correction, over L + cp + backoff + 1 candidate starts;
 *     FFT windows start `backoff` samples before it.
 *  3. CFO refined on the timed preamble body, then on the training repeat
 *     pairs (one symbol apart); every FFT window is rotated once by the total.
 *  4. LS estimate per used carrier ("time": per antenna's symbols; "comb": at
 *     each antenna's own carriers, linearly interpolated with the backoff
 *     phase ramp removed, constant beyond the ends), sigma^2 from the spread of
 *     the repeats (a frame with sigma^2 not finite or <= 0 is rejected).
 *  5. Per data symbol: common phase from the pilots, then (tracking
 *     "per_stream", P Nr >= 2 Nt) the phase of each stream by least squares.
 *
 * Estimates are computed in double (like the numpy reference); outputs are
 * rounded to complex64. The metric's sums over the input are cumulative sums
 * restarted every 4 symbols (+1 sample) and wherever the search jumps (after
 * a frame, a false alarm or skip()), as numpy's spans, so they stay exact (a
 * window of zeros gives exactly 0) and do not depend on how the input is
 * chunked: push() gives bit-identical results for any chunking.
 *
 * Memory: the input buffer holds a few frames (push() takes long inputs in
 * slices) and push() keeps its frames until the next call; all of it is
 * reused, so push() allocates only while it returns more frames than ever
 * before, append()/next() only while a single append() is longer than any
 * before. Not thread-safe.
 */
class NEURALMIMO_API ofdm_rx_kernel
{
public:
    /*!
     * \param nt transmit streams, >= 1
     * \param nr receive antennas, >= 1
     * \param fft_len N, a power of two >= 8
     * \param cp_len cyclic prefix, in [1, N/2]
     * \param used_carriers signed carrier indices, strictly ascending, in
     *        [-N/2, N/2) (bin k mod N), n_used >= 2 of them
     * \param pilot_positions positions in used_carriers of the pilots (the
     *        order of pilot_values' second axis), each in [0, n_used)
     * \param data_positions positions in used_carriers of the data carriers, in
     *        output order, each in [0, n_used), at least one
     * \param n_data_symbols D >= 1
     * \param n_training_symbols T: Nt * R for "time", R for "comb"
     * \param ltf_repeats R >= 2
     * \param training "time" or "comb"
     * \param preamble_values complex128[n_used], antenna 0's preamble per used carrier
     * \param training_values complex128[T, n_used, Nt] row-major; the LS
     *        divisors (time: [j R, k, j]; comb: [0, k, k mod Nt]) must be nonzero
     * \param pilot_values complex128[D, P, Nt] row-major
     * \param constellation_points complex128[M], M >= 1 (EVM decisions)
     * \param threshold detection threshold of M(d), in (0, 1)
     * \param backoff FFT window advance into the CP, in [0, cp_len)
     * \param tracking "per_stream" or "common"
     * \throws std::invalid_argument naming the parameter and both values
     */
    ofdm_rx_kernel(int nt,
                   int nr,
                   int fft_len,
                   int cp_len,
                   const std::vector<int>& used_carriers,
                   const std::vector<int>& pilot_positions,
                   const std::vector<int>& data_positions,
                   int n_data_symbols,
                   int n_training_symbols,
                   int ltf_repeats,
                   const std::string& training,
                   const std::vector<std::complex<double>>& preamble_values,
                   const std::vector<std::complex<double>>& training_values,
                   const std::vector<std::complex<double>>& pilot_values,
                   const std::vector<std::complex<double>>& constellation_points,
                   double threshold,
                   int backoff,
                   const std::string& tracking);

    /*!
     * \brief Append m input samples and demodulate every frame completed so far.
     *
     * \param x complex64[m, Nr], sample-major (sample n of antenna r at n*Nr + r)
     * \param m number of samples, >= 0
     * \return the number of frames found; frame(0 ... count-1) holds them until
     *         the next push(). Never throws for any sample values.
     */
    int push(const std::complex<float>* x, int64_t m);

    //! Frame i (< the count returned by the last push()).
    const ofdm_rx_frame& frame(int i) const { return d_frames[i]; }

    /*!
     * \brief push() in two steps, one frame at a time (no storage per frame):
     *        append() buffers samples, then next() until it returns null.
     *
     * \param x complex64[m, Nr], sample-major
     */
    void append(const std::complex<float>* x, int64_t m);

    /*!
     * \brief Demodulate the next frame complete in the buffered samples.
     * \return the frame, valid until the next call of next(), push() or
     *         skip(); null when the buffered samples hold no further frame.
     */
    const ofdm_rx_frame* next();

    /*!
     * \brief Drop the next n input samples unprocessed, and every buffered
     *        sample (a receiver behind real time skips ahead). Frames in the
     *        dropped samples are lost; later ones are found as usual.
     * \throws std::invalid_argument if n < 0
     */
    void skip(int64_t n);

    uint64_t frames_found() const { return d_frames_found; }
    uint64_t samples_skipped() const { return d_samples_skipped; }

    int nt() const { return d_nt; }
    int nr() const { return d_nr; }
    int fft_len() const { return d_n; }
    int n_used() const { return d_n_used; }
    //! Data REs per frame: n_data_symbols * data carriers.
    int n_re() const { return d_n_data_sym * d_n_data; }
    /*!
     * \brief A lower bound on the distance between the starts of two frames found,
     *        n_symbols (cp + N) - 2 cp: at most 1 + n / frame_spacing() frames
     *        complete within n samples (buffered ones included).
     */
    int64_t frame_spacing() const
    {
        return static_cast<int64_t>(d_n_sym) * d_sl - 2 * static_cast<int64_t>(d_cp);
    }
    //! Samples buffered now (for tests of the buffer bound).
    int64_t buffered() const { return static_cast<int64_t>(d_buf.size()) / d_nr; }

private:
    enum class outcome { frame, none, wait };

    int64_t detect();
    outcome demodulate(int64_t d0, ofdm_rx_frame& f);
    void restart_search(int64_t pos);
    void trim();
    void estimate();
    void track();
    double evm();

    std::complex<double> sample(int64_t abs_index, int r) const
    {
        return std::complex<double>(d_buf[(abs_index - d_buf_start) * d_nr + r]);
    }
    // Index in d_fre, d_fim of symbol s, used carrier u, antenna r.
    size_t at(int s, int u, int r) const
    {
        return d_row[u] + static_cast<size_t>(s) * d_nr + r;
    }
    std::complex<double> value(int s, int u, int r) const
    {
        const size_t o = at(s, u, r);
        return { d_fre[o], d_fim[o] };
    }

    // --- configuration
    int d_nt, d_nr, d_n, d_cp, d_L, d_sl;
    int d_n_used, d_n_pilot, d_n_data;
    int d_n_data_sym, d_n_train, d_reps, d_n_sym;
    bool d_comb, d_per_stream;
    double d_threshold;
    int d_backoff, d_search, d_block;
    std::vector<int> d_used_bin, d_pilot_pos, d_data_pos;
    std::vector<int> d_car; // signed used carriers
    std::vector<std::complex<double>> d_train, d_pilots, d_points;
    // Constellation levels per axis if the points are their product grid, else empty.
    std::vector<double> d_grid_re, d_grid_im;
    std::vector<double> d_pre_re, d_pre_im;   // conj(preamble body) parts [N]
    std::vector<std::complex<double>> d_ramp; // comb: backoff phase ramp [n_used]
    std::vector<int> d_own;                   // comb: positions of antenna t's carriers
    std::vector<int> d_own_start;             // comb: [Nt + 1] offsets into d_own
    // comb, [Nt, n_used]: the np.interp segment j (own[j] <= k) of carrier k, and
    // whether the value is own[j]'s as it is (no interpolation).
    std::vector<int> d_interp_j;
    std::vector<char> d_interp_at;
    radix2_fft d_fft;

    // --- stream state
    std::vector<std::complex<float>> d_buf; // [samples, Nr] from d_buf_start
    int64_t d_buf_start = 0;
    int64_t d_pos = 0;    // next candidate start of the search
    int64_t d_anchor = 0; // start of the current metric span
    int d_ncp = 0, d_nce = 0;
    std::vector<std::complex<double>> d_cum_p; // cumulative sum of P terms from d_anchor
    std::vector<double> d_cum_e;               // cumulative sum of energies from d_anchor
    int64_t d_pending = -1;                    // a crossing that waits for samples
    bool d_stage1 = false; // coarse sync of d_pending done (d_peak, d_cfo0, d_wmax)
    int d_peak = 0;
    double d_cfo0 = 0.0, d_wmax = 0.0;
    uint64_t d_frames_found = 0, d_samples_skipped = 0;
    std::vector<ofdm_rx_frame> d_frames; // push()'s results
    ofdm_rx_frame d_out;                 // next()'s result

    // --- per-frame work buffers
    // Cumulative sums from the crossing d0 of the P terms and of the energies (the
    // metric over the fine-timing span).
    std::vector<std::complex<double>> d_p;
    std::vector<double> d_r;
    std::vector<double> d_head_re, d_head_im; // coarse-corrected head [Nr][n_head]
    std::vector<double> d_xc_re, d_xc_im, d_score;
    std::vector<std::complex<double>> d_rot;      // CFO phasor per sample of a window
    std::vector<std::complex<double>> d_head_rot; // coarse CFO phasors of the head
    std::vector<double> d_fre, d_fim;             // FFT input/output [N, S Nr]
    std::vector<size_t> d_row; // used carrier u's row in d_fre, d_fim: bin * S Nr
    std::vector<std::complex<double>> d_mean;                   // [G, n_used, Nr]
    std::vector<std::complex<double>> d_hest;                   // [n_used, Nr, Nt]
    std::vector<std::complex<double>> d_ls;                     // comb: [n_own, Nr]
    std::vector<std::complex<double>> d_g;                      // [D, Nt]
    std::vector<std::complex<double>> d_gp, d_ata, d_atb;       // tracking: G_p, solve
    std::vector<double> d_hest_re, d_hest_im, d_gt_re, d_gt_im; // output h, split parts
    // EVM, per data carrier side by side: H, Gram/Cholesky, 1/L_jj, W, y, x, errors
    std::vector<double> d_ev_hr, d_ev_hi, d_ev_lr, d_ev_li, d_ev_dinv, d_ev_wr, d_ev_wi;
    std::vector<double> d_ev_yr, d_ev_yi, d_ev_xr, d_ev_xi, d_ev_er, d_ev_ei;
    double d_nv = 0.0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_KERNEL_H */
