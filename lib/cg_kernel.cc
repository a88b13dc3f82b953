/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

constexpr double k_mu_floor = 1e-12; // |mu_k| below this is replaced (as models/lcgnet.py)
constexpr double k_nu_floor = 1e-10; // NOISE_VAR_FLOOR of the Python package
// Saturation of z: far outside every constellation, keeps a (a - 2z) and the
// LLRs finite for nu >= 1e-10.
constexpr float k_z_limit = 1e18f;
constexpr int k_lanes = 8; // padding of every real vector: one AVX register of floats

inline int round_up(int v, int q) { return (v + q - 1) / q * q; }

/*
 * v8: eight floats operated on together. With GCC/Clang it is a generic
 * vector type that the compiler maps onto the target's SIMD registers (one
 * AVX register, two SSE/NEON registers, or scalars), which gives register
 * tiles without spills where plain loops were vectorised poorly. Other
 * compilers (or -DNEURALMIMO_GENERIC_V8, to test that path) get an array
 * with the same operations.
 */
#if defined(__GNUC__) && !defined(__clang__)
// Without AVX, GCC notes that passing a 32-byte vector by value has another
// ABI; these helpers are internal to this file, so no interface is affected.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#if (defined(__GNUC__) || defined(__clang__)) && !defined(NEURALMIMO_GENERIC_V8)
#define NEURALMIMO_GNU_V8 1
typedef float v8 __attribute__((vector_size(32)));
inline v8 vzero() { return v8{ 0, 0, 0, 0, 0, 0, 0, 0 }; }
inline v8 vset1(float x) { return v8{ x, x, x, x, x, x, x, x }; }
inline v8 vmin(const v8& a, const v8& b) { return b < a ? b : a; }
inline v8 vmax(const v8& a, const v8& b) { return a < b ? b : a; }
inline float vlane(const v8& a, int l) { return a[l]; }
// Lane-wise a > b ? x : y (false for NaN).
inline v8 vselect_gt(const v8& a, const v8& b, const v8& x, const v8& y)
{
    return b < a ? x : y;
}
#else
struct v8 {
    float f[k_lanes];
};
inline v8 vzero() { return v8{}; }
inline v8 vset1(float x)
{
    v8 r;
    for (int l = 0; l < k_lanes; ++l)
        r.f[l] = x;
    return r;
}
#define NEURALMIMO_V8_OP(op)                        \
    inline v8 operator op(v8 a, v8 b)               \
    {                                               \
        for (int l = 0; l < k_lanes; ++l)           \
            a.f[l] = a.f[l] op b.f[l];              \
        return a;                                   \
    }                                               \
    inline v8& operator op##=(v8& a, v8 b) { return a = a op b; }
NEURALMIMO_V8_OP(+)
NEURALMIMO_V8_OP(-)
NEURALMIMO_V8_OP(*)
NEURALMIMO_V8_OP(/)
#undef NEURALMIMO_V8_OP
inline v8 vmin(v8 a, v8 b)
{
    for (int l = 0; l < k_lanes; ++l)
        a.f[l] = b.f[l] < a.f[l] ? b.f[l] : a.f[l];
    return a;
}
inline v8 vmax(v8 a, v8 b)
{
    for (int l = 0; l < k_lanes; ++l)
        a.f[l] = a.f[l] < b.f[l] ? b.f[l] : a.f[l];
    return a;
}
inline float vlane(const v8& a, int l) { return a.f[l]; }
inline v8 vselect_gt(v8 a, v8 b, v8 x, v8 y)
{
    for (int l = 0; l < k_lanes; ++l)
        x.f[l] = b.f[l] < a.f[l] ? x.f[l] : y.f[l];
    return x;
}
#endif
inline v8 vload(const float* p)
{
    v8 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}
inline void vstore(float* p, const v8& v) { std::memcpy(p, &v, sizeof(v)); }

/*
 * Two lane permutations, for the interleaved (re, im) layout:
 * swap_pairs([a0 a1 a2 a3 ...]) = [a1 a0 a3 a2 ...], and interleave_pairs
 * of a = [a0 a1 | a2 a3 | a4 a5 | a6 a7], b likewise gives
 * lo = [a0 a1 b0 b1 a2 a3 b2 b3], hi = [a4 a5 b4 b5 a6 a7 b6 b7].
 */
#if defined(NEURALMIMO_GNU_V8) && defined(__clang__)
inline v8 swap_pairs(const v8& a)
{
    return __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6);
}
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    lo = __builtin_shufflevector(a, b, 0, 1, 8, 9, 2, 3, 10, 11);
    hi = __builtin_shufflevector(a, b, 4, 5, 12, 13, 6, 7, 14, 15);
}
#elif defined(NEURALMIMO_GNU_V8)
typedef int32_t v8i __attribute__((vector_size(32)));
inline v8 swap_pairs(const v8& a) { return __builtin_shuffle(a, v8i{ 1, 0, 3, 2, 5, 4, 7, 6 }); }
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    lo = __builtin_shuffle(a, b, v8i{ 0, 1, 8, 9, 2, 3, 10, 11 });
    hi = __builtin_shuffle(a, b, v8i{ 4, 5, 12, 13, 6, 7, 14, 15 });
}
#else
inline v8 swap_pairs(v8 a)
{
    v8 r;
    for (int l = 0; l < k_lanes; l += 2) {
        r.f[l] = a.f[l + 1];
        r.f[l + 1] = a.f[l];
    }
    return r;
}
inline void interleave_pairs(const v8& a, const v8& b, v8& lo, v8& hi)
{
    for (int q = 0; q < 2; ++q)
        for (int h = 0; h < 2; ++h) {
            lo.f[4 * q + h] = a.f[2 * q + h];
            lo.f[4 * q + 2 + h] = b.f[2 * q + h];
            hi.f[4 * q + h] = a.f[4 + 2 * q + h];
            hi.f[4 * q + 2 + h] = b.f[4 + 2 * q + h];
        }
}
#endif

