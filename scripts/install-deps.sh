#!/usr/bin/env bash
# Installs everything pipecut needs to build and test, from Debian 12 packages only.
# Usage: scripts/install-deps.sh [--corpus-tools]
#   --corpus-tools  also install python3-torch/torchvision/onnx, needed only to regenerate
#                   the torchvision ONNX corpus (tools/export_torchvision.py) and the tiny
#                   ONNX test models (tools/make_tiny_onnx.py).
# python3-matplotlib is always installed: the experiment report (tools/report.py) draws plots,
# and the test suite runs the experiment pipeline in quick mode. chromium renders the HTML
# partition report headless in the browser test (and tools/make_report_screenshot.sh).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev zlib1g-dev
  coinor-libcbc-dev coinor-cbc
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-matplotlib
  chromium
)
if [[ "${1:-}" == "--corpus-tools" ]]; then
  packages+=(python3-onnx python3-torch python3-torchvision)
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
  echo "all build dependencies are installed"
fi
