"""device="auto" never fails where the CPU would work: when the GPU it picks cannot build the
pipeline or fails the self-test, the object runs on the CPU with the reason and one
DeviceFallbackWarning; an explicit "gl" raises instead. Failures are injected on Mesa's
llvmpipe with FMN_GL_FAULT (context, shader, alloc, selftest, run), and "auto" is made to pick
llvmpipe as if it were a hardware GPU."""
import os
import warnings

import numpy as np
import pytest

import facemesh_native as fm
from facemesh_native import _devices
from facemesh_native._devices import DeviceFallbackWarning

from conftest import load_rgb

FAULTS = ["context", "shader", "alloc", "selftest"]


@pytest.fixture
def auto_picks_llvmpipe(monkeypatch):
    try:
        fm.Model("face_detection_short_range", device="gl", allow_software=True)
    except RuntimeError as e:
        if os.environ.get("FMN_TEST_REQUIRE_GL") == "1":
            pytest.fail(f"FMN_TEST_REQUIRE_GL=1 but no GL device: {e}")
        pytest.skip(f"no GL device: {e}")
    monkeypatch.setattr(_devices, "choose_auto",
                        lambda: _devices.Choice("gl", "hardware GPU: (llvmpipe, for the test)"))
    monkeypatch.setenv("FMN_ALLOW_SOFTWARE_GL", "1")
    monkeypatch.delenv("FMN_GL_FAULT", raising=False)
    return monkeypatch


def _fallback_warnings(record):
    return [w for w in record if issubclass(w.category, DeviceFallbackWarning)]


X = np.random.default_rng(9).uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)


def test_model_auto_uses_a_gpu_that_passes(auto_picks_llvmpipe):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = fm.Model("face_detection_short_range")
    assert m.device == "gl" and not _fallback_warnings(rec)
    assert m.self_test["passed"] and m.self_test["max_rel_error"] <= 1e-3


