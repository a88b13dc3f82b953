/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The detector kernels under test, as a list of adapters (one per kernel and
 * mode) that the shared typed tests run over: qa_detector_contract.cc (the
 * contract and equivalence tests) and qa_detector_bad_inputs.cc (the table of
 * bad inputs and input scaling). A new kernel gets every one of those tests by
 * adding its adapter to all_kernels. Header-only; each qa_*.cc is its own
 * test executable.
 */

#ifndef INCLUDED_NEURALMIMO_QA_DETECTOR_CASES_H
#define INCLUDED_NEURALMIMO_QA_DETECTOR_CASES_H

#include "qa_helpers.h"
#include <gnuradio/neuralmimo/cg_kernel.h>
#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <boost/mpl/list.hpp>

using gr::neuralmimo::cg_kernel;
using gr::neuralmimo::detector_status;
using gr::neuralmimo::item_failures;
using gr::neuralmimo::lmmse_kernel;
using namespace qa;

namespace {

/*
 * An adapter: `kernel`, make(nt, nr, constellation) (deterministic: two
 * calls give the same kernel), coordinate() (z_k and nu_k per real dimension
 * of stream t from the public outputs), `solves` (the kernel solves the
 * normal equations, so its LLR variance is the LMMSE one), and the
 * conditions of its noise-free test (those each kernel was tested under
 * before the tests were shared, seeds included). Each test seeds its draws
 * per adapter.
 */
struct lmmse_case {
    using kernel = lmmse_kernel;
    static constexpr const char* name = "lmmse";
    static constexpr uint64_t seed = 1;
    static constexpr bool solves = true;
    static kernel make(int nt, int nr, const std::string& c) { return kernel(nt, nr, c); }
    // nu_t is per complex dimension: half of it per real one.
    static void
    coordinate(const kernel& k, const outputs& o, int t, cd& z, double& nu_re, double& nu_im)
    {
        z = cd(o.est[t]) / double(k.bias()[t]);
        nu_re = nu_im = 0.5 * k.post_noise_var()[t];
    }
    // Noise-free: Nr values, trials, noise_var, seed.
    static std::vector<int> noise_free_nrs() { return { 4, 8 }; }
    static constexpr int noise_free_trials = 300;
    static constexpr float noise_free_s2 = 1e-6f;
    static constexpr uint64_t noise_free_seed = 2002;
};

// The CG kernels: bias() and post_noise_var() per real coordinate [Re; Im].
struct cg_case {
    using kernel = cg_kernel;
    static void
    coordinate(const kernel& k, const outputs& o, int t, cd& z, double& nu_re, double& nu_im)
    {
        const int nt = k.nt();
        z = cd(o.est[t].real() / double(k.bias()[t]), o.est[t].imag() / double(k.bias()[nt + t]));
        nu_re = k.post_noise_var()[t];
        nu_im = k.post_noise_var()[nt + t];
    }
    static std::vector<int> noise_free_nrs() { return { 8 }; }
    static constexpr int noise_free_trials = 100;
    static constexpr float noise_free_s2 = 1e-5f;
};

// Classical CG: the complex form with Nt iterations, or the real form with
// 2Nt (both exact in exact arithmetic).
template <bool Real>
struct cg_classical_case : cg_case {
    static constexpr const char* name = Real ? "cg real" : "cg complex";
    static constexpr uint64_t seed = Real ? 3 : 2;
    static constexpr bool solves = true;
    static kernel make(int nt, int nr, const std::string& c)
    {
        return kernel(nt, nr, c, Real ? 2 * nt : nt, {}, {}, Real ? "real" : "complex");
    }
    static constexpr uint64_t noise_free_seed = Real ? 4404 : 4405;
};
using cg_complex_case = cg_classical_case<false>;
using cg_real_case = cg_classical_case<true>;

// LcgNet: 4 layers of random, stable learned steps (seeded by the shape).
struct cg_learned_case : cg_case {
    static constexpr const char* name = "cg learned";
    static constexpr uint64_t seed = 4;
    static constexpr bool solves = false;
    static kernel make(int nt, int nr, const std::string& c)
    {
        rng r(1000 * static_cast<uint64_t>(std::max(nt, 0)) + std::max(nr, 0));
        std::vector<float> alpha, beta;
        random_steps(r, nt, nr, 4, alpha, beta);
        return kernel(nt, nr, c, 4, alpha, beta);
    }
};

using all_kernels = boost::mpl::list<lmmse_case, cg_complex_case, cg_real_case, cg_learned_case>;
// The kernels that solve the normal equations: exact without noise, and a
// singular A is theirs to flag.
using solving_kernels = boost::mpl::list<lmmse_case, cg_complex_case, cg_real_case>;

using st = detector_status;

} // namespace

#endif /* INCLUDED_NEURALMIMO_QA_DETECTOR_CASES_H */
