"""The CUDA backend from Python: device names, honest errors without a GPU, and the models and
pipelines on the CPU emulation of the CUDA kernels (FMN_CUDA_EMULATION=1, the same kernel code
the GPU runs) against the CPU engine."""
import numpy as np
import pytest

import facemesh_native as fm
from facemesh_native import _devices

STATUS = fm._core.cuda_status()
HAS_GPU = bool(STATUS["devices"])


@pytest.fixture()
def emulation(monkeypatch):
    monkeypatch.setenv("FMN_CUDA_EMULATION", "1")


def test_status_fields():
    for key in ("built", "architectures", "nvcc_version", "runtime_version", "driver_version",
                "devices", "why_unusable"):
        assert key in STATUS
    if not HAS_GPU:
        assert STATUS["why_unusable"]


@pytest.mark.skipif(HAS_GPU, reason="this machine has a CUDA device")
def test_cuda_without_a_device_says_why(monkeypatch):
    monkeypatch.delenv("FMN_CUDA_EMULATION", raising=False)
    for dev in ("cuda", "cuda:0", "cuda:3"):
        with pytest.raises(RuntimeError, match="cannot be used") as e:
            fm.Model("face_landmark", device=dev)
        assert "doctor" in str(e.value)
    # "auto" says why neither CUDA nor a hardware GL device was used, and runs on the CPU.
    m = fm.Model("face_landmark")
    assert m.device == "cpu" and "CUDA:" in m.device_reason
    with pytest.raises(RuntimeError, match="CUDA"):
        fm.Model("face_landmark", device="gpu")


def test_emulation_is_never_auto(emulation):
    assert fm.Model("face_landmark").device in ("cpu", "gl", "cuda") and \
        "emulation" not in fm.Model("face_landmark").device_name


@pytest.mark.parametrize("name", ["face_detection_short_range", "face_landmark",
                                  "face_landmark_with_attention"])
def test_models_match_the_cpu(emulation, name):
    gpu = fm.Model(name, device="cuda")
    cpu = fm.Model(name, device="cpu", kernels="reference")
    assert gpu.device == "cuda" and gpu.device_name == "cuda-emulation (CPU)"
    assert all(n["impl"] == "cuda" for n in gpu.nodes)
    rng = np.random.default_rng(3)
    for batch in (1, 3):
        xs = [rng.uniform(0, 1, (batch, *i["shape"][1:])).astype(np.float32) for i in cpu.inputs]
        for a, b in zip(gpu.run(xs), cpu.run(xs)):
            assert a.shape == b.shape
            assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()


def test_bad_input_is_a_value_error(emulation):
    m = fm.Model("face_landmark", device="cuda")
    with pytest.raises(ValueError):
        m.run([np.zeros((1, 10, 10, 3), np.float32)])
    with pytest.raises(ValueError):
        m.run([np.zeros((1, 192, 192, 3), np.float64)])


def test_fp16_is_a_gl_option(emulation):
    with pytest.raises(ValueError, match="not implemented on the CUDA backend"):
        fm.Model("face_landmark", device="cuda", precision="fp16")


def test_face_mesh_on_cuda_matches_the_cpu(emulation):
    import cv2
    from pathlib import Path
    still = Path(__file__).resolve().parents[1] / "data" / "face_still.jpg"
    img = cv2.cvtColor(cv2.imread(str(still)), cv2.COLOR_BGR2RGB)
    out = {}
    for dev in ("cpu", "cuda"):
        with fm.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True,
                                             device=dev) as mesh:
            r = mesh.process(img)
            out[dev] = np.array([[p.x, p.y] for p in r.multi_face_landmarks[0].landmark])
            if dev == "cuda":
                assert mesh.device == "cuda"
                rep = mesh.device_report
                # The crops run on the device too, and the models read them in place.
                assert rep["image_to_tensor.192x192"] == "cuda-emulation (CPU)"
                assert all(v == "cuda-emulation (CPU)" for k, v in rep.items()
                           if k.startswith("inference."))
    err_px = np.abs(out["cuda"] - out["cpu"]).max() * img.shape[1]
    assert err_px < 0.01, err_px


def test_device_parsing():
    assert _devices.parse_device("CUDA:2") == "cuda:2"
    assert "cuda" in fm.DEVICES and "cuda:N" in fm.DEVICES


def test_doctor_reports_the_cuda_backend():
    from facemesh_native._doctor import collect, render
    r = collect()
    cu = r["backends"]["cuda"]
    assert cu["built"] == STATUS["built"]
    assert cu["usable"] == (STATUS["built"] and HAS_GPU)
    if not cu["usable"]:
        assert cu["reason"] and cu["fix"]
    text = render(r)
    assert "cuda " in text and ("built for" in text or "not built" in text)


def test_face_mesh_tracking_on_cuda_matches_the_cpu(emulation):
    """A video in tracking mode: the ROI of each frame comes from the last frame's landmarks,
    so float differences in the models grow a little from frame to frame (GL allows 0.5 px)."""
    import cv2
    from pathlib import Path
    clip = Path(__file__).resolve().parents[1] / "data" / "face_clip.mp4"
    cap = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < 8:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    assert len(frames) >= 4
    out = {}
    for dev in ("cpu", "cuda"):
        with fm.solutions.face_mesh.FaceMesh(device=dev) as mesh:
            out[dev] = []
            for f in frames:
                r = mesh.process(f)
                out[dev].append(np.array([[p.x, p.y] for p in r.multi_face_landmarks[0].landmark]))
    worst = max(float(np.abs(a - b).max()) for a, b in zip(out["cuda"], out["cpu"]))
    assert worst * frames[0].shape[1] < 0.1, worst   # 0.043 px measured after 8 frames
