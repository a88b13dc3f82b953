# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The manifest of every ONNX model: what it detects and how it was made (docs/conventions.md).

Export writes it twice: as `<model>.json` beside `<model>.onnx`, for people to read, and as the
ONNX file's metadata_props (strings: string values verbatim, every other value as JSON), so a
model file on its own still carries it. Reading takes the JSON file when it is there, else the
metadata; a detector checks the two against each other when it has both.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

MANIFEST_VERSION = 1

#: Keys every manifest has. outputs: list of graph outputs ("llr", "estimate"). Optional: nt_range
#: [nt_min, nt] for a model with a dynamic Nt axis (nt is then the largest Nt it serves); split
#: {channel, observation, state} for a model exported also as two graphs (export/split.py); codec
#: {encoder, decoder, latent} and quantizer[_<bits>] for a soft-bit codec (export/codec.py).
REQUIRED_KEYS = ("manifest_version", "family", "paper", "nt", "nr", "constellation", "outputs",
                 "snr_convention", "training_config_hash", "training_snr_db", "opset", "export_date")

#: Keys whose values are strings, so metadata_props holds them verbatim (a hash of digits is no number).
STRING_KEYS = ("family", "paper", "constellation", "snr_convention", "training_config_hash", "export_date",
               "torch_version")


def manifest_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def metadata_props(manifest: dict) -> dict[str, str]:
    """Manifest as ONNX metadata_props (string values; JSON for non-strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in manifest.items()}


#: Largest Nt, Nr a manifest may declare: a corrupted one (nt = 2**62) must not size anything.
MAX_ANTENNAS = 1024


def validate_manifest(manifest: dict, where: str) -> dict:
    """Check the keys and the types and ranges of the values a loader uses; ValueError naming
    `where` and the key. The manifest is untrusted input (a file beside the model)."""
    if not isinstance(manifest, dict):
        raise ValueError(f"{where}: manifest is not a JSON object (got {type(manifest).__name__})")
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"{where}: manifest lacks key(s) {', '.join(missing)}")
    version = manifest["manifest_version"]
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        raise ValueError(f"{where}: manifest_version {version!r} is not the supported version {MANIFEST_VERSION}")
    for key in ("nt", "nr"):
        value = manifest[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ANTENNAS:
            raise ValueError(f"{where}: manifest {key} must be an integer in [1, {MAX_ANTENNAS}], got {value!r}")
    for key in ("family", "constellation", "snr_convention"):
        if not isinstance(manifest[key], str):
            raise ValueError(f"{where}: manifest {key} must be a string, got {manifest[key]!r}")
    if "nt_range" in manifest:
        r = manifest["nt_range"]
        if (not isinstance(r, list) or len(r) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in r)
                or not 1 <= r[0] <= r[1] == manifest["nt"]):
            raise ValueError(f"{where}: manifest nt_range must be [nt_min, nt] with 1 <= nt_min <= nt = "
                             f"{manifest['nt']}, got {r!r}")
    if "split" in manifest:
        sp = manifest["split"]
        if (not isinstance(sp, dict) or any(not isinstance(sp.get(k), str) or not sp[k].endswith(".onnx")
                                            or sp[k].startswith("/") or ".." in sp[k] or "\\" in sp[k]
                                            for k in ("channel", "observation"))
                or not isinstance(sp.get("state"), list) or not sp["state"]
                or any(not isinstance(v, str) for v in sp["state"])):
            raise ValueError(f"{where}: manifest split must be {{channel: file.onnx, observation: file.onnx, "
                             f"state: [names]}} with paths inside the model's folder, got {sp!r}")
    if "codec" in manifest:
        cd = manifest["codec"]
        if (not isinstance(cd, dict) or any(not isinstance(cd.get(k), str) or not cd[k].endswith(".onnx")
                                            or cd[k].startswith("/") or ".." in cd[k] or "\\" in cd[k]
                                            for k in ("encoder", "decoder"))
                or isinstance(cd.get("latent"), bool) or not isinstance(cd.get("latent"), int) or cd["latent"] < 1):
            raise ValueError(f"{where}: manifest codec must be {{encoder: file.onnx, decoder: file.onnx, "
                             f"latent: int >= 1}} with paths inside the model's folder, got {cd!r}")
    outs = manifest["outputs"]
    if not isinstance(outs, list) or not outs or any(not isinstance(o, str) or o not in ("llr", "estimate")
                                                     for o in outs) or len(set(outs)) != len(outs):
        raise ValueError(f"{where}: manifest outputs must be a non-empty list of distinct names from llr, "
                         f"estimate, got {outs!r}")
    return manifest


def nt_range(manifest: dict) -> tuple[int, int]:
    """(nt_min, nt_max): the numbers of streams the model serves. A model with a dynamic Nt axis
    (RE-MIMO) records ``nt_range``; every other model serves its one ``nt``."""
    lo, hi = manifest.get("nt_range", (manifest["nt"], manifest["nt"]))
    return int(lo), int(hi)


def nt_range_text(lo: int, hi: int) -> str:
    return f"Nt={hi}" if lo == hi else f"Nt in {lo}..{hi}"


def manifest_from_metadata(props: Mapping[str, str]) -> dict:
    """Inverse of metadata_props: JSON-decode every value except those of STRING_KEYS (and values
    that are no JSON, which were strings)."""
    manifest = {}
    for key, value in props.items():
        try:
            manifest[key] = value if key in STRING_KEYS else json.loads(value)
        except json.JSONDecodeError:
            manifest[key] = value
    return manifest


def read_manifest(model_path: str | Path, metadata: Mapping[str, str] | None = None) -> dict:
    """Read and validate a model's manifest: the JSON file beside it, or when that is missing the
    model's metadata_props (`metadata`, e.g. an onnxruntime session's custom_metadata_map).
    Raises ValueError naming the file."""
    path = manifest_path(model_path)
    if not path.is_file():
        if metadata and "manifest_version" in metadata:
            return validate_manifest(manifest_from_metadata(metadata), f"{model_path} (metadata_props)")
        raise ValueError(f"model: manifest {path} not found beside {model_path}, "
                         "and the model's metadata_props hold none")
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
