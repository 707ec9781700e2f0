"""facemesh_native's counterpart of mediapipe.solutions.face_mesh.

Exports the FaceMesh solution class (facemesh_native.FaceMesh held to mediapipe's behaviour) and the
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
    from .._face_mesh import FaceMesh as _NativeFaceMesh
except ImportError as _err:  # the native extension is missing or was built without FaceMesh
    _FACEMESH_IMPORT_ERROR = _err

    def __getattr__(name):
        if name == "FaceMesh":
            raise ImportError(
                "facemesh_native.FaceMesh is not available in this build: "
                f"{_FACEMESH_IMPORT_ERROR}") from _FACEMESH_IMPORT_ERROR
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
else:
    class FaceMesh(_NativeFaceMesh):
        """mediapipe.solutions.face_mesh.FaceMesh on facemesh_native: the same arguments,
        results and errors as mediapipe 0.10.21's (an RGB image only: a 4-channel image
        raises mediapipe's ValueError). facemesh_native.FaceMesh, the native class, also
        takes RGBA and keyword arguments beyond mediapipe's (device, num_threads, ...)."""

        def process(self, image):
            if getattr(image, "ndim", 0) == 3 and image.shape[2] != 3:
                raise ValueError("Input image must contain three channel rgb data.")
            return super().process(image)

__all__ = [
    "FaceMesh",
    "FACEMESH_CONTOURS", "FACEMESH_FACE_OVAL", "FACEMESH_IRISES", "FACEMESH_LEFT_EYE",
    "FACEMESH_LEFT_EYEBROW", "FACEMESH_LEFT_IRIS", "FACEMESH_LIPS", "FACEMESH_NOSE",
    "FACEMESH_NUM_LANDMARKS", "FACEMESH_NUM_LANDMARKS_WITH_IRISES", "FACEMESH_RIGHT_EYE",
    "FACEMESH_RIGHT_EYEBROW", "FACEMESH_RIGHT_IRIS", "FACEMESH_TESSELATION",
]
