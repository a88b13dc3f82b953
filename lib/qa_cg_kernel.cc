/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the CG kernel. References are computed independently, in
 * double: the LMMSE solution by Gauss-Jordan (qa_helpers.h), the learned
 * recursion one vector at a time (not the matrix recursion of the kernel), the
 * post-detection variance from W W^T instead of T M^T, and max-log LLRs by
 * enumerating the whole constellation. The tests every detector kernel shares
 * (noise-free, cached channel, invalid inputs, degenerate and singular
 * channels) are in qa_detector_contract.cc. Random draws are seeded.
 */

#include "qa_helpers.h"
#include <gnuradio/neuralmimo/cg_kernel.h>
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <boost/test/unit_test.hpp>

using gr::neuralmimo::cg_kernel;
using gr::neuralmimo::lmmse_kernel;
using namespace qa;

namespace {

// The learned recursion on one right-hand side, in double.
std::vector<double> lcg_recursion(const std::vector<double>& a,
                                  const std::vector<double>& b,
                                  int n,
                                  const std::vector<float>& alpha,
                                  const std::vector<float>& beta)
{
    const int layers = static_cast<int>(alpha.size()) / n;
    std::vector<double> s(n, 0.0), r = b, d = b, ad(n);
    for (int l = 0; l < layers; ++l) {
        for (int i = 0; i < n; ++i) {
            ad[i] = 0.0;
            for (int j = 0; j < n; ++j)
                ad[i] += a[i * n + j] * d[j];
        }
        for (int i = 0; i < n; ++i) {
            const double al = alpha[l * n + i], be = beta[l * n + i];
            s[i] += al * d[i];
            r[i] -= al * ad[i];
            d[i] = r[i] + be * d[i];
        }
    }
    return s;
}

/*
 * Brute-force mu_k, nu_k of the learned map: W = (the map applied to each
 * column of H_r^T, i.e. to each unit observation), T = W H_r, and the error
 * covariance of z = s / mu from its definition: the interference sum over
 * j != k of T_kj^2 e_j plus the noise (s2/2) sum_i W_ki^2.
 */
void brute_force_post(const std::vector<double>& hr,
                      const std::vector<double>& a,
                      int nt,
                      int m,
                      double s2,
                      const std::vector<float>& alpha,
                      const std::vector<float>& beta,
                      bool bpsk,
                      std::vector<double>& mu,
                      std::vector<double>& nu)
{
    const int n = 2 * nt;
    std::vector<double> w(static_cast<size_t>(n) * m);
    for (int i = 0; i < m; ++i) {
        std::vector<double> col(n);
        for (int k = 0; k < n; ++k)
            col[k] = hr[i * n + k];
        const auto s = lcg_recursion(a, col, n, alpha, beta);
        for (int k = 0; k < n; ++k)
            w[k * m + i] = s[k];
    }
    mu.assign(n, 0.0);
    nu.assign(n, 0.0);
    for (int k = 0; k < n; ++k) {
        std::vector<double> t(n, 0.0);
        for (int j = 0; j < n; ++j)
            for (int i = 0; i < m; ++i)
                t[j] += w[k * m + i] * hr[i * n + j];
        double v = 0.0;
        for (int j = 0; j < n; ++j) {
            const double e = bpsk ? (j < nt ? 1.0 : 0.0) : 0.5;
            if (j != k)
                v += t[j] * t[j] * e;
        }
        for (int i = 0; i < m; ++i)
            v += 0.5 * s2 * w[k * m + i] * w[k * m + i];
        mu[k] = t[k];
        nu[k] = std::max(v / (t[k] * t[k]), 1e-10);
    }
}

} // namespace

