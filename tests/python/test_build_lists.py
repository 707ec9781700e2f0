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


def test_bazel_pattern_drift_fails(tree: Path):
    build = tree / "BUILD"
    text = build.read_text()
    assert '"cpp/graph/**/*.cc",' in text
    build.write_text(text.replace('"cpp/graph/**/*.cc",', '"cpp/graph/*.cc",'))
    r = run_check(tree)
    assert r.returncode == 1
    assert "cpp/graph/calculators/face_calculators.cc: built by CMake (engine) but not by Bazel" in r.stderr


def test_cmake_pattern_drift_fails(tree: Path):
    cmake = tree / "CMakeLists.txt"
    text = cmake.read_text()
    line = "  ${CMAKE_CURRENT_SOURCE_DIR}/cpp/util/*.cc\n"
    assert line in text
    cmake.write_text(text.replace(line, ""))
    r = run_check(tree)
    assert r.returncode == 1
    assert "cpp/util/nms.cc: built by Bazel (engine) but not by CMake" in r.stderr


def test_isa_flags_drift_fails(tree: Path):
    build = tree / "BUILD"
    text = build.read_text()
    old = 'AVX2_COPTS = ["-mavx2", "-mfma", "-mf16c"]'
    assert old in text
    build.write_text(text.replace(old, 'AVX2_COPTS = ["-mavx2", "-mfma"]'))
    r = run_check(tree)
    assert r.returncode == 1
    assert "flags differ: BUILD AVX2_COPTS" in r.stderr


def test_nested_build_file_fails(tree: Path):
    (tree / "cpp" / "ops" / "BUILD").write_text("")
    r = run_check(tree)
    assert r.returncode == 1
    assert "cpp/ops/BUILD" in r.stderr
