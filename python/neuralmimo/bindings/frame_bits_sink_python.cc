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
/* BINDTOOL_HEADER_FILE(frame_bits_sink.h)                                            */
/* BINDTOOL_HEADER_FILE_HASH(99f7b43994a49d08817fa1e0a4713f23)                     */
/***********************************************************************************/

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/frame_bits_sink.h>
// pydoc.h is automatically generated in the build directory
#include <frame_bits_sink_pydoc.h>

void bind_frame_bits_sink(py::module& m)
{
    using frame_bits_sink = gr::neuralmimo::frame_bits_sink;

    // std::invalid_argument from make() reaches Python as ValueError.
    py::class_<frame_bits_sink,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<frame_bits_sink>>(m, "frame_bits_sink", D(frame_bits_sink))

        .def(py::init(&frame_bits_sink::make),
             py::arg("width"),
             py::arg("frame_items"),
             py::arg("soft") = true,
             D(frame_bits_sink, make))

        // -> (crc_ok uint8[F], packed uint8[F, bytes_per_frame], info: F bytes)
        .def(
            "take",
            [](frame_bits_sink& self) {
                gr::neuralmimo::frame_bits_batch b;
                {
                    py::gil_scoped_release release;
                    b = self.take();
                }
                const py::ssize_t f = static_cast<py::ssize_t>(b.crc_ok.size());
                const py::ssize_t nb = self.bytes_per_frame();
                py::array_t<uint8_t> ok(f);
                py::array_t<uint8_t> packed({ f, nb });
                if (f) {
                    std::copy(b.crc_ok.begin(), b.crc_ok.end(), ok.mutable_data());
                    std::copy(b.packed.begin(), b.packed.end(), packed.mutable_data());
                }
                py::list info;
                for (const auto& s : b.info)
                    info.append(py::bytes(s));
                return py::make_tuple(ok, packed, info);
            },
            D(frame_bits_sink, take))
        .def("frames", &frame_bits_sink::frames, D(frame_bits_sink, frames))
        .def("bytes_per_frame", &frame_bits_sink::bytes_per_frame, D(frame_bits_sink, bytes_per_frame))
        .def("set_stop_callback",
             &frame_bits_sink::set_stop_callback,
             py::arg("callback"),
             D(frame_bits_sink, set_stop_callback));
}
