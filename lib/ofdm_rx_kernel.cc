/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gr {
namespace neuralmimo {

namespace {

using cd = std::complex<double>;
using cf = std::complex<float>;

constexpr double k_pi = 3.14159265358979323846;
constexpr double k_r_floor = 1e-30;  // floor of E1 E2 in M(d), as the numpy receiver
constexpr double k_track_reg = 1e-9; // regularisation of the per-stream phase fit

[[noreturn]] void bad_arg(const std::string& what)
{
    throw std::invalid_argument("ofdm_rx_kernel: " + what);
}

bool power_of_two(int n) { return n >= 2 && (n & (n - 1)) == 0; }

/*
 * Explicit complex products for the loops that run per sample: std::complex's
 * operator* checks every result for NaN (C99 Annex G) and calls a library
 * routine then, which keeps GCC from vectorising the loop. Finite inputs give
 * the same value either way.
 */
inline cd mul(cd a, cd b)
{
    return { a.real() * b.real() - a.imag() * b.imag(),
             a.real() * b.imag() + a.imag() * b.real() };
}
inline cd mul_conj(cd a, cd b) // conj(a) * b
{
    return { a.real() * b.real() + a.imag() * b.imag(),
             a.real() * b.imag() - a.imag() * b.real() };
}
inline double abs2(cd a) { return a.real() * a.real() + a.imag() * a.imag(); }

/*
 * a / b by Smith's method, the formula of numpy's complex division (so that
 * the LS estimates round as the numpy receiver's do); inline, where
 * std::complex's operator/ calls a library routine.
 */
inline cd div(cd a, cd b)
{
    const double br = b.real(), bi = b.imag();
    if (std::abs(br) >= std::abs(bi)) {
        if (br == 0.0 && bi == 0.0)
            return { a.real() / std::abs(br), a.imag() / std::abs(br) };
        const double rat = bi / br;
        const double scl = 1.0 / (br + bi * rat);
        return { (a.real() + a.imag() * rat) * scl, (a.imag() - a.real() * rat) * scl };
    }
    const double rat = br / bi;
    const double scl = 1.0 / (bi + br * rat);
    return { (a.real() * rat + a.imag()) * scl, (a.imag() * rat - a.real()) * scl };
}

/*
 * Solves m x = b in place (m: n x n, b: n x k, row-major; x overwrites b) by
 * Gaussian elimination with partial pivoting, the pivot chosen by
 * |re| + |im| and rows scaled by its reciprocal, as LAPACK's zgesv
 * (numpy.linalg.solve) does. The matrices here are regularised Gram matrices
 * (+1e-9 I or + sigma^2 I), so a zero pivot only comes from non-finite input,
 * which then gives non-finite output. m's diagonal ends up holding the
 * reciprocal pivots.
 */
void solve(cd* m, cd* b, int n, int k)
{
    for (int c = 0; c < n; ++c) {
        int piv = c;
        double best = std::abs(m[c * n + c].real()) + std::abs(m[c * n + c].imag());
        for (int r = c + 1; r < n; ++r) {
            const double v =
                std::abs(m[r * n + c].real()) + std::abs(m[r * n + c].imag());
            if (v > best) {
                best = v;
                piv = r;
            }
        }
        if (piv != c) {
            for (int j = 0; j < n; ++j)
                std::swap(m[c * n + j], m[piv * n + j]);
            for (int j = 0; j < k; ++j)
                std::swap(b[c * k + j], b[piv * k + j]);
        }
        const cd inv = div(1.0, m[c * n + c]);
        m[c * n + c] = inv;
        for (int r = c + 1; r < n; ++r) {
            const cd f = mul(m[r * n + c], inv);
            for (int j = c + 1; j < n; ++j)
                m[r * n + j] -= mul(f, m[c * n + j]);
            for (int j = 0; j < k; ++j)
                b[r * k + j] -= mul(f, b[c * k + j]);
        }
    }
    for (int c = n - 1; c >= 0; --c) {
        for (int j = 0; j < k; ++j) {
            cd acc = b[c * k + j];
            for (int i = c + 1; i < n; ++i)
                acc -= mul(m[c * n + i], b[i * k + j]);
            b[c * k + j] = mul(acc, m[c * n + c]);
        }
    }
}

/*
 * out[n] = exp(i phase n), n < count, from 2 sqrt(count) calls of sincos:
 * exp(i phase (16 q + j)) = exp(i phase 16 q) exp(i phase j), each factor
 * exact to rounding, so the product is within a few ulp of a direct call.
 */
void phasors(double phase, int count, cd* out)
{
    constexpr int q_len = 16;
    cd lo[q_len];
    for (int j = 0; j < q_len && j < count; ++j)
        lo[j] = std::polar(1.0, phase * j);
    for (int q = 0; q * q_len < count; ++q) {
        const cd hi = std::polar(1.0, phase * (q * q_len));
        for (int j = 0; j < q_len && q * q_len + j < count; ++j)
            out[q * q_len + j] = mul(hi, lo[j]);
    }
}

std::string str(double v)
{
    std::string s = std::to_string(v);
    // to_string prints 6 decimals: trim the zeros so that 0.3 reads "0.3".
    if (s.find('.') != std::string::npos) {
        s.erase(s.find_last_not_of('0') + 1);
        if (s.back() == '.')
            s.pop_back();
    }
    return s;
}

} // namespace

// --- FFT ---------------------------------------------------------------------------

radix2_fft::radix2_fft(int n) : d_n(n)
{
    if (!power_of_two(n))
        throw std::invalid_argument(
            "radix2_fft: fft_len must be a power of two >= 2, got " + std::to_string(n));
    d_scale = 1.0 / std::sqrt(static_cast<double>(n));
    int bits = 0;
    while ((1 << bits) < n)
        ++bits;
    d_rev.resize(n);
    for (int i = 0; i < n; ++i) {
        int r = 0;
        for (int b = 0; b < bits; ++b)
            r |= ((i >> b) & 1) << (bits - 1 - b);
        d_rev[i] = r;
    }
    d_tw.resize(n / 2);
    for (int k = 0; k < n / 2; ++k)
        d_tw[k] = std::polar(1.0, -2.0 * k_pi * k / n);
}

void radix2_fft::transform(std::complex<double>* x, bool inverse) const
{
    const int n = d_n;
    for (int i = 0; i < n; ++i) {
        const int j = d_rev[i];
        if (i < j)
            std::swap(x[i], x[j]);
    }
    // Decimation in time: butterflies of span len, twiddle exp(-+2 pi i j / len)
    // = d_tw[j * n / len].
    for (int len = 2; len <= n; len <<= 1) {
        const int half = len / 2;
        const int step = n / len;
        for (int i = 0; i < n; i += len) {
            for (int j = 0; j < half; ++j) {
                cd w = d_tw[j * step];
                if (inverse)
                    w = std::conj(w);
                const cd u = x[i + j];
                const cd v = mul(x[i + j + half], w);
                x[i + j] = u + v;
                x[i + j + half] = u - v;
            }
        }
    }
    for (int i = 0; i < n; ++i)
        x[i] *= d_scale;
}

void radix2_fft::forward_batch(double* re, double* im, int batch) const
{
    const int n = d_n;
    for (int i = 0; i < n; ++i) {
        const int j = d_rev[i];
        if (i < j) {
            std::swap_ranges(re + static_cast<size_t>(i) * batch,
                             re + static_cast<size_t>(i + 1) * batch,
                             re + static_cast<size_t>(j) * batch);
            std::swap_ranges(im + static_cast<size_t>(i) * batch,
                             im + static_cast<size_t>(i + 1) * batch,
                             im + static_cast<size_t>(j) * batch);
        }
    }
    // The butterflies of transform(), each applied to a whole row of transforms:
    // the loop over b runs over contiguous memory and vectorises.
    for (int len = 2; len <= n; len <<= 1) {
        const int half = len / 2;
        const int step = n / len;
        for (int i = 0; i < n; i += len) {
            for (int j = 0; j < half; ++j) {
                const double wr = d_tw[j * step].real(), wi = d_tw[j * step].imag();
                double* __restrict ar = re + static_cast<size_t>(i + j) * batch;
                double* __restrict ai = im + static_cast<size_t>(i + j) * batch;
                double* __restrict br = re + static_cast<size_t>(i + j + half) * batch;
                double* __restrict bi = im + static_cast<size_t>(i + j + half) * batch;
                for (int b = 0; b < batch; ++b) {
                    const double vr = br[b] * wr - bi[b] * wi;
                    const double vi = br[b] * wi + bi[b] * wr;
                    const double ur = ar[b], ui = ai[b];
                    ar[b] = ur + vr;
                    ai[b] = ui + vi;
                    br[b] = ur - vr;
                    bi[b] = ui - vi;
                }
            }
        }
    }
    const size_t total = static_cast<size_t>(n) * batch;
    for (size_t i = 0; i < total; ++i) {
        re[i] *= d_scale;
        im[i] *= d_scale;
    }
}

// --- receiver ----------------------------------------------------------------------

ofdm_rx_kernel::ofdm_rx_kernel(
    int nt,
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
    const std::string& tracking)
    : d_nt(nt),
      d_nr(nr),
      d_n(fft_len),
      d_cp(cp_len),
      d_L(fft_len / 2),
      d_sl(fft_len + cp_len),
      d_n_used(static_cast<int>(used_carriers.size())),
      d_n_pilot(static_cast<int>(pilot_positions.size())),
      d_n_data(static_cast<int>(data_positions.size())),
      d_n_data_sym(n_data_symbols),
      d_n_train(n_training_symbols),
      d_reps(ltf_repeats),
      d_n_sym(1 + n_training_symbols + n_data_symbols),
      d_comb(training == "comb"),
      d_per_stream(tracking == "per_stream"),
      d_threshold(threshold),
      d_backoff(backoff),
      d_search(fft_len / 2 + cp_len + backoff),
      d_block(4 * (fft_len + cp_len) + 1),
      d_used_bin(used_carriers.size()),
      d_pilot_pos(pilot_positions),
      d_data_pos(data_positions),
      d_car(used_carriers),
      d_train(training_values),
      d_pilots(pilot_values),
      d_points(constellation_points),
      d_fft(power_of_two(fft_len) ? fft_len : 2) // fft_len is checked (and named) below
{
    if (nt < 1)
        bad_arg("nt must be >= 1, got " + std::to_string(nt));
    if (nr < 1)
        bad_arg("nr must be >= 1, got " + std::to_string(nr));
    if (!power_of_two(fft_len) || fft_len < 8)
        bad_arg("fft_len must be a power of two >= 8, got " + std::to_string(fft_len));
    if (cp_len < 1 || cp_len > fft_len / 2)
        bad_arg("cp_len must be in [1, fft_len/2 = " + std::to_string(fft_len / 2) +
                "], got " + std::to_string(cp_len));
    if (d_n_used < 2)
        bad_arg("used_carriers must hold >= 2 carriers, got " + std::to_string(d_n_used));
    for (int u = 0; u < d_n_used; ++u) {
        const int k = used_carriers[u];
        if (k < -fft_len / 2 || k >= fft_len / 2)
            bad_arg("used carrier " + std::to_string(k) +
                    " is outside [-fft_len/2, fft_len/2) = [" +
                    std::to_string(-fft_len / 2) + ", " + std::to_string(fft_len / 2) +
                    ")");
        if (u > 0 && k <= used_carriers[u - 1])
            bad_arg("used_carriers must be strictly ascending, got " +
                    std::to_string(used_carriers[u - 1]) + " then " + std::to_string(k));
        d_used_bin[u] = (k % fft_len + fft_len) % fft_len;
    }
    for (int p : pilot_positions)
        if (p < 0 || p >= d_n_used)
            bad_arg("pilot position " + std::to_string(p) +
                    " is outside [0, n_used = " + std::to_string(d_n_used) + ")");
    if (d_n_data < 1)
        bad_arg("data_positions must hold >= 1 position, got 0");
    for (int p : data_positions)
        if (p < 0 || p >= d_n_used)
            bad_arg("data position " + std::to_string(p) +
                    " is outside [0, n_used = " + std::to_string(d_n_used) + ")");
    if (n_data_symbols < 1)
        bad_arg("n_data_symbols must be >= 1, got " + std::to_string(n_data_symbols));
    if (ltf_repeats < 2)
        bad_arg("ltf_repeats must be >= 2 (sigma^2 comes from the repeats), got " +
                std::to_string(ltf_repeats));
    if (training != "time" && training != "comb")
        bad_arg("training must be 'time' or 'comb', got '" + training + "'");
    const int want_t = d_comb ? ltf_repeats : nt * ltf_repeats;
    if (n_training_symbols != want_t)
        bad_arg("n_training_symbols must be " +
                std::string(d_comb ? "ltf_repeats" : "nt * ltf_repeats") + " = " +
                std::to_string(want_t) + " for '" + training + "' training, got " +
                std::to_string(n_training_symbols));
    if (d_comb && d_n_used < 2 * nt)
        bad_arg("comb training needs n_used >= 2 nt = " + std::to_string(2 * nt) +
                ", got " + std::to_string(d_n_used));
    if (static_cast<int>(preamble_values.size()) != d_n_used)
        bad_arg("preamble_values must hold n_used = " + std::to_string(d_n_used) +
                " values, got " + std::to_string(preamble_values.size()));
    const size_t want_tv = static_cast<size_t>(n_training_symbols) * d_n_used * nt;
    if (training_values.size() != want_tv)
        bad_arg("training_values must be [T, n_used, nt] = " + std::to_string(want_tv) +
                " values, got " + std::to_string(training_values.size()));
    const size_t want_pv = static_cast<size_t>(n_data_symbols) * d_n_pilot * nt;
    if (pilot_values.size() != want_pv)
        bad_arg("pilot_values must be [n_data_symbols, n_pilots, nt] = " +
                std::to_string(want_pv) + " values, got " +
                std::to_string(pilot_values.size()));
    if (constellation_points.empty())
        bad_arg("constellation_points must hold >= 1 point, got 0");
    if (!(threshold > 0.0 && threshold < 1.0))
        bad_arg("threshold must be in (0, 1), got " + str(threshold));
    if (backoff < 0 || backoff >= cp_len)
        bad_arg("backoff must be in [0, cp_len = " + std::to_string(cp_len) + "), got " +
                std::to_string(backoff));
    if (tracking != "per_stream" && tracking != "common")
        bad_arg("tracking must be 'per_stream' or 'common', got '" + tracking + "'");
    // The LS divisors: a zero there would make every frame's estimate infinite.
    for (int u = 0; u < d_n_used; ++u)
        for (int t = 0; t < nt; ++t) {
            if (d_comb && u % nt != t)
                continue;
            const int sym = d_comb ? 0 : t * ltf_repeats;
            if (training_values[(static_cast<size_t>(sym) * d_n_used + u) * nt + t] ==
                cd(0.0))
                bad_arg("training value [" + std::to_string(sym) + ", " +
                        std::to_string(u) + ", " + std::to_string(t) +
                        "] is 0, the LS estimate divides by it");
        }

    // Time-domain preamble body as antenna 0 sends it (fine timing), kept as
    // the real and imaginary parts of its conjugate (the correlation loop).
    std::vector<cd> grid(fft_len, 0.0);
    for (int u = 0; u < d_n_used; ++u)
        grid[d_used_bin[u]] = preamble_values[u];
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

    d_cum_p.assign(d_block + d_L + 1, 0.0);
    d_cum_e.assign(d_block + 2 * d_L + 1, 0.0);
    d_p.resize(d_search + d_L + 1);
    d_r.resize(d_search + 2 * d_L + 1);
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
    d_g.resize(static_cast<size_t>(n_data_symbols) * nt);
    d_gp.resize(static_cast<size_t>(d_n_pilot) * nt * nt);
    d_ata.resize(static_cast<size_t>(nt) * nt);
    d_atb.resize(nt);
    d_out.h_est.resize(static_cast<size_t>(d_n_used) * nr * nt);
    d_out.y.resize(static_cast<size_t>(n_re()) * nr);
    d_out.h.resize(static_cast<size_t>(n_re()) * nr * nt);
    restart_search(0);
}

void ofdm_rx_kernel::restart_search(int64_t pos)
{
    d_pos = d_anchor = pos;
    d_ncp = d_nce = 0;
}

void ofdm_rx_kernel::append(const std::complex<float>* x, int64_t m)
{
    trim();
    if (m > 0)
        d_buf.insert(d_buf.end(), x, x + m * d_nr);
}

void ofdm_rx_kernel::trim()
{
    // Everything before the current span's start is done with.
    const int64_t keep =
        std::min<int64_t>(std::max<int64_t>(d_anchor - d_buf_start, 0), buffered());
    if (keep > 0) {
        d_buf.erase(d_buf.begin(), d_buf.begin() + keep * d_nr);
        d_buf_start += keep;
    }
}

const ofdm_rx_frame* ofdm_rx_kernel::next()
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

int ofdm_rx_kernel::push(const std::complex<float>* x, int64_t m)
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

void ofdm_rx_kernel::skip(int64_t n)
{
    if (n < 0)
        bad_arg("skip: n must be >= 0, got " + std::to_string(n));
    const int64_t end = d_buf_start + buffered() + n;
    d_buf.clear();
    d_buf_start = end;
    d_pending = -1;
    d_stage1 = false;
    restart_search(end);
    d_samples_skipped += static_cast<uint64_t>(n);
}

/*
 * The first d >= d_pos with M(d) > threshold and E1 E2 > 0, or -1 when the
 * buffered samples hold none. P and E come from cumulative sums that restart
 * at the start of every span (d_block candidates), so each value depends only
 * on the span start and its own samples, never on how the input was chunked.
 */
int64_t ofdm_rx_kernel::detect()
{
    const int L = d_L;
    const int64_t end = d_buf_start + buffered();
    while (true) {
        const int64_t last = std::min<int64_t>(d_anchor + d_block - 1, end - 2 * L);
        if (last < d_pos)
            return -1;
        const int need_p = static_cast<int>(last - d_anchor) + L;
        const int need_e = need_p + L;
        for (; d_ncp < need_p; ++d_ncp) {
            const int64_t j = d_anchor + d_ncp;
            cd acc = 0.0;
            for (int r = 0; r < d_nr; ++r)
                acc += mul_conj(sample(j, r), sample(j + L, r));
            d_cum_p[d_ncp + 1] = d_cum_p[d_ncp] + acc;
        }
        for (; d_nce < need_e; ++d_nce) {
            const int64_t j = d_anchor + d_nce;
            double acc = 0.0;
            for (int r = 0; r < d_nr; ++r)
                acc += abs2(sample(j, r));
            d_cum_e[d_nce + 1] = d_cum_e[d_nce] + acc;
        }
        for (int64_t d = d_pos; d <= last; ++d) {
            const int i = static_cast<int>(d - d_anchor);
            const cd p = d_cum_p[i + L] - d_cum_p[i];
            const double r =
                (d_cum_e[i + L] - d_cum_e[i]) * (d_cum_e[i + 2 * L] - d_cum_e[i + L]);
            const double m = abs2(p) / std::max(r, k_r_floor);
            if (m > d_threshold && r > 0.0) {
                d_pos = d;
                return d;
            }
        }
        d_pos = last + 1;
        if (d_pos < d_anchor + d_block)
            return -1; // wait for samples
        restart_search(d_pos);
    }
}

ofdm_rx_kernel::outcome ofdm_rx_kernel::demodulate(int64_t d0, ofdm_rx_frame& f)
{
    const int L = d_L, N = d_n, nr = d_nr, nt = d_nt;
    const int64_t avail = d_buf_start + buffered() - d0; // samples from d0 on
    const int n_head = d_search + N;

    // --- coarse synchronisation (kept while the frame waits for its samples)
    if (!d_stage1) {
        if (avail < d_search + N + 1)
            return outcome::wait;
        // M(d) afresh from d0 for d = 0 ... search, as numpy's metric(seg[:search + 2L]).
        d_p[0] = 0.0;
        d_r[0] = 0.0;
        for (int i = 0; i < d_search + L; ++i) {
            cd acc = 0.0;
            for (int r = 0; r < nr; ++r)
                acc += mul_conj(sample(d0 + i, r), sample(d0 + i + L, r));
            d_p[i + 1] = d_p[i] + acc;
        }
        for (int i = 0; i < d_search + 2 * L; ++i) {
            double acc = 0.0;
            for (int r = 0; r < nr; ++r)
                acc += abs2(sample(d0 + i, r));
            d_r[i + 1] = d_r[i] + acc;
        }
        // Plateau: M >= 0.9 max M within cp + L + 1 samples of the crossing.
        const int n_win = d_cp + L + 1;
        double wmax = -std::numeric_limits<double>::infinity();
        for (int d = 0; d < n_win; ++d) {
            const cd p = d_p[d + L] - d_p[d];
            const double r = (d_r[d + L] - d_r[d]) * (d_r[d + 2 * L] - d_r[d + L]);
            d_score[d] = abs2(p) / std::max(r, k_r_floor);
            wmax = std::max(wmax, d_score[d]);
        }
        cd psum = 0.0;
        for (int d = 0; d < n_win; ++d)
            if (d_score[d] >= 0.9 * wmax)
                psum += d_p[d + L] - d_p[d];
        const double cfo0 = std::arg(psum) / k_pi;

        // Fine timing: sum_r |<preamble body, head_r[d:d+N]>|^2 after the coarse
        // correction, for d = 0 ... search. Candidates run in the inner loop
        // (no reduction there, so it vectorises; each sum keeps its order).
        phasors(-k_pi * cfo0 / L, n_head, d_head_rot.data());
        for (int n = 0; n < n_head; ++n) {
            const cd rot = d_head_rot[n];
            for (int r = 0; r < nr; ++r) {
                const cd v = mul(sample(d0 + n, r), rot);
                d_head_re[static_cast<size_t>(r) * n_head + n] = v.real();
                d_head_im[static_cast<size_t>(r) * n_head + n] = v.imag();
            }
        }
        const int n_cand = d_search + 1;
        std::fill(d_score.begin(), d_score.begin() + n_cand, 0.0);
        for (int r = 0; r < nr; ++r) {
            const double* hr = d_head_re.data() + static_cast<size_t>(r) * n_head;
            const double* hi = d_head_im.data() + static_cast<size_t>(r) * n_head;
            double* xr = d_xc_re.data();
            double* xi = d_xc_im.data();
            std::fill(xr, xr + n_cand, 0.0);
            std::fill(xi, xi + n_cand, 0.0);
            for (int n = 0; n < N; ++n) {
                const double cr = d_pre_re[n], ci = d_pre_im[n];
                const double* a = hr + n;
                const double* b = hi + n;
                for (int d = 0; d < n_cand; ++d) {
                    xr[d] += a[d] * cr - b[d] * ci;
                    xi[d] += a[d] * ci + b[d] * cr;
                }
            }
            for (int d = 0; d < n_cand; ++d)
                d_score[d] += xr[d] * xr[d] + xi[d] * xi[d];
        }
        int peak = 0;
        for (int d = 1; d < n_cand; ++d)
            if (d_score[d] > d_score[peak])
                peak = d;
        d_peak = peak;
        d_cfo0 = cfo0;
        d_wmax = wmax;
        d_stage1 = true;
    }
    const int fft0 = d_peak - d_backoff; // FFT window of the preamble body, from d0
    if (fft0 < 0) {
        d_stage1 = false;
        return outcome::none;
    }
    if (avail < static_cast<int64_t>(fft0) + static_cast<int64_t>(d_n_sym) * d_sl - d_cp)
        return outcome::wait;
    d_stage1 = false;

    // --- CFO refinements: the timed preamble body (still in d_head, coarsely
    // corrected), then the training repeats, which lie a whole symbol apart.
    double cfo = d_cfo0;
    {
        cd acc = 0.0;
        for (int n = 0; n < L; ++n)
            for (int r = 0; r < nr; ++r) {
                const size_t o = static_cast<size_t>(r) * n_head + d_peak + n;
                acc += mul_conj(cd(d_head_re[o], d_head_im[o]),
                                cd(d_head_re[o + L], d_head_im[o + L]));
            }
        cfo += std::arg(acc) / k_pi;
    }
    {
        const int64_t t0 = d0 + fft0 + d_sl; // first training FFT window
        cd acc = 0.0;
        for (int g = 0; g < d_n_train / d_reps; ++g)
            for (int rep = 0; rep + 1 < d_reps; ++rep) {
                const int64_t w0 = t0 + static_cast<int64_t>(g * d_reps + rep) * d_sl;
                for (int n = 0; n < N; ++n)
                    for (int r = 0; r < nr; ++r)
                        acc += mul_conj(sample(w0 + n, r), sample(w0 + n + d_sl, r));
            }
        acc = mul(acc, std::exp(cd(0.0, -2.0 * k_pi * cfo * d_sl / N)));
        cfo += std::arg(acc) * N / (2.0 * k_pi * d_sl);
    }

    // --- one rotation by the total CFO per FFT window (phase counted from d0, as
    // numpy does), then the FFTs of all symbols and antennas side by side
    // (transform s Nr + r, element n at n B + s Nr + r).
    const int B = d_n_sym * nr;
    phasors(-2.0 * k_pi * cfo / N, N, d_rot.data());
    for (int s = 0; s < d_n_sym; ++s) {
        const int64_t base = fft0 + static_cast<int64_t>(s) * d_sl;
        const cd rot_s =
            std::exp(cd(0.0, -2.0 * k_pi * cfo * static_cast<double>(base) / N));
        const cf* x = d_buf.data() + (d0 + base - d_buf_start) * nr;
        for (int n = 0; n < N; ++n) {
            const cd rot = mul(rot_s, d_rot[n]);
            double* fr = d_fre.data() + static_cast<size_t>(n) * B + s * nr;
            double* fi = d_fim.data() + static_cast<size_t>(n) * B + s * nr;
            for (int r = 0; r < nr; ++r) {
                const cd v = mul(cd(x[n * nr + r]), rot);
                fr[r] = v.real();
                fi[r] = v.imag();
            }
        }
    }
    d_fft.forward_batch(d_fre.data(), d_fim.data(), B);
    // d_fre, d_fim now hold every symbol's spectrum; at() finds a used carrier's value.

    estimate();
    if (!std::isfinite(d_nv) || d_nv <= 0.0)
        return outcome::none;
    track();

    // --- outputs
    const int rt = nr * nt;
    for (size_t i = 0; i < d_hest.size(); ++i) {
        d_hest_re[i] = d_hest[i].real();
        d_hest_im[i] = d_hest[i].imag();
    }
    float* hout = reinterpret_cast<float*>(f.h.data());
    for (int d = 0; d < d_n_data_sym; ++d) {
        for (int i = 0; i < rt; ++i) { // g of symbol d per entry of one H
            d_gt_re[i] = d_g[static_cast<size_t>(d) * nt + i % nt].real();
            d_gt_im[i] = d_g[static_cast<size_t>(d) * nt + i % nt].imag();
        }
        for (int k = 0; k < d_n_data; ++k) {
            const size_t re = static_cast<size_t>(d) * d_n_data + k;
            const size_t u = d_data_pos[k];
            for (int r = 0; r < nr; ++r)
                f.y[re * nr + r] = cf(value(1 + d_n_train + d, static_cast<int>(u), r));
            const double* __restrict hr = d_hest_re.data() + u * rt;
            const double* __restrict hi = d_hest_im.data() + u * rt;
            float* __restrict o = hout + 2 * re * rt;
            for (int i = 0; i < rt; ++i) {
                o[2 * i] = static_cast<float>(hr[i] * d_gt_re[i] - hi[i] * d_gt_im[i]);
                o[2 * i + 1] =
                    static_cast<float>(hr[i] * d_gt_im[i] + hi[i] * d_gt_re[i]);
            }
        }
    }
    double pw = 0.0;
    for (size_t i = 0; i < d_hest.size(); ++i) {
        f.h_est[i] = cf(d_hest[i]);
        pw += abs2(d_hest[i]);
    }
    // E|H_est|^2 = |H|^2 + sigma^2 / R' per entry (R' = R, comb: R Nt): remove that bias.
    const int reps = d_reps * (d_comb ? nt : 1);
    const double snr = std::max(pw / (static_cast<double>(d_n_used) * nr) / d_nv -
                                    static_cast<double>(nt) / reps,
                                1e-3);
    f.fft_start = d0 + fft0;
    f.start = f.fft_start + d_backoff - d_cp;
    f.cfo = cfo;
    f.noise_var = d_nv;
    f.snr_db = 10.0 * std::log10(snr);
    f.evm = evm();
    f.metric = d_wmax;
    return outcome::frame;
}

/*
 * LS estimate per used carrier and sigma^2 from the training symbols 1 ... T:
 * d_hest [n_used, Nr, Nt], d_nv.
 */
void ofdm_rx_kernel::estimate()
{
    const int nr = d_nr, nt = d_nt, R = d_reps, nu = d_n_used;
    const int groups = d_n_train / R; // repeats of one pattern
    const size_t sym = static_cast<size_t>(nu) * nr;
    double ss = 0.0;
    for (int g = 0; g < groups; ++g) {
        cd* mean = d_mean.data() + g * sym;
        for (int u = 0; u < nu; ++u)
            for (int r = 0; r < nr; ++r) {
                cd acc = 0.0;
                for (int rep = 0; rep < R; ++rep)
                    acc += value(1 + g * R + rep, u, r);
                mean[u * nr + r] = acc / static_cast<double>(R);
            }
        for (int rep = 0; rep < R; ++rep)
            for (int u = 0; u < nu; ++u)
                for (int r = 0; r < nr; ++r)
                    ss += abs2(value(1 + g * R + rep, u, r) - mean[u * nr + r]);
    }
    d_nv = ss / (static_cast<double>(groups) * (R - 1) * nu * nr);

    if (!d_comb) {
        for (int j = 0; j < nt; ++j) // antenna j alone sends in group j
            for (int u = 0; u < nu; ++u) {
                const cd tv = d_train[(static_cast<size_t>(j) * R * nu + u) * nt + j];
                for (int r = 0; r < nr; ++r)
                    d_hest[(static_cast<size_t>(u) * nr + r) * nt + j] =
                        div(d_mean[(static_cast<size_t>(j) * nu + u) * nr + r], tv);
            }
        return;
    }
    for (int t = 0; t < nt; ++t) {
        const int* own = d_own.data() + d_own_start[t];
        const int n_own = d_own_start[t + 1] - d_own_start[t];
        for (int i = 0; i < n_own; ++i) {
            const int u = own[i];
            const cd den = mul(d_train[static_cast<size_t>(u) * nt + t], d_ramp[u]);
            for (int r = 0; r < nr; ++r)
                d_ls[static_cast<size_t>(i) * nr + r] =
                    div(d_mean[static_cast<size_t>(u) * nr + r], den);
        }
        for (int u = 0; u < nu; ++u) {
            const int j = d_interp_j[t * nu + u];
            const bool at = d_interp_at[t * nu + u];
            const double x = d_car[u];
            for (int r = 0; r < nr; ++r) {
                const cd lo = d_ls[static_cast<size_t>(j) * nr + r];
                double re = lo.real(), im = lo.imag();
                if (!at) { // real and imaginary parts interpolated apart, as np.interp
                    const cd hi = d_ls[static_cast<size_t>(j + 1) * nr + r];
                    const double x0 = d_car[own[j]];
                    const double dx = d_car[own[j + 1]] - x0;
                    re = (hi.real() - lo.real()) / dx * (x - x0) + lo.real();
                    im = (hi.imag() - lo.imag()) / dx * (x - x0) + lo.imag();
                }
                d_hest[(static_cast<size_t>(u) * nr + r) * nt + t] =
                    mul(cd(re, im), d_ramp[u]);
            }
        }
    }
}

/*
 * Phase tracking on the pilots of every data symbol: removes each symbol's
 * common phase from its spectrum (d_fre, d_fim) and sets d_g [D, Nt], the phase
 * of each stream relative to d_hest (all 1 for "common" tracking, or with fewer
 * than 2 Nt pilot observations).
 *
 * The per-stream fit is argmin_g ||b - A g||^2 + 1e-9 ||g||^2 over the P Nr pilot
 * observations b, A[(p, r), t] = H[p, r, t] v[p, t] (v: pilot values). Its
 * normal equations use A^H A = sum_p conj(v_p,i) v_p,j G_p,ij with the per-pilot
 * Gram matrices G_p = H_p^H H_p, which do not change from symbol to symbol.
 */
void ofdm_rx_kernel::track()
{
    const int nr = d_nr, nt = d_nt, nu = d_n_used, np = d_n_pilot;
    const bool fit = d_per_stream && np * nr >= 2 * nt;
    if (fit)
        for (int p = 0; p < np; ++p) {
            const cd* h = d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
            for (int i = 0; i < nt; ++i)
                for (int j = 0; j < nt; ++j) {
                    cd acc = 0.0;
                    for (int r = 0; r < nr; ++r)
                        acc += mul_conj(h[r * nt + i], h[r * nt + j]);
                    d_gp[(static_cast<size_t>(p) * nt + i) * nt + j] = acc;
                }
        }
    for (int d = 0; d < d_n_data_sym; ++d) {
        const int s = 1 + d_n_train + d;
        const cd* pv = d_pilots.data() + static_cast<size_t>(d) * np * nt;
        cd acc = 0.0;
        for (int p = 0; p < np; ++p) {
            const cd* h = d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
            for (int r = 0; r < nr; ++r) {
                cd expect = 0.0;
                for (int t = 0; t < nt; ++t)
                    expect += mul(h[r * nt + t], pv[p * nt + t]);
                acc += mul_conj(expect, value(s, d_pilot_pos[p], r));
            }
        }
        const cd rot = std::exp(cd(0.0, -std::arg(acc)));
        for (int u = 0; u < nu; ++u)
            for (int r = 0; r < nr; ++r) {
                const size_t o = at(s, u, r);
                const cd v = mul(cd(d_fre[o], d_fim[o]), rot);
                d_fre[o] = v.real();
                d_fim[o] = v.imag();
            }
        cd* g = d_g.data() + static_cast<size_t>(d) * nt;
        std::fill(g, g + nt, cd(1.0));
        if (!fit)
            continue;
        for (int i = 0; i < nt; ++i) {
            for (int j = 0; j < nt; ++j) {
                cd sum = 0.0;
                for (int p = 0; p < np; ++p)
                    sum += mul(mul_conj(pv[p * nt + i], pv[p * nt + j]),
                               d_gp[(static_cast<size_t>(p) * nt + i) * nt + j]);
                d_ata[i * nt + j] = sum + (i == j ? k_track_reg : 0.0);
            }
            cd sum = 0.0;
            for (int p = 0; p < np; ++p) {
                const cd* h =
                    d_hest.data() + static_cast<size_t>(d_pilot_pos[p]) * nr * nt;
                cd hb = 0.0; // (H_p^H b_p)_i
                for (int r = 0; r < nr; ++r)
                    hb += mul_conj(h[r * nt + i], value(s, d_pilot_pos[p], r));
                sum += mul_conj(pv[p * nt + i], hb);
            }
            d_atb[i] = sum;
        }
        solve(d_ata.data(), d_atb.data(), nt, 1);
        for (int t = 0; t < nt; ++t)
            g[t] = std::exp(cd(0.0, std::arg(d_atb[t])));
    }
}

/*
 * rms error of the LMMSE estimates of the data REs against their nearest
 * constellation points. The channel of symbol d is H diag(g_d) with |g_d| = 1,
 * so one filter W_k = (H_k^H H_k + s2 I)^-1 H_k^H per carrier serves every
 * symbol: x = conj(g_d) (.) (W_k y). The filters come from a Cholesky
 * factorisation (H^H H + s2 I is Hermitian positive definite), the same
 * solution as numpy's LU solve up to rounding. All carriers run side by side,
 * split into real and imaginary parts (entry e of carrier k at e K + k), so the
 * loops over carriers vectorise.
 */
double ofdm_rx_kernel::evm()
{
    const int nr = d_nr, nt = d_nt, K = d_n_data;
    double* __restrict hr = d_ev_hr.data(); // H [Nr, Nt] per carrier
    double* __restrict hi = d_ev_hi.data();
    double* __restrict lr = d_ev_lr.data(); // Gram, then its Cholesky factor [Nt, Nt]
    double* __restrict li = d_ev_li.data();
    double* __restrict dinv = d_ev_dinv.data(); // 1 / L_jj [Nt]
    double* __restrict wr = d_ev_wr.data();     // W [Nt, Nr]
    double* __restrict wi = d_ev_wi.data();
    for (int k = 0; k < K; ++k) {
        const cd* h = d_hest.data() + static_cast<size_t>(d_data_pos[k]) * nr * nt;
        for (int e = 0; e < nr * nt; ++e) {
            hr[e * K + k] = h[e].real();
            hi[e * K + k] = h[e].imag();
        }
    }
    // Gram G_ij = sum_r conj(H_ri) H_rj (+ s2 on the diagonal), lower triangle.
    for (int i = 0; i < nt; ++i)
        for (int j = 0; j <= i; ++j) {
            double* gr = lr + (i * nt + j) * K;
            double* gi = li + (i * nt + j) * K;
            std::fill(gr, gr + K, i == j ? d_nv : 0.0);
            std::fill(gi, gi + K, 0.0);
            for (int r = 0; r < nr; ++r) {
                const double* ar = hr + (r * nt + i) * K;
                const double* ai = hi + (r * nt + i) * K;
                const double* br = hr + (r * nt + j) * K;
                const double* bi = hi + (r * nt + j) * K;
                for (int k = 0; k < K; ++k) {
                    gr[k] += ar[k] * br[k] + ai[k] * bi[k];
                    gi[k] += ar[k] * bi[k] - ai[k] * br[k];
                }
            }
        }
    // Cholesky G = L L^H (lower L, real diagonal).
    for (int j = 0; j < nt; ++j) {
        double* djj = lr + (j * nt + j) * K;
        for (int m = 0; m < j; ++m) {
            const double* ar = lr + (j * nt + m) * K;
            const double* ai = li + (j * nt + m) * K;
            for (int k = 0; k < K; ++k)
                djj[k] -= ar[k] * ar[k] + ai[k] * ai[k];
        }
        double* dv = dinv + j * K;
        for (int k = 0; k < K; ++k) {
            djj[k] = std::sqrt(djj[k]);
            dv[k] = 1.0 / djj[k];
        }
        for (int i = j + 1; i < nt; ++i) {
            double* cr = lr + (i * nt + j) * K;
            double* ci = li + (i * nt + j) * K;
            for (int m = 0; m < j; ++m) { // -= L_im conj(L_jm)
                const double* ar = lr + (i * nt + m) * K;
                const double* ai = li + (i * nt + m) * K;
                const double* br = lr + (j * nt + m) * K;
                const double* bi = li + (j * nt + m) * K;
                for (int k = 0; k < K; ++k) {
                    cr[k] -= ar[k] * br[k] + ai[k] * bi[k];
                    ci[k] -= ai[k] * br[k] - ar[k] * bi[k];
                }
            }
            for (int k = 0; k < K; ++k) {
                cr[k] *= dv[k];
                ci[k] *= dv[k];
            }
        }
    }
    // W = G^-1 H^H: L Z = H^H, then L^H W = Z, for each receive antenna's column.
    for (int r = 0; r < nr; ++r) {
        for (int i = 0; i < nt; ++i) {
            double* zr = wr + (i * nr + r) * K;
            double* zi = wi + (i * nr + r) * K;
            const double* ar = hr + (r * nt + i) * K;
            const double* ai = hi + (r * nt + i) * K;
            for (int k = 0; k < K; ++k) {
                zr[k] = ar[k];
                zi[k] = -ai[k];
            }
            for (int m = 0; m < i; ++m) { // -= L_im Z_m
                const double* cr = lr + (i * nt + m) * K;
                const double* ci = li + (i * nt + m) * K;
                const double* vr = wr + (m * nr + r) * K;
                const double* vi = wi + (m * nr + r) * K;
                for (int k = 0; k < K; ++k) {
                    zr[k] -= cr[k] * vr[k] - ci[k] * vi[k];
                    zi[k] -= cr[k] * vi[k] + ci[k] * vr[k];
                }
            }
            const double* dv = dinv + i * K;
            for (int k = 0; k < K; ++k) {
                zr[k] *= dv[k];
                zi[k] *= dv[k];
            }
        }
        for (int i = nt - 1; i >= 0; --i) {
            double* zr = wr + (i * nr + r) * K;
            double* zi = wi + (i * nr + r) * K;
            for (int m = i + 1; m < nt; ++m) { // -= conj(L_mi) W_m
                const double* cr = lr + (m * nt + i) * K;
                const double* ci = li + (m * nt + i) * K;
                const double* vr = wr + (m * nr + r) * K;
                const double* vi = wi + (m * nr + r) * K;
                for (int k = 0; k < K; ++k) {
                    zr[k] -= cr[k] * vr[k] + ci[k] * vi[k];
                    zi[k] -= cr[k] * vi[k] - ci[k] * vr[k];
                }
            }
            const double* dv = dinv + i * K;
            for (int k = 0; k < K; ++k) {
                zr[k] *= dv[k];
                zi[k] *= dv[k];
            }
        }
    }

    double* __restrict yr = d_ev_yr.data(); // y of one symbol [Nr, K]
    double* __restrict yi = d_ev_yi.data();
    double* __restrict xr = d_ev_xr.data();
    double* __restrict xi = d_ev_xi.data();
    double* __restrict er = d_ev_er.data();
    double* __restrict ei = d_ev_ei.data();
    const bool grid = !d_grid_re.empty();
    double sum = 0.0;
    for (int d = 0; d < d_n_data_sym; ++d) {
        for (int k = 0; k < K; ++k)
            for (int r = 0; r < nr; ++r) {
                const size_t o = at(1 + d_n_train + d, d_data_pos[k], r);
                const cd v(d_fre[o], d_fim[o]);
                yr[r * K + k] = v.real();
                yi[r * K + k] = v.imag();
            }
        for (int t = 0; t < nt; ++t) {
            std::fill(xr, xr + K, 0.0);
            std::fill(xi, xi + K, 0.0);
            for (int r = 0; r < nr; ++r) {
                const double* ar = wr + (t * nr + r) * K;
                const double* ai = wi + (t * nr + r) * K;
                const double* br = yr + r * K;
                const double* bi = yi + r * K;
                for (int k = 0; k < K; ++k) {
                    xr[k] += ar[k] * br[k] - ai[k] * bi[k];
                    xi[k] += ar[k] * bi[k] + ai[k] * br[k];
                }
            }
            const double gr = d_g[static_cast<size_t>(d) * nt + t].real();
            const double gi = -d_g[static_cast<size_t>(d) * nt + t].imag(); // conj(g)
            for (int k = 0; k < K; ++k) {
                const double a = xr[k] * gr - xi[k] * gi;
                xi[k] = xr[k] * gi + xi[k] * gr;
                xr[k] = a;
            }
            // Nearest point: on a product grid (QAM, QPSK, BPSK: every point is
            // (a_i, b_j)) the nearest level on each axis, and since rounding is
            // monotonic, min_ij fl((x - a_i)^2 + (y - b_j)^2)
            //   = fl(min_i (x - a_i)^2 + min_j (y - b_j)^2):
            // the value of the search over all points.
            std::fill(er, er + K, std::numeric_limits<double>::infinity());
            if (grid) {
                std::fill(ei, ei + K, std::numeric_limits<double>::infinity());
                for (double a : d_grid_re)
                    for (int k = 0; k < K; ++k)
                        er[k] = std::min(er[k], (xr[k] - a) * (xr[k] - a));
                for (double b : d_grid_im)
                    for (int k = 0; k < K; ++k)
                        ei[k] = std::min(ei[k], (xi[k] - b) * (xi[k] - b));
                for (int k = 0; k < K; ++k)
                    er[k] += ei[k];
            } else {
                for (const cd& pt : d_points)
                    for (int k = 0; k < K; ++k)
                        er[k] = std::min(er[k],
                                         (xr[k] - pt.real()) * (xr[k] - pt.real()) +
                                             (xi[k] - pt.imag()) * (xi[k] - pt.imag()));
            }
            for (int k = 0; k < K; ++k)
                sum += er[k];
        }
    }
    return std::sqrt(sum / (static_cast<double>(d_n_data_sym) * K * nt));
}

} // namespace neuralmimo
} // namespace gr
