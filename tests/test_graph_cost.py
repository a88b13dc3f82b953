# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""graph_cost: multiply-adds and FLOPs counted from ONNX graphs, against counts done by hand."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neuralmimo.cli import cost as cost_cli
from neuralmimo.export.graph_cost import graph_cost
from neuralmimo.paths import source_dir

SHIPPED = sorted((source_dir() / "models").glob("*.onnx"))


def _model(nodes, inputs, outputs, initializers=(), opset=18):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _x(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def test_matmul_add_relu_equals_the_hand_count(tmp_path):
    # x [B,3,4] @ w [4,5] -> [B,3,5]: B·3 rows, each 5 outputs of 4 multiply-adds = 60·B MACs,
    # 120·B FLOPs; + bias [5] broadcast to [B,3,5]: 15·B adds; Relu: 15·B. In all 150·B FLOPs.
    # Parameters: w 4·5 = 20 and bias 5 = 25, all float.
    m = _model([helper.make_node("MatMul", ["x", "w"], ["xw"], name="mm"),
                helper.make_node("Add", ["xw", "bias"], ["z"], name="add"),
                helper.make_node("Relu", ["z"], ["out"], name="relu")],
               [_x("x", ["B", 3, 4])], [_x("out", ["B", 3, 5])],
               [("w", np.ones((4, 5))), ("bias", np.zeros(5))])
    c = graph_cost(m, batch=2)
    assert (c.batch, c.macs, c.flops, c.transcendentals) == (2, 120, 300, 0)
    assert c.flops_by_op == {"MatMul": 240, "Add": 30, "Relu": 30}
    assert c.nodes_by_op == {"MatMul": 1, "Add": 1, "Relu": 1}
    assert (c.macs_per_detection, c.flops_per_detection) == (60, 150)
    assert (c.params, c.float_params, c.file_bytes) == (25, 25, None)
    path = tmp_path / "m.onnx"
    onnx.save(m, str(path))
    from_file = graph_cost(path, batch=2)
    assert from_file.file_bytes == path.stat().st_size and from_file.flops == 300
    # numpy broadcasting of batch dims: [2,1,3,4] x [5,4,6] -> [2,5,3,6], 2·5·3·6·4 MACs
    m2 = _model([helper.make_node("MatMul", ["a", "b"], ["ab"])], [_x("a", [2, 1, 3, 4]), _x("b", [5, 4, 6])],
                [_x("ab", None)])
    assert graph_cost(m2).macs == 2 * 5 * 3 * 6 * 4


def test_model_local_functions_are_counted_inline():
    # y = Dense(x, w) with Dense(a, b) = Relu(MatMul(a, b)) a function of the model: x [B,3] · w [3,2]
    # is 6 MACs = 12 FLOPs per item, the Relu 2
    body = [helper.make_node("MatMul", ["a", "b"], ["ab"]), helper.make_node("Relu", ["ab"], ["c"])]
    dense = helper.make_function("local", "Dense", ["a", "b"], ["c"], body, [helper.make_opsetid("", 18)])
    m = _model([helper.make_node("Dense", ["x", "w"], ["y"], domain="local")], [_x("x", ["B", 3])], [_x("y", None)],
               [("w", np.ones((3, 2)))])
    m.opset_import.append(helper.make_opsetid("local", 1))
    m.functions.append(dense)
    c = graph_cost(m, batch=5)
    assert (c.macs, c.flops, c.nodes_by_op) == (5 * 6, 5 * (12 + 2), {"MatMul": 1, "Relu": 1})


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """nn.Linear 6->7, ReLU, nn.Linear 7->2 exported as export_detector does it (dynamo, opset 18,
    a dynamic batch axis)."""
    import torch

    class Mlp(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(6, 7), torch.nn.Linear(7, 2)

        def forward(self, x):
            return self.b(torch.relu(self.a(x)))

    path = tmp_path_factory.mktemp("mlp") / "mlp.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Mlp().eval(), (torch.zeros(3, 6),), str(path), dynamo=True, opset_version=18,
                          input_names=["x"], output_names=["out"],
                          dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1)}},
                          external_data=False, verbose=False)
    return path


@pytest.mark.parametrize("batch", [1, 8])
def test_torch_mlp(mlp, batch):
    c = graph_cost(mlp, batch=batch)
    assert c.macs == batch * (6 * 7 + 7 * 2)
    assert c.macs_per_detection == 6 * 7 + 7 * 2
    # 2 FLOPs per MAC, the two biases (7 + 2 adds) and the ReLU (7), per item; the same whether
    # the exporter writes Gemm or MatMul + Add
    assert c.flops_per_detection == 2 * (6 * 7 + 7 * 2) + 7 + 2 + 7
    assert c.params == c.float_params == 6 * 7 + 7 + 7 * 2 + 2


def _gemm(alpha, beta, with_c=True):
    # A [B,3] · B^T ([4,3] with transB) -> [B,4]; C [4] broadcast
    return _model([helper.make_node("Gemm", ["a", "w"] + (["c"] if with_c else []), ["y"], name="gemm",
                                    alpha=alpha, beta=beta, transB=1)],
                  [_x("a", ["B", 3])], [_x("y", ["B", 4])], [("w", np.ones((4, 3))), ("c", np.ones(4))])


