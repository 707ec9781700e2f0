"""The image-to-tensor crop against OpenCV itself.

MediaPipe's CPU ImageToTensorCalculator (image_to_tensor_converter_opencv.cc) crops with
cv::boxPoints + cv::getPerspectiveTransform + cv::warpPerspective(INTER_LINEAR) on the uint8
image, then converts to float with convertTo(scale, offset). The reference below makes the same
cv2 calls on random images and random rotated rects (partly or wholly outside the image, any
rotation, 20 px to twice the image), both borders, and requires identical bytes.
"""
import math

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
# Our crop reproduces the OpenCV that mediapipe 0.10.21 bundles (4.10); 4.11 warps identically.
# Later releases changed warpPerspective's arithmetic, so comparing against them is meaningless.
if tuple(int(v) for v in cv2.__version__.split(".")[:2]) not in ((4, 10), (4, 11)):
    pytest.skip(f"OpenCV {cv2.__version__} warps differently from mediapipe's OpenCV 4.10; "
                "install opencv-python==4.11.0.86 (the test extra pins it)",
                allow_module_level=True)
from facemesh_native import _core  # noqa: E402

BORDERS = {"zero": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE}


def f32(v):
    return float(np.float32(v))


def opencv_crop(img, rect, out_size, border):
    """MediaPipe's OpenCV calls, with its float rounding of the rect and of the angle."""
    cx, cy, w, h, rot = (f32(v) for v in rect)
    # RotatedRect(..., roi.rotation * 180.f / M_PI): float product, double division, float angle.
    angle = f32(f32(np.float32(rot) * np.float32(180.0)) / math.pi)
    corners = cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float32)
    out_w, out_h = out_size
    dst = np.array([[0, out_h], [0, 0], [out_w, 0], [out_w, out_h]], np.float32)
    m = cv2.getPerspectiveTransform(corners, dst)
    return cv2.warpPerspective(img, m, (out_w, out_h), flags=cv2.INTER_LINEAR,
                               borderMode=BORDERS[border], borderValue=0)


def fused(u8, scale, offset):
    """convertTo's AVX2 path: fma(v, scale, offset) in float. v * scale is exact in double and so
    is the sum for these ranges, so one rounding to float32 gives the fused result."""
    return (u8.astype(np.float64) * float(np.float32(scale)) + float(np.float32(offset))).astype(
        np.float32)


def random_case(rng, img_shape):
    ih, iw = img_shape[:2]
    long_side = max(iw, ih)
    w = rng.uniform(20, 2 * long_side)
    h = w * rng.uniform(0.6, 1.6) if rng.random() < 0.7 else w
    return (rng.uniform(-0.3 * iw, 1.3 * iw), rng.uniform(-0.3 * ih, 1.3 * ih), w, h,
            rng.uniform(-math.pi, math.pi))


def compare(img, rect, out_size, border, view=None):
    """Returns (number of differing values, max abs difference) of ours vs OpenCV."""
    ref = opencv_crop(img, rect, out_size, border)[:, :, :3]
    ours = _core.crop_to_uint8(img if view is None else view, rect, out_size, border)
    assert ours.shape == (out_size[1], out_size[0], 3) and ours.dtype == np.uint8
    diff = np.abs(ours.astype(np.int16) - ref.astype(np.int16))
    return int(np.count_nonzero(diff)), int(diff.max())


def test_random_rotated_rects_match_opencv_exactly():
    rng = np.random.default_rng(1234)
    shapes = [(48, 64), (150, 200), (512, 512), (360, 640), (97, 31)]
    total = mismatched = worst = 0
    failures = []
    for shape in shapes:
        img = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
        for i in range(60):
            rect = random_case(rng, shape)
            out_size = [(192, 192), (128, 128), (37, 23)][i % 3]
            for border in BORDERS:
                n, d = compare(img, rect, out_size, border)
                total += out_size[0] * out_size[1] * 3
                mismatched += n
                worst = max(worst, d)
                if n:
                    failures.append((shape, rect, out_size, border, n, d))
    assert mismatched == 0, (
        f"{mismatched}/{total} values differ ({100.0 * mismatched / total:.4f}%), max {worst}; "
        f"first cases: {failures[:3]}")


