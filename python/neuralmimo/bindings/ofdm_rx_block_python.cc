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
/* BINDTOOL_HEADER_FILE(ofdm_rx_block.h)                                           */
/* BINDTOOL_HEADER_FILE_HASH(8c046e2adcfb2f6059047e0c3386e047)                     */
/***********************************************************************************/

#include <pybind11/pybind11.h>

namespace py = pybind11;

#include <gnuradio/neuralmimo/ofdm_rx_block.h>
// pydoc.h is automatically generated in the build directory
#include <ofdm_rx_block_pydoc.h>

void bind_ofdm_rx_block(py::module& m)
{
    using ofdm_rx_block = gr::neuralmimo::ofdm_rx_block;

    // std::invalid_argument from make() reaches Python as ValueError. The argument
    // types ofdm_frame_spec and ofdm_rx_params are bound with ofdm_rx_kernel.
    py::class_<ofdm_rx_block,
               gr::block,
               gr::basic_block,
               std::shared_ptr<ofdm_rx_block>>(m, "ofdm_rx_block", D(ofdm_rx_block))

        .def(py::init(&ofdm_rx_block::make),
             py::arg("spec"),
             py::arg("params"),
             D(ofdm_rx_block, make))

        .def("frames_found", &ofdm_rx_block::frames_found, D(ofdm_rx_block, frames_found))
        .def("samples_skipped",
             &ofdm_rx_block::samples_skipped,
             D(ofdm_rx_block, samples_skipped));
}
