"""mediapipe.tasks.python, natively: BaseOptions and the vision tasks (FaceLandmarker)."""
from ._base_options import BaseOptions  # noqa: F401
from . import components, vision  # noqa: F401

__all__ = ["BaseOptions", "components", "vision"]
