/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/detector_core.h>
#include "gray_pam_demap.h"
#include "simd_v8.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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
        return "noise_var < 0 or not finite";
    case detector_status::singular:
        return "H^H H + noise_var I is numerically singular (rank-deficient H with a "
               "tiny noise_var)";
    case detector_status::nonfinite_y:
        return "y has a NaN or Inf entry";
    case detector_status::overflow:
        return overflow;
    case detector_status::zero_channel:
        return "H is all zero (y carries no information)";
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

namespace {
/*!
 * x = m 2^e with m in [1/2, 1) (frexp's e) for a finite x > 0, read from
 * the float bits (frexp is a library call; this runs per channel). Returns
 * whether m >= 2^-1/2 (1 + fraction >= sqrt 2: fraction bits >= 0x3504F4).
 */
bool float_exponent(float x, int& e)
{
    uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof(bits));
    const int biased = static_cast<int>((bits >> 23) & 0xffu);
    if (biased == 0) { // subnormal: rare, the library handles it
        const double m = std::frexp(static_cast<double>(x), &e);
        return m >= 0.70710678118654752440;
    }
    e = biased - 126;
    return (bits & 0x7fffffu) >= 0x3504F4u;
}

/*!
 * out[i] = c in[i] for c = 2^e (its value given too), rounded once as the
 * exact product: powers of two scale exactly. With c a normal float the float
 * product is that rounding, bit for bit the double route, which a c outside
 * the float range needs; a multiply, not an ldexp call, per entry (this runs
 * per channel and per item). A product past the float range is Inf.
 */
void scale_exact(const float* in, int n, int e, double c, float* out)
{
    if (e >= -126 && e <= 127) {
        const float cf = static_cast<float>(c);
        for (int i = 0; i < n; ++i)
            out[i] = in[i] * cf;
    } else {
        for (int i = 0; i < n; ++i)
            out[i] = static_cast<float>(static_cast<double>(in[i]) * c);
    }
}

//! ilogb(noise_var_max) (1e30 = 1.58 * 2^99).
constexpr int noise_var_max_exp = 99;
static_assert(detector_floors::noise_var_max >= 0x1p99 && detector_floors::noise_var_max < 0x1p100,
              "noise_var_max_exp is ilogb(noise_var_max)");
} // namespace

detector_core::detector_core(const std::string& who,
                             int nt,
                             int nr,
                             const std::string& constellation,
                             bool require_nr_ge_nt,
                             bool scale_invariant)
    : d_nt(nt),
      d_nr(nr),
      d_const(checked_constellation(who, nt, nr, constellation, require_nr_ge_nt)),
      d_k(d_const.bits_per_symbol()),
      d_pam(d_const, who),
      d_np(simd::round_up(2 * nt, simd::k_lanes)),
      d_inv_mu(d_np, 0.0f),
      d_w(d_np, 0.0f),
      d_h(static_cast<size_t>(nr) * nt, { 0.0f, 0.0f }),
      d_scale_invariant(scale_invariant),
      d_hs(d_h.size(), { 0.0f, 0.0f }),
      d_ys(static_cast<size_t>(group_size) * 2 * nr, 0.0f),
      d_next(window, -1),
      d_head(window, 0),
      d_tail(window, 0),
      d_slot_hash(2 * window, 0),
      d_slot_group(2 * window, 0),
      d_slot_stamp(2 * window, 0),
      d_yg(static_cast<size_t>(group_size) * 2 * nr, 0.0f)
{
}

detector_core::~detector_core() = default;

