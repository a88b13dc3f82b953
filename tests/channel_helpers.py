# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the channel-model tests (tests/test_channels_*.py): seeded generators, sample
covariances and their tolerance, the exponential correlation matrix written out.

Covariance tolerance: for N i.i.d. zero-mean circular complex Gaussian vectors h with covariance
C, the sample covariance Ĉ = (1/N) Σ h hᴴ has Var(Ĉ_ij) = C_ii C_jj / N, so
E‖Ĉ − C‖_F² = (tr C)² / N. We accept ‖Ĉ − C‖_F < 3·tr(C)/√N (three times the RMS Frobenius error).
"""
import math

import numpy as np
import torch


def gen(seed):
    return torch.Generator().manual_seed(seed)


def emp_cov(h):
    """h: [N, Nr, Nt]  ->  (1/N) Σ vec(h) vec(h)ᴴ, row-major vec."""
    v = h.reshape(h.shape[0], -1).to(torch.complex128)
    return v.T @ v.conj() / v.shape[0]


def cov_ok(emp, cov, n, factor=3.0):
    """(‖emp − cov‖_F, the tolerance factor·tr(cov)/√n) for n sample vectors."""
    err = float(torch.linalg.matrix_norm(emp - cov))
    tol = factor * float(torch.diagonal(cov).real.sum()) / math.sqrt(n)
    return err, tol


def exp_corr_reference(n, r):
    """The n×n exponential correlation matrix entry by entry: r^(j−i) above the diagonal, conj(r)^(i−j)
    below (LcgNet eq. 29), complex128."""
    r = complex(r)
    m = np.zeros((n, n), complex)
    for i in range(n):
        for j in range(n):
            m[i, j] = r ** (j - i) if i <= j else np.conj(r) ** (i - j)
    return torch.as_tensor(m)
