# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Multiply-adds and FLOPs of an exported ONNX graph, read from the graph itself.

    cost = graph_cost("models/lcgnetv_qam16_4x4.onnx", batch=4)
    cost.macs_per_detection, cost.flops_per_detection, cost.flops_by_op

The first (batch) axis of every input is fixed to `batch`, onnx's shape inference (strict)
gives every intermediate shape (graph_shapes.py also evaluates the graph's integer shape
arithmetic where that inference stops), and each node is counted by the table below. Nothing is
constant-folded: a node costs what it computes on every run, constant inputs or not. Totals
are for one run of `batch` detections; the *_per_detection properties divide by `batch` (a
detection: one received vector y with its channel h). Work on constants is paid once per run,
so they may differ slightly between batch sizes; the shipped models' MatMuls are all per item.

Counting rules (n: elements of the node's first output, N: of its first input):

| ops | FLOPs | of which transcendental |
|---|---|---|
| MatMul [..,M,K]·[..,K,N], batch dims broadcast | 2·MACs, MACs = prod(batch)·M·N·K | 0 |
| Gemm A[M,K]·B[K,N] (after transA, transB) | 2·MACs (M·N·K); + M·N if alpha ≠ 1 | 0 |
| ... with C and beta ≠ 0 | + M·N adds; + M·N more if beta ≠ 1 | 0 |
| elementwise, E below | n | 0 |
| Max Min Sum (variadic, k inputs) | (k − 1)·n | 0 |
| Mean (k inputs) | k·n (k − 1 adds, a divide) | 0 |
| Clip | n per bound given (a comparison each; none: a copy) | 0 |
| Exp Log Tanh Sigmoid Softplus Erf Sin Cos Elu | n | n |
| Pow | n | n; 0 if the exponent is a constant of whole numbers |
| ReduceSum ReduceMax ReduceMin ReduceProd ArgMax ArgMin | N | 0 |
| ReduceMean | N + n (a divide per output) | 0 |
| ReduceSumSquare | 2·N (square and add) | 0 |
| ReduceLogSumExp | 2·N + n (exp, add; a log per output) | N + n |
| LayerNormalization (R rows normalised) | 5·N + 4·R; + N with a bias | 0 |
| Softmax | 3·N (exp, add, divide) | N |
| LogSoftmax | 3·N + R (exp, add, subtract; a log per row, R rows) | N + R |
| Where | 0: a select moves data, it computes nothing | 0 |
| data movement and index bookkeeping, Z below | 0 | 0 |

E: Add Sub Mul Div Neg Abs Relu Sqrt Reciprocal Sign Floor Ceil Round Equal Less LessOrEqual
Greater GreaterOrEqual And Or Xor Not IsNaN IsInf. Z: Reshape Transpose Squeeze Unsqueeze
Concat Slice Gather GatherND Shape Size Constant Identity Cast Expand Split Flatten ConstantOfShape Range
Tile EyeLike. A Pow by a whole-number constant is multiplications in a runtime; any other Pow
is exp(b·log a).

A reduction of N inputs to n outputs takes N − n operations; it is counted as N, the same
convention as the MatMul row. The row max a runtime's Softmax subtracts (for range) is not
counted: it is no part of the function. LayerNormalization over rows of the input: the mean (N
adds, a divide per row), x − μ (N), the variance (square and add, 2·N; a divide per row), + ε,
√ and 1/σ (a row each), · 1/σ (N), · scale (N), + bias (N, when given).

A model with a dynamic Nt axis (its manifest's nt_range, RE-MIMO) is counted at one Nt, given
as `nt`: axis 2 of input h is fixed to it as the batch axis is to `batch`. The manifest is the
JSON file beside the model or, without one, the model's metadata_props.

1 MAC = 2 FLOPs (a multiply and an add, as most FLOP counters report). The WeSNet paper's
Table I counts a matrix-vector product Ab (A: M×N) as 2MN − M: the first product of each of
the M outputs is not added to anything. Here it is 2MN; the difference, M, is one add per
output element, small beside 2MN unless N is tiny. A Gemm's C adds M·N, so that
Gemm(A, B, C) and MatMul + Add count the same.

Any other op, another domain's, and control flow (If, Loop, Scan: how often a subgraph runs
is not in the graph) raise ValueError naming the node: no op is guessed at or counted as 0
without a rule. So does a shape that stays unknown, naming the node and the tensor.

Parameters: elements of all initializers (learned weights and the graph's constants, shape
vectors included) and, separately, of the floating-point ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, inliner, numpy_helper

from .graph_shapes import fix_batch, resolve_shapes

_ZERO = frozenset({
    "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice", "Gather", "GatherND", "Shape", "Size",
    "Constant", "Identity", "Cast", "Expand", "Split", "Flatten", "ConstantOfShape", "Range",
    "Tile", "EyeLike", "Where"})
_ELEMENTWISE = frozenset({
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Relu", "Sqrt", "Reciprocal", "Sign", "Floor", "Ceil",
    "Round", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Not",
    "IsNaN", "IsInf"})
_TRANSCENDENTAL = frozenset({"Exp", "Log", "Tanh", "Sigmoid", "Softplus", "Erf", "Sin", "Cos", "Elu"})
_VARIADIC = frozenset({"Max", "Min", "Sum"})
#: reductions at one operation per input element
_REDUCE = frozenset({"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ArgMax", "ArgMin"})
_OTHER = frozenset({"MatMul", "Gemm", "Mean", "Clip", "Pow", "ReduceMean", "ReduceSumSquare",
                    "ReduceLogSumExp", "Softmax", "LogSoftmax", "LayerNormalization"})
SUPPORTED_OPS = _ZERO | _ELEMENTWISE | _TRANSCENDENTAL | _VARIADIC | _REDUCE | _OTHER
_CONTROL_FLOW = frozenset({"If", "Loop", "Scan"})


@dataclass(frozen=True)
class GraphCost:
    """Cost of one run of an ONNX graph on `batch` detections (module docstring: the rules)."""

    batch: int
    macs: int                   #: MatMul and Gemm multiply-adds of the run
    flops: int                  #: all operations of the run, 1 MAC = 2 FLOPs
    transcendentals: int        #: of the flops, evaluations of exp, log, tanh, pow ...
    flops_by_op: dict = field(hash=False)   #: op type -> FLOPs of the run (0 for data movement)
    nodes_by_op: dict = field(hash=False)   #: op type -> number of nodes
    params: int                 #: elements of all initializers
    float_params: int           #: elements of the floating-point initializers
    file_bytes: int | None = None           #: size of the file, when given a path

    @property
    def macs_per_detection(self) -> float:
        return self.macs / self.batch

    @property
    def flops_per_detection(self) -> float:
        return self.flops / self.batch

    @property
    def transcendentals_per_detection(self) -> float:
        return self.transcendentals / self.batch

    def top_ops(self, k: int = 3) -> list[tuple[str, int]]:
        """The k op types with most FLOPs, most first (ties by name)."""
        ranked = sorted(self.flops_by_op.items(), key=lambda kv: (-kv[1], kv[0]))
        return [kv for kv in ranked if kv[1] > 0][:k]


def graph_cost(model, batch: int = 1, nt: int | None = None) -> GraphCost:
    """Count the graph `model` (a path or an onnx.ModelProto) with its batch axis fixed to `batch`
    and, for a model with a dynamic Nt axis (manifest nt_range), its Nt fixed to `nt` (required
    there; for any other model optional, and then it must be the model's Nt).
    ValueError: an unreadable file, an nt the model does not serve, or a graph these rules cannot
    count (module docstring)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a whole number >= 1, got {batch!r}")
    if nt is not None and (isinstance(nt, bool) or not isinstance(nt, int) or nt < 1):
        raise ValueError(f"nt must be a whole number >= 1, got {nt!r}")
    source = model
    model, file_bytes = _load(model)
    fixed_axes = _nt_axes(model, source, nt)
    if model.functions:
        # model-local functions (torch.onnx may write them) are counted as their bodies
        model = inliner.inline_local_functions(model)
    _check_ops(model)
    info = resolve_shapes(fix_batch(model, batch, fixed_axes))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    consts = _constants(model)
    macs = flops = trans = 0
    flops_by_op: dict[str, int] = {}
    nodes_by_op: dict[str, int] = {}
    for node in model.graph.node:
        m, f, t = _count(node, _Shapes(node, info), consts, opset)
        macs, flops, trans = macs + m, flops + f, trans + t
        flops_by_op[node.op_type] = flops_by_op.get(node.op_type, 0) + f
        nodes_by_op[node.op_type] = nodes_by_op.get(node.op_type, 0) + 1
    params = float_params = 0
    for init in list(model.graph.initializer) + [s.values for s in model.graph.sparse_initializer]:
        n = math.prod(init.dims)
        params += n
        if TensorProto.DataType.Name(init.data_type).startswith(("FLOAT", "BFLOAT", "DOUBLE")):
            float_params += n
    return GraphCost(batch=batch, macs=macs, flops=flops, transcendentals=trans,
                     flops_by_op=flops_by_op, nodes_by_op=nodes_by_op, params=params,
                     float_params=float_params, file_bytes=file_bytes)


# --- reading and checking the graph

def _load(model):
    if isinstance(model, onnx.ModelProto):
        return model, None
    path = Path(model)
    size = path.stat().st_size          # OSError (missing file) names the path itself
    try:
        loaded = onnx.load(str(path))
    except Exception as exc:            # protobuf's DecodeError and friends: not an ONNX file
        raise ValueError(f"'{path}' cannot be read as an ONNX model ({type(exc).__name__})") from None
    if not loaded.graph.node:
        raise ValueError(f"'{path}' holds no ONNX graph (no nodes)")
    return loaded, size


def _manifest(model, source):
    """The model's manifest (the JSON file beside a path, else metadata_props), or None."""
    from ..manifest import manifest_from_metadata, read_manifest

    props = {p.key: p.value for p in model.metadata_props}
    if isinstance(source, onnx.ModelProto):
        return manifest_from_metadata(props) if "manifest_version" in props else None
    try:
        return read_manifest(source, props)
    except ValueError:
        return None     # a graph without a manifest (hand-made, or a foreign one): no Nt to check


def _nt_axes(model, source, nt) -> dict:
    """{(input, axis): size} fixing a dynamic Nt axis at `nt`; ValueError for an nt the model
    does not serve (module docstring)."""
    from ..manifest import nt_range, nt_range_text

    manifest = _manifest(model, source)
    if manifest is None or "nt" not in manifest:
        if nt is not None:
            raise ValueError(f"nt={nt}: the model has no manifest saying which Nt it serves; count it without nt")
        return {}
    lo, hi = nt_range(manifest)
    if lo == hi:
        if nt is not None and nt != hi:
            raise ValueError(f"nt={nt}: the model is for Nt={hi} (fixed); count it with nt={hi} or without nt")
        return {}
    if nt is None or not lo <= nt <= hi:
        got = "no nt given" if nt is None else f"got nt={nt}"
        raise ValueError(f"the model has a dynamic Nt axis ({nt_range_text(lo, hi)}): its cost depends on "
                         f"Nt, give nt in {lo}..{hi} ({got})")
    return {("h", 2): nt}


def _node_name(node) -> str:
    return f"node '{node.name}' ({node.op_type})" if node.name else f"a {node.op_type} node"


def _check_ops(model) -> None:
    for node in model.graph.node:
        if node.op_type in _CONTROL_FLOW or any(a.type in (a.GRAPH, a.GRAPHS) for a in node.attribute):
            raise ValueError(f"{_node_name(node)}: control flow ({node.op_type} runs a subgraph) is not "
                             f"counted: which branch runs, or how often, is not in the graph")
        own = node.domain in ("", "ai.onnx")
        if not own or node.op_type not in SUPPORTED_OPS:
            op = node.op_type if own else f"{node.domain}::{node.op_type}"
            raise ValueError(f"unsupported op {op} ({_node_name(node)}): no counting rule for it")


def _constants(model) -> dict:
    """Initializers and Constant values by name (Pow's exponent)."""
    found = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    found[node.output[0]] = a.t
    return found


# --- the rules

class _Shapes:
    """Shapes of one node's tensors; an unknown one raises ValueError naming node and tensor."""

    def __init__(self, node, info):
        self.node, self.info = node, info

    def __call__(self, name: str) -> tuple:
        shape = self.info.get(name, (0, None))[1]
        if shape is None:
            raise ValueError(f"{_node_name(self.node)}: the shape of '{name}' is unknown after shape "
                             f"inference (its cost depends on it)")
        return shape

    def size(self, name: str) -> int:
        return math.prod(self(name))


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _count(node, shape: _Shapes, consts: dict, opset: int) -> tuple[int, int, int]:
    """(MACs, FLOPs, transcendentals) of one node."""
    op = node.op_type
    if op in _ZERO:
        return 0, 0, 0
    if op == "MatMul":
        return _matmul(node, shape)
    if op == "Gemm":
        return _gemm(node, shape)
    out = node.output[0]
    inputs = [i for i in node.input if i]
    if op in _ELEMENTWISE:
        return 0, shape.size(out), 0
    if op in _TRANSCENDENTAL:
        n = shape.size(out)
        return 0, n, n
    if op in _VARIADIC:
        return 0, (len(inputs) - 1) * shape.size(out), 0
    if op == "Mean":
        return 0, len(inputs) * shape.size(out), 0
    if op == "Clip":
        # the bounds are optional inputs from opset 11; before, attributes that default to ±max
        bounds = len(inputs) - 1 if opset >= 11 else 2
        return 0, bounds * shape.size(out), 0
    if op == "Pow":
        n = shape.size(out)
        e = consts.get(node.input[1])
        whole = e is not None and bool(np.all(np.mod(numpy_helper.to_array(e), 1) == 0))
        return 0, n, 0 if whole else n
    if op in ("Softmax", "LogSoftmax"):
        n = shape.size(node.input[0])
        if op == "Softmax":
            return 0, 3 * n, n
        dims = shape(node.input[0])
        axis = _attrs(node).get("axis", -1 if opset >= 13 else 1) % max(len(dims), 1)
        # before opset 13 the input is seen as 2-D [prod(dims[:axis]), prod(dims[axis:])]
        rows = math.prod(dims[:axis]) if opset < 13 else n // max(dims[axis], 1) if dims else 1
        return 0, 3 * n + rows, n + rows
    # reductions
    n_in = shape.size(node.input[0])
    if op.startswith("Reduce") and _reduces_nothing(node):
        return 0, 0, 0
    if op in _REDUCE:
        return 0, n_in, 0
    n_out = shape.size(out)
    if op == "ReduceMean":
        return 0, n_in + n_out, 0
    if op == "ReduceSumSquare":
        return 0, 2 * n_in, 0
    if op == "ReduceLogSumExp":
        return 0, 2 * n_in + n_out, n_in + n_out
    if op == "LayerNormalization":
        dims = shape(node.input[0])
        axis = _attrs(node).get("axis", -1) % max(len(dims), 1)
        rows = math.prod(dims[:axis])
        bias = len(node.input) > 2 and bool(node.input[2])
        return 0, (6 if bias else 5) * n_in + 4 * rows, 0
    raise AssertionError(f"{op} is in SUPPORTED_OPS without a rule")


def _reduces_nothing(node) -> bool:
    """noop_with_empty_axes=1 without axes: the reduction is an identity."""
    a = _attrs(node)
    has_axes = "axes" in a or (len(node.input) > 1 and node.input[1])
    return bool(a.get("noop_with_empty_axes", 0)) and not has_axes


def _matmul(node, shape: _Shapes) -> tuple[int, int, int]:
    a, b = shape(node.input[0]), shape(node.input[1])
    # numpy semantics: a 1-D left operand is a row [1, K], a 1-D right operand a column [K, 1]
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    (m, k), n = a2[-2:], b2[-1]      # equal inner dimensions: strict inference checked them
    batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    macs = math.prod(batch) * m * n * k
    return macs, 2 * macs, 0


def _gemm(node, shape: _Shapes) -> tuple[int, int, int]:
    at = _attrs(node)
    a, b = shape(node.input[0]), shape(node.input[1])
    m, k = (a[1], a[0]) if at.get("transA", 0) else a
    n = b[0] if at.get("transB", 0) else b[1]
    macs = m * n * k
    flops = 2 * macs
    alpha, beta = at.get("alpha", 1.0), at.get("beta", 1.0)
    if alpha != 1:
        flops += m * n                  # alpha·(A·B): one multiplication per output element
    if len(node.input) > 2 and node.input[2] and beta != 0:
        flops += m * n                  # + C, broadcast to [M, N]
        if beta != 1:
            flops += m * n              # beta·C
    return macs, flops, 0
