#!/usr/bin/env python3
"""Writes tests/data/drawing_reference.npz: images annotated by mediapipe 0.10.21's own
drawing_utils and drawing_styles, which tests/python/test_drawing.py redraws with
facemesh_native.solutions and compares pixel for pixel.

Run with the reference venv (tools/make_reference_venv.sh):
    .venv-ref/bin/python tools/make_drawing_references.py

Inputs: the astronaut's 478 landmarks (mediapipe's, refine_landmarks=True) and face detection
recorded in tests/data/static_astronaut.npz and face_detection.npz. Each drawing goes on a
256 x 256 grey canvas (the face's crop region scaled to it), so the file stays small. Keys:
tesselation, contours0, contours1, irises, landmarks (default landmark spec, contours),
detection (draw_detection, default specs), axis (draw_axis, a fixed pose).
"""
from pathlib import Path

import cv2
import numpy as np
from mediapipe.framework.formats import detection_pb2, landmark_pb2
from mediapipe.python.solutions import drawing_styles, drawing_utils, face_mesh

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SIZE = 256
# The face region of astronaut.png in normalised coordinates (x0, y0, side): landmarks are
# mapped from it onto the canvas, so the face fills it.
REGION = (0.30, 0.10, 0.30)


def canvas():
    return np.full((SIZE, SIZE, 3), 96, np.uint8)


def face_landmarks():
    z = np.load(DATA / "static_astronaut.npz")
    lm = z["refine_max1_landmarks"][0].astype(np.float64)
    x0, y0, side = REGION
    lm[:, 0] = (lm[:, 0] - x0) / side
    lm[:, 1] = (lm[:, 1] - y0) / side
    return lm


def to_proto(lm):
    msg = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in lm.tolist():
        msg.landmark.add(x=x, y=y, z=z)
    return msg


def detection():
    row = np.load(DATA / "face_detection.npz")["astronaut__m0__c50"][0]
    d = detection_pb2.Detection()
    d.label_id.append(0)
    d.score.append(float(row[0]))
    loc = d.location_data
    loc.format = loc.RELATIVE_BOUNDING_BOX
    x0, y0, side = REGION
    b = loc.relative_bounding_box
    b.xmin, b.ymin = (row[1] - x0) / side, (row[2] - y0) / side
    b.width, b.height = row[3] / side, row[4] / side
    for k in range(6):
        kp = loc.relative_keypoints.add()
        kp.x, kp.y = (row[5 + 2 * k] - x0) / side, (row[6 + 2 * k] - y0) / side
    return d


AXIS_ROTATION = np.array([[0.9, -0.3, 0.3], [0.35, 0.93, -0.1], [-0.25, 0.2, 0.95]])
AXIS_TRANSLATION = np.array([0.05, -0.02, -0.5])


def main():
    lm = to_proto(face_landmarks())
    out = {}
    for key, connections, style in (
            ("tesselation", face_mesh.FACEMESH_TESSELATION,
             drawing_styles.get_default_face_mesh_tesselation_style()),
            ("contours0", face_mesh.FACEMESH_CONTOURS,
             drawing_styles.get_default_face_mesh_contours_style(0)),
            ("contours1", face_mesh.FACEMESH_CONTOURS | face_mesh.FACEMESH_NOSE,
             drawing_styles.get_default_face_mesh_contours_style(1)),
            ("irises", face_mesh.FACEMESH_IRISES,
             drawing_styles.get_default_face_mesh_iris_connections_style())):
        img = canvas()
        drawing_utils.draw_landmarks(img, lm, sorted(connections), landmark_drawing_spec=None,
                                     connection_drawing_spec=style)
        out[key] = img
    img = canvas()
    drawing_utils.draw_landmarks(img, lm, sorted(face_mesh.FACEMESH_CONTOURS))
    out["landmarks"] = img
    img = canvas()
    drawing_utils.draw_detection(img, detection())
    out["detection"] = img
    img = canvas()
    drawing_utils.draw_axis(img, AXIS_ROTATION, AXIS_TRANSLATION)
    out["axis"] = img
    np.savez_compressed(DATA / "drawing_reference.npz", **out)
    print("wrote", DATA / "drawing_reference.npz", "opencv", cv2.__version__)


if __name__ == "__main__":
    main()
