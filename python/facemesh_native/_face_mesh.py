"""FaceMesh: a drop-in for mediapipe.solutions.face_mesh.FaceMesh on the native pipeline.

Configuration and type conversion only: the pipeline (detection, ROI, landmarks, tracking)
runs in C++ from the graph files in graphs/, with the GIL released.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from . import _core
from ._image import rgb_frame
from ._model import DEVICES, _resolve_device, models_dir  # noqa: F401


def graphs_dir() -> Path:
    """The folder holding the bundled graph files."""
    return Path(__file__).resolve().parent / "graphs"


def _float_text(v: float) -> str:
    """A float32 field as protobuf's text format prints it (upb): 6 significant digits when
    they read back as the same float32, else 9."""
    text = "%.6g" % v
    return text if np.float32(float(text)) == np.float32(v) else "%.9g" % v


def _float_json(v: float) -> float:
    """A float32 field as json_format.MessageToDict gives it: the shortest decimal that reads
    back as the same float32."""
    f32 = np.float32(v)
    for digits in range(6, 10):
        text = "%.*g" % (digits, v)
        if np.float32(float(text)) == f32:
            return float(text)
    return float(v)


class _FieldInfo:
    """What ListFields() pairs with each value: the field's name (and number), as protobuf's
    FieldDescriptor offers them."""

    __slots__ = ("name", "number")

    def __init__(self, name: str, number: int):
        self.name, self.number = name, number

    def __repr__(self) -> str:
        return f"<field {self.name}>"


_LANDMARK_FIELDS = (_FieldInfo("x", 1), _FieldInfo("y", 2), _FieldInfo("z", 3))
_LANDMARK_LIST_FIELD = _FieldInfo("landmark", 1)


class NormalizedLandmark:
    """One landmark, as mediapipe's NormalizedLandmark message: x, y normalised to the image,
    z in units of the image width (smaller is nearer). Behaves as the protobuf message for
    reading: str() is its text format, HasField / ListFields; to_dict() gives what
    google.protobuf.json_format.MessageToDict gives for mediapipe's message. visibility and
    presence are never set by FaceMesh (as in mediapipe's results)."""

    __slots__ = ("x", "y", "z")

    def __init__(self, x: float, y: float, z: float):
        self.x, self.y, self.z = float(x), float(y), float(z)

    def HasField(self, name: str) -> bool:  # noqa: N802 - mediapipe's protobuf API
        if name in ("x", "y", "z"):
            return True
        if name in ("visibility", "presence"):
            return False
        raise ValueError(f'Protocol message NormalizedLandmark has no "{name}" field.')

    def ListFields(self):  # noqa: N802 - mediapipe's protobuf API
        return [(f, getattr(self, f.name)) for f in _LANDMARK_FIELDS]

    def to_dict(self) -> dict:
        return {"x": _float_json(self.x), "y": _float_json(self.y), "z": _float_json(self.z)}

    def __eq__(self, other) -> bool:
        if not isinstance(other, NormalizedLandmark):
            return NotImplemented
        return (self.x, self.y, self.z) == (other.x, other.y, other.z)

    __hash__ = None

    def __str__(self) -> str:
        return f"x: {_float_text(self.x)}\ny: {_float_text(self.y)}\nz: {_float_text(self.z)}\n"

    __repr__ = __str__


class NormalizedLandmarkList:
    """A face's landmarks, as mediapipe's NormalizedLandmarkList (`.landmark[j].x`): str() is
    the protobuf text form (`landmark { x: ... }`), HasField / ListFields, to_dict() as
    MessageToDict, len() the number of landmarks, iteration over `.landmark`.

    The per-landmark objects are built on first access of `.landmark`; `np.asarray(lst)`
    gives the (N, 3) float32 array without building them."""

    __slots__ = ("_array", "_landmark")

    def __init__(self, array: np.ndarray):
        self._array = array
        self._landmark = None

    @property
    def landmark(self) -> List[NormalizedLandmark]:
        if self._landmark is None:
            self._landmark = [NormalizedLandmark(*p) for p in self._array.tolist()]
        return self._landmark

    def HasField(self, name: str) -> bool:  # noqa: N802 - as protobuf: not for repeated fields
        if name == "landmark":
            raise ValueError("Field mediapipe.NormalizedLandmarkList.landmark does not have "
                             "presence.")
        raise ValueError(f'Protocol message NormalizedLandmarkList has no "{name}" field.')

    def ListFields(self):  # noqa: N802 - mediapipe's protobuf API
        return [(_LANDMARK_LIST_FIELD, self.landmark)] if len(self._array) else []

    def to_dict(self) -> dict:
        return {"landmark": [lm.to_dict() for lm in self.landmark]} if len(self._array) else {}

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self):
        return iter(self.landmark)

    def __str__(self) -> str:
        return "".join("landmark {\n" + "".join("  " + line + "\n"
                                                for line in str(lm).splitlines()) + "}\n"
                       for lm in self.landmark)

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)


