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
/* BINDTOOL_HEADER_FILE(ofdm_rx_kernel.h)                                          */
/* BINDTOOL_HEADER_FILE_HASH(d5fc3f3185366b482a377be0688097dd)                     */
/***********************************************************************************/

/*
 * ofdm_rx_kernel is a plain C++ class (no block), so it is bound here by hand
 * with numpy in and out: phy/ofdm_rx.py (OfdmReceiver, backend "cpp") builds
 * it from an OfdmConfig and turns the dicts of push() into RxFrames.
 */

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace py = pybind11;

#include <gnuradio/neuralmimo/ofdm_rx_kernel.h>

namespace {

using cd = std::complex<double>;
using cf = std::complex<float>;
using kernel = gr::neuralmimo::ofdm_rx_kernel;
using array_cd = py::array_t<cd, py::array::c_style | py::array::forcecast>;
using array_cf = py::array_t<cf, py::array::c_style | py::array::forcecast>;

std::string shape_str(const py::array& a)
{
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
        s += std::to_string(a.shape(i)) + (a.ndim() == 1 || i + 1 < a.ndim() ? "," : "");
    return s + ")";
}

// The values of `a` as a vector, after checking its number of axes (the kernel
// checks the sizes against the other arguments).
std::vector<cd> values(const array_cd& a, py::ssize_t ndim, const char* name)
{
    if (a.ndim() != ndim)
        throw py::value_error(std::string("ofdm_rx_kernel: ") + name + " must have " +
                              std::to_string(ndim) + " axes, got shape " + shape_str(a));
    return std::vector<cd>(a.data(), a.data() + a.size());
}

} // namespace

