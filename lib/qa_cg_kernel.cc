/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Unit tests of the CG kernel. References are computed here independently, in
 * double: the LMMSE solution by Gauss-Jordan, the learned recursion one vector
 * at a time (not the matrix recursion of the kernel), the post-detection
 * variance from W W^T instead of T M^T, and max-log LLRs by enumerating the
 * whole constellation. Random draws are seeded.
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
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

using gr::neuralmimo::cg_kernel;
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
    cd cn(double var = 1.0) // CN(0, var)
    {
        const double s = std::sqrt(var / 2.0);
        const double re = s * n(gen);
        const double im = s * n(gen);
        return { re, im };
    }
    double uniform(double lo, double hi)
    {
        return std::uniform_real_distribution<double>(lo, hi)(gen);
    }
    int index(int m) { return std::uniform_int_distribution<int>(0, m - 1)(gen); }
};

std::vector<cf> random_h(rng& r, int nt, int nr)
{
    std::vector<cf> h(static_cast<size_t>(nr) * nt);
    for (auto& v : h)
        v = cf(r.cn());
    return h;
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

// Real-valued system in double: hr [2Nr x 2Nt] row-major, yr [2Nr].
void real_system(const std::vector<cf>& h,
                 const std::vector<cf>& y,
                 int nt,
                 int nr,
                 std::vector<double>& hr,
                 std::vector<double>& yr)
{
    const int n = 2 * nt;
    hr.assign(static_cast<size_t>(2 * nr) * n, 0.0);
    yr.assign(2 * nr, 0.0);
    for (int r = 0; r < nr; ++r) {
        yr[r] = y[r].real();
        yr[nr + r] = y[r].imag();
        for (int t = 0; t < nt; ++t) {
            const cd v = cd(h[r * nt + t]);
            hr[r * n + t] = v.real();
            hr[r * n + nt + t] = -v.imag();
            hr[(nr + r) * n + t] = v.imag();
            hr[(nr + r) * n + nt + t] = v.real();
        }
    }
}

// A = H_r^T H_r + s2 I [n x n] and b = H_r^T y_r [n].
void normal_equations(const std::vector<double>& hr,
                      const std::vector<double>& yr,
                      int n,
                      int m,
                      double s2,
                      std::vector<double>& a,
                      std::vector<double>& b)
{
    a.assign(static_cast<size_t>(n) * n, 0.0);
    b.assign(n, 0.0);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            double acc = 0.0;
            for (int r = 0; r < m; ++r)
                acc += hr[r * n + i] * hr[r * n + j];
            a[i * n + j] = acc + (i == j ? s2 : 0.0);
        }
        for (int r = 0; r < m; ++r)
            b[i] += hr[r * n + i] * yr[r];
    }
}

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

// Solve A x = b (Gauss-Jordan, partial pivoting), double.
std::vector<double> solve(std::vector<double> a, std::vector<double> b, int n)
{
    for (int c = 0; c < n; ++c) {
        int piv = c;
        for (int r = c + 1; r < n; ++r)
            if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c]))
                piv = r;
        for (int k = 0; k < n; ++k)
            std::swap(a[c * n + k], a[piv * n + k]);
        std::swap(b[c], b[piv]);
        const double inv = 1.0 / a[c * n + c];
        for (int k = 0; k < n; ++k)
            a[c * n + k] *= inv;
        b[c] *= inv;
        for (int r = 0; r < n; ++r) {
            if (r == c)
                continue;
            const double f = a[r * n + c];
            for (int k = 0; k < n; ++k)
                a[r * n + k] -= f * a[c * n + k];
            b[r] -= f * b[c];
        }
    }
    return b;
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

/*
 * Max-log LLRs of one stream by enumeration: metric of point s is
 * (z_re - s_re)^2 / (2 nu_re) + (z_im - s_im)^2 / (2 nu_im), the imaginary
 * term dropped for BPSK.
 */
std::vector<double>
brute_force_llr(const constellation_table& c, cd z, double nu_re, double nu_im)
{
    const int k = c.bits_per_symbol();
    const bool bpsk = k == 1;
    std::vector<double> llr(k);
    for (int b = 0; b < k; ++b) {
        double d0 = std::numeric_limits<double>::infinity();
        double d1 = d0;
        for (int i = 0; i < c.order(); ++i) {
            const cd p = cd(c.points()[i]);
            double d = (z.real() - p.real()) * (z.real() - p.real()) / (2.0 * nu_re);
            if (!bpsk)
                d += (z.imag() - p.imag()) * (z.imag() - p.imag()) / (2.0 * nu_im);
            if (c.bit(i, b))
                d1 = std::min(d1, d);
            else
                d0 = std::min(d0, d);
        }
        llr[b] = d0 - d1;
    }
    return llr;
}

