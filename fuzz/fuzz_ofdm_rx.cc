/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Fuzz harness of ofdm_rx_kernel, the receiver front end that parses what
 * comes off the air. A few bytes choose a valid frame format (Nt, Nr 1..2,
 * FFT 8..64, CP, carriers, pilots, data symbols, repeats, time or comb
 * training, gap) and receiver settings (threshold, backoff, tracking); the
 * rest is the IQ, in one of three forms: int8 pairs (finite), decoded floats
 * (any value: NaN, Inf, 1e38, subnormals), or real frames of that format
 * through a random flat channel with a CFO, with samples overwritten by
 * decoded floats. It is pushed in chunks whose sizes come from the bytes.
 *
 * Contract: push() never throws; at most 1 + samples / frame_spacing()
 * frames; every frame has the documented sizes, noise_var finite and > 0, an
 * FFT window start inside the input; when every sample pushed so far is finite, every
 * field of every frame is finite and the metric is at most 1
 * (Cauchy-Schwarz).
 */

#include "fuzz_bytes.h"
#include "ofdm_fft.h"
#include "qa_ofdm_helpers.h"
#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

using gr::neuralmimo::ofdm_frame_spec;
using gr::neuralmimo::ofdm_rx_frame;
using gr::neuralmimo::ofdm_rx_kernel;
using gr::neuralmimo::ofdm_rx_params;
using cf = std::complex<float>;
using cd = std::complex<double>;

ofdm_frame_spec make_spec(fuzz::bytes& in, std::mt19937_64& gen)
{
    ofdm_frame_spec s;
    s.nt = in.range(1, 2);
    s.nr = in.range(1, 2);
    s.fft_len = 8 << in.range(0, 3);
    s.cp_len = in.range(1, s.fft_len / 2);
    const int half = s.fft_len / 2 - std::max(1, s.fft_len / 8); // guard carriers
    for (int k = -half; k <= half; ++k)
        if (k != 0)
            s.used_carriers.push_back(k);
    const int nu = static_cast<int>(s.used_carriers.size());
    const int pilot_every = in.range(0, 6); // 0: no pilots
    for (int u = 0; u < nu; ++u)
        (pilot_every > 0 && u % (pilot_every + 2) == 1 ? s.pilot_positions : s.data_positions)
            .push_back(u);
    s.n_data_symbols = in.range(1, 3);
    s.ltf_repeats = in.range(2, 3);
    s.training = (in.u8() & 1) && nu >= 2 * s.nt ? "comb" : "time";
    s.n_training_symbols = s.training == "comb" ? s.ltf_repeats : s.nt * s.ltf_repeats;
    auto sign = [&gen]() { return (gen() & 1) ? 1.0 : -1.0; };
    for (int u = 0; u < nu; ++u)
        s.preamble_values.push_back(s.used_carriers[u] % 2 == 0 ? sign() * std::sqrt(2.0 * s.nt)
                                                                : 0.0);
    s.training_values.assign(static_cast<size_t>(s.n_training_symbols) * nu * s.nt, 0.0);
    for (int t = 0; t < s.n_training_symbols; ++t)
        for (int u = 0; u < nu; ++u)
            for (int a = 0; a < s.nt; ++a) {
                const double re = sign(); // sequenced: the same draws with every compiler
                const cd p = cd(re, sign()) / std::sqrt(2.0);
                cd& v = s.training_values[(static_cast<size_t>(t) * nu + u) * s.nt + a];
                if (s.training == "time" && t / s.ltf_repeats == a)
                    v = p;
                if (s.training == "comb" && u % s.nt == a)
                    v = p * std::sqrt(double(s.nt));
            }
    s.pilot_values.resize(static_cast<size_t>(s.n_data_symbols) * s.pilot_positions.size() * s.nt);
    for (auto& v : s.pilot_values)
        v = sign();
    for (int i = 0; i < 4; ++i)
        s.constellation_points.push_back(cd(i & 1 ? -1.0 : 1.0, i & 2 ? -1.0 : 1.0) / std::sqrt(2.0));
    s.frame_len = static_cast<int>(s.frame_spacing()) + 2 * s.cp_len + in.range(0, 40);
    return s;
}

// One frame of the format, per transmit antenna: complex128[n_symbols * sl, Nt]
// (qa_ofdm_helpers.h's transmitter), with QPSK data drawn per symbol, antenna
// and carrier.
std::vector<cd> transmit(const ofdm_frame_spec& s, std::mt19937_64& gen)
{
    const int nt = s.nt, nd = static_cast<int>(s.data_positions.size());
    std::vector<cd> x(static_cast<size_t>(s.n_data_symbols) * nd * nt);
    for (int d = 0; d < s.n_data_symbols; ++d)
        for (int t = 0; t < nt; ++t)
            for (int k = 0; k < nd; ++k)
                x[(static_cast<size_t>(d) * nd + k) * nt + t] = s.constellation_points[gen() % 4];
    return qa::transmit_frame(s, x);
}

