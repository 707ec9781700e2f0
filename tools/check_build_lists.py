#!/usr/bin/env python3
"""Checks that CMake and Bazel build the same C++ sources (stdlib only).

    python3 tools/check_build_lists.py [--root DIR]

CMake (CMakeLists.txt, cpp/demo/demo.cmake) and Bazel (BUILD) each glob their sources. This
script reads the patterns from both files, expands them over the tree the way each tool does,
and fails (exit status 1, one line per problem) when:
  - a .cc file under cpp/ or tests/cpp/ is built by neither, or by one and not the other;
  - a file is in a different role in the two builds (engine, tuned AVX2 / AVX-512 kernel,
    Python binding, C++ test, demo);
  - the engine's flags or the per-ISA flags differ;
  - BUILD no longer feeds those pattern lists to glob(), or a folder under cpp/ or tests/cpp/
    has its own BUILD file (Bazel's glob() does not descend into another package).

It reads, from CMakeLists.txt: file(GLOB_RECURSE FMN_SOURCES ...), file(GLOB
FMN_BINDING_SOURCES ...), file(GLOB FMN_TEST_SOURCES ...) and the `src MATCHES "..."` regexes
of the per-ISA flags and target_compile_options(fmn_core ...); from demo.cmake: add_executable(facemesh_demo ...); from BUILD: the
FMN_*_GLOBS / FMN_DEMO_SOURCES / *_COPTS assignments (top-level Starlark assignments, evaluated with no
builtins).
"""
import argparse
import ast
import os
import re
import sys

ROLES = ("engine", "avx512", "avx2", "bindings", "tests", "demo")


class CheckError(Exception):
    pass


def _read(root, rel):
    path = os.path.join(root, rel)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise CheckError(f"cannot read {rel}: {e}") from e


