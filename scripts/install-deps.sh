#!/usr/bin/env bash
# Installs everything pipecut needs to build and test: Debian 12 packages, and ONNX Runtime for
# Node from npm (tools/package-lock.json) for the stage-model tools and tests.
# Usage: scripts/install-deps.sh
# python3-dev and pybind11-dev build the Python package (python/); python3-pytest runs its tests,
# which use python3-torch and python3-torchvision (pipecut.torch) and python3-onnx (torch's ONNX
# export, compared with the importer). python3-onnx, python3-torch and python3-torchvision also
# write the test models with weights (tools/make_split_test_models.py, run by the test suite),
# regenerate the torchvision corpus (tools/export_torchvision.py) and the tiny ONNX samples
# (tools/make_tiny_onnx.py).
# python3-matplotlib draws the experiment report's plots (tools/report.py), which the test suite
# runs in quick mode. chromium renders the HTML partition report headless in the browser test
# (and tools/make_report_screenshot.sh).
# clang and its runtime libraries build the sanitizer test run and the libFuzzer targets
# (scripts/ci-sanitizers.sh, scripts/fuzz-smoke.sh); GNU parallel runs sharded experiment
# sweeps (tools/sweep_parallel.sh, tested by the suite).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev
  coinor-libcbc-dev coinor-cbc
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-matplotlib python3-onnx python3-torch python3-torchvision
  python3-dev pybind11-dev python3-pytest
  python3-venv python3-pip python3-setuptools python3-wheel
  chromium
  clang libclang-rt-14-dev
  parallel
)
# Node.js and npm from Debian unless a node is already there (this machine has Node 20).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all Debian packages are installed"
fi

# onnxruntime-node bundles its CPU runtime; its install script only fetches optional GPU
# binaries from outside the npm registry, so scripts are skipped. Skipped entirely when the
# locked version is already installed.
locked=$(node -p "require('./tools/package-lock.json').packages['node_modules/onnxruntime-node'].version")
installed=$(node -p "try { require('./tools/node_modules/onnxruntime-node/package.json').version } catch { '' }")
if [[ "$installed" != "$locked" ]]; then
  echo "installing onnxruntime-node $locked into tools/node_modules"
  (cd tools && npm ci --ignore-scripts --no-audit --no-fund)
else
  echo "onnxruntime-node $locked is installed"
fi
