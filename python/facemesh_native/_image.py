"""`facemesh_native.Image` and `ImageFormat`: mediapipe's `mp.Image` for the Tasks API.

An Image wraps a uint8 numpy array (read in place, never written). As mediapipe 0.10.21's:
`Image(image_format=ImageFormat.SRGB, data=array)` needs a C-contiguous array (TypeError
otherwise), float data raises RuntimeError, `numpy_view()` is read-only, and
`Image.create_from_file(path)` decodes a file (with OpenCV, the [demo] extra). The landmarker
takes SRGB and SRGBA (the alpha channel is ignored); other formats raise ValueError there.
"""
from __future__ import annotations

import enum
import os

import numpy as np


class ImageFormat(enum.IntEnum):
    """Pixel formats, numbered as mediapipe's ImageFormat."""
    SRGB = 1
    SRGBA = 2
    GRAY8 = 3
    GRAY16 = 4
    SRGB48 = 7
    SRGBA64 = 8
    VEC32F1 = 9
    SBGRA = 11
    VEC32F2 = 12


_CHANNELS = {ImageFormat.SRGB: 3, ImageFormat.SRGBA: 4, ImageFormat.SBGRA: 4,
             ImageFormat.GRAY8: 1, ImageFormat.GRAY16: 1, ImageFormat.SRGB48: 3,
             ImageFormat.SRGBA64: 4, ImageFormat.VEC32F1: 1, ImageFormat.VEC32F2: 2}


MAX_FRAME_SIDE = 32768   # the pipelines' limit (cpp/python/convert.h kMaxFrameSide)


def check_frame_size(shape) -> None:
    """ValueError for a frame over the pipelines' size limit, checked before any copy (a
    broadcast view of a few bytes may describe gigabytes)."""
    if len(shape) >= 2 and (shape[0] > MAX_FRAME_SIDE or shape[1] > MAX_FRAME_SIDE):
        raise ValueError(f"the frame is too large: {shape[0]} x {shape[1]} (at most "
                         f"{MAX_FRAME_SIDE} pixels a side)")


def rgb_frame(image) -> np.ndarray:
    """The frame FaceMesh.process and FaceDetection.process hand to the native graph: a uint8
    (H, W, 3) RGB or (H, W, 4) RGBA array, copied only when its pixels are not packed rows
    (row padding is fine). ValueError naming what is wrong otherwise; sizes are checked
    before any copy."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy.ndarray (H, W, 3) of uint8 RGB, "
                         f"got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must have dtype uint8, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"image must have shape (H, W, 3) (RGB) or (H, W, 4) (RGBA, a "
                         f"facemesh_native extension), got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty: shape {image.shape}")
    check_frame_size(image.shape)
    s = image.strides
    if s[2] != 1 or s[1] != image.shape[2] or s[0] < s[1] * image.shape[1]:
        image = np.ascontiguousarray(image)
    return image


class Image:
    """An image for the Tasks API (see the module docstring)."""

    def __init__(self, image_format: ImageFormat, data: np.ndarray):
        if not isinstance(data, np.ndarray):
            raise TypeError(f"data must be a numpy array, got {type(data).__name__}")
        if data.dtype == np.float32:
            if image_format not in (ImageFormat.VEC32F1, ImageFormat.VEC32F2):
                raise RuntimeError("float image data should be either VEC32F1, VEC32F2, or "
                                   "VEC32F4 MediaPipe image formats.")
        elif data.dtype not in (np.uint8, np.uint16):
            raise TypeError(f"image data must be uint8, uint16 or float32, got {data.dtype}")
        if not data.flags.c_contiguous:
            raise TypeError("image data must be a C-contiguous array (use np.ascontiguousarray)")
        if data.ndim not in (2, 3) or data.shape[0] < 1 or data.shape[1] < 1:
            raise ValueError(f"image data must be (H, W) or (H, W, C), got shape {data.shape}")
        self._format = ImageFormat(image_format)
        view = data.view()
        view.flags.writeable = False
        self._data = view

    @classmethod
    def create_from_file(cls, file_name: str | os.PathLike) -> "Image":
        """Decodes an image file to SRGB (or SRGBA when it has alpha); needs OpenCV."""
        try:
            import cv2
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Image.create_from_file needs OpenCV: pip install "
                              "'facemesh_native[demo]'") from e
        path = os.fspath(file_name)
        arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise RuntimeError(f"Unable to open file at {path}")
        if arr.ndim == 2:
            arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
        elif arr.shape[2] == 4:
            return cls(ImageFormat.SRGBA, np.ascontiguousarray(cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)))
        else:
            arr = cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
        return cls(ImageFormat.SRGB, np.ascontiguousarray(arr))

    @property
    def image_format(self) -> ImageFormat:
        return self._format

    @property
    def width(self) -> int:
        return int(self._data.shape[1])

    @property
    def height(self) -> int:
        return int(self._data.shape[0])

    @property
    def channels(self) -> int:
        return 1 if self._data.ndim == 2 else int(self._data.shape[2])

    def numpy_view(self) -> np.ndarray:
        """The pixels, read-only, without a copy."""
        return self._data

    def _rgb_for_landmarker(self) -> np.ndarray:
        """(H, W, 3|4) uint8 for the landmarker; ValueError for formats it cannot take."""
        if self._format not in (ImageFormat.SRGB, ImageFormat.SRGBA) or self._data.dtype != np.uint8:
            raise ValueError(f"FaceLandmarker takes SRGB or SRGBA uint8 images, got "
                             f"{self._format.name} {self._data.dtype}")
        d = self._data
        if d.ndim != 3 or d.shape[2] not in (3, 4):
            raise ValueError(f"an {self._format.name} image needs (H, W, 3) or (H, W, 4) data, "
                             f"got shape {d.shape}")
        return d

    def __repr__(self) -> str:
        return f"Image({self._format.name}, {self.width}x{self.height})"
