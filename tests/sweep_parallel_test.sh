#!/usr/bin/env bash
# tools/sweep_parallel.sh in quick mode on 2 shards: the merged results hold exactly the rows of
# the same sweep run unsharded (same keys), with equal values where the methods are
# deterministic, and every shard did part of the work.
# Usage: tests/sweep_parallel_test.sh WORK_DIR   (environment: PIPECUT, the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
work="$1"
rm -rf "$work"
mkdir -p "$work"
args=(data/synthetic --quick -k 2,4)
"$PIPECUT" experiment "${args[@]}" --testbed synthetic --threads 1 --quiet \
  --results "$work/unsharded.jsonl" 2> /dev/null
tools/sweep_parallel.sh --shards 2 --jobs 2 --out "$work/sweep" --testbed synthetic -- "${args[@]}"
/usr/bin/python3 - "$work/unsharded.jsonl" "$work/sweep/synthetic.jsonl.gz" "$work"/sweep/shards/*.jsonl <<'PY'
import gzip, json, sys
whole_path, merged_path, *shard_paths = sys.argv[1:]
def rows(lines):
    out = {}
    for line in lines:
        if line.strip():
            r = json.loads(line)
            key = (r["path"], r["k"], r["kind"], r["method"])
            assert key not in out, f"duplicate row {key}"
            out[key] = r
    return out
whole = rows(open(whole_path))
merged = rows(gzip.open(merged_path, "rt"))
assert whole, "the unsharded run wrote no rows"
assert set(whole) == set(merged), f"keys differ: {set(whole) ^ set(merged)}"
for key, r in whole.items():  # deterministic methods give the same values
    if (key[2], key[3]) in {("bound", "simple"), ("partition", "topo")}:
        assert r["value"] == merged[key]["value"], f"{key}: {r['value']} != {merged[key]['value']}"
assert len(shard_paths) == 2, shard_paths
for path in shard_paths:
    assert sum(1 for line in open(path) if line.strip()) > 0, f"{path} is empty"
print(f"sweep_parallel: {len(merged)} rows merged from 2 shards = the unsharded run")
PY
