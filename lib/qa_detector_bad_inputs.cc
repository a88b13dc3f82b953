/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The table of bad inputs every detector kernel is run on (over the kernel
 * adapters of qa_detector_cases.h): one bad item among good ones in
 * detect_items(), with every output finite and bounded and the bad item
 * detected or erased as the table says; and scaled inputs (c y, c H,
 * |c|^2 noise_var) detected as the unscaled ones. Random draws are seeded.
 */

#include "qa_detector_cases.h"
#include <boost/test/unit_test.hpp>
#include <cfloat>

namespace {

// One item of the bad-input table: y complex64[Nr], H complex64[Nr * Nt], noise_var.
struct item {
    std::vector<cf> y, h;
    float nv;
};

// What a kernel must make of a bad item: `want` (ok: detected, not erased;
// otherwise erased with this status); `learned_may_overflow`: learned steps
// (not scale-invariant) may instead erase it as an overflow.
struct bad_case {
    const char* name;
    item (*make)(const item& good, int nt, int nr);
    st want;
    bool learned_may_overflow;
    //! The solving kernels (LMMSE, classical CG's variance) find A = H^H H +
    //! noise_var I singular to working precision and erase the item, as the
    //! Python detectors do (conditioning.py); learned steps invert nothing.
    bool singular_if_solving = false;
};

const float nan_f = std::numeric_limits<float>::quiet_NaN();
const float inf_f = std::numeric_limits<float>::infinity();

item scaled(const item& g, double c)
{
    item b = g;
    for (auto& v : b.y)
        v = cf(cd(v) * c);
    for (auto& v : b.h)
        v = cf(cd(v) * c);
    b.nv = static_cast<float>(g.nv * c * c);
    return b;
}

// Each row names the input; the kernels' answers are in the contract
// (detector_core.h): finite, |LLR| <= llr_limit, or a counted erasure.
const bad_case bad_cases[] = {
    { "noise_var = 0", [](const item& g, int, int) { item b = g; b.nv = 0.0f; return b; },
      st::ok, false },
    { "noise_var = -0", [](const item& g, int, int) { item b = g; b.nv = -0.0f; return b; },
      st::ok, false },
    { "noise_var < 0", [](const item& g, int, int) { item b = g; b.nv = -1e-3f; return b; },
      st::bad_noise_var, false },
    { "noise_var NaN", [](const item& g, int, int) { item b = g; b.nv = nan_f; return b; },
      st::bad_noise_var, false },
    { "noise_var Inf", [](const item& g, int, int) { item b = g; b.nv = inf_f; return b; },
      st::bad_noise_var, false },
    { "H NaN", [](const item& g, int, int) { item b = g; b.h[1] = cf(0.0f, nan_f); return b; },
      st::nonfinite_channel, false },
    { "H -Inf", [](const item& g, int, int) { item b = g; b.h.back() = cf(-inf_f, 0.0f); return b; },
      st::nonfinite_channel, false },
    { "y NaN", [](const item& g, int, int) { item b = g; b.y[0] = cf(nan_f, 0.0f); return b; },
      st::nonfinite_y, false },
    { "y Inf", [](const item& g, int, int) { item b = g; b.y.back() = cf(0.0f, inf_f); return b; },
      st::nonfinite_y, false },
    // The reported |LLR| ~ 4e9 of learned CG.
    { "H = 0", [](const item& g, int, int) { item b = g; std::fill(b.h.begin(), b.h.end(), cf()); return b; },
      st::zero_channel, false },
    { "H = 0, y = 0, noise_var = 0",
      [](const item& g, int, int) {
          item b = g;
          std::fill(b.h.begin(), b.h.end(), cf());
          std::fill(b.y.begin(), b.y.end(), cf());
          b.nv = 0.0f;
          return b;
      },
      st::zero_channel, false },
    { "|H|, |y| ~ 1e20, noise_var ~ 1e35", [](const item& g, int, int) { return scaled(g, 1e20 / std::sqrt(1e5)); },
      st::ok, true },
    { "|H| ~ 1e20, noise_var = 0",
      [](const item& g, int, int) { item b = scaled(g, 1e20); b.nv = 0.0f; return b; },
      st::ok, true },
    { "|H|, |y| ~ 1e-20, noise_var ~ 1e-40", [](const item& g, int, int) { return scaled(g, 1e-20); },
      st::ok, false },
    { "|H| ~ 1e-20, y and noise_var ~ 1",
      [](const item& g, int, int) {
          item b = g;
          for (auto& v : b.h)
              v *= 1e-20f;
          b.nv = 1.0f;
          return b;
      },
      st::ok, false },
    { "H subnormal (1e-42)",
      [](const item& g, int, int) {
          item b = g;
          for (auto& v : b.h)
              v = cf(v.real() > 0 ? 1e-42f : -1e-42f, 0.0f);
          return b;
      },
      st::ok, false },
    { "|H| ~ FLT_MAX / 4",
      [](const item& g, int, int) {
          item b = g;
          for (auto& v : b.h)
              v = cf(v.real() > 0 ? FLT_MAX / 4 : -FLT_MAX / 8, v.imag() > 0 ? FLT_MAX / 16 : 0.0f);
          return b;
      },
      st::ok, true },
    { "|y| ~ 1e30",
      [](const item& g, int, int) {
          item b = g;
          for (auto& v : b.y)
              v *= 1e30f;
          return b;
      },
      st::overflow, false },
    { "y = 0, noise_var = 0",
      [](const item& g, int, int) {
          item b = g;
          std::fill(b.y.begin(), b.y.end(), cf());
          b.nv = 0.0f;
          return b;
      },
      st::ok, false },
    { "rank-1 H",
      [](const item& g, int nt, int nr) {
          item b = g;
          for (int r = 0; r < nr; ++r)
              for (int t = 0; t < nt; ++t)
                  b.h[r * nt + t] = g.h[r * nt] * cf(0.5f * (t + 1), 0.25f * t);
          return b;
      },
      st::ok, false },
    { "rank-deficient H, noise_var = 0",
      [](const item& g, int nt, int nr) {
          item b = g;
          for (int r = 0; r < nr; ++r)
              b.h[r * nt + 1] = b.h[r * nt];
          b.nv = 0.0f;
          return b;
      },
      st::ok, false, true },
    { "zero column, noise_var = 0",
      [](const item& g, int nt, int nr) {
          item b = g;
          for (int r = 0; r < nr; ++r)
              b.h[r * nt + nt - 1] = cf();
          b.nv = 0.0f;
          return b;
      },
      st::ok, false, true },
};

// The four outputs of n items.
struct run_outputs {
    std::vector<cf> est, sym;
    std::vector<float> llr;
    std::vector<uint8_t> bits;
    run_outputs(int n, int nt, int kb)
        : est(n * nt, cf(7.0f, 7.0f)), sym(n * nt, cf(7.0f, 7.0f)), llr(n * nt * kb, 7.0f),
          bits(n * nt * kb, 7)
    {
    }
    // Item i's outputs as an `outputs`.
    outputs of(int i, int nt, int kb) const
    {
        outputs o(nt, kb);
        std::copy(est.begin() + i * nt, est.begin() + (i + 1) * nt, o.est.begin());
        std::copy(sym.begin() + i * nt, sym.begin() + (i + 1) * nt, o.sym.begin());
        std::copy(llr.begin() + i * nt * kb, llr.begin() + (i + 1) * nt * kb, o.llr.begin());
        std::copy(bits.begin() + i * nt * kb, bits.begin() + (i + 1) * nt * kb, o.bits.begin());
        return o;
    }
};

template <class K>
item_failures run_items(K& k, const std::vector<item>& items, run_outputs& out)
{
    const int nt = k.nt(), nr = k.nr();
    std::vector<cf> y, h;
    std::vector<float> nv;
    for (const auto& it : items) {
        y.insert(y.end(), it.y.begin(), it.y.end());
        h.insert(h.end(), it.h.begin(), it.h.end());
        nv.push_back(it.nv);
    }
    (void)nt;
    (void)nr;
    return k.detect_items(static_cast<int>(items.size()),
                          { y.data(), h.data(), nv.data() },
                          { out.est.data(), out.sym.data(), out.llr.data(), out.bits.data() });
}

} // namespace

