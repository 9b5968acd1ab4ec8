"""pipecut.torch, splitting (a private module; the public names are in pipecut.torch): the
stage GraphModules of a solved partition, what crosses between them, and split itself."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.fx
from torch import nn
from torch.fx.passes.split_module import split_module

import pipecut
from pipecut._torch_cost import _Bytes
from pipecut._torch_graph import _build, _check_arguments, _Traced
from pipecut._torch_trace import _node_inputs

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
    devices     on a cluster, each stage's device ('host:index'), else None per stage
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
        by_stage = solution.devices  # [] without a cluster
        self.devices: List[Optional[str]] = [
            by_stage[stage] if by_stage else None for stage in stage_ids
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
    k: Optional[int] = None,
    *,
    device: Optional[str] = None,
    dtype: Optional[str] = None,
    link_bandwidth: Optional[float] = None,
    measure: bool = False,
    memory_per_stage: Union[float, str, None] = None,
    colocate: Optional[Sequence[Sequence[str]]] = None,
    cluster: Union[str, "os.PathLike[str]", None] = None,
    backward_pass: Union[None, str, float] = None,
    target_ratio: Optional[float] = None,
    time_limit: Optional[float] = None,
    prefer: Optional[str] = None,
    schedule: Optional[str] = None,
    microbatches: Optional[int] = None,
    optimizer_state: Optional[float] = None,
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
    link_bandwidth=..., measure=..., memory_per_stage=..., colocate=..., cluster=...,
    backward_pass=...) and solved
    with pipecut.solve(graph, k, target_ratio=..., time_limit=..., prefer=..., schedule=...,
    microbatches=..., optimizer_state=..., algorithm=..., preset=...,
    population=..., generations=..., seed=..., threads=..., mip_threads=..., solver_log=...,
    progress=...); a solve option left at None takes pipecut.solve's default (docs/options.md). Every argument is checked before the module is traced. The stages
    are built by torch.fx.passes.split_module; they share the module's parameters (not copies).
    With a `cluster` (a pipecut.cluster file), the graph is costed for its device classes and
    solved on it: pipecut chooses the stages' devices (plan.devices), and k defaults to its
    device count; without one, k is required.
    With `backward_pass` ("ops" or a factor: docs/training.md, "Synthesising a backward pass"),
    the solve sees each operator's forward and backward work, and schedule, microbatches and
    optimizer_state count the weights, optimizer state and stash against memory_per_stage; the
    stage modules are the forward stages, and torch's autograd runs the backward pass through
    them (each operator's gradient on its forward stage), so the plan trains as the module does.
    Returns a PipelinePlan; plan.run(*inputs) computes what module(*inputs) does. Raises
    pipecut.InfeasibleError or pipecut.NoFeasiblePartitionError when no partition satisfies
    memory_per_stage and colocate."""
    given = {
        "target_ratio": target_ratio,
        "time_limit": time_limit,
        "prefer": prefer,
        "schedule": schedule,
        "microbatches": microbatches,
        "optimizer_state": optimizer_state,
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
        module, example_inputs, device, dtype, link_bandwidth, measure, memory_per_stage, colocate,
        cluster, backward_pass,
    )  # fmt: skip
    if k is None:
        if settings.cluster is None:
            raise pipecut.InputError("k: give the number of stages (or a cluster, whose device "
                                     "count is the default)")
        k = settings.devices
    pipecut._pipecut._check_solve_arguments(k, **solve_options)
    if settings.cluster is not None and isinstance(k, int) and k > settings.devices:
        raise pipecut.InputError(
            f"k = {k} stages, but cluster {settings.cluster} has only {settings.devices} devices"
        )
    traced = _build(settings)
    solution = pipecut.solve(traced.graph, k, **solve_options)
    assignment = solution.assignment
    stage_ids = sorted(set(assignment.values()))
    position = {stage: i for i, stage in enumerate(stage_ids)}
    compact = {name: position[stage] for name, stage in assignment.items()}
    # The backward twins (ids with a ' that no torch.fx name has) run in their forward node's
    # stage; the stage modules hold the forward nodes, and autograd runs the backward.
    gm, stage_of = _stage_graph(traced, compact)
    split_gm = split_module(gm, module, lambda node: stage_of[node])
    return PipelinePlan(traced, solution, split_gm, stage_ids)
