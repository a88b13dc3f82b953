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
/* BINDTOOL_HEADER_FILE(softbit_dequantizer.h)                                          */
/* BINDTOOL_HEADER_FILE_HASH(46ed301b99e55c56fc3e536718861f26)                     */
/***********************************************************************************/

#include <pybind11/complex.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/softbit_dequantizer.h>
// pydoc.h is automatically generated in the build directory
#include <softbit_dequantizer_pydoc.h>

void bind_softbit_dequantizer(py::module& m)
{
    using softbit_dequantizer = gr::neuralmimo::softbit_dequantizer;

    // std::invalid_argument from make() reaches Python as ValueError.
    py::class_<softbit_dequantizer,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<softbit_dequantizer>>(m, "softbit_dequantizer", D(softbit_dequantizer))

        .def(py::init(&softbit_dequantizer::make),
             py::arg("n"),
             py::arg("bits"),
             py::arg("mode"),
             py::arg("clip") = 1.0f,
             py::arg("thresholds") = std::vector<float>(),
             py::arg("levels") = std::vector<float>(),
             D(softbit_dequantizer, make))

        .def("bytes_per_vector",
             &softbit_dequantizer::bytes_per_vector,
             D(softbit_dequantizer, bytes_per_vector));
}
