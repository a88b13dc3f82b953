/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the MMNet kernel (the per-observation half of HyperMIMO).
 * References are computed independently, in double: the QR of H by modified
 * Gram-Schmidt, R^-1 by back-substitution, and the posterior mean and exact
 * LLRs by enumerating all M points of the constellation (not the kernel's
 * separable PAM form). Random draws are seeded. tests/test_mmnet_kernel.py
 * compares whole random states with a numpy reference.
 */

#include "qa_helpers.h"
#include "simd_explog.h" // fexp, flog only (see test 6)
#include <gnuradio/neuralmimo/mmnet_kernel.h>
#include <boost/test/unit_test.hpp>

using gr::neuralmimo::detector_status;
using gr::neuralmimo::item_failures;
using gr::neuralmimo::mmnet_kernel;
using namespace qa;

namespace {

// One channel's state, complex64/float32, laid out as detect() reads it.
struct state {
    std::vector<cf> q, r, theta;
    std::vector<float> gain, floor_;
    float res_floor = 0.0f;
};

// Thin QR of H (nr x nu, row-major) by modified Gram-Schmidt in double;
// theta = R^-1 (back-substitution) in every layer; tau = tau_floor.
state zf_state(const std::vector<cf>& h, int nu, int nr, int layers, float tau_floor)
{
    std::vector<cd> q(static_cast<size_t>(nr) * nu), r(static_cast<size_t>(nu) * nu, 0.0);
    for (int i = 0; i < nr * nu; ++i)
        q[i] = cd(h[i]);
    for (int j = 0; j < nu; ++j) {
        for (int p = 0; p < j; ++p) {
            cd d = 0.0;
            for (int i = 0; i < nr; ++i)
                d += std::conj(q[i * nu + p]) * q[i * nu + j];
            r[p * nu + j] = d;
            for (int i = 0; i < nr; ++i)
                q[i * nu + j] -= d * q[i * nu + p];
        }
        double nrm = 0.0;
        for (int i = 0; i < nr; ++i)
            nrm += std::norm(q[i * nu + j]);
        nrm = std::sqrt(nrm);
        r[j * nu + j] = nrm;
        for (int i = 0; i < nr; ++i)
            q[i * nu + j] /= nrm;
    }
    // R^-1, column by column: R x = e_c, upward.
    std::vector<cd> ri(static_cast<size_t>(nu) * nu, 0.0);
    for (int c = 0; c < nu; ++c)
        for (int i = nu - 1; i >= 0; --i) {
            cd s = (i == c) ? 1.0 : 0.0;
            for (int j = i + 1; j < nu; ++j)
                s -= r[i * nu + j] * ri[j * nu + c];
            ri[i * nu + c] = s / r[i * nu + i];
        }
    state st;
    for (auto v : q)
        st.q.emplace_back(v);
    for (auto v : r)
        st.r.emplace_back(v);
    for (int t = 0; t < layers; ++t)
        for (auto v : ri)
            st.theta.emplace_back(v);
    st.gain.assign(static_cast<size_t>(layers) * nu, 0.0f);
    st.floor_.assign(static_cast<size_t>(layers) * nu, tau_floor);
    return st;
}

// The states of several channels, concatenated.
struct states {
    std::vector<cf> q, r, theta;
    std::vector<float> gain, floor_, res_floor;
    void add(const state& s)
    {
        q.insert(q.end(), s.q.begin(), s.q.end());
        r.insert(r.end(), s.r.begin(), s.r.end());
        theta.insert(theta.end(), s.theta.begin(), s.theta.end());
        gain.insert(gain.end(), s.gain.begin(), s.gain.end());
        floor_.insert(floor_.end(), s.floor_.begin(), s.floor_.end());
        res_floor.push_back(s.res_floor);
    }
    int count() const { return static_cast<int>(res_floor.size()); }
};

item_failures run(mmnet_kernel& k,
                  const std::vector<cf>& y,
                  const std::vector<int32_t>& chan,
                  const states& s,
                  std::vector<cf>& est,
                  std::vector<float>& llr)
{
    const int n = static_cast<int>(chan.size());
    est.assign(static_cast<size_t>(n) * k.nu(), cf(7.0f, 7.0f));
    llr.assign(static_cast<size_t>(n) * k.nu() * k.bits_per_symbol(), 7.0f);
    return k.detect(y.data(), chan.data(), n, s.q.data(), s.r.data(), s.theta.data(),
                    s.gain.data(), s.floor_.data(), s.res_floor.data(), s.count(),
                    est.data(), llr.data());
}

// Posterior mean and exact LLRs of one user over all M points, in double.
void enumerate(
    const constellation_table& c, cd z, double tau, cd& mean, std::vector<double>& llr)
{
    const int m = c.order(), kb = c.bits_per_symbol();
    std::vector<double> met(m);
    double mmin = 1e300;
    for (int i = 0; i < m; ++i) {
        met[i] = std::norm(z - cd(c.points()[i])) / tau;
        mmin = std::min(mmin, met[i]);
    }
    double den = 0.0;
    mean = 0.0;
    for (int i = 0; i < m; ++i) {
        const double w = std::exp(-(met[i] - mmin));
        den += w;
        mean += w * cd(c.points()[i]);
    }
    mean /= den;
    llr.assign(kb, 0.0);
    for (int b = 0; b < kb; ++b) {
        double s[2] = { 0.0, 0.0 };
        for (int i = 0; i < m; ++i)
            s[c.bit(i, b)] += std::exp(-(met[i] - mmin));
        const double lim = gr::neuralmimo::detector_floors::llr_limit;
        llr[b] = std::min(std::max(std::log(s[1]) - std::log(s[0]), -lim), lim);
    }
}

} // namespace

