"""The PyTorch front end of pipecut: a torch.nn.Module becomes a pipecut Graph, and a pipecut
partition becomes one torch.fx GraphModule per pipeline stage.

    >>> import pipecut.torch
    >>> plan = pipecut.torch.split(model.eval(), (x,), k=4, time_limit=10)
    >>> torch.allclose(plan.run(x), model(x))
    True

How a module becomes a graph (docs/python.md, "pipecut.torch"):

- The module is traced with torch.fx (a Tracer that records which submodule each operation
  runs in), then run once on the example inputs with ShapeProp for every tensor's shape and
  dtype. Control flow is resolved with the example inputs' values, as torch.jit.trace would;
  when it depends on their contents (not only their shapes) a TraceWarning says so, and a
  Python number read from their contents (int(x.sum().item())) is a TraceError.
- Every operation on the inputs is a node (graph inputs are not nodes). Parameters, buffers and
  operations computed from them alone are folded into their consumers: their bytes are the
  consumer's `memory`. Operations whose result never reaches the module's output (assertions)
  are not nodes; a stage runs them next to their inputs.
- Each node is priced by the same roofline device model as the ONNX importer (the C++
  functions behind pipecut.DeviceProfile.operator_time_ms and tensor_transfer_ms): this module
  only counts FLOPs and bytes, with the rules of docs/cost-model.md. `measure=True` times each
  node on this machine instead (comm still comes from the device's link).
- Placement constraints: `memory_per_stage` is the graph's capacity, and each `colocate` group
  of submodules becomes a colour class of the nodes that run in them.
- Every argument is checked before tracing, which takes minutes for large models.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import dis
import functools
import inspect
import logging
import math
import numbers
import operator
import os
import statistics
import time
import types
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.fx.passes.split_module import split_module

import pipecut

__all__ = [
    "Boundary",
    "BoundaryValue",
    "NotModuleAlignedError",
    "PipelinePlan",
    "TraceError",
    "TraceWarning",
    "graph_from_module",
    "split",
]

_log = logging.getLogger("pipecut")

# Timed runs per node with measure=True, after one warm-up run; the median is used.
_MEASURE_RUNS = 5


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
# Tracing: torch.fx with concrete values for control flow, and each node's module path.


# nn.Module's attribute lookup and call, as they are outside tracing: torch.fx patches both while
# it traces (so that parameters and submodule calls become nodes), and the tracer below must
# compute values with the real ones.
_MODULE_GETATTR = nn.Module.__getattr__
_MODULE_CALL = nn.Module.__call__


class TraceError(pipecut.InputError, torch.fx.proxy.TraceError):
    """The module cannot be traced on the example inputs: torch.fx cannot follow what forward()
    does (e.g. a Python number read from a tensor's values, int(x.sum().item()), decides what
    it computes). Also a pipecut.InputError and a torch.fx TraceError."""


class TraceWarning(UserWarning):
    """Tracing took a branch from the example inputs' values (control flow on a tensor's
    contents): the traced graph, and so the plan, follows the branch those inputs took."""


class _Unknown:
    """Marks a value the tracer could not compute while tracing: `error` raised at `node`."""

    def __init__(self, error: BaseException, node: torch.fx.Node):
        self.error = error
        self.node = node


class _UnknownInput(Exception):
    """An input of the node being evaluated is _Unknown: the node is unknown for that reason."""

    def __init__(self, unknown: _Unknown):
        super().__init__()
        self.unknown = unknown


# Tensor methods and attributes that read metadata (shape, type, device), never values.
_METADATA_METHODS = {
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "stride", "get_device",
    "is_contiguous", "is_floating_point", "is_complex",
}  # fmt: skip
_METADATA_ATTRIBUTES = {
    "shape", "dtype", "device", "ndim", "is_cuda", "layout", "requires_grad", "is_sparse",
    "is_quantized",
}  # fmt: skip
# Operations whose output shape depends on their input's values.
_VALUE_SHAPED = {"nonzero", "argwhere", "unique", "unique_consecutive", "masked_select", "bincount"}


def _reads_metadata_only(node: torch.fx.Node) -> bool:
    if node.op == "call_method":
        return node.target in _METADATA_METHODS
    if node.op == "call_function" and node.target is getattr:
        return len(node.args) > 1 and node.args[1] in _METADATA_ATTRIBUTES
    if node.op == "call_function":
        return node.target in (torch.numel, torch.is_floating_point, torch.is_complex)
    return False


_TORCH_FX_DIR = os.path.dirname(torch.fx.__file__)


def _user_frame() -> Tuple[Optional[types.FrameType], int]:
    """The innermost frame outside this file and torch.fx (the module's own code asking for a
    value), and its stack level as warnings.warn counts it from the caller of this function."""
    frame = inspect.currentframe()
    frame = frame.f_back if frame is not None else None
    level = 1
    while frame is not None and (
        frame.f_code.co_filename == __file__ or frame.f_code.co_filename.startswith(_TORCH_FX_DIR)
    ):
        frame = frame.f_back
        level += 1
    return frame, level


def _where(frame: Optional[types.FrameType]) -> str:
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


class _Tracer(torch.fx.Tracer):
    """A torch.fx Tracer that (1) keeps modules without a cost rule open (traces into them),
    (2) records the module path of every node, and (3) computes every node's value on the
    example inputs while tracing, so that control flow on shapes (`if x.dim() == 3`,
    `n, c, h, w = x.shape`) is resolved with those values instead of failing. It also tracks
    which values depend on the inputs' contents (not only their shapes): control flow on those
    takes the example's branch with a TraceWarning, and a Python number read from them
    (int(x.sum().item())) is a TraceError (docs/python.md, "pipecut.torch")."""

    def __init__(self, placeholder_values: Dict[str, Any]):
        super().__init__()
        self._placeholder_values = placeholder_values
        self._values: Dict[torch.fx.Node, Any] = {}
        self._stack: List[str] = []
        self.module_paths: Dict[torch.fx.Node, Tuple[str, ...]] = {}
        self._from_values: Set[torch.fx.Node] = set()  # depends on the inputs' contents
        self._value_shaped: Set[torch.fx.Node] = set()  # its shape depends on them too

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return _module_rule(m) is not None

    def call_module(self, m, forward, args, kwargs):
        self._stack.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self._stack.pop()

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        self.module_paths[node] = tuple(self._stack)
        if kind != "output":
            try:
                self._values[node] = self._evaluate(node)
            except _UnknownInput as unknown:
                self._values[node] = unknown.unknown
            except Exception as error:  # noqa: BLE001 - only needed if control flow asks
                self._values[node] = _Unknown(error, node)
            self._track_dependence(node)
        return node

    def _track_dependence(self, node: torch.fx.Node) -> None:
        inputs = _node_inputs(node)
        if node.op == "placeholder":
            if node.target in self._placeholder_values:  # not a parameter fixed at its default
                self._from_values.add(node)
        elif not node.op.startswith("call_"):
            return
        elif _reads_metadata_only(node):
            if any(i in self._value_shaped for i in inputs):
                self._from_values.add(node)
        elif any(i in self._from_values for i in inputs):
            self._from_values.add(node)
            if (
                any(i in self._value_shaped for i in inputs)
                or _name_of(node) in _VALUE_SHAPED
                or (_name_of(node) == "getitem" and any(self._is_mask(i) for i in inputs[1:]))
            ):
                self._value_shaped.add(node)

    def _is_mask(self, node: torch.fx.Node) -> bool:
        value = self._values.get(node)
        return (
            node in self._from_values
            and isinstance(value, torch.Tensor)
            and value.dtype == torch.bool
        )

    def _evaluate(self, node: torch.fx.Node) -> Any:
        def value_of(n: torch.fx.Node) -> Any:
            v = self._values[n]
            if isinstance(v, _Unknown):
                raise _UnknownInput(v)
            return v

        args = torch.fx.node.map_arg(node.args, value_of)
        kwargs = torch.fx.node.map_arg(node.kwargs, value_of)
        patched = (nn.Module.__getattr__, nn.Module.__call__)
        nn.Module.__getattr__, nn.Module.__call__ = _MODULE_GETATTR, _MODULE_CALL
        try:
            with torch.no_grad():
                return self._evaluate_unpatched(node, args, kwargs)
        finally:
            nn.Module.__getattr__, nn.Module.__call__ = patched

    def _evaluate_unpatched(self, node: torch.fx.Node, args: Any, kwargs: Any) -> Any:
        if node.op == "placeholder":
            if node.target in self._placeholder_values:
                return self._placeholder_values[node.target]
            return node.args[0] if node.args else None
        if node.op == "get_attr":
            value = self.root
            for atom in str(node.target).split("."):
                value = getattr(value, atom)
            return value
        if node.op == "call_function":
            return node.target(*args, **kwargs)
        if node.op == "call_method":
            return getattr(args[0], node.target)(*args[1:], **kwargs)
        if node.op == "call_module":
            return self.root.get_submodule(node.target)(*args, **kwargs)
        raise RuntimeError(f"unexpected node kind {node.op}")

    def _module_name(self) -> str:
        return type(self.root).__name__

    def concrete(self, proxy: torch.fx.Proxy, why: str) -> Any:
        value = self._values.get(proxy.node)
        if value is None and proxy.node not in self._values:
            raise TraceError(f"{self._module_name()}: no value for {proxy.node} ({why})")
        if isinstance(value, _Unknown):
            raise TraceError(
                f"{self._module_name()}: {why} at {_where(_user_frame()[0])} depends on "
                f"'{proxy.node.name}', which could not be computed on the example inputs: "
                f"'{value.node.name}' failed with {_one_line(value.error)}"
            ) from value.error
        return value

    def _warn_if_from_values(
        self, proxy: torch.fx.Proxy, nodes: Set[torch.fx.Node], why: str, consequence: str
    ) -> None:
        if proxy.node in nodes:
            frame, level = _user_frame()
            warnings.warn(
                f"{self._module_name()}: {why} at {_where(frame)} depends on the values of the "
                f"example inputs (through '{proxy.node.name}'): {consequence}",
                TraceWarning,
                stacklevel=level,
            )

    def to_bool(self, obj: torch.fx.Proxy) -> bool:
        value = self.concrete(obj, "control flow")
        self._warn_if_from_values(
            obj, self._from_values, "control flow",
            "the traced graph follows the branch taken for the example input, so the plan "
            "holds only for inputs that take the same branch",
        )  # fmt: skip
        return bool(value)

    def to_number(self, obj: torch.fx.Proxy, kind: type) -> Any:
        """int(), float() and index use of a traced value: its value on the example inputs when
        it depends on their shapes only; a TraceError when it depends on their contents, which
        the graph would otherwise keep as a constant."""
        if obj.node in self._from_values:
            raise TraceError(
                f"{self._module_name()}: {kind.__name__}() at {_where(_user_frame()[0])} "
                f"reads a Python number from the values of the example inputs (through "
                f"'{obj.node.name}'); a traced graph cannot depend on it. Compute it with "
                "tensor operations, or make it a forward() parameter with a default (which "
                "pipecut.torch keeps fixed)"
            )
        value = self.concrete(obj, f"{kind.__name__}()")
        try:
            return operator.index(value) if kind is operator.index else kind(value)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TraceError(
                f"{self._module_name()}: {kind.__name__}() at {_where(_user_frame()[0])} of "
                f"'{obj.node.name}' failed: {_one_line(error)}"
            ) from error

    def iter(self, obj: torch.fx.Proxy) -> Iterator:
        value = self.concrete(obj, "iteration")
        self._warn_if_from_values(obj, self._value_shaped, "iteration", _UNROLLED)
        return iter([obj[i] for i in range(len(value))])

    def length(self, obj: torch.fx.Proxy) -> int:
        value = self.concrete(obj, "len()")
        self._warn_if_from_values(obj, self._value_shaped, "len()", _UNROLLED)
        return len(value)


_UNROLLED = (
    "the traced graph keeps the length it has for the example input (loops unrolled as many "
    "times), so the plan holds only for inputs that give the same length"
)


def _one_line(error: BaseException) -> str:
    """`Type: first line of the message`, for one-line error messages (the full error is
    chained as the cause)."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


