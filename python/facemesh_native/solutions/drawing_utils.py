"""Drawing landmarks and connections onto images, with mediapipe's drawing_utils conventions.

Conventions (as mediapipe.solutions.drawing_utils):
  * The image is a uint8 (H, W, 3) array, drawn in place. Colours are (B, G, R) tuples: the
    image is assumed BGR as OpenCV reads it (draw on an RGB image and colours swap R and B).
  * A normalised landmark (x, y) maps to the pixel (min(floor(x*W), W-1), min(floor(y*H), H-1));
    a landmark with x or y outside [0, 1] (allowing float round-off at the ends) is not drawn,
    nor is any connection touching it.
  * A landmark that carries a visibility or presence field below 0.5 is skipped.
  * Connections are drawn first (cv2.line), then each landmark as a border circle of radius
    max(r + 1, int(1.2 r)) in WHITE_COLOR and a circle of radius r in the spec's colour
    (cv2.circle with the spec's thickness; thickness -1 fills).

Drawing needs OpenCV (`pip install opencv-python`); DrawingSpec and the pixel conversion
do not.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np

_PRESENCE_THRESHOLD = 0.5
_VISIBILITY_THRESHOLD = 0.5
_BGR_CHANNELS = 3

WHITE_COLOR = (224, 224, 224)
BLACK_COLOR = (0, 0, 0)
RED_COLOR = (0, 0, 255)
GREEN_COLOR = (0, 128, 0)
BLUE_COLOR = (255, 0, 0)


@dataclasses.dataclass
class DrawingSpec:
    """How to draw one kind of mark.

    color: (B, G, R), each 0..255.
    thickness: line / circle-outline thickness in pixels; -1 fills circles.
    circle_radius: landmark circle radius in pixels.
    """

    color: Tuple[int, int, int] = WHITE_COLOR
    thickness: int = 2
    circle_radius: int = 2


def _cv2():
    try:
        import cv2  # noqa: PLC0415 - optional dependency, needed only to draw
    except ImportError as err:
        raise ImportError(
            "facemesh_native.solutions.drawing_utils draws with OpenCV, which is not installed: "
            "pip install opencv-python (or opencv-python-headless)") from err
    return cv2


def _is_valid_normalized_value(value: float) -> bool:
    return (value > 0 or math.isclose(0, value)) and (value < 1 or math.isclose(1, value))


def _normalized_to_pixel_coordinates(normalized_x: float, normalized_y: float,
                                     image_width: int, image_height: int
                                     ) -> Optional[Tuple[int, int]]:
    """Normalised (x, y) -> integer pixel (column, row), or None when outside [0, 1]."""
    if not (_is_valid_normalized_value(normalized_x) and _is_valid_normalized_value(normalized_y)):
        return None
    x_px = min(math.floor(normalized_x * image_width), image_width - 1)
    y_px = min(math.floor(normalized_y * image_height), image_height - 1)
    return x_px, y_px


def _has_value(landmark, name: str) -> bool:
    """Whether a landmark carries the optional field `name` (protobuf HasField semantics)."""
    has_field = getattr(landmark, "HasField", None)
    if has_field is not None:
        try:
            return bool(has_field(name))
        except ValueError:  # a protobuf message type without that field
            return False
    return getattr(landmark, name, None) is not None


def _landmark_points(landmark_list) -> List[Optional[Tuple[float, float]]]:
    """Normalised (x, y) per landmark, None for one hidden by visibility/presence < 0.5.

    Accepts an object with a `.landmark` sequence (mediapipe's NormalizedLandmarkList or
    facemesh_native's), a plain sequence of landmark objects, or an array-like (N, 2|3)
    of normalised coordinates.
    """
    if isinstance(landmark_list, np.ndarray) or (
            not hasattr(landmark_list, "landmark") and hasattr(landmark_list, "__array__")):
        arr = np.asarray(landmark_list, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] not in (2, 3):
            raise ValueError(f"a landmark array must have shape (N, 2) or (N, 3), got {arr.shape}")
        return [(float(x), float(y)) for x, y in arr[:, :2].tolist()]
    landmarks = landmark_list.landmark if hasattr(landmark_list, "landmark") else landmark_list
    points = []
    for lm in landmarks:
        if ((_has_value(lm, "visibility") and lm.visibility < _VISIBILITY_THRESHOLD) or
                (_has_value(lm, "presence") and lm.presence < _PRESENCE_THRESHOLD)):
            points.append(None)
        else:
            points.append((float(lm.x), float(lm.y)))
    return points


def _check_image(image) -> Tuple[int, int]:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != _BGR_CHANNELS:
        shape = getattr(image, "shape", None)
        raise ValueError(f"Input image must contain three channel bgr data; got shape {shape}.")
    if image.dtype != np.uint8:
        raise ValueError(f"Input image must be uint8, got {image.dtype}.")
    if not image.flags.writeable:
        raise ValueError("Input image is read-only; drawing happens in place.")
    if not image.flags.c_contiguous:
        raise ValueError("Input image must be C-contiguous to be drawn in place "
                         "(use numpy.ascontiguousarray and draw on the copy).")
    return image.shape[0], image.shape[1]


def _spec_for(spec, key) -> DrawingSpec:
    return spec[key] if isinstance(spec, Mapping) else spec


def draw_landmarks(
        image: np.ndarray,
        landmark_list,
        connections: Optional[Iterable[Tuple[int, int]]] = None,
        landmark_drawing_spec: Optional[Union[DrawingSpec, Mapping[int, DrawingSpec]]] =
        DrawingSpec(color=RED_COLOR),
        connection_drawing_spec: Optional[Union[DrawingSpec, Mapping[Tuple[int, int], DrawingSpec]]] =
        DrawingSpec(),
        is_drawing_landmarks: bool = True) -> None:
    """Draws landmarks and the connections between them onto `image`, in place.

    Args:
      image: uint8 (H, W, 3) BGR, C-contiguous and writeable.
      landmark_list: one face's landmarks (see _landmark_points for the accepted forms);
        None or empty draws nothing.
      connections: (start, end) landmark-index pairs to join with lines.
      landmark_drawing_spec: a DrawingSpec, or a mapping landmark index -> DrawingSpec; None
        draws no landmarks.
      connection_drawing_spec: a DrawingSpec, or a mapping connection -> DrawingSpec; None
        draws no connections.
      is_drawing_landmarks: False draws the connections only.

    Raises:
      ValueError: the image is not uint8 (H, W, 3), or a connection names an index outside
        the landmark list.
      ImportError: OpenCV is not installed.
    """
    if landmark_list is None:
        return
    points = _landmark_points(landmark_list)
    if not points:
        return
    rows, cols = _check_image(image)
    cv2 = _cv2()
    pixels = {}
    for idx, p in enumerate(points):
        if p is not None:
            px = _normalized_to_pixel_coordinates(p[0], p[1], cols, rows)
            if px is not None:
                pixels[idx] = px
    if connections and connection_drawing_spec is not None:
        n = len(points)
        for connection in connections:
            start, end = connection[0], connection[1]
            if not (0 <= start < n and 0 <= end < n):
                raise ValueError(f"Landmark index is out of range. Invalid connection "
                                 f"from landmark #{start} to landmark #{end}.")
            if start in pixels and end in pixels:
                spec = _spec_for(connection_drawing_spec, connection)
                cv2.line(image, pixels[start], pixels[end], spec.color, spec.thickness)
    if is_drawing_landmarks and landmark_drawing_spec:
        for idx, px in pixels.items():
            spec = _spec_for(landmark_drawing_spec, idx)
            border_radius = max(spec.circle_radius + 1, int(spec.circle_radius * 1.2))
            cv2.circle(image, px, border_radius, WHITE_COLOR, spec.thickness)
            cv2.circle(image, px, spec.circle_radius, spec.color, spec.thickness)