@pytest.mark.parametrize("alpha,beta,with_c,flops", [
    # M·N·K = 2·4·3 = 24 MACs = 48 FLOPs at batch 2, M·N = 8 output elements
    (0.5, 1.0, True, 48 + 8 + 8),         # alpha·AB (8 mults) + C (8 adds)
    (0.5, 2.0, True, 48 + 8 + 8 + 8),     # ... + beta·C (8 mults)
    (1.0, 1.0, False, 48),                # no C, no scaling
    (0.5, 0.0, True, 48 + 8),             # beta 0: C is not used
])
def test_gemm_with_c_and_alpha(alpha, beta, with_c, flops):
    c = graph_cost(_gemm(alpha, beta, with_c), batch=2)
    assert (c.macs, c.flops) == (24, flops)


def test_unknown_op_control_flow_and_unknown_shape_raise():
    conv = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="c1")], [_x("x", ["B", 1, 5, 5])],
                  [_x("y", None)], [("w", np.ones((1, 1, 3, 3)))])
    with pytest.raises(ValueError, match=r"unsupported op Conv \(node 'c1'"):
        graph_cost(conv)
    custom = _model([helper.make_node("Foo", ["x"], ["y"], domain="com.example")], [_x("x", ["B", 2])],
                    [_x("y", None)])
    with pytest.raises(ValueError, match="unsupported op com.example::Foo"):
        graph_cost(custom)
    branch = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "b", [], [_x("z", None)])
    cond = _model([helper.make_node("If", ["p"], ["y"], name="if1", then_branch=branch, else_branch=branch)],
                  [_x("p", [], TensorProto.BOOL), _x("x", ["B", 2])], [_x("y", None)])
    with pytest.raises(ValueError, match="node 'if1' .If.: control flow"):
        graph_cost(cond)
    # the target shape is a graph input: its values, hence the size of the Relu's output, are not
    # in the graph
    reshaped = _model([helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape"),
                       helper.make_node("Relu", ["r"], ["y"], name="relu")],
                      [_x("x", ["B", 12]), _x("s", [2], TensorProto.INT64)], [_x("y", None)])
    with pytest.raises(ValueError, match=r"node 'relu' \(Relu\): the shape of 'y' is unknown"):
        graph_cost(reshaped)
    two = _model([helper.make_node("Relu", ["x"], ["y"])], [_x("x", ["B", "N"])], [_x("y", None)])
    with pytest.raises(ValueError, match="axis 1 is symbolic"):
        graph_cost(two)
    fixed = _model([helper.make_node("Relu", ["x"], ["y"])], [_x("x", [4, 2])], [_x("y", None)])
    assert graph_cost(fixed).flops == 8
    with pytest.raises(ValueError, match="no input has a symbolic batch axis"):
        graph_cost(fixed, batch=4)


def test_shipped_models_are_counted():
    assert SHIPPED
    for path in SHIPPED:
        nt = 4 if "remimo" in path.name else None   # the shipped RE-MIMO serves Nt in 1..4
        one, four = graph_cost(path, batch=1, nt=nt), graph_cost(path, batch=4, nt=nt)
        assert one.macs_per_detection > 0, path
        assert one.macs_per_detection == four.macs_per_detection, path
        assert set(one.nodes_by_op) == {n.op_type for n in onnx.load(str(path)).graph.node}
        assert one.file_bytes == path.stat().st_size
    # LMMSE 4x4 in the real form (8x8): Gram HᵀH 8·8·8 = 512 and a second 8x8x8 product, 512;
    # the unrolled Cholesky's column updates [8,k]x[k,1] and [1,k]x[k,8] for k = 1..7,
    # 8·(1+..+7) = 224 each; two matrix-vector products 8·8 = 64 each: 1600 MACs per detection
    lmmse = graph_cost(source_dir() / "models" / "lmmse_qam16_4x4.onnx", batch=4)
    assert lmmse.macs == 4 * (512 + 512 + 224 + 224 + 64 + 64)
    # LcgNetV 4x4, 6 layers, real form n = 8: the Gram matrix's four real 4x4x4 products and b's
    # four 1x4x4; the recursion's matrix-vector products 8·8, one per layer but the last (its
    # result is unused); the post-detection map M (the recursion on the identity, 8x8x8 per
    # layer but the last) and M·G: 6 more 8x8x8 products
    lcg = graph_cost(source_dir() / "models" / "lcgnetv_qam16_4x4.onnx", batch=1)
    assert lcg.macs == 4 * 4 ** 3 + 4 * 4 ** 2 + 5 * 8 ** 2 + 6 * 8 ** 3