/*
 * C[M x N] = op(A) B with op(A) = A [M x K] (TA = false) or A^T with A
 * [K x M] (TA = true), row-major with leading dimensions. N must be a
 * multiple of 8 (every matrix here is padded). Register tiles of R rows by
 * CV vectors of 8 columns: the accumulators stay in registers over the whole
 * K loop, so each step is R broadcasts, CV loads and R*CV FMAs.
 */
template <bool TA, int R, int CV>
inline void gemm_tile(int K,
                      const float* __restrict a,
                      int lda,
                      const float* __restrict b,
                      int ldb,
                      float* __restrict c,
                      int ldc)
{
    v8 acc[R][CV];
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < CV; ++j)
            acc[i][j] = vzero();
    for (int k = 0; k < K; ++k) {
        v8 bk[CV];
        for (int j = 0; j < CV; ++j)
            bk[j] = vload(b + static_cast<size_t>(k) * ldb + 8 * j);
        for (int i = 0; i < R; ++i) {
            const v8 ai = vset1(TA ? a[static_cast<size_t>(k) * lda + i]
                                   : a[static_cast<size_t>(i) * lda + k]);
            for (int j = 0; j < CV; ++j)
                acc[i][j] += ai * bk[j];
        }
    }
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < CV; ++j)
            vstore(c + static_cast<size_t>(i) * ldc + 8 * j, acc[i][j]);
}

template <bool TA, int R>
inline void gemm_rows(int N,
                      int K,
                      const float* a,
                      int lda,
                      const float* b,
                      int ldb,
                      float* c,
                      int ldc)
{
    int j = 0;
    for (; j + 16 <= N; j += 16)
        gemm_tile<TA, R, 2>(K, a, lda, b + j, ldb, c + j, ldc);
    for (; j < N; j += 8)
        gemm_tile<TA, R, 1>(K, a, lda, b + j, ldb, c + j, ldc);
}

template <bool TA>
void gemm(int M, int N, int K, const float* a, int lda, const float* b, int ldb, float* c, int ldc)
{
    // Row i of op(A) starts at a + i (transposed) or a + i * lda.
    auto row = [&](int i) { return a + (TA ? static_cast<size_t>(i) : static_cast<size_t>(i) * lda); };
    int i = 0;
    if (N == 8) // one column vector: 8 accumulators fit the registers
        for (; i + 8 <= M; i += 8)
            gemm_rows<TA, 8>(N, K, row(i), lda, b, ldb, c + static_cast<size_t>(i) * ldc, ldc);
    for (; i + 6 <= M; i += 6)
        gemm_rows<TA, 6>(N, K, row(i), lda, b, ldb, c + static_cast<size_t>(i) * ldc, ldc);
    for (; i + 2 <= M; i += 2)
        gemm_rows<TA, 2>(N, K, row(i), lda, b, ldb, c + static_cast<size_t>(i) * ldc, ldc);
    for (; i < M; ++i)
        gemm_rows<TA, 1>(N, K, row(i), lda, b, ldb, c + static_cast<size_t>(i) * ldc, ldc);
}

// C = A B and C = A^T B.
inline void gemm_nn(int M, int N, int K, const float* a, int lda, const float* b, int ldb, float* c, int ldc)
{
    gemm<false>(M, N, K, a, lda, b, ldb, c, ldc);
}
inline void gemm_tn(int M, int N, int K, const float* a, int lda, const float* b, int ldb, float* c, int ldc)
{
    gemm<true>(M, N, K, a, lda, b, ldb, c, ldc);
}

/*
 * One LcgNet layer on the transposed recursion state, rows [0, M) of np
 * columns: (A D)^T = D^T A, then per element (step of column j)
 *   S^T += alpha_j D^T;  R^T -= alpha_j (A D)^T;  D^T = R^T + beta_j D^T.
 * With np = 8 CV (one register tile spans whole rows), each row block's
 * product stays in registers and the update happens in place: the block
 * reads only its own rows of D^T, all of them before it writes.
 */
template <int R, int CV>
inline void lcg_layer_tile(int np,
                           const float* __restrict a,
                           const float* __restrict al,
                           const float* __restrict be,
                           float* __restrict st,
                           float* __restrict rt,
                           float* __restrict dt)
{
    v8 acc[R][CV];
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < CV; ++j)
            acc[i][j] = vzero();
    for (int k = 0; k < np; ++k) {
        v8 ak[CV];
        for (int j = 0; j < CV; ++j)
            ak[j] = vload(a + static_cast<size_t>(k) * np + 8 * j);
        for (int i = 0; i < R; ++i) {
            const v8 di = vset1(dt[static_cast<size_t>(i) * np + k]);
            for (int j = 0; j < CV; ++j)
                acc[i][j] += di * ak[j];
        }
    }
    for (int j = 0; j < CV; ++j) {
        const v8 aj = vload(al + 8 * j), bj = vload(be + 8 * j);
        for (int i = 0; i < R; ++i) {
            const size_t o = static_cast<size_t>(i) * np + 8 * j;
            const v8 d = vload(dt + o);
            const v8 r = vload(rt + o) - aj * acc[i][j];
            vstore(st + o, vload(st + o) + aj * d);
            vstore(rt + o, r);
            vstore(dt + o, r + bj * d);
        }
    }
}

template <int CV>
void lcg_layer_small(const float* a,
                     const float* al,
                     const float* be,
                     float* st,
                     float* rt,
                     float* dt)
{
    constexpr int np = 8 * CV;
    constexpr int R = CV == 1 ? 8 : 4; // accumulators that fit 16 registers
    for (int i = 0; i < np; i += R) {
        const size_t o = static_cast<size_t>(i) * np;
        lcg_layer_tile<R, CV>(np, a, al, be, st + o, rt + o, dt + o);
    }
}

