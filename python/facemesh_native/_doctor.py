"""`python -m facemesh_native doctor` and `facemesh_native.doctor()`: why isn't FaceMesh using
my GPU?

For each backend (cpu, gl, cuda) it says whether it was found and can be used, the exact
reason when not, and the fix; and which device "auto" would pick. `--json` for scripts.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any, Dict, List

from . import _core
from ._devices import choose_auto, gl_probe

SOFTWARE_FIX = (
    "only a software rasterizer is visible to EGL. For an NVIDIA GPU: install the driver "
    "with its EGL library (Debian/Ubuntu: the nvidia-driver package, or libnvidia-gl-<ver> / "
    "libnvidia-egl for containers; in a container run with NVIDIA_DRIVER_CAPABILITIES "
    "including 'graphics'), make sure /usr/share/glvnd/egl_vendor.d/10_nvidia.json exists "
    "(or set __EGL_VENDOR_LIBRARY_FILENAMES to it), and that nvidia-smi lists the GPU. "
    "For AMD/Intel: install Mesa's hardware drivers (libegl-mesa0, libgl1-mesa-dri) and give "
    "this user access to /dev/dri/renderD*.")

NO_EGL_FIX = ("install the EGL and GLES libraries (Debian/Ubuntu: apt-get install libegl1 "
              "libgles2, plus libegl-mesa0 for Mesa or the NVIDIA driver's EGL for NVIDIA), "
              "or point FMN_EGL_LIBRARY at your libEGL.so.1.")


def _nvidia_smi() -> Dict[str, Any]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return {"found": False, "detail": "nvidia-smi not found on PATH"}
    try:
        out = subprocess.run([exe, "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"found": True, "ok": False, "detail": f"nvidia-smi failed: {e}"}
    if out.returncode != 0:
        return {"found": True, "ok": False,
                "detail": f"nvidia-smi exit {out.returncode}: {(out.stderr or out.stdout).strip()}"}
    gpus = [l.strip() for l in out.stdout.splitlines() if l.strip()]
    return {"found": True, "ok": True, "gpus": gpus}


def _cpu_report() -> Dict[str, Any]:
    isa = _core.cpu_isa() if hasattr(_core, "cpu_isa") else "unknown"
    return {"found": True, "usable": True, "simd": isa,
            "hardware_threads": _core.hardware_threads(),
            "reason": "", "fix": ""}


def _self_test(device: str, software: bool) -> Dict[str, Any]:
    """What "auto" checks before it uses a GPU: the detector model on `device` against the CPU
    engine (passed, max relative error, milliseconds), or why it could not run."""
    from . import _core  # noqa: PLC0415
    from ._devices import self_test_model  # noqa: PLC0415
    from ._model import model_path  # noqa: PLC0415
    source = str(model_path("face_detection_short_range"))
    try:
        gl = _core.GlModel(source, device, software, 1, fp16=False)
        return self_test_model(gl, source)
    except Exception as err:  # noqa: BLE001 - reported, not raised
        return {"passed": False, "max_rel_error": None, "ms": None,
                "reason": f"{type(err).__name__}: {err}"}


def _gl_report() -> Dict[str, Any]:
    probe = gl_probe()
    rep: Dict[str, Any] = {"found": False, "usable": False, "devices": [], "reason": "",
                           "fix": "", "probe": probe}
    if probe is None:
        rep["reason"] = "this build of facemesh_native has no OpenGL ES backend"
        return rep
    if not probe.get("egl_loaded"):
        rep["reason"] = (f"libEGL could not be loaded ({probe.get('egl_library')}): "
                         f"{probe.get('load_error')}")
        rep["fix"] = NO_EGL_FIX
        return rep
    rep["found"] = True
    devices = probe.get("devices", [])
    for d in devices:
        rep["devices"].append({
            "device": f"gl:{d['index']}", "platform": d.get("platform"),
            "renderer": d.get("gl_renderer"), "version": d.get("gl_version"),
            "software": bool(d.get("software")), "usable": bool(d.get("usable")),
            "reason": d.get("reason", "")})
    for entry, d in zip(rep["devices"], devices):
        if d.get("usable"):
            entry["self_test"] = _self_test(entry["device"], bool(d.get("software")))
    hw = [d for d in devices if d.get("usable") and not d.get("software")]
    sw = [d for d in devices if d.get("usable") and d.get("software")]
    if hw:
        rep["usable"] = True
    elif sw:
        rep["reason"] = ("the only usable GL device is a software rasterizer ("
                         + ", ".join(str(d.get("gl_renderer")) for d in sw)
                         + "); auto and gpu never pick one (device='gl' with "
                           "allow_software=True forces it)")
        rep["fix"] = SOFTWARE_FIX
    else:
        reasons = "; ".join(f"gl:{d['index']} ({d.get('platform')}): {d.get('reason')}"
                            for d in devices) or "EGL offers no device or display"
        rep["reason"] = "no GL device can run OpenGL ES 3.1 compute: " + reasons
        rep["fix"] = SOFTWARE_FIX
    return rep


def _cuda_fix(st: Dict[str, Any], smi: Dict[str, Any]) -> str:
    if not st.get("built"):
        return ("rebuild with the CUDA toolkit's nvcc on PATH (`pip install .` builds the CUDA "
                "backend when it finds nvcc; -C cmake.define.FMN_CUDA=ON makes it required)")
    if st.get("driver_version", 0) == 0:
        if smi.get("ok"):
            return ("nvidia-smi sees a GPU but the CUDA runtime cannot load the driver: make "
                    "libcuda.so.1 loadable (in a container: NVIDIA_DRIVER_CAPABILITIES must "
                    "include 'compute'; check ldconfig -p | grep libcuda)")
        return ("install the NVIDIA driver (nvidia-smi must list the GPU); in a container run "
                "it with the NVIDIA container toolkit (--gpus all)")
    return ("update the NVIDIA driver: this build's CUDA runtime needs a driver at least as new "
            "as CUDA " + str(st.get("runtime_version") or "13"))


def _cuda_report() -> Dict[str, Any]:
    """The CUDA backend: built (architectures, nvcc), runtime and driver, devices, why not."""
    from ._devices import cuda_status  # noqa: PLC0415
    smi = _nvidia_smi()
    st = dict(cuda_status())
    devices = st.get("devices") or []
    usable = bool(st.get("built")) and bool(devices)
    rep = {"found": bool(devices) or bool(smi.get("ok")), "usable": usable, "built": st.get("built"),
           "architectures": st.get("architectures", ""), "nvcc_version": st.get("nvcc_version", ""),
           "runtime_version": st.get("runtime_version", 0),
           "driver_version": st.get("driver_version", 0), "devices": devices,
           "nvidia_smi": smi, "reason": "" if usable else st.get("why_unusable", ""),
           "fix": "" if usable else _cuda_fix(st, smi)}
    if usable:
        rep["self_test"] = _cuda_self_test()
    return rep


def _cuda_self_test() -> Dict[str, Any]:
    """The detector on cuda:0 against the CPU engine, as "auto" checks it."""
    from ._devices import self_test_model  # noqa: PLC0415
    from ._model import model_path  # noqa: PLC0415
    source = str(model_path("face_detection_short_range"))
    try:
        return self_test_model(_core.CudaModel(source, 0, False), source)
    except Exception as e:  # noqa: BLE001 - the report says what failed
        return {"passed": False, "reason": f"{type(e).__name__}: {e}", "max_rel_error": None,
                "ms": 0.0}


def collect() -> Dict[str, Any]:
    """The doctor's findings as a dict (what --json prints)."""
    backends = {"cpu": _cpu_report(), "gl": _gl_report(), "cuda": _cuda_report()}
    auto = choose_auto()
    from . import __version__
    report = {"version": __version__, "backends": backends,
              "auto": {"device": auto.device, "reason": auto.reason}}
    for b in backends.values():
        b.pop("probe", None)
    return report


