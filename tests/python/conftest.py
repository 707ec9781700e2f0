"""Shared fixtures: the committed test images and reference arrays under tests/data/."""
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def load_rgb(name: str) -> np.ndarray:
    """A committed test image as an HxWx3 uint8 RGB array."""
    cv2 = pytest.importorskip("cv2")
    bgr = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(DATA / name)
    return np.ascontiguousarray(bgr[:, :, ::-1])


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return load_rgb("astronaut.png")


def face_crop(rgb: np.ndarray, box, size: int) -> np.ndarray:
    """Crops rows/cols box=(y0, y1, x0, x1) and resizes to size x size, float32 in [0, 1]."""
    cv2 = pytest.importorskip("cv2")
    y0, y1, x0, x1 = box
    crop = cv2.resize(rgb[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_LINEAR)
    return (crop.astype(np.float32) / 255.0)[None]