/*
 * out[0:np] = sum_j v[j] * w[j*np : j*np + np]: a matrix-vector product with
 * the matrix stored by columns of the result (np a multiple of 8). Blocks of
 * 32 outputs keep four independent FMA chains in registers; a single 8-wide
 * block uses two accumulators (even and odd j) to halve the chain.
 */
inline void matvec_cols(const float* __restrict v,
                        int m,
                        const float* __restrict w,
                        int np,
                        float* __restrict out)
{
    int k0 = 0;
    for (; k0 + 32 <= np; k0 += 32) {
        v8 acc[4] = { vzero(), vzero(), vzero(), vzero() };
        for (int j = 0; j < m; ++j) {
            const v8 vj = vset1(v[j]);
            const float* wj = w + static_cast<size_t>(j) * np + k0;
            for (int q = 0; q < 4; ++q)
                acc[q] += vj * vload(wj + 8 * q);
        }
        for (int q = 0; q < 4; ++q)
            vstore(out + k0 + 8 * q, acc[q]);
    }
    for (; k0 < np; k0 += k_lanes) {
        v8 acc0 = vzero(), acc1 = vzero();
        int j = 0;
        for (; j + 2 <= m; j += 2) {
            const float* w0 = w + static_cast<size_t>(j) * np + k0;
            acc0 += vset1(v[j]) * vload(w0);
            acc1 += vset1(v[j + 1]) * vload(w0 + np);
        }
        if (j < m)
            acc0 += vset1(v[j]) * vload(w + static_cast<size_t>(j) * np + k0);
        vstore(out + k0, acc0 + acc1);
    }
}

// sum_k a[k] b[k] over np (a multiple of 8).
inline float dot_padded(const float* __restrict a, const float* __restrict b, int np)
{
    v8 part = vzero();
    for (int k0 = 0; k0 < np; k0 += k_lanes)
        part += vload(a + k0) * vload(b + k0);
    float s = 0.0f;
    for (int l = 0; l < k_lanes; ++l)
        s += vlane(part, l);
    return s;
}

// True when every v[0:n] is finite (x - x is 0 for finite x, NaN otherwise).
inline bool all_finite(const float* v, int n)
{
    int ok = 1;
    for (int k = 0; k < n; ++k)
        ok &= (v[k] - v[k] == 0.0f);
    return ok != 0;
}

// The same for a padded vector (np a multiple of 8, padding finite): the
// lanes of the sum of x - x are 0 or NaN, and so is their total.
inline bool all_finite_padded(const float* v, int np)
{
    v8 acc = vzero();
    for (int k0 = 0; k0 < np; k0 += k_lanes) {
        const v8 x = vload(v + k0);
        acc += x - x;
    }
    float total = 0.0f;
    for (int l = 0; l < k_lanes; ++l)
        total += vlane(acc, l);
    return total == 0.0f;
}

// Bitwise equality of n floats (no call, no ordering: cheaper than memcmp
// for the few hundred bytes of one H).
inline bool same_bits(const float* a, const float* b, size_t n)
{
    uint32_t diff = 0;
    for (size_t i = 0; i < n; ++i) {
        uint32_t x, y;
        std::memcpy(&x, a + i, sizeof(x));
        std::memcpy(&y, b + i, sizeof(y));
        diff |= x ^ y;
    }
    return diff == 0;
}

std::string joined_names()
{
    std::string names;
    for (const auto& n : constellation_table::names())
        names += (names.empty() ? "" : ", ") + n;
    return names;
}

// Validates the arguments before any member is built, so the messages name
// the parameter whatever the order of the members.
const std::string& checked_constellation(int nt,
                                         int nr,
                                         const std::string& constellation,
                                         int iterations,
                                         const std::vector<float>& alpha,
                                         const std::vector<float>& beta,
                                         const std::string& form)
{
    const std::string who = "cg_kernel: ";
    if (nt < 1)
        throw std::invalid_argument(who + "nt = " + std::to_string(nt) + " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument(who + "nr = " + std::to_string(nr) + " must be >= 1");
    if (nt > nr)
        throw std::invalid_argument(who + "nt = " + std::to_string(nt) +
                                    " must be <= nr = " + std::to_string(nr));
    if (!constellation_table::is_valid_name(constellation))
        throw std::invalid_argument(who + "constellation '" + constellation +
                                    "' is not one of " + joined_names());
    if (form != "complex" && form != "real")
        throw std::invalid_argument(who + "form '" + form + "' is not one of complex, real");
    const size_t n = 2 * static_cast<size_t>(nt);
    if (alpha.size() != beta.size())
        throw std::invalid_argument(who + "alpha has " + std::to_string(alpha.size()) +
                                    " values but beta has " + std::to_string(beta.size()));
    if (alpha.empty()) {
        if (iterations < 1)
            throw std::invalid_argument(who + "iterations = " + std::to_string(iterations) +
                                        " must be >= 1 for classical CG");
        return constellation;
    }
    if (alpha.size() % n != 0)
        throw std::invalid_argument(who + "alpha has " + std::to_string(alpha.size()) +
                                    " values, not a multiple of L * 2Nt with 2Nt = " +
                                    std::to_string(n));
    const int layers = static_cast<int>(alpha.size() / n);
    if (iterations != 0 && iterations != layers)
        throw std::invalid_argument(
            who + "iterations = " + std::to_string(iterations) +
            " must equal the number of learned layers L = " + std::to_string(layers) +
            " (alpha size " + std::to_string(alpha.size()) + " = L * 2Nt), or be 0");
    for (size_t i = 0; i < alpha.size(); ++i) {
        if (!std::isfinite(alpha[i]))
            throw std::invalid_argument(who + "alpha[" + std::to_string(i) + "] = " +
                                        std::to_string(alpha[i]) + " is not finite");
        if (!std::isfinite(beta[i]))
            throw std::invalid_argument(who + "beta[" + std::to_string(i) + "] = " +
                                        std::to_string(beta[i]) + " is not finite");
    }
    return constellation;
}

} // namespace

