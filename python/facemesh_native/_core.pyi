"""Type stub of facemesh_native._core, the native extension (cpp/python/*.cc).

Private: use the facemesh_native package. Errors: std::invalid_argument from the engine arrives
as ValueError, std::runtime_error (an unusable GL device, a failed GL call) as RuntimeError;
ModelError and GraphError below are ValueError subclasses.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, TypedDict, Union

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]
_U8 = npt.NDArray[np.uint8]
# (x_center, y_center, width, height, rotation): image pixels, rotation in radians.
_Rect = Tuple[float, float, float, float, float]
# (width, height) in pixels.
_Size = Tuple[int, int]

class ModelError(ValueError):
    """A .tflite file that cannot be read or run (malformed, unsupported op, bad shapes)."""

class GraphError(ValueError):
    """A graph file that cannot be parsed or built; syntax errors name file:line:col."""

class _TensorInfo(TypedDict):
    name: str
    shape: Tuple[int, ...]
    dtype: str  # lower case: "float32", "int8", ...

class _NodeInfo(TypedDict):
    op: str  # "CONV_2D", a custom op, or fused "CONV_2D+ADD+PRELU"
    inputs: List[str]
    outputs: List[str]
    impl: str  # the kernel that runs it: "reference", "cpu.avx2", "gl", ...

class Interpreter:
    """A .tflite model on the CPU engine."""

    def __init__(self, source: Union[str, bytes], num_threads: int = 1, tuned: bool = True,
                 fuse: bool = True, fold_pads: bool = True) -> None: ...
    @property
    def inputs(self) -> List[_TensorInfo]: ...
    @property
    def outputs(self) -> List[_TensorInfo]: ...
    @property
    def nodes(self) -> List[_NodeInfo]: ...
    @property
    def num_threads(self) -> int: ...
    @property
    def constant_bytes(self) -> int: ...
    @property
    def arena_bytes(self) -> int: ...
    def run(self, inputs: Sequence[_F32]) -> List[_F32]:
        """One float32 array per model input, each the model's shape or with its leading 1
        replaced by a batch N (the same N for all); returns one array per output."""
    def run_capture(self, inputs: Sequence[_F32], names: Sequence[str]) -> Dict[str, _F32]:
        """Batch 1 only: the named intermediate tensors' values after a run."""
    def profile_nodes(self, inputs: Sequence[_F32], iters: int = ...) -> List[float]:
        """Batch 1 only: each node's median seconds over `iters` node-by-node runs."""

class GlModel:
    """A .tflite model on the OpenGL ES 3.1 compute executor (RuntimeError when no device)."""

    def __init__(self, source: Union[str, bytes], device: str = "gl", allow_software: bool = False,
                 max_batch: int = 1) -> None: ...
    @property
    def inputs(self) -> List[_TensorInfo]: ...
    @property
    def outputs(self) -> List[_TensorInfo]: ...
    @property
    def nodes(self) -> List[_NodeInfo]: ...
    @property
    def device_name(self) -> str: ...
    @property
    def max_batch(self) -> int: ...
    def run(self, inputs: Sequence[_F32]) -> List[_F32]: ...

class CudaError(RuntimeError):
    """A CUDA failure: no usable device (the message says why), a launch or copy failure."""

class CudaModel:
    """A .tflite model on the CUDA executor (device index), or on the CPU emulation of its
    kernels (emulated=True). RuntimeError (CudaError) when no device is usable."""

    def __init__(self, source: Union[str, bytes], device: int = 0, emulated: bool = False) -> None: ...
    @property
    def inputs(self) -> List[_TensorInfo]: ...
    @property
    def outputs(self) -> List[_TensorInfo]: ...
    @property
    def nodes(self) -> List[_NodeInfo]: ...
    @property
    def device_name(self) -> str: ...
    def run(self, inputs: Sequence[_F32]) -> List[_F32]: ...

def cuda_status() -> Dict[str, Any]:
    """built, architectures, nvcc_version, runtime_version, driver_version, devices (index,
    name, compute_capability, total_memory, multiprocessors), why_unusable."""

class FaceMesh:
    """The native FaceMesh graph; the Python layer (facemesh_native.FaceMesh) validates."""

    def __init__(self, static_image_mode: bool, max_num_faces: int, refine_landmarks: bool,
                 min_detection_confidence: float, min_tracking_confidence: float,
                 smooth_landmarks: bool, device: str, allow_software: bool, num_threads: int,
                 graphs_dir: str, models_dir: str, graph_path: str = "") -> None: ...
    def process(self, image: _U8, timestamp_us: int
                ) -> Tuple[_F32, _F32, _F32, _F32, bool]:
        """image: uint8 (H, W, 3|4), unit channel stride. Returns (landmarks (F, N, 3),
        rects (F, 5), scores (F,), detections (D, 17): score, xmin, ymin, w, h, 6 keypoints
        x, y; detector_ran)."""
    def reset(self) -> None: ...
    @property
    def device_report(self) -> Dict[str, str]: ...
    @property
    def graph_file(self) -> str: ...
    def node_stats(self) -> List[Tuple[str, int, float]]:
        """Per graph node in file order: (name, calls, total seconds) since construction."""

