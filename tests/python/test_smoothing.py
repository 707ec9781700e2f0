"""Optional landmark smoothing (OneEuro, the Tasks landmarker's parameters; off by default as in
mediapipe's legacy solution)."""
import numpy as np

import facemesh_native as fm

from conftest import load_rgb


def _frames(n, seed=0):
    rgb = load_rgb("astronaut.png").astype(np.int16)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        noise = rng.integers(-6, 7, size=rgb.shape, dtype=np.int16)
        yield np.clip(rgb + noise, 0, 255).astype(np.uint8)


def _track(smooth, frames):
    out = []
    with fm.FaceMesh(device="cpu", smooth_landmarks=smooth) as mesh:
        for f in frames:
            r = mesh.process(f)
            assert len(r.landmarks) == 1
            out.append(r.landmarks[0, :, :2] * 512)
    return np.stack(out)


def test_smoothing_is_off_by_default_and_reduces_jitter():
    frames = list(_frames(40))
    raw = _track(False, frames)
    with fm.FaceMesh(device="cpu") as mesh:            # default: no smoothing
        default = np.stack([mesh.process(f).landmarks[0, :, :2] * 512 for f in frames])
    np.testing.assert_array_equal(default, raw)
    smooth = _track(True, frames)
    # The face does not move: frame-to-frame motion is pure jitter from the pixel noise.
    jitter_raw = np.abs(np.diff(raw[10:], axis=0)).mean()
    jitter_smooth = np.abs(np.diff(smooth[10:], axis=0)).mean()
    assert jitter_raw > 0
    assert jitter_smooth < 0.7 * jitter_raw, (jitter_smooth, jitter_raw)
    # ... and smoothing does not move the face: it stays on the raw landmarks' mean.
    assert np.abs(smooth[10:].mean(axis=0) - raw[10:].mean(axis=0)).max() < 1.0
