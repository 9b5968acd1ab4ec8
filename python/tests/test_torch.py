"""pipecut.torch: graphs from torch modules and pipelines of stage GraphModules. Models have random
weights and small inputs so that the suite stays fast."""

import json
import logging
import math
import re
import warnings

import pytest
import torch
import torchvision
from torch import nn

import pipecut
import pipecut.torch as pt

SOLVE = {"time_limit": 10, "threads": 1}


def transformer_encoder():
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64)
    return nn.TransformerEncoder(layer, num_layers=2)


# name -> (constructor, example input, stage counts). Built once per test session.
MODELS = {
    "resnet18": (torchvision.models.resnet18, (1, 3, 32, 32), (2, 3, 6)),
    "mobilenet_v3_small": (torchvision.models.mobilenet_v3_small, (1, 3, 32, 32), (2, 4, 7)),
    "vit_b_16": (lambda: torchvision.models.vit_b_16(image_size=32), (1, 3, 32, 32), (2, 5)),
    "transformer_encoder": (transformer_encoder, (6, 2, 32), (2, 3, 8)),
}


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {name: (make().eval(), torch.randn(shape)) for name, (make, shape, _) in MODELS.items()}


def check_plan(plan, module, x, k):
    """The checks every plan must pass: same result as the module, a valid partition whose
    stages match the solution, and boundaries that cost what the solution says."""
    with torch.no_grad():
        expected = module(x)
        got = plan.run(x)
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-5)
    s = plan.solution
    assert s.k == k and len(plan.stages) == s.stages_used <= k
    e = pipecut.evaluate(plan.graph, s.assignment, k=k)
    assert e.bottleneck == pytest.approx(s.bottleneck, rel=1e-12)
    assert s.lower_bound <= s.bottleneck * (1 + 1e-9)
    # Every graph node runs in the stage the solution gives it, exactly once.
    for stage_module, stage in zip(plan.stages, s.stages):
        names = {n.meta["pipecut_value"] for n in stage_module.graph.nodes if n.op not in ("placeholder", "output")}
        assert set(stage.nodes) <= names
    # Boundaries: the stage modules' inputs, and the comm the cost model charged for them.
    profile = pipecut.device_profile()
    nodes = {n["id"]: n for n in plan.graph.nodes}
    for stage_module, boundary, stage in zip(plan.stages, plan.boundaries, s.stages):
        assert boundary.stage == stage.stage
        placeholders = [n for n in stage_module.graph.nodes if n.op == "placeholder"]
        assert len(placeholders) == len(boundary.receives)
        received = [v for v in boundary.receives if v.source is not None]
        assert sum(nodes[v.name]["comm"] for v in received) == pytest.approx(stage.comm_in)
        assert sum(profile.tensor_transfer_ms(v.bytes) for v in received) == pytest.approx(stage.comm_in)
        assert sum(nodes[v.name]["comm"] for v in boundary.sends) == pytest.approx(stage.comm_out)
        assert all(v.source is None or v.source < plan.boundaries.index(boundary) for v in boundary.receives)


@pytest.mark.filterwarnings("error::pipecut.torch.TraceWarning")  # shape-only control flow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_split_runs_like_the_module(models, name):
    module, x = models[name]
    for k in MODELS[name][2]:
        plan = pt.split(module, (x,), k, **SOLVE)
        check_plan(plan, module, x, k)
        if k > 1:
            assert len(plan.stages) > 1  # these models are worth splitting at every k tested


