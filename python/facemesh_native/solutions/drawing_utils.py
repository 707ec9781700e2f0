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

Also draw_detection (a face detection's box and keypoints), draw_axis (a pose's axes) and
plot_landmarks (a 3-D matplotlib plot), with mediapipe's arguments and errors.

Drawing needs OpenCV (`pip install opencv-python`), plot_landmarks matplotlib; DrawingSpec
and the pixel conversion need neither, and neither is imported before a drawing call.
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


def _landmark_points(landmark_list) -> List[Optional[Tuple[float, float, float]]]:
    """Normalised (x, y, z) per landmark (z 0 where there is none), None for one hidden by
    visibility/presence < 0.5.

    Accepts an object with a `.landmark` sequence (mediapipe's NormalizedLandmarkList or
    facemesh_native's), a plain sequence of landmark objects, or an array-like (N, 2|3)
    of normalised coordinates.
    """
    if isinstance(landmark_list, np.ndarray) or (
            not hasattr(landmark_list, "landmark") and hasattr(landmark_list, "__array__")):
        arr = np.asarray(landmark_list, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] not in (2, 3):
            raise ValueError(f"a landmark array must have shape (N, 2) or (N, 3), got {arr.shape}")
        if arr.shape[1] == 2:
            arr = np.concatenate([arr, np.zeros((len(arr), 1))], axis=1)
        return [(x, y, z) for x, y, z in arr.tolist()]
    landmarks = landmark_list.landmark if hasattr(landmark_list, "landmark") else landmark_list
    points = []
    for lm in landmarks:
        if ((_has_value(lm, "visibility") and lm.visibility < _VISIBILITY_THRESHOLD) or
                (_has_value(lm, "presence") and lm.presence < _PRESENCE_THRESHOLD)):
            points.append(None)
        else:
            points.append((float(lm.x), float(lm.y), float(getattr(lm, "z", 0.0))))
    return points


def _check_connection(start: int, end: int, num_landmarks: int) -> None:
    """mediapipe's ValueError for a connection naming an index outside the landmark list
    (raised when the drawing reaches it, as mediapipe does)."""
    if not (0 <= start < num_landmarks and 0 <= end < num_landmarks):
        raise ValueError(f"Landmark index is out of range. Invalid connection "
                         f"from landmark #{start} to landmark #{end}.")


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
    # As mediapipe: the image is checked even when there is nothing to draw.
    rows, cols = _check_image(image)
    points = _landmark_points(landmark_list)
    if not points:
        return
    cv2 = _cv2()
    pixels = {}
    for idx, p in enumerate(points):
        if p is not None:
            px = _normalized_to_pixel_coordinates(p[0], p[1], cols, rows)
            if px is not None:
                pixels[idx] = px
    if connections and connection_drawing_spec is not None:
        for connection in connections:
            start, end = connection[0], connection[1]
            _check_connection(start, end, len(points))
            if start in pixels and end in pixels:
                spec = _spec_for(connection_drawing_spec, connection)
                cv2.line(image, pixels[start], pixels[end], spec.color, spec.thickness)
    if is_drawing_landmarks and landmark_drawing_spec:
        for idx, px in pixels.items():
            spec = _spec_for(landmark_drawing_spec, idx)
            border_radius = max(spec.circle_radius + 1, int(spec.circle_radius * 1.2))
            cv2.circle(image, px, border_radius, WHITE_COLOR, spec.thickness)
            cv2.circle(image, px, spec.circle_radius, spec.color, spec.thickness)


def draw_detection(image: np.ndarray, detection,
                   keypoint_drawing_spec: DrawingSpec = DrawingSpec(color=RED_COLOR),
                   bbox_drawing_spec: DrawingSpec = DrawingSpec()) -> None:
    """Draws a face detection's keypoints (circles) and relative bounding box (a rectangle)
    onto `image`, in place, as mediapipe's draw_detection.

    Args:
      image: uint8 (H, W, 3) BGR.
      detection: mediapipe's Detection message, or facemesh_native's Detection (from
        solutions.face_detection); its location_data must be RELATIVE_BOUNDING_BOX.
      keypoint_drawing_spec, bbox_drawing_spec: None draws no keypoints / no box.
    Raises:
      ValueError: the image is not three-channel, or the location data is not relative.
    """
    location = getattr(detection, "location_data", None)
    if location is None:
        return
    rows, cols = _check_image(image)
    if location.format != _RELATIVE_BOUNDING_BOX:
        raise ValueError("LocationData must be relative for this drawing funtion to work.")
    cv2 = _cv2()
    if keypoint_drawing_spec:
        for keypoint in location.relative_keypoints:
            px = _normalized_to_pixel_coordinates(keypoint.x, keypoint.y, cols, rows)
            if px is not None:
                cv2.circle(image, px, keypoint_drawing_spec.circle_radius,
                           keypoint_drawing_spec.color, keypoint_drawing_spec.thickness)
    if not bbox_drawing_spec or not location.HasField("relative_bounding_box"):
        return
    box = location.relative_bounding_box
    start = _normalized_to_pixel_coordinates(box.xmin, box.ymin, cols, rows)
    end = _normalized_to_pixel_coordinates(box.xmin + box.width, box.ymin + box.height,
                                           cols, rows)
    if start is not None and end is not None:
        cv2.rectangle(image, start, end, bbox_drawing_spec.color, bbox_drawing_spec.thickness)


