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
#include <memory>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief The MIMO-OFDM frame format as the receiver needs it (no GNU Radio types).
 *
 * The frame of python/neuralmimo/phy/ofdm.py (OfdmConfig) passed in as numbers
 * and tables, so that the numpy and C++ receivers share one frame definition;
 * phy/ofdm_rx_cpp.py fills it from an OfdmConfig. Complex tables are row-major.
 */
struct NEURALMIMO_API ofdm_frame_spec {
    int nt = 0;      //!< transmit streams, >= 1
    int nr = 0;      //!< receive antennas, >= 1
    int fft_len = 0; //!< N, a power of two >= 8
    int cp_len = 0;  //!< cyclic prefix, in [1, N/2]
    //! signed carrier indices, strictly ascending, in [-N/2, N/2) (bin k mod N),
    //! n_used >= 2 of them
    std::vector<int> used_carriers;
    //! positions in used_carriers of the pilots (the order of pilot_values' second axis)
    std::vector<int> pilot_positions;
    //! positions in used_carriers of the data carriers, in output order, at least one
    std::vector<int> data_positions;
    int n_data_symbols = 0;     //!< D >= 1
    int n_training_symbols = 0; //!< T: Nt * R for "time", R for "comb"
    int ltf_repeats = 0;        //!< R >= 2 (sigma^2 comes from the repeats)
    std::string training;       //!< "time" or "comb"
    //! complex128[n_used]: antenna 0's preamble per used carrier
    std::vector<std::complex<double>> preamble_values;
    //! complex128[T, n_used, Nt]; the LS divisors (time: [j R, k, j];
    //! comb: [0, k, k mod Nt]) must be nonzero
    std::vector<std::complex<double>> training_values;
    //! complex128[D, P, Nt]
    std::vector<std::complex<double>> pilot_values;
    //! complex128[M], M >= 1 (EVM decisions)
    std::vector<std::complex<double>> constellation_points;
    //! samples from one frame's start to the next's (n_symbols (cp_len + N) + gap), at
    //! least frame_spacing()
    int frame_len = 0;

    //! Preamble, training and data symbols.
    int n_symbols() const { return 1 + n_training_symbols + n_data_symbols; }
    /*!
     * \brief A lower bound on the distance between the starts of two frames found,
     *        n_symbols (cp + N) - 2 cp.
     */
    int64_t frame_spacing() const
    {
        return static_cast<int64_t>(n_symbols()) * (cp_len + fft_len) - 2 * cp_len;
    }
    //! \throws std::invalid_argument naming the field and both values
    void validate() const;
};

/*!
 * \brief The receiver's settings that are not part of the frame format.
 */
struct NEURALMIMO_API ofdm_rx_params {
    double threshold = 0.3; //!< detection threshold of M(d), in (0, 1)
    //! FFT window advance into the CP, in [0, cp_len) (OfdmReceiver: cp_len / 4)
    int backoff = 4;
    std::string tracking = "per_stream"; //!< "per_stream" or "common"
    //! the block's backlog bound: 0 (off) or >= 2 frame_len input samples
    int max_backlog = 0;

    //! \throws std::invalid_argument naming the field and both values
    void validate(const ofdm_frame_spec& spec) const;
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
 * step. In short (the Python module has the reasons):
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
    //! \throws std::invalid_argument (spec.validate(), params.validate(spec))
    ofdm_rx_kernel(const ofdm_frame_spec& spec, const ofdm_rx_params& params);
    ~ofdm_rx_kernel();
    //! A moved-from kernel may only be destroyed or assigned to.
    ofdm_rx_kernel(ofdm_rx_kernel&&) noexcept;
    ofdm_rx_kernel& operator=(ofdm_rx_kernel&&) noexcept;

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
    const ofdm_rx_frame& frame(int i) const;

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

    const ofdm_frame_spec& spec() const;
    const ofdm_rx_params& params() const;
    uint64_t frames_found() const;
    uint64_t samples_skipped() const;
    int n_used() const { return static_cast<int>(spec().used_carriers.size()); }
    //! Data REs per frame: n_data_symbols * data carriers.
    int n_re() const
    {
        return spec().n_data_symbols * static_cast<int>(spec().data_positions.size());
    }
    //! spec().frame_spacing(): at most 1 + n / frame_spacing() frames complete
    //! within n samples (buffered ones included).
    int64_t frame_spacing() const { return spec().frame_spacing(); }
    //! Samples buffered now (for tests of the buffer bound).
    int64_t buffered() const;

private:
    class impl; // the receiver's state and steps (lib/ofdm_rx_impl.h)
    std::unique_ptr<impl> d_impl;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_KERNEL_H */