def _all_files(root):
    out = []
    for top in ("cpp", "tests"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in filenames:
                out.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return sorted(out)


def _segment_regex(segment):
    out = ""
    for ch in segment:
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        else:
            out += re.escape(ch)
    return out


def bazel_glob_regex(pattern):
    """Bazel glob(): '**' is any number of folders (zero included), '*' stays in one name."""
    segs = pattern.split("/")
    out = ""
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "**":
            out += ".*" if last else "(?:[^/]+/)*"
        else:
            out += _segment_regex(seg) + ("" if last else "/")
    return re.compile("^" + out + "$")


def cmake_glob_regex(pattern, recurse):
    """file(GLOB dir/pat): files in dir; file(GLOB_RECURSE dir/pat): in dir and every subfolder."""
    folder, _, name = pattern.rpartition("/")
    prefix = "".join(_segment_regex(s) + "/" for s in folder.split("/")) if folder else ""
    sub = "(?:[^/]+/)*" if recurse else ""
    return re.compile("^" + prefix + sub + _segment_regex(name) + "$")


# ---- CMake ------------------------------------------------------------------------------------

_SRC_DIR = "${CMAKE_CURRENT_SOURCE_DIR}/"


def _cmake_file_glob(text, mode, var):
    m = re.search(r"file\(\s*" + mode + r"\s+" + var + r"\b([^)]*)\)", text)
    if not m:
        raise CheckError(f"CMakeLists.txt: no file({mode} {var} ...)")
    patterns = []
    for tok in m.group(1).split():
        if tok in ("CONFIGURE_DEPENDS", "LIST_DIRECTORIES", "true", "false"):
            continue
        if not tok.startswith(_SRC_DIR):
            raise CheckError(f"CMakeLists.txt: {var}: pattern {tok!r} is not under "
                             "${CMAKE_CURRENT_SOURCE_DIR}")
        patterns.append(tok[len(_SRC_DIR):])
    if not patterns:
        raise CheckError(f"CMakeLists.txt: file({mode} {var}) has no pattern")
    return patterns


def cmake_roles(root, files):
    text = _read(root, "CMakeLists.txt")
    engine = [cmake_glob_regex(p, True) for p in _cmake_file_glob(text, "GLOB_RECURSE", "FMN_SOURCES")]
    bindings = [cmake_glob_regex(p, False) for p in _cmake_file_glob(text, "GLOB", "FMN_BINDING_SOURCES")]
    tests = [cmake_glob_regex(p, False) for p in _cmake_file_glob(text, "GLOB", "FMN_TEST_SOURCES")]
    # Per-ISA flags: if(src MATCHES "_avx512\\.cc$") ... elseif(src MATCHES "_avx2\\.cc$"); the
    # first regex that matches wins, as in the foreach.
    isa = []
    for m in re.finditer(r'src\s+MATCHES\s+"([^"]+)"\)\s*set_source_files_properties\([^)]*'
                         r'COMPILE_OPTIONS\s+"([^"]*)"', text):
        regex = m.group(1).replace("\\\\", "\\")
        role = "avx512" if "-mavx512f" in m.group(2) else "avx2" if "-mavx2" in m.group(2) else None
        if role is None:
            raise CheckError(f"CMakeLists.txt: per-file flags {m.group(2)!r} for {regex!r} are "
                             "neither AVX2 nor AVX-512")
        isa.append((re.compile(regex), role, m.group(2).split(";")))
    if sorted(r for _, r, _ in isa) != ["avx2", "avx512"]:
        raise CheckError("CMakeLists.txt: expected one AVX-512 and one AVX2 `src MATCHES` rule")
    demo_text = _read(root, "cpp/demo/demo.cmake")
    m = re.search(r"add_executable\(\s*facemesh_demo\s+([^)]*)\)", demo_text)
    if not m:
        raise CheckError("cpp/demo/demo.cmake: no add_executable(facemesh_demo ...)")
    demo = set()
    for tok in m.group(1).split():
        if not tok.startswith("${FMN_DEMO_ROOT}/"):
            raise CheckError(f"cpp/demo/demo.cmake: source {tok!r} is not under ${{FMN_DEMO_ROOT}}")
        demo.add(tok[len("${FMN_DEMO_ROOT}/"):])

    m = re.search(r"target_compile_options\(\s*fmn_core\s+PRIVATE\s+([^)]*)\)", text)
    if not m:
        raise CheckError("CMakeLists.txt: no target_compile_options(fmn_core PRIVATE ...)")
    flags = {"ENGINE_COPTS": m.group(1).split()}
    for _, role, opts in isa:
        flags["AVX512_COPTS" if role == "avx512" else "AVX2_COPTS"] = opts

    roles = {}
    for f in files:
        r = []
        if any(p.match(f) for p in engine):
            r.append(next((role for rx, role, _ in isa if rx.search(f)), "engine"))
        if any(p.match(f) for p in bindings):
            r.append("bindings")
        if any(p.match(f) for p in tests):
            r.append("tests")
        if f in demo:
            r.append("demo")
        if r:
            roles[f] = r
    return roles, flags


# ---- Bazel ------------------------------------------------------------------------------------

_BAZEL_LISTS = ("FMN_ENGINE_GLOBS", "FMN_AVX512_GLOBS", "FMN_AVX2_GLOBS", "FMN_BINDING_GLOBS",
                "FMN_TEST_GLOBS", "FMN_DEMO_SOURCES", "ENGINE_COPTS", "AVX512_COPTS", "AVX2_COPTS")

# How BUILD must use each list (whitespace-insensitive), so that the lists are what is built.
_BAZEL_USES = (
    "srcs=glob(FMN_ENGINE_GLOBS,exclude=FMN_AVX512_GLOBS+FMN_AVX2_GLOBS,)",
    "srcs=glob(FMN_AVX512_GLOBS)",
    "srcs=glob(FMN_AVX2_GLOBS)",
    "srcs=glob(FMN_BINDING_GLOBS)",
    "forsrcinglob(FMN_TEST_GLOBS)",
    "srcs=FMN_DEMO_SOURCES",
    "copts=ENGINE_COPTS+select({\":x86_64\":AVX512_COPTS,",
    "copts=ENGINE_COPTS+select({\":x86_64\":AVX2_COPTS,",
    "copts=ENGINE_COPTS,",
)


def bazel_lists(root):
    text = _read(root, "BUILD")
    try:
        tree = ast.parse(text, "BUILD")
    except SyntaxError as e:
        raise CheckError(f"BUILD: cannot parse: {e}") from e
    env = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in _BAZEL_LISTS):
            code = compile(ast.Module(body=[node], type_ignores=[]), "BUILD", "exec")
            try:
                exec(code, {"__builtins__": {}}, env)  # literals, comprehensions, str.replace
            except Exception as e:  # noqa: BLE001 - report any evaluation failure
                raise CheckError(f"BUILD: cannot evaluate {node.targets[0].id}: {e}") from e
    missing = [n for n in _BAZEL_LISTS if n not in env]
    if missing:
        raise CheckError("BUILD: no top-level " + ", ".join(missing))
    flat = re.sub(r"\s+", "", text)
    for use in _BAZEL_USES:
        if use not in flat:
            raise CheckError(f"BUILD: expected `{use}` (the pattern lists must be what is built)")
    return env


