/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * cg_kernel: construction, argument checks and the channel cache. The
 * per-channel set-up is in cg_kernel_setup.cc, the per-item detection in
 * cg_kernel_detect.cc.
 */

#include <gnuradio/neuralmimo/cg_kernel.h>
#include "simd_v8.h"
#include <cmath>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

using simd::k_lanes;

namespace {

/*
 * Checks the algorithm parameters (after detector_core has checked nt, nr and
 * the constellation) and returns the number of iterations or layers.
 */
int checked_iterations(int nt,
                       int iterations,
                       const std::vector<float>& alpha,
                       const std::vector<float>& beta,
                       const std::string& form)
{
    const std::string who = "cg_kernel: ";
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
        return iterations;
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
    return layers;
}

} // namespace

const char* cg_kernel::describe(status s)
{
    return neuralmimo::describe(s, "the CG recursion overflowed (inputs or step sizes too large)");
}

cg_kernel::cg_kernel(int nt,
                     int nr,
                     const std::string& constellation,
                     int iterations,
                     const std::vector<float>& alpha,
                     const std::vector<float>& beta,
                     const std::string& form)
    // Classical CG solves the normal equations (scale-invariant); learned
    // steps were trained for channels of one scale and see H as given.
    : detector_core("cg_kernel", nt, nr, constellation, true, alpha.empty()),
      d_iters(checked_iterations(nt, iterations, alpha, beta, form)),
      d_learned(!alpha.empty()),
      d_complex_form(form == "complex"),
      d_n(2 * nt),
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
        for (auto* v : { &d_sm, &d_rm, &d_dm, &d_adm, &d_t })
            v->assign(nn, 0.0f);
        d_wc.assign(m * np, 0.0f);
        // Symbol energy e_j per interleaved coordinate: QAM 1/2 on both parts;
        // BPSK is real, 1 on the real and 0 on the imaginary part. Row j of
        // d_ek is e_j in every column k != j, 0 at k = j (and in the padding).
        d_ek.assign(nn, 0.0f);
        for (int j = 0; j < d_n; ++j) {
            const float e = d_k == 1 ? ((j & 1) ? 0.0f : 1.0f) : 0.5f;
            for (int k = 0; k < d_n; ++k)
                d_ek[j * np + k] = (k == j) ? 0.0f : e;
        }
    }
    d_hy.assign(m * np, 0.0f);
    d_g.assign(nn, 0.0f);
    d_a.assign(nn, 0.0f);
    d_mu.assign(d_n, 0.0f);
    d_nu.assign(d_n, 0.0f);
    d_s.assign(group_size * np, 0.0f);
    if (!d_learned)
        for (auto* v : { &d_cg_b, &d_cg_r, &d_cg_p, &d_cg_s, &d_cg_ap })
            v->assign(np * k_lanes, 0.0f);
}

} // namespace neuralmimo
} // namespace gr