@pytest.mark.parametrize("fault", FAULTS)
def test_model_auto_falls_back_to_the_cpu(auto_picks_llvmpipe, fault):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", fault)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = fm.Model("face_detection_short_range")
    assert m.device == "cpu"
    assert len(_fallback_warnings(rec)) == 1
    assert f"FMN_GL_FAULT={fault}" in m.device_reason and m.device_reason.startswith("auto:")
    want = fm.Model("face_detection_short_range", device="cpu").run([X])
    for a, b in zip(m.run([X]), want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fault", ["context", "shader", "alloc"])
def test_model_explicit_gl_raises_the_reason(auto_picks_llvmpipe, fault):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", fault)
    with pytest.raises(RuntimeError, match=f"FMN_GL_FAULT={fault}"):
        fm.Model("face_detection_short_range", device="gl")


def test_model_gl_error_during_run_raises_and_the_model_stays_usable(auto_picks_llvmpipe):
    m = fm.Model("face_detection_short_range", device="gl")
    want = m.run([X])
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", "run")
    with pytest.raises(RuntimeError, match="GL_CONTEXT_LOST"):
        m.run([X])
    auto_picks_llvmpipe.delenv("FMN_GL_FAULT")
    for a, b in zip(m.run([X]), want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fault", FAULTS)
def test_face_mesh_auto_falls_back_to_the_cpu(auto_picks_llvmpipe, fault):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", fault)
    rgb = load_rgb("astronaut.png")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        mesh = fm.FaceMesh(static_image_mode=True)
    assert mesh.device == "cpu" and len(_fallback_warnings(rec)) == 1
    assert f"FMN_GL_FAULT={fault}" in mesh.device_reason
    assert mesh.device_report["reason"] == mesh.device_reason
    with fm.FaceMesh(static_image_mode=True, device="cpu") as cpu:
        np.testing.assert_array_equal(mesh.process(rgb).landmarks, cpu.process(rgb).landmarks)


def test_face_mesh_auto_uses_a_gpu_that_passes(auto_picks_llvmpipe):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        mesh = fm.FaceMesh(static_image_mode=True)
    assert mesh.device == "gl" and not _fallback_warnings(rec)
    assert all(r["passed"] for r in mesh.self_test.values())
    assert mesh.process(load_rgb("astronaut.png")).device == "gl"


def test_face_mesh_explicit_gl_raises(auto_picks_llvmpipe):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", "shader")
    with pytest.raises(RuntimeError, match="FMN_GL_FAULT=shader"):
        fm.FaceMesh(static_image_mode=True, device="gl")


def test_face_mesh_gl_error_during_process_raises_and_recovers(auto_picks_llvmpipe):
    rgb = load_rgb("astronaut.png")
    mesh = fm.FaceMesh(static_image_mode=True, device="gl")
    want = mesh.process(rgb).landmarks
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", "run")
    with pytest.raises(RuntimeError, match="GL_CONTEXT_LOST"):
        mesh.process(rgb)
    auto_picks_llvmpipe.delenv("FMN_GL_FAULT")
    np.testing.assert_array_equal(mesh.process(rgb).landmarks, want)


def test_doctor_shows_the_self_test_per_device(auto_picks_llvmpipe):
    import io
    out = io.StringIO()
    rep = fm.doctor(file=out)
    usable = [d for d in rep["backends"]["gl"]["devices"] if d["usable"]]
    assert usable and all(d["self_test"]["passed"] for d in usable)
    assert "self-test passed" in out.getvalue()
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", "selftest")
    rep = fm.doctor(file=io.StringIO())
    assert not any(d["self_test"]["passed"] for d in rep["backends"]["gl"]["devices"] if d["usable"])


@pytest.mark.parametrize("fault", ["", "shader", "selftest"])
def test_tasks_landmarker_auto(auto_picks_llvmpipe, fault):
    from facemesh_native.tasks import python as mp_python
    from facemesh_native.tasks.python import vision
    if fault:
        auto_picks_llvmpipe.setenv("FMN_GL_FAULT", fault)
    opts = vision.FaceLandmarkerOptions(base_options=mp_python.BaseOptions(),
                                        output_face_blendshapes=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        lm = vision.FaceLandmarker.create_from_options(opts)
    with lm:
        if fault:
            assert lm.device == "cpu" and len(_fallback_warnings(rec)) == 1
            assert f"FMN_GL_FAULT={fault}" in lm.device_reason
        else:
            assert lm.device == "gl" and not _fallback_warnings(rec)
            assert all(r["passed"] for r in lm.self_test.values())
        img = fm.Image(image_format=fm.ImageFormat.SRGB, data=load_rgb("astronaut.png"))
        assert len(lm.detect(img).face_landmarks) == 1


@pytest.mark.parametrize("model", [0, 1])
def test_face_detection_auto_uses_a_gpu_that_passes(auto_picks_llvmpipe, model):
    rgb = load_rgb("four_faces.png")
    want = fm.FaceDetection(model_selection=model, device="cpu").process(rgb).array
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        det = fm.FaceDetection(model_selection=model)
    assert not _fallback_warnings(rec)
    assert det.device == "gl" and det.device_report["device"] == "gl"
    assert list(det.self_test.values())[0]["passed"]
    got = det.process(rgb)
    assert got.device == "gl"
    np.testing.assert_allclose(got.array, want, atol=1e-3)


@pytest.mark.parametrize("fault", FAULTS)
def test_face_detection_auto_falls_back_on_each_fault(auto_picks_llvmpipe, fault):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", fault)
    rgb = load_rgb("four_faces.png")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        det = fm.FaceDetection(model_selection=1)
    assert len(_fallback_warnings(rec)) == 1, [str(w.message) for w in rec]
    assert det.device == "cpu" and "running on the CPU" in det.device_reason
    assert det.process(rgb).device == "cpu"
    auto_picks_llvmpipe.delenv("FMN_GL_FAULT")
    np.testing.assert_array_equal(
        det.process(rgb).array,
        fm.FaceDetection(model_selection=1, device="cpu").process(rgb).array)


def test_face_detection_explicit_gl_raises_on_a_fault(auto_picks_llvmpipe):
    auto_picks_llvmpipe.setenv("FMN_GL_FAULT", "shader")
    with pytest.raises(RuntimeError):
        fm.FaceDetection(device="gl")
