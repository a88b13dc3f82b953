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
/* BINDTOOL_HEADER_FILE(cg_detector.h)                                             */
/* BINDTOOL_HEADER_FILE_HASH(784bc465930e88b30db2a8213386ca4a)                     */
/***********************************************************************************/

#include <pybind11/complex.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/cg_detector.h>
// pydoc.h is automatically generated in the build directory
#include <cg_detector_pydoc.h>

void bind_cg_detector(py::module& m)
{
    using cg_detector = gr::neuralmimo::cg_detector;

    // std::invalid_argument from make() reaches Python as ValueError.
    py::class_<cg_detector,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<cg_detector>>(m, "cg_detector", D(cg_detector))

        .def(py::init(&cg_detector::make),
             py::arg("nt"),
             py::arg("nr"),
             py::arg("constellation"),
             py::arg("output"),
             py::arg("iterations"),
             py::arg("alpha") = std::vector<float>(),
             py::arg("beta") = std::vector<float>(),
             py::arg("form") = "complex",
             py::arg("threads") = 1,
             D(cg_detector, make))

        .def("invalid_items", &cg_detector::invalid_items, D(cg_detector, invalid_items));
}
