"""facemesh_native: MediaPipe's FaceMesh models on a native engine of our own.

    import facemesh_native as fm
    m = fm.Model("face_landmark")          # a bundled model name, or a path to a .tflite file
    outs = m.run([x])                      # list of float32 arrays shaped as the model defines
"""
from ._model import DEVICES, MODEL_NAMES, Model, model_path, models_dir
from ._face_mesh import FaceMesh, FaceMeshResult, graphs_dir

__all__ = ["FaceMesh", "FaceMeshResult", "Model", "DEVICES", "MODEL_NAMES", "graphs_dir",
           "model_path", "models_dir"]
__version__ = "0.1.0"
