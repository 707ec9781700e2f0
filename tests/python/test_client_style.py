"""Client code written for mediapipe runs with only its import line changed.

The two classes below are written the way popular wrappers around mediapipe's legacy
solutions are (cvzone's FaceMeshModule / FaceDetectionModule style: `import mediapipe as mp`,
attributes reached through `mp.solutions`, BGR frames from OpenCV converted to RGB, pixel
coordinates from `lm.x * width`). Their only change is `import facemesh_native as mp`.
"""
import numpy as np
import pytest

import facemesh_native as mp  # was: import mediapipe as mp

from conftest import DATA

cv2 = pytest.importorskip("cv2")


class FaceMeshDetector:
    def __init__(self, staticMode=False, maxFaces=2, minDetectionCon=0.5, minTrackCon=0.5):
        self.mpDraw = mp.solutions.drawing_utils
        self.mpFaceMesh = mp.solutions.face_mesh
        self.faceMesh = self.mpFaceMesh.FaceMesh(static_image_mode=staticMode,
                                                 max_num_faces=maxFaces,
                                                 min_detection_confidence=minDetectionCon,
                                                 min_tracking_confidence=minTrackCon)
        self.drawSpec = self.mpDraw.DrawingSpec(thickness=1, circle_radius=2)

    def findFaceMesh(self, img, draw=True):
        imgRGB = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        self.results = self.faceMesh.process(imgRGB)
        faces = []
        if self.results.multi_face_landmarks:
            for faceLms in self.results.multi_face_landmarks:
                if draw:
                    self.mpDraw.draw_landmarks(img, faceLms, self.mpFaceMesh.FACEMESH_CONTOURS,
                                               self.drawSpec, self.drawSpec)
                face = []
                ih, iw, ic = img.shape
                for lm in faceLms.landmark:
                    face.append([int(lm.x * iw), int(lm.y * ih)])
                faces.append(face)
        return img, faces


class FaceDetector:
    def __init__(self, minDetectionCon=0.5, modelSelection=0):
        self.mpFaceDetection = mp.solutions.face_detection
        self.mpDraw = mp.solutions.drawing_utils
        self.faceDetection = self.mpFaceDetection.FaceDetection(
            min_detection_confidence=minDetectionCon, model_selection=modelSelection)

    def findFaces(self, img, draw=True):
        imgRGB = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        self.results = self.faceDetection.process(imgRGB)
        bboxs = []
        if self.results.detections:
            for id, detection in enumerate(self.results.detections):
                if detection.score[0] > 0.5:
                    bboxC = detection.location_data.relative_bounding_box
                    ih, iw, ic = img.shape
                    bbox = (int(bboxC.xmin * iw), int(bboxC.ymin * ih),
                            int(bboxC.width * iw), int(bboxC.height * ih))
                    bboxs.append({"id": id, "bbox": bbox, "score": detection.score})
                    if draw:
                        self.mpDraw.draw_detection(img, detection)
        return img, bboxs


def test_face_mesh_client():
    img = cv2.imread(str(DATA / "four_faces.png"))
    detector = FaceMeshDetector(staticMode=True, maxFaces=4)
    before = img.copy()
    img, faces = detector.findFaceMesh(img)
    assert len(faces) == 4 and all(len(f) == 468 for f in faces)
    assert (img != before).any()  # contours drawn
    h, w = img.shape[:2]
    assert all(0 <= x < w and 0 <= y < h for f in faces for x, y in f)


def test_face_detection_client():
    img = cv2.imread(str(DATA / "astronaut.png"))
    for model in (0, 1):
        before = img.copy()
        out, bboxs = FaceDetector(modelSelection=model).findFaces(img.copy())
        assert len(bboxs) == 1
        x, y, w, h = bboxs[0]["bbox"]
        assert 150 < x < 200 and 60 < y < 110 and 80 < w < 110, bboxs[0]
        assert (out != before).any()
        # The same box as the native API's array.
        arr = mp.FaceDetection(model_selection=model, device="cpu").process(
            np.ascontiguousarray(img[:, :, ::-1])).array
        assert bboxs[0]["score"][0] == pytest.approx(float(arr[0, 0]))