// "Sensible" learned steps: alpha below 2 / lambda_max of A (lambda_max is
// about (sqrt(Nr) + sqrt(Nt))^2 <= 2 (Nr + Nt)), so the map does not blow up;
// small beta.
void random_steps(
    rng& r, int nt, int nr, int layers, std::vector<float>& alpha, std::vector<float>& beta)
{
    const int n = 2 * nt;
    alpha.resize(static_cast<size_t>(layers) * n);
    beta.resize(static_cast<size_t>(layers) * n);
    for (int l = 0; l < layers; ++l)
        for (int k = 0; k < n; ++k) {
            alpha[l * n + k] = static_cast<float>(r.uniform(0.3, 1.0) / (nr + nt));
            beta[l * n + k] = static_cast<float>(r.uniform(0.0, 0.3));
        }
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

bool run_detect(cg_kernel& k, const std::vector<cf>& y, outputs& o)
{
    return k.detect(y.data(), o.est.data(), o.sym.data(), o.llr.data(), o.bits.data());
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
    BOOST_REQUIRE(k.detect(&y, &est, &sym, llr, bits));
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
    for (const auto& name : all_constellations) {
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

// (4) Noise-free y = H x: classical CG to convergence and well-trained-like
// learned steps (the exact CG steps of one channel are not available, so
// classical only) give the transmitted symbols; LLR signs follow the labels.
BOOST_AUTO_TEST_CASE(noise_free_gives_transmitted_symbols)
{
    rng r(4404);
    for (const auto& name : all_constellations) {
        const int nt = 4, nr = 8;
        cg_kernel k(nt, nr, name, 2 * nt, {}, {}, "real");
        const constellation_table& c = k.constellation();
        const int kb = c.bits_per_symbol();
        outputs o(nt, kb);
        for (int trial = 0; trial < 100; ++trial) {
            const auto h = random_h(r, nt, nr);
            std::vector<int> idx;
            const auto x = random_symbols(r, c, nt, idx);
            const auto y = make_y(r, h, x, nt, nr, 0.0);
            BOOST_REQUIRE(k.set_channel(h.data(), 1e-5f));
            BOOST_REQUIRE(run_detect(k, y, o));
            for (int t = 0; t < nt; ++t) {
                BOOST_TEST_CONTEXT(name << " trial=" << trial << " t=" << t)
                {
                    BOOST_TEST(o.sym[t] == x[t]);
                    for (int b = 0; b < kb; ++b) {
                        BOOST_TEST(int(o.bits[t * kb + b]) == c.bit(idx[t], b));
                        BOOST_TEST((o.llr[t * kb + b] > 0.0f) == (c.bit(idx[t], b) == 1));
                    }
                }
            }
        }
    }
}

// (5) The cached path gives bitwise the same outputs as a fresh set-up.
BOOST_AUTO_TEST_CASE(cached_channel_equals_fresh)
{
    rng r(5505);
    const int nt = 3, nr = 5;
    std::vector<float> alpha, beta;
    random_steps(r, nt, nr, 4, alpha, beta);
    for (bool learned : { false, true }) {
        cg_kernel cached = learned ? cg_kernel(nt, nr, "qam64", 4, alpha, beta)
                                   : cg_kernel(nt, nr, "qam64", nt);
        const auto h1 = random_h(r, nt, nr);
        const auto h2 = random_h(r, nt, nr);
        const float s2 = 0.2f;
        outputs a(nt, 6), b(nt, 6);
        BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
        for (int item = 0; item < 10; ++item) {
            std::vector<int> idx;
            const auto y =
                make_y(r, h1, random_symbols(r, cached.constellation(), nt, idx), nt, nr, s2);
            BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
            BOOST_REQUIRE(run_detect(cached, y, a));
            cg_kernel fresh = learned ? cg_kernel(nt, nr, "qam64", 4, alpha, beta)
                                      : cg_kernel(nt, nr, "qam64", nt);
            BOOST_REQUIRE(fresh.set_channel(h1.data(), s2));
            BOOST_REQUIRE(run_detect(fresh, y, b));
            BOOST_TEST(a.same_bits(b));
        }
        BOOST_TEST(cached.factorizations() == 1u);
        BOOST_REQUIRE(cached.set_channel(h1.data(), std::nextafter(s2, 1.0f)));
        BOOST_TEST(cached.factorizations() == 2u);
        BOOST_REQUIRE(cached.set_channel(h2.data(), s2));
        BOOST_TEST(cached.factorizations() == 3u);
        BOOST_REQUIRE(cached.set_channel(h1.data(), s2));
        BOOST_TEST(cached.factorizations() == 4u);
    }
}

// (6) Invalid inputs: flagged and erased; configuration errors throw and name
// the parameter and both values.
BOOST_AUTO_TEST_CASE(invalid_inputs_are_flagged_and_erased)
{
    using st = cg_kernel::status;
    rng r(6606);
    const int nt = 4, nr = 4;
    std::vector<float> alpha, beta;
    random_steps(r, nt, nr, 3, alpha, beta);
    for (bool learned : { false, true }) {
        cg_kernel k = learned ? cg_kernel(nt, nr, "qam16", 3, alpha, beta)
                              : cg_kernel(nt, nr, "qam16", nt);
        outputs o(nt, 4);
        const auto h = random_h(r, nt, nr);
        std::vector<int> idx;
        const auto y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.1);

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
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, y, o));
            BOOST_TEST(o.all_zero());
        }
        for (float bad : { 0.0f, -0.0f, -1.0f, nan, inf }) {
            BOOST_TEST(!k.set_channel(h.data(), bad));
            BOOST_TEST((k.last_status() == st::bad_noise_var));
            o.fill_garbage();
            BOOST_TEST(!run_detect(k, y, o));
            BOOST_TEST(o.all_zero());
        }
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
        BOOST_TEST(run_detect(k, y, o));
    }

    // Steps so large that the recursion overflows float: a flagged channel.
    std::vector<float> huge_a(2 * nt * 12, 1e30f), huge_b(2 * nt * 12, 1e30f);
    cg_kernel big(nt, nr, "qpsk", 12, huge_a, huge_b);
    const auto h = random_h(r, nt, nr);
    BOOST_TEST(!big.set_channel(h.data(), 0.1f));
    BOOST_TEST((big.last_status() == st::overflow));

    auto throws_with = [](auto&& make, const std::vector<std::string>& words) {
        try {
            make();
        } catch (const std::invalid_argument& e) {
            const std::string msg = e.what();
            for (const auto& w : words)
                BOOST_TEST_CONTEXT("message: " << msg) { BOOST_TEST(msg.find(w) != std::string::npos); }
            return;
        }
        BOOST_ERROR("no std::invalid_argument");
    };
    const std::vector<float> a8(8, 0.1f), a16(16, 0.1f), a12(12, 0.1f);
    throws_with([] { cg_kernel(0, 4, "qam16", 4); }, { "nt", "0" });
    throws_with([] { cg_kernel(5, 4, "qam16", 4); }, { "nt = 5", "nr = 4" });
    throws_with([] { cg_kernel(4, 4, "qam32", 4); }, { "constellation", "qam32" });
    throws_with([] { cg_kernel(4, 4, "qam16", 0); }, { "iterations", "0" });
    throws_with([] { cg_kernel(4, 4, "qam16", 4, {}, {}, "polar"); }, { "form", "polar" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 0, a12, a12); }, { "alpha", "12", "8" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 0, a8, a16); }, { "alpha", "8", "beta", "16" });
    throws_with([&] { cg_kernel(4, 4, "qam16", 3, a16, a16); }, { "iterations = 3", "L = 2" });
    auto nan_a = a16;
    nan_a[3] = std::numeric_limits<float>::quiet_NaN();
    throws_with([&] { cg_kernel(4, 4, "qam16", 2, nan_a, a16); }, { "alpha[3]" });
}

// (7) A dead stream (zero column) with classical CG stays finite.
BOOST_AUTO_TEST_CASE(degenerate_channels_stay_finite)
{
    rng r(7707);
    const int nt = 4, nr = 4;
    cg_kernel k(nt, nr, "qam64", nt);
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
}
