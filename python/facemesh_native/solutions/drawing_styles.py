"""Default drawing styles for FaceMesh, with mediapipe.solutions.drawing_styles' function names.

Colours are (B, G, R) as DrawingSpec expects, and every colour, thickness and radius is
mediapipe 0.10.21's, so an annotated image is pixel for pixel the one mediapipe draws
(tests/python/test_drawing.py checks it against images mediapipe drew).
"""
from typing import Dict, Mapping, Tuple

from . import face_mesh_connections as _conn
from .drawing_utils import DrawingSpec

_RED = (48, 48, 255)
_GREEN = (48, 255, 48)
_BLUE = (192, 101, 21)
_YELLOW = (0, 204, 255)
_GRAY = (128, 128, 128)
_WHITE = (224, 224, 224)
_CYAN = (192, 255, 48)
_MAGENTA = (192, 48, 255)

_THICKNESS_TESSELATION = 1
_THICKNESS_CONTOURS = 2

# (connection set, colour), in mediapipe's order: where two sets share an edge, the later
# set's colour wins, as in mediapipe's dictionaries.
_CONTOURS_STYLE_0 = (
    (_conn.FACEMESH_LIPS, _WHITE),
    (_conn.FACEMESH_LEFT_EYE, _GREEN),
    (_conn.FACEMESH_LEFT_EYEBROW, _GREEN),
    (_conn.FACEMESH_RIGHT_EYE, _RED),
    (_conn.FACEMESH_RIGHT_EYEBROW, _RED),
    (_conn.FACEMESH_FACE_OVAL, _WHITE),
)
_CONTOURS_STYLE_1 = (
    (_conn.FACEMESH_LIPS, _BLUE),
    (_conn.FACEMESH_LEFT_EYE, _CYAN),
    (_conn.FACEMESH_LEFT_EYEBROW, _GREEN),
    (_conn.FACEMESH_RIGHT_EYE, _MAGENTA),
    (_conn.FACEMESH_RIGHT_EYEBROW, _RED),
    (_conn.FACEMESH_FACE_OVAL, _WHITE),
    (_conn.FACEMESH_NOSE, _YELLOW),
)


def get_default_face_mesh_contours_style(i: int = 0) -> Mapping[Tuple[int, int], DrawingSpec]:
    """Connection -> DrawingSpec for every contour edge (lips, eyes, brows, oval; style 1
    adds the nose). `i` picks the style: 0 (default) or 1."""
    style = _CONTOURS_STYLE_1 if i == 1 else _CONTOURS_STYLE_0
    out: Dict[Tuple[int, int], DrawingSpec] = {}
    for connections, color in style:
        spec = DrawingSpec(color=color, thickness=_THICKNESS_CONTOURS)
        for connection in connections:
            out[connection] = spec
    return out


def get_default_face_mesh_tesselation_style() -> DrawingSpec:
    """One DrawingSpec for all tessellation edges: 1-pixel grey (128, 128, 128) lines."""
    return DrawingSpec(color=_GRAY, thickness=_THICKNESS_TESSELATION)


def get_default_face_mesh_iris_connections_style() -> Mapping[Tuple[int, int], DrawingSpec]:
    """Connection -> DrawingSpec for the eight iris edges (landmarks 468..477)."""
    out: Dict[Tuple[int, int], DrawingSpec] = {}
    for connections, color in ((_conn.FACEMESH_LEFT_IRIS, _GREEN), (_conn.FACEMESH_RIGHT_IRIS, _RED)):
        spec = DrawingSpec(color=color, thickness=_THICKNESS_CONTOURS)
        for connection in connections:
            out[connection] = spec
    return out
