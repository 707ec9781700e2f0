#!/usr/bin/env python3
"""Writes tests/data/mediapipe_tests_expected.json: mediapipe 0.10.21's own coordinates on
tests/data/astronaut.png, the image tools/run_mediapipe_tests.py puts in place of the
testdata/portrait.jpg that mediapipe's face_mesh_test.py and face_detection_test.py read (it
is not in the wheel).

Run with the reference venv (tools/make_reference_venv.sh):
    .venv-ref/bin/python tools/make_mediapipe_test_expectations.py

For each constant those tests compare with, the same landmark indices, from mediapipe on the
substitute image, as rounded pixel coordinates (the tests allow 5 px): EYE_INDICES_TO_LANDMARKS
(FaceMesh, static, no attention), IRIS_INDICES_TO_LANDMARKS (static, refine_landmarks=True),
SHORT_RANGE_ / FULL_RANGE_EXPECTED_FACE_KEY_POINTS (FaceDetection model_selection 0 / 1).
"""
import json
import re
from pathlib import Path

import cv2
import numpy as np
from mediapipe.python.solutions import face_detection, face_mesh

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "tests" / "data" / "astronaut.png"
SOLUTIONS = Path(face_mesh.__file__).parent


def _indices(test_file: str, name: str):
    src = (SOLUTIONS / test_file).read_text()
    block = re.search(name + r" = \{(.*?)\n\}", src, re.S).group(1)
    return [int(k) for k in re.findall(r"^\s*(\d+):", block, re.M)]


def main():
    bgr = cv2.imread(str(IMAGE))
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rows, cols, _ = bgr.shape
    out = {"image": IMAGE.name}
    for name, refine in (("EYE_INDICES_TO_LANDMARKS", False),
                         ("IRIS_INDICES_TO_LANDMARKS", True)):
        with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=refine,
                                min_detection_confidence=0.5) as mesh:
            lm = mesh.process(rgb).multi_face_landmarks[0].landmark
        out[name] = {str(i): [int(round(lm[i].x * cols)), int(round(lm[i].y * rows))]
                     for i in _indices("face_mesh_test.py", name)}
    for name, model in (("SHORT_RANGE_EXPECTED_FACE_KEY_POINTS", 0),
                        ("FULL_RANGE_EXPECTED_FACE_KEY_POINTS", 1)):
        with face_detection.FaceDetection(min_detection_confidence=0.5,
                                          model_selection=model) as det:
            kps = det.process(rgb).detections[0].location_data.relative_keypoints
        out[name] = [[int(round(k.x * cols)), int(round(k.y * rows))] for k in kps]
    path = ROOT / "tests" / "data" / "mediapipe_tests_expected.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
