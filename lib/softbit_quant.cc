/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/softbit_quant.h>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

constexpr int max_bits = 16;
constexpr int max_n = 1 << 20;    // an item of 4 MiB: far beyond any soft-bit vector
constexpr float clip_min = 1e-20f; // every step of the uniform arithmetic stays normal
constexpr float clip_max = 1e20f;
constexpr int64_t chunk_values = 8192; // codes scratch: 16 KiB, stays in L1/L2

[[noreturn]] void bad(const std::string& what)
{
    throw std::invalid_argument("softbit_quant: " + what);
}

std::string num(double v)
{
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
}

/*
 * Packing, MSB first. B <= 8: eight codes fill exactly B bytes, so a group
 * is assembled in one 64-bit word (branch-free, unrolled for each B); the
 * tail of a vector (n % 8 codes) the same way with fewer codes. B > 8: a bit
 * accumulator, a byte out whenever 8 bits are ready.
 */
template <int B>
void pack_vec(const uint16_t* c, int n, uint8_t* out)
{
    if (B <= 8) {
        int i = 0;
        for (; i + 8 <= n; i += 8, out += B) {
            uint64_t acc = 0;
            for (int k = 0; k < 8; ++k)
                acc |= static_cast<uint64_t>(c[i + k]) << (64 - B * (k + 1));
            for (int j = 0; j < B; ++j)
                out[j] = static_cast<uint8_t>(acc >> (56 - 8 * j));
        }
        const int r = n - i;
        if (r > 0) {
            uint64_t acc = 0;
            for (int k = 0; k < r; ++k)
                acc |= static_cast<uint64_t>(c[i + k]) << (64 - B * (k + 1));
            const int nbytes = (r * B + 7) / 8;
            for (int j = 0; j < nbytes; ++j)
                out[j] = static_cast<uint8_t>(acc >> (56 - 8 * j));
        }
    } else {
        uint64_t acc = 0;
        int nb = 0;
        for (int i = 0; i < n; ++i) {
            acc = (acc << B) | c[i];
            nb += B;
            while (nb >= 8) {
                nb -= 8;
                *out++ = static_cast<uint8_t>(acc >> nb);
            }
        }
        if (nb > 0)
            *out = static_cast<uint8_t>(acc << (8 - nb));
    }
}

template <int B>
void unpack_vec(const uint8_t* in, int n, uint16_t* c)
{
    constexpr uint64_t mask = (uint64_t(1) << B) - 1;
    if (B <= 8) {
        int i = 0;
        for (; i + 8 <= n; i += 8, in += B) {
            uint64_t w = 0;
            for (int j = 0; j < B; ++j)
                w |= static_cast<uint64_t>(in[j]) << (56 - 8 * j);
            for (int k = 0; k < 8; ++k)
                c[i + k] = static_cast<uint16_t>((w >> (64 - B * (k + 1))) & mask);
        }
        const int r = n - i;
        if (r > 0) {
            const int nbytes = (r * B + 7) / 8;
            uint64_t w = 0;
            for (int j = 0; j < nbytes; ++j)
                w |= static_cast<uint64_t>(in[j]) << (56 - 8 * j);
            for (int k = 0; k < r; ++k)
                c[i + k] = static_cast<uint16_t>((w >> (64 - B * (k + 1))) & mask);
        }
    } else {
        uint64_t acc = 0;
        int nb = 0;
        for (int i = 0; i < n; ++i) {
            while (nb < B) {
                acc = (acc << 8) | *in++;
                nb += 8;
            }
            nb -= B;
            c[i] = static_cast<uint16_t>((acc >> nb) & mask);
        }
    }
}

using pack_fn = void (*)(const uint16_t*, int, uint8_t*);
using unpack_fn = void (*)(const uint8_t*, int, uint16_t*);

