#!/usr/bin/env bash
# Bazel test facemesh_demo_astronaut (the ctest of the same name in demo.cmake): runs the demo
# on tests/data/astronaut.png and expects one face, found on the CPU.
#   $1: the facemesh_demo binary. Runs in the runfiles tree (graphs/, third_party/mediapipe/).
set -euo pipefail
demo="$1"
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
mkdir -p "$out"
log="$("$demo" tests/data/astronaut.png --out "$out/facemesh_demo_astronaut.png" \
        --json "$out/facemesh_demo_astronaut.json" 2>&1)"
echo "$log"
if ! tr '\n' ' ' <<<"$log" | grep -Eq 'frame 0: 1 face\(s\).*device: cpu'; then
  echo "FAILED: expected 'frame 0: 1 face(s)' ... 'device: cpu'" >&2
  exit 1
fi
