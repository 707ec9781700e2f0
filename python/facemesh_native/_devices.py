"""Device names and honest device selection.

    "cpu"    the CPU engine
    "cuda"   the CUDA backend on NVIDIA GPU 0; "cuda:N" on GPU N. With FMN_CUDA_EMULATION=1
             the CPU emulation of the CUDA kernels instead (for CI and tests; slow)
    "gl"     the OpenGL ES 3.1 compute backend on the best GL device (a software rasterizer
             only with allow_software=True)
    "gl:N"   GL candidate N (see `python -m facemesh_native doctor`)
    "gpu"    the best hardware GPU backend (CUDA on an NVIDIA GPU, else GL); an error if none
    "auto"   the best hardware GPU backend, else the CPU, with the reason kept

"auto" and "gpu" never pick a software rasterizer (llvmpipe, lavapipe, SwiftShader) or the
CUDA emulation.
"""
from __future__ import annotations

import os

import re
import threading
from dataclasses import dataclass
from typing import Optional

from . import _core

DEVICES = ("auto", "cpu", "gpu", "cuda", "cuda:N", "gl", "gl:N")

_probe_lock = threading.Lock()
_probe_cache: dict = {}


def gl_available_in_build() -> bool:
    return hasattr(_core, "probe_gl")


def gl_probe(refresh: bool = False, hardware_only: bool = False) -> Optional[dict]:
    """The GL probe (cached per process), or None when this build has no GL backend.

    hardware_only: the cheap probe "auto" and "gpu" use: software rasterizers that EGL marks
    as such are listed but not started (see gl_probe.h)."""
    if not gl_available_in_build():
        return None
    with _probe_lock:
        if refresh or hardware_only not in _probe_cache:
            _probe_cache[hardware_only] = _core.probe_gl(hardware_only=hardware_only)
        return _probe_cache[hardware_only]


CUDA_EMULATION_ENV = "FMN_CUDA_EMULATION"


def cuda_emulated() -> bool:
    """FMN_CUDA_EMULATION=1: "cuda" runs the CUDA kernels on the CPU emulation of their grid."""
    return os.environ.get(CUDA_EMULATION_ENV, "") == "1"


def cuda_status(refresh: bool = False) -> dict:
    """The CUDA backend's status (cached per process): built, architectures, nvcc_version,
    runtime_version, driver_version, devices, why_unusable (see _core.cuda_status)."""
    with _probe_lock:
        if refresh or "cuda" not in _probe_cache:
            if hasattr(_core, "cuda_status"):
                _probe_cache["cuda"] = _core.cuda_status()
            else:
                _probe_cache["cuda"] = {"built": False, "devices": [],
                                        "why_unusable": "this build has no CUDA bindings"}
        return _probe_cache["cuda"]


def _why_no_cuda(status: dict) -> str:
    if not status.get("built"):
        return "CUDA: " + (status.get("why_unusable") or "not built")
    return "CUDA: " + (status.get("why_unusable") or "no device")


def _cuda_choice(index: int = 0) -> Optional["Choice"]:
    st = cuda_status()
    devs = st.get("devices") or []
    if index < len(devs):
        d = devs[index]
        return Choice(f"cuda:{index}", f"NVIDIA GPU: {d.get('name')} (compute capability "
                                       f"{d.get('compute_capability')}, CUDA)")
    return None


@dataclass
class Choice:
    device: str      # "cpu", "cuda:N", "cuda-emulation" or "gl:N"
    reason: str      # why this device (and why not a GPU, when it is the CPU)


def parse_device(device) -> str:
    """Normalises a device string; ValueError listing the known ones otherwise."""
    if not isinstance(device, str):
        raise ValueError(f"device must be a string; known devices: {', '.join(DEVICES)}; got {device!r}")
    d = device.strip().lower()
    if d in ("cpu", "gl", "gpu", "auto", "cuda") or re.fullmatch(r"(gl|cuda):\d{1,3}", d):
        return d
    raise ValueError(f"unknown device {device!r}; known devices: {', '.join(DEVICES)}")


def _hardware_gl(probe: Optional[dict]) -> Optional[dict]:
    if not probe or not probe.get("egl_loaded"):
        return None
    for d in probe.get("devices", []):
        if d.get("usable") and not d.get("software"):
            return d
    return None


