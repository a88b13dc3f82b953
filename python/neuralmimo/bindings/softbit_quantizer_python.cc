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
/* BINDTOOL_HEADER_FILE(softbit_quantizer.h)                                          */
/* BINDTOOL_HEADER_FILE_HASH(d229fff7ff71e5ca1eeb34ec2195ab97)                     */
/***********************************************************************************/

#include <pybind11/complex.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/softbit_quantizer.h>
// pydoc.h is automatically generated in the build directory
#include <softbit_quantizer_pydoc.h>

void bind_softbit_quantizer(py::module& m)
{
    using softbit_quantizer = gr::neuralmimo::softbit_quantizer;

    // std::invalid_argument from make() reaches Python as ValueError.
    py::class_<softbit_quantizer,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<softbit_quantizer>>(m, "softbit_quantizer", D(softbit_quantizer))

        .def(py::init(&softbit_quantizer::make),
             py::arg("n"),
             py::arg("bits"),
             py::arg("mode"),
             py::arg("clip") = 1.0f,
             py::arg("thresholds") = std::vector<float>(),
             py::arg("levels") = std::vector<float>(),
             D(softbit_quantizer, make))

        .def("erased", &softbit_quantizer::erased, D(softbit_quantizer, erased))
        .def("clamped", &softbit_quantizer::clamped, D(softbit_quantizer, clamped))
        .def("bytes_per_vector",
             &softbit_quantizer::bytes_per_vector,
             D(softbit_quantizer, bytes_per_vector));
}
