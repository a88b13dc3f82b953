/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the LMMSE kernel and the constellation table. Every reference
 * is computed here independently, in double: the normal equations, a
 * Gauss-Jordan inverse for G, and max-log LLRs by enumerating the whole
 * constellation. Random draws are seeded.
 */

#include <gnuradio/neuralmimo/constellation_table.h>
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using gr::neuralmimo::constellation_table;
using gr::neuralmimo::lmmse_kernel;
using cf = std::complex<float>;
using cd = std::complex<double>;

namespace {

const std::vector<std::string> all_constellations = {
    "bpsk", "qpsk", "qam16", "qam64", "qam256"
};

struct rng {
    std::mt19937_64 gen;
    std::normal_distribution<double> n{ 0.0, 1.0 };
    explicit rng(uint64_t seed) : gen(seed) {}
    // CN(0, var)
    cd cn(double var = 1.0)
    {
        const double s = std::sqrt(var / 2.0);
        const double re = s * n(gen);
        const double im = s * n(gen);
        return { re, im };
    }
    int index(int m) { return std::uniform_int_distribution<int>(0, m - 1)(gen); }
};

// H: complex64[nr * nt] row-major, entries CN(0, 1).
std::vector<cf> random_h(rng& r, int nt, int nr)
{
    std::vector<cf> h(static_cast<size_t>(nr) * nt);
    for (auto& v : h)
        v = cf(r.cn());
    return h;
}

// y = H x + n with n ~ CN(0, nv) (nv = 0: noise free), computed in double.
std::vector<cf>
make_y(rng& r, const std::vector<cf>& h, const std::vector<cf>& x, int nt, int nr, double nv)
{
    std::vector<cf> y(nr);
    for (int i = 0; i < nr; ++i) {
        cd acc = 0.0;
        for (int t = 0; t < nt; ++t)
            acc += cd(h[i * nt + t]) * cd(x[t]);
        if (nv > 0)
            acc += r.cn(nv);
        y[i] = cf(acc);
    }
    return y;
}

// The double-precision LMMSE reference of the formulas in lmmse_kernel.h.
struct reference {
    std::vector<cd> a;    // A = H^H H + s2 I [nt * nt]
    std::vector<cd> hhy;  // H^H y [nt]
    std::vector<cd> xhat; // G H^H y
    std::vector<double> mu, nu;
    std::vector<cd> z;
};

reference lmmse_reference(const std::vector<cf>& h, const std::vector<cf>& y, int nt, int nr, double s2)
{
    reference ref;
    ref.a.assign(static_cast<size_t>(nt) * nt, 0.0);
    ref.hhy.assign(nt, 0.0);
    for (int i = 0; i < nt; ++i) {
        for (int j = 0; j < nt; ++j) {
            cd acc = 0.0;
            for (int r = 0; r < nr; ++r)
                acc += std::conj(cd(h[r * nt + i])) * cd(h[r * nt + j]);
            ref.a[i * nt + j] = acc + (i == j ? s2 : 0.0);
        }
        for (int r = 0; r < nr; ++r)
            ref.hhy[i] += std::conj(cd(h[r * nt + i])) * cd(y[r]);
    }
    // G = A^-1 by Gauss-Jordan with partial pivoting.
    std::vector<cd> m = ref.a;
    std::vector<cd> g(static_cast<size_t>(nt) * nt, 0.0);
    for (int i = 0; i < nt; ++i)
        g[i * nt + i] = 1.0;
    for (int c = 0; c < nt; ++c) {
        int piv = c;
        for (int r = c + 1; r < nt; ++r)
            if (std::abs(m[r * nt + c]) > std::abs(m[piv * nt + c]))
                piv = r;
        for (int k = 0; k < nt; ++k) {
            std::swap(m[c * nt + k], m[piv * nt + k]);
            std::swap(g[c * nt + k], g[piv * nt + k]);
        }
        const cd inv = 1.0 / m[c * nt + c];
        for (int k = 0; k < nt; ++k) {
            m[c * nt + k] *= inv;
            g[c * nt + k] *= inv;
        }
        for (int r = 0; r < nt; ++r) {
            if (r == c)
                continue;
            const cd f = m[r * nt + c];
            for (int k = 0; k < nt; ++k) {
                m[r * nt + k] -= f * m[c * nt + k];
                g[r * nt + k] -= f * g[c * nt + k];
            }
        }
    }
    ref.xhat.assign(nt, 0.0);
    ref.mu.assign(nt, 0.0);
    ref.nu.assign(nt, 0.0);
    ref.z.assign(nt, 0.0);
    for (int t = 0; t < nt; ++t) {
        for (int k = 0; k < nt; ++k)
            ref.xhat[t] += g[t * nt + k] * ref.hhy[k];
        const double gtt = g[t * nt + t].real();
        ref.mu[t] = std::max(1.0 - s2 * gtt, 1e-12);
        ref.nu[t] = std::max(s2 * gtt / ref.mu[t], 1e-10);
        ref.z[t] = ref.xhat[t] / ref.mu[t];
    }
    return ref;
}

// Max-log LLRs of z with variance nu by enumerating every point.
std::vector<double> brute_force_llr(const constellation_table& c, cd z, double nu)
{
    const int k = c.bits_per_symbol();
    std::vector<double> llr(k);
    for (int b = 0; b < k; ++b) {
        double d0 = std::numeric_limits<double>::infinity();
        double d1 = std::numeric_limits<double>::infinity();
        for (int i = 0; i < c.order(); ++i) {
            const double d = std::norm(z - cd(c.points()[i]));
            if (c.bit(i, b))
                d1 = std::min(d1, d);
            else
                d0 = std::min(d0, d);
        }
        llr[b] = (d0 - d1) / nu;
    }
    return llr;
}

struct outputs {
    std::vector<cf> est, sym;
    std::vector<float> llr;
    std::vector<uint8_t> bits;
    outputs(int nt, int k) : est(nt), sym(nt), llr(nt * k), bits(nt * k) {}
    void fill_garbage()
    {
        std::fill(est.begin(), est.end(), cf(7.0f, -7.0f));
        std::fill(sym.begin(), sym.end(), cf(7.0f, -7.0f));
        std::fill(llr.begin(), llr.end(), 7.0f);
        std::fill(bits.begin(), bits.end(), uint8_t(7));
    }
    bool all_zero() const
    {
        for (auto v : est)
            if (v != cf(0.0f, 0.0f))
                return false;
        for (auto v : sym)
            if (v != cf(0.0f, 0.0f))
                return false;
        for (auto v : llr)
            if (v != 0.0f)
                return false;
        for (auto v : bits)
            if (v != 0)
                return false;
        return true;
    }
    bool same_bits(const outputs& o) const
    {
        return std::memcmp(est.data(), o.est.data(), est.size() * sizeof(cf)) == 0 &&
               std::memcmp(sym.data(), o.sym.data(), sym.size() * sizeof(cf)) == 0 &&
               std::memcmp(llr.data(), o.llr.data(), llr.size() * sizeof(float)) == 0 &&
               bits == o.bits;
    }
};

bool run_detect(lmmse_kernel& k, const std::vector<cf>& y, outputs& o)
{
    return k.detect(y.data(), o.est.data(), o.sym.data(), o.llr.data(), o.bits.data());
}

std::vector<cf> random_symbols(rng& r, const constellation_table& c, int nt, std::vector<int>& idx)
{
    std::vector<cf> x(nt);
    idx.resize(nt);
    for (int t = 0; t < nt; ++t) {
        idx[t] = r.index(c.order());
        x[t] = c.points()[idx[t]];
    }
    return x;
}

} // namespace

