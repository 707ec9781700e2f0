"""Benchmarks: facemesh_native against its references, on the same inputs, in one run.

    python -m facemesh_native.bench models [--iters 200] [--threads 1 2] [--batch 1 4]
    python -m facemesh_native.bench pipeline [--iters 100] [--device cpu] [--threads N]
    python -m facemesh_native.bench tasks [--iters 100] [--device cpu] [--threads N]

`models` runs each face model on our CPU engine and on ai-edge-litert's interpreter (XNNPACK),
alternating call by call so both see the same machine state, and prints per-call medians and the
ratio ours/LiteRT (below 1.0: we are faster). It also reports the memory a loaded model adds to
the process (RSS growth, measured in a fresh subprocess per engine).

`pipeline` runs the whole FaceMesh on the bundled photos (static, tracking, tracking with
refine, 4 faces with max_num_faces 5) on facemesh_native and on mediapipe 0.10.21's legacy
solution (in this process if mediapipe imports, else in the reference virtual environment made
by tools/make_reference_venv.sh), and prints per-frame medians and ours/mediapipe.

`tasks` runs the Tasks FaceLandmarker (blendshapes and matrices on) on the same frames with
facemesh_native.tasks and with mediapipe 0.10.21's mediapipe.tasks (found as for `pipeline`),
reading the same face_landmarker.task: IMAGE and VIDEO mode, 1 and 4 faces.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, List

import numpy as np

from ._model import Model, model_path

BENCH_MODELS = {
    "face_detection_short_range": (128, (-1.0, 1.0)),
    "face_landmark": (192, (0.0, 1.0)),
}


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _litert_runner(name: str, threads: int, batch: int) -> Callable[[np.ndarray], None]:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path(name)), num_threads=threads)
    idx = it.get_input_details()[0]["index"]
    if batch != 1:
        shape = list(it.get_input_details()[0]["shape"])
        shape[0] = batch
        it.resize_tensor_input(idx, shape)
    it.allocate_tensors()

    def run(x):
        it.set_tensor(idx, x)
        it.invoke()

    return run


def _time_alternating(fns: List[Callable[[], None]], iters: int, warmup: int = 10):
    for _ in range(warmup):
        for f in fns:
            f()
    times = [[] for _ in fns]
    for _ in range(iters):
        for k, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return [statistics.median(t) * 1e3 for t in times]


def _rss_probe(engine: str, name: str) -> float:
    """RSS growth in MiB from loading `name` on `engine` and running it once (fresh process)."""
    code = f"""
import resource, numpy as np, sys
def rss():
    with open('/proc/self/status') as f:
        for l in f:
            if l.startswith('VmRSS'): return int(l.split()[1]) / 1024.0
engine, name = {engine!r}, {name!r}
if engine == 'ours':
    import facemesh_native as fm
else:
    from ai_edge_litert.interpreter import Interpreter
base = rss()
if engine == 'ours':
    m = fm.Model(name, num_threads=1, device='cpu')
    x = np.zeros(m.inputs[0]['shape'], np.float32); m.run([x])
else:
    from facemesh_native import model_path
    it = Interpreter(model_path=str(model_path(name)), num_threads=1); it.allocate_tensors()
    d = it.get_input_details()[0]; it.set_tensor(d['index'], np.zeros(d['shape'], np.float32)); it.invoke()
