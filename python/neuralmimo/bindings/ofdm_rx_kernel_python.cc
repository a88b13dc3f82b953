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
/* BINDTOOL_HEADER_FILE_HASH(e567bf1916d737de1e574bf129de80c5)                     */
/***********************************************************************************/

/*
 * The receiver's frame spec, parameters and kernel are plain C++ (no block), so
 * they are bound here by hand with numpy in and out: phy/ofdm_rx_cpp.py fills
 * the spec and parameters from an OfdmConfig, and OfdmReceiver (backend "cpp")
 * turns the dicts of push() into RxFrames.
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
using spec = gr::neuralmimo::ofdm_frame_spec;
using params = gr::neuralmimo::ofdm_rx_params;
using array_cd = py::array_t<cd, py::array::c_style | py::array::forcecast>;
using array_cf = py::array_t<cf, py::array::c_style | py::array::forcecast>;

std::string shape_str(const py::array& a)
{
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
        s += std::to_string(a.shape(i)) + (a.ndim() == 1 || i + 1 < a.ndim() ? "," : "");
    return s + ")";
}

// A struct with the fields named by keyword arguments set (the others keep
// their defaults), so that Python builds it in one call.
template <typename T>
T from_kwargs(const py::kwargs& kw, const std::string& type)
{
    py::object obj = py::cast(T());
    for (const auto& item : kw) {
        if (!py::hasattr(obj, item.first))
            throw py::type_error(type + ": no field '" +
                                 py::str(item.first).cast<std::string>() + "'");
        py::setattr(obj, item.first, item.second);
    }
    return obj.cast<T>();
}

/*
 * A complex table of the spec as a numpy property: set from an array with the
 * table's axes (or flattened row-major; the sizes are checked by validate()),
 * read as a flat complex128 copy.
 */
void def_table(py::class_<spec>& cls,
               const char* name,
               std::vector<cd> spec::*field,
               py::ssize_t ndim,
               const char* doc)
{
    cls.def_property(
        name,
        [field](const spec& s) {
            const std::vector<cd>& v = s.*field;
            return py::array_t<cd>(static_cast<py::ssize_t>(v.size()), v.data());
        },
        [field, name, ndim](spec& s, const array_cd& a) {
            if (a.ndim() != ndim && a.ndim() != 1)
                throw py::value_error(std::string("ofdm_rx_kernel: ") + name +
                                      " must have " + std::to_string(ndim) +
                                      " axes (or 1, flattened), got shape " +
                                      shape_str(a));
            s.*field = std::vector<cd>(a.data(), a.data() + a.size());
        },
        doc);
}

void bind_spec(py::module& m)
{
    py::class_<spec> cls(m,
                         "ofdm_frame_spec",
                         "The OFDM frame format as the C++ receiver needs it (see "
                         "ofdm_rx_kernel.h). ofdm_frame_spec(**fields); "
                         "neuralmimo.phy.ofdm_rx_cpp.cpp_spec builds it from an "
                         "OfdmConfig.");
    cls.def(py::init([](const py::kwargs& kw) {
           return from_kwargs<spec>(kw, "ofdm_frame_spec");
       }))
        .def_readwrite("nt", &spec::nt)
        .def_readwrite("nr", &spec::nr)
        .def_readwrite("fft_len", &spec::fft_len)
        .def_readwrite("cp_len", &spec::cp_len)
        .def_readwrite("used_carriers", &spec::used_carriers, "int[n_used], ascending")
        .def_readwrite("pilot_positions", &spec::pilot_positions, "int[P]")
        .def_readwrite("data_positions", &spec::data_positions, "int[n_data]")
        .def_readwrite("n_data_symbols", &spec::n_data_symbols)
        .def_readwrite("n_training_symbols", &spec::n_training_symbols)
        .def_readwrite("ltf_repeats", &spec::ltf_repeats)
        .def_readwrite("training", &spec::training, "'time' or 'comb'")
        .def_readwrite("frame_len", &spec::frame_len)
        .def("validate", &spec::validate, "Raises ValueError naming the field.");
    def_table(cls, "preamble_values", &spec::preamble_values, 1, "complex128[n_used]");
    def_table(cls, "training_values", &spec::training_values, 3,
              "complex128[T, n_used, Nt]");
    def_table(cls, "pilot_values", &spec::pilot_values, 3, "complex128[D, P, Nt]");
    def_table(cls, "constellation_points", &spec::constellation_points, 1,
              "complex128[M]");

    py::class_<params>(m,
                       "ofdm_rx_params",
                       "The OFDM receiver's settings besides the frame format: "
                       "ofdm_rx_params(threshold=, backoff=, tracking=, max_backlog=).")
        .def(py::init([](const py::kwargs& kw) {
            return from_kwargs<params>(kw, "ofdm_rx_params");
        }))
        .def_readwrite("threshold", &params::threshold, "in (0, 1)")
        .def_readwrite("backoff", &params::backoff, "in [0, cp_len)")
        .def_readwrite("tracking", &params::tracking, "'per_stream' or 'common'")
        .def_readwrite("max_backlog", &params::max_backlog, "0 (off) or >= 2 frame_len")
        .def("validate", &params::validate, py::arg("spec"));
}

} // namespace

void bind_ofdm_rx_kernel(py::module& m)
{
    bind_spec(m);
    py::class_<kernel>(m,
                       "ofdm_rx_kernel",
                       "MIMO-OFDM receiver front end in C++ (the algorithm of "
                       "neuralmimo.phy.ofdm_rx.OfdmReceiver). Use it through "
                       "OfdmReceiver(config, backend='cpp').")

        // std::invalid_argument from the constructor reaches Python as ValueError.
        .def(py::init<const spec&, const params&>(), py::arg("spec"), py::arg("params"))

        .def(
            "push",
            [](kernel& k, const array_cf& x) {
                if (x.ndim() != 2 || x.shape(1) != k.spec().nr)
                    throw py::value_error("ofdm_rx: samples must have shape [m, nr=" +
                                          std::to_string(k.spec().nr) + "], got " +
                                          shape_str(x));
                const py::ssize_t nt = k.spec().nt, nr = k.spec().nr, nu = k.n_used(),
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
        .def_property_readonly(
            "spec", [](const kernel& k) { return k.spec(); }, "a copy")
        .def_property_readonly(
            "params", [](const kernel& k) { return k.params(); }, "a copy")
        .def_property_readonly("n_used", &kernel::n_used)
        .def_property_readonly("n_re", &kernel::n_re);
}
