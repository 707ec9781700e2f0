"""mediapipe.tasks, natively: `from facemesh_native.tasks import python`."""
from . import python  # noqa: F401
