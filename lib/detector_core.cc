/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/detector_core.h>
#include "simd_v8.h"
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

void check_dimensions(const std::string& who, int nt, int nr, bool require_nr_ge_nt)
{
    if (nt < 1)
        throw std::invalid_argument(who + ": nt = " + std::to_string(nt) + " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument(who + ": nr = " + std::to_string(nr) + " must be >= 1");
    if (require_nr_ge_nt && nt > nr)
        throw std::invalid_argument(who + ": nt = " + std::to_string(nt) +
                                    " must be <= nr = " + std::to_string(nr));
}

const char* describe(detector_status s, const char* overflow)
{
    switch (s) {
    case detector_status::ok:
        return "ok";
    case detector_status::no_channel:
        return "no channel set";
    case detector_status::nonfinite_channel:
        return "H has a NaN or Inf entry";
    case detector_status::bad_noise_var:
        return "noise_var <= 0 or not finite";
    case detector_status::singular:
        return "H^H H + noise_var I is numerically singular (rank-deficient H with a "
               "tiny noise_var)";
    case detector_status::nonfinite_y:
        return "y has a NaN or Inf entry";
    case detector_status::overflow:
        return overflow;
    }
    return "unknown";
}

gray_pam::gray_pam(const constellation_table& c, const std::string& who)
{
    const int k = c.bits_per_symbol();
    d_bpsk = (k == 1);
    d_dim_bits = d_bpsk ? 1 : k / 2;
    d_levels = 1 << d_dim_bits;
    // Label index of the point with bit groups g_re (real) and g_im (imaginary).
    auto index_of = [&](int g_re, int g_im) {
        if (d_bpsk)
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
        const float a = c.points()[index_of(g, 0)].real();
        d_amp[g] = a;
        d_amp2[g] = a * a;
        d_m2amp[g] = -2.0f * a;
    }
    // Every point is amp(real group) + j amp(imaginary group).
    for (int gr = 0; gr < d_levels; ++gr)
        for (int gi = 0; gi < (d_bpsk ? 1 : d_levels); ++gi) {
            const std::complex<float> want(d_amp[gr], d_bpsk ? 0.0f : d_amp[gi]);
            if (c.points()[index_of(gr, gi)] != want)
                throw std::logic_error(who + ": constellation '" + c.name() +
                                       "' is not a separable Gray QAM");
        }
}

namespace {
// Checks the dimensions before the constellation table is built, so the
// messages come in the order nt, nr, constellation.
const std::string& checked_constellation(
    const std::string& who, int nt, int nr, const std::string& constellation, bool nr_ge_nt)
{
    check_dimensions(who, nt, nr, nr_ge_nt);
    return constellation_table::checked_name(who, constellation);
}
} // namespace

detector_core::detector_core(const std::string& who,
                             int nt,
                             int nr,
                             const std::string& constellation,
                             bool require_nr_ge_nt)
    : d_nt(nt),
      d_nr(nr),
      d_const(checked_constellation(who, nt, nr, constellation, require_nr_ge_nt)),
      d_k(d_const.bits_per_symbol()),
      d_pam(d_const, who),
      d_h(static_cast<size_t>(nr) * nt, { 0.0f, 0.0f })
{
}

detector_core::~detector_core() = default;

uint64_t detector_core::detect_items(int n,
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
    const detector_outputs out{ estimate, symbols, llr, bits };
    item_failures failures;
    for (int i = 0; i < n; ++i) {
        const size_t iu = static_cast<size_t>(i);
        const detector_outputs o = out.from_item(iu, d_nt, d_k);
        // Cheap when H and noise_var repeat: a compare against the cached copy.
        set_channel(H + iu * hsize, noise_var[i]);
        if (!detect(y + iu * d_nr, o.estimate, o.symbols, o.llr, o.bits))
            failures.note(i, d_last);
    }
    return failures.report(first_bad, first_status);
}

void detector_core::erase(std::complex<float>* estimate,
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

void detector_core::refresh_channel(const std::complex<float>* H, float noise_var)
{
    std::memcpy(d_h.data(), H, d_h.size() * sizeof(std::complex<float>));
    std::memcpy(&d_nv_bits, &noise_var, sizeof(d_nv_bits));
    d_have_cache = true;
    ++d_factorizations;
    // Reads H, not the copy just written: reading back fresh wide stores
    // with narrow loads stalls on store forwarding.
    if (!(noise_var > 0.0f) || !std::isfinite(noise_var))
        d_chan_status = status::bad_noise_var;
    else if (!simd::all_finite(reinterpret_cast<const float*>(H),
                               static_cast<int>(2 * d_h.size())))
        d_chan_status = status::nonfinite_channel;
    else
        d_chan_status = setup_channel(H, noise_var);
}

} // namespace neuralmimo
} // namespace gr
