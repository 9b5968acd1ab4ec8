"""Heterogeneous clusters from Python (docs/clusters.md): read_graph(..., cluster=FILE), then
solve and partition choose the devices, with the same answer as the command line."""

import json

import pytest

import pipecut
from conftest import run_cli

CLUSTER = {
    "format": "pipecut.cluster", "version": 1, "name": "two",
    "device_classes": {"fast": {"memory": "1GiB"}, "slow": {"memory": "1GiB", "speed": 0.5}},
    "hosts": [{"name": "h0", "devices": [{"class": "slow"}, {"class": "fast"}], "bandwidth": 8}],
}
GRAPH = {
    "format": "pipecut.graph", "version": 1, "name": "chain",
    "nodes": [{"id": "a", "work": 4, "comm": 1}, {"id": "b", "work": {"fast": 2, "slow": 2}, "comm": 1},
              {"id": "c", "work": 4, "comm": 1, "bytes": 8e6}],
    "edges": [["a", "b"], ["b", "c"]],
}


@pytest.fixture
def files(tmp_path):
    cluster = tmp_path / "c.json"
    graph = tmp_path / "g.json"
    cluster.write_text(json.dumps(CLUSTER))
    graph.write_text(json.dumps(GRAPH))
    return graph, cluster


def test_solve_on_a_cluster_matches_the_cli(files, tmp_path):
    graph, cluster = files
    g = pipecut.read_graph(graph, cluster=str(cluster))
    s = pipecut.solve(g)
    assert len(s.devices) == 2  # k defaults to the device count
    assert set(d for d in s.devices if d is not None) <= {"h0:0", "h0:1"}
    doc = json.loads(s.to_json())
    assert doc["cluster"]["name"] == "two"
    assert doc["devices"] == s.devices
    out = tmp_path / "p.json"
    run_cli("solve", graph, "--cluster", cluster, "-o", out)
    cli = json.loads(out.read_text())
    assert cli["bottleneck"] == s.bottleneck
    assert cli["devices"] == s.devices
    assert cli["lower_bound"] == s.lower_bound
    p = pipecut.partition(g, 2)
    assert p.bottleneck >= s.lower_bound


def test_cluster_errors(files):
    graph, cluster = files
    with pytest.raises(pipecut.InputError, match="work per device class"):
        pipecut.read_graph(graph)
    with pytest.raises(pipecut.InputError, match="--cluster and --memory-per-stage|cluster"):
        pipecut.read_graph(graph, cluster=str(cluster), memory_per_stage="1GiB")
    g = pipecut.read_graph(graph, cluster=str(cluster))
    with pytest.raises(pipecut.InputError, match="only 2 devices"):
        pipecut.solve(g, 3)
    with pytest.raises(pipecut.InputError, match="does not work on clusters yet"):
        pipecut.evaluate(g, [0, 0, 1])


def test_bound_on_a_cluster(files):
    graph, cluster = files
    g = pipecut.read_graph(graph, cluster=str(cluster))
    bounds = {r.method: r for r in pipecut.bound(g)}
    assert bounds["cluster-chain"].status == "proven"
    assert bounds["exact"].status == "not_applicable" and bounds["exact"].value == 0
    assert bounds["cluster-chain"].value <= pipecut.solve(g).bottleneck
