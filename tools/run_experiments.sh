#!/usr/bin/env bash
# Reproduces docs/results.md: runs `pipecut experiment` on the torchvision testbed and on a
# generated 1 000-graph synthetic testbed, then tools/report.py. Rerunning resumes: rows already
# in the results files are skipped.
#
# Usage: tools/run_experiments.sh [--quick] [--report-only] [--out DIR] [--jobs N]
#   --quick        smoke run (a few graphs, short limits) into a temporary folder unless --out
#   --report-only  no sweep: rebuild the report from the results already in DIR/results
#   --out          where results, report and plots go (default: docs)
#   --jobs         shards run in parallel, each with one thread (default: number of cores)
# Environment: PIPECUT (the binary, default build/pipecut), TV_LIMIT / SYN_LIMIT (seconds per
# method per instance: 2 and 1 by default), SYN_COUNT (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
report_only=0
out=""
jobs=$(nproc)
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --report-only) report_only=1 ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run_experiments.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
pipecut=${PIPECUT:-build/pipecut}
[[ -x "$pipecut" ]] || { echo "run_experiments.sh: $pipecut not built (see README)" >&2; exit 2; }
if [[ -z "$out" ]]; then
  if ((quick)); then out=$(mktemp -d); else out=docs; fi
fi
mkdir -p "$out/results"
tv_limit=${TV_LIMIT:-2}
syn_limit=${SYN_LIMIT:-1}
syn_count=${SYN_COUNT:-1000}
syn_dir=build/synthetic-$syn_count

# Runs one testbed in $jobs shards in parallel, then merges the shard files into the
# compressed results file. Shard files stay in build/experiment-shards so that a rerun resumes
# where it stopped.
sweep() {
  local testbed=$1; shift
  local results="$out/results/$testbed.jsonl.gz"
  local shards="build/experiment-shards/$testbed"
  mkdir -p "$shards"
  local pids=()
  for ((i = 1; i <= jobs; i++)); do
    "$pipecut" experiment "$@" --testbed "$testbed" --threads 1 --shard "$i/$jobs" \
      --results "$shards/shard$i-of-$jobs.jsonl" --quiet &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  cat "$shards"/shard*-of-"$jobs".jsonl | sort | gzip -9 -n > "$results.tmp"
  mv "$results.tmp" "$results"
}

if ((quick)); then
  commands=(
    "pipecut experiment data/synthetic --quick --testbed synthetic --results synthetic.jsonl"
    "pipecut experiment data/corpus/torchvision --quick --testbed torchvision --results torchvision.jsonl"
  )
  if ((!report_only)); then
    "$pipecut" experiment data/synthetic --quick --testbed synthetic --quiet \
      --results "$out/results/synthetic.jsonl"
    "$pipecut" experiment data/corpus/torchvision --quick --testbed torchvision --quiet \
      --results "$out/results/torchvision.jsonl"
  fi
  tv_results="$out/results/torchvision.jsonl"
  syn_results="$out/results/synthetic.jsonl"
else
  tv_args=(data/corpus/torchvision -k 2,4,8,16,32,64 --algorithms topo,brkga-100,brkga-10000
           --bounds simple,single,downset,grouped,exact --time-limit "$tv_limit")
  syn_args=("$syn_dir" -k 2,4,8,16,32,64 --algorithms topo,brkga-100
            --bounds simple,single,downset --time-limit "$syn_limit")
  if ((!report_only)); then
    if [[ ! -d "$syn_dir" ]]; then
      "$pipecut" generate --count "$syn_count" --seed 1 --out-dir "$syn_dir"
    fi
    sweep torchvision "${tv_args[@]}"
    sweep synthetic "${syn_args[@]}"
  fi
  commands=(
    "pipecut generate --count $syn_count --seed 1 --out-dir $syn_dir"
    "pipecut experiment ${tv_args[*]} --testbed torchvision --results torchvision.jsonl"
    "pipecut experiment ${syn_args[*]} --testbed synthetic --results synthetic.jsonl"
    "# each sweep ran as $jobs parallel processes with --shard i/$jobs --threads 1; the shard files were concatenated, sorted and gzipped into docs/results/"
  )
  tv_results="$out/results/torchvision.jsonl.gz"
  syn_results="$out/results/synthetic.jsonl.gz"
fi

# What the report prints about how the numbers were made.
meta="$out/results/meta.json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n "${PIPECUT_COMMIT:-}" ]] && commit=$PIPECUT_COMMIT  # the commit the binary was built from
/usr/bin/python3 - "$meta" "$pipecut" "$tv_limit" "$syn_limit" "$quick" "$commit" "${commands[@]}" <<'PY'
import json, os, platform, subprocess, sys, datetime
meta_path, pipecut, tv_limit, syn_limit, quick, commit, *commands = sys.argv[1:]
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
meta = {
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    "machine": f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB, {platform.platform()}",
    "pipecut": run(pipecut, "--version") + f" (git commit {commit})",
    "CBC": run("dpkg-query", "-W", "-f=${Version}", "coinor-libcbc-dev"),
    "ONNX": run("dpkg-query", "-W", "-f=${Version}", "libonnx-dev"),
    "time limits": ("quick mode: 2 s per method" if quick == "1" else
                    f"torchvision: {tv_limit} s per algorithm run and per bound method; "
                    f"synthetic: {syn_limit} s"),
    "commands": commands,
}
json.dump(meta, open(meta_path, "w"), indent=2)
PY
/usr/bin/python3 tools/report.py --out-dir "$out" --plots-dir "$out/results" --meta "$meta" \
  --results torchvision="$tv_results" synthetic="$syn_results"
# The report must cover both testbeds; an empty sweep is a failure, not a report.
/usr/bin/python3 - "$out/results.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["testbeds"]
for testbed in ("torchvision", "synthetic"):
    if summary.get(testbed, {}).get("graphs", 0) < 1:
        sys.exit(f"run_experiments.sh: no results for testbed {testbed}")
PY
echo "report in $out/results.md"