def test_rounding_ties_and_integer_grids_match_opencv():
    # Axis-aligned rects whose sample step is an odd multiple of 1/64 px put source coordinates
    # exactly half-way between 1/32 px grid points: round-half-even and the matrix's last-bit
    # rounding decide. Also integer-aligned and half-pixel-aligned rects.
    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    cases = []
    for odd in (1, 3, 5, 9, 33, 95):
        w = 192 * odd / 64.0
        cases.append((80.0, 60.0, w, w, 0.0))
        cases.append((13.25, 101.5, w, 0.75 * w, 0.0))
    for cx, cy in ((96.0, 60.0), (96.5, 60.5), (0.0, 0.0), (160.0, 120.0)):
        cases.append((cx, cy, 192.0, 192.0, 0.0))
        cases.append((cx, cy, 96.0, 48.0, math.pi / 2))
        cases.append((cx, cy, 96.0, 48.0, -math.pi))
    for rect in cases:
        for border in BORDERS:
            n, d = compare(img, rect, (192, 192), border)
            assert n == 0, (rect, border, n, d)


def test_letterbox_and_views_match_opencv():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (300, 500, 4), dtype=np.uint8)
    rgba = base[20:260, 30:470]                     # strided rows, 4 channels
    rgb = np.ascontiguousarray(rgba[:, :, :3])
    ih, iw = rgb.shape[:2]
    long_side = max(iw, ih)
    letterbox = (iw / 2, ih / 2, long_side, long_side, 0.0)   # detector ROI (square tensor)
    rects = [letterbox] + [random_case(rng, rgb.shape) for _ in range(20)]
    for rect in rects:
        for border in BORDERS:
            assert compare(rgb, rect, (128, 128), border) == (0, 0)
            # RGBA in place: OpenCV warps 4 channels; MediaPipe then drops alpha.
            assert compare(rgba, rect, (128, 128), border) == (0, 0)
            # Bottom-up (negative row stride) and channel-planar (copied) views of one image.
            flipped = rgb[::-1]
            assert compare(np.ascontiguousarray(flipped), rect, (64, 48), border,
                           view=flipped) == (0, 0)
            planar = np.ascontiguousarray(rgb.transpose(2, 0, 1)).transpose(1, 2, 0)
            assert compare(rgb, rect, (64, 48), border, view=planar) == (0, 0)


def test_tensor_is_fused_conversion_of_the_crop():
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    for _ in range(10):
        rect = random_case(rng, img.shape)
        for border in BORDERS:
            ref = opencv_crop(img, rect, (192, 192), border)
            for lo, hi in ((-1.0, 1.0), (0.0, 1.0)):
                scale = np.float32(hi - lo) / np.float32(255.0)
                offset = np.float32(lo)
                t = _core.crop_to_tensor(img, rect, (192, 192), border, float(scale), float(offset))
                assert t.dtype == np.float32 and t.shape == (192, 192, 3)
                np.testing.assert_array_equal(t, fused(ref, scale, offset))
    # The ends of the [-1, 1] range: 0 -> -1 exactly, 255 -> 1 + 2^-23 (fused rounding).
    black = np.zeros((8, 8, 3), np.uint8)
    white = np.full((8, 8, 3), 255, np.uint8)
    s = float(np.float32(2.0) / np.float32(255.0))
    assert (_core.crop_to_tensor(black, (4, 4, 8, 8, 0), (4, 4), "zero", s, -1.0) == -1).all()
    top = _core.crop_to_tensor(white, (4, 4, 8, 8, 0), (4, 4), "replicate", s, -1.0)
    assert (top == np.nextafter(np.float32(1), np.float32(2))).all()


def test_sampling_matrix_is_the_inverse_of_opencvs_transform():
    rect = (123.4, 56.7, 210.0, 180.0, 0.8)
    m = np.array(_core.crop_sampling_matrix(rect, (192, 192))).reshape(3, 3)
    cx, cy, w, h, rot = (f32(v) for v in rect)
    angle = f32(f32(np.float32(rot) * np.float32(180.0)) / math.pi)
    corners = cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float32)
    dst = np.array([[0, 192], [0, 0], [192, 0], [192, 192]], np.float32)
    fwd = cv2.getPerspectiveTransform(corners, dst)
    _, inv = cv2.invert(fwd)
    np.testing.assert_array_equal(m, inv)   # same double values, bit for bit


def test_bad_arguments_raise():
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError):
        _core.crop_to_uint8(img, (5, 5, 5, 5, 0), (4, 4), "reflect")
    with pytest.raises(ValueError):
        _core.crop_to_uint8(img.astype(np.float32), (5, 5, 5, 5, 0), (4, 4), "zero")
    with pytest.raises(ValueError):
        _core.crop_to_uint8(img[:, :, :2], (5, 5, 5, 5, 0), (4, 4), "zero")
    with pytest.raises(ValueError):
        _core.crop_to_uint8(img, (5, 5, 5, 5, 0), (0, 4), "zero")
