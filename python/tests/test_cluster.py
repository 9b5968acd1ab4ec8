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
    assert cli["latency"] == s.latency == sum(st.cost for st in s.stages)
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
    # evaluate on a cluster needs the stages' devices.
    with pytest.raises(pipecut.InputError, match="give the stages' devices"):
        pipecut.evaluate(g, [0, 0, 1])
    with pytest.raises(pipecut.InputError, match="2 devices for k = 3 stages"):
        pipecut.evaluate(g, [0, 1, 2], devices=["h0:0", "h0:1"])
    with pytest.raises(pipecut.InputError, match="has no device 'h1:0'"):
        pipecut.evaluate(g, [0, 0, 1], devices=["h0:0", "h1:0"])
    with pytest.raises(TypeError, match="devices must be a sequence"):
        pipecut.evaluate(g, [0, 0, 1], devices="h0:0")
    with pytest.raises(pipecut.InputError, match="both on device h0:1"):
        pipecut.evaluate(g, [0, 0, 1], devices=["h0:1", "h0:1"])
    # A Solution made without the cluster has no devices.
    plain = pipecut.Graph([{"id": x, "work": 1, "comm": 0} for x in "abc"], [("a", "b"), ("b", "c")])
    with pytest.raises(pipecut.InputError, match="made without a cluster"):
        pipecut.evaluate(g, pipecut.solve(plain, 2))
    # devices= without a cluster.
    with pytest.raises(pipecut.InputError, match="read without a cluster"):
        pipecut.evaluate(plain, [0, 0, 1], devices=["h0:0", "h0:1"])


def test_evaluate_on_a_cluster_matches_the_cli(files, tmp_path):
    graph, cluster = files
    g = pipecut.read_graph(graph, cluster=str(cluster))
    s = pipecut.solve(g)
    e = pipecut.evaluate(g, s)
    assert e.bottleneck == s.bottleneck
    assert [st.device for st in e.stages] == [d for d in s.devices if d is not None]
    assert [(st.device, st.device_class, st.cost) for st in e.stages] == \
        [(st.device, st.device_class, st.cost) for st in s.stages]
    # An assignment with its devices, checked against the CLI's evaluate --cluster.
    part = tmp_path / "p.json"
    doc = json.loads(s.to_json())
    for assignment, devices in (([0, 0, 1], ["h0:1", "h0:0"]), ([0, 1, 1], ["h0:0", "h0:1"]),
                                ({"a": 0, "b": 0, "c": 0}, ["h0:0"]), ([1, 1, 1], [None, "h0:1"])):
        e = pipecut.evaluate(g, assignment, devices=devices)
        ids = ["a", "b", "c"]
        stages = assignment if isinstance(assignment, dict) else dict(zip(ids, assignment))
        doc["assignment"] = stages
        doc["k"] = len(devices)
        doc["devices"] = devices
        part.write_text(json.dumps(doc))
        cli = json.loads(run_cli("evaluate", graph, part, "--cluster", cluster, "--json").stdout)
        assert e.bottleneck == cli["bottleneck"]
        assert e.k == cli["k"] and e.stages_used == cli["stages_used"]
        assert [(st.stage, st.cost, st.device, st.device_class) for st in e.stages] == \
            [(st["stage"], st["cost"], st["device"], st["class"]) for st in cli["stages"] if st["nodes"]]
    # The same assignment costs more on the slow device: the devices are what is evaluated.
    fast = pipecut.evaluate(g, [0, 0, 0], devices=["h0:1"])
    slow = pipecut.evaluate(g, [0, 0, 0], devices=["h0:0"])
    assert (fast.stages[0].device_class, slow.stages[0].device_class) == ("fast", "slow")
    assert slow.bottleneck > fast.bottleneck
    # Without a cluster the records carry no device.
    plain = pipecut.Graph([{"id": "a", "work": 1, "comm": 0}], [])
    assert pipecut.evaluate(plain, [0]).stages[0].device is None


def test_evaluate_on_a_cluster_checks_the_device_memory(tmp_path):
    small = dict(CLUSTER, device_classes={"fast": {"memory": 100}, "slow": {"memory": 10, "speed": 0.5}})
    cluster = tmp_path / "small.json"
    cluster.write_text(json.dumps(small))
    heavy = dict(GRAPH, nodes=[dict(n, memory=8) for n in GRAPH["nodes"]])
    graph = tmp_path / "heavy.json"
    graph.write_text(json.dumps(heavy))
    g = pipecut.read_graph(graph, cluster=str(cluster))
    assert pipecut.evaluate(g, [0, 0, 0], devices=["h0:1"]).bottleneck > 0
    with pytest.raises(pipecut.InputError, match="invalid partition: .*memory"):
        pipecut.evaluate(g, [0, 0, 0], devices=["h0:0"])


def test_bound_on_a_cluster(files):
    graph, cluster = files
    g = pipecut.read_graph(graph, cluster=str(cluster))
    bounds = {r.method: r for r in pipecut.bound(g)}
    assert bounds["cluster-chain"].status == "proven"
    assert bounds["exact"].status == "not_applicable" and bounds["exact"].value == 0
    assert bounds["cluster-chain"].value <= pipecut.solve(g).bottleneck


def test_graph_built_in_python_on_a_cluster(files):
    """pipecut.Graph takes work maps, bytes and cluster= as read_graph does with the file."""
    graph, cluster = files
    from_file = pipecut.read_graph(graph, cluster=str(cluster))
    nodes = from_file.nodes
    assert nodes[1]["work"] == {"fast": 2, "slow": 2} and nodes[2]["bytes"] == 8e6
    assert "bytes" not in nodes[0] and nodes[0]["work"] == 4
    built = pipecut.Graph(nodes, from_file.edges, from_file.name, cluster=cluster)
    assert built.nodes == nodes
    a, b = pipecut.solve(from_file), pipecut.solve(built)
    assert (a.bottleneck, a.devices, a.lower_bound) == (b.bottleneck, b.devices, b.lower_bound)
    with pytest.raises(pipecut.InputError, match="work per device class"):
        pipecut.Graph(nodes, from_file.edges)
    with pytest.raises(pipecut.InputError, match="contradict"):
        pipecut.Graph(nodes, from_file.edges, cluster=cluster, memory_per_stage="1GiB")
    with pytest.raises(pipecut.InputError, match="'gpu'"):
        pipecut.Graph([{"id": "a", "work": {"gpu": 1}, "comm": 0}], cluster=cluster)
