"""Benchmarks: facemesh_native against its references, on the same inputs, in one run.

    python -m facemesh_native.bench models [--iters 200] [--threads 1 2] [--batch 1 4]
    python -m facemesh_native.bench pipeline [--iters 100] [--device cpu] [--threads N]
    python -m facemesh_native.bench tasks [--iters 100] [--device cpu] [--threads N]
    python -m facemesh_native.bench detection [--iters 200] [--device cpu] [--threads N]
    python -m facemesh_native.bench dataset [--videos 4] [--frames 300] [--workers 2]

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
`detection` runs FaceDetection (short and full range, 1 and 4 faces) on facemesh_native and
on mediapipe 0.10.21's solutions.face_detection (found as for `pipeline`).
`dataset` writes synthetic H.264 videos (the astronaut moving, 640x480) and times the whole
dataset path on both sides, decoding included: `facemesh-native landmarks --workers 2` (PyAV
decode, npz out) against mediapipe 0.10.21 in a 2-process pool (OpenCV decode +
`solutions.face_mesh`, one FaceMesh per video, landmarks saved as npz), run by the reference
interpreter (--reference-python). It prints frames/s for both and the wall-time ratio.
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
    "face_detection_full_range_sparse": (192, (-1.0, 1.0)),
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
                print(f"{name:28s} {threads:3d} {batch:5d} {t[0]:9.3f} {lt} {ratio:6.2f}"
                      f"  ({ours.device_name}; {batch * 1e3 / t[0]:.0f} samples/s)")
                rows.append({"model": name, "threads": threads, "batch": batch, "ours_ms": t[0],
                             "litert_ms": t[1] if have_litert else None, "ratio": ratio,
                             "device": ours.device_name})
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


def _median_ms(call: Callable[[int], object], iters: int, warmup: int):
    """call(i) for i in 0..warmup-1 untimed, then warmup..warmup+iters-1 timed: the median in
    milliseconds and the last result."""
    for i in range(warmup):
        call(i)
    ts = []
    for i in range(warmup, warmup + iters):
        t = time.perf_counter()
        r = call(i)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3, r


def _run_mediapipe(cmd: list, script: str, payload) -> dict:
    """Runs a reference script (its argument: `payload` as JSON) with `cmd` and returns what
    it printed after FMN_RESULT, or {} (with the reason printed) when mediapipe is missing or
    the run failed."""
    if not cmd:
        print("mediapipe 0.10.21 not found (pip install mediapipe==0.10.21 on CPython 3.11, or "
              "tools/make_reference_venv.sh, or --mediapipe-python PATH): our figures only")
        return {}
    proc = subprocess.run(cmd + ["-c", script, json.dumps(payload)], capture_output=True,
                          text=True)
    line = [l for l in proc.stdout.splitlines() if l.startswith("FMN_RESULT ")]
    if proc.returncode != 0 or not line:
        print("mediapipe run failed:\n" + proc.stderr[-2000:])
        return {}
    return json.loads(line[-1][len("FMN_RESULT "):])


def bench_pipeline(args) -> dict:
    import cv2

    from ._face_mesh import FaceMesh

    rows = PIPELINE_ROWS
    mp_result = _run_mediapipe(_mediapipe_python(args.mediapipe_python), _MEDIAPIPE_SCRIPT,
                               [rows, _data_dir(), args.iters, args.warmup])
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}, "
          f"threads {args.threads or 'all'}")
    print(f"{'row':18s} {'faces':>5s} {'ours ms':>9s} {'mediapipe ms':>13s} {'ratio':>6s}")
    out_rows = []
    for name, image, static, refine, max_faces in rows:
        rgb = cv2.imread(os.path.join(_data_dir(), image), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        with FaceMesh(static_image_mode=static, max_num_faces=max_faces, refine_landmarks=refine,
                      device=args.device, num_threads=args.threads,
                      allow_software=args.allow_software, precision=args.precision) as m:
            ours, r = _median_ms(lambda i: m.process(rgb), args.iters, args.warmup)
            faces = len(r.landmarks)
        theirs = mp_result.get(name, {}).get("ms")
        ratio = ours / theirs if theirs else float("nan")
        tt = f"{theirs:13.3f}" if theirs else f"{'-':>13s}"
        print(f"{name:18s} {faces:5d} {ours:9.3f} {tt} {ratio:6.2f}")
        out_rows.append({"row": name, "faces": faces, "ours_ms": ours, "mediapipe_ms": theirs,
                         "ratio": ratio, "device": r.device})
    return {"machine": cpu_name(), "rows": out_rows}


# (row, image, model_selection): the FaceDetection rows.
DETECTION_ROWS = [
    ("short_1face", "astronaut.png", 0),
    ("short_4faces", "four_faces.png", 0),
    ("full_1face", "astronaut.png", 1),
    ("full_4faces", "four_faces.png", 1),
]

_MEDIAPIPE_DETECTION_SCRIPT = r"""
import json, statistics, sys, time
import cv2
from mediapipe.python.solutions import face_detection
rows, data_dir, iters, warmup = json.loads(sys.argv[1])
out = {}
for name, image, model in rows:
    rgb = cv2.imread(data_dir + "/" + image, cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    with face_detection.FaceDetection(model_selection=model) as fd:
        for _ in range(warmup):
            fd.process(rgb)
        ts = []
        for _ in range(iters):
            t = time.perf_counter(); r = fd.process(rgb); ts.append(time.perf_counter() - t)
    out[name] = {"ms": statistics.median(ts) * 1e3, "faces": len(r.detections or [])}
print("FMN_RESULT " + json.dumps(out))
"""


def bench_detection(args) -> dict:
    """FaceDetection, both models, on facemesh_native and on mediapipe 0.10.21's solution."""
    import cv2

    from ._face_detection import FaceDetection

    mp_result = _run_mediapipe(_mediapipe_python(args.mediapipe_python),
                               _MEDIAPIPE_DETECTION_SCRIPT,
                               [DETECTION_ROWS, _data_dir(), args.iters, args.warmup])
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}, "
          f"threads {args.threads or 'default'}")
    print(f"{'row':14s} {'faces':>5s} {'ours ms':>9s} {'mediapipe ms':>13s} {'ratio':>6s}")
    out_rows = []
    for name, image, model in DETECTION_ROWS:
        rgb = cv2.imread(os.path.join(_data_dir(), image), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        with FaceDetection(model_selection=model, device=args.device, num_threads=args.threads,
                           allow_software=args.allow_software) as fd:
            ours, r = _median_ms(lambda i: fd.process(rgb), args.iters, args.warmup)
        theirs = mp_result.get(name, {}).get("ms")
        ratio = ours / theirs if theirs else float("nan")
        tt = f"{theirs:13.3f}" if theirs else f"{'-':>13s}"
        print(f"{name:14s} {len(r.array):5d} {ours:9.3f} {tt} {ratio:6.2f}")
        out_rows.append({"row": name, "faces": len(r.array), "ours_ms": ours,
                         "mediapipe_ms": theirs, "ratio": ratio, "device": r.device})
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
    mp_result = _run_mediapipe(_mediapipe_python(args.mediapipe_python),
                               _MEDIAPIPE_TASKS_SCRIPT,
                               [TASKS_ROWS, _data_dir(), task, args.iters, args.warmup])
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
            ours, r = _median_ms(call, args.iters, args.warmup)
        theirs = mp_result.get(name, {}).get("ms")
        ratio = ours / theirs if theirs else float("nan")
        tt = f"{theirs:13.3f}" if theirs else f"{'-':>13s}"
        print(f"{name:14s} {len(r.landmarks):5d} {ours:9.3f} {tt} {ratio:6.2f}")
        out_rows.append({"row": name, "faces": len(r.landmarks), "ours_ms": ours,
                         "mediapipe_ms": theirs, "ratio": ratio, "device": r.device})
    return {"machine": cpu_name(), "rows": out_rows}
# ---------------------------------------------------------------------------------------------
# dataset: the landmarks CLI with N workers vs mediapipe in an N-process pool, decode included

_MEDIAPIPE_DATASET_SCRIPT = r"""
import json, multiprocessing as mp, os, sys, time
videos, outdir, workers = json.loads(sys.argv[1])

def one(path):
    import cv2, numpy as np
    import mediapipe as mpipe
    cap = cv2.VideoCapture(path)
    frames, faces, rows = 0, 0, []
    with mpipe.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1) as m:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            r = m.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            for f in (r.multi_face_landmarks or []):
                rows.append([(p.x, p.y, p.z) for p in f.landmark])
                faces += 1
            frames += 1
    cap.release()
    np.savez(os.path.join(outdir, os.path.basename(path) + ".npz"),
             landmarks=np.asarray(rows, np.float32))
    return frames, faces

if __name__ == "__main__":
    t = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        res = pool.map(one, videos, chunksize=1)
    dt = time.perf_counter() - t
    print("FMN_RESULT " + json.dumps({"seconds": dt, "frames": sum(r[0] for r in res),
                                      "faces": sum(r[1] for r in res)}))
"""


def make_bench_videos(folder: str, count: int, frames: int, size=(640, 480), fps: int = 30):
    """`count` H.264 (else MPEG-4) videos of the astronaut moving and turning, `frames` each."""
    import math
    from fractions import Fraction

    import av
    import cv2

    from ._overlay import video_codec
    rgb = cv2.imread(os.path.join(_data_dir(), "astronaut.png"), cv2.IMREAD_COLOR)[:, :, ::-1]
    w, h = size
    paths = []
    for v in range(count):
        path = os.path.join(folder, f"bench_{v}.mp4")
        with av.open(path, "w", format="mp4") as c:
            s = c.add_stream(video_codec(), rate=Fraction(fps))
            s.width, s.height, s.pix_fmt = w, h, "yuv420p"
            for t in range(frames):
                a = t / fps + v
                m = cv2.getRotationMatrix2D((225.0, 125.0), 12 * math.sin(a), 0.9 + 0.2 * math.sin(a / 2))
                m[:, 2] += (w / 2 - 225 + 80 * math.sin(a / 3), h / 2 - 125 + 40 * math.cos(a / 2))
                img = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=(40, 60, 80))
                f = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
                f.pts = t
                for p in s.encode(f):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
        paths.append(path)
    return paths


