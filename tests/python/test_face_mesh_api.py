"""FaceMesh API: results, errors for bad input, threads, and device honesty."""
import threading

import numpy as np
import pytest

import facemesh_native as fm
from facemesh_native.solutions import face_mesh as solutions_face_mesh

from conftest import load_rgb


@pytest.fixture(scope="module")
def rgb():
    return load_rgb("astronaut.png")


def test_result_fields(rgb):
    with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
        res = mesh.process(rgb)
        report = mesh.device_report
    assert res.landmarks.dtype == np.float32 and res.landmarks.shape == (1, 468, 3)
    assert res.face_rects.shape == (1, 5) and res.scores.shape == (1,)
    assert 0.5 < float(res.scores[0]) <= 1.0
    assert res.device == "cpu" and res.detector_ran
    assert {v for k, v in report.items() if k.startswith("inference.")} == {"cpu"}
    assert report["reason"]
    lms = res.multi_face_landmarks[0].landmark
    assert len(lms) == 468
    assert 0.2 < lms[1].x < 0.8 and 0.0 < lms[1].y < 0.6  # nose tip on the astronaut's face


def test_no_face_gives_none():
    with fm.FaceMesh(static_image_mode=True) as mesh:
        res = mesh.process(load_rgb("chelsea.png"))
    assert res.multi_face_landmarks is None
    assert res.landmarks.shape == (0, 468, 3)


def test_refine_gives_478(rgb):
    with fm.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        assert mesh.process(rgb).landmarks.shape == (1, 478, 3)


def test_tracking_skips_detector(rgb):
    with fm.FaceMesh(static_image_mode=False) as mesh:
        ran = [mesh.process(rgb).detector_ran for _ in range(4)]
        mesh.reset()
        assert mesh.process(rgb).detector_ran
    assert ran == [True, False, False, False]


def test_static_mode_runs_detector_every_frame(rgb):
    with fm.FaceMesh(static_image_mode=True) as mesh:
        assert all(mesh.process(rgb).detector_ran for _ in range(3))


def test_non_contiguous_and_rgba_inputs_match(rgb):
    with fm.FaceMesh(static_image_mode=True) as mesh:
        base = mesh.process(rgb).landmarks
        padded = np.zeros((rgb.shape[0], rgb.shape[1] * 2, 3), np.uint8)
        padded[:, ::2] = rgb
        strided = mesh.process(padded[:, ::2]).landmarks        # pixel stride 6
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        flipped = mesh.process(bgr[:, :, ::-1]).landmarks         # channel stride -1
        rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
        from_rgba = mesh.process(rgba).landmarks
        big = np.zeros((rgb.shape[0] + 10, rgb.shape[1], 3), np.uint8)
        big[:-10] = rgb
        row_view = mesh.process(big[:-10]).landmarks             # contiguous rows, offset view
    for other in (strided, flipped, from_rgba, row_view):
        np.testing.assert_array_equal(base, other)


@pytest.mark.parametrize("bad,match", [
    (np.zeros((64, 64, 3), np.float32), "uint8"),
    (np.zeros((64, 64), np.uint8), r"\(H, W, 3\)"),
    (np.zeros((64, 64, 2), np.uint8), r"\(H, W, 3\)"),
    (np.zeros((0, 64, 3), np.uint8), "empty"),
    (np.zeros((64, 0, 3), np.uint8), "empty"),
    ([[0, 0, 0]], "numpy.ndarray"),
    (None, "numpy.ndarray"),
])
def test_bad_input_raises_value_error(bad, match):
    with fm.FaceMesh(static_image_mode=True) as mesh:
        with pytest.raises(ValueError, match=match):
            mesh.process(bad)


def test_closed_instance_raises(rgb):
    mesh = fm.FaceMesh()
    mesh.close()
    with pytest.raises(RuntimeError, match="closed"):
        mesh.process(rgb)


@pytest.mark.parametrize("kwargs,match", [
    ({"max_num_faces": 0}, "max_num_faces"),
    ({"max_num_faces": 1.5}, "max_num_faces"),
    ({"min_detection_confidence": 1.5}, "min_detection_confidence"),
    ({"min_tracking_confidence": -0.1}, "min_tracking_confidence"),
    ({"device": "tpu"}, "known devices"),
    ({"num_threads": 0}, "num_threads"),
])
def test_bad_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fm.FaceMesh(**kwargs)


def test_tiny_and_uniform_frames_do_not_crash():
    with fm.FaceMesh(static_image_mode=True) as mesh:
        for shape in [(1, 1, 3), (2, 300, 3), (300, 2, 3), (7, 5, 3)]:
            assert mesh.process(np.zeros(shape, np.uint8)).multi_face_landmarks is None
        assert mesh.process(np.full((240, 320, 3), 128, np.uint8)).multi_face_landmarks is None


def test_two_instances_in_two_threads_match_one(rgb):
    frames = [np.ascontiguousarray(np.roll(rgb, s, axis=1)) for s in range(0, 40, 8)]
    with fm.FaceMesh(static_image_mode=False, num_threads=1) as mesh:
        expected = [mesh.process(f).landmarks for f in frames]
    results = [None, None]

    def work(i):
        with fm.FaceMesh(static_image_mode=False, num_threads=1) as m:
            results[i] = [m.process(f).landmarks for f in frames]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert r is not None
        for a, b in zip(r, expected):
            np.testing.assert_array_equal(a, b)


def test_solutions_module_is_a_drop_in():
    assert issubclass(solutions_face_mesh.FaceMesh, fm.FaceMesh)
    assert len(solutions_face_mesh.FACEMESH_TESSELATION) == 2556


def test_one_instance_shared_by_threads_is_safe(rgb):
    """Concurrent process() calls on one instance are serialised: no crash, correct results."""
    with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
        expected = mesh.process(rgb).landmarks
        model = fm.Model("face_landmark", device="cpu")
        x = np.random.default_rng(2).uniform(0, 1, (1, 192, 192, 3)).astype(np.float32)
        expected_model = model.run([x])[0]
        errors = []

        def work():
            try:
                for _ in range(15):
                    np.testing.assert_array_equal(mesh.process(rgb).landmarks, expected)
                    np.testing.assert_array_equal(model.run([x])[0], expected_model)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]
