#!/usr/bin/env python3
"""Extracts MediaPipe's FaceMesh connection sets into a JSON data file.

Input: mediapipe/python/solutions/face_mesh_connections.py from an unzipped MediaPipe wheel
(0.10.21 by default location /tmp/dl). The file is parsed with `ast` and evaluated only as
data: frozenset literals of (int, int) tuples, and `frozenset().union(*[NAME, ...])` of
names defined earlier. Nothing is imported or executed.

Output (default: python/facemesh_native/data/face_mesh_connections.json and a byte-identical
copy in third_party/mediapipe/face_mesh_connections.json):

    {"source": ..., "num_landmarks": 468, "num_landmarks_with_irises": 478,
     "sets": {"FACEMESH_LIPS": [[61, 146], ...], ...}}

Edges keep their direction (a frozenset holds (a, b) and (b, a) as different edges) and are
sorted, so the file is deterministic. The two landmark counts are read from the wheel's
face_mesh.py when it is next to the connections file.

    python3 tools/extract_connections.py [--wheel-dir /tmp/dl] [--check]

--check regenerates in memory and exits 1 if the committed files differ.
"""
import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = [
    ROOT / "python" / "facemesh_native" / "data" / "face_mesh_connections.json",
    ROOT / "third_party" / "mediapipe" / "face_mesh_connections.json",
]
REL_SOURCE = Path("mediapipe") / "python" / "solutions" / "face_mesh_connections.py"
REL_FACE_MESH = Path("mediapipe") / "python" / "solutions" / "face_mesh.py"


def _edge_set(node: ast.AST, known: dict) -> frozenset:
    """Evaluates one right-hand side: a frozenset literal or a union of known sets."""
    if not isinstance(node, ast.Call):
        raise ValueError(f"line {node.lineno}: expected a call, got {type(node).__name__}")
    # frozenset([...]) / frozenset({...})
    if isinstance(node.func, ast.Name) and node.func.id == "frozenset":
        if not node.args:
            return frozenset()
        if len(node.args) != 1 or not isinstance(node.args[0], (ast.List, ast.Set, ast.Tuple)):
            raise ValueError(f"line {node.lineno}: frozenset() of something other than a literal")
        edges = []
        for elt in node.args[0].elts:
            pair = ast.literal_eval(elt)
            if (not isinstance(pair, tuple) or len(pair) != 2 or
                    not all(isinstance(v, int) for v in pair)):
                raise ValueError(f"line {elt.lineno}: not an (int, int) edge: {pair!r}")
            edges.append(pair)
        return frozenset(edges)
    # frozenset().union(*[A, B, ...]) or frozenset().union(A, B, ...)
    if isinstance(node.func, ast.Attribute) and node.func.attr == "union":
        base = _edge_set(node.func.value, known)
        names = []
        for arg in node.args:
            items = arg.value.elts if isinstance(arg, ast.Starred) else [arg]
            for item in items:
                if not isinstance(item, ast.Name) or item.id not in known:
                    raise ValueError(f"line {node.lineno}: union of an unknown operand")
                names.append(item.id)
        return base.union(*(known[n] for n in names))
    raise ValueError(f"line {node.lineno}: unsupported expression")


def parse_connections(source: str) -> dict:
    """Name -> frozenset of (int, int) for every top-level FACEMESH_* assignment."""
    known = {}
    for stmt in ast.parse(source).body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        if isinstance(target, ast.Name) and target.id.startswith("FACEMESH_"):
            known[target.id] = _edge_set(stmt.value, known)
    if not known:
        raise ValueError("no FACEMESH_* sets found")
    return known


def parse_int_constants(source: str, names) -> dict:
    """Top-level `NAME = <int literal>` assignments among `names`."""
    out = {}
    for stmt in ast.parse(source).body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in names):
            value = ast.literal_eval(stmt.value)
            if isinstance(value, int):
                out[stmt.targets[0].id] = value
    return out


def build_document(wheel_dir: Path) -> dict:
    src_path = wheel_dir / REL_SOURCE
    sets = parse_connections(src_path.read_text(encoding="utf-8"))
    counts = {}
    fm_path = wheel_dir / REL_FACE_MESH
    if fm_path.exists():
        counts = parse_int_constants(
            fm_path.read_text(encoding="utf-8"),
            {"FACEMESH_NUM_LANDMARKS", "FACEMESH_NUM_LANDMARKS_WITH_IRISES"})
    return {
        "source": "mediapipe 0.10.21 wheel, mediapipe/python/solutions/face_mesh_connections.py "
                  "(Apache-2.0, Copyright The MediaPipe Authors); see third_party/mediapipe/NOTICE",
        "generator": "tools/extract_connections.py",
        "num_landmarks": counts.get("FACEMESH_NUM_LANDMARKS", 468),
        "num_landmarks_with_irises": counts.get("FACEMESH_NUM_LANDMARKS_WITH_IRISES", 478),
        "sets": {name: [list(e) for e in sorted(edges)] for name, edges in sorted(sets.items())},
    }


def render(doc: dict) -> str:
    """JSON with one edge per line-chunk: compact but diff-friendly (16 edges a line)."""
    lines = ["{"]
    for key in ("source", "generator", "num_landmarks", "num_landmarks_with_irises"):
        lines.append(f"  {json.dumps(key)}: {json.dumps(doc[key])},")
    lines.append('  "sets": {')
    names = list(doc["sets"])
    for i, name in enumerate(names):
        edges = doc["sets"][name]
        chunks = [", ".join(json.dumps(e) for e in edges[j:j + 16]) for j in range(0, len(edges), 16)]
        body = ",\n      ".join(chunks)
        comma = "," if i + 1 < len(names) else ""
        lines.append(f"    {json.dumps(name)}: [\n      {body}\n    ]{comma}")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel-dir", type=Path, default=Path("/tmp/dl"),
                    help="folder holding the unzipped wheel's mediapipe/ package")
    ap.add_argument("--check", action="store_true", help="compare with the committed files only")
    args = ap.parse_args(argv)
    text = render(build_document(args.wheel_dir))
    json.loads(text)  # the renderer must produce valid JSON
    if args.check:
        stale = [str(p) for p in OUTPUTS if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"out of date: {p}", file=sys.stderr)
        return 1 if stale else 0
    for p in OUTPUTS:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
