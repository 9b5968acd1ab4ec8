#!/usr/bin/env bash
# Reproduces docs/results.md: runs `pipecut experiment` on the torchvision testbed (single
# methods, and `solve` alone as torchvision-solve), on a
# generated 1 000-graph synthetic testbed, on the transformer corpus, on a generated set of
# REGAL-like graphs and on the constrained testbeds (torchvision with a memory capacity of 1.1
# and 1.3 times total memory / k; the Tarnawski BERT sample with its colour classes, with its own
# capacity and with 1.1 times total memory / k), then tools/report.py. Rerunning resumes: rows
# already in the results files are skipped.
#
# Usage: tools/run_experiments.sh [--quick] [--report-only] [--out DIR] [--jobs N] [--testbeds L]
#   --quick        smoke run (a few graphs, short limits) into a temporary folder unless --out
#   --report-only  no sweep: rebuild the report from the results already in DIR/results
#   --out          where results, report and plots go (default: docs)
#   --jobs         shards run in parallel, each with one thread (default: number of cores)
#   --testbeds     comma-separated testbeds to sweep (default: torchvision,torchvision-solve,
#                  synthetic,transformers,regal,torchvision-mem1.1,torchvision-mem1.3,tarnawski,
#                  tarnawski-mem1.1); the report covers every testbed with a results file, and
#                  each keeps the date and commit of the run that produced it
# Environment: PIPECUT (the binary, default build/pipecut), TV_LIMIT / SYN_LIMIT / TR_LIMIT /
# REGAL_LIMIT / CON_LIMIT (seconds per method per instance: 2, 1, 10, 10 and 2 by default; the
# last for the constrained testbeds), SOLVE_LIMIT (seconds per solve run on the transformer and
# REGAL-like testbeds, default 60), TV_SOLVE_LIMIT (seconds per solve run on torchvision-solve,
# default 10), SYN_COUNT (default 1000), REGAL_COUNT (default 100; sizes
# spread from 200 to 2 000 nodes).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
report_only=0
out=""
jobs=$(nproc)
testbeds=torchvision,torchvision-solve,synthetic,transformers,regal,torchvision-mem1.1,torchvision-mem1.3,tarnawski,tarnawski-mem1.1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --report-only) report_only=1 ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --testbeds) testbeds="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
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
tr_limit=${TR_LIMIT:-10}
regal_limit=${REGAL_LIMIT:-10}
solve_limit=${SOLVE_LIMIT:-60}
tv_solve_limit=${TV_SOLVE_LIMIT:-10}
regal_count=${REGAL_COUNT:-100}
regal_dir=build/regal-$regal_count
con_limit=${CON_LIMIT:-2}
tarnawski=data/samples/tarnawski/bert_l-3_inference.json
all_testbeds=(torchvision torchvision-solve synthetic transformers regal torchvision-mem1.1 torchvision-mem1.3
              tarnawski tarnawski-mem1.1)
IFS=, read -r -a selected <<< "$testbeds"
for t in "${selected[@]}"; do
  [[ " ${all_testbeds[*]} " == *" $t "* ]] ||
    { echo "run_experiments.sh: unknown testbed $t (expected ${all_testbeds[*]})" >&2; exit 2; }
done
wanted() { [[ ",$testbeds," == *",$1,"* ]]; }

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

ran=()  # the testbeds swept by this run: their provenance is updated
if ((quick)); then
  commands=(
    "pipecut experiment data/synthetic --quick --testbed synthetic --results synthetic.jsonl"
    "pipecut experiment data/corpus/torchvision --quick --testbed torchvision --results torchvision.jsonl"
    "pipecut experiment $tarnawski --quick -k 2,3 --capacity-factor 1.1 --testbed tarnawski-mem1.1 --results tarnawski-mem1.1.jsonl"
  )
  if ((!report_only)); then
    "$pipecut" experiment data/synthetic --quick --testbed synthetic --quiet \
      --results "$out/results/synthetic.jsonl"
    "$pipecut" experiment data/corpus/torchvision --quick --testbed torchvision --quiet \
      --results "$out/results/torchvision.jsonl"
    "$pipecut" experiment "$tarnawski" --quick -k 2,3 --capacity-factor 1.1 \
      --testbed tarnawski-mem1.1 --quiet --results "$out/results/tarnawski-mem1.1.jsonl"
    ran=(synthetic torchvision tarnawski-mem1.1)
  fi
  tv_results="$out/results/torchvision.jsonl"
  syn_results="$out/results/synthetic.jsonl"
  con_quick_results="$out/results/tarnawski-mem1.1.jsonl"
