"""FaceDetection: the native facemesh_native.FaceDetection and the drop-in
facemesh_native.solutions.face_detection against mediapipe 0.10.21's solution, recorded in
tests/data/face_detection.npz by tools/make_face_detection_references.py.

Contracts:
- both models, every test image: the same detections in the same order, each value within
  1e-5 (short range) / 1e-4 (full range) of mediapipe's;
- the drop-in reads as mediapipe's: results.detections None or a list of Detection objects
  whose str() is the protobuf text form, to_dict() MessageToDict's, HasField / ListFields as
  protobuf's; FaceKeyPoint and get_key_point as mediapipe's; mediapipe's errors;
- mediapipe ignores min_detection_confidence (fixed 0.5 / 0.6) and so does the drop-in; the
  native class honours it.
"""
import numpy as np
import pytest

import facemesh_native as fm
from facemesh_native.solutions import face_detection as mp_faces

from conftest import DATA, load_rgb

IMAGES = ["astronaut", "camera", "grace_hopper", "chelsea", "four_faces"]
TOL = {0: 1e-5, 1: 1e-4}

# str() and MessageToDict of mediapipe 0.10.21's first detection on astronaut.png (short
# range), printed by mediapipe from the values recorded in face_detection.npz.
ASTRONAUT_TEXT = (
    "label_id: 0\nscore: 0.921738684\nlocation_data {\n  format: RELATIVE_BOUNDING_BOX\n"
    "  relative_bounding_box {\n    xmin: 0.34680745\n    ymin: 0.161857769\n"
    "    width: 0.186218888\n    height: 0.1862192\n  }\n"
    "  relative_keypoints {\n    x: 0.393545777\n    y: 0.204879537\n  }\n"
    "  relative_keypoints {\n    x: 0.480167389\n    y: 0.213080034\n  }\n"
    "  relative_keypoints {\n    x: 0.430526137\n    y: 0.248557791\n  }\n"
    "  relative_keypoints {\n    x: 0.429335982\n    y: 0.290259361\n  }\n"
    "  relative_keypoints {\n    x: 0.348025709\n    y: 0.226013735\n  }\n"
    "  relative_keypoints {\n    x: 0.531631112\n    y: 0.241925865\n  }\n}\n")
ASTRONAUT_DICT = {
    "labelId": [0], "score": [0.9217387],
    "locationData": {
        "format": "RELATIVE_BOUNDING_BOX",
        "relativeBoundingBox": {"xmin": 0.34680745, "ymin": 0.16185777, "width": 0.18621889,
                                "height": 0.1862192},
        "relativeKeypoints": [{"x": 0.39354578, "y": 0.20487954},
                              {"x": 0.4801674, "y": 0.21308003},
                              {"x": 0.43052614, "y": 0.24855779},
                              {"x": 0.42933598, "y": 0.29025936},
                              {"x": 0.3480257, "y": 0.22601373},
                              {"x": 0.5316311, "y": 0.24192587}]}}


@pytest.fixture(scope="module")
def reference():
    return np.load(DATA / "face_detection.npz")


@pytest.mark.parametrize("model", [0, 1])
@pytest.mark.parametrize("image", IMAGES)
def test_drop_in_matches_mediapipe(image, model, reference):
    want = reference[f"{image}__m{model}__c50"]
    with mp_faces.FaceDetection(min_detection_confidence=0.5, model_selection=model,
                                device="cpu") as faces:
        results = faces.process(load_rgb(f"{image}.png"))
    if not len(want):
        assert results.detections is None
        return
    assert len(results.detections) == len(want)
    got = np.stack([np.asarray(d) for d in results.detections])
    err = float(np.abs(got - want).max())
    assert err <= TOL[model], f"{image} model {model}: max error {err:.3g}"
    for det, row in zip(results.detections, want):
        assert det.label_id == [0]
        assert abs(det.score[0] - row[0]) <= TOL[model]
        box = det.location_data.relative_bounding_box
        np.testing.assert_allclose([box.xmin, box.ymin, box.width, box.height], row[1:5],
                                   atol=TOL[model])
        kps = det.location_data.relative_keypoints
        assert len(kps) == 6
        np.testing.assert_allclose([c for k in kps for c in (k.x, k.y)], row[5:], atol=TOL[model])


def test_native_matches_drop_in(reference):
    rgb = load_rgb("four_faces.png")
    with fm.FaceDetection(device="cpu") as det:
        res = det.process(rgb)
        assert det.device_report["device"] == "cpu"
        assert det.graph_file.endswith("face_detection_short_range.pbtxt")
    assert isinstance(res, fm.FaceDetectionResult)
    assert res.device == "cpu" and res.latency_ms > 0
    assert res.array.shape == (4, 17) and res.array.dtype == np.float32
    np.testing.assert_allclose(res.array, reference["four_faces__m0__c50"], atol=1e-5)
    assert [d.score[0] for d in res.detections] == res.array[:, 0].tolist()