bool detector_core::emit(const float* y, const float* s, const detector_outputs& out)
{
    // One pass, one reduction (this runs per item): the lanes of acc are 0
    // unless
    //  - s is not finite (x - x is NaN): a NaN/Inf in y always reaches s
    //    (0 * Inf is NaN), so this check on s covers y as well;
    //  - z = s / mu of a coordinate with weight > 0 passes z_limit (|y| ~ 1e30
    //    with a unit-size H: far outside every constellation), arithmetic the
    //    demapper cannot trust, where the Python detectors' squared distances
    //    overflow: an overflow erasure too. A coordinate with weight 0 (no
    //    gain; the padding) gives LLR 0 whatever its z.
    const simd::v8 zero = simd::vzero(), lim = simd::vset1(detector_floors::z_limit);
    simd::v8 acc = zero;
    for (int k0 = 0; k0 < d_np; k0 += simd::k_lanes) {
        const simd::v8 sv = simd::vload(s + k0);
        const simd::v8 z = simd::vselect_gt(
            simd::vload(d_w.data() + k0), zero, sv * simd::vload(d_inv_mu.data() + k0), zero);
        acc += (sv - sv) + simd::vmax(simd::vmax(z, zero - z) - lim, zero);
    }
    float total = 0.0f;
    for (int l = 0; l < simd::k_lanes; ++l)
        total += simd::vlane(acc, l);
    if (!(total == 0.0f)) {
        erase(out);
        d_last = simd::all_finite(y, 2 * d_nr) ? status::overflow : status::nonfinite_y;
        return false;
    }
    if (out.estimate) // s is interleaved (re, im): the complex estimate as it is
        std::memcpy(reinterpret_cast<float*>(out.estimate), s, sizeof(float) * 2 * d_nt);
    if (out.symbols || out.llr || out.bits)
        simd::demap_gray_pam(d_pam, { d_nt, s, d_inv_mu.data(), d_w.data() }, out);
    d_last = status::ok;
    return true;
}

bool detector_core::detect(const std::complex<float>* y, const detector_outputs& out)
{
    if (d_chan_status != status::ok)
        return reject(out);
    const float* yf = reinterpret_cast<const float*>(y);
    return emit(yf, estimate(scaled_y(yf, 1), 1), out);
}

namespace {

// The bits of one item's channel as 32-bit words (H, then noise_var): a hash
// of two independent multiply chains (this runs per item). A large H is
// sampled, at most k_hash_words words evenly spread: equal channels hash
// equal whatever is sampled, and the bitwise compare that follows a hash match
// keeps channels that differ only between the samples apart.
constexpr size_t k_hash_words = 64;

uint64_t channel_hash(const float* h, size_t nh, float noise_var)
{
    uint64_t a = 0x9e3779b97f4a7c15ull, b = 0xc2b2ae3d27d4eb4full;
    const size_t step = 2 * std::max<size_t>(1, nh / k_hash_words); // pairs of words
    size_t i = 0;
    for (; i + 2 <= nh; i += step) {
        uint32_t x, y;
        std::memcpy(&x, h + i, sizeof(x));
        std::memcpy(&y, h + i + 1, sizeof(y));
        a = (a ^ x) * 0x100000001b3ull;
        b = (b ^ y) * 0x100000001b3ull;
    }
    uint32_t x = 0, v;
    if (nh % 2 == 1)
        std::memcpy(&x, h + nh - 1, sizeof(x));
    std::memcpy(&v, &noise_var, sizeof(v));
    a = (a ^ x ^ (static_cast<uint64_t>(v) << 32)) * 0x100000001b3ull;
    return (a ^ (b >> 29) ^ (b << 17)) * 0x9e3779b97f4a7c15ull;
}

} // namespace

bool detector_core::same_item_channel(const detector_inputs& in, int j, int k) const
{
    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    return std::memcmp(in.noise_var + j, in.noise_var + k, sizeof(float)) == 0 &&
           same_bits(in.H + j * hsize, in.H + k * hsize, hsize);
}

