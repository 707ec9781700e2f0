"""Result containers, as mediapipe.tasks.python.components.containers."""
from . import containers  # noqa: F401