else
  tv_args=(data/corpus/torchvision -k 2,4,8,16,32,64 --algorithms topo,brkga-100,brkga-10000
           --bounds simple,single,downset,grouped,exact --time-limit "$tv_limit")
  # The portfolio a user runs, alone, with a short budget per instance.
  tv_solve_args=(data/corpus/torchvision -k 2,4,8,16,32,64 --algorithms solve --bounds simple
                 --solve-time-limit "$tv_solve_limit")
  syn_args=("$syn_dir" -k 2,4,8,16,32,64 --algorithms topo,brkga-100
            --bounds simple,single,downset --time-limit "$syn_limit")
  # The hard testbeds: `solve` with the budget a user gives it, beside the single methods.
  tr_args=(data/corpus/transformers -k 2,4,8,16,32,64 --algorithms solve,topo,brkga-100
           --bounds simple,single,downset,split --time-limit "$tr_limit"
           --solve-time-limit "$solve_limit")
  regal_args=("$regal_dir" -k 2,4,8,16,32,64 --algorithms solve,topo,brkga-100
              --bounds simple,single,downset,split --time-limit "$regal_limit"
              --solve-time-limit "$solve_limit")
  # Constrained testbeds: capacity = factor x total memory / k, raised to the heaviest node or
  # hull (pipecut experiment --capacity-factor); the Tarnawski sample keeps its colour classes.
  con_methods=(--algorithms topo,brkga-100,brkga-10000 --bounds simple,single,downset,grouped,exact
               --time-limit "$con_limit")
  tv11_args=(data/corpus/torchvision -k 4,8 --capacity-factor 1.1 "${con_methods[@]}")
  tv13_args=(data/corpus/torchvision -k 4,8 --capacity-factor 1.3 "${con_methods[@]}")
  tarnawski_args=("$tarnawski" -k 2,3,4,8,16 "${con_methods[@]}")
  tarnawski11_args=("$tarnawski" -k 2,3,4,8,16 --capacity-factor 1.1 "${con_methods[@]}")
  syn_generate=(generate --count "$syn_count" --seed 1 --out-dir "$syn_dir")
  regal_generate=(generate --preset regal --count "$regal_count" --nodes 200 --max-nodes 2000
                  --seed 1 --out-dir "$regal_dir")
  if ((!report_only)); then
    if wanted synthetic && [[ ! -d "$syn_dir" ]]; then "$pipecut" "${syn_generate[@]}"; fi
    if wanted regal && [[ ! -d "$regal_dir" ]]; then "$pipecut" "${regal_generate[@]}"; fi
    if wanted torchvision; then sweep torchvision "${tv_args[@]}"; fi
    if wanted torchvision-solve; then sweep torchvision-solve "${tv_solve_args[@]}"; fi
    if wanted synthetic; then sweep synthetic "${syn_args[@]}"; fi
    if wanted transformers; then sweep transformers "${tr_args[@]}"; fi
    if wanted regal; then sweep regal "${regal_args[@]}"; fi
    if wanted torchvision-mem1.1; then sweep torchvision-mem1.1 "${tv11_args[@]}"; fi
    if wanted torchvision-mem1.3; then sweep torchvision-mem1.3 "${tv13_args[@]}"; fi
    if wanted tarnawski; then sweep tarnawski "${tarnawski_args[@]}"; fi
    if wanted tarnawski-mem1.1; then sweep tarnawski-mem1.1 "${tarnawski11_args[@]}"; fi
    IFS=, read -r -a ran <<< "$testbeds"
  fi
  declare -A testbed_commands=(
    [torchvision]="pipecut experiment ${tv_args[*]} --testbed torchvision --results torchvision.jsonl"
    [torchvision-solve]="pipecut experiment ${tv_solve_args[*]} --testbed torchvision-solve --results torchvision-solve.jsonl"
    [synthetic]="pipecut ${syn_generate[*]}
pipecut experiment ${syn_args[*]} --testbed synthetic --results synthetic.jsonl"
    [transformers]="pipecut experiment ${tr_args[*]} --testbed transformers --results transformers.jsonl"
    [regal]="pipecut ${regal_generate[*]}
pipecut experiment ${regal_args[*]} --testbed regal --results regal.jsonl"
    [torchvision-mem1.1]="pipecut experiment ${tv11_args[*]} --testbed torchvision-mem1.1 --results torchvision-mem1.1.jsonl"
    [torchvision-mem1.3]="pipecut experiment ${tv13_args[*]} --testbed torchvision-mem1.3 --results torchvision-mem1.3.jsonl"
    [tarnawski]="pipecut experiment ${tarnawski_args[*]} --testbed tarnawski --results tarnawski.jsonl"
    [tarnawski-mem1.1]="pipecut experiment ${tarnawski11_args[*]} --testbed tarnawski-mem1.1 --results tarnawski-mem1.1.jsonl"
  )
  tv_results="$out/results/torchvision.jsonl.gz"
  syn_results="$out/results/synthetic.jsonl.gz"
