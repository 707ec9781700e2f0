"""The inference engine's Python face: configuration and type conversion only."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import _core

#: The models bundled with the package (from mediapipe 0.10.21; see models/NOTICE).
MODEL_NAMES = ("face_detection_short_range", "face_detection_full_range_sparse", "face_landmark",
               "face_landmark_with_attention")

from ._devices import DEVICES, parse_device


def models_dir() -> Path:
    """The folder holding the bundled .tflite files."""
    return Path(__file__).resolve().parent / "models"


def model_path(name_or_path: str | os.PathLike) -> Path:
    """Resolves a bundled model name ("face_landmark") or a path to an existing file."""
    text = os.fspath(name_or_path)
    if text in MODEL_NAMES:
        p = models_dir() / f"{text}.tflite"
        if not p.is_file():
            raise FileNotFoundError(f"bundled model {text!r} is missing from {models_dir()}")
        return p
    p = Path(text)
    if p.is_file():
        return p
    raise ValueError(
        f"unknown model {text!r}: not a bundled model name ({', '.join(MODEL_NAMES)}) "
        "and not a path to an existing file"
    )


def _resolve_device(device: str, allow_software: bool = False):
    """The device to run on ("cpu" or "gl"/"gl:N") and why (see _devices.resolve)."""
    from ._devices import resolve
    return resolve(device, allow_software)


class Model:
    """A loaded .tflite model on one device.

    Args:
      model: a bundled model name (see MODEL_NAMES), a path to a .tflite file, or the bytes of
        one (bytes, bytearray or memoryview: nothing is written to disk).
      model_bytes: the same bytes as a keyword (instead of `model`).
      device: "auto" (the best hardware GPU, else the CPU), "cpu", "gpu", "cuda", "cuda:N",
        "gl" or "gl:N" (see facemesh_native.DEVICES); `device` then says what runs the model
        ("cpu", "cuda" or "gl"), `device_name` on what, and `device_reason` why.
      allow_software: let "gl" use a software rasterizer (llvmpipe); "auto"/"gpu" never do.
      max_batch: GL only: the largest batch one GPU pass holds (larger batches are split;
        CUDA runs any batch in one launch per op).
      precision: "fp32" (default) or, GL only, "fp16": activations and conv weights stored as
        half floats on the GPU (about 1e-3 relative error, half the memory); inputs and
        outputs stay float32.
      num_threads: worker threads for this model (None: all hardware threads).
      kernels: "tuned" (default) or "reference" (the plain oracle kernels).
      fuse: fold conv + add/prelu/relu into one kernel (default True); False keeps every
        intermediate tensor observable through run_capture().

    Inputs to run() are float32 arrays of the model's input shape, or with the leading 1
    replaced by a batch size N. Bad input raises ValueError saying what was expected.
    """

    def __init__(self, model: "str | os.PathLike | bytes | None" = None, device: str = "auto",
                 num_threads: Optional[int] = None, kernels: str = "tuned", fuse: bool = True,
                 allow_software: bool = False, max_batch: int = 16, precision: str = "fp32",
                 *, model_bytes: "bytes | bytearray | memoryview | None" = None):
        if model_bytes is not None:
            if model is not None:
                raise ValueError("give either model or model_bytes, not both")
            model = model_bytes
        if model is None:
            raise ValueError("no model: give a bundled model name, a .tflite path or its bytes")
        if isinstance(model, (bytearray, memoryview)):
            model = bytes(model)
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"precision must be 'fp32' or 'fp16', got {precision!r}")
        from ._devices import software_allowed  # noqa: PLC0415
        allow_software = software_allowed(allow_software)
        choice = _resolve_device(device, allow_software)
        if num_threads is None:
            num_threads = _core.hardware_threads()
        if not isinstance(num_threads, (int, np.integer)) or isinstance(num_threads, bool) \
                or not 1 <= int(num_threads) <= 256:
            raise ValueError(f"num_threads must be None or an int in 1..256, got {num_threads!r}")
        if kernels not in ("tuned", "reference"):
            raise ValueError(f"kernels must be 'tuned' or 'reference', got {kernels!r}")
        if isinstance(model, bytes):
            self.path = None                 # loaded from memory
            source = model
        else:
            self.path = model_path(model)
            source = str(self.path)
        self.device_reason = choice.reason
        from ._devices import (fallback_reason, kind_and_precision,  # noqa: PLC0415
                               open_gpu_model, parse_device, self_test_model, warn_fallback)
        kind, self.precision = kind_and_precision(choice.device, precision, device)
        self.self_test = None
        if choice.device != "cpu":
            if kernels != "tuned":
                raise ValueError("kernels='reference' is a CPU option")
            try:
                self._impl = open_gpu_model(source, choice.device, allow_software,
                                            int(max_batch), self.precision)
                self.device = kind
                self.device_name = self._impl.device_name
                if parse_device(device) == "auto":
                    self.self_test = self_test_model(self._impl, source, self.precision)
                    if not self.self_test["passed"]:
                        raise RuntimeError(self.self_test["reason"])
            except Exception as err:  # noqa: BLE001 - "auto" falls back whatever failed
                if parse_device(device) != "auto":
                    raise
                self.device_reason = fallback_reason(choice, err)
                warn_fallback(self.device_reason)
                self._impl, self.precision = None, "fp32"
                choice = choice.__class__("cpu", self.device_reason)
        if choice.device == "cpu":
            self.precision = "fp32"
            self._impl = _core.Interpreter(source, int(num_threads), kernels == "tuned",
                                           bool(fuse))
            self.device = "cpu"
            self.device_name = "cpu"
        self.num_threads = int(num_threads)

    @property
    def inputs(self) -> List[dict]:
        """[{name, shape, dtype}] of the model's inputs (batch-1 shapes)."""
        return self._impl.inputs

    @property
    def outputs(self) -> List[dict]:
        """[{name, shape, dtype}] of the model's outputs (batch-1 shapes)."""
        return self._impl.outputs

    @property
    def nodes(self) -> List[dict]:
        """The execution plan: [{op, inputs, outputs, impl}] in order, after folding and fusion."""
        return self._impl.nodes

    @property
    def memory_bytes(self) -> Dict[str, int]:
        """Bytes held by constants (weights) and by the activation arenas."""
        if self.device != "cpu":
            raise NotImplementedError("memory_bytes reports the CPU engine's memory")
        return {"constants": self._impl.constant_bytes, "activations": self._impl.arena_bytes}

    def run(self, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Runs the model; returns its outputs as float32 arrays. Releases the GIL."""
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        return self._impl.run(list(inputs))

    def run_capture(self, inputs: Sequence[np.ndarray], names: Sequence[str]) -> Dict[str, np.ndarray]:
        """Runs batch 1 and returns the named intermediate tensors (see `nodes`)."""
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        if self.device != "cpu":
            raise NotImplementedError("run_capture observes the CPU engine; use device='cpu'")
        return self._impl.run_capture(list(inputs), list(names))

    def __repr__(self) -> str:
        name = self.path.name if self.path is not None else "<bytes>"
        return (f"Model({name!r}, device={self.device!r} ({self.device_name}), "
                f"num_threads={self.num_threads})")