const char* cg_kernel::describe(status s)
{
    switch (s) {
    case status::ok:
        return "ok";
    case status::no_channel:
        return "no channel set";
    case status::nonfinite_channel:
        return "H has a NaN or Inf entry";
    case status::bad_noise_var:
        return "noise_var <= 0 or not finite";
    case status::singular:
        return "H^H H + noise_var I is numerically singular (rank-deficient H with a "
               "tiny noise_var)";
    case status::nonfinite_y:
        return "y has a NaN or Inf entry";
    case status::overflow:
        return "the CG recursion overflowed (inputs or step sizes too large)";
    }
    return "unknown";
}

cg_kernel::cg_kernel(int nt,
                     int nr,
                     const std::string& constellation,
                     int iterations,
                     const std::vector<float>& alpha,
                     const std::vector<float>& beta,
                     const std::string& form)
    : d_nt(nt),
      d_nr(nr),
      d_const(checked_constellation(nt, nr, constellation, iterations, alpha, beta, form)),
      d_k(d_const.bits_per_symbol()),
      d_iters(alpha.empty() ? iterations : static_cast<int>(alpha.size() / (2 * nt))),
      d_learned(!alpha.empty()),
      d_complex_form(form == "complex"),
      d_n(2 * nt),
      d_np(round_up(2 * nt, k_lanes)),
      d_m(2 * nr),
      d_lmmse(nt, nr, constellation)
{
    const size_t np = d_np, m = d_m, nn = np * np;
    if (d_learned) {
        // Steps in the interleaved order; padded coordinates get zero steps,
        // so their rows of M stay zero.
        d_alpha.assign(static_cast<size_t>(d_iters) * np, 0.0f);
        d_beta.assign(static_cast<size_t>(d_iters) * np, 0.0f);
        for (int l = 0; l < d_iters; ++l)
            for (int d = 0; d < 2; ++d)
                for (int t = 0; t < nt; ++t) {
                    const size_t src = static_cast<size_t>(l) * d_n + d * nt + t;
                    d_alpha[l * np + 2 * t + d] = alpha[src];
                    d_beta[l * np + 2 * t + d] = beta[src];
                }
        d_sm.assign(nn, 0.0f);
        d_rm.assign(nn, 0.0f);
        d_dm.assign(nn, 0.0f);
        d_adm.assign(nn, 0.0f);
        d_t.assign(nn, 0.0f);
        d_wc.assign(m * np, 0.0f);
    }
    // Symbol energy e_j per interleaved coordinate: QAM 1/2 on both parts;
    // BPSK is real, 1 on the real and 0 on the imaginary part. Row j of d_ek
    // is e_j in every column k != j, 0 at k = j (and in the padding).
    if (d_learned) {
        d_ek.assign(nn, 0.0f);
        for (int j = 0; j < d_n; ++j) {
            const float e = d_k == 1 ? ((j & 1) ? 0.0f : 1.0f) : 0.5f;
            for (int k = 0; k < d_n; ++k)
                d_ek[j * np + k] = (k == j) ? 0.0f : e;
        }
    }
    d_h.assign(static_cast<size_t>(nr) * nt, { 0.0f, 0.0f });
    d_hy.assign(m * np, 0.0f);
    d_g.assign(nn, 0.0f);
    d_a.assign(nn, 0.0f);
    d_mu.assign(d_n, 0.0f);
    d_nu.assign(d_n, 0.0f);
    d_inv_mu.assign(np, 0.0f);
    d_w.assign(np, 0.0f);
    d_s.assign(k_lanes * np, 0.0f);
    if (!d_learned) {
        d_cg_b.assign(k_lanes * np, 0.0f);
        d_cg_r.assign(np * k_lanes, 0.0f);
        d_cg_p.assign(np * k_lanes, 0.0f);
        d_cg_s.assign(np * k_lanes, 0.0f);
        d_cg_ap.assign(np * k_lanes, 0.0f);
    }
    build_demapper();
}

/*
 * One real dimension as a PAM indexed by its bit group g (the dimension's
 * label bits, MSB first): the real part of a QAM point carries the even label
 * bits b0, b2, ..., the imaginary part the odd bits, with the same PAM (38.211);
 * BPSK has its one bit on the real part. Amplitudes are read from the table,
 * and the split is checked against every point.
 */
void cg_kernel::build_demapper()
{
    const int k = d_k;
    const bool bpsk = (k == 1);
    d_dim_bits = bpsk ? 1 : k / 2;
    d_levels = 1 << d_dim_bits;
    auto index_of = [&](int g_re, int g_im) {
        // Label index of the point with bit groups g_re (real) and g_im (imaginary).
        if (bpsk)
            return g_re;
        int idx = 0;
        for (int m = 0; m < d_dim_bits; ++m) {
            if ((g_re >> (d_dim_bits - 1 - m)) & 1)
                idx |= 1 << (k - 1 - 2 * m);
            if ((g_im >> (d_dim_bits - 1 - m)) & 1)
                idx |= 1 << (k - 2 - 2 * m);
        }
        return idx;
    };
    for (int g = 0; g < d_levels; ++g) {
        const float a = d_const.points()[index_of(g, 0)].real();
        d_amp[g] = a;
        d_amp2[g] = a * a;
        d_m2amp[g] = -2.0f * a;
    }
    // Self-check: every point is amp(real group) + j amp(imaginary group).
    for (int gr = 0; gr < d_levels; ++gr)
        for (int gi = 0; gi < (bpsk ? 1 : d_levels); ++gi) {
            const std::complex<float> want(d_amp[gr], bpsk ? 0.0f : d_amp[gi]);
            if (d_const.points()[index_of(gr, gi)] != want)
                throw std::logic_error("cg_kernel: constellation '" + d_const.name() +
                                       "' is not a separable Gray QAM");
        }
}

