"""FaceDetection: MediaPipe's legacy face detector (short and full range) on the native graph.

Configuration and type conversion only: letterbox, model, anchors, decoding and weighted NMS
run in C++ from graphs/face_detection_short_range.pbtxt or face_detection_full_range.pbtxt,
with the GIL released. The Detection objects read as mediapipe's Detection protobuf messages
(str(), HasField, ListFields, to_dict() as MessageToDict), for code written for mediapipe.
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from . import _core
from ._face_mesh import _FieldInfo, _float_json, _float_text, graphs_dir
from ._image import rgb_frame
from ._model import _resolve_device, models_dir

#: The score threshold each model's MediaPipe graph applies (its node options fix it; the
#: solution's min_detection_confidence changes nothing in mediapipe 0.10.21).
MODEL_DEFAULT_THRESHOLD = {0: 0.5, 1: 0.6}
_MODEL_FILES = {0: "face_detection_short_range", 1: "face_detection_full_range_sparse"}

# mediapipe.LocationData.Format
GLOBAL, BOUNDING_BOX, RELATIVE_BOUNDING_BOX, MASK = 0, 1, 2, 3
_FORMAT_NAMES = {0: "GLOBAL", 1: "BOUNDING_BOX", 2: "RELATIVE_BOUNDING_BOX", 3: "MASK"}


class FaceKeyPoint(enum.IntEnum):
    """The six keypoints of a face detection, in the model's order (mediapipe's names)."""
    RIGHT_EYE = 0
    LEFT_EYE = 1
    NOSE_TIP = 2
    MOUTH_CENTER = 3
    RIGHT_EAR_TRAGION = 4
    LEFT_EAR_TRAGION = 5


def _indent(text: str) -> str:
    return "".join("  " + line + "\n" for line in text.splitlines())


class _Message:
    """What the read-only message classes below share: fields in declaration order, each
    (name, number, kind) with kind 'scalar' (always set), 'repeated' or 'message'."""

    __slots__ = ()
    _NAME = ""
    _FIELDS: tuple = ()
    # The proto's other fields, never set in results: name -> default (a list: repeated).
    _UNSET: dict = {}

    def __getattr__(self, name: str):
        if name in type(self)._UNSET:
            d = type(self)._UNSET[name]
            return list(d) if isinstance(d, list) else d
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _set(self, name: str) -> bool:
        v = getattr(self, name)
        return v is not None and (not isinstance(v, list) or len(v) > 0)

    def HasField(self, name: str) -> bool:  # noqa: N802 - mediapipe's protobuf API
        for fname, _, kind in self._FIELDS:
            if fname == name:
                if kind == "repeated":
                    raise ValueError(f"Field mediapipe.{self._NAME}.{name} does not have "
                                     f"presence.")
                return self._set(name)
        if name in self._UNSET:
            if isinstance(self._UNSET[name], list):
                raise ValueError(f"Field mediapipe.{self._NAME}.{name} does not have "
                                 f"presence.")
            return False
        raise ValueError(f'Protocol message {self._NAME} has no "{name}" field.')

    def ListFields(self):  # noqa: N802 - mediapipe's protobuf API
        return [(_FieldInfo(n, num), getattr(self, n)) for n, num, _ in self._FIELDS
                if self._set(n)]

    def __str__(self) -> str:
        out = []
        for name, _, kind in self._FIELDS:
            if not self._set(name):
                continue
            v = getattr(self, name)
            values = v if isinstance(v, list) else [v]
            for item in values:
                if isinstance(item, _Message):
                    out.append(f"{name} {{\n{_indent(str(item))}}}\n")
                elif isinstance(item, float):
                    out.append(f"{name}: {_float_text(item)}\n")
                elif name == "format":
                    out.append(f"{name}: {_FORMAT_NAMES.get(item, item)}\n")
                else:
                    out.append(f"{name}: {item}\n")
        return "".join(out)

    __repr__ = __str__

    def to_dict(self) -> dict:
        """As google.protobuf.json_format.MessageToDict gives it for mediapipe's message."""
        out = {}
        for name, _, kind in self._FIELDS:
            if not self._set(name):
                continue
            key = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
            out[key] = self._json(name, getattr(self, name))
        return out

    @staticmethod
    def _json(name, v):
        if isinstance(v, list):
            return [_Message._json(name, x) for x in v]
        if isinstance(v, _Message):
            return v.to_dict()
        if isinstance(v, float):
            return _float_json(v)
        if name == "format":
            return _FORMAT_NAMES.get(v, v)
        return v

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n, _, _ in self._FIELDS)

    __hash__ = None


