"""facemesh_native's counterpart of mediapipe.solutions.face_detection.

FaceDetection(min_detection_confidence=0.5, model_selection=0) with mediapipe 0.10.21's
arguments, results and errors: `process(rgb).detections` is None or a list of Detection
objects that read as mediapipe's Detection messages; FaceKeyPoint and get_key_point as
mediapipe's.

As in mediapipe 0.10.21, min_detection_confidence is accepted and checked but does not change
the result: mediapipe's graphs fix the score threshold in their node options (0.5 for the
short-range model, 0.6 for the full-range one), and so does this module. The native
facemesh_native.FaceDetection honours a threshold when one is given.
"""
from typing import NamedTuple, Optional, List

try:
    from .._face_detection import (Detection, FaceDetection as _NativeFaceDetection,  # noqa: F401
                                   FaceKeyPoint, MODEL_DEFAULT_THRESHOLD, get_key_point)
except ImportError as _err:  # the native extension is missing or was built without it
    _IMPORT_ERROR = _err

    def __getattr__(name):
        raise ImportError(f"facemesh_native.solutions.face_detection is not available in this "
                          f"build: {_IMPORT_ERROR}") from _IMPORT_ERROR
else:
    class _Results(NamedTuple):
        detections: Optional[List[Detection]]

    class FaceDetection:
        """mediapipe.solutions.face_detection.FaceDetection on facemesh_native.

        Args (as mediapipe's):
          min_detection_confidence: a number in [0, 1]; checked, and as in mediapipe
            0.10.21 without effect (see the module's docstring).
          model_selection: 1 for the full-range model (faces within about 5 m); any other
            value the short-range model (within about 2 m), as mediapipe does.
        Our additions (keyword only): device, num_threads, allow_software, precision, as
        facemesh_native.FaceDetection.
        """

        def __init__(self, min_detection_confidence: float = 0.5, model_selection: int = 0,
                     *, device: str = "auto", num_threads: Optional[int] = None,
                     allow_software: bool = False, precision: str = "fp32"):
            if isinstance(min_detection_confidence, bool) or \
                    not isinstance(min_detection_confidence, (int, float)) or \
                    not 0.0 <= float(min_detection_confidence) <= 1.0:
                raise ValueError(f"min_detection_confidence must be a number in [0, 1], got "
                                 f"{min_detection_confidence!r}")
            self.min_detection_confidence = float(min_detection_confidence)
            model = 1 if model_selection == 1 else 0
            self._impl = _NativeFaceDetection(
                model_selection=model,
                min_detection_confidence=MODEL_DEFAULT_THRESHOLD[model], device=device,
                num_threads=num_threads, allow_software=allow_software, precision=precision)

        @property
        def device(self) -> str:
            """The device the model runs on ("cpu" or "gl")."""
            return self._impl.device

        @property
        def device_report(self):
            return self._impl.device_report

        def process(self, image) -> NamedTuple:
            """Detects faces in an RGB uint8 image (H, W, 3).

            Returns: a NamedTuple with the field `detections`: None when there is no face,
            else one Detection per face.
            Raises: ValueError for an image that is not three-channel RGB uint8, or empty;
            RuntimeError after close().
            """
            if self._impl is None:
                raise RuntimeError("this FaceDetection is closed")
            if getattr(image, "ndim", 0) == 3 and image.shape[2] != 3:
                raise ValueError("Input image must contain three channel rgb data.")
            return _Results(self._impl.process(image).detections)

        def close(self) -> None:
            if self._impl is not None:
                self._impl.close()
            self._impl = None

        def reset(self) -> None:
            """Nothing to forget: every frame is detected on its own (mediapipe's API)."""

        def __enter__(self) -> "FaceDetection":
            return self

        def __exit__(self, *exc) -> None:
            self.close()

__all__ = ["FaceDetection", "FaceKeyPoint", "get_key_point"]
