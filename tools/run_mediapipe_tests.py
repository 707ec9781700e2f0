#!/usr/bin/env python3
"""Runs mediapipe 0.10.21's own tests of the modules facemesh_native replaces, with only their
imports rewritten to facemesh_native: the drop-in's acceptance test.

    python tools/run_mediapipe_tests.py                    # finds or downloads the tests
    python tools/run_mediapipe_tests.py --from DIR_OR_WHEEL
    python tools/run_mediapipe_tests.py --testdata DIR     # mediapipe's own portrait.jpg

The tests are mediapipe's solutions/{face_mesh,face_detection,drawing_utils}_test.py. They ship
inside the mediapipe wheel; this script takes them from (in order) --from (a folder holding
them, such as an installed mediapipe/python/solutions, or a .whl), an importable mediapipe, the
reference venv (.venv-ref), or downloads the 0.10.21 wheel with pip (no install; cached in
~/.cache/facemesh_native). Each file's SHA-256 is checked against the 0.10.21 release, then
only these imports are rewritten:

    from mediapipe.python.solutions import X   ->  from facemesh_native.solutions import X
    from mediapipe.framework.formats import X  ->  from facemesh_native.framework.formats import X

and pytest runs them on the installed facemesh_native (they need absl-py, protobuf and
opencv-python: the [test] extra).

The image tests read testdata/portrait.jpg, which the wheel does not ship. Given --testdata
DIR (a folder with mediapipe's portrait.jpg) they run unchanged. Otherwise tests/data/
astronaut.png takes its place, and the four constants those tests compare with
(EYE_INDICES_TO_LANDMARKS, IRIS_INDICES_TO_LANDMARKS, SHORT_RANGE_ and
FULL_RANGE_EXPECTED_FACE_KEY_POINTS) are replaced by mediapipe 0.10.21's own coordinates on
that image, recorded in tests/data/mediapipe_tests_expected.json by
tools/make_mediapipe_test_expectations.py: same indices, same 5-pixel tolerance. Exit status:
pytest's (0: everything passed).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
import json
from pathlib import Path

VERSION = "0.10.21"
TESTS = {  # file -> SHA-256 in the mediapipe 0.10.21 wheels
    "face_mesh_test.py": "726a57c78259afb4a29d48d08b182618f8607b920485f4d22de4b1b16772a2db",
    "face_detection_test.py": "aa01eb6f2c08bb0dfdb05f540790d8b641d624810fa2379575fb3147c611cb12",
    "drawing_utils_test.py": "e581a20fe85db526ed5b89af3e59c861b865480438c081f08f6daa0b31c5cd6d",
}
WHEEL_DIR = "mediapipe/python/solutions/"
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
EXPECTED = DATA / "mediapipe_tests_expected.json"
# The expectation constants of the image tests, per file.
CONSTANTS = {"face_mesh_test.py": ["EYE_INDICES_TO_LANDMARKS", "IRIS_INDICES_TO_LANDMARKS"],
             "face_detection_test.py": ["SHORT_RANGE_EXPECTED_FACE_KEY_POINTS",
                                        "FULL_RANGE_EXPECTED_FACE_KEY_POINTS"]}
REWRITES = [
    (re.compile(r"^from mediapipe\.python\.solutions import ", re.M),
     "from facemesh_native.solutions import "),
    (re.compile(r"^from mediapipe\.framework\.formats import ", re.M),
     "from facemesh_native.framework.formats import "),
]


def _read_sources_from_dir(folder: Path) -> dict:
    return {name: (folder / name).read_bytes() for name in TESTS if (folder / name).exists()}


def _read_sources_from_wheel(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        return {n: z.read(WHEEL_DIR + n) for n in TESTS if WHEEL_DIR + n in names}


def _installed_dirs() -> list:
    out = []
    try:
        import mediapipe  # noqa: F401
        out.append(Path(mediapipe.__file__).parent / "python" / "solutions")
    except ImportError:
        pass
    root = Path(__file__).resolve().parents[1]
    out += sorted((root / ".venv-ref").glob("lib/python3*/site-packages/mediapipe/python/"
                                           "solutions"))
    return out


def _download_wheel() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "facemesh_native"
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"mediapipe-{VERSION}-*.whl"))
    if found:
        return found[0]
    print(f"downloading the mediapipe {VERSION} wheel (about 35 MB; not installed) to {cache}")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
           "--platform", "manylinux_2_17_x86_64", f"mediapipe=={VERSION}", "-d", str(cache)]
    subprocess.run(cmd, check=True)
    found = sorted(cache.glob(f"mediapipe-{VERSION}-*.whl"))
    if not found:
        raise SystemExit("pip download gave no mediapipe wheel")
    return found[0]


def find_sources(source: str | None) -> tuple[dict, str]:
    if source:
        p = Path(source)
        sources = _read_sources_from_wheel(p) if p.suffix == ".whl" else _read_sources_from_dir(p)
        return sources, str(p)
    for d in _installed_dirs():
        sources = _read_sources_from_dir(d)
        if len(sources) == len(TESTS):
            return sources, str(d)
    wheel = _download_wheel()
    return _read_sources_from_wheel(wheel), str(wheel)


def rewrite(text: str) -> str:
    for pattern, repl in REWRITES:
        text = pattern.sub(repl, text)
    if re.search(r"^\s*(from|import) mediapipe\b", text, re.M):
        raise SystemExit("an import of mediapipe is left after the rewrite: " +
                         re.search(r"^\s*(from|import) mediapipe.*$", text, re.M).group(0))
    return text


def substitute_expectations(name: str, text: str, expected: dict) -> str:
    """Replaces the image tests' expected coordinates with mediapipe's own on the substitute
    image (the constant's whole literal, `NAME = {...}` or `NAME = [...]`)."""
    for const in CONSTANTS.get(name, []):
        value = expected[const]
        if isinstance(value, dict):
            value = {int(k): v for k, v in value.items()}
        m = re.search(r"^" + const + r" = ([\[{])", text, re.M)
        if not m:
            raise SystemExit(f"{name}: {const} not found")
        depth, end = 0, m.start(1)
        for end in range(m.start(1), len(text)):  # the literal's matching bracket
            depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[:m.start()] + f"{const} = {value!r}" + text[end + 1:]
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="source", help="a folder with the test files, or a .whl")
    ap.add_argument("--testdata", help="a folder with mediapipe's portrait.jpg (else "
                    "tests/data/astronaut.png with mediapipe's coordinates on it)")
    ap.add_argument("--keep", help="write the rewritten tests to this folder and keep them")
    ap.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = ap.parse_args(argv)

    sources, origin = find_sources(args.source)
    missing = sorted(set(TESTS) - set(sources))
    if missing:
        raise SystemExit(f"{origin}: missing {', '.join(missing)}")
    for name, data in sources.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest != TESTS[name]:
            raise SystemExit(f"{origin}/{name}: SHA-256 {digest} is not mediapipe {VERSION}'s")
    print(f"mediapipe {VERSION}'s tests from {origin}")

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fmn-mp-tests-"))
    work.mkdir(parents=True, exist_ok=True)
    portrait = Path(args.testdata) / "portrait.jpg" if args.testdata else None
    if portrait and not portrait.exists():
        raise SystemExit(f"{portrait} not found")
    expected = None if portrait else json.loads(EXPECTED.read_text())
    (work / "testdata").mkdir(exist_ok=True)
    if portrait:
        shutil.copy(portrait, work / "testdata" / "portrait.jpg")
    else:
        # cv2.imread decodes by content: the PNG is read under the .jpg name the tests use.
        shutil.copy(DATA / expected["image"], work / "testdata" / "portrait.jpg")
        print(f"image tests: tests/data/{expected['image']} in place of portrait.jpg, with "
              f"mediapipe {VERSION}'s coordinates on it ({EXPECTED.name})")
    for name, data in sources.items():
        text = rewrite(data.decode("utf-8"))
        if expected is not None:
            text = substitute_expectations(name, text, expected)
        (work / name).write_text(text)
    deselect = []
    junit = work / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
           *[f"--deselect={d}" for d in deselect], *sorted(TESTS), *args.pytest_args]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    status = subprocess.run(cmd, cwd=work, env=env).returncode  # cwd: the installed package
    if junit.exists():
        suite = ET.parse(junit).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        total, failures, errors, skipped = (int(suite.get(k, 0)) for k in
                                            ("tests", "failures", "errors", "skipped"))
        print(f"mediapipe {VERSION}'s own tests on facemesh_native: "
              f"{total - failures - errors - skipped} passed, {failures + errors} failed, "
              f"{skipped} skipped")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