class RelativeBoundingBox(_Message):
    """mediapipe.LocationData.RelativeBoundingBox: normalised to the image."""
    __slots__ = ("xmin", "ymin", "width", "height")
    _NAME = "LocationData.RelativeBoundingBox"
    _FIELDS = (("xmin", 1, "scalar"), ("ymin", 2, "scalar"), ("width", 3, "scalar"),
               ("height", 4, "scalar"))

    def __init__(self, xmin: float, ymin: float, width: float, height: float):
        self.xmin, self.ymin = float(xmin), float(ymin)
        self.width, self.height = float(width), float(height)


class RelativeKeypoint(_Message):
    """mediapipe.LocationData.RelativeKeypoint: x, y normalised to the image (no label or
    score, as in the solution's results)."""
    __slots__ = ("x", "y")
    _NAME = "LocationData.RelativeKeypoint"
    _FIELDS = (("x", 1, "scalar"), ("y", 2, "scalar"))
    _UNSET = {"keypoint_label": "", "score": 0.0}

    def __init__(self, x: float, y: float):
        self.x, self.y = float(x), float(y)


class LocationData(_Message):
    """mediapipe.LocationData with format RELATIVE_BOUNDING_BOX, the box and six keypoints."""
    __slots__ = ("format", "relative_bounding_box", "relative_keypoints")
    _NAME = "LocationData"
    _FIELDS = (("format", 1, "scalar"), ("relative_bounding_box", 3, "message"),
               ("relative_keypoints", 5, "repeated"))
    _UNSET = {"bounding_box": None, "mask": None}
    GLOBAL, BOUNDING_BOX, RELATIVE_BOUNDING_BOX, MASK = GLOBAL, BOUNDING_BOX, \
        RELATIVE_BOUNDING_BOX, MASK

    def __init__(self, relative_bounding_box: RelativeBoundingBox,
                 relative_keypoints: List[RelativeKeypoint]):
        self.format = RELATIVE_BOUNDING_BOX
        self.relative_bounding_box = relative_bounding_box
        self.relative_keypoints = list(relative_keypoints)


class Detection(_Message):
    """One face, as mediapipe's Detection message: `label_id` [0], `score` [s] (repeated, as
    in the proto), `location_data`. `np.asarray(det)` gives the 17 floats (score, xmin, ymin,
    width, height, six keypoints x, y)."""
    __slots__ = ("label_id", "score", "location_data", "_row")
    _NAME = "Detection"
    _FIELDS = (("label_id", 2, "repeated"), ("score", 3, "repeated"),
               ("location_data", 4, "message"))
    _UNSET = {"label": [], "feature_tag": "", "track_id": "", "detection_id": 0,
              "associated_detections": [], "display_name": [], "timestamp_usec": 0}

    def __init__(self, row: np.ndarray):
        self._row = np.asarray(row, np.float32)
        r = self._row.tolist()
        self.label_id = [0]
        self.score = [r[0]]
        self.location_data = LocationData(
            RelativeBoundingBox(*r[1:5]),
            [RelativeKeypoint(r[5 + 2 * k], r[6 + 2 * k]) for k in range(6)])

    def __array__(self, dtype=None, copy=None):
        return self._row if dtype is None else self._row.astype(dtype)


def get_key_point(detection, key_point_enum: FaceKeyPoint):
    """The keypoint `key_point_enum` of a detection (mediapipe's face_detection.get_key_point),
    or None when the detection has no such keypoint."""
    if not detection or not detection.location_data:
        return None
    kps = detection.location_data.relative_keypoints
    idx = int(key_point_enum)
    return kps[idx] if 0 <= idx < len(kps) else None


@dataclass
class FaceDetectionResult:
    """What FaceDetection.process returns.

    detections: None when no face, else one Detection per face (as mediapipe's solution).
    array: float32 (D, 17): score, xmin, ymin, width, height, six keypoints (x, y), all
      normalised to the image; the same values as `detections`.
    device: which device ran the model ("cpu" or "gl").
    latency_ms: wall time of the native graph for this frame.
    """

    array: np.ndarray
    device: str
    latency_ms: float
    detections: Optional[List[Detection]] = field(default=None)


