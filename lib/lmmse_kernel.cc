/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/neuralmimo/lmmse_kernel.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace neuralmimo {

namespace {

constexpr double k_mu_floor = 1e-12; // same floor as the Python LMMSE detector
constexpr double k_nu_floor = 1e-10; // NOISE_VAR_FLOOR of the Python package
// Saturation of z: far outside every constellation (|s| < 1.2), keeps
// (a1 - a0)(2z - a0 - a1) / nu finite for nu >= 1e-10.
constexpr float k_z_limit = 1e18f;

} // namespace

const char* lmmse_kernel::describe(status s)
{
    switch (s) {
    case status::ok:
        return "ok";
    case status::no_channel:
        return "no channel set";
    case status::nonfinite_channel:
        return "H has a NaN or Inf entry";
    case status::bad_noise_var:
        return "noise_var <= 0 or not finite";
    case status::singular:
        return "H^H H + noise_var I is numerically singular (rank-deficient H with a "
               "tiny noise_var)";
    case status::nonfinite_y:
        return "y has a NaN or Inf entry";
    case status::overflow:
        return "the LMMSE estimate overflowed (inputs too large)";
    }
    return "unknown";
}

namespace {
// Validates the arguments before any member is built, so the messages name
// the parameter whatever the order of the members.
const std::string& checked_constellation(int nt, int nr, const std::string& constellation)
{
    if (nt < 1)
        throw std::invalid_argument("lmmse_kernel: nt = " + std::to_string(nt) +
                                    " must be >= 1");
    if (nr < 1)
        throw std::invalid_argument("lmmse_kernel: nr = " + std::to_string(nr) +
                                    " must be >= 1");
    if (!constellation_table::is_valid_name(constellation)) {
        std::string names;
        for (const auto& n : constellation_table::names())
            names += (names.empty() ? "" : ", ") + n;
        throw std::invalid_argument("lmmse_kernel: constellation '" + constellation +
                                    "' is not one of " + names);
    }
    return constellation;
}
} // namespace

lmmse_kernel::lmmse_kernel(int nt, int nr, const std::string& constellation)
    : d_nt(nt),
      d_nr(nr),
      d_const(checked_constellation(nt, nr, constellation)),
      d_k(d_const.bits_per_symbol())
{

    const size_t tt = static_cast<size_t>(nt) * nt;
    const size_t tr = static_cast<size_t>(nt) * nr;
    d_h.assign(tr, { 0.0f, 0.0f });
    d_l_re.assign(tt, 0.0);
    d_l_im.assign(tt, 0.0);
    d_li_re.assign(tt, 0.0);
    d_li_im.assign(tt, 0.0);
    d_m_re.assign(tr, 0.0);
    d_m_im.assign(tr, 0.0);
    d_w_re.assign(tr, 0.0f);
    d_w_im.assign(tr, 0.0f);
    d_inv_mu.assign(nt, 0.0f);
    d_inv_nu.assign(nt, 0.0f);
    d_mu.assign(nt, 0.0f);
    d_nu.assign(nt, 0.0f);
    d_xhat.assign(2 * static_cast<size_t>(nt), 0.0f);

    build_demapper();
}

/*
 * Split the square constellation into two Gray PAMs. For QAM the real part is
 * driven by the even label bits and the imaginary part by the odd bits
 * (38.211); BPSK has one real bit and a constant imaginary part. The
 * amplitudes are read from the constellation table, and the decomposition is
 * checked against every point, so the demapper cannot drift from the table.
 */
void lmmse_kernel::build_demapper()
{
    const int k = d_k;
    const bool bpsk = (k == 1);
    for (int d = 0; d < 2; ++d) {
        pam_dim& D = d_dim[d];
        D = pam_dim();
        D.nbits = bpsk ? (d == 0 ? 1 : 0) : k / 2;
        D.levels = 1 << D.nbits;
        for (int m = 0; m < D.nbits; ++m)
            D.pos[m] = bpsk ? 0 : 2 * m + d;
        if (D.nbits == 0)
            continue;

        // Amplitude of every group value g (the dimension's bits, MSB first),
        // read from the point whose other bits are 0.
        float amp_of_group[16];
        for (int g = 0; g < D.levels; ++g) {
            int idx = 0;
            for (int m = 0; m < D.nbits; ++m)
                if ((g >> (D.nbits - 1 - m)) & 1)
                    idx |= 1 << (k - 1 - D.pos[m]);
            const std::complex<float> s = d_const.points()[idx];
            amp_of_group[g] = (d == 0) ? s.real() : s.imag();
        }

        // Sort the levels by amplitude.
        int order[16];
        for (int g = 0; g < D.levels; ++g)
            order[g] = g;
        std::sort(order, order + D.levels, [&](int a, int b) {
            return amp_of_group[a] < amp_of_group[b];
        });
        for (int p = 0; p < D.levels; ++p) {
            D.amp[p] = amp_of_group[order[p]];
            for (int m = 0; m < D.nbits; ++m)
                D.bit[p][m] = static_cast<uint8_t>((order[p] >> (D.nbits - 1 - m)) & 1);
        }
        const float step = D.amp[1] - D.amp[0];
        for (int p = 1; p < D.levels; ++p)
            if (std::fabs((D.amp[p] - D.amp[p - 1]) - step) > 1e-5f * step)
                throw std::logic_error("lmmse_kernel: constellation '" + d_const.name() +
                                       "' is not a uniform PAM grid");
        D.a_min = D.amp[0];
        D.inv_step = 1.0f / step;

        for (int p = 0; p < D.levels; ++p) {
            for (int m = 0; m < D.nbits; ++m) {
                int lo = -1, hi = -1;
                for (int q = p - 1; q >= 0 && lo < 0; --q)
                    if (D.bit[q][m] != D.bit[p][m])
                        lo = q;
                for (int q = p + 1; q < D.levels && hi < 0; ++q)
                    if (D.bit[q][m] != D.bit[p][m])
                        hi = q;
                D.opp_lo[p][m] = static_cast<int8_t>(lo);
                D.opp_hi[p][m] = static_cast<int8_t>(hi);
            }
        }
    }

    // Self-check: every point is (real PAM level of its even bits) + j(imag level).
    for (int i = 0; i < d_const.order(); ++i) {
        float part[2] = { 0.0f, 0.0f };
        for (int d = 0; d < 2; ++d) {
            const pam_dim& D = d_dim[d];
            for (int p = 0; p < D.levels && D.nbits > 0; ++p) {
                bool match = true;
                for (int m = 0; m < D.nbits; ++m)
                    match = match && (D.bit[p][m] == d_const.bit(i, D.pos[m]));
                if (match)
                    part[d] = D.amp[p];
            }
        }
        if (part[0] != d_const.points()[i].real() || part[1] != d_const.points()[i].imag())
            throw std::logic_error("lmmse_kernel: constellation '" + d_const.name() +
                                   "' is not a separable Gray QAM");
    }
}

bool lmmse_kernel::set_channel(const std::complex<float>* H, float noise_var)
{
    const size_t bytes = d_h.size() * sizeof(std::complex<float>);
    uint32_t nv_bits;
    std::memcpy(&nv_bits, &noise_var, sizeof(nv_bits));
    if (d_have_cache && nv_bits == d_nv_bits && std::memcmp(H, d_h.data(), bytes) == 0) {
        d_last = d_chan_status;
        return d_chan_status == status::ok;
    }
    std::memcpy(d_h.data(), H, bytes);
    d_nv_bits = nv_bits;
    d_have_cache = true;
    d_chan_status = factorize(noise_var);
    d_last = d_chan_status;
    return d_chan_status == status::ok;
}

/*
 * A = H^H H + s2 I = L L^H (Cholesky, double), then with Li = L^-1:
 *   G = Li^H Li,  G_tt = sum_{i>=t} |Li_it|^2,  W = G H^H = Li^H (Li H^H).
 * Cost O(Nt^2 Nr + Nt^3), paid only when H or noise_var change.
 */
lmmse_kernel::status lmmse_kernel::factorize(float noise_var)
{
    ++d_factorizations;
    if (!(noise_var > 0.0f) || !std::isfinite(noise_var))
        return status::bad_noise_var;
    const int nt = d_nt, nr = d_nr;
    const float* hf = reinterpret_cast<const float*>(d_h.data()); // interleaved re/im
    for (size_t i = 0; i < 2 * d_h.size(); ++i)
        if (!std::isfinite(hf[i]))
            return status::nonfinite_channel;
    const double s2 = noise_var;

    double* lr = d_l_re.data();
    double* li = d_l_im.data();
    // Lower triangle of A: A_ij = sum_r conj(H_ri) H_rj, i >= j.
    for (int i = 0; i < nt; ++i) {
        for (int j = 0; j <= i; ++j) {
            double ar = 0.0, ai = 0.0;
            for (int r = 0; r < nr; ++r) {
                const double hir = hf[2 * (r * nt + i)], hii = hf[2 * (r * nt + i) + 1];
                const double hjr = hf[2 * (r * nt + j)], hji = hf[2 * (r * nt + j) + 1];
                ar += hir * hjr + hii * hji;
                ai += hir * hji - hii * hjr;
            }
            lr[i * nt + j] = ar + (i == j ? s2 : 0.0);
            li[i * nt + j] = (i == j) ? 0.0 : ai;
        }
    }

    // In-place Cholesky, lower: L_jj = sqrt(A_jj - sum_k |L_jk|^2),
    // L_ij = (A_ij - sum_k L_ik conj(L_jk)) / L_jj.
    for (int j = 0; j < nt; ++j) {
        double d = lr[j * nt + j];
        for (int k = 0; k < j; ++k)
            d -= lr[j * nt + k] * lr[j * nt + k] + li[j * nt + k] * li[j * nt + k];
        // Every pivot of A is >= s2 > 0 in exact arithmetic; <= 0 (or NaN)
        // only happens when s2 is lost in rounding next to a singular H^H H.
        if (!(d > 0.0) || !std::isfinite(d))
            return status::singular;
        const double ljj = std::sqrt(d);
        lr[j * nt + j] = ljj;
        li[j * nt + j] = 0.0;
        const double inv = 1.0 / ljj;
        for (int i = j + 1; i < nt; ++i) {
            double sr = lr[i * nt + j], si = li[i * nt + j];
            for (int k = 0; k < j; ++k) {
                // L_ik * conj(L_jk)
                const double ar = lr[i * nt + k], ai = li[i * nt + k];
                const double br = lr[j * nt + k], bi = li[j * nt + k];
                sr -= ar * br + ai * bi;
                si -= ai * br - ar * bi;
            }
            lr[i * nt + j] = sr * inv;
            li[i * nt + j] = si * inv;
        }
    }

    // Li = L^-1 (lower): Li_ii = 1/L_ii, Li_ij = -(sum_{k=j}^{i-1} L_ik Li_kj) / L_ii.
    double* ir = d_li_re.data();
    double* ii = d_li_im.data();
    std::fill(d_li_re.begin(), d_li_re.end(), 0.0);
    std::fill(d_li_im.begin(), d_li_im.end(), 0.0);
    for (int j = 0; j < nt; ++j) {
        ir[j * nt + j] = 1.0 / lr[j * nt + j];
        for (int i = j + 1; i < nt; ++i) {
            double sr = 0.0, si = 0.0;
            for (int k = j; k < i; ++k) {
                const double ar = lr[i * nt + k], ai = li[i * nt + k];
                const double br = ir[k * nt + j], bi = ii[k * nt + j];
                sr += ar * br - ai * bi;
                si += ar * bi + ai * br;
            }
            const double inv = 1.0 / lr[i * nt + i];
            ir[i * nt + j] = -sr * inv;
            ii[i * nt + j] = -si * inv;
        }
    }

    // M = Li H^H: M_ir = sum_{k<=i} Li_ik conj(H_rk).
    for (int i = 0; i < nt; ++i) {
        for (int r = 0; r < nr; ++r) {
            double sr = 0.0, si = 0.0;
            for (int k = 0; k <= i; ++k) {
                const double ar = ir[i * nt + k], ai = ii[i * nt + k];
                const double hr = hf[2 * (r * nt + k)], hi = -hf[2 * (r * nt + k) + 1];
                sr += ar * hr - ai * hi;
                si += ar * hi + ai * hr;
            }
            d_m_re[i * nr + r] = sr;
            d_m_im[i * nr + r] = si;
        }
    }

    // W_tr = sum_{i>=t} conj(Li_it) M_ir, and mu_t, nu_t from G_tt.
    for (int t = 0; t < nt; ++t) {
        double gtt = 0.0;
        for (int i = t; i < nt; ++i)
            gtt += ir[i * nt + t] * ir[i * nt + t] + ii[i * nt + t] * ii[i * nt + t];
        for (int r = 0; r < nr; ++r) {
            double sr = 0.0, si = 0.0;
            for (int i = t; i < nt; ++i) {
                const double ar = ir[i * nt + t], ai = -ii[i * nt + t];
                const double br = d_m_re[i * nr + r], bi = d_m_im[i * nr + r];
                sr += ar * br - ai * bi;
                si += ar * bi + ai * br;
            }
            const float wr = static_cast<float>(sr), wi = static_cast<float>(si);
            if (!std::isfinite(wr) || !std::isfinite(wi))
                return status::singular;
            d_w_re[t * nr + r] = wr;
            d_w_im[t * nr + r] = wi;
        }
        // mu = 1 - s2 G_tt in double: it cancels badly in float at low SNR.
        double mu = 1.0 - s2 * gtt;
        if (!(mu >= k_mu_floor))
            mu = k_mu_floor;
        double nu = s2 * gtt / mu;
        if (!(nu >= k_nu_floor))
            nu = k_nu_floor;
        d_mu[t] = static_cast<float>(mu);
        d_nu[t] = static_cast<float>(nu);
        d_inv_mu[t] = static_cast<float>(1.0 / mu);
        d_inv_nu[t] = static_cast<float>(1.0 / nu); // may round to 0 for a dead stream
    }
    return status::ok;
}

void lmmse_kernel::erase(std::complex<float>* estimate,
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

/*
 * Max-log demapping of one real dimension v of z_t. The nearest level p is
 * found by rounding on the uniform grid; for bit m the nearest level carrying
 * the same bit is p itself, and the nearest one carrying the other bit is the
 * closer of opp_lo / opp_hi (the levels left and right of v). With a0, a1 the
 * nearest levels with bit 0 and 1:
 *   (v - a0)^2 - (v - a1)^2 = (a1 - a0)(2v - a0 - a1),
 * which has no cancellation of large squares.
 */
inline void lmmse_kernel::demap_dim(const pam_dim& D,
                                    float v,
                                    float inv_nu,
                                    float* llr_t,
                                    uint8_t* bits_t,
                                    float* hard) const
{
    if (D.nbits == 0) {
        if (hard)
            *hard = 0.0f;
        return;
    }
    float tp = (v - D.a_min) * D.inv_step;
    tp = std::min(std::max(tp, 0.0f), static_cast<float>(D.levels - 1));
    const int p = static_cast<int>(tp + 0.5f);
    if (hard)
        *hard = D.amp[p];
    if (bits_t)
        for (int m = 0; m < D.nbits; ++m)
            bits_t[D.pos[m]] = D.bit[p][m];
    if (!llr_t)
        return;
    const float same = D.amp[p];
    for (int m = 0; m < D.nbits; ++m) {
        const int lo = D.opp_lo[p][m], hi = D.opp_hi[p][m];
        float other;
        if (lo < 0)
            other = D.amp[hi];
        else if (hi < 0)
            other = D.amp[lo];
        else
            other = (std::fabs(v - D.amp[lo]) <= std::fabs(v - D.amp[hi])) ? D.amp[lo]
                                                                            : D.amp[hi];
        const bool one = D.bit[p][m] != 0;
        const float a1 = one ? same : other;
        const float a0 = one ? other : same;
        llr_t[D.pos[m]] = (a1 - a0) * (2.0f * v - a0 - a1) * inv_nu;
    }
}

bool lmmse_kernel::detect(const std::complex<float>* y,
                          std::complex<float>* estimate,
                          std::complex<float>* symbols,
                          float* llr,
                          uint8_t* bits)
{
    if (d_chan_status != status::ok) {
        erase(estimate, symbols, llr, bits);
        d_last = d_chan_status;
        return false;
    }
    const int nt = d_nt, nr = d_nr, k = d_k;
    const float* yf = reinterpret_cast<const float*>(y);
    float* xh = d_xhat.data();

    // xhat = W y. A NaN/Inf in y always reaches xhat (0 * Inf is NaN), so
    // one finiteness check on xhat covers y as well.
    bool finite = true;
    for (int t = 0; t < nt; ++t) {
        const float* wr = d_w_re.data() + static_cast<size_t>(t) * nr;
        const float* wi = d_w_im.data() + static_cast<size_t>(t) * nr;
        float ar = 0.0f, ai = 0.0f;
        for (int r = 0; r < nr; ++r) {
            const float yr = yf[2 * r], yi = yf[2 * r + 1];
            ar += wr[r] * yr - wi[r] * yi;
            ai += wr[r] * yi + wi[r] * yr;
        }
        xh[2 * t] = ar;
        xh[2 * t + 1] = ai;
        finite = finite && std::isfinite(ar) && std::isfinite(ai);
    }
    if (!finite) {
        erase(estimate, symbols, llr, bits);
        d_last = status::overflow;
        for (int i = 0; i < 2 * nr; ++i)
            if (!std::isfinite(yf[i]))
                d_last = status::nonfinite_y;
        return false;
    }

    if (estimate)
        std::memcpy(reinterpret_cast<float*>(estimate), xh, sizeof(float) * 2 * nt);
    if (symbols || llr || bits) {
        for (int t = 0; t < nt; ++t) {
            const float im = d_inv_mu[t];
            const float zr = std::min(std::max(xh[2 * t] * im, -k_z_limit), k_z_limit);
            const float zi = std::min(std::max(xh[2 * t + 1] * im, -k_z_limit), k_z_limit);
            float* llr_t = llr ? llr + static_cast<size_t>(t) * k : nullptr;
            uint8_t* bits_t = bits ? bits + static_cast<size_t>(t) * k : nullptr;
            float hard[2];
            demap_dim(d_dim[0], zr, d_inv_nu[t], llr_t, bits_t, &hard[0]);
            demap_dim(d_dim[1], zi, d_inv_nu[t], llr_t, bits_t, &hard[1]);
            if (symbols)
                symbols[t] = std::complex<float>(hard[0], hard[1]);
        }
    }
    d_last = status::ok;
    return true;
}

} // namespace neuralmimo
} // namespace gr
