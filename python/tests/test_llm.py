"""pipecut.llm.plan (docs/llm.md): the same plan as `pipecut llm --format json`, keywords from
the same catalogue."""

import json
import pathlib

import pytest

import pipecut
import pipecut.llm
from conftest import run_cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
LLM = ROOT / "data" / "llm"
MIXED = LLM / "clusters" / "a100x4+l4x4.json"


@pytest.mark.parametrize("model, options", [
    ("llama-3-70b.json", {}),
    ("mixtral-8x7b.json", {"phase": "prefill", "batch": 2, "seq_len": 1024, "dtype": "fp8"}),
])
def test_plan_matches_the_cli(model, options):
    plan = pipecut.llm.plan(LLM / model, MIXED, **options)
    args = ["llm", str(LLM / model), "--cluster", str(MIXED), "--format", "json"]
    for key, value in options.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    cli = json.loads(run_cli(*args).stdout)
    assert plan.document == cli
    assert plan.layers_per_stage == cli["layers_per_stage"]
    assert sum(plan.layers_per_stage) == cli["model"]["layers"]
    assert plan.bottleneck >= plan.lower_bound > 0
    assert plan.tokens_per_s > 0
    assert "VLLM_PP_LAYER_PARTITION=" in plan.strings["vllm"]


def test_plan_keywords_are_checked_as_on_the_command_line():
    with pytest.raises(pipecut.InputError, match="dtype: must be one of"):
        pipecut.llm.plan(LLM / "llama-3-8b.json", MIXED, dtype="fp4")
    with pytest.raises(pipecut.InputError, match=r"batch: must be an integer in 1 \.\. 1048576"):
        pipecut.llm.plan(LLM / "llama-3-8b.json", MIXED, batch=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'batchsize'"):
        pipecut.llm.plan(LLM / "llama-3-8b.json", MIXED, batchsize=2)
    with pytest.raises(pipecut.InputError, match="missing field .model_type."):
        pipecut.llm.plan(MIXED, MIXED)


def test_infeasible_model(tmp_path):
    cluster = tmp_path / "small.json"
    cluster.write_text(json.dumps({
        "format": "pipecut.cluster", "version": 1, "device_classes": {"g": {"memory": "16GB"}},
        "hosts": [{"name": "h", "devices": [{"class": "g", "count": 2}], "bandwidth": "16GB/s"}]}))
    with pytest.raises(pipecut.InfeasibleError, match="per device"):
        pipecut.llm.plan(LLM / "llama-3-70b.json", cluster)


def test_signature_and_stub_come_from_the_catalogue():
    import inspect
    from pipecut import _options
    params = inspect.signature(pipecut.llm.plan).parameters
    for option in _options.option_groups()["llm.plan"]["options"]:
        assert option["name"] in params
    stub = (ROOT / "python" / "pipecut" / "llm.pyi").read_text()
    begin = stub.index(_options.STUB_BEGIN)
    end = stub.index(_options.STUB_END) + len(_options.STUB_END) + 1
    assert stub[begin:end] == _options.stub_block("pipecut.llm"), "run tools/write_python_stubs.py"
