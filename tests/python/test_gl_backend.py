"""The OpenGL ES 3.1 compute backend, on whatever GL the machine has (Mesa's llvmpipe in CI).

Models on GL against LiteRT and our CPU engine (within 1e-3 of the output's scale), the
whole FaceMesh graph on GL against the CPU graph (within 0.5 px), and the full-range face
detection graph on GL against the CPU one (within 1e-3). These tests skip when no GL
device can be created, unless FMN_TEST_REQUIRE_GL=1 (set by CI), where they fail instead.
"""
import os

import numpy as np
import pytest

import facemesh_native as fm

from conftest import DATA, face_crop, load_rgb

pytestmark = pytest.mark.filterwarnings("ignore")


def _gl_or_skip():
    try:
        return fm.Model("face_detection_short_range", device="gl", allow_software=True)
    except RuntimeError as e:
        if os.environ.get("FMN_TEST_REQUIRE_GL") == "1":
            pytest.fail(f"FMN_TEST_REQUIRE_GL=1 but no GL device: {e}")
        pytest.skip(f"no GL device: {e}")


@pytest.fixture(scope="module")
def gl_ok():
    return _gl_or_skip()


def _close(a_list, b_list, rel, what):
    for i, (a, b) in enumerate(zip(a_list, b_list)):
        assert a.shape == b.shape
        err = float(np.abs(a - b).max())
        scale = float(np.abs(b).max())
        assert err <= rel * scale, f"{what} output {i}: {err:.3g} vs scale {scale:.3g}"


@pytest.mark.parametrize("name,size,lo", [("face_detection_short_range", 128, -1.0),
                                          ("face_detection_full_range_sparse", 192, -1.0),
                                          ("face_landmark", 192, 0.0),
                                          ("face_landmark_with_attention", 192, 0.0)])
def test_models_on_gl_match_cpu_and_litert(gl_ok, name, size, lo):
    rgb = load_rgb("astronaut.png")
    crop = face_crop(rgb, (0, 260, 110, 370), size) * (1.0 - lo) + lo
    noise = np.random.default_rng(3).uniform(lo, 1.0, (2, size, size, 3)).astype(np.float32)
    x = np.concatenate([crop.astype(np.float32), noise])
    g = fm.Model(name, device="gl", allow_software=True)
    assert g.device == "gl" and "llvmpipe" in g.device_name.lower() or g.device_name
    ours_gl = g.run([x])
    ours_cpu = fm.Model(name, device="cpu", kernels="reference").run([x])
    _close(ours_gl, ours_cpu, 1e-3, f"{name} gl vs cpu")
    if name != "face_landmark_with_attention":
        litert = pytest.importorskip("ai_edge_litert.interpreter")
        it = litert.Interpreter(model_path=str(fm.model_path(name)))
        it.allocate_tensors()
        for k in range(len(x)):
            it.set_tensor(it.get_input_details()[0]["index"], x[k:k + 1])
            it.invoke()
            ref = [it.get_tensor(d["index"]) for d in it.get_output_details()]
            _close([o[k:k + 1] for o in ours_gl], ref, 1e-3, f"{name} gl vs litert item {k}")


@pytest.mark.parametrize("image,refine,max_faces", [("astronaut", False, 1), ("astronaut", True, 1),
                                                    ("grace_hopper", False, 1),
                                                    ("four_faces", False, 5)])
def test_face_mesh_on_gl_matches_cpu(gl_ok, image, refine, max_faces):
    rgb = load_rgb(f"{image}.png")
    h, w = rgb.shape[:2]
    kw = dict(static_image_mode=True, refine_landmarks=refine, max_num_faces=max_faces)
    with fm.FaceMesh(device="gl", allow_software=True, **kw) as g, \
            fm.FaceMesh(device="cpu", **kw) as c:
        rg, rc = g.process(rgb), c.process(rgb)
        assert rg.device == "gl" and all(v.startswith("gl") for k, v in g.device_report.items()
                                         if k.startswith("inference."))
    assert rg.landmarks.shape == rc.landmarks.shape and len(rc.landmarks) >= 1
    d = np.abs(rg.landmarks[..., :2] - rc.landmarks[..., :2]) * np.array([w, h])
    assert d.max() <= 0.5, d.max()


