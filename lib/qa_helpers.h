/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Scaffolding of the C++ unit tests: seeded random systems y = H x + n, the
 * references every detector test compares with (computed here independently,
 * in double: the normal equations solved by Gauss-Jordan, max-log LLRs by
 * enumerating the whole constellation), and output buffers that tell erased
 * and bitwise-equal outputs apart. Header-only; each qa_*.cc is its own test
 * executable.
 */

#ifndef INCLUDED_NEURALMIMO_QA_HELPERS_H
#define INCLUDED_NEURALMIMO_QA_HELPERS_H

#include <gnuradio/neuralmimo/constellation_table.h>
#include <gnuradio/neuralmimo/detector_core.h>
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace qa {

using gr::neuralmimo::constellation_table;
using cf = std::complex<float>;
using cd = std::complex<double>;

inline const std::vector<std::string>& all_constellations()
{
    static const std::vector<std::string> names = { "bpsk", "qpsk", "qam16", "qam64", "qam256" };
    return names;
}

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

// H: complex64[nr * nt] row-major, entries CN(0, 1).
inline std::vector<cf> random_h(rng& r, int nt, int nr)
{
    std::vector<cf> h(static_cast<size_t>(nr) * nt);
    for (auto& v : h)
        v = cf(r.cn());
    return h;
}

// x: complex64[nt] uniform constellation points; idx receives their labels.
inline std::vector<cf>
random_symbols(rng& r, const constellation_table& c, int nt, std::vector<int>& idx)
{
    std::vector<cf> x(nt);
    idx.resize(nt);
    for (int t = 0; t < nt; ++t) {
        idx[t] = r.index(c.order());
        x[t] = c.points()[idx[t]];
    }
    return x;
}

// y = H x + n with n ~ CN(0, nv) (nv = 0: noise free), computed in double.
inline std::vector<cf>
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

// A^-1 of a complex n x n matrix by Gauss-Jordan with partial pivoting.
inline std::vector<cd> inverse(std::vector<cd> m, int n)
{
    std::vector<cd> g(static_cast<size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i)
        g[i * n + i] = 1.0;
    for (int c = 0; c < n; ++c) {
        int piv = c;
        for (int r = c + 1; r < n; ++r)
            if (std::abs(m[r * n + c]) > std::abs(m[piv * n + c]))
                piv = r;
        for (int k = 0; k < n; ++k) {
            std::swap(m[c * n + k], m[piv * n + k]);
            std::swap(g[c * n + k], g[piv * n + k]);
        }
        const cd inv = 1.0 / m[c * n + c];
        for (int k = 0; k < n; ++k) {
            m[c * n + k] *= inv;
            g[c * n + k] *= inv;
        }
        for (int r = 0; r < n; ++r) {
            if (r == c)
                continue;
            const cd f = m[r * n + c];
            for (int k = 0; k < n; ++k) {
                m[r * n + k] -= f * m[c * n + k];
                g[r * n + k] -= f * g[c * n + k];
            }
        }
    }
    return g;
}

// The double-precision LMMSE of the formulas in lmmse_kernel.h.
struct lmmse_solution {
    std::vector<cd> a;    // A = H^H H + s2 I [nt * nt]
    std::vector<cd> hhy;  // H^H y [nt]
    std::vector<cd> xhat; // G H^H y, G = A^-1
    std::vector<double> mu, nu;
    std::vector<cd> z; // xhat / mu
};

// h: complex64[nr * nt] row-major, y: complex64[nr]; s2 = 0 gives zero forcing.
inline lmmse_solution lmmse_reference(const cf* h, const cf* y, int nt, int nr, double s2)
{
    lmmse_solution ref;
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
    const std::vector<cd> g = inverse(ref.a, nt);
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

inline lmmse_solution lmmse_reference(
    const std::vector<cf>& h, const std::vector<cf>& y, int nt, int nr, double s2)
{
    return lmmse_reference(h.data(), y.data(), nt, nr, s2);
}

// x = (H^H H)^-1 H^H y for one resource element.
inline std::vector<cd> zero_forcing(const cf* h, const cf* y, int nt, int nr)
{
    return lmmse_reference(h, y, nt, nr, 0.0).xhat;
}

// Real-valued system in double: hr [2Nr x 2Nt] row-major, yr [2Nr], in the
// [Re; Im] order of lmmse_kernel.h / cg_kernel.h.
inline void real_system(const std::vector<cf>& h,
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
inline void normal_equations(const std::vector<double>& hr,
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

// Solve A x = b (real, Gauss-Jordan, partial pivoting), double.
inline std::vector<double> solve(std::vector<double> a, std::vector<double> b, int n)
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
 * Max-log LLRs of one stream by enumeration: the metric of point s is
 * (z_re - s_re)^2 / (2 nu_re) + (z_im - s_im)^2 / (2 nu_im), the imaginary
 * term dropped for BPSK; nu_re, nu_im are variances per real dimension.
 * Clipped to +-llr_limit like every kernel's LLRs (the clip keeps the sign).
 */
inline std::vector<double>
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
        const double lim = gr::neuralmimo::detector_floors::llr_limit;
        llr[b] = std::min(std::max(d0 - d1, -lim), lim);
    }
    return llr;
}

// The same with nu per complex dimension: (min_0 |z - s|^2 - min_1 |z - s|^2) / nu.
inline std::vector<double> brute_force_llr(const constellation_table& c, cd z, double nu)
{
    return brute_force_llr(c, z, nu / 2.0, nu / 2.0);
}

// The label of the point nearest to z; gap: the distance to the second nearest minus that.
inline int nearest_point(const constellation_table& c, cd z, double& gap)
{
    int best = 0;
    double d_best = 1e300, d_second = 1e300;
    for (int i = 0; i < c.order(); ++i) {
        const double d = std::abs(z - cd(c.points()[i]));
        if (d < d_best) {
            d_second = d_best;
            d_best = d;
            best = i;
        } else if (d < d_second) {
            d_second = d;
        }
    }
    gap = d_second - d_best;
    return best;
}

// "Sensible" learned CG steps: alpha below 2 / lambda_max of A (lambda_max
// is about (sqrt(Nr) + sqrt(Nt))^2 <= 2 (Nr + Nt)), so the map does not blow
// up; small beta. float32[layers * 2Nt] each.
inline void random_steps(
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

// The four outputs of one item of a detector kernel.
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

template <class Kernel>
bool run_detect(Kernel& k, const std::vector<cf>& y, outputs& o)
{
    return k.detect(y.data(), { o.est.data(), o.sym.data(), o.llr.data(), o.bits.data() });
}

// The outputs of n items of one detect_items() call, item-major.
struct batch_outputs {
    int nt, k;
    std::vector<cf> est, sym;
    std::vector<float> llr;
    std::vector<uint8_t> bits;
    batch_outputs(int n, int nt_, int k_)
        : nt(nt_), k(k_), est(n * nt_), sym(n * nt_), llr(n * nt_ * k_), bits(n * nt_ * k_)
    {
    }
    gr::neuralmimo::detector_outputs all()
    {
        return { est.data(), sym.data(), llr.data(), bits.data() };
    }
    // Item i's outputs.
    outputs item(int i) const
    {
        outputs o(nt, k);
        const size_t c0 = static_cast<size_t>(i) * nt, b0 = c0 * k;
        std::copy(&est[c0], &est[c0] + nt, o.est.begin());
        std::copy(&sym[c0], &sym[c0] + nt, o.sym.begin());
        std::copy(&llr[b0], &llr[b0] + nt * k, o.llr.begin());
        std::copy(&bits[b0], &bits[b0] + nt * k, o.bits.begin());
        return o;
    }
};

// Items of a detect_items() run whose outputs differ, bit for bit, from set_channel() + detect()
// of item i alone on `single`. y [n*nr], h [n*nr*nt], nv [n].
template <class Kernel>
int item_by_item_mismatches(Kernel& single, const std::vector<cf>& y, const std::vector<cf>& h,
                            const std::vector<float>& nv, int nr, const batch_outputs& got)
{
    const int n = static_cast<int>(nv.size()), nt = got.nt;
    outputs o(nt, got.k);
    int mismatches = 0;
    for (int i = 0; i < n; ++i) {
        single.set_channel(&h[static_cast<size_t>(i) * nr * nt], nv[i]);
        const std::vector<cf> yi(y.begin() + i * nr, y.begin() + (i + 1) * nr);
        run_detect(single, yi, o);
        mismatches += !got.item(i).same_bits(o);
    }
    return mismatches;
}

// make() throws std::invalid_argument whose message holds every word.
template <class Make>
void throws_with(Make&& make, const std::vector<std::string>& words)
{
    try {
        make();
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        for (const auto& w : words)
            BOOST_TEST_CONTEXT("message: " << msg) { BOOST_TEST(msg.find(w) != std::string::npos); }
        return;
    }
    BOOST_ERROR("no std::invalid_argument");
}

} // namespace qa

#endif /* INCLUDED_NEURALMIMO_QA_HELPERS_H */
