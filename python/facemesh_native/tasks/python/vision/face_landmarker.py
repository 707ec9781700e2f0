"""FaceLandmarker: mediapipe 0.10.21's Tasks FaceLandmarker API on facemesh_native's native
graph (graphs/face_landmarker.pbtxt). This module is configuration and type conversion only.

Differences from mediapipe, all additive:
  * BaseOptions(device=...) picks facemesh_native's device; results carry `device`.
  * FaceLandmarkerResult also gives numpy arrays: `landmarks` (faces, 478, 3) float32,
    `blendshapes` (faces, 52) float32, `matrices` (faces, 4, 4) float64.
  * FaceLandmarkerOptions(honor_presence_confidence=True) applies
    min_face_presence_confidence as the face-presence threshold. mediapipe 0.10.21's Python
    layer copies min_face_detection_confidence into that threshold instead (its options
    conversion sets both from the detection confidence), so by default, for identical results,
    facemesh_native does the same and min_face_presence_confidence has no effect.
"""
from __future__ import annotations

import dataclasses
import os
import enum
import threading
from typing import Callable, List, Optional

import numpy as np

from .... import _core
from ...._face_mesh import graphs_dir
from ...._image import Image, ImageFormat, check_frame_size
from ...._model import _resolve_device
from .._base_options import BaseOptions
from ..components.containers import Category, NormalizedLandmark
from ._bundle import Bundle

_MICROSECONDS_PER_MILLISECOND = 1000
BLENDSHAPE_NAMES = tuple(_core.blendshape_names())


class RunningMode(enum.Enum):
    """As mediapipe's VisionTaskRunningMode."""
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    LIVE_STREAM = "LIVE_STREAM"


@dataclasses.dataclass
class Rect:
    """A normalised rectangle (mediapipe's components.containers.rect.Rect)."""
    left: float
    top: float
    right: float
    bottom: float


@dataclasses.dataclass
class ImageProcessingOptions:
    """As mediapipe's: rotation_degrees (a multiple of 90, clockwise) turns the image the
    detector sees; region_of_interest is not supported by this task (ValueError)."""
    region_of_interest: Optional[Rect] = None
    rotation_degrees: int = 0


class FaceLandmarkerResult:
    """Faces found in one image, in mediapipe's types and as numpy arrays.

    mediapipe's fields: face_landmarks (per face, 478 NormalizedLandmark with visibility and
    presence 0.0), face_blendshapes (per face, 52 Category in model order, `_neutral` first;
    [] unless requested), facial_transformation_matrixes (per face, float64 (4, 4); [] unless
    requested). facemesh_native's: landmarks (F, 478, 3) float32, blendshapes (F, 52) float32
    or None, matrices (F, 4, 4) float64 or None, device ("cpu" or "gl"). The per-face lists are
    built on first access from the arrays.
    """

    def __init__(self, face_landmarks=None, face_blendshapes=None,
                 facial_transformation_matrixes=None, *, landmarks=None, blendshapes=None,
                 matrices=None, device: str = "cpu"):
        self._face_landmarks = face_landmarks
        self._face_blendshapes = face_blendshapes
        self._matrixes = facial_transformation_matrixes
        self.landmarks = (np.zeros((0, 478, 3), np.float32) if landmarks is None else landmarks)
        self.blendshapes = blendshapes
        self.matrices = matrices
        self.device = device

    @property
    def face_landmarks(self) -> List[List[NormalizedLandmark]]:
        if self._face_landmarks is None:
            self._face_landmarks = [
                [NormalizedLandmark(x=float(x), y=float(y), z=float(z), visibility=0.0, presence=0.0)
                 for x, y, z in face.tolist()] for face in self.landmarks]
        return self._face_landmarks

    @property
    def face_blendshapes(self) -> List[List[Category]]:
        if self._face_blendshapes is None:
            self._face_blendshapes = [] if self.blendshapes is None else [
                [Category(index=i, score=float(s), display_name="", category_name=BLENDSHAPE_NAMES[i])
                 for i, s in enumerate(face.tolist())] for face in self.blendshapes]
        return self._face_blendshapes

    @property
    def facial_transformation_matrixes(self) -> List[np.ndarray]:
        if self._matrixes is None:
            self._matrixes = [] if self.matrices is None else [m.copy() for m in self.matrices]
        return self._matrixes

    def __eq__(self, other) -> bool:
        if not isinstance(other, FaceLandmarkerResult):
            return NotImplemented
        return (self.face_landmarks == other.face_landmarks and
                self.face_blendshapes == other.face_blendshapes and
                len(self.facial_transformation_matrixes) == len(other.facial_transformation_matrixes)
                and all(np.array_equal(a, b) for a, b in zip(self.facial_transformation_matrixes,
                                                             other.facial_transformation_matrixes)))

    def __repr__(self) -> str:
        return (f"FaceLandmarkerResult(faces={len(self.landmarks)}, "
                f"blendshapes={self.blendshapes is not None}, "
                f"matrices={self.matrices is not None}, device={self.device!r})")


