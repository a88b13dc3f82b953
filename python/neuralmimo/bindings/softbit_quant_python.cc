/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/***********************************************************************************/
/* This file is written by hand (no pygccxml). GrPybind compares the hash below   */
/* with the md5sum of the header and stops the build when they differ: update it  */
/* together with the bindings whenever the header changes.                        */
/* BINDTOOL_GEN_AUTOMATIC(0)                                                       */
/* BINDTOOL_USE_PYGCCXML(0)                                                        */
/* BINDTOOL_HEADER_FILE(softbit_quant.h)                                           */
/* BINDTOOL_HEADER_FILE_HASH(c79e269693c7201e28fc0ef6f7d364fa)                     */
/***********************************************************************************/

/*
 * The soft-bit quantiser kernel, bound by hand with numpy in and out (for the
 * comparison with neuralmimo.phy.quantizer and the benchmark). The Python
 * object holds the kernel and the counts of its last encode/quantize call.
 */

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace py = pybind11;

#include <gnuradio/neuralmimo/softbit_quant.h>

namespace {

using kernel = gr::neuralmimo::softbit_quant;

struct py_softbit {
    kernel k;
    gr::neuralmimo::softbit_counts last;
    py_softbit(int n,
               int bits,
               const std::string& mode,
               float clip,
               const std::vector<float>& t,
               const std::vector<float>& l)
        : k(n, bits, mode, clip, t, l)
    {
    }
};

// a as C-contiguous T[count, width] after checking dtype and shape (ValueError
// naming the argument otherwise).
template <typename T>
py::array_t<T, py::array::c_style>
checked(const py::array& a, const char* fn, const char* name, const char* dtype, py::ssize_t width)
{
    const std::string want = std::string(dtype) + "[count, " + std::to_string(width) + "]";
    if (!py::isinstance<py::array_t<T>>(a))
        throw py::value_error(std::string("softbit_quant.") + fn + ": " + name + " must be " +
                              want + ", got dtype " + py::str(a.dtype()).cast<std::string>());
    if (a.ndim() != 2 || a.shape(1) != width) {
        std::string shape = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i)
            shape += std::to_string(a.shape(i)) + (i + 1 < a.ndim() ? ", " : "");
        throw py::value_error(std::string("softbit_quant.") + fn + ": " + name + " must be " +
                              want + ", got shape " + shape + ")");
    }
    return py::array_t<T, py::array::c_style>::ensure(a);
}

} // namespace

void bind_softbit_quant(py::module& m)
{
    py::class_<py_softbit>(
        m,
        "softbit_quant",
        "The soft-bit quantiser kernel in C++ (include/gnuradio/neuralmimo/softbit_quant.h; "
        "the definition is neuralmimo.phy.quantizer). softbit_quant(n, bits, mode, clip, "
        "thresholds, levels): mode 'uniform' (clip in [1e-20, 1e20], thresholds and levels "
        "empty) or 'codebook' (thresholds float[G*(L-1)], levels float[G*L], G = 1 or n). "
        "Not thread-safe: one instance per thread.")

        // std::invalid_argument from the constructor reaches Python as ValueError.
        .def(py::init<int, int, const std::string&, float, const std::vector<float>&,
                      const std::vector<float>&>(),
             py::arg("n"),
             py::arg("bits"),
             py::arg("mode"),
             py::arg("clip") = 1.0f,
             py::arg("thresholds") = std::vector<float>(),
             py::arg("levels") = std::vector<float>())

        .def(
            "encode",
            [](py_softbit& s, const py::array& x_in) {
                const auto x = checked<float>(x_in, "encode", "x", "float32", s.k.n());
                const py::ssize_t count = x.shape(0);
                py::array_t<uint16_t> codes({ count, static_cast<py::ssize_t>(s.k.n()) });
                uint16_t* out = codes.mutable_data();
                s.last = {};
                {
                    py::gil_scoped_release release;
                    s.k.encode(x.data(), count, out, s.last);
                }
                return codes;
            },
            py::arg("x"),
            "x float32[count, n] -> codes uint16[count, n]; erased and clamped count this call.")

        .def(
            "quantize",
            [](py_softbit& s, const py::array& x_in) {
                const auto x = checked<float>(x_in, "quantize", "x", "float32", s.k.n());
                const py::ssize_t count = x.shape(0);
                py::array_t<uint8_t> bytes(
                    { count, static_cast<py::ssize_t>(s.k.bytes_per_vector()) });
                uint8_t* out = bytes.mutable_data();
                s.last = {};
                {
                    py::gil_scoped_release release;
                    s.k.quantize(x.data(), count, out, s.last);
                }
                return bytes;
            },
            py::arg("x"),
            "x float32[count, n] -> uint8[count, ceil(n*bits/8)] (the wire format); erased "
            "and clamped count this call. The GIL is released meanwhile.")

        .def(
            "dequantize",
            [](py_softbit& s, const py::array& b_in) {
                const auto b =
                    checked<uint8_t>(b_in, "dequantize", "data", "uint8", s.k.bytes_per_vector());
                const py::ssize_t count = b.shape(0);
                py::array_t<float> out({ count, static_cast<py::ssize_t>(s.k.n()) });
                float* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    s.k.dequantize(b.data(), count, o);
                }
                return out;
            },
            py::arg("data"),
            "data uint8[count, ceil(n*bits/8)] -> levels float32[count, n]. The GIL is "
            "released meanwhile.")

        .def(
            "decode",
            [](py_softbit& s, const py::array& c_in) {
                const auto c = checked<uint16_t>(c_in, "decode", "codes", "uint16", s.k.n());
                const py::ssize_t count = c.shape(0);
                const uint16_t* p = c.data();
                for (py::ssize_t i = 0; i < count * s.k.n(); ++i)
                    if (p[i] >= s.k.n_levels())
                        throw py::value_error("softbit_quant.decode: codes must lie in [0, L = " +
                                              std::to_string(s.k.n_levels()) + "), got " +
                                              std::to_string(p[i]));
                py::array_t<float> out({ count, static_cast<py::ssize_t>(s.k.n()) });
                s.k.decode(p, count, out.mutable_data());
                return out;
            },
            py::arg("codes"),
            "codes uint16[count, n], each < L -> levels float32[count, n].")

        .def_property_readonly(
            "erased",
            [](const py_softbit& s) { return s.last.erased; },
            "NaN inputs of the last encode/quantize call")
        .def_property_readonly(
            "clamped",
            [](const py_softbit& s) { return s.last.clamped; },
            "clamped inputs of the last encode/quantize call")
        .def_property_readonly("n", [](const py_softbit& s) { return s.k.n(); })
        .def_property_readonly("bits", [](const py_softbit& s) { return s.k.bits(); })
        .def_property_readonly("n_groups", [](const py_softbit& s) { return s.k.n_groups(); })
        .def_property_readonly("bytes_per_vector",
                               [](const py_softbit& s) { return s.k.bytes_per_vector(); })
        .def_property_readonly(
            "levels",
            [](const py_softbit& s) {
                const auto& l = s.k.levels();
                return py::array_t<float>(static_cast<py::ssize_t>(l.size()), l.data());
            },
            "float32[G*L], the level of each code, row-major");
}
