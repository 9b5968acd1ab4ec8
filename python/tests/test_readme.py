"""The README's Python examples run as written (from the source tree, as a user would)."""

import json
import os
import re
import subprocess
import sys

from conftest import SOURCE_DIR


def readme_python_blocks():
    text = (SOURCE_DIR / "README.md").read_text()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run(code, cwd):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=dict(os.environ)
    )


def test_readme_has_a_ten_line_torch_example():
    torch_example = readme_python_blocks()[0]
    assert "pipecut.torch.split" in torch_example and "allclose" in torch_example
    assert len([line for line in torch_example.splitlines() if line.strip()]) <= 10


def test_readme_python_examples_run(tmp_path):
    blocks = readme_python_blocks()
    assert len(blocks) == 2
    torch_example, graph_example = blocks
    result = run(torch_example, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    bottleneck, ratio = map(float, lines[0].split())
    assert bottleneck > 0 and 0 < ratio <= 1
    assert 2 <= len(lines) - 1 <= 4  # one line per stage
    # The graph example reads data/ relative to the source tree, as the README's commands do;
    # it runs in a scratch folder that links to data/, so that its output lands there.
    (tmp_path / "data").symlink_to(SOURCE_DIR / "data")
    result = run(graph_example, tmp_path)
    assert result.returncode == 0, result.stderr
    bottleneck, lower_bound, optimal, stage = result.stdout.split()
    assert float(lower_bound) <= float(bottleneck) and optimal == "True" and int(stage) >= 0
    assert json.loads((tmp_path / "partition.json").read_text())["format"] == "pipecut.partition"
