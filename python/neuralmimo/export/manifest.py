# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JSON manifest beside every ONNX model (docs/conventions.md, "ONNX contract").

`<model>.json` next to `<model>.onnx`, with the same keys (as strings) in the
ONNX file's metadata_props, so a model separated from its manifest can still
be checked.
"""
from __future__ import annotations

import json
from pathlib import Path

MANIFEST_VERSION = 1

#: Keys every manifest has. outputs: list of graph outputs ("llr", "estimate").
REQUIRED_KEYS = ("manifest_version", "family", "paper", "nt", "nr", "constellation", "outputs",
                 "snr_convention", "training_config_hash", "training_snr_db", "opset", "export_date")


def manifest_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def metadata_props(manifest: dict) -> dict[str, str]:
    """Manifest as ONNX metadata_props (string values; JSON for non-strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in manifest.items()}


def validate_manifest(manifest: dict, where: str) -> dict:
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"{where}: manifest lacks key(s) {', '.join(missing)}")
    if manifest["manifest_version"] != MANIFEST_VERSION:
        raise ValueError(f"{where}: manifest_version {manifest['manifest_version']} is not "
                         f"the supported version {MANIFEST_VERSION}")
    for key in ("nt", "nr"):
        if not isinstance(manifest[key], int) or manifest[key] < 1:
            raise ValueError(f"{where}: manifest {key} must be a positive integer, got {manifest[key]!r}")
    outs = manifest["outputs"]
    if not outs or any(o not in ("llr", "estimate") for o in outs):
        raise ValueError(f"{where}: manifest outputs must be a non-empty subset of llr, estimate, got {outs!r}")
    return manifest


def read_manifest(model_path: str | Path) -> dict:
    """Read and validate the manifest beside a model. Raises ValueError naming the file."""
    path = manifest_path(model_path)
    if not path.is_file():
        raise ValueError(f"model: manifest {path} not found beside {model_path}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"model: manifest {path} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"model: manifest {path} is not a JSON object")
    return validate_manifest(manifest, str(path))


def write_manifest(model_path: str | Path, manifest: dict) -> Path:
    validate_manifest(manifest, str(model_path))
    path = manifest_path(model_path)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path
