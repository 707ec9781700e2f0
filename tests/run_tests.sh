#!/usr/bin/env bash
# Runs every test of facemesh_native: the C++ unit tests (ctest) and the Python tests (pytest).
#
#   bash tests/run_tests.sh            # uses/creates .venv in the repository root
#   FMN_VENV=/path/to/venv bash tests/run_tests.sh
#
# It installs the package with its test extras into the virtual environment (pip install .),
# building the C++ tests and the demo in the same build (build/tests-cpXY), runs ctest, then
# pytest on tests/python.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${FMN_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet cmake ninja pybind11
# One build for everything: the package's build also compiles the C++ tests and the demo
# (the engine is compiled once), in a build folder of its own that ctest then runs in.
BUILD_DIR="build/tests-$(python -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
python -m pip install ".[test]" -C build-dir="$BUILD_DIR" \
  -C cmake.define.FMN_BUILD_TESTS=ON -C cmake.define.FMN_BUILD_DEMO=ON

echo "== C++ unit tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"

echo "== Python tests"
cd "$ROOT/tests"   # import the installed package, not the source tree
python -m pytest -q -p no:cacheprovider "$ROOT/tests/python" "$@"