template <int... Bs>
struct tables {
    static constexpr pack_fn pack[] = { nullptr, &pack_vec<Bs>... };
    static constexpr unpack_fn unpack[] = { nullptr, &unpack_vec<Bs>... };
};
using bit_tables = tables<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>;

void check_bits(int bits)
{
    if (bits < 1 || bits > max_bits)
        bad("bits = " + std::to_string(bits) + " is out of range (expected 1.." +
            std::to_string(max_bits) + ")");
}

} // namespace

softbit_quant::softbit_quant(int n,
                             int bits,
                             const std::string& mode,
                             float clip,
                             const std::vector<float>& thresholds,
                             const std::vector<float>& levels)
    : d_n(n), d_bits(bits), d_L(0), d_groups(1), d_bytes(0), d_uniform(mode == "uniform"),
      d_clip(clip), d_scale(0.0f), d_grid(0)
{
    if (n < 1 || n > max_n)
        bad("n = " + std::to_string(n) + " is out of range (expected 1.." +
            std::to_string(max_n) + ")");
    check_bits(bits);
    if (mode != "uniform" && mode != "codebook")
        bad("mode = '" + mode + "' (expected 'uniform' or 'codebook')");
    d_L = 1 << bits;
    d_bytes = static_cast<int>((static_cast<int64_t>(n) * bits + 7) / 8);
    const int L = d_L;

    if (d_uniform) {
        if (!(clip >= clip_min && clip <= clip_max))
            bad("clip = " + num(clip) + " is out of range (expected [1e-20, 1e20] in uniform mode)");
        if (!thresholds.empty() || !levels.empty())
            bad("thresholds has " + std::to_string(thresholds.size()) + " and levels " +
                std::to_string(levels.size()) +
                " values (expected 0 and 0 in uniform mode: they are derived from bits and clip)");
        d_scale = static_cast<float>(static_cast<double>(L) / (2.0 * static_cast<double>(clip)));
        d_levels.resize(L);
        // clip (24 bits) times an odd integer (<= 17 bits), over a power of two:
        // exact in double, so one rounding to float whatever the compiler fuses.
        for (int k = 0; k < L; ++k)
            d_levels[k] = static_cast<float>(static_cast<double>(clip) * (2.0 * k + 1 - L) / L);
        const float zero = 0.0f;
        softbit_counts unused;
        d_zero_code.resize(1);
        encode_uniform(&zero, 1, d_zero_code.data(), unused);
    } else {
        const size_t tl = static_cast<size_t>(L - 1), ll = static_cast<size_t>(L);
        if (thresholds.size() == tl && levels.size() == ll)
            d_groups = 1;
        else if (n > 1 && thresholds.size() == tl * n && levels.size() == ll * n)
            d_groups = n;
        else
            bad("thresholds has " + std::to_string(thresholds.size()) + " and levels " +
                std::to_string(levels.size()) + " values (expected L-1 = " +
                std::to_string(tl) + " and L = " + std::to_string(ll) +
                " for one codebook, or N times that, " + std::to_string(tl * n) + " and " +
                std::to_string(ll * n) + ", for one per position; bits = " +
                std::to_string(bits) + ", n = " + std::to_string(n) + ")");
        for (size_t i = 0; i < thresholds.size(); ++i) {
            const size_t g = i / tl, j = i % tl;
            if (!std::isfinite(thresholds[i]))
                bad("thresholds[" + std::to_string(g) + "][" + std::to_string(j) +
                    "] = " + num(thresholds[i]) + " is not finite");
            if (j > 0 && !(thresholds[i - 1] < thresholds[i]))
                bad("thresholds[" + std::to_string(g) + "][" + std::to_string(j - 1) +
                    "] = " + num(thresholds[i - 1]) + " >= thresholds[" +
                    std::to_string(g) + "][" + std::to_string(j) + "] = " +
                    num(thresholds[i]) + " (expected strictly increasing per row)");
        }
        for (size_t i = 0; i < levels.size(); ++i)
            if (!std::isfinite(levels[i]))
                bad("levels[" + std::to_string(i / ll) + "][" + std::to_string(i % ll) +
                    "] = " + num(levels[i]) + " is not finite");
        d_thresh = thresholds;
        d_levels = levels;
        const int G = d_groups;
        d_zero_code.resize(G);
        for (int g = 0; g < G; ++g) {
            const float* t = d_thresh.data() + g * tl;
            d_zero_code[g] = static_cast<uint16_t>(std::upper_bound(t, t + tl, 0.0f) - t);
        }
        // The lookup grid: about 16 cells per code, 64..16384 cells per row.
        d_grid = std::min(std::max(16 * L, 64), 16384);
        const int M = d_grid;
        d_lo.resize(G);
        d_inv_w.resize(G);
        d_lut.resize(static_cast<size_t>(G) * (M + 1));
        for (int g = 0; g < G; ++g) {
            const float* t = d_thresh.data() + g * tl;
            const double lo = t[0], hi = t[tl - 1];
            d_lo[g] = t[0];
            // L = 2 has one threshold and never uses the grid; a huge M / (hi - lo)
            // is capped so that (x - lo) * inv_w is never 0 * Inf.
            const double inv = hi > lo ? M / (hi - lo) : 0.0;
            d_inv_w[g] = static_cast<float>(std::min(inv, static_cast<double>(FLT_MAX)));
            uint16_t* lut = d_lut.data() + static_cast<size_t>(g) * (M + 1);
            size_t k = 0;
            for (int i = 0; i <= M; ++i) {
                const double edge = lo + (hi - lo) * i / M;
                while (k < tl && static_cast<double>(t[k]) <= edge)
                    ++k;
                lut[i] = static_cast<uint16_t>(k);
            }
        }
    }
    const int64_t chunk = std::max<int64_t>(1, chunk_values / n);
    d_codes.resize(static_cast<size_t>(chunk * n));
}

