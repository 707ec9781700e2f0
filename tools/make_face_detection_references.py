#!/usr/bin/env python3
"""Regenerate tests/data/face_detection.npz from MediaPipe 0.10.21's solutions.face_detection.

How to run (the tests never need MediaPipe; they read the committed file):
    tools/make_reference_venv.sh .venv-ref
    .venv-ref/bin/python tools/make_face_detection_references.py     # about 5 s

For each test image (tests/data/*.png, see make_references.py) x model_selection in {0, 1} x
min_detection_confidence in {0.3, 0.5, 0.8}, `mp.solutions.face_detection.FaceDetection`'s
detections, in mediapipe's output order, as rows of 17 float32:
    score, xmin, ymin, width, height (relative_bounding_box), 6 x (x, y) relative_keypoints
Keys: `<image>__m<model_selection>__c<confidence*100>` -> (D, 17); `label_ids__...` -> (D,)
int32. camera.png is fed as three equal channels. Each configuration runs twice and must give
the same result.
"""

import argparse
import os

import cv2
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = ["astronaut", "camera", "grace_hopper", "chelsea", "four_faces"]
CONFIDENCES = [0.3, 0.5, 0.8]


def load_rgb(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)   # grayscale PNGs come back as three channels
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def detections_to_arrays(results):
    rows, labels = [], []
    for det in results.detections or []:
        box = det.location_data.relative_bounding_box
        row = [det.score[0], box.xmin, box.ymin, box.width, box.height]
        kps = det.location_data.relative_keypoints
        assert len(kps) == 6, len(kps)
        for kp in kps:
            row += [kp.x, kp.y]
        rows.append(row)
        labels.append(det.label_id[0] if det.label_id else 0)
    return (np.asarray(rows, np.float32).reshape(-1, 17), np.asarray(labels, np.int32))


def main():
    import mediapipe as mp
    assert mp.__version__ == "0.10.21", mp.__version__
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(REPO_ROOT, "tests", "data"))
    args = parser.parse_args()
    out = {}
    for name in IMAGES:
        rgb = load_rgb(os.path.join(args.data, f"{name}.png"))
        for model in (0, 1):
            for conf in CONFIDENCES:
                runs = []
                for _ in range(2):
                    with mp.solutions.face_detection.FaceDetection(
                            model_selection=model, min_detection_confidence=conf) as fd:
                        runs.append(detections_to_arrays(fd.process(rgb)))
                assert np.array_equal(runs[0][0], runs[1][0]), (name, model, conf)
                key = f"{name}__m{model}__c{int(round(conf * 100))}"
                out[key], out["label_ids__" + key] = runs[0]
                print(f"{key}: {len(runs[0][0])} detections")
    path = os.path.join(args.data, "face_detection.npz")
    np.savez_compressed(path, **out)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
