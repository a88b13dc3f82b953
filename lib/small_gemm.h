/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Small dense float32 products on v8 register tiles (internal): the GEMMs of
 * a detector's per-channel set-up and the matrix-vector product of its
 * per-item step. Matrices are row-major with leading dimensions, and every
 * output row is padded to a multiple of 8 floats.
 */

#ifndef INCLUDED_NEURALMIMO_SMALL_GEMM_H
#define INCLUDED_NEURALMIMO_SMALL_GEMM_H

#include "simd_v8.h"
#include <cstddef>

namespace gr {
namespace neuralmimo {
namespace simd {

/*
 * One register tile of op(A) B with op(A) = A [M x K] (TA = false) or A^T
 * with A [K x M] (TA = true), row-major with leading dimensions: R rows by
 * CV vectors of 8 columns, acc[i][j] = sum_k op(A)[i, k] B[k, 8j : 8j + 8].
 * The accumulators stay in registers over the whole K loop, so each step is
 * R broadcasts, CV loads and R*CV FMAs.
 */
template <bool TA, int R, int CV>
inline void gemm_acc(int K,
                     const float* __restrict a,
                     int lda,
                     const float* __restrict b,
                     int ldb,
                     v8 (&acc)[R][CV])
{
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
}

// Stores a tile of gemm_acc at c: R rows of 8CV floats, leading dimension ldc.
template <int R, int CV>
inline void store_tile(const v8 (&acc)[R][CV], float* __restrict c, int ldc)
{
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < CV; ++j)
            vstore(c + static_cast<size_t>(i) * ldc + 8 * j, acc[i][j]);
}

// R rows of C = op(A) B, N a multiple of 8 (every matrix here is padded).
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
    for (; j + 16 <= N; j += 16) {
        v8 acc[R][2];
        gemm_acc<TA, R, 2>(K, a, lda, b + j, ldb, acc);
        store_tile(acc, c + j, ldc);
    }
    for (; j < N; j += 8) {
        v8 acc[R][1];
        gemm_acc<TA, R, 1>(K, a, lda, b + j, ldb, acc);
        store_tile(acc, c + j, ldc);
    }
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

} // namespace simd
} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SMALL_GEMM_H */
