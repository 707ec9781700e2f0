"""facemesh_native: MediaPipe's FaceMesh, natively: our own inference engine on the CPU and
the GPU (OpenGL ES compute), a drop-in FaceMesh, and honest device reporting.

    import facemesh_native as fm
    with fm.FaceMesh() as mesh:            # device="auto": a hardware GPU if usable, else CPU
        res = mesh.process(rgb)            # res.multi_face_landmarks, res.landmarks, res.device
    with fm.FaceDetection(model_selection=1) as det:   # 0: short range, 1: full range
        boxes = det.process(rgb).array     # (faces, 17): score, box, six keypoints
    m = fm.Model("face_landmark")          # a bundled model name, or a path to a .tflite file
    outs = m.run([x])                      # list of float32 arrays shaped as the model defines
    fm.doctor()                            # why isn't FaceMesh using my GPU?
    fm.landmarks_dataset(["videos/"], "out")   # whole datasets (pip install "facemesh_native[video]")
"""
__version__ = "0.1.0"

from ._model import DEVICES, MODEL_NAMES, Model, model_path, models_dir  # noqa: E402
from ._face_mesh import FaceMesh, FaceMeshResult, graphs_dir  # noqa: E402
from ._face_detection import FaceDetection, FaceDetectionResult  # noqa: E402
from ._doctor import doctor  # noqa: E402
from ._devices import DeviceFallbackWarning  # noqa: E402
from ._image import Image, ImageFormat  # noqa: E402
from ._dataset import (FrameResult, LandmarkOptions, landmarks_dataset,  # noqa: E402
                       process_images, process_video)
from . import solutions  # noqa: E402  (mp.solutions.face_mesh, as `import mediapipe as mp`)

__all__ = ["FaceMesh", "FaceMeshResult", "FaceDetection", "FaceDetectionResult", "Model", "DEVICES", "MODEL_NAMES", "doctor",
           "graphs_dir", "model_path", "models_dir", "process_video", "process_images",
           "landmarks_dataset", "LandmarkOptions", "FrameResult", "Image", "ImageFormat",
           "solutions", "DeviceFallbackWarning"]