// (8) The table of bad inputs: one bad item among good ones (two runs of one
// channel, so classical CG also runs grouped items). Every output is finite,
// |LLR| <= llr_limit, bits are 0/1; the bad item is detected or erased as the
// table says (and counted, with its status); the good items are bitwise those
// of the same run with a good item in place of the bad one.
BOOST_AUTO_TEST_CASE_TEMPLATE(bad_input_table, T, all_kernels)
{
    rng r(11000 + T::seed);
    const float lim = gr::neuralmimo::detector_floors::llr_limit;
    const int shapes[][2] = { { 4, 4 }, { 3, 5 } }; // {nt, nr}
    for (const auto& shape : shapes) {
        const int nt = shape[0], nr = shape[1];
        for (const std::string name : { "qpsk", "qam16", "qam256" }) {
            auto k = T::make(nt, nr, name);
            auto ref = T::make(nt, nr, name);
            const int kb = k.bits_per_symbol();
            const int n = 9, bad_at = 4;
            const auto h = random_h(r, nt, nr);
            std::vector<item> good(n);
            for (auto& it : good) {
                std::vector<int> idx;
                it.h = h;
                it.nv = 0.05f;
                it.y = make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.05);
            }
            run_outputs want(n, nt, kb);
            BOOST_REQUIRE(run_items(ref, good, want).count == 0u);
            for (const bad_case& c : bad_cases) {
                BOOST_TEST_CONTEXT(T::name << " " << name << " nt=" << nt << " nr=" << nr
                                           << " case '" << c.name << "'")
                {
                    std::vector<item> items = good;
                    items[bad_at] = c.make(good[bad_at], nt, nr);
                    run_outputs got(n, nt, kb);
                    const item_failures f = run_items(k, items, got);
                    for (float v : got.llr)
                        BOOST_TEST((std::isfinite(v) && std::abs(v) <= lim));
                    for (const cf& v : got.est)
                        BOOST_TEST((std::isfinite(v.real()) && std::isfinite(v.imag())));
                    for (uint8_t b : got.bits)
                        BOOST_TEST(b <= 1);
                    for (int i = 0; i < n; ++i)
                        if (i != bad_at)
                            BOOST_TEST_CONTEXT("good item " << i)
                            {
                                BOOST_TEST(got.of(i, nt, kb).same_bits(want.of(i, nt, kb)));
                            }
                    const bool erased = f.count == 1;
                    BOOST_TEST(f.count <= 1u);
                    const bool may_overflow = c.learned_may_overflow && !T::solves;
                    const st want = c.singular_if_solving && T::solves ? st::singular : c.want;
                    if (erased) {
                        BOOST_TEST(f.first == bad_at);
                        BOOST_TEST((f.first_status == want ||
                                    (may_overflow && f.first_status == st::overflow)));
                        BOOST_TEST(got.of(bad_at, nt, kb).all_zero());
                    } else {
                        BOOST_TEST((want == st::ok));
                        // Symbols are constellation points (0 marks an erasure).
                        for (int t = 0; t < nt; ++t)
                            BOOST_TEST(got.sym[bad_at * nt + t] != cf(0.0f, 0.0f));
                    }
                }
            }
        }
    }
}

