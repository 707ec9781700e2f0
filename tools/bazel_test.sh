#!/usr/bin/env bash
# Builds everything with Bazel and runs `bazel test //...` (the C++ tests, the demo, the
# extension's import), offline. For CI and by hand:
#
#   bash tools/bazel_test.sh [extra bazel test arguments]
#
# Environment:
#   FMN_BAZEL_CACHE   Bazel's output root (default: $HOME/.cache/facemesh_native-bazel); keep it
#                     between runs for an incremental build
#   FMN_BAZEL_JOBS    parallel jobs (default: 2)
#   PYTHON_BIN_PATH   the interpreter whose headers and pybind11 build _core.so (default:
#                     python3 on PATH; without pybind11 the extension's targets are skipped)
#   FMN_TEST_REQUIRE_GL=1   a missing GL device fails the GL tests instead of skipping them
#   FMN_BAZEL_KEEP_SERVER=1 leave the Bazel server running afterwards (default: shut it down)
# Needs Debian's bazel-bootstrap (Bazel 4.2.3); installs it with apt-get when run as root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v bazel >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing bazel-bootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      bazel-bootstrap >/dev/null
  else
    echo "bazel_test.sh: bazel not found (Debian/Ubuntu: apt-get install bazel-bootstrap)" >&2
    exit 1
  fi
fi

python3 tools/check_build_lists.py

# An interpreter named explicitly must be able to build the extension: otherwise Bazel would
# silently skip _core.so and core_import (what it does when python3 on PATH lacks pybind11).
if [ -n "${PYTHON_BIN_PATH:-}" ]; then
  "$PYTHON_BIN_PATH" -c 'import pybind11, sysconfig, os, sys
inc = sysconfig.get_paths()["include"]
sys.exit(0 if os.path.exists(os.path.join(inc, "Python.h")) else "no Python.h in " + inc)' || {
    echo "bazel_test.sh: PYTHON_BIN_PATH=$PYTHON_BIN_PATH cannot build the extension" \
         "(needs pybind11 and the Python headers)" >&2
    exit 1
  }
fi

CACHE="${FMN_BAZEL_CACHE:-${HOME:-/tmp}/.cache/facemesh_native-bazel}"
JOBS="${FMN_BAZEL_JOBS:-2}"
mkdir -p "$CACHE"
# Convenience symlinks (bazel-bin, bazel-<folder>, ...) left by a build under another output
# root would be read as source packages by //...; this run makes them again.
find . -maxdepth 1 -name 'bazel-*' -type l -delete
status=0
t0=$(date +%s)
bazel --output_user_root="$CACHE" test //... --jobs="$JOBS" "$@" || status=$?
t1=$(date +%s)
echo "bazel test //...: $((t1 - t0)) s (exit status $status, output root $CACHE)"
# The server would otherwise stay up for hours (it keeps the analysis cache in memory).
if [ "${FMN_BAZEL_KEEP_SERVER:-0}" != 1 ]; then
  bazel --output_user_root="$CACHE" shutdown >/dev/null 2>&1 || true
fi
exit "$status"
