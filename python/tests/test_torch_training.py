"""pipecut.torch training splits (docs/python.md, "Training plans"; docs/training.md,
"Synthesising a backward pass"): the traced graph gets a backward pass, the solve balances
forward plus backward work under the schedule's stash, and an optimizer step through the stage
modules is the step on the whole module."""

import copy
import os
import pathlib

import pytest
import torch
from torch import nn

import pipecut
import pipecut.torch as pt

SOLVE = {"time_limit": 20, "threads": 1}
ROOT = pathlib.Path(os.environ.get("PIPECUT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLUSTER = ROOT / "data" / "clusters" / "consumer-mix.json"


class SkipNet(nn.Module):
    """lin0's output skips over lin1 .. lin2 to the add before the head."""

    def __init__(self):
        super().__init__()
        self.lin0 = nn.Linear(16, 64)
        self.lin1 = nn.Linear(64, 64)
        self.lin2 = nn.Linear(64, 64)
        self.head = nn.Linear(64, 8)

    def forward(self, x):
        h0 = self.lin0(x)
        h = torch.relu(self.lin1(torch.relu(h0)))
        h = torch.relu(self.lin2(h))
        return self.head(h + h0)


def mlp():
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.Tanh(),
                         nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8))


def conv_net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )  # fmt: skip


def one_stage_memory(graph):
    """Weights plus stash of the whole graph in one stage (1F1B has one microbatch in flight
    on a single stage): a capacity just below it forces two or more stages."""
    backward = {n["id"] for n in graph.nodes if n.get("backward")}
    stashed = {u for u, v in graph.edges if v in backward and u not in backward}
    weights = sum(n["memory"] for n in graph.nodes)
    stash = sum(n["bytes"] for n in graph.nodes if n["id"] in stashed)
    assert weights > 0 and stash > 0
    return weights + stash


def loss_of(output, target):
    return ((output - target) ** 2).mean() + 0.1 * output.abs().sum()


def train_and_compare(make, x, k, optimizer, steps=2, colocate=None, min_boundary=1):
    """Splits one copy of a model for training, trains it through the stage modules and the other
    copy whole, and compares every gradient and updated parameter."""
    torch.manual_seed(0)
    split_model = make().eval()  # eval: batch norm uses (and keeps) its running statistics
    whole_model = copy.deepcopy(split_model)
    graph = pt.graph_from_module(split_model, (x,), backward_pass="ops", colocate=colocate)
    capacity = one_stage_memory(graph) - 1
    plan = pt.split(split_model, (x,), k, backward_pass="ops", schedule="1f1b", microbatches=2,
                    memory_per_stage=capacity, colocate=colocate, **SOLVE)
    assert len(plan.stages) >= 2, plan.solution.assignment
    # The solve saw the backward twins: every one in its forward node's stage.
    assignment = plan.solution.assignment
    twins = [n["id"] for n in plan.graph.nodes if n.get("backward")]
    assert len(twins) * 2 == plan.graph.num_nodes
    assert all(assignment[t] == assignment[t[:-1]] for t in twins)
    crossing = max(
        sum(1 for v in b.receives if v.source is not None) for b in plan.boundaries
    )
    assert crossing >= min_boundary, plan.boundaries

    target = torch.randn_like(whole_model(x))
    optimizers = [optimizer(m.parameters()) for m in (split_model, whole_model)]
    for _ in range(steps):
        for o in optimizers:
            o.zero_grad()
        split_loss = loss_of(plan.run(x), target)
        whole_loss = loss_of(whole_model(x), target)
        split_loss.backward()
        whole_loss.backward()
        assert torch.allclose(split_loss, whole_loss, rtol=1e-5, atol=1e-6)
        split_grads = dict(split_model.named_parameters())
        for name, p in whole_model.named_parameters():
            mine = split_grads[name]
            assert mine.grad is not None, f"{name}: no gradient through the stages"
            assert torch.allclose(mine.grad, p.grad, rtol=1e-5, atol=1e-6), name
        for o in optimizers:
            o.step()
        for (name, mine), (_, theirs) in zip(split_model.named_parameters(),
                                             whole_model.named_parameters()):
            assert torch.allclose(mine, theirs, rtol=1e-5, atol=1e-6), name
    # The step really moved the parameters away from where both copies started.
    torch.manual_seed(0)
    start = make()
    moved = any(not torch.allclose(a, b) for a, b in zip(start.parameters(), split_model.parameters()))
    assert moved
    for (_, a), (_, b) in zip(split_model.named_buffers(), whole_model.named_buffers()):
        assert torch.equal(a, b)
    return plan


@pytest.mark.parametrize("k", [2, 3])
def test_an_sgd_step_through_the_stages_of_an_mlp_is_the_whole_models_step(k):
    sgd = lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9)  # noqa: E731
    train_and_compare(mlp, torch.randn(8, 16), k, sgd)


@pytest.mark.parametrize("k", [2, 3])
def test_an_adam_step_through_a_conv_net_with_batch_norm_is_the_whole_models_step(k):
    adam = lambda params: torch.optim.Adam(params, lr=1e-3)  # noqa: E731
    train_and_compare(conv_net, torch.randn(2, 3, 8, 8), k, adam)


def test_a_skip_connection_across_stages_trains_as_the_whole_model():
    # lin0 and lin1 share a stage, so every split cuts the skip from lin0 to the add: the stage
    # with the add receives two tensors from earlier stages.
    sgd = lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9)  # noqa: E731
    plan = train_and_compare(SkipNet, torch.randn(8, 16), 3, sgd,
                             colocate=[["lin0", "lin1"]], min_boundary=2)
    names = {v.name for b in plan.boundaries for v in b.receives if v.source is not None}
    assert "lin0" in names