void softbit_quant::encode_uniform(const float* in,
                                   int64_t values,
                                   uint16_t* codes,
                                   softbit_counts& counts) const
{
    const float c = d_clip, s = d_scale, top = static_cast<float>(d_L - 1);
    const uint16_t zc = d_zero_code.empty() ? 0 : d_zero_code[0];
    // Blocks of int32 counters keep the loop vectorisable.
    for (int64_t b = 0; b < values; b += chunk_values) {
        const int64_t e = std::min(values, b + chunk_values);
        int32_t nan = 0, out = 0;
        for (int64_t i = b; i < e; ++i) {
            const float x = in[i];
            float v = (x + c) * s;
            v = v > 0.0f ? v : 0.0f; // NaN -> 0, replaced below
            v = v < top ? v : top;
            const uint16_t code = static_cast<uint16_t>(static_cast<int32_t>(v));
            const bool is_nan = x != x;
            codes[i] = is_nan ? zc : code;
            nan += is_nan;
            out += std::fabs(x) > c;
        }
        counts.erased += static_cast<uint64_t>(nan);
        counts.clamped += static_cast<uint64_t>(out);
    }
}

void softbit_quant::encode_codebook(const float* in,
                                    int64_t count,
                                    uint16_t* codes,
                                    softbit_counts& counts) const
{
    const int n = d_n, L = d_L, M = d_grid;
    const size_t tl = static_cast<size_t>(L - 1);
    uint64_t nan = 0, inf = 0;
    for (int64_t v = 0; v < count; ++v) {
        for (int j = 0; j < n; ++j) {
            const int g = d_groups == 1 ? 0 : j;
            const float* t = d_thresh.data() + g * tl;
            const float x = in[v * n + j];
            uint16_t code;
            if (x != x) {
                code = d_zero_code[g];
                ++nan;
            } else if (!(x >= t[0])) {
                code = 0;
                inf += std::isinf(x);
            } else if (x >= t[tl - 1]) {
                code = static_cast<uint16_t>(L - 1);
                inf += std::isinf(x);
            } else {
                // t[0] <= x < t[L-2]: the grid cell's lower edge gives a first
                // code c (thresholds <= the edge); two branch-free steps move it
                // over the thresholds inside the cell (grids of about 16 cells
                // per code: rarely more than one). Where that is not enough, or
                // rounding put x in the cell above its own, the bracket check
                // fails and a binary search over the row decides: exact either way.
                const float f = (x - d_lo[g]) * d_inv_w[g];
                const int i = f < static_cast<float>(M) ? static_cast<int>(f) : M - 1;
                size_t c = d_lut[static_cast<size_t>(g) * (M + 1) + i];
                c += c < tl && t[c] <= x;
                c += c < tl && t[c] <= x;
                if ((c < tl && t[c] <= x) || (c > 0 && t[c - 1] > x))
                    c = static_cast<size_t>(std::upper_bound(t, t + tl, x) - t);
                code = static_cast<uint16_t>(c);
            }
            codes[v * n + j] = code;
        }
    }
    counts.erased += nan;
    counts.clamped += inf;
}

