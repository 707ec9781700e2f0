"""Honest device selection and `doctor`: no libEGL, a software-only GL, a context that cannot
be created, and a machine with a hardware GPU (simulated by injecting its probe)."""
import json
import os
import subprocess
import sys

import pytest

import facemesh_native as fm
from facemesh_native import _devices, _doctor as doctor


def run_py(code, **env):
    e = dict(os.environ)
    e.update(env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_unknown_devices_are_value_errors():
    for bad in ["tpu", "gl:x", "cuda:x", "cuda:1234", "", 3]:
        with pytest.raises(ValueError, match="known devices"):
            fm.Model("face_landmark", device=bad)


def test_no_libegl_falls_back_to_cpu_with_reason():
    code = r"""
import json, facemesh_native as fm
from facemesh_native._doctor import collect
r = collect()
m = fm.Model("face_landmark")
try:
    fm.Model("face_landmark", device="gl", allow_software=True); gl = "created"
except RuntimeError as e:
    gl = str(e)
print(json.dumps({"doctor": r, "auto": m.device, "reason": m.device_reason, "gl": gl}))
"""
    out = json.loads(run_py(code, FMN_EGL_LIBRARY="/nonexistent/libEGL.so.1").splitlines()[-1])
    gl = out["doctor"]["backends"]["gl"]
    assert gl["found"] is False and gl["usable"] is False
    assert "libEGL" in gl["reason"] and "/nonexistent/libEGL.so.1" in gl["reason"]
    assert "apt-get install libegl1" in gl["fix"]
    assert out["doctor"]["auto"]["device"] == "cpu"
    assert out["auto"] == "cpu" and "libEGL" in out["reason"]
    assert out["gl"] != "created" and "EGL" in out["gl"]


def test_not_an_egl_library_is_reported():
    code = "import json; from facemesh_native._doctor import collect; print(json.dumps(collect()))"
    out = json.loads(run_py(code, FMN_EGL_LIBRARY="libm.so.6").splitlines()[-1])
    gl = out["backends"]["gl"]
    assert not gl["usable"] and gl["reason"]


def _software_only_probe():
    return {"egl_loaded": True, "egl_library": "libEGL.so.1", "load_error": "", "devices": [
        {"index": 0, "platform": "device", "gl_renderer": "llvmpipe (LLVM 15.0.6, 256 bits)",
         "gl_version": "OpenGL ES 3.2 Mesa", "software": True, "usable": True, "reason": ""}]}


def _software_not_started_probe():
    """What the hardware-only probe sees on a machine with Mesa only."""
    return {"egl_loaded": True, "egl_library": "libEGL.so.1", "load_error": "", "devices": [
        {"index": 0, "platform": "device", "gl_renderer": "", "gl_version": "", "software": True,
         "usable": False, "reason": "software rasterizer (EGL_MESA_device_software); not "
                                    "started by the hardware-only probe"},
        {"index": 1, "platform": "surfaceless", "gl_renderer": "", "gl_version": "",
         "software": False, "usable": False,
         "reason": "not started by the hardware-only probe (EGL enumerates the devices)"}]}


def _hardware_probe():
    return {"egl_loaded": True, "egl_library": "libEGL.so.1", "load_error": "", "devices": [
        {"index": 0, "platform": "device", "gl_renderer": "NVIDIA H100 80GB HBM3/PCIe/SSE2",
         "gl_version": "OpenGL ES 3.2 NVIDIA 570.00", "software": False, "usable": True,
         "reason": ""},
        {"index": 1, "platform": "device", "gl_renderer": "llvmpipe", "gl_version": "ES 3.2",
         "software": True, "usable": True, "reason": ""}]}


def _broken_probe():
    return {"egl_loaded": True, "egl_library": "libEGL.so.1", "load_error": "", "devices": [
        {"index": 0, "platform": "device", "gl_renderer": "", "gl_version": "",
         "software": False, "usable": False,
         "reason": "eglCreateContext failed: EGL_BAD_MATCH (0x3009)"}]}


@pytest.mark.parametrize("probe,auto,usable,words", [
    (_software_only_probe, "cpu", False, "software rasterizer"),
    (_software_not_started_probe, "cpu", False, "software rasterizer"),
    (_hardware_probe, "gl:0", True, "NVIDIA"),
    (_broken_probe, "cpu", False, "EGL_BAD_MATCH (0x3009)"),
])
def test_selection_logic(monkeypatch, probe, auto, usable, words):
    monkeypatch.setattr(_devices, "gl_probe", lambda refresh=False, hardware_only=False: probe())
    monkeypatch.setattr(doctor, "gl_probe", lambda refresh=False, hardware_only=False: probe())
    choice = _devices.choose_auto()
    assert choice.device == auto
    assert words in choice.reason
    rep = doctor.collect()
    assert rep["backends"]["gl"]["usable"] is usable
    assert rep["auto"]["device"] == auto
    text = doctor.render(rep)
    assert f"auto -> {auto}" in text
    if usable:
        assert _devices.resolve("gpu").device == "gl:0"
    else:
        assert rep["backends"]["gl"]["fix"]
        assert words in rep["backends"]["gl"]["reason"]
        with pytest.raises(RuntimeError, match="no hardware GPU"):
            _devices.resolve("gpu")


def test_auto_never_picks_software_here():
    m = fm.Model("face_landmark")
    if _devices.choose_auto().device == "cpu":
        assert m.device == "cpu" and m.device_reason
    with fm.FaceMesh() as mesh:
        assert mesh.device in ("cpu", "gl")
        assert mesh.device_report["reason"]
        if mesh.device == "gl":
            assert "llvmpipe" not in str(mesh.device_report).lower()


def test_gl_without_allow_software_explains():
    probe = _devices.gl_probe()
    if probe is None or _devices.choose_auto().device != "cpu" or not probe.get("egl_loaded"):
        pytest.skip("needs a machine whose only GL is a software rasterizer")
    if not any(d.get("usable") for d in probe["devices"]):
        pytest.skip("no usable GL device at all")
    with pytest.raises(RuntimeError, match="allow_software"):
        fm.FaceMesh(device="gl")
    with pytest.raises(RuntimeError, match="allow_software|does not exist|no usable"):
        fm.Model("face_landmark", device="gl:99", allow_software=True)


def test_doctor_function(capsys):
    rep = fm.doctor()
    assert set(rep["backends"]) == {"cpu", "gl", "cuda"}
    assert "auto ->" in capsys.readouterr().out


def test_doctor_command_line():
    out = subprocess.run([sys.executable, "-m", "facemesh_native", "doctor"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for word in ("cpu", "gl", "cuda", "auto ->"):
        assert word in out.stdout
    js = subprocess.run([sys.executable, "-m", "facemesh_native", "doctor", "--json"],
                        capture_output=True, text=True, timeout=300)
    rep = json.loads(js.stdout)
    assert set(rep["backends"]) == {"cpu", "gl", "cuda"}
    assert rep["auto"]["device"] in ("cpu",) or rep["auto"]["device"].startswith("gl:")
