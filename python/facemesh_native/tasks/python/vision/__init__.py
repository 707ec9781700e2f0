"""mediapipe.tasks.python.vision, natively: the FaceLandmarker task."""
from .face_landmarker import (  # noqa: F401
    BLENDSHAPE_NAMES, FaceLandmarker, FaceLandmarkerOptions, FaceLandmarkerResult,
    ImageProcessingOptions, Rect, RunningMode)

__all__ = ["FaceLandmarker", "FaceLandmarkerOptions", "FaceLandmarkerResult",
           "ImageProcessingOptions", "RunningMode", "BLENDSHAPE_NAMES", "Rect"]