void bind_ofdm_rx_kernel(py::module& m)
{
    py::class_<kernel>(m,
                       "ofdm_rx_kernel",
                       "MIMO-OFDM receiver front end in C++ (the algorithm of "
                       "neuralmimo.phy.ofdm_rx.OfdmReceiver). Use it through "
                       "OfdmReceiver(config, backend='cpp').")

        // std::invalid_argument from the constructor reaches Python as ValueError.
        .def(py::init([](int nt,
                         int nr,
                         int fft_len,
                         int cp_len,
                         const std::vector<int>& used_carriers,
                         const std::vector<int>& pilot_positions,
                         const std::vector<int>& data_positions,
                         int n_data_symbols,
                         int n_training_symbols,
                         int ltf_repeats,
                         const std::string& training,
                         const array_cd& preamble_values,
                         const array_cd& training_values,
                         const array_cd& pilot_values,
                         const array_cd& constellation_points,
                         double threshold,
                         int backoff,
                         const std::string& tracking) {
                 return new kernel(
                     nt,
                     nr,
                     fft_len,
                     cp_len,
                     used_carriers,
                     pilot_positions,
                     data_positions,
                     n_data_symbols,
                     n_training_symbols,
                     ltf_repeats,
                     training,
                     values(preamble_values, 1, "preamble_values"),
                     values(training_values, 3, "training_values"),
                     values(pilot_values, 3, "pilot_values"),
                     values(constellation_points, 1, "constellation_points"),
                     threshold,
                     backoff,
                     tracking);
             }),
             py::arg("nt"),
             py::arg("nr"),
             py::arg("fft_len"),
             py::arg("cp_len"),
             py::arg("used_carriers"),
             py::arg("pilot_positions"),
             py::arg("data_positions"),
             py::arg("n_data_symbols"),
             py::arg("n_training_symbols"),
             py::arg("ltf_repeats"),
             py::arg("training"),
             py::arg("preamble_values"),
             py::arg("training_values"),
             py::arg("pilot_values"),
             py::arg("constellation_points"),
             py::arg("threshold"),
             py::arg("backoff"),
             py::arg("tracking"),
             "Shapes: used_carriers int[n_used] (signed, ascending); pilot_positions, "
             "data_positions int (positions in used_carriers); preamble_values "
             "complex128[n_used]; training_values complex128[T, n_used, Nt]; "
             "pilot_values complex128[D, P, Nt]; constellation_points complex[M].")

        .def(
            "push",
            [](kernel& k, const array_cf& x) {
                if (x.ndim() != 2 || x.shape(1) != k.nr())
                    throw py::value_error("ofdm_rx: samples must have shape [m, nr=" +
                                          std::to_string(k.nr()) + "], got " +
                                          shape_str(x));
                const py::ssize_t nt = k.nt(), nr = k.nr(), nu = k.n_used(),
                                  nre = k.n_re();
                const py::ssize_t m = x.shape(0);
                const cf* data = x.data();
                py::list out;
                // The frames' arrays are views into blocks allocated for several
                // frames at once (as many as the rest of the push can hold at
                // most). Separate arrays of about 100 kB per frame came from and
                // went back to the system every push (glibc trims its heap above
                // 128 kB free), a page fault per 4 kB written; big blocks raise
                // glibc's thresholds and stay mapped.
                const py::ssize_t n_he = nu * nr * nt, n_y = nre * nr,
                                  n_h = nre * nr * nt;
                py::array_t<cf> he_blk, y_blk, h_blk;
                py::ssize_t used = 0, cap = 0;
                // In slices, one frame at a time: the kernel's buffer stays a few
                // frames long and each frame is copied out while in cache. The
                // kernel touches no Python object: the GIL is released meanwhile
                // (other GNU Radio blocks in Python run).
                constexpr py::ssize_t slice = 8192;
                py::ssize_t off = 0;
                do {
                    const py::ssize_t n = std::min(slice, m - off);
                    {
                        py::gil_scoped_release release;
                        k.append(data + off * nr, n);
                    }
                    off += n;
                    while (true) {
                        const gr::neuralmimo::ofdm_rx_frame* f;
                        {
                            py::gil_scoped_release release;
                            f = k.next();
                        }
                        if (!f)
                            break;
                        if (used == cap) {
                            cap = (k.buffered() + (m - off)) / k.frame_spacing() + 1;
                            he_blk = py::array_t<cf>({ cap, nu, nr, nt });
                            y_blk = py::array_t<cf>({ cap, nre, nr });
                            h_blk = py::array_t<cf>({ cap, nre, nr, nt });
                            used = 0;
                        }
                        cf* he = he_blk.mutable_data() + used * n_he;
                        cf* y = y_blk.mutable_data() + used * n_y;
                        cf* h = h_blk.mutable_data() + used * n_h;
                        std::memcpy(he, f->h_est.data(), n_he * sizeof(cf));
                        std::memcpy(y, f->y.data(), n_y * sizeof(cf));
                        std::memcpy(h, f->h.data(), n_h * sizeof(cf));
                        ++used;
                        py::dict d;
                        d["start"] = f->start;
                        d["fft_start"] = f->fft_start;
                        d["cfo"] = f->cfo;
                        d["h_est"] = py::array_t<cf>({ nu, nr, nt }, he, he_blk);
                        d["noise_var"] = f->noise_var;
                        d["y"] = py::array_t<cf>({ nre, nr }, y, y_blk);
                        d["h"] = py::array_t<cf>({ nre, nr, nt }, h, h_blk);
                        d["snr_db"] = f->snr_db;
                        d["evm"] = f->evm;
                        d["metric"] = f->metric;
                        out.append(std::move(d));
                    }
                } while (off < m);
                return out;
            },
            py::arg("x"),
            "x: complex64[m, Nr] -> list of dicts, one per frame completed: start, "
            "fft_start (int), cfo, noise_var, snr_db, evm, metric (float), h_est "
            "complex64[n_used, Nr, Nt], y complex64[n_re, Nr], h complex64[n_re, Nr, "
            "Nt].")

        .def("skip",
             &kernel::skip,
             py::arg("n"),
             "Drops the next n input samples unprocessed, and every buffered sample.")

        .def_property_readonly("frames_found", &kernel::frames_found)
        .def_property_readonly("samples_skipped", &kernel::samples_skipped)
        .def_property_readonly("buffered", &kernel::buffered)
        .def_property_readonly("nt", &kernel::nt)
        .def_property_readonly("nr", &kernel::nr)
        .def_property_readonly("fft_len", &kernel::fft_len)
        .def_property_readonly("n_used", &kernel::n_used)
        .def_property_readonly("n_re", &kernel::n_re);
}
