"""pipecut.torch, costs (a private module; the public names are in pipecut.torch): what a node
produced, summarised (shapes, dtypes, bytes), and its FLOPs by the rules of docs/cost-model.md.
The shared roofline device model (pipecut.DeviceProfile) turns these counts into times."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import torch
import torch.fx
from torch import nn

import pipecut

# ---------------------------------------------------------------------------------------------
# Values: what a node produced, summarised for costing.


@dataclasses.dataclass(frozen=True)
class _TensorInfo:
    shape: Tuple[int, ...]
    dtype: torch.dtype

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclasses.dataclass(frozen=True)
class _ValueInfo:
    tensors: Tuple[_TensorInfo, ...]  # every tensor in the value (nested tuples, lists, dicts)
    scalars: int  # numbers, bools and sizes elsewhere in it, 8 bytes each
    is_tensor: bool = False  # the value is one tensor (not a container)

    @property
    def numel(self) -> int:
        return sum(t.numel for t in self.tensors)

    def first(self) -> Optional[_TensorInfo]:
        return self.tensors[0] if self.tensors else None


def _summarise(value: Any) -> _ValueInfo:
    tensors: List[_TensorInfo] = []
    scalars = 0

    def visit(v: Any) -> None:
        nonlocal scalars
        if isinstance(v, torch.Tensor):
            tensors.append(_TensorInfo(tuple(v.shape), v.dtype))
        elif isinstance(v, torch.Size):
            scalars += len(v)
        elif isinstance(v, (tuple, list)):
            for item in v:
                visit(item)
        elif isinstance(v, dict):
            for item in v.values():
                visit(item)
        elif isinstance(v, (bool, int, float)):
            scalars += 1

    visit(value)
    return _ValueInfo(tuple(tensors), scalars, isinstance(value, torch.Tensor))


def _compute_dtype(info: Optional[_TensorInfo]) -> str:
    """The cost model's compute dtype for an operator whose first output is `info`."""
    if info is None:
        return "fp32"
    return {
        torch.float16: "fp16",
        torch.bfloat16: "bf16",
        torch.int8: "int8",
        torch.uint8: "int8",
    }.get(info.dtype, "fp32")


class _Bytes:
    """Tensor sizes, with floating-point tensors at the element size of a dtype override."""

    def __init__(self, dtype: Optional[str]):
        self.float_bytes = pipecut.dtype_bytes(dtype) if dtype else None

    def tensor(self, t: _TensorInfo) -> float:
        if self.float_bytes is not None and t.dtype.is_floating_point:
            return float(t.numel * self.float_bytes)
        return float(t.numel * _element_size(t.dtype))

    def value(self, v: _ValueInfo) -> float:
        return sum(self.tensor(t) for t in v.tensors) + 8.0 * v.scalars

    def parameters(self, module: nn.Module) -> float:
        seen: Set[int] = set()
        total = 0.0
        for t in list(module.parameters()) + list(module.buffers()):
            if id(t) in seen:
                continue
            seen.add(id(t))
            total += self.tensor(_TensorInfo(tuple(t.shape), t.dtype))
        return total