int detector_core::group_by_channel(int m, const detector_inputs& in)
{
    const size_t hsize = static_cast<size_t>(d_nr) * d_nt;
    const size_t mask = d_slot_hash.size() - 1;
    if (++d_stamp == 0) { // wrapped: every slot's stamp is stale again
        std::fill(d_slot_stamp.begin(), d_slot_stamp.end(), 0u);
        d_stamp = 1;
    }
    int groups = 0, prev = -1;
    for (int j = 0; j < m; ++j) {
        d_next[j] = -1;
        int g = -1;
        // A channel held from the previous item (the usual case off OFDM): no hash.
        if (j > 0 && same_item_channel(in, j, j - 1)) {
            g = prev;
        } else {
            const uint64_t key = channel_hash(
                reinterpret_cast<const float*>(in.H + j * hsize), 2 * hsize, in.noise_var[j]);
            size_t s = key & mask;
            for (; d_slot_stamp[s] == d_stamp; s = (s + 1) & mask)
                if (d_slot_hash[s] == key && same_item_channel(in, j, d_head[d_slot_group[s]])) {
                    g = d_slot_group[s];
                    break;
                }
            if (g < 0) { // a new channel: at most m <= window groups in 2 window slots
                g = groups++;
                d_head[g] = d_tail[g] = j;
                d_slot_stamp[s] = d_stamp;
                d_slot_hash[s] = key;
                d_slot_group[s] = g;
                prev = g;
                continue;
            }
        }
        d_next[d_tail[g]] = j;
        d_tail[g] = j;
        prev = g;
    }
    return groups;
}

item_failures
detector_core::detect_items(int n, const detector_inputs& in, const detector_outputs& out)
{
    item_failures failures;
    for (int w0 = 0; w0 < n; w0 += window) {
        const int m = std::min(window, n - w0);
        const detector_inputs win = in.from_item(static_cast<size_t>(w0), d_nt, d_nr);
        const int groups = group_by_channel(m, win);
        for (int g = 0; g < groups; ++g) {
            int j = d_head[g];
            const size_t hj = static_cast<size_t>(j) * d_nr * d_nt;
            // Cheap when the previous group's channel recurs: a compare against the cached copy.
            if (!same_channel(win.H + hj, win.noise_var[j]))
                refresh_channel(win.H + hj, win.noise_var[j]);
            const bool valid = d_chan_status == status::ok;
            while (j >= 0) {
                // Up to group_size items of this channel: one estimate() call; their y
                // read in place when consecutive, else gathered.
                int idx[group_size];
                int cnt = 0;
                bool consecutive = true;
                for (; j >= 0 && cnt < (valid ? group_size : 1); j = d_next[j]) {
                    consecutive = consecutive && (cnt == 0 || j == idx[cnt - 1] + 1);
                    idx[cnt++] = j;
                }
                const size_t ylen = 2 * static_cast<size_t>(d_nr);
                const float* yf = reinterpret_cast<const float*>(win.y + static_cast<size_t>(idx[0]) * d_nr);
                if (valid && !consecutive) {
                    for (int q = 0; q < cnt; ++q)
                        std::memcpy(d_yg.data() + q * ylen,
                                    reinterpret_cast<const float*>(win.y + static_cast<size_t>(idx[q]) * d_nr),
                                    ylen * sizeof(float));
                    yf = d_yg.data();
                }
                const float* s = valid ? estimate(scaled_y(yf, cnt), cnt) : nullptr;
                for (int q = 0; q < cnt; ++q) {
                    const size_t item = static_cast<size_t>(w0 + idx[q]);
                    const detector_outputs o = out.from_item(item, d_nt, d_k);
                    const bool ok = s ? emit(yf + q * ylen, s + q * d_np, o) : reject(o);
                    if (!ok)
                        failures.note(static_cast<int>(item), d_last);
                }
            }
        }
    }
    return failures;
}

bool detector_core::reject(const detector_outputs& out)
{
    erase(out);
    d_last = d_chan_status;
    return false;
}

void detector_core::erase(const detector_outputs& out) const
{
    const size_t nbits = static_cast<size_t>(d_nt) * d_k;
    if (out.estimate)
        std::fill(out.estimate, out.estimate + d_nt, std::complex<float>(0.0f, 0.0f));
    if (out.symbols)
        std::fill(out.symbols, out.symbols + d_nt, std::complex<float>(0.0f, 0.0f));
    if (out.llr)
        std::fill(out.llr, out.llr + nbits, 0.0f);
    if (out.bits)
        std::fill(out.bits, out.bits + nbits, uint8_t(0));
}