def bench_dataset(args) -> dict:
    import tempfile
    tmp = tempfile.mkdtemp(prefix="fmn-bench-dataset-")
    vids = os.path.join(tmp, "videos")
    os.makedirs(vids)
    t = time.perf_counter()
    paths = make_bench_videos(vids, args.videos, args.frames)
    print(f"made {args.videos} videos x {args.frames} frames (640x480) in "
          f"{time.perf_counter() - t:.1f} s")
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; device {args.device}, "
          f"{args.workers} workers")
    rep_path = os.path.join(tmp, "ours.json")
    ours_runs = []
    for r in range(args.repeat):
        out = os.path.join(tmp, f"ours{r}")
        cmd = [sys.executable, "-m", "facemesh_native", "landmarks", vids, "-o", out,
               "--format", "npz", "--workers", str(args.workers), "--device", args.device,
               "--quiet", "--json", rep_path]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError("facemesh-native landmarks failed:\n" + proc.stderr[-2000:])
        with open(rep_path) as f:
            rep = json.load(f)
        ours_runs.append({"seconds": rep["seconds"], "process_seconds": wall,
                          "frames": rep["frames"], "faces": rep["faces"], "device": rep["device"]})
    ours = min(ours_runs, key=lambda x: x["seconds"])
    print(f"ours:      {ours['frames']} frames, {ours['faces']} faces, {ours['seconds']:.2f} s "
          f"-> {ours['frames'] / ours['seconds']:.1f} frames/s (device {ours['device']})")
    theirs = None
    mp_cmd = _mediapipe_python(args.reference_python)
    if mp_cmd:
        runs = []
        # A file, not -c: the pool's spawned workers import __main__ from its path.
        script = os.path.join(tmp, "mediapipe_dataset.py")
        with open(script, "w") as f:
            f.write(_MEDIAPIPE_DATASET_SCRIPT)
        for r in range(args.repeat):
            out = os.path.join(tmp, f"mp{r}")
            os.makedirs(out)
            payload = json.dumps([paths, out, args.workers])
            try:
                proc = subprocess.run(mp_cmd + [script, payload], capture_output=True, text=True,
                                      timeout=max(120.0, 20 * ours["process_seconds"]))
            except subprocess.TimeoutExpired as e:
                print(f"mediapipe run timed out after {e.timeout:.0f} s")
                break
            line = [l for l in proc.stdout.splitlines() if l.startswith("FMN_RESULT ")]
            if proc.returncode != 0 or not line:
                print("mediapipe run failed:\n" + proc.stderr[-2000:])
                break
            runs.append(json.loads(line[-1][len("FMN_RESULT "):]))
        if runs:
            theirs = min(runs, key=lambda x: x["seconds"])
            print(f"mediapipe: {theirs['frames']} frames, {theirs['faces']} faces, "
                  f"{theirs['seconds']:.2f} s -> {theirs['frames'] / theirs['seconds']:.1f} frames/s")
    else:
        print("mediapipe 0.10.21 not found (--reference-python PATH, FMN_MEDIAPIPE_PYTHON or "
              ".venv-ref): our figures only")
    ratio = ours["seconds"] / theirs["seconds"] if theirs else float("nan")
    print(f"wall time ours/mediapipe: {ratio:.3f} (goal <= 0.4)")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return {"machine": cpu_name(), "videos": args.videos, "frames_per_video": args.frames,
            "workers": args.workers, "ours": ours, "mediapipe": theirs, "ratio": ratio}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m facemesh_native.bench")
    sub = p.add_subparsers(dest="what", required=True)
    m = sub.add_parser("models", help="raw model inference: ours vs LiteRT (XNNPACK)")
    m.add_argument("--iters", type=int, default=200)
    m.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    m.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    m.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, gl, gl:N, gpu or auto")
    m.add_argument("--allow-software", action="store_true",
                   help="let --device gl use a software rasterizer (correctness only)")
    m.add_argument("--precision", default="fp32", choices=["fp32", "fp16"],
                   help="GPU storage precision")
    m.add_argument("--json", help="also write the results to this file")
    pl = sub.add_parser("pipeline", help="whole FaceMesh: ours vs mediapipe 0.10.21")
    pl.add_argument("--iters", type=int, default=100)
    pl.add_argument("--warmup", type=int, default=10)
    pl.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, gl, gl:N, gpu or auto")
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
    tk.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, gl, gl:N, gpu or auto")
    tk.add_argument("--allow-software", action="store_true",
                    help="let --device gl use a software rasterizer (correctness only)")
    tk.add_argument("--threads", type=int, default=None, help="native threads (default: all)")
    tk.add_argument("--mediapipe-python", help="interpreter that can import mediapipe 0.10.21")
    tk.add_argument("--json", help="also write the results to this file")
    dt = sub.add_parser("detection", help="FaceDetection, both models: ours vs mediapipe 0.10.21")
    dt.add_argument("--iters", type=int, default=200)
    dt.add_argument("--warmup", type=int, default=10)
    dt.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, gl, gl:N, gpu or auto")
    dt.add_argument("--allow-software", action="store_true",
                    help="let --device gl use a software rasterizer (correctness only)")
    dt.add_argument("--threads", type=int, default=None, help="native threads (default: up to 4)")
    dt.add_argument("--mediapipe-python", help="interpreter that can import mediapipe 0.10.21")
    dt.add_argument("--json", help="also write the results to this file")
    ds = sub.add_parser("dataset", help="landmarks CLI with N workers vs mediapipe N-process pool")
    ds.add_argument("--videos", type=int, default=4)
    ds.add_argument("--frames", type=int, default=300, help="frames per video")
    ds.add_argument("--workers", type=int, default=2)
    ds.add_argument("--repeat", type=int, default=2, help="runs per side; the fastest counts")
    ds.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, gl, gl:N, gpu or auto")
    ds.add_argument("--reference-python", "--mediapipe-python", dest="reference_python",
                    help="interpreter that can import mediapipe 0.10.21 and cv2")
    ds.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    run = {"models": bench_models, "pipeline": bench_pipeline, "tasks": bench_tasks,
           "detection": bench_detection, "dataset": bench_dataset}
    result = run[args.what](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
