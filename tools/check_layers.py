#!/usr/bin/env python3
"""The engine's include direction (docs/architecture.md, "Layers"): every #include "..." under
cpp/ must point to its own layer or one below it, and a backend's kernels must not include
another backend's. Prints the offending includes and exits 1, else one summary line.

    util, model          plain geometry; validated model readers
    runtime              the plan, the kernel and executor interfaces, the thread pool
    ops/reference        the oracle kernels (shared helpers for every backend)
    ops/<backend>        cpu, gl, cuda: kernels and device plumbing of one backend
    executors            one Executor per backend
    graph                calculators, runner, FaceMesh / FaceDetection / FaceLandmarker
    python, demo         bindings and the C++ demo
"""
import argparse
import re
import sys
from pathlib import Path

LAYERS = [
    ({"util", "model"}, 0),
    ({"runtime"}, 1),
    ({"ops/reference"}, 2),
    ({"ops/*"}, 3),
    ({"executors"}, 4),
    ({"graph"}, 5),
    ({"python", "demo"}, 6),
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def unit(rel: str) -> str:
    """The layer unit of a path relative to cpp/: 'ops/gl', 'runtime', ..."""
    parts = rel.split("/")
    if parts[0] == "ops" and len(parts) > 2:
        return "ops/" + parts[1]
    return parts[0]


def level(u: str):
    for names, lv in LAYERS:
        if u in names or (u.startswith("ops/") and u != "ops/reference" and "ops/*" in names):
            return lv
    return None


def check(root: Path) -> list:
    cpp = root / "cpp"
    problems = []
    files = sorted(p for ext in ("*.h", "*.cc", "*.cu", "*.cuh") for p in cpp.rglob(ext))
    for path in files:
        rel = path.relative_to(cpp).as_posix()
        src_unit = unit(rel)
        src_level = level(src_unit)
        if src_level is None:
            problems.append(f"cpp/{rel}: folder '{src_unit}' has no layer in tools/check_layers.py")
            continue
        for inc in INCLUDE.findall(path.read_text(errors="replace")):
            if not (cpp / inc).is_file():
                continue  # a system or third-party header spelled with quotes
            dst_unit = unit(inc)
            dst_level = level(dst_unit)
            if dst_level is None:
                problems.append(f"cpp/{rel}: includes {inc} from a folder with no layer")
            elif dst_level > src_level:
                problems.append(f"cpp/{rel}: includes {inc} ({dst_unit} is above {src_unit})")
            elif dst_level == src_level == 3 and dst_unit != src_unit:
                problems.append(f"cpp/{rel}: includes {inc} (backend {dst_unit} from backend {src_unit})")
    return problems, len(files)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = ap.parse_args()
    problems, n = check(args.root)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} include(s) against the layering", file=sys.stderr)
        return 1
    print(f"check_layers: {n} files under cpp/ include only their own layer or below")
    return 0


if __name__ == "__main__":
    sys.exit(main())
