/* -*- c++ -*- */
/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_NEURALMIMO_SOFTBIT_QUANT_H
#define INCLUDED_NEURALMIMO_SOFTBIT_QUANT_H

#include <gnuradio/neuralmimo/api.h>
#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace neuralmimo {

//! What a quantise call met: NaN inputs (erased) and clamped ones.
struct softbit_counts {
    uint64_t erased = 0;  //!< NaN inputs, coded as the cell of 0.0
    uint64_t clamped = 0; //!< +-Inf; uniform mode also finite |x| > clip
};

/*!
 * \brief Scalar quantiser and dequantiser of soft values (LLRs, soft bits,
 *        latents) to packed codes, and back (no GNU Radio types).
 *
 * The definition is python/neuralmimo/phy/quantizer.py (ScalarQuantizer,
 * pack, unpack); this kernel gives the same codes and bytes bit for bit.
 * Vectors of N floats; bits in 1..16, L = 2^bits cells per codebook row;
 * G = 1 row for every position, or G = N rows (position j uses row j).
 *
 * Modes:
 *  - "uniform": L equal cells over [-clip, clip], clip in [1e-20, 1e20]:
 *      scale = float(L / (2 clip))               (double quotient, rounded once)
 *      code  = clamp(floor(float(float(x + clip) * scale)), 0, L - 1)
 *      level_k = float(clip (2k + 1 - L) / L)     (exact in double)
 *    thresholds and levels must be empty (they are derived).
 *  - "codebook": thresholds float[G * (L-1)] strictly increasing per row,
 *    levels float[G * L] (row-major, G = 1 or N); code = number of
 *    thresholds <= x (numpy's searchsorted(t, x, side="right")). Evaluated
 *    with a lookup table over a uniform grid between the outer thresholds
 *    whose cell gives a first guess of the code, then comparisons against
 *    the thresholds
 *    themselves (a binary search where they disagree), so the result is
 *    exact whatever the rounding of the grid.
 *
 * Non-finite inputs never fail: NaN -> the code of the cell holding 0.0
 * (an erasure: 0 carries no information), counted as erased; +-Inf and
 * values beyond the outer thresholds -> code 0 or L-1, +-Inf counted as
 * clamped (uniform mode: every finite |x| > clip too).
 *
 * Wire format: per vector the N codes, each `bits` wide, most significant
 * bit first, concatenated and zero-padded to bytes_per_vector() =
 * ceil(N bits / 8) bytes. Every code of bits-wide packing is < L, so
 * dequantise has no invalid input.
 *
 * Not thread-safe (scratch buffers): one instance per thread.
 */
class NEURALMIMO_API softbit_quant
{
public:
    /*!
     * \param n vector length N, >= 1
     * \param bits bits per code, 1..16
     * \param mode "uniform" or "codebook"
     * \param clip uniform mode: half-width of the range, in [1e-20, 1e20]
     *        (ignored in codebook mode)
     * \param thresholds codebook: float[G * (L-1)]; uniform: empty
     * \param levels codebook: float[G * L]; uniform: empty
     * \throws std::invalid_argument naming the parameter and the values
     */
    softbit_quant(int n,
                  int bits,
                  const std::string& mode,
                  float clip,
                  const std::vector<float>& thresholds,
                  const std::vector<float>& levels);

    int n() const { return d_n; }
    int bits() const { return d_bits; }
    int n_levels() const { return d_L; }
    int n_groups() const { return d_groups; }
    bool uniform() const { return d_uniform; }
    float clip() const { return d_clip; }
    //! ceil(N * bits / 8): the packed size of one vector.
    int bytes_per_vector() const { return d_bytes; }
    //! float[G * L], row-major: the level of each code (uniform: derived).
    const std::vector<float>& levels() const { return d_levels; }
    //! Codebook mode: float[G * (L-1)]; uniform mode: empty.
    const std::vector<float>& thresholds() const { return d_thresh; }

    /*!
     * Codes of count vectors: in float[count * N] -> codes uint16[count * N].
     * Adds the NaN and clamped inputs to \p counts.
     */
    void encode(const float* in, int64_t count, uint16_t* codes, softbit_counts& counts);

    //! codes uint16[count * N], each < L -> out float[count * N] levels.
    void decode(const uint16_t* codes, int64_t count, float* out) const;

    /*!
     * in float[count * N] -> out uint8[count * bytes_per_vector()], the
     * wire format. Adds the NaN and clamped inputs to \p counts.
     */
    void quantize(const float* in, int64_t count, uint8_t* out, softbit_counts& counts);

    //! in uint8[count * bytes_per_vector()] -> out float[count * N] levels.
    void dequantize(const uint8_t* in, int64_t count, float* out);

    //! codes uint16[count * n] (each < 2^bits) -> out uint8[count * ceil(n bits / 8)].
    static void pack(const uint16_t* codes, int n, int bits, int64_t count, uint8_t* out);
    //! in uint8[count * ceil(n bits / 8)] -> codes uint16[count * n].
    static void unpack(const uint8_t* in, int n, int bits, int64_t count, uint16_t* codes);

private:
    void encode_uniform(const float* in, int64_t values, uint16_t* codes, softbit_counts& c) const;
    void encode_codebook(const float* in, int64_t count, uint16_t* codes, softbit_counts& c) const;

    int d_n, d_bits, d_L, d_groups, d_bytes;
    bool d_uniform;
    float d_clip, d_scale;
    std::vector<float> d_thresh, d_levels;
    std::vector<uint16_t> d_zero_code; // [G] the erasure code of each row
    // Codebook lookup: per row, lut[g * (M + 1) + i] = number of thresholds
    // <= the grid's edge i (lo + i * (hi - lo) / M), the first guess of the code.
    int d_grid;                      // M
    std::vector<float> d_lo, d_inv_w; // [G] lo and M / (hi - lo)
    std::vector<uint16_t> d_lut;
    std::vector<uint16_t> d_codes;   // scratch of a chunk of vectors
};

} // namespace neuralmimo
} // namespace gr

#endif /* INCLUDED_NEURALMIMO_SOFTBIT_QUANT_H */
