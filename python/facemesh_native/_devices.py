"""Device names and honest device selection.

    "cpu"    the CPU engine
    "gl"     the OpenGL ES 3.1 compute backend on the best GL device (a software rasterizer
             only with allow_software=True)
    "gl:N"   GL candidate N (see `python -m facemesh_native doctor`)
    "gpu"    the best hardware GPU backend; an error if there is none
    "auto"   the best hardware GPU backend, else the CPU, with the reason kept

"auto" and "gpu" never pick a software rasterizer (llvmpipe, lavapipe, SwiftShader).
"""
from __future__ import annotations

import os

import re
import threading
from dataclasses import dataclass
from typing import Optional

from . import _core

DEVICES = ("auto", "cpu", "gpu", "gl", "gl:N")

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


@dataclass
class Choice:
    device: str      # "cpu" or "gl:N"
    reason: str      # why this device (and why not a GPU, when it is the CPU)


def parse_device(device) -> str:
    """Normalises a device string; ValueError listing the known ones otherwise."""
    if not isinstance(device, str):
        raise ValueError(f"device must be a string; known devices: {', '.join(DEVICES)}; got {device!r}")
    d = device.strip().lower()
    if d in ("cpu", "gl", "gpu", "auto") or re.fullmatch(r"gl:\d{1,3}", d):
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
    """What "auto" picks: the first hardware GL device, else the CPU with the reason."""
    probe = gl_probe(hardware_only=True)
    hw = _hardware_gl(probe)
    if hw is not None:
        return Choice(f"gl:{hw['index']}", f"hardware GPU: {hw.get('gl_renderer')}")
    return Choice("cpu", "no hardware GPU backend is usable: " + _why_no_gpu(probe))


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
    if d == "gpu":
        probe = gl_probe(hardware_only=True)
        hw = _hardware_gl(probe)
        if hw is None and software_allowed(allow_software) and gl_available_in_build():
            return Choice("gl", f"no hardware GPU ({_why_no_gpu(probe)}); a software GL "
                                f"device allowed ({SOFTWARE_GL_ENV}=1 or allow_software)")
        if hw is None:
            raise RuntimeError("device='gpu' was requested but no hardware GPU is usable: " +
                               _why_no_gpu(probe) +
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


def self_test_models(sources: dict, device: str, allow_software: bool,
                     precision: str = "fp32", results: Optional[dict] = None) -> dict:
    """self_test_model for each {name: .tflite path} on the GL device, in order, each result
    stored in `results` (a new dict when None) as it comes; RuntimeError naming the first
    model that fails. Returns `results`."""
    from . import _core  # noqa: PLC0415
    results = {} if results is None else results
    for name, source in sources.items():
        gl = _core.GlModel(str(source), device, bool(allow_software), 1,
                           fp16=precision == "fp16")
        r = results[name] = self_test_model(gl, str(source), precision)
        if not r["passed"]:
            raise RuntimeError(f"{name}: {r['reason']}")
    return results


def fallback_reason(choice: Choice, err: BaseException) -> str:
    return (f"auto: the GPU {choice.device} ({choice.reason}) failed, running on the CPU: "
            f"{type(err).__name__}: {err}")


def warn_fallback(reason: str) -> None:
    import warnings  # noqa: PLC0415
    warnings.warn(reason, DeviceFallbackWarning, stacklevel=3)