@pytest.mark.parametrize("image", ["astronaut", "camera", "four_faces"])
def test_full_range_detection_on_gl_matches_cpu(gl_ok, image):
    """FaceDetection(model_selection=1) on GL (RESIZE_BILINEAR and DEPTH_TO_SPACE as compute
    kernels, the sparse weights densified at load): the CPU graph's detections, each value within
    1e-3 (scores in [0, 1], coordinates normalised to the frame)."""
    from facemesh_native import _core, _face_mesh
    dirs = (str(_face_mesh.graphs_dir()), str(_face_mesh.models_dir()), "")
    g = _core.FaceDetection(1, 0.6, "gl", True, False, 2, *dirs)
    c = _core.FaceDetection(1, 0.6, "cpu", False, False, 2, *dirs)
    rgb = load_rgb(f"{image}.png")
    a, b = g.process(rgb), c.process(rgb)
    assert a.shape == b.shape and len(b) >= 1
    assert float(np.abs(a - b).max()) <= 1e-3


def test_tracking_on_gl_matches_cpu(gl_ok):
    cv2 = pytest.importorskip("cv2")
    z = np.load(DATA / "video_near.npz")
    src = load_rgb("astronaut.png")
    fw, fh = (int(v) for v in z["frame_size"])
    border = tuple(int(v) for v in z["background"])
    with fm.FaceMesh(device="gl", allow_software=True) as g, fm.FaceMesh(device="cpu") as c:
        for t in range(0, 40):
            frame = cv2.warpAffine(src, z["matrices"][t], (fw, fh), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=border)
            rg, rc = g.process(frame), c.process(frame)
            assert rg.detector_ran == rc.detector_ran and len(rg.landmarks) == len(rc.landmarks)
            if len(rc.landmarks):
                d = np.abs(rg.landmarks[..., :2] - rc.landmarks[..., :2]) * np.array([fw, fh])
                assert d.max() <= 0.5, (t, d.max())


def test_batched_faces_run_in_one_gl_pass(gl_ok):
    x = np.random.default_rng(5).uniform(0, 1, (4, 192, 192, 3)).astype(np.float32)
    g = fm.Model("face_landmark", device="gl", allow_software=True, max_batch=4)
    batch = g.run([x])
    for k in range(4):
        single = g.run([x[k:k + 1]])
        for b, s in zip(batch, single):
            np.testing.assert_allclose(b[k:k + 1], s, rtol=0, atol=1e-5)


def test_fp16_storage_stays_close(gl_ok):
    rgb = load_rgb("astronaut.png")
    x = face_crop(rgb, (0, 260, 110, 370), 192)
    ref = fm.Model("face_landmark", device="cpu").run([x])
    half = fm.Model("face_landmark", device="gl", allow_software=True, precision="fp16")
    assert half.precision == "fp16"
    got = half.run([x])
    _close(got[:1], ref[:1], 2e-3, "fp16 mesh")
    with fm.FaceMesh(static_image_mode=True, device="gl", allow_software=True,
                     precision="fp16") as g, fm.FaceMesh(static_image_mode=True, device="cpu") as c:
        a, b = g.process(rgb), c.process(rgb)
        assert "fp16" in g.device_report["inference.face_landmark"]
    d = np.abs(a.landmarks[..., :2] - b.landmarks[..., :2]) * 512
    assert d.max() <= 1.0, d.max()
    with pytest.raises(ValueError, match="precision"):
        fm.Model("face_landmark", device="cpu", precision="fp16")
    with pytest.raises(ValueError, match="precision"):
        fm.Model("face_landmark", device="cpu", precision="bf16")


def test_allow_software_gl_environment_switch(gl_ok, monkeypatch):
    """FMN_ALLOW_SOFTWARE_GL=1 does what allow_software=True does, for every API: "gl" may use
    llvmpipe, and "gpu" falls to a software GL device instead of raising."""
    from facemesh_native._devices import choose_auto, gl_probe, _hardware_gl
    if _hardware_gl(gl_probe(hardware_only=True)) is not None:
        pytest.skip("a hardware GPU is present: 'gpu' would use it")
    monkeypatch.delenv("FMN_ALLOW_SOFTWARE_GL", raising=False)
    with pytest.raises(RuntimeError):
        fm.Model("face_detection_short_range", device="gpu")
    monkeypatch.setenv("FMN_ALLOW_SOFTWARE_GL", "1")
    x = np.random.default_rng(2).uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)
    want = fm.Model("face_detection_short_range", device="cpu").run([x])
    for device in ("gl", "gpu"):
        m = fm.Model("face_detection_short_range", device=device)
        assert m.device == "gl", (device, m.device_reason)
        for a, b in zip(m.run([x]), want):
            assert np.abs(a - b).max() <= 1e-3 * np.abs(b).max()
    with fm.FaceMesh(static_image_mode=True, device="gpu") as mesh:
        assert mesh.process(load_rgb("astronaut.png")).device == "gl"
    assert choose_auto().device == "cpu"     # "auto" still never picks a software rasterizer