def test_cli_prints_one_row_per_file(capsys):
    assert cost_cli.main([str(p) for p in SHIPPED] + ["--batch", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(SHIPPED) and lines[0].startswith("| file | MACs/detection")
    assert any("remimo_qam16_4x4.onnx (at Nt=4 of 1..4)" in line for line in lines)
    lmmse = next(line for line in lines if "lmmse_qam16_4x4" in line)
    assert lmmse.split("|")[2].strip() == "1600"


def test_layer_normalization_rule():
    # x [B,3,4] normalised over the last axis: N = 12·B elements, R = 3·B rows; with scale and
    # bias 6·N + 4·R = 84 FLOPs per item, without bias 5·N + 4·R = 72
    ln = lambda ins: _model([helper.make_node("LayerNormalization", ins, ["y"], axis=-1)],
                            [_x("x", ["B", 3, 4])], [_x("y", None)], [("g", np.ones(4)), ("b", np.zeros(4))])
    assert graph_cost(ln(["x", "g", "b"]), batch=2).flops == 2 * 84
    assert graph_cost(ln(["x", "g"]), batch=2).flops == 2 * 72


NR, M, WIDTH, HEADS, BLOCKS, TE = 4, 16, 16, 4, 2, 4


@pytest.fixture(scope="module")
def tiny_remimo(tmp_path_factory):
    """A ReMimo for Nt in 1..4, Nr = 4, 16QAM, 2 blocks of width 16, exported by export_detector
    (a dynamic Nt axis)."""
    import torch

    from neuralmimo.export.onnx_export import export_detector
    from neuralmimo.models.remimo import ReMimo

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("remimo") / "remimo.onnx"
    export_detector(ReMimo(4, NR, "qam16", nt_min=1, blocks=BLOCKS, width=WIDTH, heads=HEADS), path)
    return path


def remimo_macs(n: int, batch: int) -> float:
    """MACs per detection of ReMimo (gradient off) at Nt = n from its layer sizes (models/remimo.py).
    d_s = WIDTH, FFN 4·d_s, d_φ = d_s + 4Nr + M, d_ψ = d_φ + 1, h1 = ⌈d_ψ/2⌉, h2 = ⌈h1/2⌉."""
    ffn, d_phi = 4 * WIDTH, WIDTH + 4 * NR + M
    h1 = -(-(d_phi + 1) // 2)
    h2 = -(-h1 // 2)
    # embedding: y_r (2Nr), σ (1) and TE (d_TE, computed per item from the shape of H) once per
    # item, h_i (2Nr) per user, into 4·d_s; then 4·d_s -> d_s per user
    embed = (2 * NR + 1 + TE) * 4 * WIDTH + n * (2 * NR * 4 * WIDTH + 4 * WIDTH * WIDTH)
    block = (2 * n * M                                   # soft estimate z: Re and Im, [Nt,M]·[M]
             + 4 * NR * n                                # H_r z: four real [Nr,Nt]·[Nt] products
             + n * (WIDTH + 2 * NR + M) * 3 * d_phi      # q, k, v from s, h_i, x̂ per user
             + 2 * NR * 3 * d_phi                        # ... and from δy once per item
             + 2 * n * n * d_phi                         # QKᵀ and attention·V over all heads
             + n * d_phi * WIDTH                         # out-projection
             + 2 * n * WIDTH * ffn                       # FFN
             + n * (WIDTH + 2 * NR + M) * h1 + (2 * NR + 1) * h1   # predictor input: per user, per item
             + n * (h1 * h2 + h2 * M))                   # predictor hidden and output layers
    out = 2 * n * M                                      # the estimate: Re and Im of p·points
    return embed + BLOCKS * block + out


@pytest.mark.parametrize("batch", [1, 3])
def test_dynamic_nt_model_is_counted_at_the_given_nt(tiny_remimo, batch):
    at = {n: graph_cost(tiny_remimo, batch=batch, nt=n) for n in (2, 4)}
    assert at[4].macs_per_detection > at[2].macs_per_detection
    for n, c in at.items():
        # every MatMul of the graph is one of the formula's, nothing more (the contract's
        # erasure and the LLRs are elementwise and reductions)
        assert c.macs == pytest.approx(batch * remimo_macs(n, batch), abs=1e-6), n
    assert at[2].params == at[4].params


def test_dynamic_nt_needs_an_nt_in_its_range(tiny_remimo, capsys):
    for bad in (None, 5):
        with pytest.raises(ValueError, match=r"dynamic Nt axis \(Nt in 1\.\.4\).*give nt in 1\.\.4"):
            graph_cost(tiny_remimo, nt=bad)
    # the manifest in the file's metadata serves when the JSON file is not beside it
    with pytest.raises(ValueError, match="give nt in 1..4"):
        graph_cost(onnx.load(str(tiny_remimo)))
    assert graph_cost(onnx.load(str(tiny_remimo)), nt=3).macs == round(remimo_macs(3, 1))
    # a fixed-Nt model: nt optional, and its own
    lmmse = source_dir() / "models" / "lmmse_qam16_4x4.onnx"
    assert graph_cost(lmmse, nt=4).macs == graph_cost(lmmse).macs
    with pytest.raises(ValueError, match="the model is for Nt=4"):
        graph_cost(lmmse, nt=3)
    assert cost_cli.main([str(tiny_remimo), "--nt", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split("|")[2].strip() == str(round(remimo_macs(2, 1)))