def test_graph_from_module_structure(models):
    module, x = models["resnet18"]
    g = pt.graph_from_module(module, (x,))
    ops = {n["op"] for n in g.nodes}
    assert {"Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "AdaptiveAvgPool2d", "Linear", "add"} <= ops
    conv_nodes = [n for n in g.nodes if n["op"] == "Conv2d"]
    assert len(conv_nodes) == 20  # resnet18: 1 stem + 16 block + 3 downsample convolutions
    # Parameters fold into their consumers: memory = parameter and buffer bytes.
    total = sum(p.numel() * 4 for p in module.parameters()) + sum(b.numel() * b.element_size() for b in module.buffers())
    assert sum(n["memory"] for n in g.nodes) == total
    assert g.node("conv1")["memory"] == module.conv1.weight.numel() * 4
    # The only graph input is x; the stem convolution reads it and is a source.
    assert g.predecessors("conv1") == []
    assert all(n["work"] > 0 for n in g.nodes if n["op"] != "flatten")


def test_costs_match_the_onnx_importer_on_the_same_model(tmp_path):
    """graph_from_module and read_graph(ONNX export) price each operator identically: the same
    FLOP and byte counts through the same C++ roofline."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.pool = nn.MaxPool2d(2)
            self.flat = nn.Flatten()
            self.fc = nn.Linear(8 * 4 * 4, 10)
            self.soft = nn.Softmax(dim=1)

        def forward(self, x):
            y = self.relu(self.conv(x))
            y = y + self.conv2(y)
            return self.soft(self.fc(self.flat(self.pool(y))))

    torch.manual_seed(0)
    module, x = Net().eval(), torch.randn(1, 3, 8, 8)
    path = tmp_path / "net.onnx"
    torch.onnx.export(module, (x,), str(path), opset_version=13)
    # On a cluster: bytes per tensor, and work per class (a device_model's roofline, or the
    # --device roofline over the class's speed), as read_graph(ONNX, cluster=) gives them.
    cluster = tmp_path / "cluster.json"
    cluster.write_text(json.dumps(MIXED_CLUSTER))
    speeds_only = tmp_path / "speeds.json"
    speeds_only.write_text(json.dumps(dict(MIXED_CLUSTER, device_classes={
        "big": {"memory": "16GiB"}, "small": {"memory": "16GiB", "speed": 0.25}})))
    for options in ({}, {"device": "t4"}, {"device": "a100-sxm", "dtype": "fp16"},
                    {"cluster": str(cluster)}, {"cluster": str(cluster), "device": "t4"},
                    {"cluster": str(speeds_only)}):
        from_onnx = pipecut.read_graph(path, **options)
        from_torch = pt.graph_from_module(module, (x,), **options)
        assert from_onnx.num_nodes == from_torch.num_nodes == 8
        assert from_onnx.num_edges == from_torch.num_edges
        for a, b in zip(from_onnx.nodes, from_torch.nodes):  # both in execution order
            assert (a["work"], a["comm"], a["memory"]) == pytest.approx((b["work"], b["comm"], b["memory"]), rel=1e-12), (a, b)
            assert a.get("bytes") == b.get("bytes"), (a, b)
            if "cluster" in options:
                assert b["bytes"] > 0
                # A work map exactly when some class names a device_model.
                assert isinstance(b["work"], dict) == (options["cluster"] == str(cluster))


# Two device classes: "big" priced by the t4 profile's roofline, "small" by the --device
# profile at a quarter of its speed; one host.
MIXED_CLUSTER = {
    "format": "pipecut.cluster", "version": 1, "name": "mixed",
    "device_classes": {"big": {"memory": "16GiB", "device_model": "t4"},
                       "small": {"memory": "16GiB", "speed": 0.25}},
    "hosts": [{"name": "h0", "devices": [{"class": "small", "count": 2}, {"class": "big"}],
               "bandwidth": "16GB/s"}],
}


def test_split_on_a_cluster(tmp_path):
    """split(..., cluster=FILE): costed per class, solved on the cluster, stages on their
    devices, and the stages still compute what the module does."""
    cluster = tmp_path / "cluster.json"
    cluster.write_text(json.dumps(MIXED_CLUSTER))
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                           nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)).eval()
    x = torch.randn(512, 64)
    plan = pt.split(module, (x,), cluster=cluster, **SOLVE)
    with torch.no_grad():
        assert torch.allclose(plan.run(x), module(x), rtol=1e-4, atol=1e-5)
    s = plan.solution
    assert s.k == 3  # the cluster's device count
    assert len(plan.devices) == len(plan.stages) == s.stages_used
    assert plan.devices == [st.device for st in s.stages]
    assert len(set(plan.devices)) == len(plan.devices) and set(plan.devices) <= {"h0:0", "h0:1", "h0:2"}
    assert all(st.device_class == ("big" if st.device == "h0:2" else "small") for st in s.stages)
    # Every node priced on both classes, with its output's bytes.
    for n in plan.graph.nodes:
        assert set(n["work"]) == {"big", "small"} and n["bytes"] > 0
    assert pipecut.evaluate(plan.graph, s).bottleneck == s.bottleneck
    # The same graph through the file format: solving it with the CLI gives the same answer.
    graph_file = tmp_path / "g.json"
    graph_file.write_text(plan.graph.to_json())
    again = pipecut.solve(pipecut.read_graph(graph_file, cluster=str(cluster)), **SOLVE)
    assert (again.bottleneck, again.devices) == (s.bottleneck, s.devices)
    # Without a cluster the records carry no device; k is then required.
    plain = pt.split(module, (x,), 2, **SOLVE)
    assert plain.devices == [None] * len(plain.stages)
    with pytest.raises(pipecut.InputError, match="give the number of stages"):
        pt.split(module, (x,))
    # Checked before tracing.
    with pytest.raises(pipecut.InputError, match="only 3 devices"):
        pt.split(module, (x,), 4, cluster=cluster)
    with pytest.raises(pipecut.InputError, match="cluster and memory_per_stage"):
        pt.split(module, (x,), cluster=cluster, memory_per_stage="1GiB")
    with pytest.raises(TypeError, match="cluster must be a path"):
        pt.graph_from_module(module, (x,), cluster=3)
    with pytest.raises(pipecut.InputError):
        pt.graph_from_module(module, (x,), cluster=tmp_path / "missing.json")


def test_dtype_device_and_link_options(models):
    module, x = models["transformer_encoder"]
    base = pt.graph_from_module(module, (x,))
    half = pt.graph_from_module(module, (x,), dtype="fp16")
    a100 = pipecut.device_profile()
    for b, h in zip(base.nodes, half.nodes):
        assert h["memory"] == pytest.approx(b["memory"] / 2)
        # comm = bytes / link + latency: half the bytes.
        latency = a100.link_latency_us / 1000
        assert h["comm"] - latency == pytest.approx((b["comm"] - latency) / 2)
    slow = pt.graph_from_module(module, (x,), device="t4")
    assert slow.total_work > base.total_work
    fast_link = pt.graph_from_module(module, (x,), link_bandwidth=320)
    assert all(f["comm"] < b["comm"] or b["comm"] == 0 for f, b in zip(fast_link.nodes, base.nodes))
    with pytest.raises(pipecut.InputError):
        pt.graph_from_module(module, (x,), dtype="fp7")
    with pytest.raises(pipecut.InputError):
        pt.graph_from_module(module, (x,), device="no-such-device")
    with pytest.raises(pipecut.InputError):
        pt.graph_from_module(module, (x,), link_bandwidth=0)


def test_measure_times_each_node(models):
    module, x = models["transformer_encoder"]
    roofline = pt.graph_from_module(module, (x,))
    measured = pt.graph_from_module(module, (x,), measure=True)
    assert measured.ids == roofline.ids and measured.edges == roofline.edges
    assert [n["comm"] for n in measured.nodes] == [n["comm"] for n in roofline.nodes]
    works = [n["work"] for n in measured.nodes]
    assert all(0 < w < 1000 for w in works)  # milliseconds on this machine
    assert works != [n["work"] for n in roofline.nodes]
    # The feed-forward matrix products take longer than reshapes, on any machine.
    by_op = {}
    for n in measured.nodes:
        by_op.setdefault(n["op"], []).append(n["work"])
    assert max(by_op["MultiheadAttention"]) > min(by_op["Dropout"])


class TupleAndDict(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 16)
        self.b = nn.Linear(16, 16)
        self.c = nn.Linear(16, 4)
        self.scale = nn.Parameter(torch.ones(16))

    def forward(self, x, y):
        h = torch.relu(self.a(x)) * self.scale
        g = self.b(h + y)
        return {"logits": self.c(g), "pair": (h, g.sum(dim=1))}


def test_run_returns_the_module_output_structure():
    torch.manual_seed(1)
    module = TupleAndDict().eval()
    x, y = torch.randn(3, 16), torch.randn(3, 16)
    plan = pt.split(module, (x, y), 3, **SOLVE)
    with torch.no_grad():
        expected, got = module(x, y), plan.run(x, y)
    assert isinstance(got, dict) and set(got) == {"logits", "pair"}
    assert isinstance(got["pair"], tuple) and len(got["pair"]) == 2
    assert torch.allclose(got["logits"], expected["logits"])
    assert all(torch.allclose(a, b) for a, b in zip(got["pair"], expected["pair"]))
    # `scale` is a parameter used outside any submodule: it folds into the multiplication...
    assert plan.graph.node("mul")["memory"] == 16 * 4
    # ... and the stage that multiplies owns it (stages do not receive parameters).
    for boundary in plan.boundaries:
        assert all(v.name in ("x", "y") or v.source is not None for v in boundary.receives)
    with pytest.raises(TypeError):
        plan.run(x)


def test_split_points_follow_module_boundaries():
    torch.manual_seed(2)
    module = nn.Sequential(*[layer for _ in range(6) for layer in (nn.Linear(64, 64), nn.ReLU())]).eval()
    x = torch.randn(8, 64)
    plan = pt.split(module, (x,), 4, **SOLVE)
    check_plan(plan, module, x, 4)
    points = plan.split_points()
    assert len(points) == len(plan.stages) - 1
    for point, stage_module in zip(points, plan.stages[1:]):
        module.get_submodule(point)  # a real submodule
        first = next(n for n in stage_module.graph.nodes if n.op == "call_module")
        assert first.target == point.replace(".", "_")  # split_module flattens the path


def test_split_points_explain_why_not():
    class TopLevelOps(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(4, 256)

        def forward(self, x):
            x = self.embed(x)
            for _ in range(8):
                x = torch.sin(x) * x
            return x

    torch.manual_seed(3)
    module, x = TopLevelOps().eval(), torch.randn(64, 4)
    plan = pt.split(module, (x,), 3, **SOLVE)
    check_plan(plan, module, x, 3)
    assert len(plan.stages) > 1
    with pytest.raises(pt.NotModuleAlignedError, match="top-level forward"):
        plan.split_points()


def test_unknown_operations_are_costed_and_logged(caplog):
    class Odd(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, dim=0) + 1

    with caplog.at_level(logging.WARNING, logger="pipecut"):
        g = pt.graph_from_module(Odd(), torch.randn(10, 10))
    assert any("cumsum" in r.getMessage() for r in caplog.records)
    assert g.node("cumsum")["work"] > 0


def test_bad_inputs():
    with pytest.raises(TypeError):
        pt.graph_from_module("resnet", torch.randn(1))
    with pytest.raises(TypeError):
        pt.graph_from_module(nn.Linear(2, 2), "x")
    with pytest.raises(pipecut.InputError, match="takes 1 inputs, got 2"):
        pt.graph_from_module(nn.Linear(2, 2), (torch.randn(2), torch.randn(2)))

    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return self.w * 2

    with pytest.raises(pipecut.InputError, match="nothing to partition"):
        pt.graph_from_module(Constant(), torch.randn(3))
    with pytest.raises(pipecut.InputError, match="at least 1"):
        pt.split(nn.Linear(2, 2), torch.randn(2), 0)


# --- placement constraints --------------------------------------------------------------------


def mlp(blocks=6, width=64):
    """Linear + ReLU blocks; every Linear holds (width + 1) * width * 4 bytes."""
    torch.manual_seed(4)
    return nn.Sequential(*[layer for _ in range(blocks) for layer in (nn.Linear(width, width), nn.ReLU())]).eval()


def stage_of_module(plan, module_name):
    """The stages of the graph nodes that run in the submodule `module_name` (split_module
    names the stage modules' calls after the submodule path)."""
    target = module_name.replace(".", "_")
    stages = set()
    for position, stage_module in enumerate(plan.stages):
        for n in stage_module.graph.nodes:
            if n.op == "call_module" and (n.target == target or n.target.startswith(target + "_")):
                stages.add(plan.boundaries[position].stage)
    return stages


def test_split_honours_memory_per_stage_and_colocate():
    module, x = mlp(), torch.randn(8, 64)
    linear = 65 * 64 * 4  # bytes of one Linear's weight and bias
    free = pt.split(module, x, 4, **SOLVE)
    group = ["2", "3", "4", "5"]  # the second and third blocks: graph nodes _2 to _5
    free = pt.split(module, x, 4, **SOLVE).solution.assignment
    assert len({free[f"_{i}"] for i in range(2, 6)}) > 1  # unconstrained, they are split
    plan = pt.split(module, x, 4, memory_per_stage="40KiB", colocate=[group], **SOLVE)
    check_plan(plan, module, x, 4)
    assert plan.graph.memory_per_stage == 40 * 1024 and plan.graph.colocation_groups == 1
    a = plan.solution.assignment
    assert len({a[f"_{i}"] for i in range(2, 6)}) == 1
    assert len({s for name in group for s in stage_of_module(plan, name)}) == 1
    for stage in plan.solution.stages:  # 40 KiB holds two Linears, not three
        assert sum(plan.graph.node(n)["memory"] for n in stage.nodes) <= 40 * 1024
    doc = json.loads(plan.solution.to_json())
    assert doc["memory_per_stage"] == 40 * 1024 and doc["colocation_groups"] == 1
    # The colocated blocks hold two Linears: more than a stage of 2 * linear - 1 bytes.
    with pytest.raises(pipecut.InfeasibleError, match="colour class"):
        pt.split(module, x, 4, memory_per_stage=2 * linear - 1, colocate=[group], **SOLVE)
    with pytest.raises(pipecut.InfeasibleError, match="capacity"):
        pt.split(module, x, 4, memory_per_stage=linear - 1, **SOLVE)
    # A capacity of one Linear per stage, which the unconstrained partition exceeds.
    def stage_memory(plan):
        return [sum(plan.graph.node(n)["memory"] for n in stage.nodes) for stage in plan.solution.stages]

    assert max(stage_memory(pt.split(module, x, 6, **SOLVE))) > 1.5 * linear
    one_each = pt.split(module, x, 6, memory_per_stage=1.5 * linear, **SOLVE)
    check_plan(one_each, module, x, 6)
    assert max(stage_memory(one_each)) == linear


def test_colocate_groups_that_share_a_module_are_one_class():
    module = nn.Sequential(mlp(2, 8), nn.Linear(8, 8), mlp(2, 8)).eval()
    x = torch.randn(2, 8)
    g = pt.graph_from_module(module, x, colocate=[["0.0", "0.1"], ["0.1", "0.2"], ["2"]])
    classes = {n["id"]: n.get("colour_class") for n in g.nodes}
    assert g.colocation_groups == 2
    # 0.0, 0.1, 0.2 (one class through 0.1), then the Linear 1 alone, then all of module 2.
    assert classes["_0_0"] == classes["_0_1"] == classes["_0_2"] is not None
    assert classes["_0_3"] is None and classes["_1"] is None
    assert {classes[f"_2_{i}"] for i in range(4)} == {classes["_2_0"]} != {classes["_0_0"]}
    assert g.memory_per_stage is None
    assert pt.graph_from_module(module, x, memory_per_stage=4096).memory_per_stage == 4096


class CountingForward(nn.Module):
    """Counts forward() calls: tracing calls it once."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def forward(self, x):
        self.calls += 1
        return self.body(x)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"time_limt": 5}, TypeError, "time_limt"),
        ({"k": 0}, pipecut.InputError, "k must be at least 1"),
        ({"k": 2**31}, pipecut.InputError, "k must be at most"),
        ({"k": "2"}, TypeError, "k must be an integer"),
        ({"time_limit": -1}, pipecut.InputError, "time_limit"),
        ({"time_limit": math.nan}, pipecut.InputError, "time_limit"),
        ({"target_ratio": 2}, pipecut.InputError, "target_ratio"),
        ({"seed": -1}, pipecut.InputError, "seed"),
        ({"threads": -2}, pipecut.InputError, "threads"),
        ({"mip_threads": 1.5}, TypeError, "mip_threads"),
        ({"preset": "fast"}, pipecut.InputError, "preset: must be one of"),
        ({"progress": 3}, TypeError, "progress"),
        ({"memory_per_stage": "16XB"}, pipecut.InputError, "memory_per_stage"),
        ({"memory_per_stage": 0}, pipecut.InputError, "memory_per_stage"),
        ({"memory_per_stage": [1]}, TypeError, "memory_per_stage"),
        ({"colocate": [["body.0", "body.2"]]}, pipecut.InputError, "no submodule 'body.2' \\(did you mean .*'body.0'"),
        ({"colocate": [["body"], []]}, pipecut.InputError, "group 1 is empty"),
        ({"colocate": [[""]]}, pipecut.InputError, "whole module"),
        ({"colocate": ["body"]}, TypeError, "list of groups"),
        ({"colocate": [[0]]}, TypeError, "list of groups"),
        ({"colocate": "body"}, TypeError, "list of groups"),
        ({"device": "no-such-device"}, pipecut.InputError, "no-such-device"),
        ({"dtype": "fp7"}, pipecut.InputError, "fp7"),
        ({"link_bandwidth": 0}, pipecut.InputError, "link"),
        ({"link_bandwidth": "fast"}, TypeError, "link_bandwidth"),
        ({"measure": "yes"}, TypeError, "measure"),
        ({"example_inputs": "x"}, TypeError, "example_inputs"),
        ({"example_inputs": (torch.randn(2, 4), torch.randn(2, 4))}, pipecut.InputError, "takes 1 inputs, got 2"),
    ],
)
def test_split_checks_every_argument_before_tracing(arguments, error, message):
    module = CountingForward()
    call = {"example_inputs": torch.randn(2, 4), "k": 2, "time_limit": 5, **arguments}
    with pytest.raises(error, match=message):
        pt.split(module, call.pop("example_inputs"), call.pop("k"), **call)
    assert module.calls == 0  # failed before tracing (which runs forward)
    pt.split(module, torch.randn(2, 4), 2, time_limit=5)
    assert module.calls > 0


def test_split_takes_exactly_the_solve_options():
    """split's keyword arguments are graph_from_module's and pipecut.solve's, so that a solve
    option added to one is added to the other."""
    import inspect

    solve_keywords = [p.name for p in inspect.signature(pipecut.solve).parameters.values() if p.kind == p.KEYWORD_ONLY]
    solve_options = [name for name in solve_keywords if name != "progress"] + ["progress"]
    split_keywords = [p.name for p in inspect.signature(pt.split).parameters.values() if p.kind == p.KEYWORD_ONLY]
    build_keywords = [p.name for p in inspect.signature(pt.graph_from_module).parameters.values() if p.kind == p.KEYWORD_ONLY]
    assert split_keywords == build_keywords + solve_options


# --- tracing: control flow on values, numbers read from tensors, unsuitable inputs ------------


class BranchOnValues(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.a(x)
        return self.b(x)


def test_a_branch_on_tensor_values_warns():
    module = BranchOnValues().eval()
    positive = torch.ones(2, 4)
    with pytest.warns(pt.TraceWarning, match="follows the branch taken for the example input") as caught:
        plan = pt.split(module, positive, 2, **SOLVE)
    assert len(caught) == 1
    assert caught[0].filename == BranchOnValues.forward.__code__.co_filename  # the module's line
    assert caught[0].lineno == BranchOnValues.forward.__code__.co_firstlineno + 1
    assert "'gt'" in str(caught[0].message)  # names the value the branch reads
    assert [n["op"] for n in plan.graph.nodes] == ["Linear"]  # the branch taken: self.a
    with torch.no_grad():
        assert torch.allclose(plan.run(positive), module.a(positive))


def test_a_loop_over_a_value_dependent_length_warns():
    class Rows(nn.Module):
        def forward(self, x):
            for row in x.nonzero():
                x = x + row.sum()
            return x

    with pytest.warns(pt.TraceWarning, match="length"):
        pt.graph_from_module(Rows(), torch.tensor([[0.0, 1.0], [2.0, 0.0]]))


def test_control_flow_on_shapes_does_not_warn_and_takes_numbers():
    class ShapeOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            if x.dim() == 2 and x.shape[0] > 1:
                x = x * 2
            rows = int(x.shape[0])
            for i in range(x.size(0)):
                x = x + float(i)
            return self.fc(x.reshape(rows, -1)) + torch.zeros(x.shape[-1])

    module, x = ShapeOnly().eval(), torch.randn(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pt.TraceWarning)
        plan = pt.split(module, x, 2, **SOLVE)
    check_plan(plan, module, x, 2)
    assert sum(n["op"] == "add" for n in plan.graph.nodes) == 4  # the loop, unrolled 3 times


def repeat_by_item(self, x):
    for _ in range(int(x.abs().sum().item())):
        x = self.fc(x)
    return x


def repeat_by_argmax(self, x):
    for _ in range(x.argmax()):
        x = self.fc(x)
    return x


@pytest.mark.parametrize(
    "forward, what",
    [
        (repeat_by_item, "int()"),
        (lambda self, x: self.fc(x) * int(x.sum().item()), "int()"),
        (lambda self, x: self.fc(x) * float(x.max()), "float()"),
        (repeat_by_argmax, "index()"),
    ],
)
def test_a_number_read_from_tensor_values_raises_trace_error(forward, what):
    class ReadsNumber(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

    ReadsNumber.forward = forward
    with pytest.raises(pt.TraceError, match=re.escape(what) + ".*values of the example inputs") as error:
        pt.split(ReadsNumber().eval(), torch.ones(2, 4), 2, **SOLVE)
    assert isinstance(error.value, pipecut.InputError)  # a pipecut error, not a TypeError
    assert not isinstance(error.value, TypeError)
    assert isinstance(error.value, torch.fx.proxy.TraceError)  # what torch.fx users catch


def test_what_torch_fx_cannot_trace_raises_trace_error():
    class Arange(nn.Module):
        def forward(self, x):
            return x + torch.arange(x.shape[-1])  # torch.arange takes no traced value

    with pytest.raises(pt.TraceError, match="torch.fx cannot trace it.*arange"):
        pt.graph_from_module(Arange(), torch.randn(3, 3))


def test_example_inputs_the_module_fails_on_are_an_input_error(models, capfd):
    with pytest.raises(pipecut.InputError, match=r"Linear: .*example inputs.*mat1 and mat2 shapes") as error:
        pt.split(nn.Linear(3, 2), torch.randn(2, 4), 2, **SOLVE)
    assert not isinstance(error.value, RuntimeError)  # RuntimeError means a pipecut bug
    vit, _ = models["vit_b_16"]  # built for 32 x 32 images
    with pytest.raises(pipecut.InputError, match="Wrong image height"):
        pt.graph_from_module(vit, torch.randn(1, 3, 64, 64))
    with pytest.raises(pipecut.InputError, match="channels"):
        pt.graph_from_module(vit, torch.randn(1, 4, 32, 32))
    with pytest.raises(pipecut.InputError, match="Double"):
        pt.graph_from_module(models["resnet18"][0], torch.randn(1, 3, 32, 32, dtype=torch.float64))
    assert "Traceback" not in capfd.readouterr().err  # one exception, no printed traceback
