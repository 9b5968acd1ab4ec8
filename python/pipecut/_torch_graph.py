"""pipecut.torch, analysis (a private module; the public names are in pipecut.torch): the
arguments of graph_from_module and split checked, the traced module run once on the example
inputs, which nodes are graph nodes, their costs and placement constraints, and the
pipecut.Graph (docs/python.md, "pipecut.torch")."""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import logging
import math
import numbers
import os
import statistics
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

import pipecut
from pipecut._torch_cost import (
    _Bytes,
    _compute_dtype,
    _Cost,
    _function_cost,
    _module_rule,
    _name_of,
    _summarise,
    _TensorInfo,
    _ValueInfo,
)
from pipecut._torch_trace import (
    TraceError,
    _as_inputs,
    _bind_inputs,
    _node_inputs,
    _one_line,
    _raise_if_the_module_fails,
    _trace,
)

_log = logging.getLogger("pipecut")

# Timed runs per node with measure=True, after one warm-up run; the median is used.
_MEASURE_RUNS = 5

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
    # A pipecut.cluster file (docs/clusters.md) and its classes: (name, speed, the
    # DeviceProfile of its device_model or None), and its device count.
    cluster: Optional[str] = None
    classes: List[Tuple[str, float, Optional["pipecut.DeviceProfile"]]] = dataclasses.field(
        default_factory=list
    )
    devices: int = 0
    # The synthesised backward pass (docs/training.md, "Synthesising a backward pass"): None =
    # none, else pipecut.add_backward_pass's factor, with "ops" = the per-operator table.
    backward_pass: Union[None, str, float] = None


def _check_arguments(
    module: Any,
    example_inputs: Any,
    device: Any,
    dtype: Any,
    link_bandwidth: Any,
    measure: Any,
    memory_per_stage: Any,
    colocate: Any,
    cluster: Any = None,
    backward_pass: Any = None,
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
    settings = _Settings(module, inputs, profile, link, dtype, measure, capacity, groups)
    if cluster is not None:
        if not isinstance(cluster, (str, os.PathLike)):
            raise TypeError(f"cluster must be a path or None, not {type(cluster).__name__}")
        if capacity is not None:
            raise pipecut.InputError(
                "cluster and memory_per_stage contradict each other: the cluster's device "
                "classes give each device's memory"
            )
        settings.cluster = os.fspath(cluster)
        settings.classes, settings.devices = pipecut._pipecut._cluster_classes(settings.cluster)
    settings.backward_pass = _backward_pass_argument(backward_pass)
    if settings.backward_pass is not None and settings.cluster is not None:
        raise pipecut.InputError(
            "backward_pass and cluster: training graphs are solved on identical devices only "
            "(docs/training.md)"
        )
    return settings


def _backward_pass_argument(value: Any) -> Union[None, str, float]:
    """None or "none" (no backward pass), "ops" (the per-operator table) or a number >= 0 (one
    factor for every node), as read_graph's backward_pass takes them."""
    if value is None or value == "none":
        return None
    if isinstance(value, str):
        if value != "ops":
            raise pipecut.InputError(
                f"backward_pass: must be one of none, ops, or a number >= 0 (got {value!r})"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"backward_pass must be None, 'ops' or a number, not {type(value).__name__}"
        )
    if not math.isfinite(value) or value < 0:
        raise pipecut.InputError(
            f"backward_pass: must be one of none, ops, or a number >= 0 (got {value!r})"
        )
    return float(value)


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
        spec = {"id": n.name, "work": work, "comm": comm[n], "memory": weights, "op": op_name}
        if settings.backward_pass is not None:
            # The value a backward node reads is kept until then: its size is the stash
            # (docs/training.md, "Memory"); without a cluster it changes no cost.
            spec["bytes"] = written
        if settings.cluster is not None:
            # As the ONNX importer with --cluster (docs/clusters.md, "ONNX inputs"): the value's
            # bytes cross each link at its bandwidth, and when some class names a device_model
            # every node gets a work map: that profile's roofline on such a class, the work
            # above over the class's speed on the others.
            spec["bytes"] = written
            if any(class_profile is not None for _, _, class_profile in settings.classes):
                spec["work"] = {
                    name: class_profile.operator_time_ms(
                        cost.op_type, cost.flops, activation + weights + written,
                        dtype or _compute_dtype(out.first()),
                    ) if class_profile is not None else work / speed
                    for name, speed, class_profile in settings.classes
                }  # fmt: skip
        specs.append(spec)
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
        specs,
        edges,
        name=type(module).__name__,
        memory_per_stage=settings.memory_per_stage,
        cluster=settings.cluster,
    )
    if settings.backward_pass is not None:
        graph = pipecut.add_backward_pass(
            graph, None if settings.backward_pass == "ops" else settings.backward_pass
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
    cluster: Union[str, "os.PathLike[str]", None] = None,
    backward_pass: Union[None, str, float] = None,
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

    `cluster`: a pipecut.cluster file (docs/clusters.md). The graph is then costed for its
    device classes as the ONNX importer does: each node's `bytes` is its value's size, and when
    a class names a device_model, `work` is a map over the classes (that profile's roofline on
    such a class, the `device` roofline or the measured time over the class's speed on the
    others). The graph is solved on the cluster, whose device memories replace memory_per_stage.

    `backward_pass`: "ops" or a factor >= 0 makes the graph a training graph, as read_graph's
    backward_pass does (docs/training.md, "Synthesising a backward pass"): every node gets a
    backward twin in its stage whose work is the node's times the factor ("ops": 2 for
    convolutions, linear layers, matrix products and attention, 1 for the rest), and every
    node's `bytes` is its value's size, the stash the schedule keeps for the backward pass.

    Every argument is checked before tracing (TypeError, pipecut.InputError). Example inputs
    the module fails on raise pipecut.InputError; a module torch.fx cannot trace raises
    TraceError; control flow on the inputs' values warns with TraceWarning.
    """
    settings = _check_arguments(
        module, example_inputs, device, dtype, link_bandwidth, measure, memory_per_stage, colocate,
        cluster, backward_pass,
    )  # fmt: skip
    return _build(settings).graph
