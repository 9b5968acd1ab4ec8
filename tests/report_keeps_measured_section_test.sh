#!/bin/sh
# tools/report.py rewrites results.md from experiment rows and must carry over the sections
# tools/measure_pipelines.py and tools/cluster_results.py wrote between their markers
# (docs/results.md has both).
set -eu
source_dir=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
printf '# pipecut results\n\nold tables\n\n<!-- measure_pipelines.py: begin -->\n## Predicted against measured\n\nmeasured tables\n<!-- measure_pipelines.py: end -->\n\n<!-- cluster_results.py: begin -->\n## Heterogeneous clusters\n\ncluster tables\n<!-- cluster_results.py: end -->\n' > "$out/results.md"
zcat "$source_dir/docs/results/synthetic.jsonl.gz" | grep '"synthetic-0140"' > "$out/rows.jsonl"
/usr/bin/python3 "$source_dir/tools/report.py" --results synthetic="$out/rows.jsonl" --out-dir "$out" >/dev/null
grep -q '^## Testbed `synthetic`' "$out/results.md"
grep -q '^measured tables$' "$out/results.md"
grep -q '^cluster tables$' "$out/results.md"
if grep -q '^old tables$' "$out/results.md"; then
  echo "report.py kept the old tables" >&2
  exit 1
fi
test "$(grep -c 'measure_pipelines.py: begin' "$out/results.md")" = 1
test "$(grep -c 'cluster_results.py: begin' "$out/results.md")" = 1
echo "ok"