void softbit_quant::encode(const float* in,
                           int64_t count,
                           uint16_t* codes,
                           softbit_counts& counts)
{
    if (count <= 0)
        return;
    if (d_uniform)
        encode_uniform(in, count * d_n, codes, counts);
    else
        encode_codebook(in, count, codes, counts);
}

void softbit_quant::decode(const uint16_t* codes, int64_t count, float* out) const
{
    const int n = d_n, L = d_L;
    const float* lv = d_levels.data();
    if (d_groups == 1) {
        for (int64_t i = 0; i < count * n; ++i)
            out[i] = lv[codes[i]];
        return;
    }
    for (int64_t v = 0; v < count; ++v)
        for (int j = 0; j < n; ++j)
            out[v * n + j] = lv[static_cast<size_t>(j) * L + codes[v * n + j]];
}

void softbit_quant::quantize(const float* in,
                             int64_t count,
                             uint8_t* out,
                             softbit_counts& counts)
{
    const int64_t chunk = static_cast<int64_t>(d_codes.size()) / d_n;
    const pack_fn pk = bit_tables::pack[d_bits];
    for (int64_t v = 0; v < count; v += chunk) {
        const int64_t m = std::min(chunk, count - v);
        encode(in + v * d_n, m, d_codes.data(), counts);
        for (int64_t k = 0; k < m; ++k)
            pk(d_codes.data() + k * d_n, d_n, out + (v + k) * d_bytes);
    }
}

void softbit_quant::dequantize(const uint8_t* in, int64_t count, float* out)
{
    const int64_t chunk = static_cast<int64_t>(d_codes.size()) / d_n;
    const unpack_fn up = bit_tables::unpack[d_bits];
    for (int64_t v = 0; v < count; v += chunk) {
        const int64_t m = std::min(chunk, count - v);
        for (int64_t k = 0; k < m; ++k)
            up(in + (v + k) * d_bytes, d_n, d_codes.data() + k * d_n);
        decode(d_codes.data(), m, out + v * d_n);
    }
}

void softbit_quant::pack(const uint16_t* codes, int n, int bits, int64_t count, uint8_t* out)
{
    check_bits(bits);
    const int64_t bytes = (static_cast<int64_t>(n) * bits + 7) / 8;
    for (int64_t v = 0; v < count; ++v)
        bit_tables::pack[bits](codes + v * n, n, out + v * bytes);
}

void softbit_quant::unpack(const uint8_t* in, int n, int bits, int64_t count, uint16_t* codes)
{
    check_bits(bits);
    const int64_t bytes = (static_cast<int64_t>(n) * bits + 7) / 8;
    for (int64_t v = 0; v < count; ++v)
        bit_tables::unpack[bits](in + v * bytes, n, codes + v * n);
}

} // namespace neuralmimo
} // namespace gr