bool cg_kernel::set_channel(const std::complex<float>* H, float noise_var)
{
    if (!same_channel(H, noise_var))
        refresh_channel(H, noise_var);
    d_last = d_chan_status;
    return d_chan_status == status::ok;
}

inline bool cg_kernel::same_channel(const std::complex<float>* H, float noise_var) const
{
    uint32_t nv_bits;
    std::memcpy(&nv_bits, &noise_var, sizeof(nv_bits));
    return d_have_cache && nv_bits == d_nv_bits &&
           same_bits(reinterpret_cast<const float*>(H),
                     reinterpret_cast<const float*>(d_h.data()),
                     2 * d_h.size());
}

void cg_kernel::refresh_channel(const std::complex<float>* H, float noise_var)
{
    const size_t bytes = d_h.size() * sizeof(std::complex<float>);
    uint32_t nv_bits;
    std::memcpy(&nv_bits, &noise_var, sizeof(nv_bits));
    std::memcpy(d_h.data(), H, bytes);
    d_nv_bits = nv_bits;
    d_have_cache = true;
    ++d_factorizations;
    // Everything below reads H, not the copy just written: reading back
    // fresh wide stores with narrow loads stalls on store forwarding.
    const float* hf = reinterpret_cast<const float*>(H);
    status st = status::ok;
    if (!(noise_var > 0.0f) || !std::isfinite(noise_var))
        st = status::bad_noise_var;
    else if (!all_finite(hf, static_cast<int>(2 * d_h.size())))
        st = status::nonfinite_channel;
    if (st == status::ok) {
        // H_r in the interleaved orders of y (rows: Re y_r, Im y_r) and x
        // (columns: Re x_t, Im x_t):
        //   Re y_r = Re H_rt Re x_t - Im H_rt Im x_t,
        //   Im y_r = Im H_rt Re x_t + Re H_rt Im x_t.
        // Padded columns stay zero.
        // Whole 8-float blocks of an H row: the Re row is the row times
        // (+1, -1, ...), the Im row its pairs swapped; the rest one by one.
        const int nt = d_nt, np = d_np, n = d_n;
        const v8 sign = v8{ 1, -1, 1, -1, 1, -1, 1, -1 };
        for (int r = 0; r < d_nr; ++r) {
            float* re_row = d_hy.data() + static_cast<size_t>(2 * r) * np;
            float* im_row = re_row + np;
            const float* hr = hf + static_cast<size_t>(2 * r) * nt;
            int j = 0;
            for (; j + k_lanes <= n; j += k_lanes) {
                const v8 v = vload(hr + j);
                vstore(re_row + j, v * sign);
                vstore(im_row + j, swap_pairs(v));
            }
            for (; j < n; j += 2) {
                re_row[j] = hr[j];
                re_row[j + 1] = -hr[j + 1];
                im_row[j] = hr[j + 1];
                im_row[j + 1] = hr[j];
            }
        }
        // G = H_r^T H_r, padded rows and columns zero.
        gemm_tn(np, np, d_m, d_hy.data(), np, d_hy.data(), np, d_g.data(), np);
        st = d_learned ? setup_learned(noise_var) : setup_classical(noise_var);
    }
    d_chan_status = st;
}

/*
 * The recursion with the identity as right-hand side gives M. It runs on
 * the transposes (S^T, R^T, D^T; (A D)^T = D^T A as A is symmetric, and
 * layer 0 needs no product: D = I), so that the step of coordinate k scales
 * column k: a vector of steps per row, and M^T comes out directly. Then
 * T^T = G M^T (G symmetric), W^T = H_r M^T (the per-item matrix, stored by
 * columns of s) and mu_k, nu_k with sums down the columns of T^T, M^T.
 * Cost (n = 2Nt, m = 2Nr, flops): 2n^2 m (G) + (L-1) 2n^3 (layers) +
 * 6 n^2 L (updates) + 2n^3 (T) + 2n^2 m (W) + 5 n^2 (mu, nu).
 */
