#!/usr/bin/env bash
# Runs every test of facemesh_native: the C++ unit tests (ctest) and the Python tests (pytest).
#
#   bash tests/run_tests.sh            # uses/creates .venv in the repository root
#   FMN_VENV=/path/to/venv bash tests/run_tests.sh
#
# It installs the package with its test extras into the virtual environment (pip install .),
# builds the C++ tests with CMake into build/ctest, runs ctest, then pytest on tests/python.
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
python -m pip install ".[test]"

echo "== C++ unit tests"
cmake -S . -B build/ctest -G Ninja -DFMN_BUILD_TESTS=ON -DFMN_BUILD_DEMO=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/ctest -j"$(nproc)"
ctest --test-dir build/ctest --output-on-failure -j"$(nproc)"

echo "== Python tests"
cd "$ROOT/tests"   # import the installed package, not the source tree
python -m pytest -q -p no:cacheprovider "$ROOT/tests/python" "$@"
