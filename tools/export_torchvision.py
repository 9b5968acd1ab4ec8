#!/usr/bin/python3
"""Export every torchvision image-classification architecture to ONNX, weights stripped.

Usage (Debian: apt-get install python3-torch python3-torchvision python3-onnx):

    /usr/bin/python3 tools/export_torchvision.py --out data/corpus/torchvision

Each model is built with ``weights=None`` (nothing is downloaded), seeded, put in eval mode and
exported at batch 1 and its standard input size (the eval crop size of its ImageNet weights
entry, read from torchvision's metadata; ViT uses its built-in image size). Constant folding is
on. Every parameter tensor with more than KEEP_ELEMENTS (64) elements has its data stripped, as
valid ONNX external data that is never shipped (see STRIP CONVENTION below). Then Constant nodes
become initializers, torch's static shape arithmetic (Shape/Gather/Concat/... chains) is
evaluated and folded into initializers, and ONNX shape inference is repeated until every node
output has a static shape; the value_info is kept (``--no-fold`` skips the folding). Each model is exported in its own subprocess (one at a
time, one thread), so a model that fails or times out is skipped with the reason recorded.
At the end every file is re-checked and ``models.json``, ``README.md`` and
``LICENSE-torchvision.txt`` are (re)written in the output directory.

STRIP CONVENTION (what the pipecut ONNX importer relies on):
  * a tensor (graph initializer, or the ``value`` tensor of a Constant node) with more than
    KEEP_ELEMENTS (64) elements keeps ``name``, ``dims`` and ``data_type``; every data field
    (raw_data, float_data, int32_data, int64_data, double_data, uint64_data, string_data) is
    cleared; ``data_location = EXTERNAL``; ``external_data`` = [("location", "stripped"),
    ("length", str(numel * element_size))]. No file called ``stripped`` exists.
  * tensors with at most KEEP_ELEMENTS elements keep their data inline (shapes, axes, scalars,
    small biases), so Reshape/Slice/Expand targets etc. remain constant-foldable.
  * byte size of any tensor = product(dims) * element size of data_type.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

KEEP_ELEMENTS = 64
STRIP_LOCATION = "stripped"
DEFAULT_OPSET = 14

# ONNX TensorProto.DataType -> bytes per element
ELEM_SIZE = {
    1: 4,   # FLOAT
    2: 1,   # UINT8
    3: 1,   # INT8
    4: 2,   # UINT16
    5: 2,   # INT16
    6: 4,   # INT32
    7: 8,   # INT64
    9: 1,   # BOOL
    10: 2,  # FLOAT16
    11: 8,  # DOUBLE
    12: 4,  # UINT32
    13: 8,  # UINT64
    14: 8,  # COMPLEX64
    15: 16,  # COMPLEX128
    16: 2,  # BFLOAT16
}

DATA_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
               "uint64_data", "string_data")


def numel(tensor):
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def tensor_bytes(tensor):
    return numel(tensor) * ELEM_SIZE.get(tensor.data_type, 0)


def model_tensors(model):
    """Initializers and Constant-node value tensors of the main graph (and subgraphs)."""
    out = []

    def walk(graph):
        out.extend(graph.initializer)
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    out.append(attr.t)
                out.extend(attr.tensors)
                if attr.HasField("g"):
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return out


def strip_tensor(tensor):
    from onnx import TensorProto
    length = tensor_bytes(tensor)
    for f in DATA_FIELDS:
        tensor.ClearField(f)
    del tensor.external_data[:]
    tensor.data_location = TensorProto.EXTERNAL
    e = tensor.external_data.add()
    e.key = "location"
    e.value = STRIP_LOCATION
    e = tensor.external_data.add()
    e.key = "length"
    e.value = str(length)


def is_stripped(tensor):
    from onnx import TensorProto
    return (tensor.data_location == TensorProto.EXTERNAL and
            any(e.key == "location" and e.value == STRIP_LOCATION for e in tensor.external_data))


def strip_model(model, base_dir, keep_elements):
    """Strip large tensors; small tensors that torch wrote externally are loaded inline."""
    from onnx import TensorProto
    from onnx.external_data_helper import load_external_data_for_tensor
    stripped = 0
    for t in model_tensors(model):
        if t.data_type == TensorProto.STRING:
            continue
        if numel(t) > keep_elements:
            strip_tensor(t)
            stripped += 1
        elif t.data_location == TensorProto.EXTERNAL:
            load_external_data_for_tensor(t, base_dir)
            t.data_location = TensorProto.DEFAULT
            del t.external_data[:]
    return stripped


# ---------------------------------------------------------------------------------------------
# Static-shape folding. torch 1.13 traces Python-side shape arithmetic (x.shape, window and
# padding sizes, the Swin attention mask...) as Shape/Gather/Concat/... chains that ONNX shape
# inference cannot see through, leaving many tensors without a static shape. Since every model
# is exported for one fixed input shape, these chains are constants: evaluate them with numpy,
# replace them by initializers, and repeat shape inference until nothing changes. Nodes that
# read parameter *data* (stripped) or do real work on activations are never folded; all
# Constant nodes end up as initializers.

FOLD_MAX_ELEMENTS = 1 << 22


def _np_dtype(onnx_type):
    import onnx.mapping
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _attr(node, name, default=None):
    import onnx.helper
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _int_div(a, b):
    import numpy as np
    q = np.abs(a) // np.abs(b)
    return (q * np.sign(a) * np.sign(b)).astype(np.result_type(a, b))


def _eval_node(node, vals):
    """Evaluate one node on numpy inputs; returns list of outputs or None if unsupported."""
    import numpy as np
    from onnx import numpy_helper
    op = node.op_type
    x = vals
    if op == "Constant":
        t = _attr(node, "value")
        if t is not None:
            return [numpy_helper.to_array(t)]
        for k, dt in (("value_int", np.int64), ("value_float", np.float32)):
            v = _attr(node, k)
            if v is not None:
                return [np.array(v, dtype=dt)]
        for k, dt in (("value_ints", np.int64), ("value_floats", np.float32)):
            v = _attr(node, k)
            if v is not None:
                return [np.array(list(v), dtype=dt)]
        return None
    if op == "Identity":
        return [x[0]]
    if op == "Gather":
        return [np.take(x[0], x[1].astype(np.int64), axis=_attr(node, "axis", 0))]
    if op == "Unsqueeze":
        out = x[0]
        rank = out.ndim + len(x[1])
        for a in sorted(int(a) % rank for a in x[1].reshape(-1)):
            out = np.expand_dims(out, a)
        return [out]
    if op == "Squeeze":
        if len(x) > 1 and x[1] is not None:
            return [np.squeeze(x[0], axis=tuple(int(a) % x[0].ndim for a in x[1].reshape(-1)))]
        return [np.squeeze(x[0])]
    if op == "Concat":
        return [np.concatenate([v for v in x], axis=_attr(node, "axis"))]
    if op == "Slice":
        data = x[0]
        starts, ends = x[1].reshape(-1), x[2].reshape(-1)
        axes = x[3].reshape(-1) if len(x) > 3 and x[3] is not None else range(len(starts))
        steps = x[4].reshape(-1) if len(x) > 4 and x[4] is not None else [1] * len(starts)
        sl = [slice(None)] * data.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            a = int(a) % data.ndim
            n = data.shape[a]
            s, e, st = int(s), int(e), int(st)
            s = max(min(s + n if s < 0 else s, n if st > 0 else n - 1), 0 if st > 0 else -1)
            e = max(min(e + n if e < 0 else e, n if st > 0 else n - 1), 0 if st > 0 else -1)
            sl[a] = slice(s, e if e >= 0 else None, st)
        return [data[tuple(sl)]]
    if op == "Cast":
        return [x[0].astype(_np_dtype(_attr(node, "to")))]
    if op in ("Add", "Sub", "Mul"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op]
        return [f(x[0], x[1]).astype(np.result_type(x[0], x[1]))]
    if op == "Div":
        if np.issubdtype(x[0].dtype, np.integer):
            return [_int_div(x[0], x[1])]
        return [(x[0] / x[1]).astype(x[0].dtype)]
    if op == "Mod":
        if _attr(node, "fmod", 0):
            return [np.fmod(x[0], x[1])]
        return [np.mod(x[0], x[1])]
    if op in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"):
        f = {"Equal": np.equal, "Less": np.less, "Greater": np.greater,
             "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal,
             "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor}[op]
        return [f(x[0], x[1])]
    if op in ("Not", "Neg", "Abs", "Floor", "Ceil", "Sqrt", "Sign", "Reciprocal"):
        f = {"Not": np.logical_not, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor,
             "Ceil": np.ceil, "Sqrt": np.sqrt, "Sign": np.sign, "Reciprocal": np.reciprocal}[op]
        return [f(x[0]).astype(x[0].dtype)]
    if op in ("Min", "Max"):
        f = np.minimum if op == "Min" else np.maximum
        out = x[0]
        for v in x[1:]:
            out = f(out, v)
        return [out]
    if op == "Where":
        return [np.where(x[0], x[1], x[2]).astype(np.result_type(x[1], x[2]))]
    if op == "ConstantOfShape":
        t = _attr(node, "value")
        v = numpy_helper.to_array(t).reshape(-1) if t is not None else np.zeros(1, np.float32)
        shape = tuple(int(d) for d in x[0].reshape(-1))
        if int(np.prod(shape)) > FOLD_MAX_ELEMENTS:
            return None
        return [np.full(shape, v[0], dtype=v.dtype)]
    if op == "Range":
        return [np.arange(x[0], x[1], x[2]).astype(x[0].dtype)]
    if op == "Expand":
        shape = np.broadcast_shapes(x[0].shape, tuple(int(d) for d in x[1].reshape(-1)))
        if int(np.prod(shape)) > FOLD_MAX_ELEMENTS:
            return None
        return [np.array(np.broadcast_to(x[0], shape))]
    if op == "Tile":
        return [np.tile(x[0], tuple(int(r) for r in x[1].reshape(-1)))]
    if op == "Reshape":
        shape = [int(d) for d in x[1].reshape(-1)]
        if not _attr(node, "allowzero", 0):
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
        return [x[0].reshape(shape)]
    if op == "Transpose":
        perm = _attr(node, "perm")
        return [np.transpose(x[0], perm)]
    if op == "ScatterND":
        if _attr(node, "reduction", "none") not in ("none", b"none"):
            return None
        out = x[0].copy()
        idx = x[1].astype(np.int64)
        k = idx.shape[-1]
        out[tuple(idx[..., i] for i in range(k))] = x[2]
        return [out]
    if op == "ReduceProd":
        axes = _attr(node, "axes")
        keep = bool(_attr(node, "keepdims", 1))
        return [np.prod(x[0], axis=tuple(axes) if axes else None, keepdims=keep).astype(x[0].dtype)]
    return None


def _static_shapes(model):
    shapes = {}
    g = model.graph
    for v in list(g.input) + list(g.value_info) + list(g.output):
        tt = v.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[v.name] = tuple(d.dim_value for d in tt.shape.dim)
    for t in g.initializer:
        shapes[t.name] = tuple(t.dims)
    return shapes


def fold_static_shapes_once(model, keep_elements, cache):
    """One folding round on the main graph. Returns the number of nodes removed.

    ``cache`` keeps the values of tensors folded in earlier rounds: large ones are stripped
    when they become initializers, but later rounds may still need to evaluate through them.
    """
    import numpy as np
    from onnx import numpy_helper
    g = model.graph
    known = {}
    for t in g.initializer:
        if not is_stripped(t):
            known[t.name] = numpy_helper.to_array(t)
        elif t.name in cache:
            known[t.name] = cache[t.name]
    shapes = _static_shapes(model)
    folded = set()
    for i, node in enumerate(g.node):
        if any(a.HasField("g") or len(a.graphs) for a in node.attribute):
            continue
        if node.op_type == "Shape":
            if node.input[0] in shapes:
                known[node.output[0]] = np.array(shapes[node.input[0]], dtype=np.int64)
                folded.add(i)
            continue
        if node.op_type == "Size":
            if node.input[0] in shapes:
                known[node.output[0]] = np.array(int(np.prod(shapes[node.input[0]])), np.int64)
                folded.add(i)
            continue
        ins = []
        ok = True
        for name in node.input:
            if name == "":
                ins.append(None)
            elif name in known:
                ins.append(known[name])
            else:
                ok = False
                break
        if not ok:
            continue
        try:
            outs = _eval_node(node, ins)
        except Exception:  # noqa: BLE001 -- leave anything we cannot evaluate in place
            outs = None
        if outs is None or any(o.size > FOLD_MAX_ELEMENTS for o in outs):
            continue
        for name, val in zip(node.output, outs):
            known[name] = np.asarray(val)
        folded.add(i)
    if not folded:
        return 0
    # Which folded tensors are still needed by live nodes or as graph outputs?
    live = [n for i, n in enumerate(g.node) if i not in folded]
    needed = set()
    for n in live:
        needed.update(x for x in n.input if x)
    needed.update(o.name for o in g.output)
    produced_by_folded = set()
    for i in folded:
        produced_by_folded.update(g.node[i].output)
    new_inits = []
    for t in g.initializer:
        if t.name in needed:
            new_inits.append(t)
    have = {t.name for t in new_inits}
    for name in sorted(produced_by_folded & needed):
        if name in have:
            continue
        t = numpy_helper.from_array(known[name], name)
        cache[name] = known[name]
        if t.data_type != 8 and numel(t) > keep_elements:
            strip_tensor(t)
        new_inits.append(t)
    del g.node[:]
    g.node.extend(live)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    names = {t.name for t in g.initializer}
    keep_vi = [v for v in g.value_info if v.name not in names]
    del g.value_info[:]
    g.value_info.extend(keep_vi)
    return len(folded)


def _einsum_shapes(model):
    """ONNX 1.12 shape inference gives Einsum outputs no shape; add value_info for them."""
    import onnx.helper
    g = model.graph
    shapes = _static_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in list(g.input) + list(g.value_info)}
    added = 0
    for node in g.node:
        if node.op_type != "Einsum" or node.output[0] in shapes:
            continue
        if not all(i in shapes for i in node.input):
            continue
        eq = _attr(node, "equation")
        eq = (eq.decode() if isinstance(eq, bytes) else eq).replace(" ", "")
        if "->" not in eq or "..." in eq:
            continue
        lhs, rhs = eq.split("->")
        dims = {}
        for term, name in zip(lhs.split(","), node.input):
            shp = shapes[name]
            if len(term) != len(shp):
                break
            for c, d in zip(term, shp):
                if dims.get(c, 1) == 1:
                    dims[c] = d
        else:
            if all(c in dims for c in rhs):
                out = [dims[c] for c in rhs]
                et = types.get(node.input[0], 1)
                g.value_info.append(onnx.helper.make_tensor_value_info(node.output[0], et, out))
                added += 1
    return added


def hoist_constants(model):
    """Turn main-graph Constant nodes whose ``value`` tensor was stripped into initializers.

    Their data cannot be evaluated, so folding would leave them as nodes (e.g. the ScatterND
    indices of Swin V2's qkv-bias ``zero_()``); all other Constants are folded (and, if still
    needed, become initializers) by the folding pass. Returns the number of nodes removed.
    """
    g = model.graph
    keep, hoisted = [], []
    for node in g.node:
        t = _attr(node, "value") if node.op_type == "Constant" else None
        if t is not None and len(node.attribute) == 1 and is_stripped(t):
            t.name = node.output[0]
            hoisted.append(t)
        else:
            keep.append(node)
    if hoisted:
        del g.node[:]
        g.node.extend(keep)
        g.initializer.extend(hoisted)
        names = {t.name for t in hoisted}
        vi = [v for v in g.value_info if v.name not in names]
        del g.value_info[:]
        g.value_info.extend(vi)
    return len(hoisted)


def fold_static_shapes(model, keep_elements):
    """Fold + re-infer shapes until a fixed point. Returns (model, nodes removed)."""
    import onnx
    total = hoist_constants(model)
    cache = {}
    for _ in range(500):
        n = fold_static_shapes_once(model, keep_elements, cache)
        total += n
        if n:
            del model.graph.value_info[:]
        model = onnx.shape_inference.infer_shapes(model)
        e = _einsum_shapes(model)
        if e:
            model = onnx.shape_inference.infer_shapes(model)
        if n == 0 and e == 0:
            break
    return model, total


def unshaped_tensors(model):
    """Names of node outputs without a fully static shape after inference."""
    shapes = _static_shapes(model)
    return [o for n in model.graph.node for o in n.output if o and o not in shapes]


def input_size(name, model):
    """Standard eval input resolution for a torchvision classification model."""
    import torchvision.models as tvm
    if hasattr(model, "image_size"):  # ViT: fixed by the architecture
        return int(model.image_size)
    try:
        entries = list(tvm.get_model_weights(name))
    except Exception:
        return 224
    # Only the original ImageNet-1K recipe defines the architecture's standard size; models
    # with only SWAG weights (regnet_y_128gf: 384 end-to-end / 224 linear) use 224.
    pick = next((w for w in entries if w.name == "IMAGENET1K_V1"), None)
    if pick is None:
        return 224
    try:
        crop = pick.transforms().crop_size
        return int(crop[0] if isinstance(crop, (list, tuple)) else crop)
    except Exception:
        return 224


def meta_num_params(name):
    import torchvision.models as tvm
    try:
        entries = list(tvm.get_model_weights(name))
        return int(entries[0].meta["num_params"])
    except Exception:
        return None


def randomize_(model):
    """Give every float parameter and buffer distinct seeded random values.

    torchvision's initialisation leaves many tensors with identical values (BatchNorm bias 0,
    running mean 0, running var 1), so after eval-mode BatchNorm folding many Conv biases are
    equal and torch's exporter deduplicates them into one initializer plus Identity nodes, a
    structure that real trained weights would not have. Random values avoid that artefact.
    """
    import torch
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            else:
                t.uniform_(-0.1, 0.1)


def register_symbolics():
    """ONNX symbolics torch 1.13 lacks.

    aten::zero (in-place ``zero_()``): Swin V2 zeroes the key third of its qkv bias, a
    parameter-only computation that torch's constant folding then removes. zero(x) = x - x
    (exact for the finite values the model is given).
    """
    import torch.onnx

    def zero(g, self):
        return g.op("Sub", self, self)

    torch.onnx.register_custom_op_symbolic("aten::zero", zero, 9)


def worker(name, out_dir, opset, keep_elements, fold=True):
    """Export one model into out_dir/<name>.onnx. Prints one JSON line with the result."""
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    import torchvision.models as tvm
    import onnx

    torch.set_num_threads(1)
    torch.manual_seed(0)
    register_symbolics()
    t0 = time.time()
    model = tvm.get_model(name, weights=None)
    model.eval()
    randomize_(model)
    size = input_size(name, model)
    torch_params = sum(p.numel() for p in model.parameters())
    x = torch.zeros(1, 3, size, size)
    with tempfile.TemporaryDirectory(prefix="tvexport-") as tmp:
        raw = os.path.join(tmp, "model.onnx")
        # Not under no_grad: with grad disabled nn.MultiheadAttention takes its fused
        # "fast path" (aten::_native_multi_head_attention), which has no ONNX symbolic.
        torch.onnx.export(model, (x,), raw, export_params=True, opset_version=opset,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["logits"], training=torch.onnx.TrainingMode.EVAL)
        del model
        m = onnx.load(raw, load_external_data=False)
        stripped = strip_model(m, tmp, keep_elements)
    m = onnx.shape_inference.infer_shapes(m)
    exported_nodes = len(m.graph.node)
    before = _static_shapes(m)
    folded = 0
    if fold:
        m, folded = fold_static_shapes(m, keep_elements)
        after = _static_shapes(m)
        bad = [t for t in before if t in after and before[t] != after[t]]
        if bad:
            raise RuntimeError("folding changed the shape of %s" % bad[0])
    unshaped = unshaped_tensors(m)
    path = os.path.join(out_dir, name + ".onnx")
    tmp_path = path + ".tmp"
    with open(tmp_path, "wb") as f:
        f.write(m.SerializeToString(deterministic=True))
    os.replace(tmp_path, path)
    print(json.dumps({"name": name, "input_size": size, "torch_parameters": torch_params,
                      "stripped_tensors": stripped, "exported_operators": exported_nodes,
                      "folded_operators": folded, "unshaped_tensors": len(unshaped),
                      "export_seconds": round(time.time() - t0, 1)}))


def inspect(path):
    """Load a saved file without external data, check it, re-run shape inference; stats."""
    import onnx
    from onnx import TensorProto
    m = onnx.load(path, load_external_data=False)
    # The checker insists that an external-data location exists (relative to the working
    # directory for an in-memory proto); it does not read it. Run it next to an empty placeholder.
    checker = "ok"
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="tvcheck-") as tmp:
        open(os.path.join(tmp, STRIP_LOCATION), "wb").close()
        os.chdir(tmp)
        try:
            onnx.checker.check_model(m, full_check=True)
        except Exception as e:  # noqa: BLE001
            checker = "failed: " + str(e).splitlines()[0][:200]
        finally:
            os.chdir(cwd)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    g = m.graph
    params = sum(numel(t) for t in g.initializer)
    param_bytes = sum(tensor_bytes(t) for t in g.initializer)
    const_elems = sum(numel(n.attribute[0].t) for n in g.node
                      if n.op_type == "Constant" and n.attribute and n.attribute[0].HasField("t"))
    missing = len(unshaped_tensors(m))
    ops = {}
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    inp = g.input[0].type.tensor_type.shape.dim
    for t in model_tensors(m):
        if numel(t) > KEEP_ELEMENTS and t.data_type != TensorProto.STRING:
            assert is_stripped(t), (path, t.name)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return {
        "operators": len(g.node),
        "op_types": dict(sorted(ops.items())),
        "initializers": len(g.initializer),
        "parameters": params,
        "parameter_bytes": param_bytes,
        "constant_elements": const_elems,
        "tensors_without_shape": missing,
        "input_shape": [d.dim_value for d in inp],
        "opset": next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None),
        "checker": checker,
        "file_bytes": os.path.getsize(path),
        "sha256": sha,
    }


def list_classification_models():
    import torchvision
    import torchvision.models as tvm
    if hasattr(tvm, "list_models"):
        return sorted(tvm.list_models(module=tvm))
    raise SystemExit("torchvision %s lacks models.list_models (need >= 0.14)" % torchvision.__version__)


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def write_index(out_dir, rows, skipped, versions, opset):
    total = sum(r["file_bytes"] for r in rows)
    doc = {
        "corpus": "torchvision image-classification architectures (no weights)",
        "generator": "tools/export_torchvision.py",
        "versions": versions,
        "opset": opset,
        "strip_convention": {
            "keep_elements": KEEP_ELEMENTS,
            "data_location": "EXTERNAL",
            "external_data": {"location": STRIP_LOCATION, "length": "numel * element size"},
        },
        "total_bytes": total,
        "models": rows,
        "skipped": skipped,
    }
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")

    lines = []
    lines.append("# torchvision testbed corpus\n")
    lines.append(
        "ONNX graphs of every torchvision image-classification architecture that exports cleanly, "
        "standing in for production models when evaluating pipecut. **Architectures only: no "
        "trained weights** (models are built with `weights=None`; every float parameter and buffer "
        "is then set to seeded uniform random values, because torchvision's initial values, e.g. "
        "all-zero BatchNorm biases, make the exporter merge identical folded Conv biases into one "
        "initializer plus `Identity` nodes, a structure trained weights would not have; the "
        "parameter data is then stripped). Files are plain ONNX protobuf; torch is not "
        "needed to use them.\n")
    lines.append("## Regenerate\n")
    lines.append("```sh\napt-get install python3-torch python3-torchvision python3-onnx\n"
                 "/usr/bin/python3 tools/export_torchvision.py --out data/corpus/torchvision\n```\n")
    lines.append(
        "Generated with torch %s, torchvision %s, onnx %s; ONNX opset %d. Each model is exported "
        "in eval mode, batch 1, at its standard evaluation resolution (the crop size of its "
        "torchvision `IMAGENET1K_V1` weights entry, e.g. 224, inception_v3 299, swin_v2 256, "
        "efficientnet_b7 600; 224 for ViT models, fixed by the architecture built without "
        "weights, and for regnet_y_128gf, which only has SWAG weights), with `do_constant_folding=True` "
        "(so eval-mode BatchNorm is folded into the preceding Conv where torch does that). ONNX shape "
        "inference was run and its `value_info` is stored, so every intermediate tensor has a "
        "static shape. Input is named `input` (float32 `[1,3,H,W]`), output `logits` (`[1,1000]`). "
        "Output is deterministic for a given torch/torchvision/onnx version (same seed, one "
        "thread, deterministic protobuf serialisation); `sha256` in `models.json` lets you check.\n"
        % (versions["torch"], versions["torchvision"], versions["onnx"], opset))
    lines.append(
        "**Static-shape folding.** torch 1.13 traces Python-side shape arithmetic (`x.shape`, "
        "window/padding sizes, the Swin attention mask, ViT's class-token expand) as chains of "
        "`Shape`/`Gather`/`Concat`/`ConstantOfShape`/`ScatterND`... nodes that ONNX shape inference "
        "cannot see through, so many tensors had no static shape (swin_t: 2 067 of 6 532). As "
        "each file is exported for one fixed input shape, the script evaluates those chains with "
        "numpy (`Shape`/`Size` of a statically shaped tensor, and any supported operator whose "
        "inputs are all known constants), replaces them by initializers, re-runs shape inference, "
        "and repeats to a fixed point (ONNX 1.12 gives `Einsum` outputs no shape, so the script "
        "adds those from the equation). It checks that no tensor's shape changed. Nodes reading "
        "parameter data (stripped) or activations are never folded, so parameter-only subgraphs "
        "(e.g. Swin V2's position-bias MLP, see below) remain for the importer to fold. After this "
        "**every node output has a fully static shape in `value_info`** and no `Constant` nodes "
        "remain (their tensors are initializers). `exported_operators` and `folded_operators` in "
        "models.json give the counts before/after; `--no-fold` skips this step.\n")
    lines.append("Options: `--models a,b` to export a subset, `--max-params N` (default 1e9, i.e. none) to skip "
                 "giant models (regnet_y_128gf and vit_h_14 need about 7 GB RAM), `--timeout S` per model, `--keep-existing` to resume, "
                 "`--index-only` to just re-check files and rewrite this README/models.json.\n")
    lines.append("## Weight-stripping convention\n")
    lines.append(
        "Every tensor holding parameters, i.e. each graph initializer and the `value` tensor of "
        "each `Constant` node, with **more than %d elements** is stored as *external data that is "
        "never shipped*:\n\n"
        "* `name`, `dims` and `data_type` are kept exactly;\n"
        "* all data fields (`raw_data`, `float_data`, `int32_data`, `int64_data`, `double_data`, "
        "`uint64_data`, `string_data`) are empty;\n"
        "* `data_location = EXTERNAL` and `external_data = [{key: \"location\", value: \"%s\"}, "
        "{key: \"length\", value: <bytes>}]` where bytes = product(dims) x element size of "
        "`data_type` (no `offset` entry). No file named `%s` exists.\n\n"
        "Tensors with at most %d elements (Reshape/Slice/Expand shapes, axes, scalars, small "
        "biases) keep their data inline, because they carry structure. This is valid ONNX: "
        "`onnx.load(path, load_external_data=False)` reads every file, ONNX shape inference "
        "(strict mode) works, and `onnx.checker.check_model(model, full_check=True)` on the loaded "
        "proto passes provided a file named `%s` exists in the working directory (the checker "
        "only tests that the external location exists; an empty file is enough, which is what "
        "the script does when verifying). A consumer that needs only "
        "structure and sizes (the pipecut importer) should read dims x dtype of each initializer "
        "and never try to open the external location. Do not call `onnx.load` with external data "
        "loading on (the default): it will fail on the missing `%s` file.\n"
        % (KEEP_ELEMENTS, STRIP_LOCATION, STRIP_LOCATION, KEEP_ELEMENTS, STRIP_LOCATION,
           STRIP_LOCATION))
    lines.append("## Models\n")
    lines.append("%d models, %s in total. *Operators* = ONNX nodes in the graph after "
                 "folding; *parameters* = elements over all initializers, from their "
                 "dims (after torch's constant folding, so BatchNorm parameters folded into Conv "
                 "are not counted twice; it does include constant buffers such as Swin's "
                 "relative-position index and the folded attention masks; torchvision's own count "
                 "is `torch_parameters` in models.json).\n" % (len(rows), human(total)))
    lines.append("| model | input | operators | parameters | file size |")
    lines.append("|---|---|---:|---:|---:|")
    for r in rows:
        lines.append("| %s | %d | %d | %s | %s |" % (
            r["name"], r["input_size"], r["operators"], format(r["parameters"], ","),
            human(r["file_bytes"])))
    lines.append("")
    usage = {}
    for r in rows:
        for op in r["op_types"]:
            usage[op] = usage.get(op, 0) + 1
    lines.append("Operator types used across the corpus (number of models using each): " +
                 ", ".join("`%s` %d" % (op, n) for op, n in sorted(usage.items())) + ".\n")
    lines.append("## Export workarounds\n")
    lines.append(
        "* Models are exported with autograd enabled: under `torch.no_grad()` "
        "`nn.MultiheadAttention` (ViT) takes its fused fast path "
        "(`aten::_native_multi_head_attention`), which torch 1.13 cannot export.\n"
        "* Swin V2 calls `zero_()` on a slice of its qkv bias (`aten::zero`, no ONNX symbolic in "
        "torch 1.13); the script registers `zero(x) = Sub(x, x)`.\n"
        "* Parameter-only subgraphs (every input an initializer, directly or transitively) that "
        "remain, for the importer to fold: Swin V2's continuous position-bias MLP on its "
        "coordinate table (`MatMul`/`Relu`/`Sigmoid`/`Gather`/... ), the `qkv.bias` -> `ScatterND` "
        "of the `zero_()` above, and `Identity` nodes for the relative-position-index buffers "
        "torch deduplicates (the only `Identity` nodes in the corpus); a `Pow` per block in Swin "
        "V1; the class-token `Expand` in ViT. No other model has any.\n")
    lines.append("## Skipped models\n")
    if skipped:
        for s in skipped:
            lines.append("* `%s`: %s" % (s["name"], s["reason"]))
    else:
        lines.append("None: every classification model in torchvision %s exports."
                     % versions["torchvision"])
    lines.append("")
    lines.append("## Licence\n")
    lines.append("The model definitions come from torchvision (BSD 3-Clause licence); see "
                 "`LICENSE-torchvision.txt`. These files contain only architecture graphs "
                 "exported by `tools/export_torchvision.py`; no pretrained weights are included.\n")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))

    with open(os.path.join(out_dir, "LICENSE-torchvision.txt"), "w") as f:
        f.write(
            "The ONNX files in this directory are computation graphs of neural-network\n"
            "architectures defined in torchvision (https://github.com/pytorch/vision),\n"
            "which is distributed under the BSD 3-Clause licence (copyright the torchvision\n"
            "contributors / Soumith Chintala). The files were generated by\n"
            "tools/export_torchvision.py from the model definitions in torchvision %s.\n"
            "They contain only the architecture graphs (operators, tensor shapes and\n"
            "parameter shapes) of models built without pretrained weights; all parameter\n"
            "data larger than %d elements has been removed. No torchvision source code\n"
            "and no trained weights are included. See torchvision's LICENSE file for the\n"
            "full licence terms.\n" % (versions["torchvision"], KEEP_ELEMENTS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/corpus/torchvision")
    ap.add_argument("--models", help="comma-separated subset (default: all classification models)")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    ap.add_argument("--max-params", type=float, default=1e9,
                    help="skip models with more parameters than this (memory/time; the largest, "
                         "regnet_y_128gf and vit_h_14, need about 7 GB RAM and 3 minutes)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per model")
    ap.add_argument("--keep-existing", action="store_true", help="do not re-export existing files")
    ap.add_argument("--index-only", action="store_true",
                    help="only re-check existing files and rewrite models.json/README.md")
    ap.add_argument("--no-fold", action="store_true",
                    help="keep torch's shape-computation nodes (no static-shape folding)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    if args.worker:
        worker(args.worker, args.out, args.opset, KEEP_ELEMENTS, fold=not args.no_fold)
        return

    import torch
    import torchvision
    import onnx
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                "onnx": onnx.__version__}
    all_names = list_classification_models()
    names = all_names
    if args.models:
        wanted = [n.strip() for n in args.models.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in all_names]
        if unknown:
            raise SystemExit("unknown models: %s" % ", ".join(unknown))
        names = wanted

    # Previous per-model export info (input size, torch param count), kept across --index-only.
    info_path = os.path.join(args.out, "models.json")
    prev = {}
    prev_skipped = {}
    if os.path.exists(info_path):
        try:
            with open(info_path) as f:
                old = json.load(f)
            prev = {r["name"]: r for r in old.get("models", [])}
            prev_skipped = {s["name"]: s for s in old.get("skipped", [])}
        except Exception:  # noqa: BLE001
            pass

    exported = {}
    skipped = {}
    for name in all_names:
        path = os.path.join(args.out, name + ".onnx")
        # Models not selected (or not to be re-exported) stay in the index as they are.
        if (name not in names or args.index_only or
                (args.keep_existing and os.path.exists(path))):
            if os.path.exists(path):
                exported[name] = prev.get(name, {"name": name})
            elif name in prev_skipped:
                skipped[name] = prev_skipped[name]
            continue
        n = meta_num_params(name)
        if n is not None and n > args.max_params:
            skipped[name] = {"name": name, "reason": "too large: %.0fM parameters > --max-params "
                             "%.0fM (memory/time on the shared build machine)"
                             % (n / 1e6, args.max_params / 1e6)}
            print("skip %s: %s" % (name, skipped[name]["reason"]), flush=True)
            if os.path.exists(path):
                os.remove(path)
            continue
        print("export %s ..." % name, end=" ", flush=True)
        t0 = time.time()
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--out", args.out,
               "--opset", str(args.opset)] + (["--no-fold"] if args.no_fold else [])
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
            if p.returncode == 0:
                res = json.loads(p.stdout.strip().splitlines()[-1])
                exported[name] = res
                print("ok (%.0fs)" % (time.time() - t0), flush=True)
            else:
                err = [l for l in p.stderr.strip().splitlines() if l.strip()]
                reason = "export failed: " + (err[-1].strip() if err else "exit %d" % p.returncode)
                skipped[name] = {"name": name, "reason": reason[:300]}
                print(reason, flush=True)
                sys.stderr.write(p.stderr[-4000:])
        except subprocess.TimeoutExpired:
            skipped[name] = {"name": name, "reason": "export timed out after %.0fs" % args.timeout}
            print("timeout", flush=True)
        if name in skipped and os.path.exists(path):
            os.remove(path)

    rows = []
    for name in sorted(exported):
        path = os.path.join(args.out, name + ".onnx")
        try:
            st = inspect(path)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            skipped[name] = {"name": name, "reason": "saved file failed verification: %s" % e}
            continue
        r = {"name": name, "file": name + ".onnx"}
        r["input_size"] = exported[name].get("input_size", st["input_shape"][-1])
        r.update(st)
        for k in ("torch_parameters", "exported_operators", "folded_operators"):
            if k in exported[name]:
                r[k] = exported[name][k]
        rows.append(r)
    write_index(args.out, rows, [skipped[k] for k in sorted(skipped)], versions, args.opset)
    total = sum(r["file_bytes"] for r in rows)
    print("%d models exported (%s), %d skipped" % (len(rows), human(total), len(skipped)))
    bad = [r["name"] for r in rows if r["checker"] != "ok"]
    if bad:
        print("checker failed on: %s" % ", ".join(bad))


if __name__ == "__main__":
    main()
