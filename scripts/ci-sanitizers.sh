#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build folder
# (build-asan), compiled with clang. The library is also instrumented for libFuzzer coverage
# (-fsanitize=fuzzer-no-link), so the fuzzers that scripts/fuzz-smoke.sh runs come from this
# same build. Any sanitizer report fails the run (-fno-sanitize-recover=all, halt_on_error).
# The Python package is not built here (an instrumented extension cannot load into Debian's
# uninstrumented interpreter); its tests run in the README's build.
# Usage: scripts/ci-sanitizers.sh [--build-only] [BUILD_DIR=build-asan]
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
if [[ "${1:-}" == "--build-only" ]]; then build_only=1; shift; fi
build_dir="${1:-build-asan}"

# -O1 and line tables only: about a third less compile time than -O2 -g, and stack traces
# still name every file and line.
sanitize="-fsanitize=address,undefined"
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build_dir" -G Ninja "${launcher[@]}" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS="$sanitize,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="$sanitize" \
  -DCMAKE_SHARED_LINKER_FLAGS="$sanitize" \
  -DPIPECUT_BUILD_BENCH=OFF \
  -DPIPECUT_BUILD_PYTHON=OFF
cmake --build "$build_dir"
((build_only)) && exit 0

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build_dir" --output-on-failure
