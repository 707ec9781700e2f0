"""Hostile arrays and model files must raise, never crash (issue: hardening).

Each case runs in a child process, so that a crash (SIGSEGV) fails the test instead of taking
pytest down; the child prints the exception's type and message, which the test checks."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import facemesh_native as fm


def run_child(code: str, limit_as_mb: int = 0) -> str:
    prelude = ""
    if limit_as_mb:
        prelude = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, "
                   f"({limit_as_mb << 20}, {limit_as_mb << 20}))\n")
    body = prelude + textwrap.dedent(code)
    script = ("import sys, traceback\ntry:\n" + textwrap.indent(body, "    ") +
              "\n    print('OK')\nexcept BaseException as e:\n"
              "    print('RAISED', type(e).__name__, str(e)[:300])\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, f"child died with {p.returncode}: {p.stderr[-2000:]}"
    return p.stdout.strip().splitlines()[-1]


def test_model_run_broadcast_batch_is_rejected_before_copying():
    out = run_child("""
        import numpy as np, facemesh_native as fm
        m = fm.Model("face_landmark", device="cpu", num_threads=1)
        m.run([np.broadcast_to(np.float32(.5), (65537, 192, 192, 3))])
    """)
    assert out.startswith("RAISED ValueError") and "batch size 65537 is too large" in out, out


def test_model_run_copy_that_cannot_be_made_raises_memory_error():
    # 6000 crops of 192x192x3 float32 need 2.6 GB: under a 2 GB address-space limit the
    # contiguous copy fails, which must raise MemoryError (it used to run on a null pointer).
    out = run_child("""
        import numpy as np, facemesh_native as fm
        m = fm.Model("face_landmark", device="cpu", num_threads=1)
        x = np.broadcast_to(np.float32(.5), (6000, 192, 192, 3))
        m.run([x])
    """, limit_as_mb=2048)
    assert out.startswith("RAISED MemoryError"), out


def test_crop_binding_copy_that_cannot_be_made_raises_memory_error():
    out = run_child("""
        import numpy as np, facemesh_native._core as c
        img = np.broadcast_to(np.uint8(7), (30000, 30000, 3))    # 2.7 GB if copied
        c.crop_to_tensor(img, (100., 100., 50., 50., 0.), (64, 64), "zero", 1 / 255., 0.)
    """, limit_as_mb=2048)
    assert out.startswith("RAISED MemoryError"), out


def test_frame_taller_than_2_31_is_rejected_not_truncated():
    out = run_child("""
        import numpy as np, facemesh_native as fm
        img = np.broadcast_to(np.uint8(0), (2**32 + 5, 1, 3))
        with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
            mesh.process(np.ascontiguousarray(img[:0]) if False else img)
    """)
    assert out.startswith("RAISED ValueError") and "too large" in out, out


def test_huge_zero_stride_frame_is_rejected_before_copying():
    # 33000 x 33000 x 3 from a single byte: rejected at once, not after a 3 GB copy.
    out = run_child("""
        import time, numpy as np, facemesh_native as fm
        img = np.broadcast_to(np.uint8(0), (33000, 33000, 3))
        t = time.perf_counter()
        with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
            try:
                mesh.process(img)
            finally:
                assert time.perf_counter() - t < 5, "took too long: the frame was copied"
    """, limit_as_mb=2048)
    assert out.startswith("RAISED ValueError") and "too large" in out, out


def test_crop_binding_strides_past_2_31_are_honoured(tmp_path):
    # A real (sparse, file-backed) mapping with rows 2^31 bytes apart: the crop must read the
    # right rows (the stride used to wrap negative and read outside the mapping).
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as f:
        f.truncate(2**31 + 64)
    out = run_child(f"""
        import numpy as np, facemesh_native._core as c
        mm = np.memmap({str(path)!r}, dtype=np.uint8, mode="r+", shape=(2**31 + 64,))
        mm[:3] = (10, 20, 30)
        mm[2**31:2**31 + 3] = (200, 100, 50)
        img = np.lib.stride_tricks.as_strided(mm, shape=(2, 1, 3), strides=(2**31, 3, 1))
        got = c.crop_to_tensor(img, (0.5, 1.0, 1., 2., 0.), (1, 2), "replicate", 1., 0.)
        want = c.crop_to_tensor(np.ascontiguousarray(img), (0.5, 1.0, 1., 2., 0.), (1, 2),
                                "replicate", 1., 0.)
        assert np.array_equal(got, want), (got, want)
        assert got.max() > 0
    """)
    assert out == "OK", out


def test_tasks_detect_rejects_huge_frames_before_copying():
    out = run_child("""
        import numpy as np
        import facemesh_native as mp
        from facemesh_native.tasks import python
        from facemesh_native.tasks.python import vision
        class Foreign:            # a mediapipe-style image whose view is a broadcast array
            image_format = mp.ImageFormat.SRGB
            def numpy_view(self):
                return np.broadcast_to(np.uint8(0), (40000, 40000, 3))
        opts = vision.FaceLandmarkerOptions(base_options=python.BaseOptions(device="cpu"))
        with vision.FaceLandmarker.create_from_options(opts) as lm:
            lm.detect(Foreign())
    """, limit_as_mb=3072)
    assert out.startswith("RAISED ValueError") and "too large" in out, out


def test_shape_error_message_reads_well():
    m = fm.Model("face_landmark", device="cpu", num_threads=1)
    with pytest.raises(ValueError, match=r"\(1, 192, 192, 3\) or \(N, 192, 192, 3\)"):
        m.run([np.zeros((1, 190, 192, 3), np.float32)])


def test_model_from_bytes_equals_model_from_file():
    data = fm.model_path("face_detection_short_range").read_bytes()
    x = np.random.default_rng(3).uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)
    want = fm.Model("face_detection_short_range", device="cpu").run([x])
    for m in (fm.Model(data, device="cpu"), fm.Model(model_bytes=bytearray(data), device="cpu"),
              fm.Model(memoryview(data), device="cpu")):
        for a, b in zip(m.run([x]), want):
            np.testing.assert_array_equal(a, b)
        assert m.path is None and "<bytes>" in repr(m)
    with pytest.raises(ValueError):
        fm.Model(data[: len(data) // 2], device="cpu")          # truncated bytes
    with pytest.raises(ValueError, match="either model or model_bytes"):
        fm.Model("face_landmark", model_bytes=data, device="cpu")


def _with_renamed_tensor(name_bytes: bytes) -> bytes:
    """The detector's bytes with its first tensor name overwritten in place (same length)."""
    data = bytearray(fm.model_path("face_detection_short_range").read_bytes())
    m = fm.Model(bytes(data), device="cpu")
    target = m.inputs[0]["name"].encode()
    i = data.find(target)
    assert i > 0
    data[i:i + len(name_bytes)] = name_bytes
    return bytes(data)


def test_non_utf8_tensor_name_is_a_model_error():
    bad = _with_renamed_tensor(b"\xff\xfe")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        fm.Model(bad, device="cpu")
