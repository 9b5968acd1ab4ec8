#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/) for a short while from its seed corpus: the bundled
# samples of its format (data/samples) plus the small seeds in fuzz/seeds/. Any crash, sanitizer
# report, leak, timeout or out-of-memory fails the run; the input that caused it is kept in
# WORK_DIR/<target>/ and the log in WORK_DIR/<target>.log.
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET=30] [BUILD_DIR=build-asan] [WORK_DIR=BUILD_DIR/fuzz-work]
#        FUZZ_TARGETS="fuzz_onnx fuzz_partition" scripts/fuzz-smoke.sh ...   (only those targets)
# The build folder must come from scripts/ci-sanitizers.sh (clang, sanitizers, coverage); it is
# configured and built here if it is missing. To fuzz longer, pass more seconds, or run one
# target by hand (README "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
build_dir="${2:-build-asan}"
work="${3:-$build_dir/fuzz-work}"

if [[ -f "$build_dir/CMakeCache.txt" ]]; then
  cmake --build "$build_dir" --target fuzzers
else
  bash scripts/ci-sanitizers.sh --build-only "$build_dir"
fi

rm -rf "$work"
mkdir -p "$work/seeds-read_graph"
# The format-detecting target reads its first byte as the choice of file name (fuzz/fuzz_read_graph.cpp).
prefixed() { { printf "\\$(printf '%03o' "$1")"; cat "$2"; } > "$work/seeds-read_graph/$(basename "$2").$1"; }
prefixed 0 data/samples/pipecut/bert_l-3_inference.json
prefixed 0 data/samples/tarnawski/bert_l-3_inference.json
prefixed 1 data/samples/pipedream/resnet18_graph.txt
prefixed 2 data/samples/regal/tiny.pbtxt
prefixed 5 data/samples/regal/tiny.pbtxt
for model in data/samples/onnx/*.onnx; do prefixed 3 "$model"; done
for gz in fuzz/seeds/fuzz_pipecut_graph_gzip/*.gz; do prefixed 4 "$gz"; done

seeds_of() {
  case "$1" in
    fuzz_pipecut_graph) echo data/samples/pipecut fuzz/seeds/fuzz_pipecut_graph ;;
    fuzz_pipecut_graph_gzip) echo fuzz/seeds/fuzz_pipecut_graph_gzip ;;
    fuzz_tarnawski) echo data/samples/tarnawski fuzz/seeds/fuzz_tarnawski ;;
    fuzz_pipedream) echo data/samples/pipedream ;;
    fuzz_regal) echo data/samples/regal ;;
    fuzz_onnx) echo data/samples/onnx fuzz/seeds/fuzz_onnx ;;
    fuzz_partition) echo fuzz/seeds/fuzz_partition ;;
    fuzz_read_graph) echo "$work/seeds-read_graph" ;;
    fuzz_ort_profile) echo fuzz/seeds/fuzz_ort_profile ;;
    fuzz_device_profile) echo fuzz/seeds/fuzz_device_profile ;;
    fuzz_report_partition) echo fuzz/seeds/fuzz_report_partition ;;
    fuzz_cluster) echo data/clusters data/llm/clusters ;;
  esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
targets=(fuzz_pipecut_graph fuzz_pipecut_graph_gzip fuzz_tarnawski fuzz_pipedream fuzz_regal
         fuzz_onnx fuzz_partition fuzz_read_graph fuzz_ort_profile fuzz_device_profile
         fuzz_report_partition fuzz_cluster)
# FUZZ_TARGETS="a b" runs only those (e.g. new targets while working on them).
if [[ -n "${FUZZ_TARGETS:-}" ]]; then read -r -a targets <<< "$FUZZ_TARGETS"; fi
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/corpus"
  # -timeout: one input taking over 10 s is a finding; -malloc_limit_mb: so is one allocation of
  # 2 GB. (-rss_limit_mb would start a thread, and the readers fork only when single-threaded.)
  # shellcheck disable=SC2046
  if "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=0 -malloc_limit_mb=2048 \
       -artifact_prefix="$work/$target/" -print_final_stats=1 \
       "$work/$target/corpus" $(seeds_of "$target") > "$work/$target.log" 2>&1; then
    echo "fuzz $target: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$target.log" | grep -o '[0-9]*$') inputs in ${seconds} s)"
  else
    echo "fuzz $target: FINDING (log: $work/$target.log)"
    tail -n 40 "$work/$target.log"
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzzers with findings: ${failed[*]}"
  exit 1
fi
