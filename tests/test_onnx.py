# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX path: unrolled linear algebra, export validation, nm.detector(onnx), manifests."""
import json
import shutil

import numpy as np
import onnx
import pytest
import torch
from conftest import random_system

import neuralmimo as nm
from neuralmimo.export import ExportValidationError, compare_with_torch, export_detector
from neuralmimo.models import LmmseNet
from neuralmimo.models.linalg import cholesky_unrolled, spd_inverse, spd_inverse_sweep

SHIPPED = "lmmse_qam16_4x4.onnx"


def test_unrolled_cholesky_and_inverse_equal_torch(rng):
    a = torch.from_numpy(rng.standard_normal((16, 8, 8)))
    spd = a @ a.transpose(-1, -2) + 0.1 * torch.eye(8, dtype=a.dtype)
    torch.testing.assert_close(cholesky_unrolled(spd), torch.linalg.cholesky(spd), atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(spd_inverse(spd), torch.linalg.inv(spd), atol=1e-8, rtol=1e-8)


@pytest.mark.parametrize("n", [8, 64])
def test_spd_inverse_float32_equals_torch(rng, n):
    # Gram matrices HᵀH + λI of tall real H (as OAMPNet's, 2Nr x 2Nt), in float32 against the
    # float64 inverse; and the sweep's result is exactly symmetric
    h = torch.from_numpy(rng.standard_normal((32, 2 * n, n)))
    spd = h.transpose(-1, -2) @ h + 0.1 * torch.eye(n, dtype=h.dtype)
    ref = torch.linalg.inv(spd)
    got = spd_inverse_sweep(spd.float())
    assert torch.equal(got, got.transpose(-1, -2))
    scale = ref.abs().amax((-1, -2), keepdim=True)
    torch.testing.assert_close(got.double() / scale, ref / scale, atol=2e-5, rtol=0)
    torch.testing.assert_close(got, torch.linalg.inv(spd.float()), atol=2e-5 * float(scale.max()), rtol=1e-3)


def test_lmmse_module_equals_python_detector(rng):
    c = nm.constellation("qam16")
    y, h, _ = random_system(rng, 64, 6, 3, c, 0.3)
    mod = LmmseNet(3, 6, "qam16").double()
    ri = lambda a: torch.from_numpy(np.stack([a.real, a.imag], -1))
    llr, est = mod(ri(y), ri(h), torch.full((64,), 0.3, dtype=torch.float64))
    ref = nm.detector("lmmse", constellation="qam16")(y, h, 0.3)
    np.testing.assert_allclose(llr.numpy(), ref.llr, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(est[..., 0].numpy() + 1j * est[..., 1].numpy(), ref.estimate, atol=1e-10)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "lmmse_qpsk_2x3.onnx"
    manifest = export_detector(LmmseNet(2, 3, "qpsk"), path)
    return path, manifest


def test_export_validation_error_is_small(exported):
    """LMMSE's LLRs stay moderate on the export check's inputs: the recorded error is far below
    the tolerance (the manifest fields of every family: test_family_contract.py)."""
    _, manifest = exported
    errs = manifest["validation"]["max_abs_error"]
    assert set(errs) == {"llr", "estimate"} and max(errs.values()) < 1e-2


def test_export_check_fails_on_a_wrong_model(exported):
    path, _ = exported

    class Off(LmmseNet):
        def forward(self, y, h, nv):
            llr, est = super().forward(y, h, nv)
            return llr + 0.1, est

    with pytest.raises(ExportValidationError, match="disagree on 'llr'"):
        compare_with_torch(Off(2, 3, "qpsk"), path)


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_onnx_detector_equals_lmmse(exported, rng, batch):
    path, _ = exported
    c = nm.constellation("qpsk")
    y, h, _ = random_system(rng, batch, 3, 2, c, 0.2, dtype=np.complex64)
    nv = rng.uniform(0.01, 2.0, batch).astype(np.float32)
    a = nm.detector(str(path))(y, h, nv)
    b = nm.detector("lmmse", constellation="qpsk")(y, h, nv)
    np.testing.assert_allclose(a.llr, b.llr, atol=1e-3, rtol=1e-3)
    np.testing.assert_allclose(a.estimate, b.estimate, atol=1e-4)
    assert np.mean(a.symbols == b.symbols) > 0.999


def test_shipped_model_matches_its_manifest_and_lmmse(rng):
    path = nm.model_path(SHIPPED)
    det = nm.detector(path)
    assert (det.nt, det.nr, det.constellation.name) == (4, 4, "qam16")
    assert det.manifest["family"] == "lmmse" and det.provider == "CPUExecutionProvider"
    c = nm.constellation("qam16")
    y, h, _ = random_system(rng, 500, 4, 4, c, 0.1, dtype=np.complex64)
    a = det(y, h, 0.1)
    b = nm.detector("lmmse", constellation="qam16")(y, h, 0.1)
    np.testing.assert_allclose(a.llr, b.llr, atol=1e-3, rtol=1e-3)


def _copy_model(tmp_path, edit=None):
    src = nm.model_path(SHIPPED)
    dst = tmp_path / SHIPPED
    shutil.copy(src, dst)
    manifest = json.loads(open(src[:-5] + ".json").read())
    if edit:
        edit(manifest)
    dst.with_suffix(".json").write_text(json.dumps(manifest))
    return dst


def test_model_errors(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        nm.detector(str(tmp_path / "missing.onnx"))
    path = _copy_model(tmp_path)
    with pytest.raises(ValueError, match="nt: the flowgraph has nt=8 but model .* was exported for nt=4"):
        nm.detector(str(path), nt=8)
    with pytest.raises(ValueError, match="constellation: the flowgraph has 'qpsk' but .* for 'qam16'"):
        nm.detector(str(path), constellation="qpsk")
    with pytest.raises(ValueError, match="provider: 'tensorrt' is not available"):
        nm.detector(str(path), provider="tensorrt")
    with pytest.raises(ValueError, match="H: shape Nr=4, Nt=2 but model"):
        nm.detector(str(path))(np.zeros((1, 4), np.complex64), np.ones((1, 4, 2), np.complex64), 1.0)


def test_manifest_disagreeing_with_graph_is_refused(tmp_path):
    bad_nt = _copy_model(tmp_path, lambda m: m.update(nt=8))
    with pytest.raises(ValueError, match="input 'h' has shape .* manifest \\(Nt=8, Nr=4\\) implies"):
        nm.detector(str(bad_nt))
    (tmp_path / "b").mkdir()
    bad_const = _copy_model(tmp_path / "b", lambda m: m.update(constellation="qam64"))
    with pytest.raises(ValueError, match="output 'llr' has shape .* constellation qam64"):
        nm.detector(str(bad_const))
    (tmp_path / "c").mkdir()
    bad_meta = _copy_model(tmp_path / "c", lambda m: m.update(paper="other"))
    with pytest.raises(ValueError, match="manifest paper=other disagrees with the ONNX metadata"):
        nm.detector(str(bad_meta))
    (tmp_path / "d").mkdir()
    missing = _copy_model(tmp_path / "d", lambda m: m.pop("opset"))
    with pytest.raises(ValueError, match="lacks key\\(s\\) opset"):
        nm.detector(str(missing))
    missing.with_suffix(".json").unlink()
    model = onnx.load(str(missing))
    del model.metadata_props[:]                 # without it, the metadata would stand in (test_manifest.py)
    onnx.save(model, str(missing))
    with pytest.raises(ValueError, match="manifest .* not found"):
        nm.detector(str(missing))


def test_exported_and_shipped_models_carry_no_exporter_debug_records(exported):
    """The exporter's per-node stack traces name source files of the exporting machine."""
    import glob

    import onnx
    from neuralmimo.paths import data_dirs

    path, _ = exported
    files = [str(path)] + sorted(glob.glob(str(next(d for d in data_dirs("models") if d.is_dir()) / "*.onnx")))
    assert len(files) > 1
    for f in files:
        m = onnx.load(f)
        assert not any(n.doc_string or len(n.metadata_props) for n in m.graph.node), f
        assert b'File "' not in open(f, "rb").read(), f


def test_export_refuses_an_opset_the_graph_cannot_be_converted_to(tmp_path):
    """torch.onnx keeps its own opset when the down-conversion fails (and only logs): the manifest
    would name an opset the graph does not have. export_detector reads it back and refuses."""
    with pytest.raises(ValueError, match="could not be converted to opset 1"):
        export_detector(LmmseNet(2, 2, "qpsk"), tmp_path / "m.onnx", opset=1)
    assert list(tmp_path.iterdir()) == []
