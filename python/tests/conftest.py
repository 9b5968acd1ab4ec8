"""Shared fixtures of the Python tests. ctest sets the environment (python/CMakeLists.txt):
PYTHONPATH to build/python, PIPECUT_CLI to the command-line tool, PIPECUT_SOURCE_DIR and
PIPECUT_BUILD_DIR to the trees, PIPECUT_CMAKE to cmake."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("PIPECUT_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
DATA_DIR = SOURCE_DIR / "data"
BUILD_DIR = pathlib.Path(os.environ.get("PIPECUT_BUILD_DIR", SOURCE_DIR / "build"))
CLI = os.environ.get("PIPECUT_CLI", str(BUILD_DIR / "pipecut"))
BERT = DATA_DIR / "samples" / "pipecut" / "bert_l-3_inference.json"

# One sample per input format (data/samples/).
SAMPLES = {
    "pipecut": DATA_DIR / "samples" / "pipecut" / "bert_l-3_inference.json",
    "tarnawski": DATA_DIR / "samples" / "tarnawski" / "bert_l-3_inference.json",
    "pipedream": DATA_DIR / "samples" / "pipedream" / "resnet18_graph.txt",
    "regal": DATA_DIR / "samples" / "regal" / "tiny.pbtxt",
    "onnx": DATA_DIR / "samples" / "onnx" / "tiny_conv_matmul_split.onnx",
}


def run_cli(*args, check=True):
    """Runs the pipecut command-line tool; returns the CompletedProcess (text mode)."""
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"pipecut {' '.join(map(str, args))} failed: {result.stderr}")
    return result


def cli_json(*args):
    return json.loads(run_cli(*args).stdout)


@pytest.fixture(scope="session")
def bert():
    import pipecut

    return pipecut.read_graph(BERT)


def python_subprocess(code, **kwargs):
    """Starts /usr/bin/python3 (this interpreter) on `code` with the test environment."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
