/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H
#define INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H

#include <gnuradio/block.h>
#include <gnuradio/neuralmimo/api.h>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

/*!
 * \brief MIMO-OFDM receiver block (C++): Nr receive channels -> per-RE
 *        (y, H, sigma^2) streams, around ofdm_rx_kernel.
 * \ingroup neuralmimo
 *
 * The block behind neuralmimo.ofdm_rx where the C++ kernel is used (the
 * Python factory derives the arguments from an OfdmConfig); it behaves as the
 * Python ofdm_rx block does with the "cpp" backend, item for item and tag for
 * tag.
 *
 * Input: gr_complex[Nr], sample n of every receive antenna. Outputs, n_re
 * items per frame (the frame's data REs in order):
 *  - 0 `y`: gr_complex[Nr]
 *  - 1 `h`: gr_complex[Nr * Nt], row-major (H[r, t] at r*Nt + t)
 *  - 2 `noise_var`: float[1], the frame's sigma^2 per complex receive dimension
 *
 * Tags at each frame's first output item: "chan_est" on output 1
 * (c32vector: H of every used carrier, complex64[n_used, Nr, Nt] row-major)
 * and "frame_info" on output 0 (dict: start, fft_start (integers), cfo,
 * noise_var, snr_db, evm, metric (doubles); see ofdm_rx_frame). Input tags
 * are not propagated.
 *
 * max_backlog > 0 (a live radio): when more than max_backlog input samples
 * wait, all but the last 2 * frame_len are dropped unprocessed
 * (samples_skipped() counts them).
 */
class NEURALMIMO_API ofdm_rx_block : virtual public gr::block
{
public:
    typedef std::shared_ptr<ofdm_rx_block> sptr;

    /*!
     * \brief Make an OFDM receiver block.
     *
     * The arguments nt ... tracking are those of ofdm_rx_kernel (see
     * ofdm_rx_kernel.h for their shapes and ranges), the complex tables
     * flattened row-major.
     *
     * \param frame_len samples per frame, n_symbols * (cp_len + fft_len) + gap,
     *        at least n_symbols * (cp_len + fft_len) - 2 cp_len
     * \param max_backlog 0 (off) or >= 2 * frame_len input samples
     * \throws std::invalid_argument naming the parameter and the values
     */
    static sptr make(int nt,
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
                     const std::string& tracking,
                     int frame_len,
                     int max_backlog = 0);

    //! Frames found so far (thread-safe).
    virtual uint64_t frames_found() const = 0;
    //! Input samples dropped unprocessed because of max_backlog (thread-safe).
    virtual uint64_t samples_skipped() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H */