class _ProxyPatches:
    """While tracing: Proxy.__iter__ and __len__ ask the tracer for concrete values, and int(),
    float() and index use (range(n), torch.zeros(n)) for numbers (_Tracer.to_number). torch 1.13
    finds `a, b = proxy` by indexing the caller's bytecode with the pre-3.11 layout, which
    breaks on Python 3.11 (CACHE entries); iteration then goes to _Tracer.iter instead."""

    _NUMBERS = {"__int__": int, "__float__": float, "__index__": operator.index}

    def __enter__(self):
        proxy = torch.fx.proxy.Proxy
        self._saved = (proxy.__iter__, proxy.__len__)
        original_iter, original_len = self._saved

        def patched_iter(p):
            if isinstance(p.tracer, _Tracer):
                frame = inspect.currentframe()
                caller = frame.f_back if frame is not None else None
                if caller is not None:
                    for instruction in dis.get_instructions(caller.f_code):
                        if instruction.offset == caller.f_lasti:
                            if instruction.opname == "UNPACK_SEQUENCE":
                                return (p[i] for i in range(instruction.argval))
                            break
                return p.tracer.iter(p)
            return original_iter(p)

        def patched_len(p):
            if isinstance(p.tracer, _Tracer):
                return p.tracer.length(p)
            return original_len(p)

        def number(kind):
            def convert(p):
                if isinstance(p.tracer, _Tracer):
                    return p.tracer.to_number(p, kind)
                raise TypeError(f"{kind.__name__}() of a torch.fx Proxy")

            return convert

        proxy.__iter__ = patched_iter
        proxy.__len__ = patched_len
        for name, kind in self._NUMBERS.items():
            setattr(proxy, name, number(kind))
        return self

    def __exit__(self, *exc):
        torch.fx.proxy.Proxy.__iter__, torch.fx.proxy.Proxy.__len__ = self._saved
        for name in self._NUMBERS:
            delattr(torch.fx.proxy.Proxy, name)
        return False