def _why_no_gpu(probe: Optional[dict]) -> str:
    if probe is None:
        return "this build has no GPU backend"
    if not probe.get("egl_loaded"):
        return f"libEGL could not be loaded: {probe.get('load_error')}"
    devs = probe.get("devices", [])
    if not devs:
        return "EGL offers no device"
    software = [d for d in devs if d.get("software")]
    others = [d for d in devs if not d.get("software")]
    started = [d for d in others if d.get("gl_renderer")]
    if software and not started and all("not started" in (d.get("reason") or "") for d in others):
        return ("EGL offers only software rasterizers (" +
                ", ".join(f"gl:{d.get('index')} {d.get('gl_renderer') or d.get('platform')}"
                          for d in software) + ")")
    if software and all(d.get("usable") for d in software) and not any(
            d.get("usable") for d in others):
        return ("the only usable GL device is a software rasterizer (" +
                ", ".join(str(d.get("gl_renderer")) for d in software if d.get("usable")) + ")")
    return "no GL device can run OpenGL ES 3.1 compute (" + "; ".join(
        f"gl:{d.get('index')}: {d.get('reason')}" for d in others if not d.get("usable")) + ")"


def choose_auto() -> Choice:
    """What "auto" picks: an NVIDIA GPU through CUDA, else the first hardware GL device, else
    the CPU with the reasons."""
    cuda = _cuda_choice(0)
    if cuda is not None:
        return cuda
    probe = gl_probe(hardware_only=True)
    hw = _hardware_gl(probe)
    if hw is not None:
        return Choice(f"gl:{hw['index']}", f"hardware GPU: {hw.get('gl_renderer')}")
    return Choice("cpu", "no hardware GPU backend is usable: " + _why_no_cuda(cuda_status()) +
                  "; GL: " + _why_no_gpu(probe))


SOFTWARE_GL_ENV = "FMN_ALLOW_SOFTWARE_GL"


def software_allowed(allow_software: bool = False) -> bool:
    """allow_software, or FMN_ALLOW_SOFTWARE_GL=1 in the environment (for CI and for APIs
    without that argument): lets "gl"/"gpu" use a software rasterizer such as llvmpipe."""
    return bool(allow_software) or os.environ.get(SOFTWARE_GL_ENV, "") == "1"


def resolve(device, allow_software: bool = False) -> Choice:
    """Turns a requested device into the one to run on. "gpu" raises RuntimeError with the
    reason when no hardware GPU is usable; "gl"/"gl:N" are passed on (the native side says
    why when it cannot create that context)."""
    d = parse_device(device)
    if d == "cpu":
        return Choice("cpu", "requested")
    if d == "auto":
        return choose_auto()
    if d == "cuda" or d.startswith("cuda:"):
        index = int(d.split(":")[1]) if ":" in d else 0
        if cuda_emulated():
            return Choice("cuda-emulation", f"{CUDA_EMULATION_ENV}=1: the CUDA kernels on the "
                                            "CPU emulation of their grid")
        got = _cuda_choice(index)
        if got is None:
            st = cuda_status()
            n = len(st.get("devices") or [])
            why = (f"this machine has {n} CUDA device(s)" if n else _why_no_cuda(st))
            raise RuntimeError(f"device={device!r} cannot be used: {why} (run `python -m "
                               "facemesh_native doctor`; FMN_CUDA_EMULATION=1 runs the CUDA "
                               "kernels on the CPU emulation instead)")
        return got
    if d == "gpu":
        cuda = _cuda_choice(0)
        if cuda is not None:
            return cuda
        probe = gl_probe(hardware_only=True)
        hw = _hardware_gl(probe)
        if hw is None and software_allowed(allow_software) and gl_available_in_build():
            return Choice("gl", f"no hardware GPU ({_why_no_gpu(probe)}); a software GL "
                                f"device allowed ({SOFTWARE_GL_ENV}=1 or allow_software)")
        if hw is None:
            raise RuntimeError("device='gpu' was requested but no hardware GPU is usable: " +
                               _why_no_cuda(cuda_status()) + "; GL: " + _why_no_gpu(probe) +
                               " (run `python -m facemesh_native doctor` for the fix)")
        return Choice(f"gl:{hw['index']}", f"hardware GPU: {hw.get('gl_renderer')}")
    if not gl_available_in_build():
        raise RuntimeError(f"device={device!r}: this build of facemesh_native has no OpenGL ES "
                           "backend")
    return Choice(d, "requested" + (" (software allowed)" if allow_software else ""))


# ---------------------------------------------------------------------------------------------
# "auto" on a GPU: build and check the GPU path when the object is created; fall back to the
# CPU (one warning, the reason kept) when anything fails. An explicit "gl"/"gpu" raises instead.

class DeviceFallbackWarning(RuntimeWarning):
    """device="auto" picked a GPU whose pipeline failed to build or failed its self-test; the
    object runs on the CPU instead (its device_reason says why)."""


