"""Default drawing styles for FaceMesh, with mediapipe.solutions.drawing_styles' function names.

Colours are (B, G, R) as DrawingSpec expects; the palette is facemesh_native's own.
"""
from typing import Dict, Mapping, Tuple

from . import face_mesh_connections as _conn
from .drawing_utils import DrawingSpec

_GRAY = (160, 160, 160)
_WHITE = (235, 235, 235)
_ORANGE = (40, 140, 250)
_TEAL = (170, 190, 20)
_PINK = (150, 70, 230)
_YELLOW = (30, 215, 245)
_VIOLET = (200, 70, 140)
_SKY = (235, 170, 60)

_THICKNESS_TESSELATION = 1
_THICKNESS_CONTOURS = 2

# Style 0: one colour for each side's eye and brow; style 1 also colours the nose.
_CONTOURS_STYLE_0 = (
    (_conn.FACEMESH_LIPS, _ORANGE),
    (_conn.FACEMESH_LEFT_EYE, _TEAL),
    (_conn.FACEMESH_LEFT_EYEBROW, _TEAL),
    (_conn.FACEMESH_RIGHT_EYE, _PINK),
    (_conn.FACEMESH_RIGHT_EYEBROW, _PINK),
    (_conn.FACEMESH_FACE_OVAL, _WHITE),
)
_CONTOURS_STYLE_1 = (
    (_conn.FACEMESH_LIPS, _ORANGE),
    (_conn.FACEMESH_LEFT_EYE, _SKY),
    (_conn.FACEMESH_LEFT_EYEBROW, _TEAL),
    (_conn.FACEMESH_RIGHT_EYE, _VIOLET),
    (_conn.FACEMESH_RIGHT_EYEBROW, _PINK),
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
    """One DrawingSpec for all tessellation edges: thin grey lines."""
    return DrawingSpec(color=_GRAY, thickness=_THICKNESS_TESSELATION)


def get_default_face_mesh_iris_connections_style() -> Mapping[Tuple[int, int], DrawingSpec]:
    """Connection -> DrawingSpec for the eight iris edges (landmarks 468..477)."""
    out: Dict[Tuple[int, int], DrawingSpec] = {}
    for connections, color in ((_conn.FACEMESH_LEFT_IRIS, _TEAL), (_conn.FACEMESH_RIGHT_IRIS, _PINK)):
        spec = DrawingSpec(color=color, thickness=_THICKNESS_CONTOURS)
        for connection in connections:
            out[connection] = spec
    return out
