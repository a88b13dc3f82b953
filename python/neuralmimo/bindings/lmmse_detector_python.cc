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
/* BINDTOOL_HEADER_FILE(lmmse_detector.h)                                          */
/* BINDTOOL_HEADER_FILE_HASH(4c810618f9cfb2d8a481349d27609aef)                     */
/***********************************************************************************/

#include <pybind11/complex.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/lmmse_detector.h>
// pydoc.h is automatically generated in the build directory
#include <lmmse_detector_pydoc.h>

void bind_lmmse_detector(py::module& m)
{
    using lmmse_detector = gr::neuralmimo::lmmse_detector;

    // std::invalid_argument from make() reaches Python as ValueError.
    py::class_<lmmse_detector,
               gr::sync_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<lmmse_detector>>(m, "lmmse_detector", D(lmmse_detector))

        .def(py::init(&lmmse_detector::make),
             py::arg("nt"),
             py::arg("nr"),
             py::arg("constellation"),
             py::arg("output"),
             D(lmmse_detector, make))

        .def("invalid_items",
             &lmmse_detector::invalid_items,
             D(lmmse_detector, invalid_items));
}
