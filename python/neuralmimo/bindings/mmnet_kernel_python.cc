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
/* BINDTOOL_HEADER_FILE(mmnet_kernel.h)                                            */
/* BINDTOOL_HEADER_FILE_HASH(0d453552f04a025f7fa3699252aec0dd)                     */
/***********************************************************************************/

/*
 * The MMNet kernel (the per-observation half of HyperMIMO) is plain C++, bound
 * here by hand with numpy in and out. The Python object holds the kernel and
 * the erasures of its last detect() call.
 */

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace py = pybind11;

#include <gnuradio/neuralmimo/mmnet_kernel.h>

namespace {

using cf = std::complex<float>;
using kernel = gr::neuralmimo::mmnet_kernel;

// The kernel and the outcome of its last detect().
struct py_mmnet {
    kernel k;
    gr::neuralmimo::item_failures last;
    py_mmnet(int nu, int nr, int layers, const std::string& constellation)
        : k(nu, nr, layers, constellation)
    {
    }
};

std::string shape_str(const std::vector<py::ssize_t>& s)
{
    std::string out = "(";
    for (size_t i = 0; i < s.size(); ++i)
        out += std::to_string(s[i]) + (s.size() == 1 || i + 1 < s.size() ? "," : "");
    return out + ")";
}

std::string shape_str(const py::array& a)
{
    return shape_str(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
}

/*
 * \p a as a C-contiguous array of T (a copy only when \p a is not
 * contiguous) after checking its dtype and shape; -1 in \p want is any
 * length (the checked length is returned through \p got). Raises ValueError
 * naming the argument, the expected and the actual dtype or shape.
 */
template <typename T>
py::array_t<T, py::array::c_style> checked(const py::array& a,
                                           const char* name,
                                           const char* dtype,
                                           const std::vector<py::ssize_t>& want,
                                           const std::string& want_text)
{
    if (!py::isinstance<py::array_t<T>>(a))
        throw py::value_error(std::string("mmnet_kernel.detect: ") + name + " must be " +
                              dtype + want_text + ", got dtype " +
                              py::str(a.dtype()).cast<std::string>());
    bool ok = a.ndim() == static_cast<py::ssize_t>(want.size());
    for (size_t i = 0; ok && i < want.size(); ++i)
        ok = want[i] < 0 || a.shape(i) == want[i];
    if (!ok)
        throw py::value_error(std::string("mmnet_kernel.detect: ") + name +
                              " must have shape " + want_text + ", got " + shape_str(a));
    return py::array_t<T, py::array::c_style>::ensure(a);
}

// chan: any integer dtype, converted to int32 (values checked by the kernel).
py::array_t<int32_t, py::array::c_style> checked_chan(const py::array& a, py::ssize_t n)
{
    const char kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u')
        throw py::value_error("mmnet_kernel.detect: chan must be int32[n=" +
                              std::to_string(n) + "], got dtype " +
                              py::str(a.dtype()).cast<std::string>());
    if (a.ndim() != 1 || a.shape(0) != n)
        throw py::value_error("mmnet_kernel.detect: chan must have shape [n=" +
                              std::to_string(n) + "], got " + shape_str(a));
    if (py::isinstance<py::array_t<int32_t>>(a))
        return py::array_t<int32_t, py::array::c_style>::ensure(a);
    // Wider integers: range-checked here so that the cast cannot wrap.
    const auto wide = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!wide)
        throw py::value_error("mmnet_kernel.detect: chan is not convertible to int32");
    py::array_t<int32_t> out(n);
    int32_t* o = out.mutable_data();
    const int64_t* w = wide.data();
    for (py::ssize_t i = 0; i < n; ++i) {
        if (w[i] < INT32_MIN || w[i] > INT32_MAX)
            throw py::value_error("mmnet_kernel: item " + std::to_string(i) + ": channel " +
                                  std::to_string(w[i]) + " is out of range");
        o[i] = static_cast<int32_t>(w[i]);
    }
    return out;
}

py::tuple detect(py_mmnet& self,
                 const py::array& y_in,
                 const py::array& chan_in,
                 const py::array& q_in,
                 const py::array& r_in,
                 const py::array& theta_in,
                 const py::array& gain_in,
                 const py::array& floor_in,
                 const py::array& res_in)
{
    const kernel& k = self.k;
    const py::ssize_t nu = k.nu(), nr = k.nr(), tl = k.layers(), kb = k.bits_per_symbol();
    const std::string snu = std::to_string(nu), snr = std::to_string(nr),
                      stl = std::to_string(tl);
    const auto y = checked<cf>(y_in, "y", "complex64", { -1, nr }, "[n, Nr=" + snr + "]");
    const py::ssize_t n = y.shape(0);
    const auto chan = checked_chan(chan_in, n);
    const auto q = checked<cf>(q_in, "q", "complex64", { -1, nr, nu },
                               "[C, Nr=" + snr + ", Nu=" + snu + "]");
    const py::ssize_t c = q.shape(0);
    const std::string sc = std::to_string(c);
    const auto r = checked<cf>(
        r_in, "r", "complex64", { c, nu, nu }, "[C=" + sc + ", Nu=" + snu + ", Nu=" + snu + "]");
    const auto theta = checked<cf>(theta_in, "theta", "complex64", { c, tl, nu, nu },
                                   "[C=" + sc + ", T=" + stl + ", Nu=" + snu + ", Nu=" + snu +
                                       "]");
    const std::string ctn = "[C=" + sc + ", T=" + stl + ", Nu=" + snu + "]";
    const auto gain = checked<float>(gain_in, "tau_gain", "float32", { c, tl, nu }, ctn);
    const auto floor_ = checked<float>(floor_in, "tau_floor", "float32", { c, tl, nu }, ctn);
    const auto res = checked<float>(res_in, "res_floor", "float32", { c }, "[C=" + sc + "]");
    if (n > INT32_MAX || c > INT32_MAX)
        throw py::value_error("mmnet_kernel.detect: more than 2^31 - 1 items or channels");

    py::array_t<cf> est({ n, nu });
    py::array_t<float> llr({ n, nu, kb });
    cf* pe = est.mutable_data();
    float* pl = llr.mutable_data();
    {
        // The kernel touches no Python object (std::invalid_argument from it
        // is rethrown, as ValueError, once the GIL is back).
        py::gil_scoped_release release;
        self.last = self.k.detect(y.data(), chan.data(), static_cast<int>(n), q.data(),
                                  r.data(), theta.data(), gain.data(), floor_.data(),
                                  res.data(), static_cast<int>(c), pe, pl);
    }
    return py::make_tuple(est, llr);
}

} // namespace

