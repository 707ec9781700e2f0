#!/usr/bin/env bash
# The GPU check: everything that needs an NVIDIA GPU, in one go, on a fresh machine with the
# driver and a CUDA toolkit (nvcc) but nothing of ours installed. Within 8 minutes it
#   1. records the machine (nvidia-smi, driver, CPU, nvcc);
#   2. builds the C++ tests with the CUDA backend for this GPU only (FMN_CUDA=ON,
#      CMAKE_CUDA_ARCHITECTURES native);
#   3. runs the CUDA op suite and every bundled model on the GPU against the CPU reference
#      (FMN_TEST_CUDA=gpu), then the GL op and model tests on the GPU's EGL
#      (FMN_TEST_REQUIRE_GL=1: a missing GL device is a failure there);
#   4. when the Python build requirements are importable (numpy, pybind11, scikit-build-core),
#      installs the package and runs the benchmarks: models on cuda (batch 1, 64, 1024, 4096)
#      and the FaceMesh pipeline on cuda and on gl, plus doctor;
# and writes everything to one report file.
#
#   bash tools/gpu_check.sh [REPORT]     (default: $OUT/gpu_check.txt, else build/gpu_check.txt)
#
# Exit status: 0 when every step that ran passed; the report says which steps were skipped and
# why. Each step has its own time limit so that one hang cannot eat the budget.
set -uo pipefail
cd "$(dirname "$0")/.."
REPORT="${1:-${OUT:-build}/gpu_check.txt}"
mkdir -p "$(dirname "$REPORT")" build
BUILD=build/gpu
t0=$(date +%s)
status=0
exec > >(tee "$REPORT") 2>&1

step() { echo; echo "== $1 ($(($(date +%s) - t0)) s)"; }
run() {  # seconds, command...: runs with a limit, records a failure
  local limit=$1; shift
  timeout "$limit" "$@"
  local rc=$?
  if [ "$rc" != 0 ]; then echo "-- FAILED (exit $rc): $*"; status=1; fi
  return 0
}

step "machine"
date -u
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || { echo "no nvidia-smi"; status=1; }
grep -m1 "model name" /proc/cpuinfo || true
echo "cores: $(nproc)"
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [ -z "$NVCC" ]; then echo "no nvcc: cannot build the CUDA backend"; exit 1; fi
"$NVCC" --version | tail -2
cmake --version | head -1

step "build (CUDA for this GPU only)"
JOBS=$(nproc)
run 300 cmake -S . -B "$BUILD" -DFMN_BUILD_TESTS=ON -DFMN_CUDA=ON -DCMAKE_CUDA_COMPILER="$NVCC" \
  -DFMN_CUDA_ARCHITECTURES=native -DCMAKE_BUILD_TYPE=Release
run 300 cmake --build "$BUILD" -j "$JOBS" --target test_cuda_ops test_cuda_models test_cuda_emulation \
  test_gl_ops test_gl_models

step "CUDA on the GPU vs the CPU reference"
run 120 env FMN_TEST_CUDA=gpu "$BUILD/test_cuda_ops"
run 180 env FMN_TEST_CUDA=gpu "$BUILD/test_cuda_models"

step "GL on the GPU's EGL vs the CPU reference"
run 120 env FMN_TEST_REQUIRE_GL=1 "$BUILD/test_gl_ops"
run 180 env FMN_TEST_REQUIRE_GL=1 "$BUILD/test_gl_models"

step "Python package and benchmarks"
PY=$(command -v python3 || true)
if [ -n "$PY" ] && "$PY" -c "import numpy, pybind11, scikit_build_core" 2>/dev/null; then
  VENV=build/gpu-venv
  "$PY" -m venv --system-site-packages "$VENV"
  run 300 "$VENV/bin/pip" install -q --no-deps --no-build-isolation -C build-dir=build/gpu-py \
    -C cmake.define.FMN_CUDA=ON -C cmake.define.FMN_CUDA_ARCHITECTURES=native .
  run 60 "$VENV/bin/python" -m facemesh_native doctor
  run 240 "$VENV/bin/python" -m facemesh_native.bench models --device cuda --threads 1 \
    --batch 1 64 1024 4096 --iters 20 --json "$(dirname "$REPORT")/bench_models_cuda.json"
  run 180 "$VENV/bin/python" -m facemesh_native.bench pipeline --device cuda --iters 100 \
    --json "$(dirname "$REPORT")/bench_pipeline_cuda.json"
  run 180 "$VENV/bin/python" -m facemesh_native.bench pipeline --device gl --iters 100 \
    --json "$(dirname "$REPORT")/bench_pipeline_gl.json"
else
  echo "skipped: python3 with numpy, pybind11 and scikit-build-core is not available here"
fi

step "done"
echo "gpu_check: $( [ $status = 0 ] && echo passed || echo FAILED ) in $(($(date +%s) - t0)) s; report $REPORT"
exit $status
