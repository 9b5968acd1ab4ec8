#!/usr/bin/env bash
# Runs a `pipecut experiment` sweep as N shards with GNU parallel (on this machine, or on several
# through --sshloginfile), then merges the shard files into one results file and optionally
# builds the report. tools/sweep.slurm does the same with a Slurm job array; its last step is
# `tools/sweep_parallel.sh --merge-only`.
#
# Usage:
#   tools/sweep_parallel.sh --shards N --out DIR [--testbed NAME] [--jobs J] [--sshloginfile FILE]
#                           [--report] -- EXPERIMENT_ARGS...
#   tools/sweep_parallel.sh --merge-only --out DIR [--testbed NAME] [--report]
#     --shards N          split the sweep into N shards (`pipecut experiment --shard I/N`), each
#                         one process with one thread
#     --jobs J            shards run at once per machine (default: number of cores)
#     --sshloginfile F    run shards on the machines listed in F (GNU parallel's format); they
#                         must see this folder and the pipecut binary at the same paths (NFS)
#     --out DIR           shard files go to DIR/shards/, the merged file to DIR/NAME.jsonl.gz
#     --testbed NAME      testbed recorded in every row and used in file names (default: sweep)
#     --report            then run tools/report.py on the merged file (report in DIR/results.md)
#     EXPERIMENT_ARGS     graphs and options of `pipecut experiment` (not --results, --shard,
#                         --testbed or --threads), e.g. data/corpus/torchvision -k 2,8 --quick
# The one command for a sweep on this machine, 8 shards:
#   tools/sweep_parallel.sh --shards 8 --out sweep -- data/corpus/torchvision --time-limit 2
# Rerunning resumes: each shard skips the rows already in its file. Merging keeps one row per
# (path, k, kind, method), the first one found, and sorts the lines, so the merged file does not
# depend on how the sweep was split.
# Environment: PIPECUT (the binary, default build/pipecut).
set -euo pipefail
cd "$(dirname "$0")/.."

shards=0
jobs=$(nproc)
out=""
testbed=sweep
login_file=""
report=0
merge_only=0
while (($#)); do
  case "$1" in
    --shards) shards="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --out) out="$2"; shift ;;
    --testbed) testbed="$2"; shift ;;
    --sshloginfile) login_file="$2"; shift ;;
    --report) report=1 ;;
    --merge-only) merge_only=1 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "sweep_parallel.sh: unknown option $1 (experiment arguments go after --)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "sweep_parallel.sh: --out DIR is required" >&2; exit 2; }
[[ "$testbed" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "sweep_parallel.sh: bad testbed name '$testbed'" >&2; exit 2; }
mkdir -p "$out/shards"

if ((!merge_only)); then
  [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "sweep_parallel.sh: --shards N (N >= 1) is required" >&2; exit 2; }
  (($#)) || { echo "sweep_parallel.sh: no experiment arguments after --" >&2; exit 2; }
  command -v parallel > /dev/null || { echo "sweep_parallel.sh: GNU parallel is not installed (scripts/install-deps.sh)" >&2; exit 2; }
  pipecut=$(realpath "${PIPECUT:-build/pipecut}")
  [[ -x "$pipecut" ]] || { echo "sweep_parallel.sh: $pipecut not built (see README)" >&2; exit 2; }
  remote=()
  [[ -n "$login_file" ]] && remote=(--sshloginfile "$login_file" --workdir "$PWD")
  # -q keeps every argument intact; {} is the shard number. A failing shard stops the sweep.
  parallel --will-cite -q --jobs "$jobs" --halt now,fail=1 "${remote[@]}" \
    "$pipecut" experiment "$@" --testbed "$testbed" --threads 1 --quiet \
    --shard "{}/$shards" --results "$out/shards/$testbed-shard{}-of-$shards.jsonl" \
    ::: $(seq 1 "$shards")
fi

# Merge: one row per key, lines sorted, gzip without a timestamp (reproducible bytes).
/usr/bin/python3 - "$out/$testbed.jsonl.gz" "$out/shards/$testbed"-shard*.jsonl <<'PY'
import gzip, json, sys
merged_path, *shard_paths = sys.argv[1:]
if not shard_paths or not any(p.endswith(".jsonl") for p in shard_paths):
    sys.exit("sweep_parallel.sh: no shard files to merge")
rows = {}
for path in sorted(shard_paths):
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
                key = (row["path"], row["k"], row["kind"], row["method"])
            except (ValueError, KeyError) as e:
                sys.exit(f"{path}: line {number}: not a result row ({e})")
            rows.setdefault(key, line)
with open(merged_path + ".tmp", "wb") as raw:
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        for line in sorted(rows.values()):
            f.write((line + "\n").encode())
import os
os.replace(merged_path + ".tmp", merged_path)
print(f"merged {len(rows)} rows from {len(shard_paths)} shard files into {merged_path}")
PY

if ((report)); then
  /usr/bin/python3 tools/report.py --out-dir "$out" --plots-dir "$out/plots" \
    --results "$testbed=$out/$testbed.jsonl.gz"
  echo "report in $out/results.md"
fi
