"""pipecut.torch, tracing (a private module; the public names are in pipecut.torch): torch.fx
with concrete values for control flow, each node's module path, and the errors and warnings a
module that cannot be traced faithfully gets (docs/python.md, "pipecut.torch")."""

from __future__ import annotations

import dis
import inspect
import operator
import os
import types
import warnings
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import torch
import torch.fx
from torch import nn

import pipecut
from pipecut._torch_cost import _module_rule, _name_of

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


def _node_inputs(node: torch.fx.Node) -> List[torch.fx.Node]:
    """Distinct input nodes, in argument order."""
    seen: Dict[torch.fx.Node, None] = {}
    torch.fx.node.map_arg((node.args, node.kwargs), lambda n: seen.setdefault(n))
    return list(seen)


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
