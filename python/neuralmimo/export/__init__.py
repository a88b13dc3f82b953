# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX export, manifests and validation against torch."""
from ..manifest import read_manifest, write_manifest
from .onnx_export import ExportValidationError, compare_with_torch, export_detector

__all__ = ["read_manifest", "write_manifest", "ExportValidationError", "compare_with_torch", "export_detector"]
