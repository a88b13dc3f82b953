/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Scaffolding of the OFDM receiver tests: frames built here (the frame format
 * of phy/ofdm.py with seeded random sequences), a flat MIMO channel with a
 * CFO, and a receiver fed in random chunks. Header-only.
 */

#ifndef INCLUDED_NEURALMIMO_QA_OFDM_HELPERS_H
#define INCLUDED_NEURALMIMO_QA_OFDM_HELPERS_H

#include "ofdm_fft.h"
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace qa {

using gr::neuralmimo::ofdm_frame_spec;
using gr::neuralmimo::ofdm_rx_frame;
using gr::neuralmimo::ofdm_rx_kernel;
using gr::neuralmimo::ofdm_rx_params;
using gr::neuralmimo::radix2_fft;
using cf = std::complex<float>;
using cd = std::complex<double>;

const double pi = 3.14159265358979323846;

/*
 * The transmitter of a frame format s: samples complex128[n_symbols * sl, Nt]
 * of one frame carrying the data symbols x [n_data_symbols * n_data, Nt] (RE
 * order of the receiver's output): preamble, training and pilots from s.
 */
inline std::vector<cd> transmit_frame(const ofdm_frame_spec& s, const std::vector<cd>& x)
{
    const int n = s.fft_len, nt = s.nt, n_train = s.n_training_symbols;
    const int sl = n + s.cp_len;
    const std::vector<int>& used = s.used_carriers;
    const int nu = static_cast<int>(used.size());
    const int nd = static_cast<int>(s.data_positions.size());
    const int np = static_cast<int>(s.pilot_positions.size());
    radix2_fft fft(n);
    std::vector<cd> out(static_cast<size_t>(s.n_symbols()) * sl * nt, 0.0);
    std::vector<cd> grid(n);
    for (int sym = 0; sym < s.n_symbols(); ++sym)
        for (int t = 0; t < nt; ++t) {
            std::fill(grid.begin(), grid.end(), 0.0);
            for (int u = 0; u < nu; ++u) {
                const int bin = (used[u] + n) % n;
                if (sym == 0)
                    grid[bin] = t == 0 ? s.preamble_values[u] : 0.0;
                else if (sym <= n_train)
                    grid[bin] = s.training_values[(static_cast<size_t>(sym - 1) * nu + u) * nt + t];
            }
            if (sym > n_train) {
                const int d = sym - 1 - n_train;
                for (int k = 0; k < nd; ++k)
                    grid[(used[s.data_positions[k]] + n) % n] =
                        x[(static_cast<size_t>(d) * nd + k) * nt + t];
                for (int p = 0; p < np; ++p)
                    grid[(used[s.pilot_positions[p]] + n) % n] =
                        s.pilot_values[(static_cast<size_t>(d) * np + p) * nt + t];
            }
            fft.inverse(grid.data());
            for (int i = 0; i < sl; ++i)
                out[(static_cast<size_t>(sym) * sl + i) * nt + t] = grid[(i - s.cp_len + n) % n];
        }
    return out;
}

/*
 * One frame as phy/ofdm.py builds it (FFT 64, CP 16, 52 used carriers,
 * pilots at +-7 and +-21, 6 data symbols, QPSK), seeded random sequences:
 * preamble on the even carriers at amplitude sqrt(2 Nt) from antenna 0,
 * "time" or "comb" training with R = 2 repeats, +-1 pilots, data symbols per
 * antenna. It is the receiver's ofdm_frame_spec, plus a transmitter.
 */
struct frame_def : ofdm_frame_spec {
    frame_def(int nt_, int nr_, const std::string& kind)
    {
        nt = nt_;
        nr = nr_;
        fft_len = 64;
        cp_len = 16;
        n_data_symbols = 6;
        ltf_repeats = 2;
        training = kind;
        n_training_symbols = kind == "comb" ? ltf_repeats : nt * ltf_repeats;
        std::mt19937_64 gen(7);
        auto sign = [&gen]() { return (gen() & 1) ? 1.0 : -1.0; };
        for (int k = -26; k <= 26; ++k)
            if (k != 0)
                used_carriers.push_back(k);
        const int nu = static_cast<int>(used_carriers.size());
        for (int u = 0; u < nu; ++u) {
            const int k = std::abs(used_carriers[u]);
            (k == 7 || k == 21 ? pilot_positions : data_positions).push_back(u);
        }
        for (int u = 0; u < nu; ++u)
            preamble_values.push_back(used_carriers[u] % 2 == 0 ? sign() * std::sqrt(2.0 * nt)
                                                                : 0.0);
        std::vector<cd> p(nu);
        for (auto& v : p)
            v = cd(sign(), sign()) / std::sqrt(2.0);
        const int reps = ltf_repeats;
        training_values.assign(static_cast<size_t>(n_training_symbols) * nu * nt, 0.0);
        for (int s = 0; s < n_training_symbols; ++s)
            for (int u = 0; u < nu; ++u)
                for (int t = 0; t < nt; ++t) {
                    cd& v = training_values[(static_cast<size_t>(s) * nu + u) * nt + t];
                    if (training == "time" && s / reps == t)
                        v = p[u];
                    if (training == "comb" && u % nt == t)
                        v = p[u] * std::sqrt(double(nt));
                }
        pilot_values.resize(static_cast<size_t>(n_data_symbols) * pilot_positions.size() * nt);
        for (auto& v : pilot_values)
            v = sign();
        for (int i = 0; i < 4; ++i)
            constellation_points.push_back(cd(i & 1 ? -1.0 : 1.0, i & 2 ? -1.0 : 1.0) /
                                           std::sqrt(2.0));
        frame_len = n_symbols() * sl();
    }

    //! Samples per OFDM symbol, CP included.
    int sl() const { return fft_len + cp_len; }

    ofdm_rx_kernel kernel() const { return ofdm_rx_kernel(*this, ofdm_rx_params()); }

    /*
     * Samples [n_symbols * sl, Nt] of one frame; x receives the data symbols
     * [n_data_symbols * n_data, Nt] (RE order of the receiver's output).
     */
    std::vector<cd> transmit(std::mt19937_64& gen, std::vector<cd>& x) const
    {
        x.resize(static_cast<size_t>(n_data_symbols) * data_positions.size() * nt);
        for (auto& v : x)
            v = constellation_points[gen() % 4];
        return transmit_frame(*this, x);
    }
};

/*
 * Flat channel H [Nr, Nt] with a CFO of `cfo` subcarrier spacings, optional
 * noise: y = complex64[len(tx), Nr] after `lead` zeros, `tail` zeros after.
 */
inline std::vector<cf> channel(const std::vector<cd>& tx,
                        int nt,
                        int nr,
                        const std::vector<cd>& h,
                        double cfo,
                        int n,
                        int lead,
                        int tail,
                        double noise_var = 0.0,
                        uint64_t seed = 1)
{
    const size_t len = tx.size() / nt;
    std::vector<cf> y((lead + len + tail) * nr, 0.0f);
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> g(0.0, std::sqrt(noise_var / 2.0));
    for (size_t i = 0; i < len; ++i) {
        const size_t abs_i = lead + i;
        const cd rot = std::polar(1.0, 2.0 * pi * cfo * static_cast<double>(abs_i) / n);
        for (int r = 0; r < nr; ++r) {
            cd acc = 0.0;
            for (int t = 0; t < nt; ++t)
                acc += h[r * nt + t] * tx[i * nt + t];
            acc *= rot;
            if (noise_var > 0)
                acc += cd(g(gen), g(gen));
            y[abs_i * nr + r] = cf(acc);
        }
    }
    return y;
}

inline std::vector<cd> test_channel(int nt, int nr, uint64_t seed)
{
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> g(0.0, std::sqrt(0.5));
    std::vector<cd> h(static_cast<size_t>(nr) * nt);
    for (auto& v : h)
        v = cd(g(gen), g(gen));
    for (int i = 0; i < std::min(nt, nr); ++i)
        h[i * nt + i] += 1.5; // well conditioned
    return h;
}

inline std::vector<ofdm_rx_frame>
push_all(ofdm_rx_kernel& k, const std::vector<cf>& y, int nr, int chunk_seed)
{
    std::vector<ofdm_rx_frame> out;
    std::mt19937_64 gen(chunk_seed);
    const int64_t len = static_cast<int64_t>(y.size()) / nr;
    int64_t i = 0;
    while (i < len) {
        const int64_t m = chunk_seed ? std::min<int64_t>(1 + gen() % 700, len - i) : len;
        const int got = k.push(y.data() + i * nr, m);
        for (int f = 0; f < got; ++f)
            out.push_back(k.frame(f));
        i += m;
    }
    return out;
}

} // namespace qa

#endif /* INCLUDED_NEURALMIMO_QA_OFDM_HELPERS_H */