// (1) Classical CG with the exact iteration count equals LMMSE to 1e-4: the
// real form after 2Nt iterations, the complex form after Nt and, since both
// forms have the same iterates, the real form after Nt as well. In float32
// the Nt-iteration runs reach 1e-4 only on small well-conditioned channels
// (Nt <= 4, Nr >= 2Nt here): with Nt = 8 rounding leaves some of them above
// 1e-4 (the float32 Python CG too), and the extra Nt iterations of the real
// form make up for it.
// The LLR variance equals lmmse_kernel's.
BOOST_AUTO_TEST_CASE(classical_cg_equals_lmmse)
{
    struct cg_case {
        const char* form;
        int nt, nr, iters;
    };
    const cg_case cases[] = {
        { "real", 4, 4, 8 },    { "real", 8, 8, 16 },   { "real", 4, 8, 8 },
        { "real", 2, 3, 4 },    { "real", 1, 1, 2 },    { "complex", 4, 8, 4 },
        { "complex", 2, 4, 2 }, { "complex", 1, 1, 1 }, { "real", 8, 16, 16 },
        { "real", 4, 8, 4 },    { "real", 2, 4, 2 },
    };
    rng r(1101);
    for (const auto& cs : cases) {
        const int nt = cs.nt, nr = cs.nr, n = 2 * nt;
        cg_kernel k(nt, nr, "qam16", cs.iters, {}, {}, cs.form);
        BOOST_TEST(k.complex_form() == (std::string(cs.form) == "complex"));
        lmmse_kernel lm(nt, nr, "qam16");
        outputs o(nt, 4);
        for (double s2 : { 0.1, 1.0 }) {
            for (int trial = 0; trial < 100; ++trial) {
                const auto h = random_h(r, nt, nr);
                std::vector<int> idx;
                const auto y =
                    make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, s2);
                const float s2f = static_cast<float>(s2);
                BOOST_REQUIRE(k.set_channel(h.data(), s2f));
                BOOST_REQUIRE(run_detect(k, y, o));
                std::vector<double> hr, yr, a, b;
                real_system(h, y, nt, nr, hr, yr);
                normal_equations(hr, yr, n, 2 * nr, s2f, a, b);
                const auto x = solve(a, b, n);
                BOOST_REQUIRE(lm.set_channel(h.data(), s2f));
                BOOST_TEST_CONTEXT(cs.form << " nt=" << nt << " nr=" << nr << " iters="
                                           << cs.iters << " s2=" << s2 << " trial=" << trial)
                {
                    for (int t = 0; t < nt; ++t) {
                        BOOST_TEST(std::abs(o.est[t].real() - x[t]) <= 1e-4);
                        BOOST_TEST(std::abs(o.est[t].imag() - x[nt + t]) <= 1e-4);
                        BOOST_TEST(k.bias()[t] == lm.bias()[t]);
                        BOOST_TEST(k.bias()[nt + t] == lm.bias()[t]);
                        BOOST_TEST(k.post_noise_var()[t] == 0.5f * lm.post_noise_var()[t]);
                    }
                }
            }
        }
    }
}

// (2) Learned steps, a case small enough to do by hand: Nt = Nr = 1,
// h = 1 + j, s2 = 0.5, y = 1 - 2j. A = (|h|^2 + s2) I = 2.5 I, b = [Re, Im](h* y)
// = [-1, -3]. With A diagonal each coordinate runs alone:
// s_k = [a1_k + a2_k (1 - 2.5 a1_k + b1_k)] b_k, so with a1 = (0.2, 0.3),
// b1 = (0.5, -0.1), a2 = (0.1, 0.4): M = diag(0.3, 0.36), s = (-0.3, -1.08),
// T = M G = diag(0.6, 0.72) = mu, v = (s2/2) T_kk M_kk = (0.045, 0.0648),
// nu = v / mu^2 = (0.125, 0.125). QPSK: z = (-0.5, -1.5), LLR = -2 z c / nu
// with c = 1/sqrt(2): (5.656854, 16.970563).
BOOST_AUTO_TEST_CASE(learned_steps_hand_computed)
{
    const std::vector<float> alpha = { 0.2f, 0.3f, 0.1f, 0.4f };
    const std::vector<float> beta = { 0.5f, -0.1f, 0.0f, 0.0f };
    cg_kernel k(1, 1, "qpsk", 2, alpha, beta);
    BOOST_TEST(k.learned());
    BOOST_TEST(k.iterations() == 2);
    const cf h(1.0f, 1.0f), y(1.0f, -2.0f);
    BOOST_REQUIRE(k.set_channel(&h, 0.5f));
    cf est, sym;
    float llr[2];
    uint8_t bits[2];
    BOOST_REQUIRE(k.detect(&y, { &est, &sym, llr, bits }));
    BOOST_TEST(std::abs(est.real() - (-0.3f)) <= 1e-6f);
    BOOST_TEST(std::abs(est.imag() - (-1.08f)) <= 1e-6f);
    BOOST_TEST(std::abs(k.bias()[0] - 0.6f) <= 1e-6f);
    BOOST_TEST(std::abs(k.bias()[1] - 0.72f) <= 1e-6f);
    BOOST_TEST(std::abs(k.post_noise_var()[0] - 0.125f) <= 1e-6f);
    BOOST_TEST(std::abs(k.post_noise_var()[1] - 0.125f) <= 1e-6f);
    BOOST_TEST(std::abs(llr[0] - 5.656854f) <= 1e-4f);
    BOOST_TEST(std::abs(llr[1] - 16.970563f) <= 1e-4f);
    BOOST_TEST(int(bits[0]) == 1);
    BOOST_TEST(int(bits[1]) == 1);
    const float c = 1.0f / std::sqrt(2.0f);
    BOOST_TEST(std::abs(sym - cf(-c, -c)) <= 1e-7f);

    // iterations = 0 means L.
    cg_kernel k0(1, 1, "qpsk", 0, alpha, beta);
    BOOST_TEST(k0.iterations() == 2);
}