@dataclass
class FaceMeshResult:
    """What FaceMesh.process returns.

    multi_face_landmarks: None when no face, else one NormalizedLandmarkList per face (as
      mediapipe's legacy solution).
    landmarks: float32 (faces, 468 or 478, 3), the same values as an array.
    face_rects: float32 (faces, 5): the ROI (x_center, y_center, width, height, rotation) each
      face's landmarks came from, normalised to the image.
    scores: float32 (faces,): face presence scores.
    detections: float32 (D, 17): this frame's detections (score, xmin, ymin, w, h, 6 keypoints).
    detector_ran: whether the face detector ran on this frame.
    device: which device ran the models ("cpu", ...).
    latency_ms: wall time of the native pipeline for this frame.
    """

    landmarks: np.ndarray
    face_rects: np.ndarray
    scores: np.ndarray
    detections: np.ndarray
    detector_ran: bool
    device: str
    latency_ms: float
    multi_face_landmarks: Optional[List[NormalizedLandmarkList]] = field(default=None)


class FaceMesh:
    """MediaPipe's legacy FaceMesh, natively.

    Args (as mediapipe's):
      static_image_mode: detect on every call, no tracking.
      max_num_faces: 1..64.
      refine_landmarks: use the attention model: 478 landmarks with irises.
      min_detection_confidence, min_tracking_confidence: in [0, 1]. As in mediapipe's legacy
        API, min_tracking_confidence is the face-presence threshold in every mode.
    Our additions:
      device: "auto" (default: the best hardware GPU, else the CPU; never a software
        rasterizer), "cpu", "gpu", "cuda", "cuda:N", "gl" or "gl:N". `mesh.device` and every result's
        `device` say what ran; `mesh.device_reason` and `mesh.device_report` say why and where.
      allow_software: let "gl" run on a software rasterizer (llvmpipe: for tests).
      precision: "fp32" (default) or "fp16" (GPU only: half-float storage on the GPU).
      num_threads: native threads (None: all hardware threads).
      smooth_landmarks: OneEuro smoothing as the MediaPipe Tasks landmarker does (off by
        default, as in the legacy solution).
    """

    def __init__(self, static_image_mode: bool = False, max_num_faces: int = 1,
                 refine_landmarks: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, device: str = "auto",
                 num_threads: Optional[int] = None, smooth_landmarks: bool = False,
                 allow_software: bool = False, precision: str = "fp32"):
        if isinstance(max_num_faces, bool) or not isinstance(max_num_faces, (int, np.integer)) \
                or not 1 <= int(max_num_faces) <= 64:
            raise ValueError(f"max_num_faces must be an int in 1..64, got {max_num_faces!r}")
        for name, v in (("min_detection_confidence", min_detection_confidence),
                        ("min_tracking_confidence", min_tracking_confidence)):
            if not isinstance(v, (int, float, np.floating)) or not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")
        if num_threads is None:
            num_threads = _core.hardware_threads()
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) \
                or not 1 <= int(num_threads) <= 256:
            raise ValueError(f"num_threads must be None or an int in 1..256, got {num_threads!r}")
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"precision must be 'fp32' or 'fp16', got {precision!r}")
        from ._devices import software_allowed  # noqa: PLC0415
        allow_software = software_allowed(allow_software)
        choice = _resolve_device(device, allow_software)
        from ._devices import kind_and_precision  # noqa: PLC0415
        self.device, self.precision = kind_and_precision(choice.device, precision, device)
        self.device_reason = choice.reason
        self.static_image_mode = bool(static_image_mode)
        self.max_num_faces = int(max_num_faces)
        self.refine_landmarks = bool(refine_landmarks)
        def build(dev: str):
            return _core.FaceMesh(
                static_image_mode=self.static_image_mode, max_num_faces=self.max_num_faces,
                refine_landmarks=self.refine_landmarks,
                min_detection_confidence=float(min_detection_confidence),
                min_tracking_confidence=float(min_tracking_confidence),
                smooth_landmarks=bool(smooth_landmarks), device=dev,
                allow_software=bool(allow_software), gl_fp16=self.precision == "fp16",
                num_threads=int(num_threads), graphs_dir=str(graphs_dir()),
                models_dir=str(models_dir()))

        from ._devices import (fallback_reason, parse_device, self_test_models,  # noqa: PLC0415
                               warn_fallback)
        self.self_test = None
        if self.device != "cpu" and parse_device(device) == "auto":
            try:
                names = ["face_detection_short_range", "face_landmark_with_attention"
                         if self.refine_landmarks else "face_landmark"]
                self.self_test = self_test_models(
                    {n: models_dir() / f"{n}.tflite" for n in names}, choice.device,
                    allow_software, self.precision)
                self._impl = build(choice.device)
                self._impl.process(np.zeros((64, 64, 3), np.uint8), 0)  # the GPU crops too
                self._impl.reset()
            except Exception as err:  # noqa: BLE001 - "auto" falls back whatever failed
                self.device_reason = fallback_reason(choice, err)
                warn_fallback(self.device_reason)
                self.device, self.precision = "cpu", "fp32"
                choice = choice.__class__("cpu", self.device_reason)
                self._impl = build("cpu")
        else:
            self._impl = build(choice.device)
        self._t0 = time.monotonic()
        self._last_ts = -1

    @property
    def device_report(self) -> Dict[str, str]:
        """Which device each model of the graph runs on, and why this device was chosen."""
        rep = dict(self._impl.device_report)
        rep["device"] = self.device
        rep["reason"] = self.device_reason
        return rep

    def process(self, image: np.ndarray) -> FaceMeshResult:
        """Runs the pipeline on an RGB uint8 image (H, W, 3), contiguous or not. RGBA (H, W, 4)
        is accepted too (alpha ignored): an extension; mediapipe's solution, like
        facemesh_native.solutions.face_mesh.FaceMesh, takes RGB only."""
        if self._impl is None:
            raise RuntimeError("this FaceMesh is closed")
        image = rgb_frame(image)
        ts = int((time.monotonic() - self._t0) * 1e6)
        ts = max(ts, self._last_ts + 1)
        self._last_ts = ts
        t = time.perf_counter()
        lm, rects, scores, dets, ran = self._impl.process(image, ts)
        latency = (time.perf_counter() - t) * 1e3
        res = FaceMeshResult(landmarks=lm, face_rects=rects, scores=scores, detections=dets,
                             detector_ran=bool(ran), device=self.device, latency_ms=latency)
        if len(lm):
            res.multi_face_landmarks = [NormalizedLandmarkList(f) for f in lm]
        return res

    def node_stats(self) -> List[dict]:
        """Per graph node: calls and mean milliseconds per call since construction."""
        return [{"node": n, "calls": c, "mean_ms": (s / c * 1e3) if c else 0.0}
                for n, c, s in self._impl.node_stats()]

    def reset(self) -> None:
        """Forgets tracked faces: the next frame runs the detector."""
        self._impl.reset()

    def close(self) -> None:
        self._impl = None

    def __enter__(self) -> "FaceMesh":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