@dataclasses.dataclass
class FaceLandmarkerOptions:
    """As mediapipe's FaceLandmarkerOptions (same fields, order and defaults), plus:

    honor_presence_confidence: apply min_face_presence_confidence (see the module docstring;
      False, the default, reproduces mediapipe 0.10.21).
    num_threads: CPU worker threads (None: all hardware threads).
    """
    base_options: BaseOptions
    running_mode: RunningMode = RunningMode.IMAGE
    num_faces: int = 1
    min_face_detection_confidence: float = 0.5
    min_face_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    output_face_blendshapes: bool = False
    output_facial_transformation_matrixes: bool = False
    result_callback: Optional[Callable[[FaceLandmarkerResult, Image, int], None]] = None
    honor_presence_confidence: bool = False
    num_threads: Optional[int] = None


def _check_unit(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
            not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


class FaceLandmarker:
    """Face landmarks, blendshapes and head pose (see the module docstring)."""

    @classmethod
    def create_from_model_path(cls, model_path: str) -> "FaceLandmarker":
        """IMAGE mode with default options, from a .task bundle."""
        return cls.create_from_options(FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=model_path), running_mode=RunningMode.IMAGE))

    @classmethod
    def create_from_options(cls, options: FaceLandmarkerOptions) -> "FaceLandmarker":
        return cls(options)

    def __init__(self, options: FaceLandmarkerOptions):
        if not isinstance(options, FaceLandmarkerOptions):
            raise TypeError("options must be a FaceLandmarkerOptions")
        mode = options.running_mode
        if not isinstance(mode, RunningMode):
            raise ValueError(f"running_mode must be a RunningMode, got {mode!r}")
        if mode == RunningMode.LIVE_STREAM and options.result_callback is None:
            raise ValueError("The vision task is in live stream mode, a user-defined result "
                             "callback must be provided.")
        if mode != RunningMode.LIVE_STREAM and options.result_callback is not None:
            raise ValueError("The vision task is in image or video mode, a user-defined result "
                             "callback should not be provided.")
        if isinstance(options.num_faces, bool) or not isinstance(options.num_faces, (int, np.integer)) \
                or not 1 <= int(options.num_faces) <= 64:
            raise ValueError(f"num_faces must be an int in 1..64, got {options.num_faces!r}")
        det = _check_unit(options.min_face_detection_confidence, "min_face_detection_confidence")
        pres = _check_unit(options.min_face_presence_confidence, "min_face_presence_confidence")
        track = _check_unit(options.min_tracking_confidence, "min_tracking_confidence")
        base = options.base_options if options.base_options is not None else BaseOptions()
        device, allow_software = base._device()
        choice = _resolve_device(device, allow_software)
        threads = options.num_threads if options.num_threads is not None else _core.hardware_threads()
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or \
                not 1 <= int(threads) <= 256:
            raise ValueError(f"num_threads must be None or an int in 1..256, got {threads!r}")
        self._bundle = Bundle(base.model_asset_path, base.model_asset_buffer)
        stream = mode != RunningMode.IMAGE
        def build(dev: str):
            return _core.FaceLandmarker(
                stream_mode=stream, num_faces=int(options.num_faces),
                min_face_detection_confidence=det,
                # mediapipe 0.10.21 applies the detection confidence here (module docstring).
                min_face_presence_confidence=pres if options.honor_presence_confidence else det,
                min_tracking_confidence=track,
                output_blendshapes=bool(options.output_face_blendshapes),
                output_matrices=bool(options.output_facial_transformation_matrixes),
                smooth_landmarks=stream and int(options.num_faces) == 1,
                device=dev, allow_software=bool(allow_software), gl_fp16=False,
                num_threads=int(threads),
                graph_path=str(graphs_dir() / "face_landmarker.pbtxt"),
                models_dir=self._bundle.folder)

        from ...._devices import (fallback_reason, parse_device, self_test_models,  # noqa: PLC0415
                                  warn_fallback)
        self.self_test = None
        try:
            if choice.device != "cpu" and parse_device(device) == "auto":
                try:   # every model of the bundle on the GPU against the CPU, then one frame
                    self.self_test = {}
                    self_test_models(
                        {m: os.path.join(self._bundle.folder, m + ".tflite")
                         for m in ("face_detector", "face_landmarks_detector", "face_blendshapes")},
                        choice.device, allow_software, results=self.self_test)
                    self._impl = build(choice.device)
                    self._impl.process(np.zeros((64, 64, 3), np.uint8), 0, 0)
                    self._impl.reset()
                except Exception as err:  # noqa: BLE001 - "auto" falls back whatever failed
                    reason = fallback_reason(choice, err)
                    warn_fallback(reason)
                    choice = choice.__class__("cpu", reason)
                    self._impl = build("cpu")
            else:
                self._impl = build(choice.device)
        except BaseException:
            self._bundle.close()
            raise
        from ...._devices import is_cuda  # noqa: PLC0415
        self.device = "cpu" if choice.device == "cpu" else "cuda" if is_cuda(choice.device) else "gl"
        self.device_reason = choice.reason
        self._options = options
        self._mode = mode
        self._closed = False
        self._last_ts: Optional[int] = None
        self._image_ts = 0
        self._lock = threading.Lock()          # one frame at a time through the graph
        self._busy = False                     # LIVE_STREAM: a frame is in flight
        self._worker: Optional[threading.Thread] = None

    # -- helpers ---------------------------------------------------------------------------
    @property
    def device_report(self) -> dict:
        """Where each model runs and why this device was chosen."""
        rep = dict(self._impl.device_report)
        rep["device"] = self.device
        rep["reason"] = self.device_reason
        return rep

    def node_stats(self) -> List[dict]:
        """Per graph node: calls and mean milliseconds per call since creation (facemesh_native
        only; mediapipe has no such call)."""
        self._check_open()
        return [{"node": n, "calls": c, "mean_ms": (s / c * 1e3) if c else 0.0}
                for n, c, s in self._impl.node_stats()]

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("Task runner is currently not running.")

    def _check_mode(self, want: RunningMode, name: str) -> None:
        if self._mode != want:
            raise ValueError(f"Task is not initialized with the {name} mode. Current running "
                             f"mode:{self._mode.name}")

    @staticmethod
    def _rotation(ipo: Optional[ImageProcessingOptions]) -> int:
        if ipo is None:
            return 0
        if ipo.rotation_degrees % 90 != 0:
            raise ValueError("Expected rotation to be a multiple of 90°.")
        if ipo.region_of_interest is not None:
            raise ValueError("This task doesn't support region-of-interest.")
        return int(ipo.rotation_degrees) % 360

    @staticmethod
    def _pixels(image) -> np.ndarray:
        if isinstance(image, Image):
            return image._rgb_for_landmarker()
        view = getattr(image, "numpy_view", None)
        if view is None:
            raise TypeError(f"image must be a facemesh_native.Image (or mediapipe's mp.Image), "
                            f"got {type(image).__name__}")
        fmt = getattr(getattr(image, "image_format", None), "name", "")
        if fmt not in ("SRGB", "SRGBA"):
            raise ValueError(f"FaceLandmarker takes SRGB or SRGBA uint8 images, got {fmt or image!r}")
        pixels = view()
        check_frame_size(np.shape(pixels))
        return Image(ImageFormat[fmt], np.ascontiguousarray(pixels))._rgb_for_landmarker()

    def _check_timestamp(self, timestamp_ms) -> int:
        if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, np.integer)):
            raise TypeError(f"timestamp_ms must be an int, got {type(timestamp_ms).__name__}")
        ts = int(timestamp_ms)
        if self._last_ts is not None and ts <= self._last_ts:
            raise ValueError("Input timestamp must be monotonically increasing.")
        self._last_ts = ts
        return ts

    def _run(self, pixels: np.ndarray, timestamp_us: int, rotation: int) -> FaceLandmarkerResult:
        with self._lock:
            lm, bs, mx, _presence, _ran = self._impl.process(pixels, timestamp_us, rotation)
        return FaceLandmarkerResult(landmarks=lm, blendshapes=bs, matrices=mx, device=self.device)

    # -- mediapipe's API -------------------------------------------------------------------
    def detect(self, image: Image,
               image_processing_options: Optional[ImageProcessingOptions] = None
               ) -> FaceLandmarkerResult:
        """IMAGE mode: the faces in one image (the detector runs on every call)."""
        self._check_open()
        self._check_mode(RunningMode.IMAGE, "image")
        rotation = self._rotation(image_processing_options)
        pixels = self._pixels(image)
        self._image_ts += 1
        return self._run(pixels, self._image_ts, rotation)

    def detect_for_video(self, image: Image, timestamp_ms: int,
                         image_processing_options: Optional[ImageProcessingOptions] = None
                         ) -> FaceLandmarkerResult:
        """VIDEO mode: one frame of a video; timestamps (ms) must increase."""
        self._check_open()
        self._check_mode(RunningMode.VIDEO, "video")
        rotation = self._rotation(image_processing_options)
        pixels = self._pixels(image)
        ts = self._check_timestamp(timestamp_ms)
        return self._run(pixels, ts * _MICROSECONDS_PER_MILLISECOND, rotation)

    def detect_async(self, image: Image, timestamp_ms: int,
                     image_processing_options: Optional[ImageProcessingOptions] = None) -> None:
        """LIVE_STREAM mode: queues a frame; result_callback(result, image, timestamp_ms) gets
        its result from a worker thread. A frame arriving while another is in flight is
        dropped (no callback), as mediapipe's flow limiter does. Timestamps must increase."""
        self._check_open()
        self._check_mode(RunningMode.LIVE_STREAM, "live stream")
        rotation = self._rotation(image_processing_options)
        pixels = self._pixels(image)
        ts = self._check_timestamp(timestamp_ms)
        with self._lock:
            if self._busy:
                return
            self._busy = True
            if self._worker is not None and self._worker is not threading.current_thread():
                self._worker.join()
            self._worker = threading.Thread(target=self._live_frame, args=(image, pixels, ts, rotation),
                                            name="facemesh_native-landmarker", daemon=True)
            self._worker.start()

    def _live_frame(self, image, pixels, ts, rotation) -> None:
        try:
            lm, bs, mx, _p, _r = self._impl.process(pixels, ts * _MICROSECONDS_PER_MILLISECOND, rotation)
            result = FaceLandmarkerResult(landmarks=lm, blendshapes=bs, matrices=mx, device=self.device)
        finally:
            self._busy = False
        self._options.result_callback(result, image, ts)

    def close(self) -> None:
        """Releases the graph; later calls (close included) raise ValueError, as mediapipe's."""
        self._check_open()
        self._closed = True
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        self._impl = None
        self._bundle.close()

    def __enter__(self) -> "FaceLandmarker":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._closed:
            self.close()