class FaceDetection:
    """The face detection graph (graphs/face_detection_{short,full}_range.pbtxt)."""
    def __init__(self, model_selection: int, min_detection_confidence: float = -1.0,
                 device: str = "cpu", allow_software: bool = False, gl_fp16: bool = False,
                 num_threads: int = 1, graphs_dir: str = ..., models_dir: str = ...,
                 graph_path: str = "") -> None: ...
    def process(self, image: _U8) -> _F32:
        """Detections (D, 17): score, xmin, ymin, w, h, six keypoints (x, y)."""
    @property
    def device_report(self) -> Dict[str, str]: ...
    @property
    def graph_file(self) -> str: ...

class _GlComputeLimits(TypedDict):
    work_group_count: Tuple[int, int, int]
    work_group_size: Tuple[int, int, int]
    work_group_invocations: int
    shared_memory_bytes: int
    compute_ssbo_blocks: int
    ssbo_bindings: int
    compute_image_uniforms: int
    ssbo_block_bytes: int

class _GlDeviceInfo(TypedDict):
    index: int
    platform: str
    egl_vendor: str
    egl_version: str
    egl_extensions: str
    device_extensions: str
    drm_path: str
    cuda_device: int
    gl_vendor: str
    gl_renderer: str
    gl_version: str
    glsl_version: str
    gl_major: int
    gl_minor: int
    limits: _GlComputeLimits
    software: bool
    usable: bool
    reason: str

class _GlProbe(TypedDict):
    egl_loaded: bool
    egl_library: str
    load_error: str
    client_extensions: str
    notes: List[str]
    devices: List[_GlDeviceInfo]
    text: str

def probe_gl(hardware_only: bool = False) -> _GlProbe:
    """Probes every EGL/GL ES candidate device; never raises for an absent GL stack."""

def hardware_threads() -> int: ...
def cpu_isa() -> str:
    """The CPU kernels in use, e.g. "cpu.avx2" or "cpu.avx512"."""

def crop_to_tensor(image: _U8, rect: _Rect, out_size: _Size, border: str, scale: float,
                   offset: float) -> _F32:
    """Bilinear crop of the rotated rect of an (H, W, 3|4) uint8 image to out_size, border
    "zero" or "replicate", then v * scale + offset: float32 (h, w, 3)."""

def crop_to_uint8(image: _U8, rect: _Rect, out_size: _Size, border: str) -> _U8:
    """The same crop before the float conversion: uint8 (h, w, 3)."""

def crop_sampling_matrix(rect: _Rect, out_size: _Size) -> List[float]:
    """Row-major 3x3 (9 values) mapping output pixel (x, y, 1) to homogeneous source pixel
    coordinates."""

class FaceLandmarker:
    """The Tasks FaceLandmarker graph (graph/face_landmarker.h); see cpp/python/bind_landmarker.cc."""
    def __init__(self, stream_mode: bool, num_faces: int, min_face_detection_confidence: float,
                 min_face_presence_confidence: float, min_tracking_confidence: float,
                 output_blendshapes: bool, output_matrices: bool, smooth_landmarks: bool,
                 device: str, allow_software: bool, gl_fp16: bool, num_threads: int,
                 graph_path: str, models_dir: str) -> None: ...
    def process(self, image: _U8, timestamp_us: int, rotation_degrees: int = 0
                ) -> Tuple[_F32, Optional[_F32], Optional[np.ndarray], _F32, bool]:
        """(landmarks (F, 478, 3), blendshapes (F, 52) or None, matrices float64 (F, 4, 4) or
        None, presence (F,), detector_ran)."""
    def reset(self) -> None: ...
    def node_stats(self) -> List[Tuple[str, int, float]]: ...
    @property
    def device_report(self) -> Dict[str, str]: ...

def blendshape_names() -> List[str]:
    """The 52 blendshape category names in model order."""

def parse_geometry_metadata(data: bytes) -> Dict[str, Any]:
    """geometry_pipeline_metadata .binarypb -> {input_source, vertices (N, 5), triangles,
    basis_ids, basis_weights}; ValueError for malformed bytes."""

def face_pose(landmarks: np.ndarray, width: int, height: int, metadata: bytes
              ) -> Optional[np.ndarray]:
    """The geometry pipeline's pose (float64 (4, 4)) for (N, 3) normalised landmarks."""