def _as_inputs(example_inputs: Any) -> Tuple[Any, ...]:
    if isinstance(example_inputs, torch.Tensor):
        return (example_inputs,)
    if isinstance(example_inputs, (tuple, list)):
        return tuple(example_inputs)
    raise TypeError("example_inputs must be a tensor or a tuple of positional inputs")


def _bind_inputs(
    module: nn.Module, inputs: Tuple[Any, ...]
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The example inputs by forward() parameter name, and the defaults of the parameters left
    out (traced as constants). Checks the numbers match, before any tracing."""
    signature = inspect.signature(module.forward)
    params = list(signature.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        raise pipecut.InputError(
            f"{type(module).__name__}.forward takes *args or **kwargs; pipecut.torch needs "
            "named positional parameters"
        )
    if len(inputs) > len(params):
        raise pipecut.InputError(
            f"{type(module).__name__}.forward takes {len(params)} inputs, got {len(inputs)}"
        )
    given = {p.name: v for p, v in zip(params, inputs)}
    concrete_args: Dict[str, Any] = {}
    for p in params[len(inputs):]:
        if p.default is inspect.Parameter.empty:
            raise pipecut.InputError(
                f"{type(module).__name__}.forward needs input '{p.name}' (no default), "
                f"but only {len(inputs)} example inputs were given"
            )
        concrete_args[p.name] = p.default
    return given, concrete_args


def _trace(module: nn.Module, inputs: Tuple[Any, ...]):
    """Traces `module` called with `inputs`; parameters of forward() that are not given keep
    their defaults (specialised). Returns the GraphModule and each node's module path.

    When tracing fails, the module is run on the inputs: if it fails too, the example inputs
    do not suit it (pipecut.InputError); if not, the module cannot be traced (TraceError)."""
    given, concrete_args = _bind_inputs(module, inputs)
    tracer = _Tracer(given)
    try:
        with _ProxyPatches(), torch.enable_grad():
            # Grad mode on: modules with inference fast paths (nn.TransformerEncoder) trace
            # their general path, made of operators with a cost rule, instead of one fused kernel.
            graph = tracer.trace(module, concrete_args=concrete_args or None)
    except Exception as error:  # noqa: BLE001 - the module's own code or torch.fx failed
        _raise_if_the_module_fails(module, inputs)
        if isinstance(error, TraceError):
            raise
        raise TraceError(
            f"{type(module).__name__}: torch.fx cannot trace it (the module runs on the example "
            f"inputs): {_one_line(error)}"
        ) from error
    _drop_specialised_placeholders(graph, set(given))
    gm = torch.fx.GraphModule(tracer.root, graph, type(module).__name__)
    return gm, tracer.module_paths


def _raise_if_the_module_fails(module: nn.Module, inputs: Tuple[Any, ...]) -> None:
    """pipecut.InputError when module(*inputs) raises: the example inputs do not suit the
    module (a wrong shape, dtype or number of inputs), which is not pipecut's doing."""
    try:
        with torch.no_grad():
            module(*inputs)
    except Exception as error:  # noqa: BLE001 - whatever the module raises
        raise pipecut.InputError(
            f"{type(module).__name__}: the module fails on the example inputs (check their "
            f"shapes and dtypes): {_one_line(error)}"
        ) from error


def _drop_specialised_placeholders(graph: torch.fx.Graph, inputs: Set[str]) -> None:
    """Parameters traced with their default value (concrete_args) become placeholders guarded by
    assertions; substitute the value, so that the graph takes exactly the example inputs."""
    for node in list(graph.nodes):
        if node.op != "placeholder" or node.target in inputs:
            continue
        default = node.args[0] if node.args else None
        for user in list(node.users):
            user.args = torch.fx.node.map_arg(user.args, lambda n: default if n is node else n)
            user.kwargs = torch.fx.node.map_arg(
                user.kwargs, lambda n: default if n is node else n
            )
        graph.erase_node(node)


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


# ---------------------------------------------------------------------------------------------
# Analysis: which nodes are graph nodes, their costs, and the pipecut.Graph.


class _NodeFailed(BaseException):
    """`error`, raised by running `node` on the example inputs. A BaseException so that it
    passes ShapeProp's handler, which prints a traceback and replaces the error by a
    RuntimeError (documented as pipecut's internal error); _build turns it into an InputError
    or a TraceError."""

    def __init__(self, node: torch.fx.Node, error: Exception):
        super().__init__(node, error)
        self.node = node
        self.error = error


class _Run(torch.fx.Interpreter):
    def run_node(self, n: torch.fx.Node) -> Any:
        try:
            return super().run_node(n)
        except Exception as error:  # noqa: BLE001 - the module's own operations
            raise _NodeFailed(n, error) from error


class _Probe(ShapeProp, _Run):
    """ShapeProp that also keeps a summary of every node's value and, when timing, each node's
    wall time. A node that fails raises _NodeFailed (_Run sits between ShapeProp and
    torch.fx.Interpreter)."""

    def __init__(self, gm: torch.fx.GraphModule, time_nodes: bool, synchronize: bool):
        super().__init__(gm)
        self.values: Dict[torch.fx.Node, _ValueInfo] = {}
        self.times: Dict[torch.fx.Node, List[float]] = {}
        self._time_nodes = time_nodes
        self._synchronize = synchronize

    def run_node(self, n: torch.fx.Node) -> Any:
        if not self._time_nodes:
            result = super().run_node(n)
        else:
            if self._synchronize:
                torch.cuda.synchronize()
            start = time.perf_counter()
            result = super().run_node(n)
            if self._synchronize:
                torch.cuda.synchronize()
            self.times.setdefault(n, []).append((time.perf_counter() - start) * 1e3)
        self.values[n] = _summarise(result)
        return result


@dataclasses.dataclass
class _Traced:
    gm: torch.fx.GraphModule
    graph: "pipecut.Graph"
    module_paths: Dict[torch.fx.Node, Tuple[str, ...]]
    values: Dict[torch.fx.Node, _ValueInfo]
    constant: Set[torch.fx.Node]  # folded: parameters and what is computed from them alone
    live: List[torch.fx.Node]  # graph nodes, in execution order
    side: Set[torch.fx.Node]  # results that never reach the output (assertions)
    comm: Dict[torch.fx.Node, float]


def _node_inputs(node: torch.fx.Node) -> List[torch.fx.Node]:
    """Distinct input nodes, in argument order."""
    seen: Dict[torch.fx.Node, None] = {}
    torch.fx.node.map_arg((node.args, node.kwargs), lambda n: seen.setdefault(n))
    return list(seen)


@dataclasses.dataclass
class _Settings:
    """graph_from_module's arguments, checked (before any tracing)."""

    module: nn.Module
    inputs: Tuple[Any, ...]
    profile: "pipecut.DeviceProfile"
    link: float  # GB/s
    dtype: Optional[str]
    measure: bool
    memory_per_stage: Optional[float]  # bytes
    colocate: List[List[str]]  # groups of module paths (as the tracer names them)


def _check_arguments(
    module: Any,
    example_inputs: Any,
    device: Any,
    dtype: Any,
    link_bandwidth: Any,
    measure: Any,
    memory_per_stage: Any,
    colocate: Any,
) -> _Settings:
    """Checks every argument of graph_from_module before any work: tracing a large model takes
    minutes, and a typo should not wait for it. TypeError for a wrong type, pipecut.InputError
    for a bad value."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, not {type(module).__name__}")
    inputs = _as_inputs(example_inputs)
    _bind_inputs(module, inputs)
    for name, value in (("device", device), ("dtype", dtype)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    profile = pipecut.device_profile(device or "")
    if dtype is not None:
        pipecut.dtype_bytes(dtype)
    if link_bandwidth is not None and (
        isinstance(link_bandwidth, bool) or not isinstance(link_bandwidth, numbers.Real)
    ):
        raise TypeError(f"link_bandwidth must be a number, not {type(link_bandwidth).__name__}")
    link = float(link_bandwidth) if link_bandwidth is not None else profile.link_bandwidth_gbps
    profile.tensor_transfer_ms(0.0, link)  # InputError unless finite and > 0
    if not isinstance(measure, bool):
        raise TypeError(f"measure must be a bool, not {type(measure).__name__}")
    capacity = (
        None
        if memory_per_stage is None
        else pipecut._pipecut._memory_size(memory_per_stage, "memory_per_stage")
    )
    groups = _colocation_groups(module, colocate)
    return _Settings(module, inputs, profile, link, dtype, measure, capacity, groups)


def _colocation_groups(module: nn.Module, colocate: Any) -> List[List[str]]:
    """colocate: groups of submodule names (as module.named_modules() gives them), each group
    to run in one stage. Returns the groups as the tracer names the modules (the first name of
    a module registered under several)."""
    if colocate is None:
        return []
    usage = "colocate must be a list of groups of submodule names, e.g. [['layer1', 'layer2']]"
    if isinstance(colocate, (str, bytes)) or not isinstance(colocate, collections.abc.Iterable):
        raise TypeError(f"{usage}, not {type(colocate).__name__}")
    canonical = {id(m): name for name, m in module.named_modules()}
    names = [name for name in dict(module.named_modules(remove_duplicate=False)) if name]
    groups: List[List[str]] = []
    for i, group in enumerate(colocate):
        if isinstance(group, (str, bytes)) or not isinstance(group, collections.abc.Iterable):
            raise TypeError(f"{usage}; group {i} is a {type(group).__name__}")
        paths: List[str] = []
        for name in group:
            if not isinstance(name, str):
                raise TypeError(f"{usage}; group {i} holds a {type(name).__name__}")
            if name == "":
                raise pipecut.InputError(
                    f"colocate: group {i}: '' is the whole module; name its submodules"
                )
            try:
                submodule = module.get_submodule(name)
            except AttributeError:
                close = difflib.get_close_matches(name, names, n=3)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise pipecut.InputError(
                    f"colocate: group {i}: {type(module).__name__} has no submodule {name!r}{hint}"
                ) from None
            paths.append(canonical[id(submodule)])
        if not paths:
            raise pipecut.InputError(f"colocate: group {i} is empty")
        groups.append(paths)
    return groups


def _colour_classes(
    module: nn.Module,
    groups: List[List[str]],
    live: List[torch.fx.Node],
    module_paths: Dict[torch.fx.Node, Tuple[str, ...]],
) -> Dict[torch.fx.Node, int]:
    """Each node's colour class: the colocation group of a module it runs in. Groups that share
    a node must share a stage, so they are merged into one class."""
    parent = list(range(len(groups)))

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    groups_of_path: Dict[str, List[int]] = {}
    for g, paths in enumerate(groups):
        for path in paths:
            groups_of_path.setdefault(path, []).append(g)
    members: Dict[torch.fx.Node, List[int]] = {}
    used: Set[str] = set()
    for n in live:
        found = [g for path in module_paths.get(n, ()) for g in groups_of_path.get(path, ())]
        used.update(path for path in module_paths.get(n, ()) if path in groups_of_path)
        if found:
            members[n] = found
            for g in found[1:]:
                parent[find(g)] = find(found[0])
    for paths in groups:
        for path in paths:
            if path not in used:
                raise pipecut.InputError(
                    f"colocate: {type(module).__name__}.{path} runs no operation on the example "
                    "inputs (it is not called, or computes from parameters alone)"
                )
    return {n: find(found[0]) for n, found in members.items()}


def _build(settings: _Settings) -> _Traced:
    module, inputs, measure = settings.module, settings.inputs, settings.measure
    profile, link, dtype = settings.profile, settings.link, settings.dtype
    sizes = _Bytes(dtype)
    gm, module_paths = _trace(module, inputs)

    synchronize = any(isinstance(x, torch.Tensor) and x.is_cuda for x in inputs)
    probe = _Probe(gm, measure, synchronize)
    try:
        with torch.no_grad():
            for _ in range(1 + _MEASURE_RUNS if measure else 1):
                probe.propagate(*inputs)
    except _NodeFailed as failed:
        _raise_if_the_module_fails(module, inputs)
        raise TraceError(
            f"{type(module).__name__}: the traced graph fails at '{failed.node.name}' although "
            f"the module runs on the example inputs: {_one_line(failed.error)}"
        ) from failed.error
    values = probe.values

    nodes = list(gm.graph.nodes)
    output = next(n for n in nodes if n.op == "output")
    constant: Set[torch.fx.Node] = set()
    for n in nodes:
        if n.op == "get_attr" or (
            n.op.startswith("call_") and all(i in constant for i in _node_inputs(n))
        ):
            constant.add(n)
    # Nodes whose value reaches the output (walking back from it).
    reaches_output: Set[torch.fx.Node] = set()
    stack = _node_inputs(output)
    while stack:
        n = stack.pop()
        if n in reaches_output:
            continue
        reaches_output.add(n)
        stack.extend(_node_inputs(n))
    computed = [n for n in nodes if n.op.startswith("call_") and n not in constant]
    live = [n for n in computed if n in reaches_output]
    side = {n for n in computed if n not in reaches_output}
    if not live:
        raise pipecut.InputError(
            f"{type(module).__name__}: no operation depends on the inputs; nothing to partition"
        )
    classes = _colour_classes(module, settings.colocate, live, module_paths)

    specs = []
    comm: Dict[torch.fx.Node, float] = {}
    unknown: Set[str] = set()
    for n in live:
        out = values[n]
        in_nodes = _node_inputs(n)
        activation = sum(sizes.value(values[i]) for i in in_nodes if i not in constant)
        weights = sum(sizes.value(values[i]) for i in in_nodes if i in constant)
        if n.op == "call_module":
            sub = gm.get_submodule(str(n.target))
            weights += sizes.parameters(sub)
            rule = _module_rule(sub)
            ins = [values[i] for i in in_nodes if i not in constant]
            tensor_ins = [t for v in ins for t in v.tensors]
            first_out = out.first() or _TensorInfo((), torch.float32)
            # Rules count from the first output (the result; attention also returns weights).
            cost = rule(tensor_ins, _ValueInfo((first_out,), 0)) if rule else None
            op_name = type(sub).__name__
        else:

            def arg(i: int, keyword: str, node=n):
                a = node.args[i] if len(node.args) > i else node.kwargs.get(keyword)
                return values[a] if isinstance(a, torch.fx.Node) else a

            cost = _function_cost(n, arg, [values[i] for i in in_nodes], out)
            op_name = _name_of(n)
        if cost is None:  # a leaf module without a rule cannot happen: the tracer opens those
            cost = _Cost(op_name, 10.0 * float(out.numel), known=False)
        if not cost.known:
            unknown.add(op_name)
        written = sizes.value(out)
        if measure:
            work = statistics.median(probe.times[n][1:])
        else:
            work = profile.operator_time_ms(
                cost.op_type, cost.flops, activation + weights + written,
                dtype or _compute_dtype(out.first()),
            )  # fmt: skip
        comm[n] = profile.tensor_transfer_ms(sizes.value(out), link)
        specs.append(
            {"id": n.name, "work": work, "comm": comm[n], "memory": weights, "op": op_name}
        )
    if unknown:
        _log.warning(
            "%s: no exact cost model for operator(s) %s; costed conservatively "
            "(see docs/cost-model.md)",
            type(module).__name__,
            ", ".join(sorted(unknown)),
        )
    live_set = set(live)
    edges = [(i.name, n.name) for n in live for i in _node_inputs(n) if i in live_set]
    for spec, colour in zip(specs, (classes.get(n) for n in live)):
        if colour is not None:
            spec["colour_class"] = colour
    graph = pipecut.Graph(
        specs, edges, name=type(module).__name__, memory_per_stage=settings.memory_per_stage
    )
    return _Traced(gm, graph, module_paths, values, constant, live, side, comm)


def graph_from_module(
    module: nn.Module,
    example_inputs: Any,
    *,
    device: Optional[str] = None,
    dtype: Optional[str] = None,
    link_bandwidth: Optional[float] = None,
    measure: bool = False,
    memory_per_stage: Union[float, str, None] = None,
    colocate: Optional[Sequence[Sequence[str]]] = None,
) -> "pipecut.Graph":
    """The operator graph of `module` called on `example_inputs` (a tensor or a tuple of
    positional inputs), costed for pipeline partitioning.

    Node ids are the torch.fx node names; `op` is the module class (Conv2d) or the function
    (add). Parameters, buffers and operations on them alone fold into their consumers (memory =
    their bytes). Costs use the roofline model of `device` (a built-in profile name, see
    pipecut.device_profiles(), or a JSON profile file; default pipecut.DEFAULT_DEVICE) with
    `dtype` (fp32, tf32, fp16, bf16, int8) overriding the tensors' own floating-point types;
    `link_bandwidth` (GB/s) overrides the device's link. `measure=True` sets each node's work to
    its median wall time over several runs on this machine (in ms, where the inputs live; it
    includes the torch.fx interpreter's small per-node overhead) instead of the roofline.

    Placement constraints: `memory_per_stage` (bytes, or a size such as "16GiB") is every
    stage's memory capacity; `colocate` lists groups of submodule names (as
    module.named_modules() gives them), each group to run in one stage (a colour class).

    Every argument is checked before tracing (TypeError, pipecut.InputError). Example inputs
    the module fails on raise pipecut.InputError; a module torch.fx cannot trace raises
    TraceError; control flow on the inputs' values warns with TraceWarning.
    """
    settings = _check_arguments(
        module, example_inputs, device, dtype, link_bandwidth, measure, memory_per_stage, colocate
    )
    return _build(settings).graph


# ---------------------------------------------------------------------------------------------
# Splitting: stage GraphModules from a partition.


@dataclasses.dataclass(frozen=True)
class BoundaryValue:
    """A value that crosses into or out of a stage."""

    name: str  # the torch.fx node (or module input) that produces it
    source: Optional[int]  # the pipeline position of the stage producing it; None = module input
    shapes: Tuple[Tuple[int, ...], ...]  # shapes of the tensors in it
    bytes: float  # its size, as the cost model counts it


@dataclasses.dataclass(frozen=True)
class Boundary:
    """What one stage receives and sends, in the order of its GraphModule's inputs/outputs."""

    stage: int  # the stage index in the solution
    receives: Tuple[BoundaryValue, ...]  # the stage module's inputs, in order
    sends: Tuple[BoundaryValue, ...]  # outputs that later stages consume
    outputs: Tuple[BoundaryValue, ...]  # all of the stage module's outputs, in order


class NotModuleAlignedError(ValueError):
    """The stages cannot be expressed as split points at submodule starts."""


class _Constant(nn.Module):
    """Holds a parameter, buffer or constant so that the stage using it owns it."""

    def __init__(self, value: Any):
        super().__init__()
        if isinstance(value, nn.Parameter):
            self.value = value
        elif isinstance(value, torch.Tensor):
            self.register_buffer("value", value)
        else:
            self.value = value

    def forward(self) -> Any:
        return self.value


def _plain(value: Any) -> Any:
    """fx's immutable containers back to plain lists and dicts."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_plain(v) for v in value)
    return value


class PipelinePlan:
    """A module split into pipeline stages (returned by split).

    stages      one torch.fx.GraphModule per non-empty stage, in pipeline order
    solution    the pipecut.Solution the stages follow
    graph       the pipecut.Graph that was partitioned (node ids = torch.fx node names)
    boundaries  one Boundary per stage: the values it receives and sends
    """

    def __init__(
        self,
        traced: _Traced,
        solution: "pipecut.Solution",
        split_gm: torch.fx.GraphModule,
        stage_ids: List[int],
    ):
        self.solution = solution
        self.graph = traced.graph
        self.stages: List[torch.fx.GraphModule] = [
            getattr(split_gm, f"submod_{position}") for position in range(len(stage_ids))
        ]
        self._traced = traced
        self._split_gm = split_gm
        self._stage_ids = stage_ids
        self._output = next(n for n in traced.gm.graph.nodes if n.op == "output")
        self.boundaries: List[Boundary] = self._boundaries()

    def _boundaries(self) -> List[Boundary]:
        sizes = _Bytes(None)
        by_name = {n.name: n for n in self._traced.gm.graph.nodes}
        producer: Dict[str, int] = {}
        names_in: List[List[str]] = []
        names_out: List[List[str]] = []
        for position, stage in enumerate(self.stages):
            ins = [n.meta["pipecut_value"] for n in stage.graph.nodes if n.op == "placeholder"]
            out_node = next(n for n in stage.graph.nodes if n.op == "output")
            outs: List[str] = []
            torch.fx.node.map_arg(out_node.args, lambda n: outs.append(n.meta["pipecut_value"]))
            for name in outs:
                producer[name] = position
            names_in.append(ins)
            names_out.append(outs)
        consumed_later: Set[Tuple[int, str]] = {
            (producer[name], name) for ins in names_in for name in ins if name in producer
        }

        def describe(name: str) -> BoundaryValue:
            info = self._traced.values.get(by_name[name]) if name in by_name else None
            shapes = tuple(t.shape for t in info.tensors) if info else ()
            return BoundaryValue(
                name, producer.get(name), shapes, sizes.value(info) if info else 0.0
            )

        return [
            Boundary(
                stage=self._stage_ids[position],
                receives=tuple(describe(n) for n in names_in[position]),
                sends=tuple(
                    describe(n) for n in names_out[position] if (position, n) in consumed_later
                ),
                outputs=tuple(describe(n) for n in names_out[position]),
            )
            for position in range(len(self.stages))
        ]

    def run(self, *inputs: Any) -> Any:
        """Runs the stages one after another on `inputs` (the module's positional inputs), each
        receiving exactly its boundary values, and returns what the module returns (same
        structure: a tensor, a tuple, a dict...)."""
        placeholders = [n for n in self._traced.gm.graph.nodes if n.op == "placeholder"]
        if len(inputs) != len(placeholders):
            raise TypeError(f"run() takes {len(placeholders)} inputs, got {len(inputs)}")
        env: Dict[str, Any] = {p.name: x for p, x in zip(placeholders, inputs)}
        for stage, boundary in zip(self.stages, self.boundaries):
            result = stage(*[env[v.name] for v in boundary.receives])
            names = [v.name for v in boundary.outputs]
            if len(names) == 1:
                env[names[0]] = result
            else:
                env.update(zip(names, result))
        return _plain(torch.fx.node.map_arg(self._output.args[0], lambda n: env[n.name]))

    __call__ = run

    def bench(
        self,
        *inputs: Any,
        runs: int = 30,
        warmup: int = 5,
        pipelined: bool = False,
        microbatches: int = 64,
        pin: bool = True,
    ) -> Dict[str, Any]:
        """Times the stages on this machine against the costs the plan was solved with and
        returns the pipecut.bench v1 document (a dict; json.dump it for `pipecut report
        --measured`). Each stage runs alone, one intra-op thread, on the values it receives
        from `inputs`: `warmup` untimed runs, then `runs` timed ones, each followed by copying
        its boundary values. `pipelined=True` also streams `microbatches` microbatches through
        one process per stage, each pinned to its own core (`pin`); more stages than cores is a
        pipecut.InputError. See docs/python.md, "Predicted against measured"."""
        from pipecut import _torch_bench

        return _torch_bench.bench(self, inputs, runs=runs, warmup=warmup, pipelined=pipelined,
                                  microbatches=microbatches, pin=pin)

    def split_points(self) -> List[str]:
        """Qualified names of the submodules at which stages 2, 3, ... begin, for
        torch.distributed.pipelining (newer PyTorch):
        ``split_spec={name: SplitPoint.BEGINNING for name in plan.split_points()}``.

        Raises NotModuleAlignedError saying why when the stages do not follow the module's
        execution order or a stage does not begin exactly where a submodule call begins."""
        t = self._traced
        assignment = self.solution.assignment
        order = {n: i for i, n in enumerate(t.gm.graph.nodes)}
        latest: Optional[torch.fx.Node] = None  # the node of the highest stage so far
        for n in t.live:
            if latest is not None and assignment[n.name] < assignment[latest.name]:
                raise NotModuleAlignedError(
                    f"the stages do not follow execution order: '{n.name}' (stage "
                    f"{assignment[n.name]}) runs after '{latest.name}' (stage "
                    f"{assignment[latest.name]})"
                )
            if latest is None or assignment[n.name] > assignment[latest.name]:
                latest = n
        # First execution index of every module path, over every node.
        first_in: Dict[str, int] = {}
        for n in t.gm.graph.nodes:
            for path in t.module_paths.get(n, ()):
                first_in.setdefault(path, order[n])
        points: List[str] = []
        for stage in self._stage_ids[1:]:
            first = next(n for n in t.live if assignment[n.name] == stage)
            last_before = max(order[n] for n in t.live if assignment[n.name] < stage)
            candidates = [
                path
                for path in t.module_paths.get(first, ())
                if last_before < first_in[path] <= order[first]
            ]
            if not candidates:
                where = t.module_paths.get(first, ())
                inside = f" inside '{where[-1]}'" if where else " in the top-level forward()"
                raise NotModuleAlignedError(
                    f"stage {stage} begins at '{first.name}'{inside}, which is not the start "
                    "of a submodule call"
                )
            points.append(candidates[0])  # the outermost module that begins there
        return points

    def __repr__(self) -> str:
        return (
            f"<pipecut.torch.PipelinePlan: {len(self.stages)} stages, bottleneck "
            f"{self.solution.bottleneck!r}, lower bound {self.solution.lower_bound!r}>"
        )


def _stage_graph(
    traced: _Traced, assignment: Dict[str, int]
) -> Tuple[torch.fx.GraphModule, Dict[torch.fx.Node, int]]:
    """A copy of the traced graph ready for split_module: every node tagged with its stage;
    parameters (get_attr) replaced by calls of _Constant modules and folded operations copied
    into each stage that uses them, so that every stage owns its weights."""
    gm = traced.gm
    new = torch.fx.Graph()
    env: Dict[torch.fx.Node, torch.fx.Node] = {}
    stage_of: Dict[torch.fx.Node, int] = {}
    copies: Dict[Tuple[torch.fx.Node, int], torch.fx.Node] = {}
    holders: Dict[str, str] = {}
    first_stage = min(assignment.values())

    def tag(new_node: torch.fx.Node, original: torch.fx.Node, stage: int) -> torch.fx.Node:
        new_node.meta = dict(original.meta)
        new_node.meta["pipecut_value"] = original.name
        stage_of[new_node] = stage
        return new_node

    def holder_for(target: str) -> str:
        if target not in holders:
            value: Any = gm
            for atom in target.split("."):
                value = getattr(value, atom)
            name = "pipecut_constant_" + target.replace(".", "_")
            gm.add_submodule(name, _Constant(value))
            holders[target] = name
        return holders[target]

    def materialise(original: torch.fx.Node, stage: int) -> torch.fx.Node:
        key = (original, stage)
        if key not in copies:
            if original.op == "get_attr":
                made = new.create_node(
                    "call_module", holder_for(str(original.target)), (), {}, name=original.name
                )
            else:
                made = new.node_copy(original, lambda a: resolve(a, stage))
            copies[key] = tag(made, original, stage)
        return copies[key]

    def resolve(a: torch.fx.Node, stage: int) -> torch.fx.Node:
        return materialise(a, stage) if a in traced.constant else env[a]

    for n in gm.graph.nodes:
        if n.op == "placeholder":
            env[n] = tag(new.node_copy(n), n, -1)
        elif n.name in assignment:
            stage = assignment[n.name]
            env[n] = tag(new.node_copy(n, lambda a, s=stage: resolve(a, s)), n, stage)
        elif n in traced.side:
            # Next to its inputs: the latest stage producing one, else the first stage.
            stages = [stage_of[env[i]] for i in _node_inputs(n) if i in env]
            stage = max([s for s in stages if s >= 0], default=first_stage)
            env[n] = tag(new.node_copy(n, lambda a, s=stage: resolve(a, s)), n, stage)
        elif n.op == "output":
            last_stage = max(assignment.values())
            new.output(torch.fx.node.map_arg(n.args[0], lambda a: resolve(a, last_stage)))
    return torch.fx.GraphModule(gm, new, gm.__class__.__name__), stage_of


def split(
    module: nn.Module,
    example_inputs: Any,
    k: int,
    *,
    device: Optional[str] = None,
    dtype: Optional[str] = None,
    link_bandwidth: Optional[float] = None,
    measure: bool = False,
    memory_per_stage: Union[float, str, None] = None,
    colocate: Optional[Sequence[Sequence[str]]] = None,
    target_ratio: Optional[float] = None,
    time_limit: Optional[float] = None,
    algorithm: Optional[str] = None,
    preset: Optional[str] = None,
    population: Optional[int] = None,
    generations: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    mip_threads: Optional[int] = None,
    solver_log: Optional[bool] = None,
    progress: Optional[Callable[["pipecut.Progress"], object]] = None,
) -> PipelinePlan:
    """Splits `module` into at most k pipeline stages with the best bottleneck pipecut finds.

    The graph is built as graph_from_module(module, example_inputs, device=..., dtype=...,
    link_bandwidth=..., measure=..., memory_per_stage=..., colocate=...) and solved with
    pipecut.solve(graph, k, target_ratio=..., time_limit=..., algorithm=..., preset=...,
    population=..., generations=..., seed=..., threads=..., mip_threads=..., solver_log=...,
    progress=...); a solve option left at None takes pipecut.solve's default (docs/options.md). Every argument is checked before the module is traced. The stages
    are built by torch.fx.passes.split_module; they share the module's parameters (not copies).
    Returns a PipelinePlan; plan.run(*inputs) computes what module(*inputs) does. Raises
    pipecut.InfeasibleError or pipecut.NoFeasiblePartitionError when no partition satisfies
    memory_per_stage and colocate."""
    given = {
        "target_ratio": target_ratio,
        "time_limit": time_limit,
        "algorithm": algorithm,
        "preset": preset,
        "population": population,
        "generations": generations,
        "seed": seed,
        "threads": threads,
        "mip_threads": mip_threads,
        "solver_log": solver_log,
        "progress": progress,
    }
    solve_options = {name: value for name, value in given.items() if value is not None}
    settings = _check_arguments(
        module, example_inputs, device, dtype, link_bandwidth, measure, memory_per_stage, colocate
    )
    pipecut._pipecut._check_solve_arguments(k, **solve_options)
    traced = _build(settings)
    solution = pipecut.solve(traced.graph, k, **solve_options)
    assignment = solution.assignment
    stage_ids = sorted(set(assignment.values()))
    position = {stage: i for i, stage in enumerate(stage_ids)}
    compact = {name: position[stage] for name, stage in assignment.items()}
    gm, stage_of = _stage_graph(traced, compact)
    split_gm = split_module(gm, module, lambda node: stage_of[node])
    return PipelinePlan(traced, solution, split_gm, stage_ids)