def bazel_roles(root, files):
    lists = bazel_lists(root)
    rx = {k: [bazel_glob_regex(p) for p in v] for k, v in lists.items() if k.endswith("_GLOBS")}

    def hit(name, f):
        return any(p.match(f) for p in rx[name])

    roles = {}
    for f in files:
        r = []
        if hit("FMN_ENGINE_GLOBS", f):
            if hit("FMN_AVX512_GLOBS", f):
                r.append("avx512")
            elif hit("FMN_AVX2_GLOBS", f):
                r.append("avx2")
            else:
                r.append("engine")
        if hit("FMN_BINDING_GLOBS", f):
            r.append("bindings")
        if hit("FMN_TEST_GLOBS", f):
            r.append("tests")
        if f in lists["FMN_DEMO_SOURCES"]:
            r.append("demo")
        if r:
            roles[f] = r
    return roles, {k: lists[k] for k in ("ENGINE_COPTS", "AVX512_COPTS", "AVX2_COPTS")}


def check(root):
    files = _all_files(root)
    problems = []
    for f in files:
        if os.path.basename(f) in ("BUILD", "BUILD.bazel") and (f.startswith("cpp/") or f.startswith("tests/cpp/")):
            problems.append(f"{f}: a BUILD file under cpp/ or tests/cpp/ stops the top-level glob()")
    cmake, cmake_flags = cmake_roles(root, files)
    bazel, bazel_flags = bazel_roles(root, files)
    for name in sorted(cmake_flags):
        if cmake_flags[name] != bazel_flags[name]:
            problems.append(f"flags differ: BUILD {name} = {bazel_flags[name]}, CMakeLists.txt "
                            f"{cmake_flags[name]}")
    for f in files:
        if not f.endswith(".cc") or not (f.startswith("cpp/") or f.startswith("tests/cpp/")):
            continue
        c, b = cmake.get(f, []), bazel.get(f, [])
        if not c and not b:
            problems.append(f"{f}: built by neither CMake nor Bazel")
        elif not c:
            problems.append(f"{f}: built by Bazel ({', '.join(b)}) but not by CMake")
        elif not b:
            problems.append(f"{f}: built by CMake ({', '.join(c)}) but not by Bazel")
        elif c != b:
            problems.append(f"{f}: CMake builds it as {', '.join(c)}, Bazel as {', '.join(b)}")
        elif len(c) > 1:
            problems.append(f"{f}: in more than one target ({', '.join(c)})")
    # Anything else either build compiles (outside cpp/ and tests/cpp/) must agree too.
    for f in sorted(set(cmake) | set(bazel)):
        if f.endswith(".cc") and not (f.startswith("cpp/") or f.startswith("tests/cpp/")):
            if cmake.get(f) != bazel.get(f):
                problems.append(f"{f}: CMake {cmake.get(f)}, Bazel {bazel.get(f)}")
    counts = {r: sum(1 for v in cmake.values() if r in v) for r in ROLES}
    return problems, counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                    help="repository root (default: this script's parent folder)")
    args = ap.parse_args(argv)
    try:
        problems, counts = check(os.path.abspath(args.root))
    except CheckError as e:
        print(f"check_build_lists: {e}", file=sys.stderr)
        return 1
    if problems:
        for p in problems:
            print(f"check_build_lists: {p}", file=sys.stderr)
        print(f"check_build_lists: {len(problems)} problem(s): CMake and Bazel source lists differ",
              file=sys.stderr)
        return 1
    print("check_build_lists: CMake and Bazel build the same sources: "
          + ", ".join(f"{counts[r]} {r}" for r in ROLES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