cg_kernel::status cg_kernel::setup_learned(float noise_var)
{
    const int n = d_n, np = d_np, m = d_m;
    const size_t nn = static_cast<size_t>(np) * np;
    float* a = d_a.data();
    std::memcpy(a, d_g.data(), nn * sizeof(float));
    for (int k = 0; k < n; ++k)
        a[static_cast<size_t>(k) * np + k] += noise_var;

    float* st = d_sm.data();
    float* rt = d_rm.data();
    float* dt = d_dm.data();
    float* adt = d_adm.data();
    std::fill(d_sm.begin(), d_sm.end(), 0.0f);
    std::fill(d_rm.begin(), d_rm.end(), 0.0f);
    for (int k = 0; k < n; ++k)
        rt[static_cast<size_t>(k) * np + k] = 1.0f;
    std::memcpy(dt, rt, nn * sizeof(float));
    for (int l = 0; l < d_iters; ++l) {
        const float* al = d_alpha.data() + static_cast<size_t>(l) * np;
        const float* be = d_beta.data() + static_cast<size_t>(l) * np;
        if (l > 0 && np == 8) {
            lcg_layer_small<1>(a, al, be, st, rt, dt);
            continue;
        }
        if (l > 0 && np == 16) {
            lcg_layer_small<2>(a, al, be, st, rt, dt);
            continue;
        }
        const float* ad = a; // (A D)^T = A in the first layer
        if (l > 0) {
            gemm_nn(np, np, np, dt, np, a, np, adt, np);
            ad = adt;
        }
        for (size_t i = 0; i < nn; i += np) {
            for (int j = 0; j < np; j += k_lanes) {
                const v8 aj = vload(al + j), bj = vload(be + j);
                const v8 d = vload(dt + i + j);
                const v8 r = vload(rt + i + j) - aj * vload(ad + i + j);
                vstore(st + i + j, vload(st + i + j) + aj * d);
                vstore(rt + i + j, r);
                vstore(dt + i + j, r + bj * d);
            }
        }
    }
    // st is M^T now.
    float* tt = d_t.data();
    gemm_nn(np, np, np, d_g.data(), np, st, np, tt, np);
    gemm_nn(m, np, np, d_hy.data(), np, st, np, d_wc.data(), np);
    if (!all_finite_padded(d_wc.data(), m * np))
        return status::overflow;

    // Column k of T^T / M^T is row k of T / M: per coordinate k,
    // noise_k = (T M^T)_kk = sum_j T_kj M_kj and interference_k =
    // sum_{j != k} T_kj^2 e_j, the latter with the energies of d_ek (zero on
    // the diagonal) rather than by subtracting T_kk^2 e_k (no cancellation).
    for (int k0 = 0; k0 < np; k0 += k_lanes) {
        v8 si = vzero(), sn = vzero();
        for (int j = 0; j < n; ++j) {
            const size_t o = static_cast<size_t>(j) * np + k0;
            const v8 t = vload(tt + o);
            si += t * t * vload(d_ek.data() + o);
            sn += t * vload(st + o);
        }
        // mu_k = T_kk: the diagonal of this block, gathered through a small array.
        float diag[k_lanes];
        for (int l = 0; l < k_lanes; ++l)
            diag[l] = tt[static_cast<size_t>(k0 + l) * np + k0 + l];
        v8 mu = vload(diag);
        const v8 floor_mu = vset1(static_cast<float>(k_mu_floor));
        // |mu| <= floor (or NaN) -> floor; vmax(mu, -mu) is |mu|.
        mu = vselect_gt(vmax(mu, vzero() - mu), floor_mu, mu, floor_mu);
        v8 nu = (si + vset1(0.5f * noise_var) * sn) / (mu * mu);
        nu = vmax(nu, vset1(static_cast<float>(k_nu_floor)));
        const v8 inv_mu = vset1(1.0f) / mu;
        const v8 w = vset1(0.5f) / nu;
        vstore(d_inv_mu.data() + k0, inv_mu);
        vstore(d_w.data() + k0, w);
        vstore(diag, mu);
        float nus[k_lanes];
        vstore(nus, nu);
        for (int l = 0; l < k_lanes && k0 + l < n; ++l) {
            const int k = k0 + l, pub = (k & 1) * d_nt + k / 2; // [Re; Im] order of bias()
            d_mu[pub] = diag[l];
            d_nu[pub] = nus[l];
        }
    }
    // Padded coordinates: zero weights (their s is 0, their outputs unused).
    for (int k = n; k < np; ++k)
        d_inv_mu[k] = d_w[k] = 0.0f;
    if (!all_finite_padded(d_inv_mu.data(), np) || !all_finite_padded(d_w.data(), np))
        return status::overflow;
    return status::ok;
}

/*
 * The LLR variance of the LMMSE filter (lmmse_kernel: Cholesky in double),
 * and A = G + s2 I for the per-item iterations.
 */
cg_kernel::status cg_kernel::setup_classical(float noise_var)
{
    d_lmmse.set_channel(d_h.data(), noise_var);
    switch (d_lmmse.channel_status()) {
    case lmmse_kernel::status::ok:
        break;
    case lmmse_kernel::status::nonfinite_channel:
        return status::nonfinite_channel;
    case lmmse_kernel::status::bad_noise_var:
        return status::bad_noise_var;
    default:
        return status::singular;
    }
    const int nt = d_nt, n = d_n, np = d_np;
    std::memcpy(d_a.data(), d_g.data(), d_g.size() * sizeof(float));
    for (int k = 0; k < n; ++k)
        d_a[static_cast<size_t>(k) * np + k] += noise_var;
    const float* mu = d_lmmse.bias();
    const float* nu = d_lmmse.post_noise_var();
    for (int t = 0; t < nt; ++t) {
        const float inv_mu = static_cast<float>(1.0 / mu[t]);
        const float w = static_cast<float>(1.0 / nu[t]); // 1 / (2 * nu_t / 2)
        for (int d = 0; d < 2; ++d) {
            d_mu[d * nt + t] = mu[t];
            d_nu[d * nt + t] = 0.5f * nu[t];
            d_inv_mu[2 * t + d] = inv_mu;
            d_w[2 * t + d] = w;
        }
    }
    return status::ok;
}

/*
 * Classical CG from s = 0 on b = H_r^T y_r (the numbers of H^H y), with
 * alpha = r.r / p.Ap (0 when p.Ap <= tiny) and beta = r'.r' / r.r (0 when
 * r.r <= tiny), as neuralmimo.detectors.cg.conjugate_gradient. On the
 * interleaved (re, im) vectors, A_r p is the complex product A_c p, and the
 * real inner products are the real parts of the complex ones, so this one
 * loop is the complex form and the real form alike.
 *
 * Up to 8 items of one channel run together, one per SIMD lane: the
 * coordinates are stored as d_cg[k] = (item 0, ..., item 7), so the inner
 * products, step sizes and divisions are per lane and nothing is reduced
 * across lanes. Each lane does the same operations in the same order
 * whatever the other lanes hold, so an item's result does not depend on how
 * the items were grouped. yf: the g items' y, 2Nr floats each, consecutive;
 * s: g rows of np floats.
 */