SELF_TEST_TOLERANCE = {"fp32": 1e-3, "fp16": 2e-2}   # max |gpu - cpu| / max |cpu|, per output


def fault_injected(what: str) -> bool:
    """FMN_GL_FAULT (comma-separated) names `what` (see cpp/ops/gl/gl_context.h; "selftest"
    makes the self-test comparison fail)."""
    return what in [w.strip() for w in os.environ.get("FMN_GL_FAULT", "").split(",")]


def self_test_model(gl_impl, source, precision: str = "fp32") -> dict:
    """Runs one deterministic input through a GL model and the CPU engine (reference for the
    GPU) and compares them. Returns {passed, max_rel_error, ms, reason}."""
    import time  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    from . import _core  # noqa: PLC0415
    t = time.perf_counter()
    cpu = _core.Interpreter(source, 1, True, True)
    rng = np.random.default_rng(20261205)
    xs = [rng.uniform(-1, 1, tuple(i["shape"])).astype(np.float32) for i in cpu.inputs]
    want = cpu.run(xs)
    got = gl_impl.run(xs)
    worst = 0.0
    for a, b in zip(got, want):
        scale = max(float(np.abs(b).max()), 1e-6)
        err = float(np.abs(np.asarray(a) - b).max()) / scale
        worst = max(worst, err if np.isfinite(err) else float("inf"))
    tol = SELF_TEST_TOLERANCE.get(precision, 1e-3)
    if fault_injected("selftest"):
        worst = float("inf")
    passed = worst <= tol
    return {"passed": passed, "max_rel_error": worst, "ms": (time.perf_counter() - t) * 1e3,
            "reason": "" if passed else
            f"self-test: the GPU's outputs differ from the CPU's by {worst:.3g} (relative; "
            f"tolerance {tol:g})" + (" (injected by FMN_GL_FAULT=selftest)"
                                     if fault_injected("selftest") else "")}


def is_cuda(device: str) -> bool:
    return device == "cuda-emulation" or device == "cuda" or device.startswith("cuda:")


def kind_and_precision(resolved: str, precision: str, requested) -> tuple:
    """("cpu" | "cuda" | "gl", the precision it runs at) for a resolved device. fp16 is a GL
    option: asked of the CPU or of CUDA explicitly it is a ValueError; under "auto" the device
    runs fp32 (and says so)."""
    kind = "cpu" if resolved == "cpu" else "cuda" if is_cuda(resolved) else "gl"
    auto = parse_device(requested) == "auto"
    if kind == "cpu" and precision != "fp32" and not auto:
        raise ValueError("precision='fp16' is a GPU (gl) option; the CPU computes in fp32")
    if kind == "cuda" and precision != "fp32" and not auto:
        raise ValueError("precision='fp16' is not implemented on the CUDA backend yet "
                         "(it computes in fp32); use precision='fp32' or device='gl'")
    return kind, precision if kind == "gl" else "fp32"


def open_gpu_model(source, device: str, allow_software: bool = False, max_batch: int = 16,
                   precision: str = "fp32"):
    """A model on a resolved GPU device: "cuda:N" / "cuda-emulation" (_core.CudaModel) or
    "gl" / "gl:N" (_core.GlModel)."""
    if is_cuda(device):
        if precision != "fp32":
            raise ValueError("precision='fp16' is not implemented on the CUDA backend yet "
                             "(it computes in fp32); use precision='fp32' or device='gl'")
        index = int(device.split(":")[1]) if device.startswith("cuda:") else 0
        return _core.CudaModel(source, index, device == "cuda-emulation")
    return _core.GlModel(source, device, bool(allow_software), int(max_batch),
                         fp16=precision == "fp16")


def self_test_models(sources: dict, device: str, allow_software: bool,
                     precision: str = "fp32", results: Optional[dict] = None) -> dict:
    """self_test_model for each {name: .tflite path} on the GPU device, in order, each result
    stored in `results` (a new dict when None) as it comes; RuntimeError naming the first
    model that fails. Returns `results`."""
    results = {} if results is None else results
    for name, source in sources.items():
        gpu = open_gpu_model(str(source), device, allow_software, 1, precision)
        r = results[name] = self_test_model(gpu, str(source), precision)
        if not r["passed"]:
            raise RuntimeError(f"{name}: {r['reason']}")
    return results


def fallback_reason(choice: Choice, err: BaseException) -> str:
    return (f"auto: the GPU {choice.device} ({choice.reason}) failed, running on the CPU: "
            f"{type(err).__name__}: {err}")


def warn_fallback(reason: str) -> None:
    import warnings  # noqa: PLC0415
    warnings.warn(reason, DeviceFallbackWarning, stacklevel=3)
