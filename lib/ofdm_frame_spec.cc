/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The argument checks of the OFDM receiver: the frame format (ofdm_frame_spec)
 * and the receiver's settings (ofdm_rx_params), each message naming the field
 * and both values.
 */

#include "ofdm_rx_math.h"
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <stdexcept>
#include <string>

namespace gr {
namespace neuralmimo {

using namespace ofdm_math;

namespace {

[[noreturn]] void bad_arg(const std::string& what)
{
    throw std::invalid_argument("ofdm_rx_kernel: " + what);
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

void ofdm_frame_spec::validate() const
{
    const int n_used = static_cast<int>(used_carriers.size());
    const bool comb = training == "comb";
    if (nt < 1)
        bad_arg("nt must be >= 1, got " + std::to_string(nt));
    if (nr < 1)
        bad_arg("nr must be >= 1, got " + std::to_string(nr));
    if (!power_of_two(fft_len) || fft_len < 8)
        bad_arg("fft_len must be a power of two >= 8, got " + std::to_string(fft_len));
    if (cp_len < 1 || cp_len > fft_len / 2)
        bad_arg("cp_len must be in [1, fft_len/2 = " + std::to_string(fft_len / 2) +
                "], got " + std::to_string(cp_len));
    if (n_used < 2)
        bad_arg("used_carriers must hold >= 2 carriers, got " + std::to_string(n_used));
    for (int u = 0; u < n_used; ++u) {
        const int k = used_carriers[u];
        if (k < -fft_len / 2 || k >= fft_len / 2)
            bad_arg("used carrier " + std::to_string(k) +
                    " is outside [-fft_len/2, fft_len/2) = [" +
                    std::to_string(-fft_len / 2) + ", " + std::to_string(fft_len / 2) +
                    ")");
        if (u > 0 && k <= used_carriers[u - 1])
            bad_arg("used_carriers must be strictly ascending, got " +
                    std::to_string(used_carriers[u - 1]) + " then " + std::to_string(k));
    }
    for (int p : pilot_positions)
        if (p < 0 || p >= n_used)
            bad_arg("pilot position " + std::to_string(p) + " is outside [0, n_used = " +
                    std::to_string(n_used) + ")");
    if (data_positions.empty())
        bad_arg("data_positions must hold >= 1 position, got 0");
    for (int p : data_positions)
        if (p < 0 || p >= n_used)
            bad_arg("data position " + std::to_string(p) + " is outside [0, n_used = " +
                    std::to_string(n_used) + ")");
    if (n_data_symbols < 1)
        bad_arg("n_data_symbols must be >= 1, got " + std::to_string(n_data_symbols));
    if (ltf_repeats < 2)
        bad_arg("ltf_repeats must be >= 2 (sigma^2 comes from the repeats), got " +
                std::to_string(ltf_repeats));
    if (training != "time" && !comb)
        bad_arg("training must be 'time' or 'comb', got '" + training + "'");
    const int want_t = comb ? ltf_repeats : nt * ltf_repeats;
    if (n_training_symbols != want_t)
        bad_arg("n_training_symbols must be " +
                std::string(comb ? "ltf_repeats" : "nt * ltf_repeats") + " = " +
                std::to_string(want_t) + " for '" + training + "' training, got " +
                std::to_string(n_training_symbols));
    if (comb && n_used < 2 * nt)
        bad_arg("comb training needs n_used >= 2 nt = " + std::to_string(2 * nt) +
                ", got " + std::to_string(n_used));
    if (static_cast<int>(preamble_values.size()) != n_used)
        bad_arg("preamble_values must hold n_used = " + std::to_string(n_used) +
                " values, got " + std::to_string(preamble_values.size()));
    const size_t want_tv = static_cast<size_t>(n_training_symbols) * n_used * nt;
    if (training_values.size() != want_tv)
        bad_arg("training_values must be [T, n_used, nt] = " + std::to_string(want_tv) +
                " values, got " + std::to_string(training_values.size()));
    const size_t want_pv =
        static_cast<size_t>(n_data_symbols) * pilot_positions.size() * nt;
    if (pilot_values.size() != want_pv)
        bad_arg("pilot_values must be [n_data_symbols, n_pilots, nt] = " +
                std::to_string(want_pv) + " values, got " +
                std::to_string(pilot_values.size()));
    if (constellation_points.empty())
        bad_arg("constellation_points must hold >= 1 point, got 0");
    // The LS divisors: a zero there would make every frame's estimate infinite.
    for (int u = 0; u < n_used; ++u)
        for (int t = 0; t < nt; ++t) {
            if (comb && u % nt != t)
                continue;
            const int sym = comb ? 0 : t * ltf_repeats;
            if (training_values[(static_cast<size_t>(sym) * n_used + u) * nt + t] ==
                cd(0.0))
                bad_arg("training value [" + std::to_string(sym) + ", " +
                        std::to_string(u) + ", " + std::to_string(t) +
                        "] is 0, the LS estimate divides by it");
        }
    if (frame_len < frame_spacing())
        bad_arg("frame_len = " + std::to_string(frame_len) +
                " must be at least n_symbols (cp_len + fft_len) - 2 cp_len = " +
                std::to_string(frame_spacing()));
}

void ofdm_rx_params::validate(const ofdm_frame_spec& spec) const
{
    if (!(threshold > 0.0 && threshold < 1.0))
        bad_arg("threshold must be in (0, 1), got " + str(threshold));
    if (backoff < 0 || backoff >= spec.cp_len)
        bad_arg("backoff must be in [0, cp_len = " + std::to_string(spec.cp_len) +
                "), got " + std::to_string(backoff));
    if (tracking != "per_stream" && tracking != "common")
        bad_arg("tracking must be 'per_stream' or 'common', got '" + tracking + "'");
    const int64_t two_frames = 2 * static_cast<int64_t>(spec.frame_len);
    if (max_backlog < 0 || (max_backlog > 0 && max_backlog < two_frames))
        throw std::invalid_argument(
            "ofdm_rx: max_backlog must be 0 (off) or >= 2 frames = " +
            std::to_string(two_frames) + " samples, got " + std::to_string(max_backlog));
}

} // namespace neuralmimo
} // namespace gr