def render(report: Dict[str, Any]) -> str:
    lines: List[str] = [f"facemesh_native {report['version']} doctor", ""]
    b = report["backends"]
    cpu = b["cpu"]
    lines.append(f"cpu   usable      SIMD {cpu['simd']}, {cpu['hardware_threads']} hardware threads")
    gl = b["gl"]
    state = "usable" if gl["usable"] else ("found" if gl["found"] else "not found")
    lines.append(f"gl    {state:11s} " + ("a hardware GPU is ready" if gl["usable"] else gl["reason"]))
    for d in gl["devices"]:
        kind = ("software rasterizer" if d["software"] else "hardware") if d["renderer"] else "unknown renderer"
        status = "ok" if d["usable"] else f"not usable: {d['reason']}"
        st = d.get("self_test")
        if st is not None:
            status += (f"; self-test passed (max rel. error {st['max_rel_error']:.1e}, "
                       f"{st['ms']:.0f} ms)" if st["passed"] else f"; self-test FAILED: {st['reason']}")
        lines.append(f"        {d['device']:6s} {d['platform'] or '':12s} {d['renderer'] or '?'} "
                     f"[{d['version'] or '?'}] {kind}: {status}")
    if gl["fix"]:
        lines.append(f"      fix: {gl['fix']}")
    cu = b["cuda"]
    state = "usable" if cu["usable"] else ("found" if cu["found"] else "not found")
    built = (f"built for {cu['architectures']} (nvcc {cu['nvcc_version']})" if cu["built"]
             else "not built")
    lines.append(f"cuda  {state:11s} {built}" + ("" if cu["usable"] else f"; {cu['reason']}"))
    for d in cu["devices"]:
        st = cu.get("self_test") or {}
        test = ("" if not st else f"; self-test passed (max rel. error {st['max_rel_error']:.1e})"
                if st.get("passed") else f"; self-test FAILED: {st.get('reason')}")
        lines.append(f"        cuda:{d['index']} {d['name']} (compute capability "
                     f"{d['compute_capability']}, {d['total_memory'] / 2**30:.0f} GiB, "
                     f"{d['multiprocessors']} SMs; driver {cu['driver_version']}, runtime "
                     f"{cu['runtime_version']}){test}")
    if cu["fix"]:
        lines.append(f"      fix: {cu['fix']}")
    smi = cu["nvidia_smi"]
    if smi.get("gpus"):
        lines.append("      nvidia-smi: " + "; ".join(smi["gpus"]))
    else:
        lines.append(f"      nvidia-smi: {smi.get('detail', '')}")
    lines.append("")
    lines.append(f"auto -> {report['auto']['device']}: {report['auto']['reason']}")
    return "\n".join(lines)


def doctor(as_json: bool = False, file=None) -> Dict[str, Any]:
    """Prints the report (to stdout by default) and returns it as a dict."""
    report = collect()
    out = file or sys.stdout
    print(json.dumps(report, indent=2) if as_json else render(report), file=out)
    return report
