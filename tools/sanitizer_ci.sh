#!/usr/bin/env bash
# The sanitizer and fuzzing step of CI: builds the engine, the C++ unit tests and the libFuzzer
# targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer (FMN_BUILD_FUZZERS=ON),
# runs the unit tests under the sanitizers, then each fuzz target for a bounded time from the
# committed corpus. Fails on any test failure, sanitizer report, crash or hang.
#
#   bash tools/sanitizer_ci.sh
#
# Environment:
#   FMN_FUZZ_SECONDS   seconds of fuzzing in all (default 120: 80 model, 40 graph config)
#   FMN_SAN_BUILD      build folder (default build/sanitize)
# Needs clang and libclang-rt (Debian: apt-get install clang libclang-rt-14-dev); installs them
# with apt-get when run as root. A crash input is written to $FMN_SAN_BUILD/crashes/ (CI keeps
# it in the log as hex); add it to the corpus and a regression test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${FMN_SAN_BUILD:-build/sanitize}"
SECONDS_ALL="${FMN_FUZZ_SECONDS:-120}"

if ! command -v clang++ >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing clang and libclang-rt"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends clang libclang-rt-14-dev >/dev/null; }
  else
    echo "sanitizer_ci.sh: needs clang and libclang-rt (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
  fi
fi
CMAKE="${CMAKE:-cmake}"
command -v "$CMAKE" >/dev/null 2>&1 || { echo "sanitizer_ci.sh: cmake not found" >&2; exit 1; }
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)

t0=$(date +%s)
"$CMAKE" -S . -B "$BUILD" "${GEN[@]}" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFMN_BUILD_FUZZERS=ON -DFMN_BUILD_TESTS=ON >/dev/null
"$CMAKE" --build "$BUILD" -j"$(nproc)"
t1=$(date +%s)
echo "sanitizer build: $((t1 - t0)) s"

export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "== C++ unit tests under ASan + UBSan"
# test_omitted_inputs (1,782 load-and-run cases, about 3 minutes under ASan) and
# test_cuda_models (every bundled model through the emulated CUDA kernels, about 2 minutes
# under ASan; test_cuda_ops runs the same kernels on random shapes here) run in the main suite
# without sanitizers; FMN_SAN_ALL=1 runs them here too.
exclude=()
[ "${FMN_SAN_ALL:-0}" = 1 ] || exclude=(-E '^(test_omitted_inputs|test_cuda_models)$')
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "${exclude[@]}"
t2=$(date +%s)
echo "sanitizer tests: $((t2 - t1)) s"

echo "== fuzzing (${SECONDS_ALL} s in all)"
model_s=$((SECONDS_ALL * 2 / 3))
graph_s=$((SECONDS_ALL - model_s))
crashes="$BUILD/crashes"
mkdir -p "$crashes" "$BUILD/corpus-model" "$BUILD/corpus-graph"
status=0
summary='^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|.*Test unit written)'
run_fuzzer() {  # name, seconds, extra args...
  local name=$1 secs=$2; shift 2
  local log="$BUILD/$name.log" rc=0
  "$BUILD/$name" -max_total_time="$secs" -artifact_prefix="$crashes/$name-" \
    -print_final_stats=1 "$@" >"$log" 2>&1 || rc=$?
  echo "$name ($secs s):"
  grep -E "$summary" "$log" | sed 's/^/  /' || true
  if [ "$rc" != 0 ]; then
    echo "$name: exit status $rc; the end of its log:"; tail -40 "$log"; status=1
  fi
}
# New inputs go to the scratch corpus (first folder); the committed seeds are only read.
run_fuzzer fuzz_model "$model_s" -timeout=20 -rss_limit_mb=4096 -max_len=3000000 \
  "$BUILD/corpus-model" third_party/mediapipe
run_fuzzer fuzz_graph_config "$graph_s" -timeout=10 "$BUILD/corpus-graph" \
  tests/fuzz/corpus/graph graphs
if [ -n "$(ls -A "$crashes")" ]; then
  status=1
  for f in "$crashes"/*; do
    echo "crash input $f ($(stat -c %s "$f") bytes), first 256 bytes:"
    head -c 256 "$f" | od -An -tx1 | head -16
  done
fi
echo "sanitizers and fuzzing: $(($(date +%s) - t0)) s in all (exit status $status)"
exit "$status"