// (1) xhat solves (H^H H + s2 I) xhat = H^H y.
BOOST_AUTO_TEST_CASE(estimate_solves_normal_equations)
{
    rng r(1001);
    const int shapes[][2] = { { 4, 4 }, { 4, 8 }, { 4, 2 }, { 1, 1 }, { 8, 8 } }; // {nt, nr}
    for (const auto& s : shapes) {
        const int nt = s[0], nr = s[1];
        lmmse_kernel k(nt, nr, "qam16");
        outputs o(nt, k.bits_per_symbol());
        for (double s2 : { 1e-3, 0.1, 1.0 }) {
            for (int trial = 0; trial < 100; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto x = random_symbols(r, k.constellation(), nt, idx);
                const auto y = make_y(r, h, x, nt, nr, s2);
                BOOST_REQUIRE(k.set_channel(h.data(), static_cast<float>(s2)));
                BOOST_REQUIRE(run_detect(k, y, o));
                const reference ref = lmmse_reference(h, y, nt, nr, static_cast<float>(s2));
                double res2 = 0.0, rhs2 = 0.0, err2 = 0.0, ref2 = 0.0;
                for (int i = 0; i < nt; ++i) {
                    cd ax = 0.0;
                    for (int j = 0; j < nt; ++j)
                        ax += ref.a[i * nt + j] * cd(o.est[j]);
                    res2 += std::norm(ax - ref.hhy[i]);
                    rhs2 += std::norm(ref.hhy[i]);
                    err2 += std::norm(cd(o.est[i]) - ref.xhat[i]);
                    ref2 += std::norm(ref.xhat[i]);
                }
                BOOST_TEST_CONTEXT("nt=" << nt << " nr=" << nr << " s2=" << s2
                                         << " trial=" << trial)
                {
                    BOOST_TEST(std::sqrt(res2) <= 1e-4 * std::sqrt(rhs2));
                    // Against the double solution as well (looser: cond(A) enters).
                    BOOST_TEST(std::sqrt(err2) <= 1e-3 * std::sqrt(ref2) + 1e-6);
                    for (int t = 0; t < nt; ++t) {
                        BOOST_TEST(std::abs(k.bias()[t] - ref.mu[t]) <= 1e-5 * ref.mu[t]);
                        BOOST_TEST(std::abs(k.post_noise_var()[t] - ref.nu[t]) <=
                                   1e-5 * ref.nu[t]);
                    }
                }
            }
        }
    }
}

