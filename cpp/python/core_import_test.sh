#!/usr/bin/env bash
# Bazel test core_import: the extension built by Bazel (_core.so) imports in the interpreter
# whose headers it was built with, and answers a call.
#   $1: the Python interpreter; $2: the path of _core.so (relative to the runfiles root).
set -euo pipefail
python="$1"
dir="$(cd "$(dirname "$2")" && pwd)"
"$python" - "$dir" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import _core
print("_core from", _core.__file__, "cpu isa:", _core.cpu_isa())
PY
