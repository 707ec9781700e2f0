"""mediapipe.solutions-compatible modules on top of facemesh_native.

Mirrors the layout of `mediapipe.solutions` for the FaceMesh parts, so code written as

    from mediapipe.solutions import face_mesh, face_detection, drawing_utils, drawing_styles

runs unchanged with

    from facemesh_native.solutions import face_mesh, face_detection, drawing_utils, drawing_styles

Modules: face_mesh (FaceMesh and the connection sets), face_detection (FaceDetection, short and
full range; FaceKeyPoint, get_key_point), face_mesh_connections (the sets only),
drawing_utils (DrawingSpec, draw_landmarks; needs opencv-python to draw), drawing_styles.
"""
from . import drawing_styles, drawing_utils, face_detection, face_mesh, face_mesh_connections

__all__ = ["drawing_styles", "drawing_utils", "face_detection", "face_mesh",
           "face_mesh_connections"]