// (1) theta = R^-1, tau tiny, noiseless y = H x: the first layer's z is x,
// so the estimate is x and every LLR is +-llr_limit with the bit's sign;
// several channels, items mapped to them in turn.
BOOST_AUTO_TEST_CASE(zero_forcing_state_recovers_noiseless_symbols)
{
    rng rg(5101);
    for (const char* name : { "qpsk", "qam16", "bpsk" }) {
        const int nu = 4, nr = 8, layers = 3, channels = 3, n = 12;
        mmnet_kernel k(nu, nr, layers, name);
        const constellation_table& c = k.constellation();
        const int kb = c.bits_per_symbol();
        std::vector<std::vector<cf>> hs;
        states s;
        for (int ch = 0; ch < channels; ++ch) {
            hs.push_back(random_h(rg, nu, nr));
            s.add(zf_state(hs.back(), nu, nr, layers, 1e-3f));
        }
        std::vector<cf> y;
        std::vector<int32_t> chan;
        std::vector<std::vector<int>> idx(n);
        for (int i = 0; i < n; ++i) {
            chan.push_back((i * 2) % channels);
            const auto x = random_symbols(rg, c, nu, idx[i]);
            const auto yi = make_y(rg, hs[chan[i]], x, nu, nr, 0.0);
            y.insert(y.end(), yi.begin(), yi.end());
        }
        std::vector<cf> est;
        std::vector<float> llr;
        const auto f = run(k, y, chan, s, est, llr);
        BOOST_TEST(f.count == 0u);
        for (int i = 0; i < n; ++i)
            for (int u = 0; u < nu; ++u) {
                BOOST_TEST_CONTEXT(name << " item " << i << " user " << u)
                {
                    BOOST_TEST(std::abs(est[i * nu + u] - c.points()[idx[i][u]]) <= 1e-4f);
                    for (int b = 0; b < kb; ++b)
                        BOOST_TEST(llr[(i * nu + u) * kb + b] ==
                                   (c.bit(idx[i][u], b) ? 100.0f : -100.0f));
                }
            }
    }
}

