"""The engine's include direction: tools/check_layers.py on the tree, and on copies of cpp/
where one include goes up a layer or across backends."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "check_layers.py"


def run_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    if not (ROOT / "cpp" / "runtime").is_dir():
        pytest.skip("not a source checkout (no cpp/)")
    shutil.copytree(ROOT / "cpp", tmp_path / "cpp")
    return tmp_path


def add_include(path: Path, header: str) -> None:
    path.write_text(f'#include "{header}"\n' + path.read_text())


def test_source_tree_passes():
    if not (ROOT / "cpp" / "runtime").is_dir():
        pytest.skip("not a source checkout (no cpp/)")
    r = run_check(ROOT)
    assert r.returncode == 0, r.stderr
    assert "include only their own layer" in r.stdout


@pytest.mark.parametrize("src, header, why", [
    ("runtime/graph_plan.cc", "ops/reference/reference_ops.h", "above runtime"),
    ("runtime/kernel.h", "executors/interpreter.h", "above runtime"),
    ("ops/reference/reference_ops.cc", "ops/cpu/cpu_backend.h", "above ops/reference"),
    ("ops/cpu/cpu_backend.cc", "ops/gl/gl_context.h", "backend ops/gl from backend ops/cpu"),
    ("executors/interpreter.cc", "graph/calculator.h", "above executors"),
    ("util/roi.cc", "runtime/kernel.h", "above util"),
])
def test_upward_or_cross_backend_include_fails(tree, src, header, why):
    add_include(tree / "cpp" / src, header)
    r = run_check(tree)
    assert r.returncode == 1
    assert f"cpp/{src}: includes {header}" in r.stderr and why in r.stderr, r.stderr


def test_unknown_folder_fails(tree):
    (tree / "cpp" / "extra").mkdir()
    (tree / "cpp" / "extra" / "x.h").write_text("#pragma once\n")
    r = run_check(tree)
    assert r.returncode == 1 and "folder 'extra' has no layer" in r.stderr


def test_every_cuda_kernel_file_is_emulated():
    """CI tests the CUDA kernels through the emulation, which includes each ops/cuda/*.cu:
    a .cu missing there would be built for the GPU and never tested."""
    cuda = ROOT / "cpp" / "ops" / "cuda"
    if not cuda.is_dir():
        pytest.skip("not a source checkout (no cpp/)")
    kernels = sorted(p.name for p in cuda.glob("*.cu"))
    assert kernels, "no CUDA kernel files"
    emulated = (cuda / "cuda_emulated.cc").read_text()
    missing = [k for k in kernels if f'#include "ops/cuda/{k}"' not in emulated]
    assert not missing, f"cpp/ops/cuda/cuda_emulated.cc does not include {missing}"