def test_text_and_dict_forms_are_mediapipes(reference):
    det = mp_faces.Detection(reference["astronaut__m0__c50"][0])
    assert str(det) == ASTRONAUT_TEXT
    assert det.to_dict() == ASTRONAUT_DICT
    assert [f.name for f, _ in det.ListFields()] == ["label_id", "score", "location_data"]
    loc = det.location_data
    assert [f.name for f, _ in loc.ListFields()] == ["format", "relative_bounding_box",
                                                     "relative_keypoints"]
    assert loc.format == 2 == loc.RELATIVE_BOUNDING_BOX
    assert loc.HasField("relative_bounding_box") and loc.HasField("format")
    assert not loc.HasField("bounding_box") and not loc.HasField("mask")
    assert not det.HasField("track_id") and det.track_id == "" and det.label == []
    with pytest.raises(ValueError, match="does not have presence"):
        det.HasField("score")
    with pytest.raises(ValueError, match='has no "nonsense" field'):
        det.HasField("nonsense")
    with pytest.raises(AttributeError):
        det.nonsense  # noqa: B018
    protobuf = pytest.importorskip("google.protobuf")
    del protobuf


def test_key_points(reference):
    det = mp_faces.Detection(reference["astronaut__m0__c50"][0])
    assert [k.name for k in mp_faces.FaceKeyPoint] == [
        "RIGHT_EYE", "LEFT_EYE", "NOSE_TIP", "MOUTH_CENTER", "RIGHT_EAR_TRAGION",
        "LEFT_EAR_TRAGION"]
    nose = mp_faces.get_key_point(det, mp_faces.FaceKeyPoint.NOSE_TIP)
    assert str(nose) == "x: 0.430526137\ny: 0.248557791\n"
    assert mp_faces.get_key_point(None, mp_faces.FaceKeyPoint.NOSE_TIP) is None


def test_drop_in_ignores_min_detection_confidence_as_mediapipe(reference):
    """camera.png's face scores 0.766 (short range): mediapipe returns it even at 0.8, since
    its graph fixes the threshold at 0.5; the drop-in too, the native class not."""
    rgb = load_rgb("camera.png")
    assert reference["camera__m0__c80"].shape == (1, 17)
    with mp_faces.FaceDetection(min_detection_confidence=0.8) as faces:
        assert len(faces.process(rgb).detections) == 1
    with fm.FaceDetection(min_detection_confidence=0.8, device="cpu") as det:
        assert det.process(rgb).detections is None
    with fm.FaceDetection(min_detection_confidence=0.7, device="cpu") as det:
        assert len(det.process(rgb).detections) == 1


def test_model_selection_as_mediapipe():
    """mediapipe picks the full-range graph for model_selection == 1 and the short-range one
    for anything else; the native class accepts 0 and 1 only."""
    for sel, graph in ((0, "short"), (1, "full"), (2, "short"), (-1, "short")):
        with mp_faces.FaceDetection(model_selection=sel, device="cpu") as faces:
            assert f"face_detection_{graph}_range" in faces._impl.graph_file
    for bad in (2, -1, True, "1"):
        with pytest.raises(ValueError, match="model_selection"):
            fm.FaceDetection(model_selection=bad)


@pytest.mark.parametrize("image,match", [
    (np.arange(36, dtype=np.uint8).reshape(3, 3, 4),
     "Input image must contain three channel rgb data."),
    (np.zeros((8, 8, 3), np.float32), "dtype uint8"),
    (np.zeros((0, 8, 3), np.uint8), "empty"),
    (np.zeros((8, 8), np.uint8), r"shape \(H, W, 3\)"),
    ([[1, 2, 3]], "numpy.ndarray"),
])
def test_drop_in_errors(image, match):
    with mp_faces.FaceDetection() as faces:
        with pytest.raises(ValueError, match=match):
            faces.process(image)


def test_native_takes_rgba_and_strided_images(reference):
    rgb = load_rgb("astronaut.png")
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 7, np.uint8)], axis=2)
    with fm.FaceDetection(device="cpu") as det:
        a = det.process(rgb).array
        np.testing.assert_array_equal(det.process(rgba).array, a)
        wide = np.zeros((rgb.shape[0], rgb.shape[1] * 2, 3), np.uint8)
        wide[:, ::2] = rgb
        np.testing.assert_array_equal(det.process(wide[:, ::2]).array, a)
    with pytest.raises(RuntimeError, match="closed"):
        det.process(rgb)


@pytest.mark.parametrize("kwargs,match", [
    ({"min_detection_confidence": 1.5}, "min_detection_confidence"),
    ({"min_detection_confidence": "0.5"}, "min_detection_confidence"),
    ({"num_threads": 0}, "num_threads"),
    ({"device": "tpu"}, "device"),
    ({"precision": "int8"}, "precision"),
])
def test_native_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fm.FaceDetection(**kwargs)


def test_drop_in_argument_errors():
    with pytest.raises(ValueError, match="min_detection_confidence"):
        mp_faces.FaceDetection(min_detection_confidence=-0.1)


def test_blank_image_has_no_detections():
    image = np.full((100, 100, 3), 255, np.uint8)
    for sel in (0, 1):
        with mp_faces.FaceDetection(model_selection=sel) as faces:
            assert faces.process(image).detections is None


def test_package_surface():
    import facemesh_native as mp
    assert mp.solutions.face_detection.FaceDetection is mp_faces.FaceDetection
    assert hasattr(mp.solutions.face_detection, "get_key_point")
