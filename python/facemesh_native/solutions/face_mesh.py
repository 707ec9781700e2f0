"""facemesh_native's counterpart of mediapipe.solutions.face_mesh.

Exports the FaceMesh solution class (the same object as facemesh_native.FaceMesh) and the
connection sets and landmark counts of face_mesh_connections, under mediapipe's names.
"""
from .face_mesh_connections import (  # noqa: F401 - re-exported as mediapipe's module does
    FACEMESH_CONTOURS,
    FACEMESH_FACE_OVAL,
    FACEMESH_IRISES,
    FACEMESH_LEFT_EYE,
    FACEMESH_LEFT_EYEBROW,
    FACEMESH_LEFT_IRIS,
    FACEMESH_LIPS,
    FACEMESH_NOSE,
    FACEMESH_NUM_LANDMARKS,
    FACEMESH_NUM_LANDMARKS_WITH_IRISES,
    FACEMESH_RIGHT_EYE,
    FACEMESH_RIGHT_EYEBROW,
    FACEMESH_RIGHT_IRIS,
    FACEMESH_TESSELATION,
)

try:
    from .. import FaceMesh  # noqa: F401
except ImportError as _err:  # the native extension is missing or was built without FaceMesh
    _FACEMESH_IMPORT_ERROR = _err

    def __getattr__(name):
        if name == "FaceMesh":
            raise ImportError(
                "facemesh_native.FaceMesh is not available in this build: "
                f"{_FACEMESH_IMPORT_ERROR}") from _FACEMESH_IMPORT_ERROR
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "FaceMesh",
    "FACEMESH_CONTOURS", "FACEMESH_FACE_OVAL", "FACEMESH_IRISES", "FACEMESH_LEFT_EYE",
    "FACEMESH_LEFT_EYEBROW", "FACEMESH_LEFT_IRIS", "FACEMESH_LIPS", "FACEMESH_NOSE",
    "FACEMESH_NUM_LANDMARKS", "FACEMESH_NUM_LANDMARKS_WITH_IRISES", "FACEMESH_RIGHT_EYE",
    "FACEMESH_RIGHT_EYEBROW", "FACEMESH_RIGHT_IRIS", "FACEMESH_TESSELATION",
]