// (2) Noise-free y = H x at s2 = 1e-6: zero symbol and bit errors.
BOOST_AUTO_TEST_CASE(noise_free_gives_transmitted_symbols)
{
    rng r(2002);
    for (const auto& name : all_constellations) {
        for (int nr : { 4, 8 }) {
            const int nt = 4;
            lmmse_kernel k(nt, nr, name);
            const constellation_table& c = k.constellation();
            const int kb = c.bits_per_symbol();
            outputs o(nt, kb);
            for (int trial = 0; trial < 300; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto x = random_symbols(r, c, nt, idx);
                const auto y = make_y(r, h, x, nt, nr, 0.0);
                BOOST_REQUIRE(k.set_channel(h.data(), 1e-6f));
                BOOST_REQUIRE(run_detect(k, y, o));
                for (int t = 0; t < nt; ++t) {
                    BOOST_TEST_CONTEXT(name << " nr=" << nr << " trial=" << trial
                                            << " t=" << t)
                    {
                        BOOST_TEST(o.sym[t] == x[t]);
                        for (int b = 0; b < kb; ++b) {
                            BOOST_TEST(int(o.bits[t * kb + b]) == c.bit(idx[t], b));
                            // LLR sign agrees with the label (positive = bit 1).
                            BOOST_TEST((o.llr[t * kb + b] > 0.0f) == (c.bit(idx[t], b) == 1));
                        }
                    }
                }
            }
        }
    }
}

