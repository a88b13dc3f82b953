/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/constellation_table.h>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

struct named_k {
    const char* name;
    int k;
};
constexpr named_k k_table[] = {
    { "bpsk", 1 }, { "qpsk", 2 }, { "qam16", 4 }, { "qam64", 6 }, { "qam256", 8 }
};

/*
 * 38.211 nested Gray PAM amplitude of the label bits b[0..m-1] (MSB first):
 *   m=1: (1-2b0); m=2: (1-2b0)[2-(1-2b1)]; m=3: (1-2b0)[4-(1-2b1)[2-(1-2b2)]] ...
 * Result in {+-1, +-3, ..., +-(2^m - 1)}, an integer.
 */
int pam_amplitude(const int* b, int m)
{
    int inner = 1 - 2 * b[m - 1];
    for (int j = m - 2; j >= 0; --j)
        inner = (1 - 2 * b[j]) * ((1 << (m - 1 - j)) - inner);
    return inner;
}

std::string joined_names()
{
    std::string s;
    for (const auto& e : k_table) {
        if (!s.empty())
            s += ", ";
        s += e.name;
    }
    return s;
}

} // namespace

const std::vector<std::string>& constellation_table::names()
{
    static const std::vector<std::string> n = [] {
        std::vector<std::string> v;
        for (const auto& e : k_table)
            v.emplace_back(e.name);
        return v;
    }();
    return n;
}

bool constellation_table::is_valid_name(const std::string& name)
{
    for (const auto& e : k_table)
        if (name == e.name)
            return true;
    return false;
}

const std::string& constellation_table::checked_name(const std::string& who,
                                                     const std::string& name)
{
    if (!is_valid_name(name))
        throw std::invalid_argument(who + ": constellation '" + name + "' is not one of " +
                                    joined_names());
    return name;
}

int constellation_table::bits_per_symbol(const std::string& name)
{
    for (const auto& e : k_table)
        if (name == e.name)
            return e.k;
    throw std::invalid_argument("constellation '" + name + "' is not one of " +
                                joined_names());
}

constellation_table::constellation_table(const std::string& name)
    : d_name(name), d_k(bits_per_symbol(name))
{
    const int m_count = 1 << d_k;
    d_points.resize(m_count);
    d_bits.resize(static_cast<size_t>(m_count) * d_k);

    int b[8];
    for (int i = 0; i < m_count; ++i) {
        for (int k = 0; k < d_k; ++k) {
            b[k] = (i >> (d_k - 1 - k)) & 1;
            d_bits[static_cast<size_t>(i) * d_k + k] = static_cast<uint8_t>(b[k]);
        }
    }

    if (d_k == 1) {
        // Real BPSK, already unit energy.
        for (int i = 0; i < m_count; ++i)
            d_points[i] = { static_cast<float>(1 - 2 * d_bits[i]), 0.0f };
        return;
    }

    // Square QAM: even bits drive the real part, odd bits the imaginary part.
    // The mean energy of the integer grid is exactly 2(M-1)/3 (2, 10, 42, 170);
    // the division is done in double and rounded once to float.
    const int half = d_k / 2;
    const double rms = std::sqrt(2.0 * (m_count - 1) / 3.0);
    int be[4], bo[4];
    for (int i = 0; i < m_count; ++i) {
        for (int j = 0; j < half; ++j) {
            be[j] = d_bits[static_cast<size_t>(i) * d_k + 2 * j];
            bo[j] = d_bits[static_cast<size_t>(i) * d_k + 2 * j + 1];
        }
        const double re = pam_amplitude(be, half);
        const double im = pam_amplitude(bo, half);
        d_points[i] = { static_cast<float>(re / rms), static_cast<float>(im / rms) };
    }
}

} // namespace neuralmimo
} // namespace gr
