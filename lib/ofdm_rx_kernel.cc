/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * ofdm_rx_kernel: the receiver's set-up (tables derived from the frame spec)
 * and its streaming (input buffer, search restarts, push/next/skip).
 */

#include "ofdm_rx_impl.h"
#include "ofdm_rx_math.h"
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gr {
namespace neuralmimo {

using namespace ofdm_math;

// --- the public class: checks its arguments, then hands every call to impl ----------

ofdm_rx_kernel::ofdm_rx_kernel(const ofdm_frame_spec& spec, const ofdm_rx_params& params)
{
    spec.validate();
    params.validate(spec);
    d_impl = std::make_unique<impl>(spec, params);
}

ofdm_rx_kernel::~ofdm_rx_kernel() = default;
ofdm_rx_kernel::ofdm_rx_kernel(ofdm_rx_kernel&&) noexcept = default;
ofdm_rx_kernel& ofdm_rx_kernel::operator=(ofdm_rx_kernel&&) noexcept = default;

int ofdm_rx_kernel::push(const cf* x, int64_t m) { return d_impl->push(x, m); }
const ofdm_rx_frame& ofdm_rx_kernel::frame(int i) const { return d_impl->d_frames[i]; }
void ofdm_rx_kernel::append(const cf* x, int64_t m) { d_impl->append(x, m); }
const ofdm_rx_frame* ofdm_rx_kernel::next() { return d_impl->next(); }
void ofdm_rx_kernel::skip(int64_t n) { d_impl->skip(n); }
const ofdm_frame_spec& ofdm_rx_kernel::spec() const { return d_impl->d_spec; }
const ofdm_rx_params& ofdm_rx_kernel::params() const { return d_impl->d_params; }
uint64_t ofdm_rx_kernel::frames_found() const { return d_impl->d_frames_found; }
uint64_t ofdm_rx_kernel::samples_skipped() const { return d_impl->d_samples_skipped; }
int64_t ofdm_rx_kernel::buffered() const { return d_impl->buffered(); }

// --- set-up --------------------------------------------------------------------------

ofdm_rx_kernel::impl::impl(const ofdm_frame_spec& spec, const ofdm_rx_params& params)
    : d_spec(spec),
      d_params(params),
      d_nt(spec.nt),
      d_nr(spec.nr),
      d_n(spec.fft_len),
      d_cp(spec.cp_len),
      d_L(spec.fft_len / 2),
      d_sl(spec.fft_len + spec.cp_len),
      d_n_used(static_cast<int>(spec.used_carriers.size())),
      d_n_pilot(static_cast<int>(spec.pilot_positions.size())),
      d_n_data(static_cast<int>(spec.data_positions.size())),
      d_n_data_sym(spec.n_data_symbols),
      d_n_train(spec.n_training_symbols),
      d_reps(spec.ltf_repeats),
      d_n_sym(spec.n_symbols()),
      d_comb(spec.training == "comb"),
      d_per_stream(params.tracking == "per_stream"),
      d_threshold(params.threshold),
      d_backoff(params.backoff),
      d_search(spec.fft_len / 2 + spec.cp_len + params.backoff),
      d_block(4 * (spec.fft_len + spec.cp_len) + 1),
      d_car(d_spec.used_carriers),
      d_pilot_pos(d_spec.pilot_positions),
      d_data_pos(d_spec.data_positions),
      d_train(d_spec.training_values),
      d_pilots(d_spec.pilot_values),
      d_points(d_spec.constellation_points),
      d_used_bin(spec.used_carriers.size()),
      d_fft(spec.fft_len)
{
    const int nt = d_nt, nr = d_nr, fft_len = d_n, backoff = d_backoff;
    const int n_re = d_n_data_sym * d_n_data;
    for (int u = 0; u < d_n_used; ++u)
        d_used_bin[u] = (d_car[u] % fft_len + fft_len) % fft_len;

    // Time-domain preamble body as antenna 0 sends it (fine timing), kept as
    // the real and imaginary parts of its conjugate (the correlation loop).
    std::vector<cd> grid(fft_len, 0.0);
    for (int u = 0; u < d_n_used; ++u)
        grid[d_used_bin[u]] = spec.preamble_values[u];
    d_fft.inverse(grid.data());
    d_pre_re.resize(fft_len);
    d_pre_im.resize(fft_len);
    for (int n = 0; n < fft_len; ++n) {
        d_pre_re[n] = grid[n].real();
        d_pre_im[n] = -grid[n].imag();
    }

    if (d_comb) {
        // The FFT windows start `backoff` samples early: H turns by 2 pi backoff / N
        // per carrier. Interpolation runs with that ramp removed.
        d_ramp.resize(d_n_used);
        for (int u = 0; u < d_n_used; ++u)
            d_ramp[u] = std::exp(cd(0.0, -2.0 * k_pi * d_car[u] * backoff / fft_len));
        d_own_start.assign(nt + 1, 0);
        for (int t = 0; t < nt; ++t) {
            d_own_start[t] = static_cast<int>(d_own.size());
            for (int u = t; u < d_n_used; u += nt)
                d_own.push_back(u);
        }
        d_own_start[nt] = static_cast<int>(d_own.size());
        // np.interp(k, xp, fp): fp[0] left of xp, fp[-1] right of it, fp[j] at
        // xp[j], else fp[j] + slope (k - xp[j]) with xp[j] < k < xp[j + 1].
        d_interp_j.resize(static_cast<size_t>(nt) * d_n_used);
        d_interp_at.resize(static_cast<size_t>(nt) * d_n_used);
        for (int t = 0; t < nt; ++t) {
            const int* own = d_own.data() + d_own_start[t];
            const int n_own = d_own_start[t + 1] - d_own_start[t];
            for (int u = 0; u < d_n_used; ++u) {
                const int k = d_car[u];
                int j = 0;
                bool at = true;
                if (k <= d_car[own[0]])
                    j = 0;
                else if (k >= d_car[own[n_own - 1]])
                    j = n_own - 1;
                else {
                    while (d_car[own[j + 1]] <= k)
                        ++j;
                    at = d_car[own[j]] == k;
                }
                d_interp_j[t * d_n_used + u] = j;
                d_interp_at[t * d_n_used + u] = at;
            }
        }
        d_ls.resize(static_cast<size_t>(d_n_used) * nr);
    }

    // Levels of the constellation on each axis, if it is their product grid.
    for (const cd& pt : d_points) {
        if (std::find(d_grid_re.begin(), d_grid_re.end(), pt.real()) == d_grid_re.end())
            d_grid_re.push_back(pt.real());
        if (std::find(d_grid_im.begin(), d_grid_im.end(), pt.imag()) == d_grid_im.end())
            d_grid_im.push_back(pt.imag());
    }
    bool product = d_grid_re.size() * d_grid_im.size() == d_points.size();
    for (size_t i = 0; product && i < d_points.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            product = product && d_points[i] != d_points[j];
    if (!product) {
        d_grid_re.clear();
        d_grid_im.clear();
    }

    d_span_p.reset(d_L, d_block + d_L);
    d_span_e.reset(d_L, d_block + 2 * d_L);
    d_p.reset(d_L, d_search + d_L);
    d_r.reset(d_L, d_search + 2 * d_L);
    d_head_re.resize(static_cast<size_t>(nr) * (d_search + fft_len));
    d_head_im.resize(static_cast<size_t>(nr) * (d_search + fft_len));
    d_xc_re.resize(d_search + 1);
    d_xc_im.resize(d_search + 1);
    d_score.resize(d_search + 1);
    d_rot.resize(fft_len);
    d_head_rot.resize(d_search + fft_len);
    d_hest_re.resize(static_cast<size_t>(d_n_used) * nr * nt);
    d_hest_im.resize(static_cast<size_t>(d_n_used) * nr * nt);
    d_gt_re.resize(static_cast<size_t>(nr) * nt);
    d_gt_im.resize(static_cast<size_t>(nr) * nt);
    {
        const size_t K = d_n_data;
        for (auto* v : { &d_ev_xr, &d_ev_xi, &d_ev_er, &d_ev_ei })
            v->resize(K);
        for (auto* v : { &d_ev_yr, &d_ev_yi })
            v->resize(nr * K);
        for (auto* v : { &d_ev_hr, &d_ev_hi, &d_ev_wr, &d_ev_wi })
            v->resize(static_cast<size_t>(nr) * nt * K);
        for (auto* v : { &d_ev_lr, &d_ev_li })
            v->resize(static_cast<size_t>(nt) * nt * K);
        d_ev_dinv.resize(nt * K);
    }
    d_fre.resize(static_cast<size_t>(fft_len) * d_n_sym * nr);
    d_fim.resize(static_cast<size_t>(fft_len) * d_n_sym * nr);
    d_row.resize(d_n_used);
    for (int u = 0; u < d_n_used; ++u)
        d_row[u] = static_cast<size_t>(d_used_bin[u]) * d_n_sym * nr;
    d_mean.resize(static_cast<size_t>(d_comb ? 1 : nt) * d_n_used * nr);
    d_hest.resize(static_cast<size_t>(d_n_used) * nr * nt);
    d_g.resize(static_cast<size_t>(d_n_data_sym) * nt);
    d_gp.resize(static_cast<size_t>(d_n_pilot) * nt * nt);
    d_ata.resize(static_cast<size_t>(nt) * nt);
    d_atb.resize(nt);
    d_out.h_est.resize(static_cast<size_t>(d_n_used) * nr * nt);
    d_out.y.resize(static_cast<size_t>(n_re) * nr);
    d_out.h.resize(static_cast<size_t>(n_re) * nr * nt);
    restart_search(0);
}

// --- streaming -----------------------------------------------------------------------

void ofdm_rx_kernel::impl::restart_search(int64_t pos)
{
    d_pos = d_anchor = pos;
    d_span_p.clear();
    d_span_e.clear();
}

void ofdm_rx_kernel::impl::append(const std::complex<float>* x, int64_t m)
{
    trim();
    if (m > 0)
        d_buf.insert(d_buf.end(), x, x + m * d_nr);
}

void ofdm_rx_kernel::impl::trim()
{
    // Everything before the current span's start is done with.
    const int64_t keep =
        std::min<int64_t>(std::max<int64_t>(d_anchor - d_buf_start, 0), buffered());
    if (keep > 0) {
        d_buf.erase(d_buf.begin(), d_buf.begin() + keep * d_nr);
        d_buf_start += keep;
    }
}

const ofdm_rx_frame* ofdm_rx_kernel::impl::next()
{
    while (true) {
        const int64_t d0 = d_pending >= 0 ? d_pending : detect();
        if (d0 < 0)
            break;
        const outcome o = demodulate(d0, d_out);
        if (o == outcome::wait) { // the rest of this frame has not arrived yet
            d_pending = d0;
            break;
        }
        d_pending = -1;
        if (o == outcome::none) { // a false alarm: search on just after it
            restart_search(d0 + 1);
            continue;
        }
        ++d_frames_found;
        // Resume just before this frame's end: the next preamble's metric starts
        // rising up to L samples before it.
        restart_search(d_out.start + static_cast<int64_t>(d_n_sym) * d_sl - d_cp);
        return &d_out;
    }
    trim();
    return nullptr;
}

int ofdm_rx_kernel::impl::push(const std::complex<float>* x, int64_t m)
{
    // In slices, so that the buffer stays a few frames long (in cache, no
    // growth) however long the push; results do not depend on the slicing.
    constexpr int64_t slice = 8192;
    int count = 0;
    int64_t off = 0;
    do {
        const int64_t n = std::min(slice, m - off);
        append(x + off * d_nr, n);
        off += std::max<int64_t>(n, 0);
        while (const ofdm_rx_frame* f = next()) {
            if (count == static_cast<int>(d_frames.size()))
                d_frames.push_back(*f);
            else
                d_frames[count] = *f; // reuses the vectors' memory
            ++count;
        }
    } while (off < m);
    return count;
}

void ofdm_rx_kernel::impl::skip(int64_t n)
{
    if (n < 0)
        throw std::invalid_argument("ofdm_rx_kernel: skip: n must be >= 0, got " +
                                    std::to_string(n));
    const int64_t end = d_buf_start + buffered() + n;
    d_buf.clear();
    d_buf_start = end;
    d_pending = -1;
    d_stage1 = false;
    restart_search(end);
    d_samples_skipped += static_cast<uint64_t>(n);
}

} // namespace neuralmimo
} // namespace gr
