# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape of every tensor of an ONNX graph at a fixed batch size, for graph_cost.

fix_batch sets the symbolic first axis of the inputs; resolve_shapes runs onnx's shape
inference (strict, with data propagation) and evaluates the graph's small integer shape
arithmetic where that inference stops. Neither changes what graph_cost counts: the nodes are
counted from the original graph.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

#: element types of the graph's shape arithmetic, the tensors resolve_shapes evaluates
_INDEX_TYPES = frozenset(v for k, v in TensorProto.DataType.items() if k.startswith(("INT", "UINT", "BOOL")))
#: shape vectors are a few elements; a larger integer tensor is data, and is not evaluated
_MAX_INDEX_ELEMENTS = 4096
#: each round resolves at least one more tensor; shape arithmetic is rarely more than a few deep
_MAX_ROUNDS = 16


def fix_batch(model, batch: int, axes: dict | None = None):
    """A copy of `model` with the symbolic first axis of every input set to `batch`, each symbolic
    (input name, axis) of `axes` set to its value (a dynamic Nt axis), and the exporter's
    intermediate shapes cleared (they hold the symbolic names, which inference would keep).
    ValueError for another symbolic axis, and for batch != 1 when no axis is symbolic."""
    axes = dict(axes or {})
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    g = fixed.graph
    inits = {t.name for t in g.initializer}
    symbolic = False
    for v in g.input:
        if v.name in inits or not v.type.tensor_type.HasField("shape"):
            continue
        for axis, d in enumerate(v.type.tensor_type.shape.dim):
            if d.HasField("dim_value"):
                continue
            if (v.name, axis) in axes:
                d.Clear()
                d.dim_value = axes.pop((v.name, axis))
                continue
            if axis:
                raise ValueError(f"input '{v.name}': axis {axis} is symbolic ({d.dim_param or '?'}); "
                                 f"only the first (batch) axis may be")
            d.Clear()
            d.dim_value, symbolic = batch, True
    if axes:
        raise ValueError(f"no symbolic axis {', '.join(f'{a} of input {n!r}' for n, a in axes)} to fix")
    if not symbolic and batch != 1:
        # a graph of fixed shapes runs as it is: dividing by another batch would misreport it
        raise ValueError(f"no input has a symbolic batch axis (the shapes are fixed): count it with "
                         f"batch=1, got batch={batch}")
    del g.value_info[:]
    for v in g.output:
        v.type.tensor_type.ClearField("shape")
    return fixed


def _infer(model):
    try:
        return shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except (shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        raise ValueError("shape inference failed: " + " ".join(str(exc).split())) from None


def _tensor_info(model) -> dict:
    """name -> (element type, shape tuple or None when some dimension is unknown)."""
    info = {t.name: (t.data_type, tuple(t.dims)) for t in model.graph.initializer}
    g = model.graph
    for v in list(g.input) + list(g.value_info) + list(g.output):
        if (v.name in info and info[v.name][1] is not None) or not v.type.HasField("tensor_type"):
            continue
        tt = v.type.tensor_type
        dims = tt.shape.dim if tt.HasField("shape") else None
        known = dims is not None and all(d.HasField("dim_value") for d in dims)
        info[v.name] = (tt.elem_type, tuple(d.dim_value for d in dims) if known else None)
    return info


def resolve_shapes(fixed) -> dict:
    """name -> (element type, shape or None) of every tensor of `fixed` (from fix_batch).

    onnx's data propagation follows a shape vector through Shape, Gather, Concat and the like,
    not through the Reshape, Min, Max and Sub of shape vectors that torch.diagonal exports. So
    the small integer tensors whose inputs are all known are evaluated here, and inference runs
    again on a copy where they are constants, until nothing more resolves. The copy serves
    shapes only. A shape left unknown is None: the caller says which node needed it."""
    values: dict[str, np.ndarray] = {}
    work = fixed
    for _ in range(_MAX_ROUNDS):
        info = _tensor_info(_infer(work))
        if all(info.get(o, (0, None))[1] is not None for n in fixed.graph.node for o in n.output if o):
            return info
        if not _propagate(fixed, info, values):
            return info
        work = _with_values(fixed, values)
    return info


def _propagate(fixed, info: dict, values: dict) -> bool:
    """Adds to `values` the outputs of Shape and Size of known shapes and of nodes computing
    small integer tensors from known ones; True when it found any."""
    inits = {t.name: t for t in fixed.graph.initializer}
    found = False
    for node in fixed.graph.node:
        outs = [o for o in node.output if o]
        if all(o in values for o in outs):
            continue
        if node.op_type in ("Shape", "Size"):
            shape = info.get(node.input[0], (0, None))[1]
            if shape is None:
                continue
            if node.op_type == "Size":
                values[outs[0]] = np.array(math.prod(shape), dtype=np.int64)
            else:
                a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
                # Shape's start and end clamp like a Python slice
                dims = shape[a.get("start", 0):a.get("end", len(shape))]
                values[outs[0]] = np.array(dims, dtype=np.int64)
            found = True
            continue
        if not all(info.get(o, (None,))[0] in _INDEX_TYPES for o in outs):
            continue
        feeds = {}
        for name in filter(None, node.input):
            if name in values:
                feeds[name] = values[name]
            elif name in inits and math.prod(inits[name].dims) <= _MAX_INDEX_ELEMENTS:
                feeds[name] = numpy_helper.to_array(inits[name])
            else:
                break
        else:
            results = _evaluate(node, feeds, info, fixed.opset_import)
            if results is not None and all(r.size <= _MAX_INDEX_ELEMENTS for r in results):
                values.update(zip(outs, results))
                found = True
    return found


def _evaluate(node, feeds: dict, info: dict, opset_import):
    """The outputs of `node` on `feeds` by onnx's reference runtime (pure numpy), or None."""
    from onnx.reference import ReferenceEvaluator

    inputs = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
              for k, v in feeds.items()]
    outputs = [helper.make_tensor_value_info(o, info[o][0], None) for o in node.output if o]
    m = helper.make_model(helper.make_graph([node], "node", inputs, outputs), opset_imports=opset_import)
    try:
        return [np.asarray(r) for r in ReferenceEvaluator(m).run(None, feeds)]
    except Exception:       # left unresolved: the count names the node if its cost needs it
        return None


def _with_values(fixed, values: dict):
    """A copy of `fixed` with the nodes whose outputs are all in `values` replaced by constants."""
    work = onnx.ModelProto()
    work.CopyFrom(fixed)
    keep, dropped = [], []
    for n in work.graph.node:
        outs = [o for o in n.output if o]
        if all(o in values for o in outs):
            dropped += outs
        else:
            keep.append(n)
    del work.graph.node[:]
    work.graph.node.extend(keep)
    work.graph.initializer.extend(numpy_helper.from_array(values[o], o) for o in dropped)
    return work
