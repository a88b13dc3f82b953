/*
 * Copyright 2026 gr-neuralmimo contributors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <pybind11/pybind11.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

namespace py = pybind11;

// Headers for binding functions
/**************************************/
// The following comment block is used for
// gr_modtool to insert function prototypes
// Please do not delete
/**************************************/
// BINDING_FUNCTION_PROTOTYPES(
void bind_cg_detector(py::module& m);
void bind_lmmse_detector(py::module& m);
void bind_mmnet_kernel(py::module& m);
void bind_ofdm_rx_kernel(py::module& m);
void bind_ofdm_rx_block(py::module& m);
void bind_softbit_quant(py::module& m);
void bind_softbit_quantizer(py::module& m);
void bind_softbit_dequantizer(py::module& m);
void bind_frame_bits_sink(py::module& m);
// ) END BINDING_FUNCTION_PROTOTYPES


// import_array() is a macro that returns NULL on failure for newer Python
// versions, hence this wrapper; it gives the module access to the numpy C API.
void* init_numpy()
{
    import_array();
    return NULL;
}

PYBIND11_MODULE(neuralmimo_python, m)
{
    // Initialize the numpy C API (otherwise numpy arguments segfault)
    init_numpy();

    // Allow access to base block methods
    py::module::import("gnuradio.gr");

    /**************************************/
    // The following comment block is used for
    // gr_modtool to insert binding function calls
    // Please do not delete
    /**************************************/
    // BINDING_FUNCTION_CALLS(
    bind_cg_detector(m);
    bind_lmmse_detector(m);
    bind_mmnet_kernel(m);
    bind_ofdm_rx_kernel(m);
    bind_ofdm_rx_block(m);
    bind_softbit_quant(m);
    bind_softbit_quantizer(m);
    bind_softbit_dequantizer(m);
    bind_frame_bits_sink(m);
    // ) END BINDING_FUNCTION_CALLS
}