print(rss() - base)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_models(args) -> dict:
    try:
        import ai_edge_litert  # noqa: F401
        have_litert = True
    except ImportError:
        have_litert = False
        print("ai-edge-litert is not installed: printing our figures only "
              "(pip install ai-edge-litert for the comparison)")
    rows = []
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}")
    print(f"{'model':28s} {'thr':>3s} {'batch':>5s} {'ours ms':>9s} {'litert ms':>10s} {'ratio':>6s}")
    for name, (size, (lo, hi)) in BENCH_MODELS.items():
        for threads in args.threads:
            for batch in args.batch:
                x = np.random.default_rng(0).uniform(lo, hi, (batch, size, size, 3)).astype(np.float32)
                ours = Model(name, num_threads=threads, device=args.device,
                             allow_software=args.allow_software, max_batch=max(args.batch),
                             precision=args.precision)
                fns = [lambda: ours.run([x])]
                if have_litert:
                    lr = _litert_runner(name, threads, batch)
                    fns.append(lambda: lr(x))
                t = _time_alternating(fns, args.iters)
                ratio = t[0] / t[1] if have_litert else float("nan")
                lt = f"{t[1]:10.3f}" if have_litert else f"{'-':>10s}"
                print(f"{name:28s} {threads:3d} {batch:5d} {t[0]:9.3f} {lt} {ratio:6.2f}")
                rows.append({"model": name, "threads": threads, "batch": batch, "ours_ms": t[0],
                             "litert_ms": t[1] if have_litert else None, "ratio": ratio})
    mem = {}
    for name in (BENCH_MODELS if args.device == "cpu" else []):
        mem[name] = {"ours_mib": _rss_probe("ours", name)}
        if have_litert:
            mem[name]["litert_mib"] = _rss_probe("litert", name)
        print(f"memory {name}: ours +{mem[name]['ours_mib']:.1f} MiB"
              + (f", litert +{mem[name]['litert_mib']:.1f} MiB" if have_litert else ""))
    return {"machine": cpu_name(), "rows": rows, "memory": mem}


# ---------------------------------------------------------------------------------------------
# pipeline: facemesh_native.FaceMesh vs mediapipe.solutions.face_mesh.FaceMesh

PIPELINE_ROWS = [
    # name, image, static_image_mode, refine_landmarks, max_num_faces
    ("static", "astronaut.png", True, False, 1),
    ("tracking", "astronaut.png", False, False, 1),
    ("tracking+refine", "astronaut.png", False, True, 1),
    ("4 faces (max 5)", "four_faces.png", False, False, 5),
]

# Runs mediapipe on the same rows and prints one JSON line of medians (ms). Executed in this
# process when mediapipe imports, else by the reference virtual environment's interpreter.
_MEDIAPIPE_SCRIPT = r"""
import json, statistics, sys, time
import cv2
import mediapipe as mp
rows, data_dir, iters, warmup = json.loads(sys.argv[1])
out = {}
for name, image, static, refine, max_faces in rows:
    rgb = cv2.imread(data_dir + "/" + image, cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=static, max_num_faces=max_faces,
                                         refine_landmarks=refine) as m:
        for _ in range(warmup):
            m.process(rgb)
        ts = []
        for _ in range(iters):
            t = time.perf_counter(); r = m.process(rgb); ts.append(time.perf_counter() - t)
        n = len(r.multi_face_landmarks or [])
    out[name] = {"ms": statistics.median(ts) * 1e3, "faces": n}
print("FMN_RESULT " + json.dumps(out))
"""


def _data_dir() -> str:
    from pathlib import Path
    return str(Path(__file__).resolve().parent / "data")


def _mediapipe_python(explicit: str | None) -> list:
    """The command that runs _MEDIAPIPE_SCRIPT: this interpreter when mediapipe imports here,
    else the reference venv (tools/make_reference_venv.sh) or FMN_MEDIAPIPE_PYTHON."""
    if explicit:
        return [explicit]
    try:
        import mediapipe  # noqa: F401
        return [sys.executable]
    except ImportError:
        pass
    from pathlib import Path
    candidates = [os.environ.get("FMN_MEDIAPIPE_PYTHON", "")]
    here = Path.cwd()
    for base in [here, *here.parents][:4]:
        candidates.append(str(base / ".venv-ref" / "bin" / "python"))
    for c in candidates:
        if c and Path(c).exists():
            return [c]
    return []