// (2) One user, one antenna, q = r = 1, theta = 1: z = y and tau =
// tau_gain e + tau_floor; the estimate and the LLRs equal enumeration over
// all M points, for every constellation and a range of z and tau. Then a
// second layer with e > 0 against the formulas by hand.
BOOST_AUTO_TEST_CASE(denoiser_and_llrs_match_enumeration)
{
    rng rg(5202);
    for (const auto& name : all_constellations()) {
        mmnet_kernel k(1, 1, 1, name);
        const constellation_table& c = k.constellation();
        const int kb = c.bits_per_symbol();
        for (int trial = 0; trial < 200; ++trial) {
            const double tau = std::pow(10.0, rg.uniform(-2.0, 0.5));
            const cf z(static_cast<float>(rg.uniform(-1.5, 1.5)),
                       static_cast<float>(rg.uniform(-1.5, 1.5)));
            states s;
            state st;
            st.q = { cf(1.0f) };
            st.r = { cf(1.0f) };
            st.theta = { cf(1.0f) };
            st.gain = { 0.0f };
            st.floor_ = { static_cast<float>(tau) };
            s.add(st);
            std::vector<cf> est;
            std::vector<float> llr;
            BOOST_REQUIRE(run(k, { z }, { 0 }, s, est, llr).count == 0u);
            cd mean;
            std::vector<double> want;
            enumerate(c, cd(z), static_cast<float>(tau), mean, want);
            BOOST_TEST_CONTEXT(name << " z=" << z << " tau=" << tau)
            {
                BOOST_TEST(std::abs(cd(est[0]) - mean) <= 1e-5);
                for (int b = 0; b < kb; ++b)
                    BOOST_TEST(std::abs(llr[b] - want[b]) <=
                               1e-4 * std::max(1.0, std::abs(want[b])));
            }
        }
    }
    // Two layers, QPSK, a = 1/sqrt(2): y = 0.6 + 0.2j, r = 2, theta = 0.5,
    // res_floor = 0.1, tau_gain = 0.5, tau_floor = 0.2. Layer 0: res = y,
    // e = 0.4 - 0.1 = 0.3, z = 0.3 + 0.1j, tau = 0.35; x_1 = a tanh(2 a z / tau)
    // per part. Layer 1: res = y - 2 x_1, z = x_1 + 0.5 res, LLR = -4 a z / tau.
    mmnet_kernel k(1, 1, 2, "qpsk");
    state st;
    st.q = { cf(1.0f) };
    st.r = { cf(2.0f) };
    st.theta = { cf(0.5f), cf(0.5f) };
    st.gain = { 0.5f, 0.5f };
    st.floor_ = { 0.2f, 0.2f };
    st.res_floor = 0.1f;
    states s;
    s.add(st);
    const cd y(0.6, 0.2);
    const double a = 1.0 / std::sqrt(2.0);
    cd z(0.3, 0.1);
    double tau = 0.35;
    cd x(a * std::tanh(2 * a * z.real() / tau), a * std::tanh(2 * a * z.imag() / tau));
    const cd res = y - 2.0 * x;
    tau = std::max(0.5 * (std::norm(res) - 0.1), 0.0) + 0.2;
    z = x + 0.5 * res;
    x = cd(a * std::tanh(2 * a * z.real() / tau), a * std::tanh(2 * a * z.imag() / tau));
    std::vector<cf> est;
    std::vector<float> llr;
    BOOST_REQUIRE(run(k, { cf(y) }, { 0 }, s, est, llr).count == 0u);
    BOOST_TEST(std::abs(cd(est[0]) - x) <= 1e-6);
    BOOST_TEST(std::abs(llr[0] - (-4 * a * z.real() / tau)) <= 1e-5);
    BOOST_TEST(std::abs(llr[1] - (-4 * a * z.imag() / tau)) <= 1e-5);
}

// (3) Bad construction arguments and channel indices throw and name the
// parameter and value, or the item; nothing is written before the throw.
BOOST_AUTO_TEST_CASE(bad_arguments_throw)
{
    throws_with([] { mmnet_kernel(0, 4, 3, "qpsk"); }, { "nu = 0" });
    throws_with([] { mmnet_kernel(2, 0, 3, "qpsk"); }, { "nr = 0" });
    throws_with([] { mmnet_kernel(4, 2, 3, "qpsk"); }, { "nr = 2", "nu = 4" });
    throws_with([] { mmnet_kernel(2, 4, 0, "qpsk"); }, { "layers = 0" });
    throws_with([] { mmnet_kernel(2, 4, 3, "qam32"); }, { "constellation", "qam32" });

    rng rg(5303);
    mmnet_kernel k(2, 4, 2, "qpsk");
    states s;
    s.add(zf_state(random_h(rg, 2, 4), 2, 4, 2, 0.1f));
    s.add(zf_state(random_h(rg, 2, 4), 2, 4, 2, 0.1f));
    const std::vector<cf> y(3 * 4, cf(0.5f, -0.5f));
    std::vector<cf> est;
    std::vector<float> llr;
    throws_with([&] { run(k, y, { 0, 1, 2 }, s, est, llr); }, { "item 2", "channel 2" });
    BOOST_TEST(est[0] == cf(7.0f, 7.0f)); // nothing written
    throws_with([&] { run(k, y, { 0, -1, 1 }, s, est, llr); }, { "item 1", "-1" });
    throws_with(
        [&] {
            k.detect(y.data(), nullptr, -1, s.q.data(), s.r.data(), s.theta.data(),
                     s.gain.data(), s.floor_.data(), s.res_floor.data(), 2, est.data(),
                     llr.data());
        },
        { "n = -1" });
    const int32_t zero = 0;
    throws_with(
        [&] {
            k.detect(y.data(), &zero, 1, s.q.data(), s.r.data(), s.theta.data(),
                     s.gain.data(), s.floor_.data(), s.res_floor.data(), 0, est.data(),
                     llr.data());
        },
        { "n_channels = 0" });
    // No items: nothing to do, whatever the (null) buffers.
    BOOST_TEST(k.detect(nullptr, nullptr, 0, nullptr, nullptr, nullptr, nullptr, nullptr,
                        nullptr, 0, nullptr, nullptr)
                   .count == 0u);
}

