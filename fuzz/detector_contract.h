/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The detector output contract, checked on any detector kernel (every
 * detector_core): a run of items decoded from the fuzzer's bytes goes through
 * detect_items() on one kernel and set_channel() + detect() item by item on a
 * twin, and
 *   - both give bitwise the same outputs (grouping, channel cache);
 *   - an item with a bad input is erased with the status that names it
 *     (noise_var < 0 / NaN / Inf, H with NaN/Inf, H == 0, y with NaN/Inf);
 *     an item with finite inputs is detected or, when the kernel has no
 *     answer, erased as singular or overflow;
 *   - a detected item has finite outputs, |LLR| <= llr_limit, bits 0/1 that
 *     follow the LLR signs, and as symbol the point of those bits; an erased
 *     one is 0 everywhere;
 *   - item_failures counts the erased items and names the first.
 * A new kernel (a soft-bit quantiser, say) reuses this with its own decoder
 * of the configuration (fuzz/README.md).
 */

#ifndef INCLUDED_NEURALMIMO_DETECTOR_CONTRACT_H
#define INCLUDED_NEURALMIMO_DETECTOR_CONTRACT_H

#include "fuzz_bytes.h"
#include <gnuradio/neuralmimo/detector_core.h>
#include <cstdio>
#include <vector>