void cg_kernel::run_cg_group(const float* yf, int g, float* s)
{
    const int np = d_np, n = d_n, m = d_m;
    float* r = d_cg_r.data(); // coordinate k at r + 8k
    float* p = d_cg_p.data();
    float* x = d_cg_s.data();
    float* ap = d_cg_ap.data();
    float* b = d_cg_b.data(); // [8 * np], item-major
    for (int q = 0; q < k_lanes; ++q) {
        if (q < g)
            matvec_cols(yf + static_cast<size_t>(q) * m, m, d_hy.data(), np, b + q * np);
        else
            std::fill(b + q * np, b + (q + 1) * np, 0.0f); // idle lanes: alpha = beta = 0
    }
    // Item-major b -> 8 items side by side per coordinate.
    for (int k = 0; k < n; ++k)
        for (int q = 0; q < k_lanes; ++q)
            r[k_lanes * k + q] = b[q * np + k];
    const v8 tiny = vset1(FLT_MIN), zero = vzero();
    v8 rr = zero;
    for (int k = 0; k < n; ++k) {
        const v8 rk = vload(r + k_lanes * k);
        vstore(p + k_lanes * k, rk);
        vstore(x + k_lanes * k, zero);
        rr += rk * rk;
    }
    const float* a = d_a.data();
    for (int it = 0; it < d_iters; ++it) {
        v8 pap = zero;
        for (int k = 0; k < n; ++k) {
            const float* ak = a + static_cast<size_t>(k) * np;
            v8 acc0 = zero, acc1 = zero;
            for (int j = 0; j < n; j += 2) { // n is even
                acc0 += vset1(ak[j]) * vload(p + k_lanes * j);
                acc1 += vset1(ak[j + 1]) * vload(p + k_lanes * (j + 1));
            }
            const v8 apk = acc0 + acc1;
            vstore(ap + k_lanes * k, apk);
            pap += vload(p + k_lanes * k) * apk;
        }
        const v8 alpha = vselect_gt(pap, tiny, rr / vmax(pap, tiny), zero);
        v8 rr_new = zero;
        for (int k = 0; k < n; ++k) {
            const size_t o = static_cast<size_t>(k_lanes) * k;
            const v8 rk = vload(r + o) - alpha * vload(ap + o);
            vstore(x + o, vload(x + o) + alpha * vload(p + o));
            vstore(r + o, rk);
            rr_new += rk * rk;
        }
        const v8 beta = vselect_gt(rr, tiny, rr_new / vmax(rr, tiny), zero);
        for (int k = 0; k < n; ++k) {
            const size_t o = static_cast<size_t>(k_lanes) * k;
            vstore(p + o, vload(r + o) + beta * vload(p + o));
        }
        rr = rr_new;
    }
    // 8 items side by side -> item-major s (padding 0).
    for (int q = 0; q < g; ++q) {
        for (int k = 0; k < n; ++k)
            s[q * np + k] = x[k_lanes * k + q];
        for (int k = n; k < np; ++k)
            s[q * np + k] = 0.0f;
    }
}

void cg_kernel::erase(std::complex<float>* estimate,
                      std::complex<float>* symbols,
                      float* llr,
                      uint8_t* bits) const
{
    const size_t nbits = static_cast<size_t>(d_nt) * d_k;
    if (estimate)
        std::fill(estimate, estimate + d_nt, std::complex<float>(0.0f, 0.0f));
    if (symbols)
        std::fill(symbols, symbols + d_nt, std::complex<float>(0.0f, 0.0f));
    if (llr)
        std::fill(llr, llr + nbits, 0.0f);
    if (bits)
        std::fill(bits, bits + nbits, uint8_t(0));
}

/*
 * Max-log demapping, 8 interleaved coordinates (4 streams) at a time, B bits
 * per dimension known at compile time so every loop unrolls. With the common
 * term z^2 dropped, (z - a)^2 ~ a (a - 2z) = a^2 - 2a z: no cancellation of
 * large squares for large |z|, one FMA per level. For each dimension bit the
 * minimum over the levels carrying 0 and those carrying 1 is kept;
 * diff = min0 - min1 is the LLR times 2 nu_k, and its sign the hard bit of
 * the nearest level. Lane 2q + d of a block is stream t0 + q, part d, whose
 * dimension bit m is label bit 2m + d (BPSK: the real part's bit only).
 */
template <int B, bool BPSK>
void cg_kernel::demap_blocks(const float* s,
                             std::complex<float>* symbols,
                             float* llr,
                             uint8_t* bits) const
{
    constexpr int P = 1 << B;
    constexpr int K = BPSK ? 1 : 2 * B;
    const int nt = d_nt;
    const v8 lim = vset1(k_z_limit), neg_lim = vset1(-k_z_limit), big = vset1(FLT_MAX);
    float* sym_f = reinterpret_cast<float*>(symbols);
    for (int k0 = 0; k0 < d_n; k0 += k_lanes) {
        const v8 z =
            vmin(vmax(vload(s + k0) * vload(d_inv_mu.data() + k0), neg_lim), lim);
        v8 mn0[B], mn1[B];
        for (int m = 0; m < B; ++m)
            mn0[m] = mn1[m] = big;
        for (int g = 0; g < P; ++g) {
            const v8 dist = vset1(d_amp2[g]) + vset1(d_m2amp[g]) * z;
            for (int m = 0; m < B; ++m) {
                // Level g carries dimension bit m = bit (B-1-m) of g.
                if ((g >> (B - 1 - m)) & 1)
                    mn1[m] = vmin(mn1[m], dist);
                else
                    mn0[m] = vmin(mn0[m], dist);
            }
        }
        v8 diff[B];
        for (int m = 0; m < B; ++m)
            diff[m] = mn0[m] - mn1[m];
        const int t0 = k0 / 2;
        const int tn = std::min(k_lanes / 2, nt - t0);
        if (llr) {
            const v8 w = vload(d_w.data() + k0);
            v8 lv[B];
            for (int m = 0; m < B; ++m)
                lv[m] = diff[m] * w;
            if (!BPSK && B == 1 && tn == k_lanes / 2) {
                vstore(llr + 2 * t0, lv[0]); // QPSK: already user-major
            } else if (!BPSK && B == 2 && tn == k_lanes / 2) {
                // 16QAM: stream t0 + q is (bit 0 re, im, bit 1 re, im).
                v8 lo, hi;
                interleave_pairs(lv[0], lv[B - 1], lo, hi);
                vstore(llr + 4 * t0, lo);
                vstore(llr + 4 * t0 + 8, hi);
            } else {
                for (int q = 0; q < tn; ++q)
                    for (int m = 0; m < B; ++m) {
                        float* o = llr + static_cast<size_t>(t0 + q) * K;
                        if (BPSK) {
                            o[0] = vlane(lv[0], 2 * q);
                        } else {
                            o[2 * m] = vlane(lv[m], 2 * q);
                            o[2 * m + 1] = vlane(lv[m], 2 * q + 1);
                        }
                    }
            }
        }
        if (bits) {
            for (int q = 0; q < tn; ++q)
                for (int m = 0; m < B; ++m) {
                    uint8_t* o = bits + static_cast<size_t>(t0 + q) * K;
                    if (BPSK) {
                        o[0] = static_cast<uint8_t>(vlane(diff[0], 2 * q) > 0.0f);
                    } else {
                        o[2 * m] = static_cast<uint8_t>(vlane(diff[m], 2 * q) > 0.0f);
                        o[2 * m + 1] = static_cast<uint8_t>(vlane(diff[m], 2 * q + 1) > 0.0f);
                    }
                }
        }
        if (symbols) {
            for (int l = 0; l < 2 * tn; ++l) {
                int g = 0;
                for (int m = 0; m < B; ++m)
                    g = (g << 1) | static_cast<int>(vlane(diff[m], l) > 0.0f);
                sym_f[k0 + l] = (BPSK && (l & 1)) ? 0.0f : d_amp[g];
            }
        }
    }
}

