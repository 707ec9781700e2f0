"""CMake and Bazel build the same C++ sources: tools/check_build_lists.py on the tree, and on
copies of it where a source or a pattern was moved so that the two builds differ."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "check_build_lists.py"


def run_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A copy of what the check reads: the build files, cpp/ and tests/cpp/."""
    if not (ROOT / "BUILD").is_file() or not (ROOT / "CMakeLists.txt").is_file():
        pytest.skip("not a source checkout (no BUILD / CMakeLists.txt)")
    dst = tmp_path / "src"
    for rel in ("CMakeLists.txt", "BUILD"):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, dst / rel)
    shutil.copytree(ROOT / "cpp", dst / "cpp")
    shutil.copytree(ROOT / "tests" / "cpp", dst / "tests" / "cpp")
    return dst


def test_source_tree_passes():
    if not (ROOT / "BUILD").is_file():
        pytest.skip("not a source checkout (no BUILD)")
    r = run_check(ROOT)
    assert r.returncode == 0, r.stderr
    assert "same sources" in r.stdout


def test_copy_passes(tree: Path):
    r = run_check(tree)
    assert r.returncode == 0, r.stderr


def test_source_moved_outside_the_patterns_fails(tree: Path):
    (tree / "cpp" / "extra").mkdir()
    (tree / "cpp" / "util" / "nms.cc").rename(tree / "cpp" / "extra" / "nms.cc")
    r = run_check(tree)
    assert r.returncode == 1
    assert "cpp/extra/nms.cc: built by neither" in r.stderr


def test_test_not_named_test_fails(tree: Path):
    (tree / "tests" / "cpp" / "test_util_roi.cc").rename(tree / "tests" / "cpp" / "util_roi.cc")
    r = run_check(tree)
    assert r.returncode == 1
    assert "tests/cpp/util_roi.cc: built by neither" in r.stderr


@pytest.mark.parametrize("file,old,new,message", [
    # Bazel globs less than CMake.
    ("BUILD", '"cpp/graph/**/*.cc",', '"cpp/graph/*.cc",',
     "cpp/graph/calculators/face_calculators.cc: built by CMake (engine) but not by Bazel"),
    # CMake globs less than Bazel.
    ("CMakeLists.txt", "  ${CMAKE_CURRENT_SOURCE_DIR}/cpp/util/*.cc\n", "",
     "cpp/util/nms.cc: built by Bazel (engine) but not by CMake"),
    # The ISA flags differ.
    ("BUILD", 'AVX2_COPTS = ["-mavx2", "-mfma", "-mf16c"]', 'AVX2_COPTS = ["-mavx2", "-mfma"]',
     "flags differ: BUILD AVX2_COPTS"),
])
def test_drift_fails(tree: Path, file, old, new, message):
    path = tree / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    r = run_check(tree)
    assert r.returncode == 1
    assert message in r.stderr


def test_nested_build_file_fails(tree: Path):
    (tree / "cpp" / "ops" / "BUILD").write_text("")
    r = run_check(tree)
    assert r.returncode == 1
    assert "cpp/ops/BUILD" in r.stderr