// (4) A NaN or Inf in y, or in a channel's state, erases exactly the items
// concerned (estimate and LLRs 0) and is reported; an overflow (finite but
// huge y) likewise; the other items are those of a clean run, bitwise.
BOOST_AUTO_TEST_CASE(nonfinite_inputs_are_erased)
{
    rng rg(5404);
    const int nu = 3, nr = 5, layers = 2, n = 6;
    mmnet_kernel k(nu, nr, layers, "qam16");
    const int kb = k.bits_per_symbol();
    states s;
    for (int ch = 0; ch < 3; ++ch) {
        state st = zf_state(random_h(rg, nu, nr), nu, nr, layers, 0.2f);
        st.gain.assign(st.gain.size(), 0.3f);
        st.res_floor = 0.05f;
        s.add(st);
    }
    std::vector<cf> y(static_cast<size_t>(n) * nr);
    for (auto& v : y)
        v = cf(rg.cn());
    const std::vector<int32_t> chan = { 0, 1, 2, 0, 1, 2 };
    std::vector<cf> est0, est;
    std::vector<float> llr0, llr;
    BOOST_REQUIRE(run(k, y, chan, s, est0, llr0).count == 0u);

    auto erased = [&](int i) {
        for (int u = 0; u < nu; ++u) {
            if (est[i * nu + u] != cf(0.0f, 0.0f))
                return false;
            for (int b = 0; b < kb; ++b)
                if (llr[(i * nu + u) * kb + b] != 0.0f)
                    return false;
        }
        return true;
    };
    auto same = [&](int i) {
        return std::memcmp(&est[i * nu], &est0[i * nu], nu * sizeof(cf)) == 0 &&
               std::memcmp(&llr[i * nu * kb], &llr0[i * nu * kb], nu * kb * sizeof(float)) == 0;
    };

    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    auto y_bad = y;
    y_bad[1 * nr + 2] = cf(nan, 0.0f);
    y_bad[4 * nr + 0] = cf(0.0f, -inf);
    auto f = run(k, y_bad, chan, s, est, llr);
    BOOST_TEST(f.count == 2u);
    BOOST_TEST(f.first == 1);
    BOOST_TEST((f.first_status == detector_status::nonfinite_y));
    for (int i = 0; i < n; ++i)
        BOOST_TEST((i == 1 || i == 4 ? erased(i) : same(i)), "item " << i);

    // Each part of the state of channel 2 (items 2 and 5).
    for (int part = 0; part < 6; ++part) {
        states sb = s;
        switch (part) {
        case 0: sb.q[2 * nr * nu + 1] = cf(inf, 0.0f); break;
        case 1: sb.r[2 * nu * nu + nu * nu - 1] = cf(0.0f, nan); break;
        case 2: sb.theta[2 * layers * nu * nu + 4] = cf(nan, 0.0f); break;
        case 3: sb.gain[2 * layers * nu] = inf; break;
        case 4: sb.floor_[3 * layers * nu - 1] = nan; break;
        default: sb.res_floor[2] = -inf; break;
        }
        f = run(k, y, chan, sb, est, llr);
        BOOST_TEST_CONTEXT("state part " << part)
        {
            BOOST_TEST(f.count == 2u);
            BOOST_TEST(f.first == 2);
            BOOST_TEST((f.first_status == detector_status::nonfinite_channel));
            for (int i = 0; i < n; ++i)
                BOOST_TEST((i == 2 || i == 5 ? erased(i) : same(i)), "item " << i);
        }
    }

    // |y| ~ 1e30: ||res||^2 overflows float.
    auto y_big = y;
    for (int j = 0; j < nr; ++j)
        y_big[3 * nr + j] = cf(1e30f, -1e30f);
    f = run(k, y_big, chan, s, est, llr);
    BOOST_TEST(f.count == 1u);
    BOOST_TEST(f.first == 3);
    BOOST_TEST((f.first_status == detector_status::overflow));
    for (int i = 0; i < n; ++i)
        BOOST_TEST((i == 3 ? erased(i) : same(i)), "item " << i);
}