fi
# Every testbed with a results file is reported, in a fixed order. Checked for results: the
# testbeds swept (quick mode: the first two; --report-only: the selected ones that have a file).
report_results=()
checked=()
for t in "${all_testbeds[@]}"; do
  case $t in
    torchvision) file=$tv_results ;;
    synthetic) file=$syn_results ;;
    *) file="$out/results/$t.jsonl.gz" ;;
  esac
  ((quick)) && [[ $t == tarnawski-mem1.1 ]] && file=$con_quick_results
  [[ -f "$file" ]] && report_results+=("$t=$file")
  if ((quick)); then
    [[ $t == torchvision || $t == synthetic || $t == tarnawski-mem1.1 ]] && checked+=("$t")
  else
    wanted "$t" && { ((!report_only)) || [[ -f "$file" ]]; } && checked+=("$t")
    # The commands of every testbed in the report, swept now or before.
    if [[ -f "$file" ]] || { wanted "$t" && ((!report_only)); }; then
      while IFS= read -r line; do commands+=("$line"); done <<< "${testbed_commands[$t]}"
    fi
  fi
done
if ((!quick)); then
  commands+=("# each sweep ran as $jobs parallel processes with --shard i/$jobs --threads 1; the shard files were concatenated, sorted and gzipped into docs/results/")
fi
((${#checked[@]})) || { echo "run_experiments.sh: no results to report in $out/results" >&2; exit 2; }

# What the report prints about how the numbers were made. Each testbed keeps the date and
# commit of the run that produced its results; a partial rerun updates only the ones it swept.
meta="$out/results/meta.json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Source changes not yet committed are part of the binary: say so.
git diff --quiet HEAD -- src include 2>/dev/null || commit="$commit with uncommitted changes"
[[ -n "${PIPECUT_COMMIT:-}" ]] && commit=$PIPECUT_COMMIT  # the commit the binary was built from
/usr/bin/python3 - "$meta" "$pipecut" "$tv_limit" "$syn_limit" "$tr_limit" "$regal_limit" \
  "$solve_limit" "$con_limit" "$quick" "$commit" "${ran[*]:-}" "${commands[@]}" <<'PY'
import json, os, platform, subprocess, sys, datetime
(meta_path, pipecut, tv_limit, syn_limit, tr_limit, regal_limit, solve_limit, con_limit, quick,
 commit, ran, *commands) = sys.argv[1:]
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
previous = {}
if os.path.exists(meta_path):
    with open(meta_path) as f:
        previous = json.load(f)
runs = dict(previous.get("runs", {}))
if "runs" not in previous and "date" in previous:  # a report from before per-testbed records
    for testbed in ("torchvision", "synthetic"):
        runs[testbed] = f"{previous['date']}, {previous.get('pipecut', 'unknown')}"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
version = run(pipecut, "--version") + f" (git commit {commit})"
for testbed in ran.split():
    runs[testbed] = f"{now}, {version}"
meta = {
    "machine": f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB, {platform.platform()}",
    "runs": dict(sorted(runs.items())),
    "CBC": run("dpkg-query", "-W", "-f=${Version}", "coinor-libcbc-dev"),
    "ONNX": run("dpkg-query", "-W", "-f=${Version}", "libonnx-dev"),
    "time limits": ("quick mode: 2 s per method" if quick == "1" else
                    f"torchvision: {tv_limit} s per algorithm run and per bound method; "
                    f"synthetic: {syn_limit} s; transformers: {tr_limit} s; regal: "
                    f"{regal_limit} s; solve runs (transformers, regal): {solve_limit} s; "
                    f"constrained testbeds: {con_limit} s"),
    "commands": commands,
}
json.dump(meta, open(meta_path, "w"), indent=2)
PY
/usr/bin/python3 tools/report.py --out-dir "$out" --plots-dir "$out/results" --meta "$meta" \
  --results "${report_results[@]}"
# The report must cover every testbed checked above; an empty sweep is a failure, not a report.
/usr/bin/python3 - "$out/results.json" "${checked[@]}" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["testbeds"]
for testbed in sys.argv[2:]:
    if summary.get(testbed, {}).get("graphs", 0) < 1:
        sys.exit(f"run_experiments.sh: no results for testbed {testbed}")
PY
echo "report in $out/results.md"