// (3) Learned steps on random systems: the estimate equals the vector
// recursion in double, mu and nu equal the brute-force post-detection
// variance, and the LLRs equal enumeration with the kernel's own z and nu.
BOOST_AUTO_TEST_CASE(learned_steps_match_references)
{
    rng r(3303);
    // nt, nr, L: np = 8 and 16 take the fused layer, 24 the general one.
    const int shapes[][3] = { { 4, 4, 4 }, { 2, 3, 5 }, { 3, 6, 1 },
                              { 8, 16, 6 }, { 5, 5, 3 }, { 12, 14, 3 } };
    for (const auto& name : all_constellations()) {
        for (const auto& sh : shapes) {
            const int nt = sh[0], nr = sh[1], layers = sh[2], n = 2 * nt;
            std::vector<float> alpha, beta;
            random_steps(r, nt, nr, layers, alpha, beta);
            cg_kernel k(nt, nr, name, layers, alpha, beta);
            const constellation_table& c = k.constellation();
            const int kb = c.bits_per_symbol();
            const bool bpsk = kb == 1;
            outputs o(nt, kb);
            for (double s2 : { 0.05, 0.5 }) {
                for (int trial = 0; trial < 10; ++trial) {
                    const auto h = random_h(r, nt, nr);
                    std::vector<int> idx;
                    const auto y = make_y(r, h, random_symbols(r, c, nt, idx), nt, nr, s2);
                    const float s2f = static_cast<float>(s2);
                    BOOST_REQUIRE(k.set_channel(h.data(), s2f));
                    BOOST_REQUIRE(run_detect(k, y, o));
                    std::vector<double> hr, yr, a, b, mu, nu;
                    real_system(h, y, nt, nr, hr, yr);
                    normal_equations(hr, yr, n, 2 * nr, s2f, a, b);
                    const auto s = lcg_recursion(a, b, n, alpha, beta);
                    brute_force_post(hr, a, nt, 2 * nr, s2f, alpha, beta, bpsk, mu, nu);
                    BOOST_TEST_CONTEXT(name << " nt=" << nt << " nr=" << nr << " L=" << layers
                                            << " s2=" << s2 << " trial=" << trial)
                    {
                        for (int t = 0; t < nt; ++t) {
                            BOOST_TEST(std::abs(o.est[t].real() - s[t]) <= 1e-4);
                            BOOST_TEST(std::abs(o.est[t].imag() - s[nt + t]) <= 1e-4);
                        }
                        for (int kk = 0; kk < n; ++kk) {
                            BOOST_TEST(std::abs(k.bias()[kk] - mu[kk]) <=
                                       1e-4 * std::max(1.0, std::abs(mu[kk])));
                            BOOST_TEST(std::abs(k.post_noise_var()[kk] - nu[kk]) <= 1e-3 * nu[kk]);
                        }
                        for (int t = 0; t < nt; ++t) {
                            const double mr = k.bias()[t], mi = k.bias()[nt + t];
                            const cd z(o.est[t].real() / mr, o.est[t].imag() / mi);
                            const auto want = brute_force_llr(
                                c, z, k.post_noise_var()[t], k.post_noise_var()[nt + t]);
                            for (int bb = 0; bb < kb; ++bb) {
                                BOOST_TEST(std::abs(o.llr[t * kb + bb] - want[bb]) <=
                                           1e-3 * std::max(std::abs(want[bb]), 1.0));
                                // Hard bits and symbols agree with the LLR signs.
                                if (std::abs(want[bb]) > 1e-3)
                                    BOOST_TEST(int(o.bits[t * kb + bb]) == (want[bb] > 0 ? 1 : 0));
                            }
                            int label = 0;
                            for (int bb = 0; bb < kb; ++bb)
                                label = (label << 1) | o.bits[t * kb + bb];
                            BOOST_TEST(o.sym[t] == c.points()[label]);
                        }
                    }
                }
            }
        }
    }
}

// (4) Steps so large that the learned recursion overflows float: a flagged
// channel.
BOOST_AUTO_TEST_CASE(overflowing_steps_are_flagged)
{
    rng r(6606);
    const int nt = 4, nr = 4;
    std::vector<float> huge_a(2 * nt * 12, 1e30f), huge_b(2 * nt * 12, 1e30f);
    cg_kernel big(nt, nr, "qpsk", 12, huge_a, huge_b);
    const auto h = random_h(r, nt, nr);
    BOOST_TEST(!big.set_channel(h.data(), 0.1f));
    BOOST_TEST((big.last_status() == cg_kernel::status::overflow));
}

// (5) The algorithm's configuration errors throw and name the parameter and
// both values (nt, nr and the constellation: qa_detector_contract.cc).
BOOST_AUTO_TEST_CASE(configuration_errors_name_the_parameter)
{
    const std::vector<float> a8(8, 0.1f), a16(16, 0.1f), a12(12, 0.1f);
    throws_with([] { cg_kernel(5, 4, "qam16", 4); }, { "nt = 5", "nr = 4" });
    throws_with([] { cg_kernel(4, 4, "qam16", 0); }, { "iterations", "0" });
    throws_with([] { cg_kernel(4, 4, "qam16", 4, {}, {}, "polar"); }, { "form", "polar" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 0, a12, a12); }, { "alpha", "12", "8" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 0, a8, a16); }, { "alpha", "8", "beta", "16" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 3, a16, a16); }, { "iterations = 3", "L = 2" });
    auto nan_a = a16;
    nan_a[3] = std::numeric_limits<float>::quiet_NaN();
    throws_with([&] { cg_kernel(4, 4, "qam16", 2, nan_a, a16); }, { "alpha[3]" });
}