void bind_mmnet_kernel(py::module& m)
{
    py::class_<py_mmnet>(m,
                         "mmnet_kernel",
                         "The per-observation half of HyperMIMO's MMNet detector in C++ "
                         "(include/gnuradio/neuralmimo/mmnet_kernel.h has the math): T "
                         "layers from a per-channel state, exact LLRs of the last layer "
                         "(ln P(b=1)/P(b=0), clipped to +-100). mmnet_kernel(nu, nr, "
                         "layers, constellation). Not thread-safe: one instance per thread.")

        // std::invalid_argument from the constructor reaches Python as ValueError.
        .def(py::init<int, int, int, const std::string&>(),
             py::arg("nu"),
             py::arg("nr"),
             py::arg("layers"),
             py::arg("constellation"))

        .def("detect",
             &detect,
             py::arg("y"),
             py::arg("chan"),
             py::arg("q"),
             py::arg("r"),
             py::arg("theta"),
             py::arg("tau_gain"),
             py::arg("tau_floor"),
             py::arg("res_floor"),
             "y complex64[n, Nr], chan int[n] (channel of each item, in [0, C)), q "
             "complex64[C, Nr, Nu], r complex64[C, Nu, Nu], theta complex64[C, T, Nu, Nu], "
             "tau_gain, tau_floor float32[C, T, Nu], res_floor float32[C] -> (estimate "
             "complex64[n, Nu], llr float32[n, Nu, K]). An item with a NaN/Inf in y or in "
             "its channel's state, or whose arithmetic overflows, is erased (all 0): see "
             "erased. Up to 8 consecutive items of one channel run side by side (pass the "
             "items of a channel consecutively), each with the values it has alone. "
             "ValueError names a wrong argument's dtype or shape. The GIL is released "
             "meanwhile.")

        .def_property_readonly(
            "erased",
            [](const py_mmnet& s) { return s.last.count; },
            "the number of items the last detect() erased")
        .def_property_readonly(
            "first_erased",
            [](const py_mmnet& s) { return s.last.first; },
            "the index of the first item the last detect() erased, -1 if none")
        .def_property_readonly("nu", [](const py_mmnet& s) { return s.k.nu(); })
        .def_property_readonly("nr", [](const py_mmnet& s) { return s.k.nr(); })
        .def_property_readonly("layers", [](const py_mmnet& s) { return s.k.layers(); })
        .def_property_readonly("bits_per_symbol",
                               [](const py_mmnet& s) { return s.k.bits_per_symbol(); })
        .def_property_readonly("constellation",
                               [](const py_mmnet& s) { return s.k.constellation().name(); });
}
