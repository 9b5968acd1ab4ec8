#!/usr/bin/python3
"""What the ONNX corpus exporters share: the weight-strip convention, static-shape folding,
the post-export pipeline, verification of saved files and the one-subprocess-per-model runner.

Used by tools/export_torchvision.py and tools/export_transformers.py (Debian's python3-onnx;
torch is never imported here). Files may be plain ``.onnx`` or gzip-compressed ``.onnx.gz``.

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
import gzip
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



def inspect(path):
    """Load a saved file without external data, check it, re-run shape inference; stats."""
    import onnx
    from onnx import TensorProto
    m = load_model(path)
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



def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0




def load_model(path):
    """An .onnx or .onnx.gz file as a ModelProto, never reading external data."""
    import onnx
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return onnx.load_model_from_string(f.read())
    return onnx.load(path, load_external_data=False)


def save_model(model, path):
    """Writes deterministically and atomically; gzip (no name, no time stamp) for .gz paths."""
    data = model.SerializeToString(deterministic=True)
    tmp_path = path + ".tmp"
    with open(tmp_path, "wb") as f:
        if path.endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
                z.write(data)
        else:
            f.write(data)
    os.replace(tmp_path, path)
    return len(data)


def finish_export(model, keep_elements, fold):
    """Shape inference and static-shape folding of a freshly exported (already stripped) model.

    Returns (model, stats): the number of operators before folding, of nodes folded away and
    of node outputs still without a static shape. Raises if folding changed any known shape.
    """
    import onnx
    model = onnx.shape_inference.infer_shapes(model)
    exported_nodes = len(model.graph.node)
    before = _static_shapes(model)
    folded = 0
    if fold:
        model, folded = fold_static_shapes(model, keep_elements)
        after = _static_shapes(model)
        bad = [t for t in before if t in after and before[t] != after[t]]
        if bad:
            raise RuntimeError("folding changed the shape of %s" % bad[0])
    return model, {"exported_operators": exported_nodes, "folded_operators": folded,
                   "unshaped_tensors": len(unshaped_tensors(model))}


def peak_memory_mb():
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is in KB)."""
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def run_worker(cmd, timeout):
    """Runs one export subprocess (one thread). Returns (result, None) or (None, reason);
    the result is the JSON object the worker prints as its last stdout line."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "export timed out after %.0fs" % timeout
    if p.returncode == 0:
        return json.loads(p.stdout.strip().splitlines()[-1]), None
    err = [l for l in p.stderr.strip().splitlines() if l.strip()]
    sys.stderr.write(p.stderr[-4000:])
    return None, ("export failed: " + (err[-1].strip() if err else "exit %d" % p.returncode))[:300]


def strip_convention_json():
    return {
        "keep_elements": KEEP_ELEMENTS,
        "data_location": "EXTERNAL",
        "external_data": {"location": STRIP_LOCATION, "length": "numel * element size"},
    }


def strip_convention_markdown():
    """The README section body that documents the strip convention."""
    return (
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


def add_export_arguments(ap, default_out, default_timeout):
    """The command-line options both exporters share (after their own --models)."""
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    ap.add_argument("--timeout", type=float, default=default_timeout, help="seconds per model")
    ap.add_argument("--keep-existing", action="store_true", help="do not re-export existing files")
    ap.add_argument("--index-only", action="store_true",
                    help="only re-check existing files and rewrite models.json/README.md")
    ap.add_argument("--no-fold", action="store_true",
                    help="keep torch's shape-computation nodes (no static-shape folding)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)


def start_export(ap, worker, default_out, default_timeout):
    """Adds the shared options and parses the command line. In a worker process (--worker NAME)
    exports that model with ``worker`` and returns None; otherwise returns (args, the torch,
    torchvision and onnx versions for the index)."""
    add_export_arguments(ap, default_out, default_timeout)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.worker:
        worker(args.worker, args.out, args.opset, KEEP_ELEMENTS, fold=not args.no_fold)
        return None
    import torch
    import torchvision
    import onnx
    return args, {"torch": torch.__version__, "torchvision": torchvision.__version__,
                  "onnx": onnx.__version__}


def inspect_saved(path, name, skipped, extra=None):
    """inspect(path), with extra(path) merged in; None after recording in ``skipped`` why the
    saved file failed verification."""
    try:
        st = inspect(path)
        if extra:
            st.update(extra(path))
        return st
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        skipped[name] = {"name": name, "reason": "saved file failed verification: %s" % e}
        return None


def finish_index(args, rows, skipped, versions, write_index):
    """Writes models.json and README.md with ``write_index`` and prints the summary."""
    write_index(args.out, rows, [skipped[k] for k in sorted(skipped)], versions, args.opset)
    total = sum(r["file_bytes"] for r in rows)
    print("%d models exported (%s), %d skipped" % (len(rows), human(total), len(skipped)))
    bad = [r["name"] for r in rows if r["checker"] != "ok"]
    if bad:
        print("checker failed on: %s" % ", ".join(bad))


def selected_models(text, all_names):
    """The models named in a comma-separated --models value (all when empty)."""
    if not text:
        return list(all_names)
    wanted = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in all_names]
    if unknown:
        raise SystemExit("unknown models: %s" % ", ".join(unknown))
    return wanted


def export_models(script, all_names, names, args, extension, skip_reason=None):
    """Exports each selected model in its own worker subprocess (``script --worker NAME``).

    Returns (exported, skipped), dicts by name: a worker's result, or {"name", "reason"}.
    Models not selected, or kept by --keep-existing / --index-only, carry over what the
    previous models.json says of them (export time, memory, ...). ``skip_reason(name)`` may
    veto a model before it is exported.
    """
    prev, prev_skipped = {}, {}
    info_path = os.path.join(args.out, "models.json")
    if os.path.exists(info_path):
        try:
            with open(info_path) as f:
                old = json.load(f)
            prev = {r["name"]: r for r in old.get("models", [])}
            prev_skipped = {s["name"]: s for s in old.get("skipped", [])}
        except Exception:  # noqa: BLE001
            pass
    exported, skipped = {}, {}
    for name in all_names:
        path = os.path.join(args.out, name + extension)
        if (name not in names or args.index_only or
                (args.keep_existing and os.path.exists(path))):
            if os.path.exists(path):
                exported[name] = prev.get(name, {"name": name})
            elif name in prev_skipped:
                skipped[name] = prev_skipped[name]
            continue
        reason = skip_reason(name) if skip_reason else None
        if reason is None:
            print("export %s ..." % name, end=" ", flush=True)
            t0 = time.time()
            cmd = [sys.executable, os.path.abspath(script), "--worker", name, "--out", args.out,
                   "--opset", str(args.opset)] + (["--no-fold"] if args.no_fold else [])
            res, reason = run_worker(cmd, args.timeout)
            if res is not None:
                exported[name] = res
                memory = (", %d MB" % res["peak_memory_mb"]) if "peak_memory_mb" in res else ""
                print("ok (%.0fs%s)" % (time.time() - t0, memory), flush=True)
                continue
            print(reason, flush=True)
        else:
            print("skip %s: %s" % (name, reason), flush=True)
        skipped[name] = {"name": name, "reason": reason}
        if os.path.exists(path):
            os.remove(path)
    return exported, skipped

