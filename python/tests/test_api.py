"""The pipecut Python API against the command-line tool on the same inputs, its argument checks
and errors, and its documentation (docstrings, the type stub)."""

import json
import logging
import math
import os
import re
import threading
import time

import pytest

import pipecut
from conftest import BERT, DATA_DIR, SAMPLES, cli_json, run_cli

TIMING_KEYS = {"time_seconds", "seconds"}


def without_timings(doc):
    """A JSON document without wall-clock times (they differ from run to run)."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


# --- reading graphs -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_read_graph_matches_the_cli_conversion(fmt, tmp_path):
    out = tmp_path / "graph.json"
    run_cli("convert", SAMPLES[fmt], out)
    expected = json.loads(out.read_text())
    g = pipecut.read_graph(SAMPLES[fmt])
    assert json.loads(g.to_json()) == expected
    assert g.num_nodes == len(expected["nodes"]) == len(g) == len(g.ids)
    assert g.num_edges == len(expected["edges"]) == len(g.edges)
    assert g.ids == [str(n["id"]) for n in expected["nodes"]]
    # Forcing the format gives the same graph; a path object works as well as a string.
    assert pipecut.read_graph(str(SAMPLES[fmt]), input_format=fmt).to_json() == g.to_json()


def test_read_graph_cost_options_match_the_cli(tmp_path):
    onnx = SAMPLES["onnx"]
    out = tmp_path / "graph.json"
    run_cli("convert", onnx, out, "--device", "t4", "--dtype", "fp16", "--link-bandwidth", "8")
    g = pipecut.read_graph(onnx, device="t4", dtype="fp16", link_bandwidth=8)
    assert json.loads(g.to_json()) == json.loads(out.read_text())
    assert g.to_json() != pipecut.read_graph(onnx).to_json()


def test_read_graph_errors_name_the_file_and_the_problem(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(pipecut.InputError, match=re.escape(str(missing))):
        pipecut.read_graph(missing)
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"format": "pipecut.graph", "version": 1, "nodes": [')
    with pytest.raises(pipecut.InputError, match="garbage.json"):
        pipecut.read_graph(garbage)
    with pytest.raises(pipecut.InputError, match="input_format: must be one of"):
        pipecut.read_graph(BERT, input_format="xml")
    with pytest.raises(pipecut.InputError, match="device"):
        pipecut.read_graph(SAMPLES["onnx"], device="no-such-device")
    with pytest.raises(pipecut.InputError, match="dtype"):
        pipecut.read_graph(SAMPLES["onnx"], dtype="fp7")
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(pipecut.InputError, match="link"):
            pipecut.read_graph(SAMPLES["onnx"], link_bandwidth=bad)
    with pytest.raises(TypeError):
        pipecut.read_graph(42)


def test_read_graph_placement_constraints_match_the_cli(tmp_path):
    tarnawski = SAMPLES["tarnawski"]
    g = pipecut.read_graph(tarnawski)
    assert g.colocation_groups > 0
    assert pipecut.read_graph(tarnawski, ignore_colocation=True).colocation_groups == 0
    assert pipecut.read_graph(BERT).memory_per_stage is None
    for given, expected in ((2**30, 2**30), ("1GiB", 2**30), ("1.5 GB", 1.5e9)):
        assert pipecut.read_graph(BERT, memory_per_stage=given).memory_per_stage == expected
    # The same graph as the CLI's conversion with the same options.
    out = tmp_path / "graph.json"
    run_cli("convert", tarnawski, out, "--memory-per-stage", "64MiB", "--ignore-colocation")
    same = pipecut.read_graph(tarnawski, memory_per_stage="64MiB", ignore_colocation=True)
    assert json.loads(same.to_json()) == json.loads(out.read_text())
    for bad in ("16XB", 0, -1, math.nan, "0"):
        with pytest.raises(pipecut.InputError, match="memory_per_stage"):
            pipecut.read_graph(BERT, memory_per_stage=bad)
    with pytest.raises(pipecut.InputError, match="contradict"):
        pipecut.read_graph(BERT, memory_per_stage=1e9, ignore_memory=True)


def test_an_infeasible_capacity_raises_infeasible_error_as_the_cli_exits_4():
    tarnawski = SAMPLES["tarnawski"]
    tiny = pipecut.read_graph(tarnawski, memory_per_stage=1)  # every node with memory overflows
    assert run_cli("solve", tarnawski, "-k", "2", "--memory-per-stage", "1", check=False).returncode == 4
    with pytest.raises(pipecut.InfeasibleError):
        pipecut.solve(tiny, 2, time_limit=5)


def test_reader_warnings_go_to_the_pipecut_logger(caplog):
    with caplog.at_level(logging.WARNING, logger="pipecut"):
        pipecut.read_graph(DATA_DIR / "samples" / "onnx" / "tiny_unknown_op.onnx")
    assert any("no exact cost model" in r.getMessage() for r in caplog.records)
    assert all(r.name == "pipecut" for r in caplog.records)


# --- building graphs ------------------------------------------------------------------------


def small_graph():
    nodes = [
        {"id": "a", "work": 1.0, "comm": 0.5},
        {"id": "b", "work": 2.0, "comm": 0.25, "memory": 64, "op": "MatMul"},
        {"id": 7, "work": 3, "comm": 0},
    ]
    return pipecut.Graph(nodes, [("a", "b"), ("b", 7), ("a", 7), ("a", "b")], name="small")


def test_graph_from_nodes_and_edges():
    g = small_graph()
    assert g.name == "small"
    assert g.ids == ["a", "b", "7"]  # integer ids become their decimal text, as in JSON files
    assert g.num_nodes == 3 and g.num_edges == 3  # the duplicate edge is merged
    assert g.edges == [("a", "b"), ("a", "7"), ("b", "7")]
    assert g.node("b") == {"id": "b", "work": 2.0, "comm": 0.25, "memory": 64.0, "op": "MatMul"}
    assert g.node(7)["work"] == 3.0
    assert g.successors("a") == ["b", "7"] and g.predecessors(7) == ["a", "b"]
    assert "a" in g and 7 in g and "x" not in g and None not in g
    assert g.total_work == 6.0 and g.default_k is None
    with pytest.raises(KeyError):
        g.node("x")
    # The nodes and edges a graph gives back rebuild the same graph.
    again = pipecut.Graph(g.nodes, g.edges, name=g.name)
    assert again.to_json() == g.to_json()
    doc = json.loads(g.to_json(indent=2))
    assert doc["format"] == "pipecut.graph" and doc["name"] == "small"


@pytest.mark.parametrize(
    "nodes, edges, message",
    [
        ([], [], "empty"),
        ([{"id": "a", "work": 1, "comm": 1}] * 2, [], "duplicate"),
        ([{"id": "a", "work": 1, "comm": 1}], [("a", "b")], "unknown node id 'b'"),
        ([{"id": "a", "work": 1, "comm": 1}], [("a", "a")], "self-loop"),
        (
            [{"id": "a", "work": 1, "comm": 1}, {"id": "b", "work": 1, "comm": 1}],
            [("a", "b"), ("b", "a")],
            "cycle",
        ),
        ([{"id": "a", "work": -1, "comm": 1}], [], "negative work"),
        ([{"id": "a", "work": math.nan, "comm": 1}], [], "work"),
        ([{"id": "a", "work": 1, "comm": math.inf}], [], "comm"),
        ([{"id": "a", "work": 1, "comm": 1, "memory": -5}], [], "memory"),
        ([{"id": "a", "work": 1}], [], "has no 'comm'"),
        ([{"work": 1, "comm": 1}], [], "has no 'id'"),
        ([{"id": "a", "work": 1, "comm": 1, "wrok": 2}], [], "unknown key 'wrok'"),
        ([{"id": "", "work": 1, "comm": 1}], [], "id"),
    ],
)
def test_graph_validation_errors(nodes, edges, message):
    with pytest.raises(pipecut.InputError, match=message) as error:
        pipecut.Graph(nodes, edges, name="mine")
    assert str(error.value).startswith("mine:")  # names the graph, like a file name
    assert isinstance(error.value, ValueError) and isinstance(error.value, pipecut.Error)


@pytest.mark.parametrize(
    "nodes, edges",
    [
        (["a"], []),
        ([{"id": "a", "work": "1", "comm": 1}], []),
        ([{"id": "a", "work": True, "comm": 1}], []),
        ([{"id": 1.5, "work": 1, "comm": 1}], []),
        ([{"id": "a", "work": 1, "comm": 1, "op": 3}], []),
        ([{"id": "a", "work": 1, "comm": 1}], ["ab"]),
        ([{"id": "a", "work": 1, "comm": 1}], [("a",)]),
        (None, []),
    ],
)
def test_graph_wrong_types_raise_type_error(nodes, edges):
    with pytest.raises(TypeError):
        pipecut.Graph(nodes, edges)


def test_graph_placement_constraints_match_the_reader(tmp_path):
    """Colour classes and a capacity given to Graph() are those of a pipecut.graph file."""
    nodes = [
        {"id": "a", "work": 1.0, "comm": 0.5, "memory": 600, "colour_class": 7},
        {"id": "b", "work": 2.0, "comm": 0.5, "memory": 600},
        {"id": "c", "work": 1.0, "comm": 0.5, "memory": 600, "colour_class": 7},
        {"id": "d", "work": 3.0, "comm": 0.5, "memory": 300, "colour_class": "tail"},
    ]
    edges = [("a", "b"), ("b", "c"), ("c", "d")]
    g = pipecut.Graph(nodes, edges, name="placed", memory_per_stage="2KiB")
    assert g.memory_per_stage == 2048 and g.colocation_groups == 2
    assert g.node("a")["colour_class"] == 7 and g.node("d")["colour_class"] == "tail"
    assert "colour_class" not in g.node("b")
    path = tmp_path / "placed.json"
    path.write_text(json.dumps({"format": "pipecut.graph", "version": 1, "name": "placed",
                                "memory_per_stage": 2048, "nodes": nodes, "edges": edges}))
    assert json.loads(g.to_json()) == json.loads(pipecut.read_graph(path).to_json())
    assert pipecut.Graph(g.nodes, g.edges, g.name, memory_per_stage=g.memory_per_stage).to_json() == g.to_json()
    # The hull of class 7 (a, b, c: 1800 bytes) shares a stage; d (300 bytes) cannot join it.
    s = pipecut.solve(g, 3, time_limit=5)
    assert s.assignment["a"] == s.assignment["b"] == s.assignment["c"] != s.assignment["d"]
    assert json.loads(s.to_json())["colocation_groups"] == 2
    with pytest.raises(pipecut.InfeasibleError):
        pipecut.solve(pipecut.Graph(nodes, edges, memory_per_stage=1000), 3, time_limit=5)
    # A file's classes and capacity survive the round trip through Python values.
    tarnawski = pipecut.read_graph(SAMPLES["tarnawski"])
    again = pipecut.Graph(tarnawski.nodes, tarnawski.edges, tarnawski.name,
                          memory_per_stage=tarnawski.memory_per_stage)
    assert again.colocation_groups == tarnawski.colocation_groups > 0
    expected = json.loads(tarnawski.to_json())
    del expected["default_k"]  # Graph() takes no default k
    assert json.loads(again.to_json()) == expected


@pytest.mark.parametrize(
    "label, error, message",
    [
        ("", pipecut.InputError, "must not be empty"),
        (2**64, pipecut.InputError, "within 64 bits"),
        (-(2**63) - 1, pipecut.InputError, "within 64 bits"),
        (1.5, TypeError, "str or an int"),
        (True, TypeError, "str or an int"),
    ],
)
def test_graph_colour_class_values_are_checked(label, error, message):
    with pytest.raises(error, match=message):
        pipecut.Graph([{"id": "a", "work": 1, "comm": 1, "colour_class": label}])


def test_graph_memory_per_stage_values_are_checked():
    node = [{"id": "a", "work": 1, "comm": 1}]
    for bad in (0, -1, math.nan, math.inf, "16XB", "0"):
        with pytest.raises(pipecut.InputError, match="memory_per_stage"):
            pipecut.Graph(node, memory_per_stage=bad)
    with pytest.raises(TypeError):
        pipecut.Graph(node, memory_per_stage=[1])
    assert pipecut.Graph(node, memory_per_stage=2**64).memory_per_stage == 2.0**64


LONE_SURROGATE = "\ud800"  # a str Python allows that has no UTF-8 form


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pipecut.Graph([{"id": LONE_SURROGATE, "work": 1, "comm": 1}]), "node 0: 'id'"),
        (lambda: pipecut.Graph([{"id": "a", "work": 1, "comm": 1}], [("a", LONE_SURROGATE)]), "edge 0: to id"),
        (lambda: pipecut.Graph([{"id": "a", "work": 1, "comm": 1, "op": LONE_SURROGATE}]), "'op'"),
        (lambda: pipecut.Graph([{"id": "a", "work": 1, "comm": 1, "colour_class": LONE_SURROGATE}]), "'colour_class'"),
        (lambda: pipecut.Graph([{"id": "a", "work": 1, "comm": 1, LONE_SURROGATE: 1}]), "unknown key"),
        (lambda: pipecut.Graph([{"id": "a", "work": 1, "comm": 1}], name=LONE_SURROGATE), "name"),
        (lambda: small_graph().node(LONE_SURROGATE), "node id"),
        (lambda: small_graph().successors(LONE_SURROGATE), "node id"),
        (lambda: small_graph().predecessors(LONE_SURROGATE), "node id"),
        (lambda: pipecut.evaluate(small_graph(), {LONE_SURROGATE: 0}), "assignment key"),
        (lambda: pipecut.bound(small_graph(), 2, method=LONE_SURROGATE), "method"),
        (lambda: pipecut.bound(small_graph(), 2, method=[LONE_SURROGATE]), "method"),
        (lambda: pipecut.read_graph(BERT, memory_per_stage=LONE_SURROGATE), "memory_per_stage"),
        (lambda: pipecut.read_graph("graph" + LONE_SURROGATE + ".json"), "file name"),
    ],
)
def test_text_that_is_not_unicode_is_an_input_error(call, message):
    with pytest.raises(pipecut.InputError, match=message) as error:
        call()
    assert "\\ud800" in str(error.value)  # shown escaped: the message itself is printable
    str(error.value).encode("utf-8")


def test_a_lone_surrogate_is_no_node_id():
    assert LONE_SURROGATE not in small_graph()


def test_a_file_name_that_is_not_utf8_is_read_and_named(tmp_path):
    """Python decodes such names with surrogateescape; the binding gives the OS the same
    bytes back, and quotes them escaped in messages."""
    name = os.fsdecode(b"graph-\xff.json")
    (tmp_path / name).write_bytes(BERT.read_bytes())
    assert pipecut.read_graph(tmp_path / name).num_nodes == pipecut.read_graph(BERT).num_nodes
    with pytest.raises(pipecut.InputError, match=re.escape("graph-\\xff-missing.json")):
        pipecut.read_graph(tmp_path / os.fsdecode(b"graph-\xff-missing.json"))


# --- solve, partition, bound, evaluate against the command line -----------------------------


def test_solve_matches_the_cli(bert):
    expected = cli_json("solve", BERT, "-k", 4, "--json", "--quiet")
    s = pipecut.solve(bert, 4)
    assert without_timings(json.loads(s.to_json())) == without_timings(expected)
    assert s.k == 4 and s.graph_name == "bert_l-3_inference"
    assert s.assignment == expected["assignment"]
    assert s.bottleneck == expected["bottleneck"] and s.lower_bound == expected["lower_bound"]
    assert s.lower_bound_method == expected["lower_bound_method"]
    assert s.ratio == expected["ratio"] and s.optimal is True
    assert s.stages_used == expected["stages_used"] == len(s.stages)
    for stage, row in zip(s.stages, expected["stages"]):
        assert (stage.stage, stage.nodes, stage.work, stage.comm_in, stage.comm_out, stage.cost) == (
            row["stage"], row["nodes"], row["work"], row["comm_in"], row["comm_out"], row["cost"],
        )  # fmt: skip
    assert [(b.method, b.value, b.status) for b in s.bounds] == [
        (b["method"], b["value"], b["status"]) for b in expected["bounds"]
    ]
    assert not s.hit_time_limit and not s.stopped and s.seed == 1 and s.seconds >= 0
    # the first algorithm that produced the partition, as the CLI prints it, e.g. "topo+downset"
    assert s.algorithm.split("+")[0].split("(")[0] in pipecut.partition_algorithms()
    assert json.loads(s.to_json(indent=-1)) == json.loads(s.to_json())


def test_partition_matches_the_cli(bert):
    expected = cli_json(
        "partition", BERT, "-k", 3, "--preset", "brkga-100", "--seed", 7, "--json", "--quiet"
    )
    s = pipecut.partition(bert, 3, preset="brkga-100", seed=7)
    assert without_timings(json.loads(s.to_json())) == without_timings(expected)
    assert s.lower_bound_method == "simple" and s.optimal is None
    topo = cli_json("partition", BERT, "-k", 5, "--algorithm", "topo", "--json", "--quiet")
    assert pipecut.partition(bert, 5, algorithm="topo").assignment == topo["assignment"]


def test_bound_matches_the_cli(bert):
    methods = ["simple", "single-mincut", "single", "downset"]  # deterministic, fast on BERT-3
    expected = [cli_json("bound", BERT, "-k", 4, "--method", m, "--json")["bounds"][0] for m in methods]
    results = pipecut.bound(bert, 4, method=methods)
    assert [(r.method, r.value, r.status, r.detail) for r in results] == [
        (e["method"], e["value"], e["status"], e.get("detail", "")) for e in expected
    ]
    single = pipecut.bound(bert, 4, method="single-mincut")
    assert len(single) == 1 and single[0].value == expected[1]["value"]
    everything = pipecut.bound(bert, 2, time_limit=0.5)
    assert [r.method for r in everything] == list(pipecut.bound_methods())
    assert all(r.status in ("proven", "time_limit", "gave_up") for r in everything)


def test_evaluate_matches_the_cli(bert, tmp_path):
    s = pipecut.partition(bert, 4, preset="brkga-100")
    path = tmp_path / "partition.json"
    path.write_text(s.to_json())
    expected = cli_json("evaluate", BERT, path, "--json")
    for assignment in (s, s.assignment, [s.assignment[i] for i in bert.ids]):
        e = pipecut.evaluate(bert, assignment, k=None if assignment is s else 4)
        assert e.k == expected["k"] and e.bottleneck == expected["bottleneck"] == s.bottleneck
        assert e.stages_used == expected["stages_used"]
        assert [(x.stage, len(x.nodes), x.work, x.comm_in, x.comm_out, x.cost) for x in e.stages] == [
            (r["stage"], r["nodes"], r["work"], r["comm_in"], r["comm_out"], r["cost"])
            for r in expected["stages"]
        ]
        assert e.bottleneck == max(x.cost for x in e.stages)
        assert e.stages[[x.stage for x in e.stages].index(e.bottleneck_stage)].cost == e.bottleneck
    # k defaults to the largest stage + 1 for plain assignments.
    assert pipecut.evaluate(bert, s.assignment).k == max(s.assignment.values()) + 1


def test_evaluate_rejects_invalid_partitions():
    g = small_graph()
    with pytest.raises(pipecut.InputError, match="invalid partition"):
        pipecut.evaluate(g, {"a": 1, "b": 0, "7": 1})  # edge a -> b goes backwards
    with pytest.raises(pipecut.InputError, match="'7' has no stage"):
        pipecut.evaluate(g, {"a": 0, "b": 0})
    with pytest.raises(pipecut.InputError, match="unknown node id 'x'"):
        pipecut.evaluate(g, {"a": 0, "b": 0, "7": 0, "x": 0})
    with pytest.raises(pipecut.InputError, match="3 nodes"):
        pipecut.evaluate(g, [0, 0])
    with pytest.raises(pipecut.InputError):
        pipecut.evaluate(g, [0, 0, -1])
    with pytest.raises(pipecut.InputError, match="invalid partition"):
        pipecut.evaluate(g, [0, 1, 2], k=2)
    with pytest.raises(pipecut.InputError):
        pipecut.evaluate(g, [0, 0, 0], k=0)
    with pytest.raises(TypeError):
        pipecut.evaluate(g, "000")
    with pytest.raises(TypeError):
        pipecut.evaluate(g, [0, 0, "0"])
    other = pipecut.partition(pipecut.read_graph(BERT), 2, algorithm="topo")
    with pytest.raises(pipecut.InputError, match="not this graph"):
        pipecut.evaluate(g, other)


# --- arguments ------------------------------------------------------------------------------


def test_k_is_checked_and_huge_k_is_answered_quickly(bert):
    for bad in (0, -1, -(2**70)):
        with pytest.raises(pipecut.InputError, match="at least 1"):
            pipecut.solve(bert, bad)
    with pytest.raises(pipecut.InputError, match="at most"):
        pipecut.partition(bert, 2**31)
    for wrong in ("4", 4.0, True, [4]):
        with pytest.raises(TypeError):
            pipecut.bound(bert, wrong)
    with pytest.raises(pipecut.InputError, match="number of stages"):
        pipecut.solve(bert)  # this file gives no k
    huge = 10**9
    s = pipecut.solve(bert, huge, time_limit=2)
    assert s.k == huge and json.loads(s.to_json())["k"] == huge
    assert max(s.assignment.values()) < huge and s.stages_used <= bert.num_nodes
    assert s.lower_bound <= s.bottleneck
    assert pipecut.evaluate(bert, s).bottleneck == s.bottleneck
    p = pipecut.partition(bert, huge, preset="brkga-100")
    assert p.k == huge and pipecut.evaluate(bert, p).bottleneck == p.bottleneck
    assert pipecut.bound(bert, huge, method="simple")[0].value > 0


def test_graph_default_k_is_used_when_k_is_none():
    g = pipecut.read_graph(SAMPLES["tarnawski"])
    assert g.default_k is not None
    s = pipecut.partition(g, preset="brkga-100")
    assert s.k == g.default_k


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda g: pipecut.solve(g, 2, target_ratio=1.5), "target_ratio"),
        (lambda g: pipecut.solve(g, 2, target_ratio=math.nan), "target_ratio"),
        (lambda g: pipecut.solve(g, 2, time_limit=-1), "time_limit"),
        (lambda g: pipecut.solve(g, 2, time_limit=math.inf), "time_limit"),
        (lambda g: pipecut.solve(g, 2, seed=-1), "seed"),
        (lambda g: pipecut.solve(g, 2, seed=2**64), "seed"),
        (lambda g: pipecut.solve(g, 2, threads=-2), "threads"),
        (lambda g: pipecut.solve(g, 2, preset="brkga-1"), "preset"),
        (lambda g: pipecut.partition(g, 2, algorithm="greedy"), "algorithm: must be one of"),
        (lambda g: pipecut.partition(g, 2, time_limit=math.nan), "time_limit"),
        (lambda g: pipecut.bound(g, 2, method="magic"), "unknown bound method"),
        (lambda g: pipecut.bound(g, 2, method=[]), "empty"),
        (lambda g: pipecut.bound(g, 2, mip_threads=-1), "mip_threads"),
    ],
)
def test_bad_option_values_raise_input_error(bert, call, message):
    with pytest.raises(pipecut.InputError, match=message):
        call(bert)


@pytest.mark.parametrize(
    "call",
    [
        lambda g: pipecut.solve("graph.json", 2),
        lambda g: pipecut.solve(g, 2, target_ratio="high"),
        lambda g: pipecut.solve(g, 2, seed=1.5),
        lambda g: pipecut.solve(g, 2, progress=3),
        lambda g: pipecut.partition(g, 2, preset=None),
        lambda g: pipecut.bound(g, 2, method=7),
        lambda g: pipecut.bound(g, 2, method=[1, 2]),
        lambda g: pipecut.solve(g, 2, unknown_option=1),
    ],
)
def test_wrong_types_raise_type_error(bert, call):
    with pytest.raises(TypeError):
        call(bert)


# --- progress, threads ----------------------------------------------------------------------


def test_progress_is_reported_on_the_calling_thread(bert):
    seen = []
    caller = threading.get_ident()

    def progress(p):
        assert isinstance(p, pipecut.Progress)
        seen.append((threading.get_ident(), p.step, p.bottleneck, p.lower_bound, p.ratio))

    s = pipecut.solve(bert, 4, progress=progress)
    assert seen and all(thread == caller for thread, *_ in seen)
    assert seen[-1][2] == pytest.approx(s.bottleneck) and seen[-1][3] == s.lower_bound
    for _, _, bottleneck, lower_bound, ratio in seen:
        assert ratio == pytest.approx(lower_bound / bottleneck)


def test_an_exception_in_the_progress_callback_stops_the_run(bert):
    calls = []

    def progress(p):
        calls.append(p)
        raise ZeroDivisionError("stop here")

    with pytest.raises(ZeroDivisionError, match="stop here"):
        pipecut.solve(bert, 4, target_ratio=1.0, progress=progress)
    assert len(calls) == 1


def random_graph(n, seed=5):
    """A DNN-shaped random DAG: each node reads two of the 30 nodes before it."""
    import random

    rng = random.Random(seed)
    nodes = [{"id": f"n{i}", "work": rng.uniform(0.1, 2), "comm": rng.uniform(0.1, 2)} for i in range(n)]
    edges = [(f"n{rng.randrange(max(0, i - 30), i)}", f"n{i}") for i in range(1, n) for _ in range(2)]
    return pipecut.Graph(nodes, edges, name=f"random{n}")


def test_the_gil_is_released_while_solving():
    big = random_graph(3000)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        start = time.monotonic()
        s = pipecut.solve(big, 16, target_ratio=1.0, time_limit=1.0)
        end = time.monotonic()
    finally:
        done.set()
        ticker.join()
    # The other thread kept running during the solve; with the GIL held it could not tick once.
    assert len([t for t in ticks if start < t < end]) >= 20
    assert s.hit_time_limit and s.bottleneck > 0


# --- registries, devices, exceptions --------------------------------------------------------


def test_registries_list_what_the_cli_accepts():
    assert list(pipecut.partition_algorithms()) == [
        "slicegraph", "topo", "multilevel", "uniform", "memory-proportional",
        "compute-proportional"]
    assert "simple" in pipecut.bound_methods() and "exact" in pipecut.bound_methods()
    assert all(isinstance(d, str) and d for d in pipecut.bound_methods().values())
    assert pipecut.slicegraph_presets() == ["brkga-100", "brkga-10000"]
    help_text = run_cli("bound", "--help").stdout
    for method in pipecut.bound_methods():
        assert method in help_text


def test_device_profiles_and_the_roofline():
    names = [d.name for d in pipecut.device_profiles()]
    assert pipecut.DEFAULT_DEVICE in names and "t4" in names
    a100 = pipecut.device_profile()
    assert a100.name == pipecut.DEFAULT_DEVICE == pipecut.device_profile("a100-pcie").name
    assert a100.peak_tflops["fp32"] == 19.5 and a100.link_bandwidth_gbps == 32
    # Compute bound: 1.95e10 FLOPs at 19.5 TFLOP/s = 1 ms, plus 5 us launch overhead.
    assert a100.operator_time_ms("Conv", 1.95e10, 1e3) == pytest.approx(1.005)
    # Memory bound: 1.555e9 bytes at 1555 GB/s = 1 ms.
    assert a100.operator_time_ms("Add", 1.0, 1.555e9) == pytest.approx(1.005)
    assert a100.operator_time_ms("Conv", 1.95e10, 1e3, "fp16") == pytest.approx(1.95e10 / 312e9 + 0.005)
    assert a100.operator_time_ms("Reshape", 1e12, 1e12) == 0.0
    assert a100.tensor_transfer_ms(32e6) == pytest.approx(1.01)
    assert a100.tensor_transfer_ms(32e6, link_bandwidth=64) == pytest.approx(0.51)
    with pytest.raises(pipecut.InputError):
        a100.tensor_transfer_ms(1.0, link_bandwidth=0)
    with pytest.raises(pipecut.InputError):
        a100.operator_time_ms("Add", -1.0, 0.0)
    assert pipecut.dtype_bytes("bf16") == 2 and pipecut.dtype_bytes("fp32") == 4
    with pytest.raises(pipecut.InputError):
        pipecut.dtype_bytes("fp64")
    with pytest.raises(pipecut.InputError):
        pipecut.device_profile("no-such-device")


def test_exception_hierarchy():
    assert issubclass(pipecut.InputError, pipecut.Error) and issubclass(pipecut.InputError, ValueError)
    for cls in (pipecut.OutputError, pipecut.InfeasibleError, pipecut.NoFeasiblePartitionError):
        assert issubclass(cls, pipecut.Error) and not issubclass(cls, ValueError)
    assert issubclass(pipecut.Error, Exception)
    for cls in (pipecut.Error, pipecut.InputError, pipecut.OutputError):
        assert cls.__module__ == "pipecut" and cls.__doc__


# --- documentation --------------------------------------------------------------------------


def public_names(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def test_every_public_name_has_a_docstring():
    for name in pipecut.__all__:
        obj = getattr(pipecut, name)
        if name in ("__version__", "DEFAULT_DEVICE"):
            continue
        assert obj.__doc__ and obj.__doc__.strip(), name
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            for member in public_names(obj):
                attr = getattr(obj, member)
                assert getattr(attr, "__doc__", None), f"{name}.{member}"


def _stub_tree():
    import ast
    import pathlib

    stub = pathlib.Path(pipecut.__file__).with_name("__init__.pyi")
    return ast.parse(stub.read_text())


def _signature_of(doc_line):
    """Parameter names, kinds and literal defaults of a pybind11 signature line."""
    import ast

    head = doc_line.split(" -> ")[0]
    function = ast.parse("def " + head + ": pass").body[0]
    return _parameters(function)


def _parameters(function):
    import ast

    args = function.args
    positional = [a.arg for a in args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    result = [(name, "positional", d) for name, d in zip(positional, defaults)]
    result += [(a.arg, "keyword", d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]

    def literal(node):
        if node is None:
            return "<required>"
        try:
            return ast.literal_eval(node)
        except ValueError:
            return "<expression>"

    return [(name, kind, literal(d)) for name, kind, d in result]


def test_the_stub_declares_exactly_the_public_names():
    import ast

    tree = _stub_tree()
    declared = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            declared.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and node.level == 1:  # submodules: pipecut.llm
            declared.update(alias.asname or alias.name for alias in node.names)
    assert declared - {"NodeId"} == set(pipecut.__all__)
    compiled = {n for n in dir(pipecut._pipecut) if not n.startswith("_")} | {"__version__"}
    assert compiled | {"llm"} == set(pipecut.__all__)  # llm is a pure-Python submodule


def test_the_stub_signatures_match_the_module():
    import ast

    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            doc = getattr(pipecut, node.name).__doc__.splitlines()[0]
            assert _signature_of(doc) == _parameters(node), node.name
        if isinstance(node, ast.ClassDef) and not issubclass(getattr(pipecut, node.name), BaseException):
            cls = getattr(pipecut, node.name)
            stub_members = set()
            for member in node.body:
                if not isinstance(member, ast.FunctionDef):
                    continue
                stub_members.add(member.name)
                is_property = any(getattr(d, "id", None) == "property" for d in member.decorator_list)
                attr = getattr(cls, member.name)
                assert isinstance(attr, property) == is_property, f"{node.name}.{member.name}"
                if not is_property:
                    doc = attr.__doc__.splitlines()[0]
                    got = [(n, k, d) for n, k, d in _signature_of(doc) if n != "self"]
                    want = [(n, k, d) for n, k, d in _parameters(member) if n != "self"]
                    assert got == want, f"{node.name}.{member.name}"
            assert set(public_names(cls)) <= stub_members, node.name
