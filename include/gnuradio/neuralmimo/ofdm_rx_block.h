/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H
#define INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H

#include <gnuradio/block.h>
#include <gnuradio/neuralmimo/api.h>
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <cstdint>

namespace gr {
namespace neuralmimo {

/*!
 * \brief MIMO-OFDM receiver block (C++): Nr receive channels -> per-RE
 *        (y, H, sigma^2) streams, around ofdm_rx_kernel.
 * \ingroup neuralmimo
 *
 * The block behind neuralmimo.ofdm_rx where the C++ kernel is used (the
 * Python factory fills spec and params from an OfdmConfig); it behaves as the
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
 * params.max_backlog > 0 (a live radio): when more than max_backlog input
 * samples wait, all but the last 2 * spec.frame_len are dropped unprocessed
 * (samples_skipped() counts them).
 */
class NEURALMIMO_API ofdm_rx_block : virtual public gr::block
{
public:
    typedef std::shared_ptr<ofdm_rx_block> sptr;

    /*!
     * \brief Make an OFDM receiver block.
     *
     * \param spec the frame format (spec.frame_len sets the backlog unit)
     * \param params the receiver's settings, params.max_backlog included
     * \throws std::invalid_argument naming the parameter and the values
     *         (spec.validate(), params.validate(spec))
     */
    static sptr make(const ofdm_frame_spec& spec, const ofdm_rx_params& params);

    //! Frames found so far (thread-safe).
    virtual uint64_t frames_found() const = 0;
    //! Input samples dropped unprocessed because of max_backlog (thread-safe).
    virtual uint64_t samples_skipped() const = 0;
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_BLOCK_H */