// (3) LLRs equal a brute-force max-log over the whole constellation; hard
// decisions equal the brute-force nearest point.
BOOST_AUTO_TEST_CASE(llr_matches_brute_force_maxlog)
{
    rng r(3003);
    for (const auto& name : all_constellations) {
        for (int nr : { 4, 8 }) {
            const int nt = 4;
            lmmse_kernel k(nt, nr, name);
            const constellation_table& c = k.constellation();
            const int kb = c.bits_per_symbol();
            outputs o(nt, kb);
            for (double s2 : { 0.01, 0.1, 1.0 }) {
                for (int trial = 0; trial < 100; ++trial) {
                    const auto h = random_h(r, nt, nr);
                    std::vector<int> idx;
                    const auto x = random_symbols(r, c, nt, idx);
                    const auto y = make_y(r, h, x, nt, nr, s2);
                    BOOST_REQUIRE(k.set_channel(h.data(), static_cast<float>(s2)));
                    BOOST_REQUIRE(run_detect(k, y, o));
                    const reference ref =
                        lmmse_reference(h, y, nt, nr, static_cast<float>(s2));
                    for (int t = 0; t < nt; ++t) {
                        const auto want = brute_force_llr(c, ref.z[t], ref.nu[t]);
                        // Nearest point by enumeration; skip near-ties.
                        int best = 0;
                        double d_best = 1e300, d_second = 1e300;
                        for (int i = 0; i < c.order(); ++i) {
                            const double d = std::abs(ref.z[t] - cd(c.points()[i]));
                            if (d < d_best) {
                                d_second = d_best;
                                d_best = d;
                                best = i;
                            } else if (d < d_second) {
                                d_second = d;
                            }
                        }
                        BOOST_TEST_CONTEXT(name << " nr=" << nr << " s2=" << s2
                                                << " trial=" << trial << " t=" << t)
                        {
                            for (int b = 0; b < kb; ++b)
                                BOOST_TEST(std::abs(o.llr[t * kb + b] - want[b]) <=
                                           1e-3 * std::max(std::abs(want[b]), 1.0));
                            if (d_second - d_best > 1e-4) {
                                BOOST_TEST(o.sym[t] == c.points()[best]);
                                for (int b = 0; b < kb; ++b)
                                    BOOST_TEST(int(o.bits[t * kb + b]) == c.bit(best, b));
                            }
                        }
                    }
                }
            }
        }
    }
}

// (4) The table: unit energy, Gray labels, 38.211 formulas.
BOOST_AUTO_TEST_CASE(constellation_table_properties)
{
    for (const auto& name : all_constellations) {
        const constellation_table c(name);
        const int m = c.order(), kb = c.bits_per_symbol();
        BOOST_TEST_CONTEXT(name)
        {
            BOOST_TEST(m == (1 << kb));
            BOOST_TEST(kb == constellation_table::bits_per_symbol(name));
            double e = 0.0;
            for (int i = 0; i < m; ++i)
                e += std::norm(cd(c.points()[i]));
            BOOST_TEST(std::abs(e / m - 1.0) <= 1e-6);

            // Labels: point i carries the bits of i, MSB first.
            for (int i = 0; i < m; ++i)
                for (int b = 0; b < kb; ++b)
                    BOOST_TEST(int(c.bits()[i * kb + b]) == ((i >> (kb - 1 - b)) & 1));

            // Gray: every nearest neighbour differs in exactly one bit.
            double dmin = 1e300;
            for (int i = 0; i < m; ++i)
                for (int j = i + 1; j < m; ++j)
                    dmin = std::min(dmin, std::abs(cd(c.points()[i]) - cd(c.points()[j])));
            int neighbours = 0;
            for (int i = 0; i < m; ++i) {
                for (int j = 0; j < m; ++j) {
                    if (i == j)
                        continue;
                    const double d = std::abs(cd(c.points()[i]) - cd(c.points()[j]));
                    if (d <= dmin * (1.0 + 1e-5)) {
                        ++neighbours;
                        int diff = 0;
                        for (int b = 0; b < kb; ++b)
                            diff += c.bit(i, b) != c.bit(j, b);
                        BOOST_TEST(diff == 1);
                    }
                }
            }
            BOOST_TEST(neighbours >= m); // every point has at least one
        }
    }

    // Closed forms.
    const constellation_table bpsk("bpsk");
    BOOST_TEST(bpsk.points()[0] == cf(1.0f, 0.0f));
    BOOST_TEST(bpsk.points()[1] == cf(-1.0f, 0.0f));
    const constellation_table qpsk("qpsk");
    for (int i = 0; i < 4; ++i) {
        const int b0 = (i >> 1) & 1, b1 = i & 1;
        const cd want = cd(1 - 2 * b0, 1 - 2 * b1) / std::sqrt(2.0);
        BOOST_TEST(std::abs(cd(qpsk.points()[i]) - want) <= 1e-7);
    }
    const constellation_table qam16("qam16");
    for (int i = 0; i < 16; ++i) {
        const int b0 = (i >> 3) & 1, b1 = (i >> 2) & 1, b2 = (i >> 1) & 1, b3 = i & 1;
        const cd want = cd((1 - 2 * b0) * (2 - (1 - 2 * b2)), (1 - 2 * b1) * (2 - (1 - 2 * b3))) /
                        std::sqrt(10.0);
        BOOST_TEST(std::abs(cd(qam16.points()[i]) - want) <= 1e-7);
    }
    // 64QAM index 0 (all bits 0) is (3 + 3j)/sqrt(42); index 63 is (-7 - 7j)/sqrt(42).
    const constellation_table qam64("qam64");
    BOOST_TEST(std::abs(cd(qam64.points()[0]) - cd(3, 3) / std::sqrt(42.0)) <= 1e-7);
    BOOST_TEST(std::abs(cd(qam64.points()[63]) - cd(-7, -7) / std::sqrt(42.0)) <= 1e-7);

    BOOST_CHECK_THROW(constellation_table("qam32"), std::invalid_argument);
    BOOST_TEST(!constellation_table::is_valid_name("QAM16"));
    BOOST_TEST(constellation_table::names().size() == 5u);
}

