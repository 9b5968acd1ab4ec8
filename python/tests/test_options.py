"""The Python keyword arguments of read_graph, partition, bound and solve are the option
catalogues' (docs/options.md): the same names, defaults and checks as the command line."""

import inspect
import json
import math
import os
import pathlib
import re
import shutil
import subprocess

import pytest

import pipecut
from pipecut import _options

ROOT = pathlib.Path(os.environ.get("PIPECUT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("PIPECUT_CLI") or shutil.which("pipecut")
BERT = ROOT / "data" / "samples" / "pipecut" / "bert_l-3_inference.json"

# Parameters of each function that are not options of its catalogue group.
OTHER_PARAMETERS = {
    "read_graph": {"path"},
    "partition": {"graph", "k"},
    "bound": {"graph", "k", "method"},
    "solve": {"graph", "k", "progress"},
    "llm.plan": {"config", "cluster", "k"},
}


def cli_catalogue():
    assert CLI, "set PIPECUT_CLI to the pipecut binary (ctest does)"
    run = subprocess.run([CLI, "options", "--json"], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)["groups"]


def test_python_and_the_command_line_take_the_same_options():
    for group in cli_catalogue():
        function = pipecut
        for part in group["python_function"].split("."):  # "llm.plan" is pipecut.llm.plan
            function = getattr(function, part)
        parameters = inspect.signature(function).parameters
        python_names = set(parameters) - OTHER_PARAMETERS[group["python_function"]]
        cli_names = {o["python"] for o in group["options"] if o["python"]}
        assert python_names == cli_names, group["name"]
        for option in group["options"]:
            default = parameters[option["python"]].default
            if option["default"] == "":
                assert default is None, option["name"]
            elif option["kind"] == "flag":
                assert default is (option["default"] == "true"), option["name"]
            elif option["kind"] in ("integer", "count", "number", "size"):
                assert default == float(option["default"]), option["name"]
            else:
                assert default == option["default"], option["name"]


def test_the_stubs_are_the_catalogue():
    stub = (ROOT / "python" / "pipecut" / "__init__.pyi").read_text()
    begin = stub.index(_options.STUB_BEGIN)
    end = stub.index(_options.STUB_END) + len(_options.STUB_END) + 1
    assert stub[begin:end] == _options.stub_block(), "run tools/write_python_stubs.py"


def test_docstrings_list_every_option():
    for name, group in _options.option_groups().items():
        function = pipecut
        for part in name.split("."):  # "llm.plan" is pipecut.llm.plan
            function = getattr(function, part)
        doc = function.__doc__
        for option in group["options"]:
            assert f"    {option['name']}: " in doc, (name, option["name"])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda g: pipecut.partition(g, 2, population=-1), pipecut.InputError,
         re.escape("population: must be an integer >= 0 (got '-1')")),
        (lambda g: pipecut.partition(g, 2, generations=1.5), TypeError, "generations must be an int"),
        (lambda g: pipecut.solve(g, 2, algorithm="greedy"), pipecut.InputError, "algorithm: must be one of"),
        (lambda g: pipecut.solve(g, 2, solver_log=1), TypeError, "solver_log must be a bool"),
        (lambda g: pipecut.solve(g, 2, target_ratio=math.nan), pipecut.InputError, "target_ratio"),
        (lambda g: pipecut.solve(g, 2, time_limt=1), TypeError, "unexpected keyword argument 'time_limt'"),
        (lambda g: pipecut.bound(g, 2, threads=-1), pipecut.InputError, "threads: must be an integer >= 0"),
        (lambda g: pipecut.bound(g, 2, method="simple", foo=1), TypeError, "unexpected keyword argument 'foo'"),
        (lambda g: pipecut.read_graph(BERT, backward_pass=-1), pipecut.InputError,
         re.escape("backward_pass: must be one of none, ops, or a number >= 0 (got '-1')")),
        (lambda g: pipecut.read_graph(BERT, backward_pass="all"), pipecut.InputError,
         re.escape("backward_pass: must be one of none, ops, or a number >= 0 (got 'all')")),
        (lambda g: pipecut.read_graph(BERT, backward_pass=math.inf), pipecut.InputError, "backward_pass"),
        (lambda g: pipecut.read_graph(BERT, backward_pass=True), TypeError,
         "backward_pass must be a str or a number, not bool"),
    ],
)
def test_option_values_are_checked_as_on_the_command_line(call, error, message):
    g = pipecut.read_graph(BERT)
    with pytest.raises(error, match=message):
        call(g)


def test_options_reach_the_library():
    g = pipecut.read_graph(BERT)
    small = pipecut.partition(g, 2, population=4, generations=2, seed=3, time_limit=5)
    assert small.seed == 3
    bounds = pipecut.bound(g, 2, method="downset", threads=2, time_limit=5)
    assert [b.method for b in bounds] == ["downset"]
    s = pipecut.solve(g, 2, algorithm="topo", time_limit=10, solver_log=False)
    assert s.optimal
    capped = pipecut.read_graph(BERT, max_input_size=10**9, profile_warmup=0)
    assert capped.num_nodes == g.num_nodes
    with pytest.raises(pipecut.InputError, match="larger than the cap"):
        pipecut.read_graph(BERT, max_input_size=100)
    # A number and its text are the same factor; "ops" takes the per-operator table.
    doubled = pipecut.read_graph(BERT, backward_pass=2)
    assert doubled.num_nodes == 2 * g.num_nodes
    assert doubled.total_work == pytest.approx(3 * g.total_work, rel=1e-12)
    assert pipecut.read_graph(BERT, backward_pass="2.0").to_json() == doubled.to_json()
    assert pipecut.read_graph(BERT, backward_pass="none").to_json() == g.to_json()
