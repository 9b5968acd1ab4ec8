#!/usr/bin/env bash
# Regenerates docs/images/report-bert3.png, the README's picture of `pipecut report`: solves the
# bundled BERT-3 sample for k = 4, writes the HTML report with the README's commands, and lets
# Debian's headless Chromium (scripts/install-deps.sh) take a screenshot of the page down to the
# end of the operator graph.
# Usage: tools/make_report_screenshot.sh        (PIPECUT=path/to/pipecut to use another build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pipecut="${PIPECUT:-$root/build/pipecut}"
out="$root/docs/images/report-bert3.png"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
sample="$root/data/samples/pipecut/bert_l-3_inference.json"
"$pipecut" solve "$sample" -k 4 --quiet -o bert-k4.json >/dev/null
"$pipecut" report "$sample" bert-k4.json -o report.html >/dev/null

# Without the background-networking flags Chromium waits for a network that is not there.
timeout -k 10 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --force-device-scale-factor=1.5 \
  --window-size=1200,2050 --screenshot="$work/shot.png" "file://$work/report.html" 2>/dev/null

# A 256-colour palette keeps the file small; the page has few colours besides anti-aliasing.
/usr/bin/python3 - "$work/shot.png" "$out" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(sys.argv[2], optimize=True)
PY
echo "wrote $out"
