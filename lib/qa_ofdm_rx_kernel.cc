/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the OFDM receiver kernel without Python: the FFT against a
 * direct DFT, frames built by qa_ofdm_helpers.h (the frame format of
 * phy/ofdm.py with seeded random sequences) and sent through a flat MIMO
 * channel with a CFO, and the argument checks. The comparison with the numpy receiver on realistic
 * channels is tests/test_ofdm_rx_cpp.py.
 */

#include "qa_helpers.h"
#include "qa_ofdm_helpers.h"
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace qa;

BOOST_AUTO_TEST_CASE(fft_matches_direct_dft)
{
    std::mt19937_64 gen(3);
    std::normal_distribution<double> g(0.0, 1.0);
    for (int n : { 2, 4, 8, 64, 256, 1024 }) {
        radix2_fft fft(n);
        std::vector<cd> x(n);
        for (auto& v : x)
            v = cd(g(gen), g(gen));
        std::vector<cd> fx = x, ix = x;
        fft.forward(fx.data());
        fft.inverse(ix.data());
        double err_f = 0.0, err_i = 0.0;
        for (int k = 0; k < n; ++k) {
            cd ref_f = 0.0, ref_i = 0.0;
            for (int m = 0; m < n; ++m) {
                // The index product reduced mod n keeps the reference's angles small.
                const double ang =
                    2.0 * pi * static_cast<double>((static_cast<int64_t>(k) * m) % n) / n;
                ref_f += x[m] * std::polar(1.0, -ang);
                ref_i += x[m] * std::polar(1.0, ang);
            }
            err_f = std::max(err_f, std::abs(fx[k] - ref_f / std::sqrt(double(n))));
            err_i = std::max(err_i, std::abs(ix[k] - ref_i / std::sqrt(double(n))));
        }
        BOOST_TEST_INFO("n = " << n);
        BOOST_CHECK_LT(err_f, 1e-12);
        BOOST_CHECK_LT(err_i, 1e-12);
        fft.inverse(fx.data()); // orthonormal: the inverse undoes the forward
        for (int k = 0; k < n; ++k)
            BOOST_CHECK_LT(std::abs(fx[k] - x[k]), 1e-12);
        // Several transforms side by side (element m of transform b at m * batch + b)
        // give what forward() gives each.
        for (int batch : { 1, 3, 8 }) {
            std::vector<double> re(static_cast<size_t>(n) * batch);
            std::vector<double> im(re.size());
            std::vector<std::vector<cd>> one(batch, std::vector<cd>(n));
            for (int b = 0; b < batch; ++b)
                for (int m = 0; m < n; ++m) {
                    one[b][m] = cd(g(gen), g(gen));
                    re[static_cast<size_t>(m) * batch + b] = one[b][m].real();
                    im[static_cast<size_t>(m) * batch + b] = one[b][m].imag();
                }
            fft.forward_batch(re.data(), im.data(), batch);
            double err = 0.0;
            for (int b = 0; b < batch; ++b) {
                fft.forward(one[b].data());
                for (int m = 0; m < n; ++m)
                    err = std::max(
                        err,
                        std::abs(one[b][m] - cd(re[static_cast<size_t>(m) * batch + b],
                                                im[static_cast<size_t>(m) * batch + b])));
            }
            BOOST_CHECK_LT(err, 1e-13);
        }
    }
    BOOST_CHECK_THROW(radix2_fft(48), std::invalid_argument);
    BOOST_CHECK_THROW(radix2_fft(1), std::invalid_argument);
    BOOST_CHECK_THROW(radix2_fft(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(noise_free_frames_found_at_their_start_and_decoded)
{
    for (const std::string kind : { "time", "comb" }) {
        for (auto dims : { std::pair<int, int>(2, 2),
                           std::pair<int, int>(2, 4),
                           std::pair<int, int>(4, 4) }) {
            const int nt = dims.first, nr = dims.second;
            BOOST_TEST_INFO(kind << " " << nt << "x" << nr);
            const frame_def fd(nt, nr, kind);
            std::mt19937_64 gen(11);
            std::vector<cd> x1, x2;
            std::vector<cd> tx = fd.transmit(gen, x1);
            const std::vector<cd> tx2 = fd.transmit(gen, x2);
            const int gap = 37;
            tx.resize(tx.size() + static_cast<size_t>(gap) * nt, 0.0);
            tx.insert(tx.end(), tx2.begin(), tx2.end());
            const std::vector<cd> h = test_channel(nt, nr, 5);
            const double cfo = 0.137; // subcarrier spacings; zero noise
            const int lead = 211;
            const std::vector<cf> y = channel(tx, nt, nr, h, cfo, fd.fft_len, lead, 300);
            ofdm_rx_kernel k = fd.kernel();
            const std::vector<ofdm_rx_frame> frames = push_all(k, y, nr, 0);
            BOOST_REQUIRE_EQUAL(frames.size(), 2u);
            BOOST_CHECK_EQUAL(k.frames_found(), 2u);
            const int64_t starts[2] = { lead, lead + fd.n_symbols() * fd.sl() + gap };
            const std::vector<cd>* xs[2] = { &x1, &x2 };
            for (int i = 0; i < 2; ++i) {
                const ofdm_rx_frame& f = frames[i];
                BOOST_CHECK_EQUAL(f.start, starts[i]);
                BOOST_CHECK_EQUAL(f.fft_start, starts[i] + fd.cp_len - 4);
                BOOST_CHECK_SMALL(f.cfo - cfo, 1e-5);
                BOOST_CHECK_GT(f.noise_var, 0.0); // float rounding only
                BOOST_CHECK_LT(f.noise_var, 1e-9);
                BOOST_CHECK_GT(f.metric, 0.9);
                BOOST_CHECK_LT(f.evm, 1e-3);
                BOOST_CHECK_GT(f.snr_db, 50.0);
                // Zero forcing with the receiver's (y, H) gives back what was sent.
                double err = 0.0;
                for (int re = 0; re < k.n_re(); ++re) {
                    const std::vector<cd> xh =
                        qa::zero_forcing(&f.h[static_cast<size_t>(re) * nr * nt],
                                         &f.y[static_cast<size_t>(re) * nr],
                                         nt,
                                         nr);
                    for (int t = 0; t < nt; ++t)
                        err = std::max(
                            err,
                            std::abs(xh[t] - (*xs[i])[static_cast<size_t>(re) * nt + t]));
                }
                BOOST_CHECK_LT(err, 1e-3);
            }
            // Random chunk sizes, through push() or append() and next(), give the
            // same frames, bit for bit.
            ofdm_rx_kernel k2 = fd.kernel();
            std::vector<ofdm_rx_frame> split = push_all(k2, y, nr, 9);
            ofdm_rx_kernel k3 = fd.kernel();
            std::mt19937_64 chunks(4);
            for (size_t i = 0; i < y.size() / nr;) {
                const size_t m = std::min<size_t>(1 + chunks() % 300, y.size() / nr - i);
                k3.append(y.data() + i * nr, static_cast<int64_t>(m));
                while (const ofdm_rx_frame* f = k3.next())
                    split.push_back(*f);
                i += m;
            }
            BOOST_REQUIRE_EQUAL(split.size(), 4u);
            for (int i = 0; i < 4; ++i) {
                const ofdm_rx_frame& a = frames[i % 2];
                BOOST_CHECK_EQUAL(split[i].start, a.start);
                BOOST_CHECK_EQUAL(split[i].cfo, a.cfo);
                BOOST_CHECK_EQUAL(split[i].noise_var, a.noise_var);
                BOOST_CHECK_EQUAL(split[i].evm, a.evm);
                BOOST_CHECK(split[i].y == a.y);
                BOOST_CHECK(split[i].h == a.h);
                BOOST_CHECK(split[i].h_est == a.h_est);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(frame_with_nonfinite_noise_estimate_is_rejected)
{
    // A NaN sample in a training symbol makes sigma^2 NaN: that frame is dropped
    // (no exception), the next one is found as usual.
    const frame_def fd(2, 2, "time");
    std::mt19937_64 gen(1);
    std::vector<cd> x;
    std::vector<cd> tx = fd.transmit(gen, x);
    const std::vector<cd> tx2 = fd.transmit(gen, x);
    tx.insert(tx.end(), tx2.begin(), tx2.end());
    const int fl = fd.n_symbols() * fd.sl();
    std::vector<cf> y =
        channel(tx, 2, 2, test_channel(2, 2, 3), 0.0, fd.fft_len, 100, 100, 1e-3);
    const int64_t bad =
        100 + 2 * fd.sl() + fd.cp_len + 5; // second training symbol of frame 0
    y[bad * 2] = cf(std::nanf(""), 0.0f);
    ofdm_rx_kernel k = fd.kernel();
    const std::vector<ofdm_rx_frame> f = push_all(k, y, 2, 0);
    BOOST_REQUIRE_EQUAL(f.size(), 1u);
    BOOST_CHECK_EQUAL(f[0].start, 100 + fl);
    BOOST_CHECK_CLOSE(
        f[0].noise_var, 1e-3, 30.0); // 208 complex differences: 7 % standard error
}

BOOST_AUTO_TEST_CASE(huge_burst_hides_no_later_frame)
{
    // A burst of absurd samples (a few in a gap, or a whole frame's length of noise at
    // 1e20 ... float max) just before a clean frame, in the same metric span: the clean
    // frame is found at its start and decodes. (With the metric's windows taken as
    // differences of running sums they lost every digit after the burst: no frame.)
    const frame_def fd(2, 2, "time");
    const int fl = fd.n_symbols() * fd.sl();
    struct burst {
        int len;
        double amp;
    };
    for (const burst b : { burst{ 5, 1e30 }, burst{ 40, 3.4e38 }, burst{ fl, 1e20 } }) {
        BOOST_TEST_INFO("burst of " << b.len << " samples at " << b.amp);
        std::mt19937_64 gen(3);
        std::vector<cd> x;
        const std::vector<cd> one = fd.transmit(gen, x);
        const int lead = b.len + 60, gap = 20; // the burst ends 40 samples before the frame
        std::vector<cd> tx(static_cast<size_t>(lead - gap) * 2, 0.0);
        tx.insert(tx.end(), one.begin(), one.end());
        std::vector<cf> y =
            channel(tx, 2, 2, test_channel(2, 2, 6), 0.03, fd.fft_len, gap, 100, 1e-4);
        std::normal_distribution<double> g(0.0, b.amp / 2.0);
        for (int i = 20; i < 20 + b.len; ++i)
            for (int r = 0; r < 2; ++r) {
                const float re = static_cast<float>(std::max(-b.amp, std::min(b.amp, g(gen))));
                y[static_cast<size_t>(i) * 2 + r] = cf(re, -re);
            }
        for (int seed : { 0, 5 }) { // whole, and in random chunks
            ofdm_rx_kernel k = fd.kernel();
            const std::vector<ofdm_rx_frame> f = push_all(k, y, 2, seed);
            BOOST_REQUIRE_EQUAL(f.size(), 1u);
            BOOST_CHECK_EQUAL(f[0].start, lead);
            BOOST_CHECK_GT(f[0].metric, 0.9);
            BOOST_CHECK_LE(f[0].metric, 1.0 + 1e-9);
            double err = 0.0;
            for (int re = 0; re < k.n_re(); ++re) {
                const std::vector<cd> xh = qa::zero_forcing(
                    &f[0].h[static_cast<size_t>(re) * 4], &f[0].y[static_cast<size_t>(re) * 2], 2, 2);
                for (int t = 0; t < 2; ++t)
                    err = std::max(err, std::abs(xh[t] - x[static_cast<size_t>(re) * 2 + t]));
            }
            BOOST_CHECK_LT(err, 0.2); // QPSK points lie 1.41 apart: every symbol decodes
        }
    }
}

BOOST_AUTO_TEST_CASE(noise_only_gives_no_frames_and_a_bounded_buffer)
{
    const frame_def fd(2, 2, "time");
    ofdm_rx_kernel k = fd.kernel();
    std::mt19937_64 gen(4);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<cf> noise(4096 * 2);
    for (int rep = 0; rep < 50; ++rep) {
        for (auto& v : noise)
            v = cf(g(gen), g(gen));
        BOOST_CHECK_EQUAL(k.push(noise.data(), 4096), 0);
        // One metric span (4 symbols + 1) and a metric window at most.
        BOOST_CHECK_LE(k.buffered(), 4 * fd.sl() + 1 + fd.fft_len);
    }
    // Silence: E1 E2 = 0 exactly, never a frame.
    std::vector<cf> zeros(5000 * 2, 0.0f);
    BOOST_CHECK_EQUAL(k.push(zeros.data(), 5000), 0);
    BOOST_CHECK_EQUAL(k.frames_found(), 0u);
}

BOOST_AUTO_TEST_CASE(skip_drops_buffered_and_next_samples)
{
    const frame_def fd(2, 2, "time");
    std::mt19937_64 gen(2);
    std::vector<cd> x;
    std::vector<cd> tx;
    for (int i = 0; i < 3; ++i) {
        const std::vector<cd> one = fd.transmit(gen, x);
        tx.insert(tx.end(), one.begin(), one.end());
    }
    const int fl = fd.n_symbols() * fd.sl();
    const std::vector<cf> y =
        channel(tx, 2, 2, test_channel(2, 2, 8), 0.05, fd.fft_len, 50, 100, 1e-4);
    ofdm_rx_kernel k = fd.kernel();
    // Frame 0 whole, then half of frame 1; skip the rest of frame 1: frame 2 survives.
    const int64_t cut = 50 + fl + fl / 2;
    BOOST_CHECK_EQUAL(k.push(y.data(), cut), 1);
    BOOST_CHECK_EQUAL(k.frame(0).start, 50);
    k.skip(fl / 2);
    BOOST_CHECK_EQUAL(k.buffered(), 0);
    BOOST_CHECK_EQUAL(k.samples_skipped(), static_cast<uint64_t>(fl / 2));
    const int64_t rest = cut + fl / 2;
    const int64_t len = static_cast<int64_t>(y.size()) / 2;
    BOOST_CHECK_EQUAL(k.push(y.data() + rest * 2, len - rest), 1);
    BOOST_CHECK_EQUAL(k.frame(0).start, 50 + 2 * fl);
    BOOST_CHECK_THROW(k.skip(-1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_arguments_throw)
{
    const frame_def fd(2, 2, "time");
    // A valid argument set; each case below changes one argument and expects its name
    // (or value) in the message.
    struct kernel_args {
        ofdm_frame_spec spec;
        ofdm_rx_params params;
    };
    const kernel_args base{ fd, ofdm_rx_params() };
    auto make = [](const kernel_args& a) { ofdm_rx_kernel k(a.spec, a.params); };
    auto expect = [&](const std::string& word, auto&& change) {
        kernel_args a = base;
        change(a);
        try {
            make(a);
            BOOST_ERROR("no exception; expected one naming " << word);
        } catch (const std::invalid_argument& e) {
            BOOST_TEST_INFO("message: " << e.what());
            BOOST_CHECK(std::string(e.what()).find(word) != std::string::npos);
        }
    };
    BOOST_CHECK_NO_THROW(make(base));
    expect("fft_len", [](kernel_args& a) { a.spec.fft_len = 48; });
    expect("48", [](kernel_args& a) { a.spec.fft_len = 48; });
    expect("nt", [](kernel_args& a) { a.spec.nt = 0; });
    expect("cp_len", [](kernel_args& a) { a.spec.cp_len = 40; });
    expect("threshold", [](kernel_args& a) { a.params.threshold = 1.5; });
    expect("backoff", [](kernel_args& a) { a.params.backoff = 16; });
    expect("tracking", [](kernel_args& a) { a.params.tracking = "joint"; });
    expect("training", [](kernel_args& a) { a.spec.training = "freq"; });
    expect("n_training_symbols", [](kernel_args& a) { a.spec.n_training_symbols += 1; });
    expect("ltf_repeats", [](kernel_args& a) {
        a.spec.n_training_symbols = 2;
        a.spec.ltf_repeats = 1;
    });
    expect("ascending", [](kernel_args& a) {
        std::swap(a.spec.used_carriers[0], a.spec.used_carriers[1]);
    });
    expect("pilot position", [](kernel_args& a) { a.spec.pilot_positions = { 0, 99 }; });
    expect("preamble_values", [](kernel_args& a) { a.spec.preamble_values.resize(3); });
    expect("training_values", [](kernel_args& a) { a.spec.training_values.resize(5); });
    expect("training value", [](kernel_args& a) {
        std::fill(a.spec.training_values.begin(), a.spec.training_values.end(), 0.0);
    });
    expect("pilot_values", [](kernel_args& a) { a.spec.pilot_values.resize(1); });
    expect("constellation_points",
           [](kernel_args& a) { a.spec.constellation_points.clear(); });
    expect("frame_len = 10", [](kernel_args& a) { a.spec.frame_len = 10; });
    expect("max_backlog",
           [](kernel_args& a) { a.params.max_backlog = a.spec.frame_len; });
}