_RELATIVE_BOUNDING_BOX = 2  # mediapipe.LocationData.Format


def draw_axis(image: np.ndarray, rotation: np.ndarray, translation: np.ndarray,
              focal_length: Tuple[float, float] = (1.0, 1.0),
              principal_point: Tuple[float, float] = (0.0, 0.0),
              axis_length: float = 0.1,
              axis_drawing_spec: DrawingSpec = DrawingSpec()) -> None:
    """Draws the x (red), y (green) and z (blue) axes of an object pose onto `image`, in
    place, as mediapipe's draw_axis: the axes' end points, `axis_length` long in the object's
    frame, are rotated and translated into the camera frame and projected with the focal
    length and principal point in normalised device coordinates (clipped to [-1, 1])."""
    rows, cols = _check_image(image)
    cv2 = _cv2()
    ends = np.float32([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    cam = np.matmul(np.asarray(rotation), axis_length * ends.T).T + np.asarray(translation)
    x, y, z = cam[..., 0], cam[..., 1], cam[..., 2]
    fx, fy = focal_length
    px, py = principal_point
    x_ndc = np.clip(-fx * x / (z + 1e-5) + px, -1.0, 1.0)
    y_ndc = np.clip(-fy * y / (z + 1e-5) + py, -1.0, 1.0)
    x_im = np.int32((1 + x_ndc) * 0.5 * cols)
    y_im = np.int32((1 - y_ndc) * 0.5 * rows)
    origin = (int(x_im[0]), int(y_im[0]))
    for k, color in ((1, RED_COLOR), (2, GREEN_COLOR), (3, BLUE_COLOR)):
        cv2.arrowedLine(image, origin, (int(x_im[k]), int(y_im[k])), color,
                        axis_drawing_spec.thickness)


def _normalize_color(color):
    return tuple(v / 255.0 for v in color)


def plot_landmarks(landmark_list, connections: Optional[Iterable[Tuple[int, int]]] = None,
                   landmark_drawing_spec: DrawingSpec = DrawingSpec(color=RED_COLOR, thickness=5),
                   connection_drawing_spec: DrawingSpec = DrawingSpec(color=BLACK_COLOR,
                                                                      thickness=5),
                   elevation: int = 10, azimuth: int = 10) -> None:
    """Plots landmarks and connections in 3-D with matplotlib (as mediapipe's plot_landmarks:
    axes (-z, x, -y), then plt.show()). Needs matplotlib (`pip install matplotlib`).

    Raises:
      ValueError: a connection names an index outside the landmark list.
      ImportError: matplotlib is not installed.
    """
    if landmark_list is None:
        return
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 - optional, only when plotting
    except ImportError as err:
        raise ImportError("plot_landmarks plots with matplotlib, which is not installed: "
                          "pip install matplotlib") from err
    points = _landmark_points(landmark_list)
    plt.figure(figsize=(10, 10))
    ax = plt.axes(projection="3d")
    ax.view_init(elev=elevation, azim=azimuth)
    plotted = {}
    for idx, p in enumerate(points):
        if p is None:
            continue
        x, y, z = p
        ax.scatter3D(xs=[-z], ys=[x], zs=[-y],
                     color=_normalize_color(landmark_drawing_spec.color[::-1]),
                     linewidth=landmark_drawing_spec.thickness)
        plotted[idx] = (-z, x, -y)
    if connections:
        for connection in connections:
            start, end = connection[0], connection[1]
            _check_connection(start, end, len(points))
            if start in plotted and end in plotted:
                a, b = plotted[start], plotted[end]
                ax.plot3D(xs=[a[0], b[0]], ys=[a[1], b[1]], zs=[a[2], b[2]],
                          color=_normalize_color(connection_drawing_spec.color[::-1]),
                          linewidth=connection_drawing_spec.thickness)
    plt.show()
