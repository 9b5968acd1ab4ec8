"""PipelinePlan.bench(): the pipecut.bench document of torch stages. No assertion depends on
how fast the machine is: structure, positivity and consistency between fields, with the plan and
with the C++ reader (pipecut report --measured)."""

import json
import os

import pytest
import torch
from torch import nn

import pipecut
import pipecut.torch as pt
from conftest import run_cli

SOLVE = {"time_limit": 10, "threads": 1}


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    ).eval()


@pytest.fixture(scope="module")
def plan_and_input():
    module = small_net()
    x = torch.randn(1, 3, 16, 16)
    return pt.split(module, (x,), 2, measure=True, **SOLVE), x


def check_spread(s):
    assert 0 < s["min"] <= s["p10"] <= s["median"] <= s["p90"] <= s["max"]
    assert s["mad"] >= 0
    assert s["min"] <= s["mean"] <= s["max"]


def test_stages_alone(plan_and_input, tmp_path):
    plan, x = plan_and_input
    threads = torch.get_num_threads()
    doc = plan.bench(x, runs=4, warmup=1)
    assert torch.get_num_threads() == threads  # restored
    assert doc["format"] == "pipecut.bench" and doc["version"] == 1
    assert doc["k"] == 2 and doc["runs"] == 4 and doc["warmup"] == 1 and doc["threads"] == 1
    assert doc["runtime"].startswith("torch ")
    assert "pipelined" not in doc
    assert len(doc["stages"]) == len(plan.stages)
    for position, (s, stage, boundary) in enumerate(zip(doc["stages"], plan.solution.stages, plan.boundaries)):
        assert s["stage"] == position and s["partition_stage"] == stage.stage
        assert s["operators"] == len(stage.nodes)
        assert s["predicted_ms"] == stage.cost
        assert s["predicted"] == {"work": stage.work, "comm_in": stage.comm_in,
                                  "comm_out": stage.comm_out, "cost": stage.cost}
        check_spread(s["run_ms"])
        assert s["measured_ms"] == pytest.approx(s["run_ms"]["median"] + s["copy_in_ms"] + s["copy_out_ms"])
        assert s["error"] == pytest.approx(s["predicted_ms"] / s["measured_ms"] - 1)
        received = [v for v in boundary.receives if v.source is not None]
        assert s["tensors_in"] == len(received) and s["tensors_out"] == len(boundary.sends)
        assert s["bytes_in"] == sum(v.bytes for v in received)
        assert s["bytes_out"] == sum(v.bytes for v in boundary.sends)
        assert (s["copy_in_ms"] > 0) == bool(received)
        assert (s["copy_out_ms"] > 0) == bool(boundary.sends)
    worst = max(doc["stages"], key=lambda s: s["measured_ms"])
    assert doc["bottleneck"]["measured_ms"] == worst["measured_ms"]
    assert doc["bottleneck"]["predicted_ms"] == plan.solution.bottleneck

    # The C++ side reads it: the report of the plan's graph and partition draws it.
    graph = tmp_path / "graph.json"
    partition = tmp_path / "partition.json"
    bench = tmp_path / "bench.json"
    graph.write_text(plan.graph.to_json())
    partition.write_text(plan.solution.to_json())
    bench.write_text(json.dumps(doc))
    out = tmp_path / "report.html"
    run_cli("report", graph, partition, "--measured", bench, "-o", out)
    page = out.read_text()
    assert "<h2>Predicted against measured</h2>" in page


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 cores")
def test_pipelined_two_stages(plan_and_input):
    plan, x = plan_and_input
    doc = plan.bench(x, runs=2, warmup=2, pipelined=True, microbatches=10)
    p = doc["pipelined"]
    assert p["microbatches"] == 10
    assert p["skipped_microbatches"] >= 2
    assert p["skipped_microbatches"] + p["steady_microbatches"] + 1 == 10
    assert p["window_ms"] > 0
    assert p["throughput_per_s"] == pytest.approx(1000 * p["steady_microbatches"] / p["window_ms"])
    assert p["predicted_throughput_per_s"] == pytest.approx(1000 / plan.solution.bottleneck)
    assert [s["stage"] for s in p["stages"]] == [0, 1]
    for s in p["stages"]:
        assert 0 <= s["busy_fraction"] <= 1
        check_spread(s["run_ms"])
    assert max(s["predicted_busy_fraction"] for s in p["stages"]) == pytest.approx(1.0)
    if p["pinned"]:
        assert sorted(s["cpu"] for s in p["stages"]) == sorted(set(s["cpu"] for s in p["stages"]))


def test_bad_arguments(plan_and_input):
    plan, x = plan_and_input
    with pytest.raises(pipecut.InputError, match="runs must be at least 1"):
        plan.bench(x, runs=0)
    with pytest.raises(TypeError, match="runs must be an int"):
        plan.bench(x, runs="3")
    with pytest.raises(pipecut.InputError, match="microbatches must be at least 3"):
        plan.bench(x, pipelined=True, microbatches=2)
    with pytest.raises(TypeError, match="bench\\(\\) takes 1 inputs, got 2"):
        plan.bench(x, x, runs=1)


def test_more_stages_than_cores_is_refused():
    cores = len(os.sched_getaffinity(0))
    layers = []
    for _ in range(cores + 1):
        layers += [nn.Linear(512, 512), nn.ReLU()]
    module = nn.Sequential(*layers).eval()
    x = torch.randn(64, 512)
    # Measured layers take milliseconds, a transfer tens of microseconds: every stage is used.
    plan = pt.split(module, (x,), cores + 1, measure=True, **SOLVE)
    assert len(plan.stages) == cores + 1
    with pytest.raises(pipecut.InputError, match=f"needs one core per stage: {len(plan.stages)} stages"):
        plan.bench(x, runs=1, pipelined=True)
