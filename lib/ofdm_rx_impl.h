/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The state and the steps of ofdm_rx_kernel (internal). The steps live in
 * one file each: streaming and set-up in ofdm_rx_kernel.cc, detection,
 * timing and CFO in ofdm_rx_sync.cc, the LS estimate and phase tracking in
 * ofdm_rx_estimate.cc, the LMMSE equaliser's EVM in ofdm_rx_evm.cc.
 */

#ifndef INCLUDED_NEURALMIMO_OFDM_RX_IMPL_H
#define INCLUDED_NEURALMIMO_OFDM_RX_IMPL_H

#include "ofdm_fft.h"
#include "ofdm_rx_math.h"
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <complex>
#include <cstdint>
#include <vector>

namespace gr {
namespace neuralmimo {

class ofdm_rx_kernel::impl
{
public:
    //! spec and params must have been validated.
    impl(const ofdm_frame_spec& spec, const ofdm_rx_params& params);
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    int push(const std::complex<float>* x, int64_t m);
    void append(const std::complex<float>* x, int64_t m);
    const ofdm_rx_frame* next();
    void skip(int64_t n);
    int64_t buffered() const { return static_cast<int64_t>(d_buf.size()) / d_nr; }

    const ofdm_frame_spec d_spec;
    const ofdm_rx_params d_params;
    uint64_t d_frames_found = 0, d_samples_skipped = 0;
    std::vector<ofdm_rx_frame> d_frames; // push()'s results

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

    // --- configuration (d_spec, d_params) in the steps' short names
    const int d_nt, d_nr, d_n, d_cp, d_L, d_sl;
    const int d_n_used, d_n_pilot, d_n_data;
    const int d_n_data_sym, d_n_train, d_reps, d_n_sym;
    const bool d_comb, d_per_stream;
    const double d_threshold;
    const int d_backoff, d_search, d_block;
    const std::vector<int>& d_car; // signed used carriers
    const std::vector<int>& d_pilot_pos;
    const std::vector<int>& d_data_pos;
    const std::vector<std::complex<double>>& d_train;
    const std::vector<std::complex<double>>& d_pilots;
    const std::vector<std::complex<double>>& d_points;
    // --- tables derived from it
    std::vector<int> d_used_bin; // FFT bin of each used carrier
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
    // Window sums of the P terms and of the energies from d_anchor (the metric's span).
    ofdm_math::window_sums<std::complex<double>> d_span_p;
    ofdm_math::window_sums<double> d_span_e;
    int64_t d_pending = -1;                    // a crossing that waits for samples
    bool d_stage1 = false; // coarse sync of d_pending done (d_peak, d_cfo0, d_wmax)
    int d_peak = 0;
    double d_cfo0 = 0.0, d_wmax = 0.0;
    ofdm_rx_frame d_out; // next()'s result

    // --- per-frame work buffers
    // Window sums from the crossing d0 of the P terms and of the energies (the
    // metric over the fine-timing span).
    ofdm_math::window_sums<std::complex<double>> d_p;
    ofdm_math::window_sums<double> d_r;
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

#endif /* INCLUDED_NEURALMIMO_OFDM_RX_IMPL_H */