def bench_pipeline(args) -> dict:
    import cv2

    from ._face_mesh import FaceMesh

    rows = PIPELINE_ROWS
    mp_cmd = _mediapipe_python(args.mediapipe_python)
    mp_result = {}
    if mp_cmd:
        payload = json.dumps([rows, _data_dir(), args.iters, args.warmup])
        proc = subprocess.run(mp_cmd + ["-c", _MEDIAPIPE_SCRIPT, payload], capture_output=True,
                              text=True)
        line = [l for l in proc.stdout.splitlines() if l.startswith("FMN_RESULT ")]
        if proc.returncode != 0 or not line:
            print("mediapipe run failed:\n" + proc.stderr[-2000:])
        else:
            mp_result = json.loads(line[-1][len("FMN_RESULT "):])
    else:
        print("mediapipe 0.10.21 not found (pip install mediapipe==0.10.21 on CPython 3.11, or "
              "tools/make_reference_venv.sh, or --mediapipe-python PATH): our figures only")
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}, "
          f"threads {args.threads or 'all'}")
    print(f"{'row':18s} {'faces':>5s} {'ours ms':>9s} {'mediapipe ms':>13s} {'ratio':>6s}")
    out_rows = []
    for name, image, static, refine, max_faces in rows:
        rgb = cv2.imread(os.path.join(_data_dir(), image), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        with FaceMesh(static_image_mode=static, max_num_faces=max_faces, refine_landmarks=refine,
                      device=args.device, num_threads=args.threads,
                      allow_software=args.allow_software, precision=args.precision) as m:
            for _ in range(args.warmup):
                m.process(rgb)
            ts = []
            for _ in range(args.iters):
                t = time.perf_counter()
                r = m.process(rgb)
                ts.append(time.perf_counter() - t)
            faces = len(r.landmarks)
        ours = statistics.median(ts) * 1e3
        theirs = mp_result.get(name, {}).get("ms")
        ratio = ours / theirs if theirs else float("nan")
        tt = f"{theirs:13.3f}" if theirs else f"{'-':>13s}"
        print(f"{name:18s} {faces:5d} {ours:9.3f} {tt} {ratio:6.2f}")
        out_rows.append({"row": name, "faces": faces, "ours_ms": ours, "mediapipe_ms": theirs,
                         "ratio": ratio, "device": r.device})
    return {"machine": cpu_name(), "rows": out_rows}


# (row, image, mode, num_faces): the Tasks FaceLandmarker rows, both outputs on.
TASKS_ROWS = [
    ("image_1face", "astronaut.png", "IMAGE", 1),
    ("image_4faces", "four_faces.png", "IMAGE", 4),
    ("video_1face", "astronaut.png", "VIDEO", 1),
    ("video_4faces", "four_faces.png", "VIDEO", 4),
]

_MEDIAPIPE_TASKS_SCRIPT = r"""
import json, statistics, sys, time
import cv2
import mediapipe as mp
from mediapipe.tasks import python as mpp
from mediapipe.tasks.python import vision
rows, data_dir, task, iters, warmup = json.loads(sys.argv[1])
out = {}
for name, image, mode, faces in rows:
    rgb = cv2.imread(data_dir + "/" + image, cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    img = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
    opts = vision.FaceLandmarkerOptions(base_options=mpp.BaseOptions(model_asset_path=task),
        running_mode=getattr(vision.RunningMode, mode), num_faces=faces,
        output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    with vision.FaceLandmarker.create_from_options(opts) as lm:
        call = (lambda i: lm.detect(img)) if mode == "IMAGE" else (lambda i: lm.detect_for_video(img, i * 33))
        for i in range(warmup):
            call(i)
        ts = []
        for i in range(warmup, warmup + iters):
            t = time.perf_counter(); r = call(i); ts.append(time.perf_counter() - t)
    out[name] = {"ms": statistics.median(ts) * 1e3, "faces": len(r.face_landmarks)}
print("FMN_RESULT " + json.dumps(out))
"""


def bench_tasks(args) -> dict:
    import cv2

    from ._image import Image, ImageFormat
    from .tasks.python import BaseOptions
    from .tasks.python import vision
    from .tasks.python.vision._bundle import default_bundle_path

    task = str(default_bundle_path())
    mp_cmd = _mediapipe_python(args.mediapipe_python)
    mp_result = {}
    if mp_cmd:
        payload = json.dumps([TASKS_ROWS, _data_dir(), task, args.iters, args.warmup])
        proc = subprocess.run(mp_cmd + ["-c", _MEDIAPIPE_TASKS_SCRIPT, payload],
                              capture_output=True, text=True)
        line = [l for l in proc.stdout.splitlines() if l.startswith("FMN_RESULT ")]
        if proc.returncode != 0 or not line:
            print("mediapipe run failed:\n" + proc.stderr[-2000:])
        else:
            mp_result = json.loads(line[-1][len("FMN_RESULT "):])
    else:
        print("mediapipe 0.10.21 not found (pip install mediapipe==0.10.21 on CPython 3.11, or "
              "tools/make_reference_venv.sh, or --mediapipe-python PATH): our figures only")
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}, "
          f"threads {args.threads or 'all'}")
    print(f"{'row':14s} {'faces':>5s} {'ours ms':>9s} {'mediapipe ms':>13s} {'ratio':>6s}")
    out_rows = []
    for name, image, mode, faces in TASKS_ROWS:
        rgb = cv2.imread(os.path.join(_data_dir(), image), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        img = Image(ImageFormat.SRGB, rgb)
        opts = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=task, device=args.device),
            running_mode=getattr(vision.RunningMode, mode), num_faces=faces,
            output_face_blendshapes=True, output_facial_transformation_matrixes=True,
            num_threads=args.threads)
        if args.allow_software:
            os.environ["FMN_ALLOW_SOFTWARE_GL"] = "1"
        with vision.FaceLandmarker.create_from_options(opts) as lm:
            call = (lambda i: lm.detect(img)) if mode == "IMAGE" else \
                (lambda i: lm.detect_for_video(img, i * 33))
            for i in range(args.warmup):
                call(i)
            ts = []
            for i in range(args.warmup, args.warmup + args.iters):
                t = time.perf_counter()
                r = call(i)
                ts.append(time.perf_counter() - t)
        ours = statistics.median(ts) * 1e3
        theirs = mp_result.get(name, {}).get("ms")
        ratio = ours / theirs if theirs else float("nan")
        tt = f"{theirs:13.3f}" if theirs else f"{'-':>13s}"
        print(f"{name:14s} {len(r.landmarks):5d} {ours:9.3f} {tt} {ratio:6.2f}")
        out_rows.append({"row": name, "faces": len(r.landmarks), "ours_ms": ours,
                         "mediapipe_ms": theirs, "ratio": ratio, "device": r.device})
    return {"machine": cpu_name(), "rows": out_rows}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m facemesh_native.bench")
    sub = p.add_subparsers(dest="what", required=True)
    m = sub.add_parser("models", help="raw model inference: ours vs LiteRT (XNNPACK)")
    m.add_argument("--iters", type=int, default=200)
    m.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    m.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    m.add_argument("--device", default="cpu", help="cpu, gl, gl:N, gpu or auto")
    m.add_argument("--allow-software", action="store_true",
                   help="let --device gl use a software rasterizer (correctness only)")
    m.add_argument("--precision", default="fp32", choices=["fp32", "fp16"],
                   help="GPU storage precision")
    m.add_argument("--json", help="also write the results to this file")
    pl = sub.add_parser("pipeline", help="whole FaceMesh: ours vs mediapipe 0.10.21")
    pl.add_argument("--iters", type=int, default=100)
    pl.add_argument("--warmup", type=int, default=10)
    pl.add_argument("--device", default="cpu", help="cpu, gl, gl:N, gpu or auto")
    pl.add_argument("--allow-software", action="store_true",
                    help="let --device gl use a software rasterizer (correctness only)")
    pl.add_argument("--threads", type=int, default=None, help="native threads (default: all)")
    pl.add_argument("--precision", default="fp32", choices=["fp32", "fp16"],
                    help="GPU storage precision")
    pl.add_argument("--mediapipe-python", help="interpreter that can import mediapipe 0.10.21")
    pl.add_argument("--json", help="also write the results to this file")
    tk = sub.add_parser("tasks", help="Tasks FaceLandmarker: ours vs mediapipe 0.10.21")
    tk.add_argument("--iters", type=int, default=100)
    tk.add_argument("--warmup", type=int, default=10)
    tk.add_argument("--device", default="cpu", help="cpu, gl, gl:N, gpu or auto")
    tk.add_argument("--allow-software", action="store_true",
                    help="let --device gl use a software rasterizer (correctness only)")
    tk.add_argument("--threads", type=int, default=None, help="native threads (default: all)")
    tk.add_argument("--mediapipe-python", help="interpreter that can import mediapipe 0.10.21")
    tk.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    result = {"models": bench_models, "pipeline": bench_pipeline,
              "tasks": bench_tasks}[args.what](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
