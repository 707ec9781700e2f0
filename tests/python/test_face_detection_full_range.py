"""The full-range face detector (FaceDetection(model_selection=1)) on the native graph
(graphs/face_detection_full_range.pbtxt, _core.FaceDetection) against mediapipe 0.10.21's
solutions.face_detection, recorded in tests/data/face_detection.npz by
tools/make_face_detection_references.py.

Contract: for every test image the same number of detections in the same order, each value
(score, box, six keypoints) within 1e-4. MediaPipe's full-range graph fixes its score threshold
at 0.6 whatever min_detection_confidence says (its recorded outputs for 0.3, 0.5 and 0.8 are
equal), and so does ours.
"""
import numpy as np
import pytest

from facemesh_native import _core, _face_mesh

from conftest import DATA, load_rgb

IMAGES = ["astronaut", "camera", "grace_hopper", "chelsea", "four_faces"]
TOL = 1e-4


def detector(confidence=0.6, device="cpu"):
    return _core.FaceDetection(1, confidence, device, device != "cpu", False, 2,
                               str(_face_mesh.graphs_dir()), str(_face_mesh.models_dir()), "")


@pytest.fixture(scope="module")
def reference():
    return np.load(DATA / "face_detection.npz")


@pytest.mark.parametrize("image", IMAGES)
def test_full_range_matches_mediapipe(image, reference):
    want = reference[f"{image}__m1__c50"]
    got = detector().process(load_rgb(f"{image}.png"))
    assert got.shape == want.shape, (image, got.shape, want.shape)
    if len(want):
        err = float(np.abs(got - want).max())
        assert err <= TOL, f"{image}: max error {err:.3g}"


def test_full_range_ignores_min_detection_confidence(reference):
    """The drop-in keeps mediapipe's fixed 0.6 whatever min_detection_confidence says (as
    mediapipe's recorded outputs for 0.3, 0.5 and 0.8 show); the native graph takes the
    threshold as a side packet, so the native class can honour one."""
    from facemesh_native.solutions import face_detection
    rgb = load_rgb("four_faces.png")
    base = detector(0.6).process(rgb)
    assert len(base) == 4
    for conf in (0.3, 0.5, 0.8):
        with face_detection.FaceDetection(min_detection_confidence=conf, model_selection=1,
                                          device="cpu") as fd:
            got = np.stack([np.asarray(d) for d in fd.process(rgb).detections])
        np.testing.assert_array_equal(got, base)
        np.testing.assert_array_equal(reference[f"four_faces__m1__c{int(conf * 100)}"],
                                      reference["four_faces__m1__c50"])
    # The graph's default (no threshold given) is the model's 0.6.
    default = _core.FaceDetection(1, device="cpu", graphs_dir=str(_face_mesh.graphs_dir()),
                                  models_dir=str(_face_mesh.models_dir())).process(rgb)
    np.testing.assert_array_equal(default, base)


def test_native_full_range_honours_a_threshold():
    """fm.FaceDetection(model_selection=1, min_detection_confidence=c) keeps the faces that
    score at least c (four_faces scores 0.88, 0.86, 0.83 and 0.79), the others are gone."""
    import facemesh_native as fm
    rgb = load_rgb("four_faces.png")
    base = detector(0.6).process(rgb)
    for conf in (0.8, 0.85, 0.87):
        with fm.FaceDetection(model_selection=1, min_detection_confidence=conf,
                              device="cpu") as fd:
            got = fd.process(rgb).array
        keep = base[:, 0] >= conf
        assert 0 < keep.sum() < 4
        assert len(got) == keep.sum(), (conf, got[:, 0], base[:, 0])
        # The kept faces' scores are unchanged; their boxes move a little, since weighted NMS
        # now averages fewer raw detections (those under the threshold are gone).
        np.testing.assert_array_equal(got[:, 0], base[keep, 0])
        np.testing.assert_allclose(got[:, 1:], base[keep, 1:], atol=0.01)


def test_full_range_finds_a_small_face():
    """The use the full-range model is for: a face far away. The astronaut image shrunk to
    256 x 256 in a 640 x 640 empty frame (a face of about 50 px) is found, at the right place;
    the short-range model does not find it."""
    cv2 = pytest.importorskip("cv2")
    rgb = load_rgb("astronaut.png")
    small = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA)
    frame = np.zeros((640, 640, 3), np.uint8)
    frame[300:556, 100:356] = small
    near = detector().process(rgb)
    far = detector().process(frame)
    assert len(near) == 1 and len(far) == 1
    # The far box, mapped back into the astronaut image's own coordinates, is the near one.
    x0 = (far[0, 1] * 640 - 100) / 256
    y0 = (far[0, 2] * 640 - 300) / 256
    w = far[0, 3] * 640 / 256
    assert abs(x0 - near[0, 1]) < 0.03 and abs(y0 - near[0, 2]) < 0.03, (x0, y0, near[0, 1:3])
    assert abs(w - near[0, 3]) < 0.03, (w, near[0, 3])
    short = _core.FaceDetection(0, 0.5, "cpu", False, False, 2, str(_face_mesh.graphs_dir()),
                                str(_face_mesh.models_dir()), "")
    assert len(short.process(frame)) == 0