// (5) The cached path gives bitwise the same outputs as a fresh factorisation.
BOOST_AUTO_TEST_CASE(cached_channel_equals_fresh)
{
    rng r(5005);
    const int nt = 4, nr = 6;
    for (const auto& name : all_constellations) {
        lmmse_kernel cached(nt, nr, name);
        const int kb = cached.bits_per_symbol();
        const auto h1 = random_h(r, nt, nr);
        const auto h2 = random_h(r, nt, nr);
        const float s2 = 0.2f;
        outputs a(nt, kb), b(nt, kb);

        BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
        BOOST_TEST(cached.factorizations() == 1u);
        for (int item = 0; item < 20; ++item) {
            std::vector<int> idx;
            const auto y = make_y(r, h1, random_symbols(r, cached.constellation(), nt, idx), nt, nr, s2);
            BOOST_REQUIRE(cached.set_channel(h1.data(), s2)); // unchanged: cache hit
            BOOST_REQUIRE(run_detect(cached, y, a));
            lmmse_kernel fresh(nt, nr, name);
            BOOST_REQUIRE(fresh.set_channel(h1.data(), s2));
            BOOST_REQUIRE(run_detect(fresh, y, b));
            BOOST_TEST(a.same_bits(b));
        }
        BOOST_TEST(cached.factorizations() == 1u);

        // Any change refactorises: one ulp of noise_var, another H, back to h1.
        BOOST_REQUIRE(cached.set_channel(h1.data(), std::nextafter(s2, 1.0f)));
        BOOST_TEST(cached.factorizations() == 2u);
        BOOST_REQUIRE(cached.set_channel(h2.data(), s2));
        BOOST_TEST(cached.factorizations() == 3u);
        BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
        BOOST_TEST(cached.factorizations() == 4u);
        std::vector<int> idx;
        const auto y = make_y(r, h1, random_symbols(r, cached.constellation(), nt, idx), nt, nr, s2);
        BOOST_REQUIRE(run_detect(cached, y, a));
        lmmse_kernel fresh(nt, nr, name);
        BOOST_REQUIRE(fresh.set_channel(h1.data(), s2));
        BOOST_REQUIRE(run_detect(fresh, y, b));
        BOOST_TEST(a.same_bits(b));
    }
}