def test_the_graph_gets_the_backward_pass_and_its_stash():
    x = torch.randn(4, 16)
    module = mlp().eval()
    plain = pt.graph_from_module(module, (x,))
    graph = pt.graph_from_module(module, (x,), backward_pass="ops")
    assert graph.num_nodes == 2 * plain.num_nodes
    assert all("backward" not in n and "bytes" not in n for n in plain.nodes)
    forward = {n["id"]: n for n in plain.nodes}
    for n in graph.nodes:
        if not n.get("backward"):
            assert n["bytes"] > 0  # the value's size: the stash a backward node reads
            continue
        f = forward[n["id"][:-1]]
        factor = 2.0 if f["op"] == "Linear" else 1.0
        assert n["work"] == pytest.approx(factor * f["work"], rel=1e-15)
        assert n["memory"] == 0
    uniform = pt.graph_from_module(module, (x,), backward_pass=3)
    assert uniform.total_work == pytest.approx(4 * plain.total_work, rel=1e-12)
    assert pt.graph_from_module(module, (x,), backward_pass="none").nodes == plain.nodes
    # The same graph as pipecut.add_backward_pass of the inference graph with its bytes.
    with_bytes = pipecut.Graph([{**n, "bytes": g["bytes"]} for n, g in zip(plain.nodes, graph.nodes)],
                               plain.edges, plain.name)
    assert pipecut.add_backward_pass(with_bytes).to_json() == graph.to_json()


def test_a_training_split_sees_the_stash_of_its_schedule():
    x = torch.randn(8, 16)
    module = mlp().eval()
    graph = pt.graph_from_module(module, (x,), backward_pass="ops")
    capacity = one_stage_memory(graph)
    # One stage holds everything with one microbatch in flight; 1f1b on one stage has one.
    plan = pt.split(module, (x,), 1, backward_pass="ops", schedule="1f1b", microbatches=4,
                    memory_per_stage=capacity, **SOLVE)
    assert len(plan.stages) == 1
    # gpipe keeps all 4 microbatches' stash: one stage no longer fits.
    with pytest.raises(pipecut.InfeasibleError):
        pt.split(module, (x,), 1, backward_pass="ops", schedule="gpipe", microbatches=4,
                 memory_per_stage=capacity, **SOLVE)
    # Without a backward pass there is no stash, whatever the schedule.
    plan = pt.split(module, (x,), 1, schedule="gpipe", microbatches=4,
                    memory_per_stage=capacity, **SOLVE)
    assert len(plan.stages) == 1


class Counting(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.lin(x)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (-1, pipecut.InputError, r"backward_pass: must be one of none, ops, or a number >= 0 \(got -1\)"),
        ("all", pipecut.InputError, r"backward_pass: must be one of none, ops, or a number >= 0"),
        (float("nan"), pipecut.InputError, "backward_pass"),
        (True, TypeError, "backward_pass must be None, 'ops' or a number, not bool"),
        ([2], TypeError, "backward_pass must be None"),
    ],
)
def test_bad_backward_pass_values_are_refused_before_tracing(value, error, message):
    module = Counting()
    for call in (pt.graph_from_module, lambda m, x, **kw: pt.split(m, x, 2, **kw)):
        with pytest.raises(error, match=message):
            call(module, torch.randn(2, 4), backward_pass=value)
    assert module.calls == 0


def test_a_training_plan_is_not_benched_against_forward_runs():
    x = torch.randn(2, 16)
    plan = pt.split(mlp().eval(), (x,), 2, backward_pass=1, **SOLVE)
    with pytest.raises(pipecut.InputError, match="split with a backward pass"):
        plan.bench(x, runs=1, warmup=0)


def test_add_backward_pass_in_python():
    g = pipecut.Graph(
        [{"id": "a", "work": 2, "comm": 1, "op": "MatMul"}, {"id": "b", "work": 1, "comm": 1}],
        [("a", "b")], "two",
    )
    t = pipecut.add_backward_pass(g)
    assert t.ids == ["a", "b", "a'", "b'"]
    assert [n["work"] for n in t.nodes] == [2, 1, 4, 1]
    assert [n.get("backward", False) for n in t.nodes] == [False, False, True, True]
    assert sorted(t.edges) == [("a", "b"), ("a", "b'"), ("b'", "a'")]
    assert pipecut.Graph(t.nodes, t.edges, t.name).to_json() == t.to_json()  # nodes round-trip
    assert [n["work"] for n in pipecut.add_backward_pass(g, 0.5).nodes] == [2, 1, 1, 0.5]
    with pytest.raises(pipecut.InputError, match="already has backward nodes"):
        pipecut.add_backward_pass(t)
    with pytest.raises(pipecut.InputError, match="factor"):
        pipecut.add_backward_pass(g, -1)
    with pytest.raises(TypeError, match="factor must be a number"):
        pipecut.add_backward_pass(g, "ops")
    with pytest.raises(TypeError, match="'backward' must be a bool"):
        pipecut.Graph([{"id": "a", "work": 1, "comm": 1, "backward": 1}])
    # Training graphs are solved on identical devices: no cluster, as read_graph's rule.
    with pytest.raises(pipecut.InputError, match="training graphs are solved on identical devices"):
        pipecut.Graph(t.nodes, t.edges, t.name, cluster=CLUSTER)
    on_cluster = pipecut.Graph(g.nodes, g.edges, g.name, cluster=CLUSTER)
    with pytest.raises(pipecut.InputError, match="training graphs are solved on identical devices"):
        pipecut.add_backward_pass(on_cluster)
    with pytest.raises(pipecut.InputError, match="backward_pass and cluster"):
        pt.graph_from_module(mlp(), (torch.randn(2, 16),), backward_pass="ops", cluster=CLUSTER)
