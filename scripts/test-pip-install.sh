#!/usr/bin/env bash
# `pip install .` as a Python user does it, from a fresh clone of this checkout's HEAD: a
# virtual environment over Debian's python3 (whose packages, torch and onnx among them, it sees),
# an install with the build dependencies Debian provides (--no-build-isolation: no download),
# then the package imported and used from outside the source tree. Run by .ci/run.
# Usage: scripts/test-pip-install.sh [WORK_DIR]   (default: a temporary folder, removed after)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
[[ $# -ge 1 ]] || trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation "$work/clone"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import pathlib
import pipecut
import pipecut.torch  # the PyTorch front end imports with the installed package

location = pathlib.Path(pipecut.__file__).resolve()
assert "site-packages" in location.parts, location
g = pipecut.Graph([{"id": "a", "work": 1, "comm": 1}, {"id": "b", "work": 2, "comm": 0}], [("a", "b")])
s = pipecut.solve(g, 2)
assert s.bottleneck == 3.0 and s.optimal, (s.bottleneck, s.optimal)
print(f"pip install: pipecut {pipecut.__version__} from {location.parent} solves")
PY