void detector_core::refresh_channel(const std::complex<float>* H, float noise_var)
{
    std::memcpy(d_h.data(), H, d_h.size() * sizeof(std::complex<float>));
    std::memcpy(&d_nv_bits, &noise_var, sizeof(d_nv_bits));
    d_have_cache = true;
    ++d_factorizations;
    d_scale_exp = 0;
    d_scale = 1.0;
    // Reads H, not the copy just written: reading back fresh wide stores
    // with narrow loads stalls on store forwarding.
    const float* hf = reinterpret_cast<const float*>(H);
    const int nh = static_cast<int>(2 * d_h.size());
    // noise_var = 0 (and -0) is valid: floored below. NaN fails the compare.
    if (!(noise_var >= 0.0f) || !std::isfinite(noise_var)) {
        d_chan_status = status::bad_noise_var;
        return;
    }
    if (!simd::all_finite(hf, nh)) {
        d_chan_status = status::nonfinite_channel;
        return;
    }
    // Per channel, so for per-carrier channels per item: four independent
    // maxima (no dependency chain) and exponents read from the float bits.
    float p4[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
    int i = 0;
    for (; i + 4 <= nh; i += 4)
        for (int l = 0; l < 4; ++l)
            p4[l] = std::max(p4[l], std::fabs(hf[i + l]));
    for (; i < nh; ++i)
        p4[0] = std::max(p4[0], std::fabs(hf[i]));
    const float peak = std::max(std::max(p4[0], p4[1]), std::max(p4[2], p4[3]));
    if (peak == 0.0f) { // every detector would answer from the prior alone
        d_chan_status = status::zero_channel;
        return;
    }
    if (d_scale_invariant) {
        // c = 2^-round(log2 peak): peak = m 2^e with m in [1/2, 1), and
        // log2 peak rounds to e when m >= 2^-1/2, else to e - 1.
        int e = 0;
        const bool upper_half = float_exponent(peak, e);
        d_scale_exp = -(upper_half ? e : e - 1);
        // A smaller c where c^2 s2 would pass noise_var_max (a noise-dominated
        // tiny H): still exact, and c y stays far inside the float range. But
        // not below 2^-60 max |H|, where the products of c H would underflow
        // (a nonzero H read as zero): the cap then binds, at an SNR of about
        // -660 dB, where every LLR is 0 anyway.
        if (noise_var > 0.0f) {
            const int exact = d_scale_exp;
            int en = 0;
            float_exponent(noise_var, en); // s2 < 2^en
            const int room = noise_var_max_exp - en;
            // floor(room / 2) for either sign
            d_scale_exp = std::min(d_scale_exp, room >= 0 ? room / 2 : -((1 - room) / 2));
            d_scale_exp = std::max(d_scale_exp, exact - 60);
        }
    }
    // The scaled noise_var in double (c^2 s2 may leave the float range),
    // then floored and capped (the cap only binds for learned steps).
    const double c = std::ldexp(1.0, d_scale_exp);
    d_scale = c;
    const double nv =
        std::min(std::max(static_cast<double>(noise_var) * c * c, detector_floors::noise_var),
                 detector_floors::noise_var_max);
    if (d_scale_exp == 0) {
        d_chan_status = setup_channel(H, static_cast<float>(nv));
        return;
    }
    scale_exact(hf, nh, d_scale_exp, c, reinterpret_cast<float*>(d_hs.data()));
    d_chan_status = setup_channel(d_hs.data(), static_cast<float>(nv));
}

const float* detector_core::scaled_y(const float* y, int count)
{
    if (d_scale_exp == 0)
        return y;
    // A product past the float range becomes Inf: the estimate is then not
    // finite and the item is erased as an overflow (its y is finite).
    scale_exact(y, count * 2 * d_nr, d_scale_exp, d_scale, d_ys.data());
    return d_ys.data();
}

} // namespace neuralmimo
} // namespace gr