namespace fuzz {

using gr::neuralmimo::detector_core;
using gr::neuralmimo::detector_status;
using cf = std::complex<float>;

// Items per run: more than detector_core::group_size, so runs of one channel
// are split into groups.
constexpr int k_max_items = 12;

// Items seen per status over the process (printed at exit: how many inputs of
// each kind the fuzzer reached).
struct status_counts {
    uint64_t n[8] = {};
    const char* who = nullptr;
    ~status_counts()
    {
        if (!who)
            return;
        std::fprintf(stderr,
                     "%s: items ok %llu, bad_noise_var %llu, nonfinite_channel %llu, "
                     "zero_channel %llu, nonfinite_y %llu, singular %llu, overflow %llu\n",
                     who,
                     (unsigned long long)n[int(detector_status::ok)],
                     (unsigned long long)n[int(detector_status::bad_noise_var)],
                     (unsigned long long)n[int(detector_status::nonfinite_channel)],
                     (unsigned long long)n[int(detector_status::zero_channel)],
                     (unsigned long long)n[int(detector_status::nonfinite_y)],
                     (unsigned long long)n[int(detector_status::singular)],
                     (unsigned long long)n[int(detector_status::overflow)]);
    }
};

inline bool all_finite(const std::vector<cf>& v, size_t from, size_t count)
{
    for (size_t i = from; i < from + count; ++i)
        if (!finite(v[i]))
            return false;
    return true;
}

/*
 * Decodes up to k_max_items items for a kernel of nt streams and nr antennas
 * and checks the contract on `k` (detect_items) and `twin` (item by item),
 * two kernels built alike.
 */
inline void check_detector(bytes& in, detector_core& k, detector_core& twin, status_counts& counts)
{
    const int nt = k.nt(), nr = k.nr(), kb = k.bits_per_symbol();
    const size_t hs = static_cast<size_t>(nr) * nt, nb = static_cast<size_t>(nt) * kb;
    const int n = in.range(1, k_max_items);
    std::vector<cf> y(n * nr), h(n * hs);
    std::vector<float> nv(n);
    for (int i = 0; i < n; ++i) {
        // Mode bits: reuse the previous item's H (bit 0) and noise_var (bit 1),
        // so that runs share a channel; scale this item's H and y by 2^e (bit 2).
        const uint8_t mode = in.u8();
        if (i > 0 && (mode & 1))
            std::copy(h.begin() + (i - 1) * hs, h.begin() + i * hs, h.begin() + i * hs);
        else
            for (size_t j = 0; j < hs; ++j)
                h[i * hs + j] = in.cvalue();
        nv[i] = (i > 0 && (mode & 2)) ? nv[i - 1] : in.value();
        for (int r = 0; r < nr; ++r)
            y[i * nr + r] = in.cvalue();
        if (mode & 4) {
            const int e = static_cast<int>(in.u8()) - 128;
            for (size_t j = 0; j < hs; ++j)
                h[i * hs + j] = cf(std::ldexp(h[i * hs + j].real(), e), std::ldexp(h[i * hs + j].imag(), e));
            for (int r = 0; r < nr; ++r)
                y[i * nr + r] = cf(std::ldexp(y[i * nr + r].real(), e), std::ldexp(y[i * nr + r].imag(), e));
        }
    }

#ifdef FUZZ_DEBUG // the decoded items, to read a finding
    std::fprintf(stderr, "nt %d nr %d %s, %d items\n", nt, nr, k.constellation().name().c_str(), n);
    for (int i = 0; i < n; ++i) {
        std::fprintf(stderr, "item %d: noise_var %g\n  H", i, nv[i]);
        for (size_t j = 0; j < hs; ++j)
            std::fprintf(stderr, " (%g, %g)", h[i * hs + j].real(), h[i * hs + j].imag());
        std::fprintf(stderr, "\n  y");
        for (int r = 0; r < nr; ++r)
            std::fprintf(stderr, " (%g, %g)", y[i * nr + r].real(), y[i * nr + r].imag());
        std::fprintf(stderr, "\n");
    }
#endif
    std::vector<cf> est(n * nt), sym(n * nt);
    std::vector<float> llr(n * nb);
    std::vector<uint8_t> bits(n * nb);
    const gr::neuralmimo::item_failures f = k.detect_items(
        n, { y.data(), h.data(), nv.data() }, { est.data(), sym.data(), llr.data(), bits.data() });

    const float lim = gr::neuralmimo::detector_floors::llr_limit;
    const auto& points = k.constellation().points();
    std::vector<cf> e1(nt), s1(nt);
    std::vector<float> l1(nb);
    std::vector<uint8_t> b1(nb);
    uint64_t erased = 0;
    int first = -1;
    detector_status first_status = detector_status::ok;
    for (int i = 0; i < n; ++i) {
        const cf* hi = h.data() + i * hs;
        twin.set_channel(hi, nv[i]);
        twin.detect(y.data() + i * nr, { e1.data(), s1.data(), l1.data(), b1.data() });
        const detector_status s = twin.last_status();
        counts.n[static_cast<int>(s) & 7]++;

        // detect_items() == item by item, bitwise.
        FUZZ_CHECK(std::memcmp(e1.data(), &est[i * nt], nt * sizeof(cf)) == 0 &&
                       std::memcmp(s1.data(), &sym[i * nt], nt * sizeof(cf)) == 0 &&
                       std::memcmp(l1.data(), &llr[i * nb], nb * sizeof(float)) == 0 &&
                       std::memcmp(b1.data(), &bits[i * nb], nb) == 0,
                   "item %d: detect_items differs from set_channel + detect", i);

        // The status names the bad input, in the order set_channel checks them.
        const bool nv_ok = nv[i] >= 0.0f && std::isfinite(nv[i]);
        const bool h_ok = all_finite(h, i * hs, hs);
        bool h_zero = true;
        for (size_t j = 0; j < hs; ++j)
            h_zero = h_zero && hi[j] == cf(0.0f, 0.0f);
        const bool y_ok = all_finite(y, static_cast<size_t>(i) * nr, nr);
        const bool no_answer = s == detector_status::singular || s == detector_status::overflow;
        if (!nv_ok)
            FUZZ_CHECK(s == detector_status::bad_noise_var, "item %d: status %d", i, int(s));
        else if (!h_ok)
            FUZZ_CHECK(s == detector_status::nonfinite_channel, "item %d: status %d", i, int(s));
        else if (h_zero)
            FUZZ_CHECK(s == detector_status::zero_channel, "item %d: status %d", i, int(s));
        else if (!y_ok)
            FUZZ_CHECK(s == detector_status::nonfinite_y || no_answer, "item %d: status %d", i, int(s));
        else
            FUZZ_CHECK(s == detector_status::ok || no_answer,
                       "item %d: finite inputs, status %d", i, int(s));

        if (s != detector_status::ok) {
            ++erased;
            if (first < 0) {
                first = i;
                first_status = s;
            }
            for (int t = 0; t < nt; ++t)
                FUZZ_CHECK(e1[t] == cf() && s1[t] == cf(), "item %d: erased but not 0", i);
            for (size_t b = 0; b < nb; ++b)
                FUZZ_CHECK(l1[b] == 0.0f && b1[b] == 0, "item %d: erased but not 0", i);
            continue;
        }
        for (int t = 0; t < nt; ++t) {
            FUZZ_CHECK(finite(e1[t]), "item %d stream %d: estimate (%g, %g) not finite", i, t,
                       e1[t].real(), e1[t].imag());
            int label = 0;
            for (int b = 0; b < kb; ++b) {
                const float v = l1[t * kb + b];
                const uint8_t bit = b1[t * kb + b];
                FUZZ_CHECK(std::isfinite(v) && std::fabs(v) <= lim,
                           "item %d stream %d bit %d: LLR %g", i, t, b, v);
                FUZZ_CHECK(bit <= 1, "item %d: bit %d", i, int(bit));
                FUZZ_CHECK(!(v > 0.0f && bit == 0) && !(v < 0.0f && bit == 1),
                           "item %d stream %d bit %d: LLR %g but hard bit %d", i, t, b, v, int(bit));
                label = (label << 1) | bit;
            }
            FUZZ_CHECK(s1[t] == points[label], "item %d stream %d: symbol is not the point of its bits", i, t);
        }
    }
    FUZZ_CHECK(f.count == erased, "item_failures counts %llu, %llu erased",
               (unsigned long long)f.count, (unsigned long long)erased);
    FUZZ_CHECK(f.first == first && f.first_status == first_status,
               "item_failures names item %d (status %d), the first erased is %d (status %d)",
               f.first, int(f.first_status), first, int(first_status));
}

} // namespace fuzz

#endif /* INCLUDED_NEURALMIMO_DETECTOR_CONTRACT_H */