@functools.lru_cache(maxsize=None)
def _element_size(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()

# ---------------------------------------------------------------------------------------------
# Costs: FLOPs and bytes per node, by the rules of docs/cost-model.md. A rule returns the ONNX
# operator type it corresponds to (which tells the shared pricing function about views) and the
# FLOPs; the bytes come from the values.

_CHEAP = {
    "add", "sub", "mul", "div", "truediv", "floordiv", "neg", "abs", "relu", "relu6", "clamp",
    "clip", "maximum", "minimum", "eq", "ne", "gt", "lt", "ge", "le", "logical_and",
    "logical_or", "logical_not", "logical_xor", "floor", "ceil", "round", "sign", "reciprocal",
    "leaky_relu", "hardtanh", "threshold", "masked_fill", "rsub", "remainder", "mod", "and_",
    "or_", "xor", "invert", "pos", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "prelu", "iadd", "isub", "imul", "itruediv",
}  # fmt: skip
_COSTLY = {
    "sigmoid", "tanh", "exp", "log", "log1p", "expm1", "log2", "sqrt", "rsqrt", "pow", "erf",
    "gelu", "hardswish", "hardsigmoid", "elu", "selu", "celu", "softplus", "mish", "softsign",
    "sin", "cos", "tan", "logsigmoid",
}  # fmt: skip
_REDUCTIONS = {
    "mean", "sum", "amax", "amin", "argmax", "argmin", "prod", "norm", "std", "var",
    "logsumexp", "any", "all", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
}  # fmt: skip
_POOLS = {"max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"}
# Operations that re-label memory (no kernel), by their ONNX counterpart.
_VIEWS = {
    "view": "Reshape", "reshape": "Reshape", "view_as": "Reshape", "reshape_as": "Reshape",
    "unflatten": "Reshape", "flatten": "Flatten", "squeeze": "Squeeze",
    "unsqueeze": "Unsqueeze", "contiguous": "Identity", "detach": "Identity",
    "clone": "Identity", "dropout": "Dropout", "dropout1d": "Dropout", "dropout2d": "Dropout",
    "dropout3d": "Dropout", "alpha_dropout": "Dropout", "feature_alpha_dropout": "Dropout",
    "size": "Identity", "dim": "Identity", "numel": "Identity", "getattr": "Identity",
}  # fmt: skip
# Data movement without arithmetic (0 FLOPs, bytes read and written), by ONNX counterpart.
_COPIES = {
    "permute": "Transpose", "transpose": "Transpose", "t": "Transpose", "cat": "Concat",
    "concat": "Concat", "stack": "Concat", "chunk": "Split", "split": "Split",
    "unbind": "Split", "tensor_split": "Split", "expand": "Expand", "expand_as": "Expand",
    "repeat": "Tile", "tile": "Tile", "pad": "Pad", "narrow": "Slice", "select": "Slice",
    "getitem": "Slice", "roll": "Slice", "flip": "Slice", "index_select": "Gather",
    "gather": "Gather", "embedding": "Gather", "to": "Cast", "type": "Cast", "float": "Cast",
    "half": "Cast", "double": "Cast", "bfloat16": "Cast", "int": "Cast", "long": "Cast",
    "bool": "Cast", "type_as": "Cast", "zeros_like": "ConstantOfShape",
    "ones_like": "ConstantOfShape", "full_like": "ConstantOfShape",
    "new_zeros": "ConstantOfShape", "new_ones": "ConstantOfShape", "new_full": "ConstantOfShape",
    "where": "Where", "pixel_shuffle": "DepthToSpace", "pixel_unshuffle": "SpaceToDepth",
    "channel_shuffle": "Transpose",
}  # fmt: skip


@dataclasses.dataclass
class _Cost:
    op_type: str  # ONNX counterpart, for the shared pricing function
    flops: float
    known: bool = True  # False: the conservative guess for operators without a rule


def _kernel_window(kernel: Any, dims: int) -> float:
    if isinstance(kernel, int):
        return float(kernel**dims)
    return float(math.prod(kernel))


def _attention_flops(
    query: _TensorInfo, key: _TensorInfo, embed_dim: int, kdim: int, vdim: int, heads: int,
    batch_first: bool, bias: bool,
) -> float:  # fmt: skip
    """nn.MultiheadAttention as its ONNX export computes it: three input projections, Q·Kᵀ,
    softmax, ·V, and the output projection."""
    if len(query.shape) == 3:
        batch = query.shape[0] if batch_first else query.shape[1]
        lq = query.shape[1] if batch_first else query.shape[0]
        lk = key.shape[1] if batch_first else key.shape[0]
    else:  # unbatched (L, E)
        batch, lq, lk = 1, query.shape[0], key.shape[0]
    head_dim = embed_dim // heads
    projections = 2.0 * batch * (lq * embed_dim * embed_dim + lk * embed_dim * (kdim + vdim))
    biases = batch * (2 * lq + 2 * lk) * embed_dim if bias else 0.0
    scores = 2.0 * batch * heads * lq * lk * head_dim
    softmax = 5.0 * batch * heads * lq * lk
    weighted = 2.0 * batch * heads * lq * lk * head_dim
    output = 2.0 * batch * lq * embed_dim * embed_dim
    return projections + biases + scores + softmax + weighted + output


def _module_rule(m: nn.Module) -> Optional[Callable[..., _Cost]]:
    """The cost rule of a leaf module type, or None to trace into the module."""
    if isinstance(m, nn.modules.conv._ConvNd):

        def conv(ins, out):
            kernel = float(math.prod(m.kernel_size))
            bias = out.numel if m.bias is not None else 0
            if m.transposed:
                x = ins[0].numel if ins else 0
                return _Cost("ConvTranspose", 2.0 * x * (m.out_channels / m.groups) * kernel + bias)
            return _Cost("Conv", 2.0 * out.numel * (m.in_channels / m.groups) * kernel + bias)

        return conv
    if isinstance(m, nn.Linear):
        return lambda ins, out: _Cost(
            "Gemm", 2.0 * out.numel * m.in_features + (out.numel if m.bias is not None else 0)
        )
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        return lambda ins, out: _Cost("BatchNormalization", 2.0 * out.numel)
    if isinstance(m, (nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)):
        return lambda ins, out: _Cost("LayerNormalization", 8.0 * out.numel)
    if isinstance(m, nn.LocalResponseNorm):
        return lambda ins, out: _Cost("LRN", (m.size + 4.0) * out.numel)
    if isinstance(m, (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.Hardtanh, nn.Threshold)):
        return lambda ins, out: _Cost("Relu", 1.0 * out.numel)
    if isinstance(m, nn.SiLU):  # Sigmoid and Mul in ONNX
        return lambda ins, out: _Cost("Sigmoid", 5.0 * out.numel)
    if isinstance(
        m,
        (nn.Sigmoid, nn.Tanh, nn.GELU, nn.Hardswish, nn.Hardsigmoid, nn.ELU, nn.SELU, nn.CELU,
         nn.Softplus, nn.Mish, nn.Softsign, nn.LogSigmoid),
    ):  # fmt: skip
        return lambda ins, out: _Cost("Sigmoid", 4.0 * out.numel)
    if isinstance(m, (nn.Softmax, nn.LogSoftmax, nn.Softmin)):
        return lambda ins, out: _Cost("Softmax", 5.0 * out.numel)
    if isinstance(m, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
        dims = {"1d": 1, "2d": 2, "3d": 3}.get(type(m).__name__[-2:], 2)
        return lambda ins, out: _Cost("MaxPool", out.numel * _kernel_window(m.kernel_size, dims))
    if isinstance(m, (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
        return lambda ins, out: _Cost("GlobalAveragePool", float(ins[0].numel if ins else 0))
    if isinstance(
        m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.Identity)
    ):
        return lambda ins, out: _Cost("Dropout", 0.0)
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return lambda ins, out: _Cost("Flatten", 0.0)
    if isinstance(m, nn.Upsample):
        return lambda ins, out: _Cost("Resize", 4.0 * out.numel)
    if isinstance(
        m,
        (nn.modules.padding._ConstantPadNd, nn.modules.padding._ReflectionPadNd,
         nn.modules.padding._ReplicationPadNd),
    ):  # fmt: skip
        return lambda ins, out: _Cost("Pad", 0.0)
    if isinstance(m, nn.Embedding):
        return lambda ins, out: _Cost("Gather", 0.0)
    if isinstance(m, (nn.PixelShuffle, nn.PixelUnshuffle, nn.ChannelShuffle)):
        return lambda ins, out: _Cost("DepthToSpace", 0.0)
    if isinstance(m, nn.MultiheadAttention):

        def attention(ins, out):
            query = ins[0] if ins else out
            key = ins[1] if len(ins) > 1 else query
            flops = _attention_flops(
                query, key, m.embed_dim, m.kdim, m.vdim, m.num_heads, m.batch_first,
                m.in_proj_bias is not None,
            )  # fmt: skip
            return _Cost("MultiHeadAttention", flops)

        return attention
    return None


def _name_of(node: torch.fx.Node) -> str:
    if node.op == "call_method":
        name = str(node.target)
    else:
        name = getattr(node.target, "__name__", str(node.target))
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
    if name.endswith("_") and not name.endswith("__") and name.rstrip("_") != "":
        name = name[:-1]  # in-place variant (add_, relu_) costs as the operator
    return name


def _function_cost(node: torch.fx.Node, arg, ins: List[_ValueInfo], out: _ValueInfo) -> _Cost:
    """Cost of a call_function or call_method node. `arg(i, name)` is the i-th argument (or
    keyword `name`): a _ValueInfo for node inputs, else the literal."""
    name = _name_of(node)
    out_elems = float(out.numel)
    if not out.tensors:
        return _Cost("Identity", 0.0)  # sizes, shapes and other non-tensor values: no kernel
    if name == "getitem":
        source = arg(0, "a")
        if not (isinstance(source, _ValueInfo) and source.is_tensor):
            return _Cost("Identity", 0.0)  # picks one value out of a tuple or list: no kernel
    if name in _VIEWS:
        return _Cost(_VIEWS[name], 0.0)
    if name in _COPIES:
        return _Cost(_COPIES[name], 0.0)
    if name in _CHEAP:
        return _Cost("Add", out_elems)
    if name in _COSTLY:
        return _Cost("Sigmoid", 4.0 * out_elems)
    if name == "silu":
        return _Cost("Sigmoid", 5.0 * out_elems)
    if name in ("softmax", "log_softmax", "softmin"):
        return _Cost("Softmax", 5.0 * out_elems)
    if name in ("max", "min") and len(ins) == 1:
        return _Cost("ReduceMax", float(ins[0].numel))
    if name in ("max", "min"):
        return _Cost("Max", out_elems)
    if name in _REDUCTIONS:
        first = arg(0, "input")
        return _Cost("ReduceSum", float(first.numel if isinstance(first, _ValueInfo) else 0))
    if name in _POOLS:
        kernel = arg(1, "kernel_size")
        return _Cost("MaxPool", out_elems * _kernel_window(kernel, int(name[-2])))
    if name in ("matmul", "bmm", "mm"):
        a = arg(0, "input")
        k = a.first().shape[-1] if isinstance(a, _ValueInfo) and a.first() and a.first().shape else 1
        return _Cost("MatMul", 2.0 * out_elems * k)
    if name in ("addmm", "baddbmm", "addbmm"):
        b = arg(1, "mat1") if name == "addmm" else arg(1, "batch1")
        k = b.first().shape[-1] if isinstance(b, _ValueInfo) and b.first() else 1
        return _Cost("Gemm", 2.0 * out_elems * k + out_elems)
    if name == "linear":
        w = arg(1, "weight")
        k = w.first().shape[-1] if isinstance(w, _ValueInfo) and w.first() else 1
        has_bias = isinstance(arg(2, "bias"), _ValueInfo)
        return _Cost("Gemm", 2.0 * out_elems * k + (out_elems if has_bias else 0))
    if name in ("conv1d", "conv2d", "conv3d"):
        w = arg(1, "weight")
        per_output = float(math.prod(w.first().shape[1:])) if isinstance(w, _ValueInfo) else 1.0
        has_bias = isinstance(arg(2, "bias"), _ValueInfo)
        return _Cost("Conv", 2.0 * out_elems * per_output + (out_elems if has_bias else 0))
    if name == "batch_norm":
        return _Cost("BatchNormalization", 2.0 * out_elems)
    if name in ("layer_norm", "group_norm", "instance_norm", "normalize"):
        return _Cost("LayerNormalization", 8.0 * out_elems)
    if name in ("interpolate", "upsample"):
        return _Cost("Resize", 4.0 * out_elems)
    if name == "einsum":
        flops = _einsum_flops(arg(0, "equation"), ins)
        if flops is not None:
            return _Cost("Einsum", flops)
    # No rule: the importer's conservative guess, 10 operations per element.
    return _Cost(name, 10.0 * max(out_elems, float(sum(i.numel for i in ins))), known=False)


def _einsum_flops(equation: Any, ins: List[_ValueInfo]) -> Optional[float]:
    if not isinstance(equation, str) or "." in equation:
        return None
    terms = equation.replace(" ", "").split("->")[0].split(",")
    operands = [t for i in ins for t in i.tensors]
    if len(terms) != len(operands):
        return None
    sizes: Dict[str, int] = {}
    for term, t in zip(terms, operands):
        if len(term) != len(t.shape):
            return None
        for letter, size in zip(term, t.shape):
            sizes[letter] = max(int(size), 1)
    return (2.0 if len(terms) >= 2 else 1.0) * float(math.prod(sizes.values()))