// (9) The scale-invariant kernels detect c y, c H, |c|^2 noise_var exactly as
// y, H, noise_var for a power of two c (set_channel's scaling is exact), and
// nearly so for c = 1e20 (rounding of the inputs only).
BOOST_AUTO_TEST_CASE_TEMPLATE(scaled_channel_equals_unscaled, T, solving_kernels)
{
    rng r(12000 + T::seed);
    const int nt = 4, nr = 6;
    for (const auto& name : all_constellations()) {
        auto k = T::make(nt, nr, name);
        auto ref = T::make(nt, nr, name);
        const int kb = k.bits_per_symbol();
        const auto h = random_h(r, nt, nr);
        std::vector<int> idx;
        const item g{ make_y(r, h, random_symbols(r, k.constellation(), nt, idx), nt, nr, 0.2),
                      h,
                      0.2f };
        outputs want(nt, kb), got(nt, kb);
        BOOST_REQUIRE(ref.set_channel(g.h.data(), g.nv));
        BOOST_REQUIRE(run_detect(ref, g.y, want));
        for (double c : { std::ldexp(1.0, 60), std::ldexp(1.0, -60), 1e18, 1e-18 }) {
            BOOST_TEST_CONTEXT(T::name << " " << name << " c=" << c)
            {
                const item b = scaled(g, c);
                BOOST_REQUIRE(k.set_channel(b.h.data(), b.nv));
                BOOST_REQUIRE(run_detect(k, b.y, got));
                if (c == std::ldexp(1.0, 60) || c == std::ldexp(1.0, -60)) {
                    BOOST_TEST(got.same_bits(want));
                } else {
                    for (int t = 0; t < nt; ++t)
                        BOOST_TEST(std::abs(got.est[t] - want.est[t]) <= 1e-4f);
                    for (int i = 0; i < nt * kb; ++i)
                        BOOST_TEST(std::abs(got.llr[i] - want.llr[i]) <=
                                   1e-3f * std::max(1.0f, std::abs(want.llr[i])));
                }
            }
        }
    }
}