bool finite(const std::vector<cf>& v)
{
    for (const auto& x : v)
        if (!fuzz::finite(x))
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::bytes in(data, size);
    std::mt19937_64 gen(in.u8());
    const ofdm_frame_spec spec = make_spec(in, gen);
    ofdm_rx_params params;
    params.threshold = in.range(1, 9) / 10.0;
    params.backoff = in.range(0, spec.cp_len - 1);
    params.tracking = (in.u8() & 1) ? "common" : "per_stream";
    const int nr = spec.nr;

    // The IQ, sample-major [m, Nr].
    std::vector<cf> x;
    const uint8_t form = in.u8() % 3;
    if (form == 0) { // int8 pairs: finite
        while (in.left() >= 2) {
            const float re = static_cast<int8_t>(in.u8()) / 64.0f;
            x.push_back(cf(re, static_cast<int8_t>(in.u8()) / 64.0f));
        }
    } else if (form == 1) { // any float
        while (in.left() >= 2)
            x.push_back(in.cvalue());
    } else { // frames through a flat channel with a CFO, then overwritten samples
        const int frames = in.range(1, 3), lead = in.range(0, 255);
        const double cfo = (static_cast<int8_t>(in.u8())) / 256.0, gain = std::ldexp(1.0, in.range(0, 40) - 20);
        std::normal_distribution<double> g(0.0, std::sqrt(0.5));
        std::vector<cd> hc(static_cast<size_t>(nr) * spec.nt);
        for (auto& v : hc) {
            const double re = g(gen); // sequenced: the same draws with every compiler
            v = gain * cd(re, g(gen));
        }
        x.assign(static_cast<size_t>(lead) * nr, cf());
        for (int f = 0; f < frames; ++f) {
            const std::vector<cd> tx = transmit(spec, gen);
            const size_t len = tx.size() / spec.nt;
            for (size_t i = 0; i < len; ++i) {
                const double ph = 2.0 * 3.14159265358979323846 * cfo * static_cast<double>(x.size() / nr) / spec.fft_len;
                for (int r = 0; r < nr; ++r) {
                    cd acc = 0.0;
                    for (int t = 0; t < spec.nt; ++t)
                        acc += hc[r * spec.nt + t] * tx[i * spec.nt + t];
                    x.push_back(cf(acc * std::polar(1.0, ph)));
                }
            }
            x.resize(x.size() + static_cast<size_t>(spec.frame_len - len) * nr, cf());
        }
        while (in.left() >= 3 && !x.empty()) {
            const size_t at = (static_cast<size_t>(in.u8()) << 8 | in.u8()) % x.size();
            x[at] = in.cvalue();
        }
    }
    const int64_t m = static_cast<int64_t>(x.size()) / nr;

    try {
        ofdm_rx_kernel k(spec, params);
        int64_t pushed = 0;
        bool all_finite = true;
        std::mt19937_64 chunks(size);
        while (pushed < m) {
            const int64_t c = std::min<int64_t>(m - pushed, 1 + chunks() % 1500);
            for (int64_t i = pushed * nr; i < (pushed + c) * nr; ++i)
                all_finite = all_finite && fuzz::finite(x[i]);
            const int got = k.push(x.data() + pushed * nr, c);
            pushed += c;
            FUZZ_CHECK(got >= 0, "push returned %d", got);
            for (int i = 0; i < got; ++i) {
                const ofdm_rx_frame& f = k.frame(i);
                FUZZ_CHECK(f.h_est.size() == static_cast<size_t>(k.n_used()) * nr * spec.nt &&
                               f.y.size() == static_cast<size_t>(k.n_re()) * nr &&
                               f.h.size() == static_cast<size_t>(k.n_re()) * nr * spec.nt,
                           "frame sizes");
                FUZZ_CHECK(std::isfinite(f.noise_var) && f.noise_var > 0.0, "noise_var %g", f.noise_var);
                // start may precede the input (a stream that begins inside the
                // preamble's CP): it is fft_start + backoff - cp_len.
                FUZZ_CHECK(f.fft_start >= 0 && f.fft_start < pushed &&
                               f.start == f.fft_start + params.backoff - spec.cp_len,
                           "start %lld, fft_start %lld of %lld samples", (long long)f.start,
                           (long long)f.fft_start, (long long)pushed);
                if (all_finite) {
                    FUZZ_CHECK(std::isfinite(f.cfo) && std::isfinite(f.snr_db) && std::isfinite(f.evm) &&
                                   std::isfinite(f.metric),
                               "cfo %g snr_db %g evm %g metric %g", f.cfo, f.snr_db, f.evm, f.metric);
                    FUZZ_CHECK(f.metric <= 1.0 + 1e-5, "metric %g > 1", f.metric);
                    FUZZ_CHECK(finite(f.h_est) && finite(f.y) && finite(f.h),
                               "a frame of finite samples has a non-finite h_est, y or h");
                }
            }
        }
        FUZZ_CHECK(k.frames_found() <= static_cast<uint64_t>(1 + m / k.frame_spacing()),
                   "%llu frames in %lld samples (frame spacing %lld)",
                   (unsigned long long)k.frames_found(), (long long)m, (long long)k.frame_spacing());
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, "exception: %s", e.what());
    }
    return 0;
}