// (5) Items of one channel run up to 8 side by side: a NaN y and an
// overflowing y inside such a run erase exactly those items, and every other
// item is bitwise what it is alone.
BOOST_AUTO_TEST_CASE(items_side_by_side_equal_items_alone)
{
    rng rg(5505);
    for (const char* name : { "bpsk", "qpsk", "qam64" }) {
        const int nu = 3, nr = 4, layers = 3, n = 19;
        mmnet_kernel k(nu, nr, layers, name);
        const int kb = k.bits_per_symbol();
        states s;
        state st = zf_state(random_h(rg, nu, nr), nu, nr, layers, 0.1f);
        st.gain.assign(st.gain.size(), 0.2f);
        s.add(st);
        std::vector<cf> y(static_cast<size_t>(n) * nr);
        for (auto& v : y)
            v = cf(rg.cn());
        y[9 * nr + 1] = cf(std::numeric_limits<float>::quiet_NaN(), 0.0f);
        for (int j = 0; j < nr; ++j)
            y[12 * nr + j] = cf(1e30f, 1e30f);
        std::vector<cf> est, est1;
        std::vector<float> llr, llr1;
        const auto f = run(k, y, std::vector<int32_t>(n, 0), s, est, llr);
        BOOST_TEST(f.count == 2u);
        BOOST_TEST(f.first == 9);
        BOOST_TEST((f.first_status == detector_status::nonfinite_y));
        for (int i = 0; i < n; ++i) {
            const std::vector<cf> yi(y.begin() + i * nr, y.begin() + (i + 1) * nr);
            const auto f1 = run(k, yi, { 0 }, s, est1, llr1);
            BOOST_TEST_CONTEXT(name << " item " << i)
            {
                BOOST_TEST(f1.count == (i == 9 || i == 12 ? 1u : 0u));
                if (i == 12)
                    BOOST_TEST((f1.first_status == detector_status::overflow));
                BOOST_TEST(std::memcmp(&est[i * nu], est1.data(), nu * sizeof(cf)) == 0);
                BOOST_TEST(std::memcmp(&llr[i * nu * kb], llr1.data(), nu * kb * 4) == 0);
            }
        }
    }
}

// (6) The float32 exp and log of the denoiser (simd_explog.h) against the
// library's double versions: exp on [-80, 1] within 2e-7 relative (exp(0)
// exactly 1, below -80 the value at -80), log on [1/256, 256] within 2e-7 of max(1, |log x|); measured
// 7.7e-8 for both. The scalar versions: the v8 ones are the same operations
// lane by lane (the generic v8 calls these), and this test is compiled
// without the kernel's -march flags, where v8 arguments change the ABI.
BOOST_AUTO_TEST_CASE(polynomial_exp_and_log)
{
    namespace s = gr::neuralmimo::simd;
    BOOST_TEST(s::fexp(0.0f) == 1.0f);
    double worst_exp = 0.0, worst_log = 0.0;
    BOOST_TEST(s::fexp(-1000.0f) == s::fexp(-80.0f));
    for (int i = 0; i <= 81000; ++i) {
        const float x = -80.0f + 0.001f * static_cast<float>(i);
        const double want = std::exp(static_cast<double>(x));
        worst_exp = std::max(worst_exp, std::abs(s::fexp(x) - want) / want);
    }
    for (int i = 0; i <= 160000; ++i) {
        const float m = 1.0f + static_cast<float>(i % 10000) / 10000.0f;
        const float x = std::ldexp(m, i / 10000 - 8);
        const double want = std::log(static_cast<double>(x));
        const double err = std::abs(s::flog(x) - want) / std::max(1.0, std::abs(want));
        worst_log = std::max(worst_log, err);
    }
    BOOST_TEST_MESSAGE("exp: " << worst_exp << ", log: " << worst_log);
    BOOST_TEST(worst_exp <= 2e-7);
    BOOST_TEST(worst_log <= 2e-7);
}