class FaceDetection:
    """MediaPipe's legacy FaceDetection, natively.

    Args:
      model_selection: 0 (default): the short-range model (faces within about 2 m, 128x128
        input); 1: the full-range model (up to about 5 m, 192x192 input, sparse weights
        densified at load).
      min_detection_confidence: the score threshold in [0, 1]. None (default): the model's own
        (0.5 short range, 0.6 full range), which is what mediapipe 0.10.21's solution applies
        whatever its min_detection_confidence says; facemesh_native.solutions.face_detection
        keeps that behaviour, this class honours a threshold when given.
      device, allow_software, precision, num_threads: as facemesh_native.FaceMesh ("auto"
        self-tests the model on the GPU and falls back to the CPU with one warning).
    """

    def __init__(self, model_selection: int = 0,
                 min_detection_confidence: Optional[float] = None, device: str = "auto",
                 num_threads: Optional[int] = None, allow_software: bool = False,
                 precision: str = "fp32"):
        if isinstance(model_selection, bool) or model_selection not in (0, 1):
            raise ValueError(f"model_selection must be 0 (short range) or 1 (full range), got "
                             f"{model_selection!r}")
        self.model_selection = int(model_selection)
        if min_detection_confidence is None:
            min_detection_confidence = MODEL_DEFAULT_THRESHOLD[self.model_selection]
        if isinstance(min_detection_confidence, bool) or \
                not isinstance(min_detection_confidence, (int, float, np.floating)) or \
                not 0.0 <= float(min_detection_confidence) <= 1.0:
            raise ValueError(f"min_detection_confidence must be None or a number in [0, 1], "
                             f"got {min_detection_confidence!r}")
        self.min_detection_confidence = float(min_detection_confidence)
        if num_threads is None:
            num_threads = min(_core.hardware_threads(), 4)  # one small model: 4 is plenty
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) \
                or not 1 <= int(num_threads) <= 256:
            raise ValueError(f"num_threads must be None or an int in 1..256, got {num_threads!r}")
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"precision must be 'fp32' or 'fp16', got {precision!r}")
        from ._devices import (fallback_reason, parse_device, self_test_models,  # noqa: PLC0415
                               software_allowed, warn_fallback)
        allow_software = software_allowed(allow_software)
        choice = _resolve_device(device, allow_software)
        from ._devices import kind_and_precision  # noqa: PLC0415
        self.device, self.precision = kind_and_precision(choice.device, precision, device)
        self.device_reason = choice.reason

        def build(dev: str):
            return _core.FaceDetection(
                self.model_selection, self.min_detection_confidence, dev, bool(allow_software),
                self.precision == "fp16", int(num_threads), str(graphs_dir()),
                str(models_dir()), "")

        self.self_test = None
        if self.device != "cpu" and parse_device(device) == "auto":
            try:
                name = _MODEL_FILES[self.model_selection]
                self.self_test = {}
                self_test_models({name: models_dir() / f"{name}.tflite"}, choice.device,
                                 allow_software, self.precision, results=self.self_test)
                self._impl = build(choice.device)
                self._impl.process(np.zeros((64, 64, 3), np.uint8))  # the GPU letterbox too
            except Exception as err:  # noqa: BLE001 - "auto" falls back whatever failed
                self.device_reason = fallback_reason(choice, err)
                warn_fallback(self.device_reason)
                self.device, self.precision = "cpu", "fp32"
                self._impl = build("cpu")
        else:
            self._impl = build(choice.device)

    @property
    def device_report(self) -> Dict[str, str]:
        """Which device the model runs on, and why this device was chosen."""
        rep = dict(self._impl.device_report)
        rep["device"] = self.device
        rep["reason"] = self.device_reason
        return rep

    @property
    def graph_file(self) -> str:
        return self._impl.graph_file

    def process(self, image: np.ndarray) -> FaceDetectionResult:
        """Detects faces in an RGB uint8 image (H, W, 3), contiguous or not. RGBA (H, W, 4) is
        accepted too (alpha ignored): an extension; mediapipe's solution, like
        facemesh_native.solutions.face_detection.FaceDetection, takes RGB only."""
        if self._impl is None:
            raise RuntimeError("this FaceDetection is closed")
        image = rgb_frame(image)
        t = time.perf_counter()
        arr = self._impl.process(image)
        latency = (time.perf_counter() - t) * 1e3
        res = FaceDetectionResult(array=arr, device=self.device, latency_ms=latency)
        if len(arr):
            res.detections = [Detection(row) for row in arr]
        return res

    def close(self) -> None:
        self._impl = None

    def __enter__(self) -> "FaceDetection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