void cg_kernel::demap(const float* s, std::complex<float>* symbols, float* llr, uint8_t* bits) const
{
    switch (d_k) {
    case 1:
        demap_blocks<1, true>(s, symbols, llr, bits);
        break;
    case 2:
        demap_blocks<1, false>(s, symbols, llr, bits);
        break;
    case 4:
        demap_blocks<2, false>(s, symbols, llr, bits);
        break;
    case 6:
        demap_blocks<3, false>(s, symbols, llr, bits);
        break;
    default:
        demap_blocks<4, false>(s, symbols, llr, bits);
        break;
    }
}

// The outputs of one item from its s; false (outputs erased) if s is not finite.
inline bool cg_kernel::emit(const float* yf,
                            const float* s,
                            std::complex<float>* estimate,
                            std::complex<float>* symbols,
                            float* llr,
                            uint8_t* bits)
{
    // A NaN/Inf in y always reaches s (0 * Inf is NaN), so one check on s
    // covers y as well.
    if (!all_finite_padded(s, d_np)) {
        erase(estimate, symbols, llr, bits);
        d_last = all_finite(yf, d_m) ? status::overflow : status::nonfinite_y;
        return false;
    }
    if (estimate) // s is interleaved (re, im): the complex estimate as it is
        std::memcpy(reinterpret_cast<float*>(estimate), s, sizeof(float) * d_n);
    if (symbols || llr || bits)
        demap(s, symbols, llr, bits);
    d_last = status::ok;
    return true;
}

bool cg_kernel::detect(const std::complex<float>* y,
                       std::complex<float>* estimate,
                       std::complex<float>* symbols,
                       float* llr,
                       uint8_t* bits)
{
    if (d_chan_status != status::ok) {
        erase(estimate, symbols, llr, bits);
        d_last = d_chan_status;
        return false;
    }
    const float* yf = reinterpret_cast<const float*>(y);
    float* s = d_s.data();
    if (d_learned)
        matvec_cols(yf, d_m, d_wc.data(), d_np, s); // s = W y_r
    else
        run_cg_group(yf, 1, s);
    return emit(yf, s, estimate, symbols, llr, bits);
}

uint64_t cg_kernel::detect_items(int n,
                                 const std::complex<float>* y,
                                 const std::complex<float>* H,
                                 const float* noise_var,
                                 std::complex<float>* estimate,
                                 std::complex<float>* symbols,
                                 float* llr,
                                 uint8_t* bits,
                                 int* first_bad,
                                 status* first_status)
{
    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    const size_t nbits = static_cast<size_t>(d_nt) * d_k;
    uint64_t bad = 0;
    if (first_bad)
        *first_bad = -1;
    if (first_status)
        *first_status = status::ok;
    int i = 0;
    while (i < n) {
        const size_t iu = static_cast<size_t>(i);
        if (!same_channel(H + iu * hsize, noise_var[i]))
            refresh_channel(H + iu * hsize, noise_var[i]);
        // Items [i, i + g) share this channel: g = 1 for learned steps (a
        // matrix-vector product each), up to 8 for classical CG (one lane each).
        int g = 1;
        if (!d_learned && d_chan_status == status::ok)
            while (g < k_lanes && i + g < n &&
                   same_channel(H + (iu + g) * hsize, noise_var[i + g]))
                ++g;
        const float* yf = reinterpret_cast<const float*>(y + iu * d_nr);
        float* s = d_s.data();
        if (d_chan_status == status::ok) {
            if (d_learned)
                matvec_cols(yf, d_m, d_wc.data(), d_np, s); // s = W y_r
            else
                run_cg_group(yf, g, s);
        }
        for (int q = 0; q < g; ++q, ++i) {
            const size_t o = static_cast<size_t>(i);
            std::complex<float>* est = estimate ? estimate + o * d_nt : nullptr;
            std::complex<float>* sym = symbols ? symbols + o * d_nt : nullptr;
            float* l = llr ? llr + o * nbits : nullptr;
            uint8_t* bt = bits ? bits + o * nbits : nullptr;
            bool ok;
            if (d_chan_status != status::ok) {
                erase(est, sym, l, bt);
                d_last = d_chan_status;
                ok = false;
            } else {
                ok = emit(yf + static_cast<size_t>(q) * d_m, s + q * d_np, est, sym, l, bt);
            }
            if (!ok) {
                if (bad == 0) {
                    if (first_bad)
                        *first_bad = i;
                    if (first_status)
                        *first_status = d_last;
                }
                ++bad;
            }
        }
    }
    return bad;
}

} // namespace neuralmimo
} // namespace gr