// (6) Invalid inputs: set_channel / detect return false, outputs are erased.
BOOST_AUTO_TEST_CASE(invalid_inputs_are_flagged_and_erased)
{
    using st = lmmse_kernel::status;
    rng r(6006);
    const int nt = 4, nr = 4;
    lmmse_kernel k(nt, nr, "qam16");
    outputs o(nt, 4);
    const auto h = random_h(r, nt, nr);
    std::vector<int> idx;
    const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.1);

    // Before any channel.
    o.fill_garbage();
    BOOST_TEST(!run_detect(k, y, o));
    BOOST_TEST(o.all_zero());
    BOOST_TEST((k.last_status() == st::no_channel));

    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (float bad : { nan, inf, -inf }) {
        auto hb = h;
        hb[5] = cf(hb[5].real(), bad);
        BOOST_TEST(!k.set_channel(hb.data(), 0.1f));
        BOOST_TEST((k.last_status() == st::nonfinite_channel));
        BOOST_TEST(!k.set_channel(hb.data(), 0.1f)); // cached verdict
        o.fill_garbage();
        BOOST_TEST(!run_detect(k, y, o));
        BOOST_TEST(o.all_zero());
        BOOST_TEST((k.last_status() == st::nonfinite_channel));
    }
    for (float bad : { 0.0f, -0.0f, -1.0f, nan, inf }) {
        BOOST_TEST(!k.set_channel(h.data(), bad));
        BOOST_TEST((k.last_status() == st::bad_noise_var));
        o.fill_garbage();
        BOOST_TEST(!run_detect(k, y, o));
        BOOST_TEST(o.all_zero());
    }

    // A valid channel again, then a bad y.
    BOOST_REQUIRE(k.set_channel(h.data(), 0.1f));
    BOOST_TEST(run_detect(k, y, o));
    for (float bad : { nan, inf }) {
        auto yb = y;
        yb[2] = cf(bad, 0.0f);
        o.fill_garbage();
        BOOST_TEST(!run_detect(k, yb, o));
        BOOST_TEST(o.all_zero());
        BOOST_TEST((k.last_status() == st::nonfinite_y));
    }
    BOOST_TEST(run_detect(k, y, o)); // the channel is still valid

    BOOST_CHECK_THROW(lmmse_kernel(0, 4, "qam16"), std::invalid_argument);
    BOOST_CHECK_THROW(lmmse_kernel(4, 0, "qam16"), std::invalid_argument);
    BOOST_CHECK_THROW(lmmse_kernel(4, 4, "qam32"), std::invalid_argument);
}

// Degenerate but valid channels give finite outputs: a dead stream (zero
// column) has LLRs ~ 0, and more streams than antennas still works.
BOOST_AUTO_TEST_CASE(degenerate_channels_stay_finite)
{
    rng r(7007);
    {
        const int nt = 4, nr = 4;
        lmmse_kernel k(nt, nr, "qam64");
        outputs o(nt, 6);
        auto h = random_h(r, nt, nr);
        for (int i = 0; i < nr; ++i)
            h[i * nt + 2] = cf(0.0f, 0.0f);
        std::vector<int> idx;
        const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.01);
        BOOST_REQUIRE(k.set_channel(h.data(), 0.01f));
        BOOST_REQUIRE(run_detect(k, y, o));
        for (float v : o.llr)
            BOOST_TEST(std::isfinite(v));
        for (int b = 0; b < 6; ++b)
            BOOST_TEST(std::abs(o.llr[2 * 6 + b]) <= 1e-6f);
    }
    {
        const int nt = 4, nr = 2;
        lmmse_kernel k(nt, nr, "qpsk");
        outputs o(nt, 2);
        const auto h = random_h(r, nt, nr);
        std::vector<int> idx;
        const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 1e-4);
        BOOST_REQUIRE(k.set_channel(h.data(), 1e-4f));
        BOOST_REQUIRE(run_detect(k, y, o));
        for (float v : o.llr)
            BOOST_TEST(std::isfinite(v));
    }
}
