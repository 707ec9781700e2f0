"""Landmarks for whole datasets: videos and images in, one table per input out.

    fm.process_video(path, **options)     iterator of FrameResult (or .to_arrays())
    fm.process_images(paths, **options)   iterator of FrameResult, one per image (static mode)
    fm.landmarks_dataset(inputs, outdir, format="parquet", workers=1, **options)

Options (`LandmarkOptions`) follow FaceMesh's defaults: model "face_mesh", 468 points (478 with
refine), max_faces 1, tracking for videos unless static, device "auto". Videos are decoded with
PyAV (threaded, ahead of inference) and tracked in order on one pipeline; images run in static
mode. One worker holds one pipeline; a video always goes to one worker.
"""
from __future__ import annotations

import importlib
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np

from ._media import InputItem, Media, MediaError, MissingExtra, expand_inputs, require
from ._writers import FORMATS, OutputDir, get_writer, rows_to_arrays

MODELS = ("face_mesh", "face_landmarker")


@dataclass(frozen=True)
class LandmarkOptions:
    model: str = "face_mesh"
    refine: bool = False
    blendshapes: bool = False
    matrices: bool = False
    max_faces: int = 1
    static: bool = False
    device: str = "auto"
    every: int = 1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    num_threads: Optional[int] = None
    allow_software: bool = False

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; models: {', '.join(MODELS)}")
        if (self.blendshapes or self.matrices) and self.model != "face_landmarker":
            what = "blendshapes" if self.blendshapes else "matrices"
            raise ValueError(f"{what} come from the Tasks FaceLandmarker: add "
                             "model='face_landmarker' (--model face_landmarker)")
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every must be an int >= 1, got {self.every!r}")

    @property
    def points(self) -> int:
        return 478 if (self.refine or self.model == "face_landmarker") else 468


def _options(options: Optional[LandmarkOptions], kw: dict) -> LandmarkOptions:
    if options is not None and kw:
        return replace(options, **kw)
    return options if options is not None else LandmarkOptions(**kw)


@dataclass
class FrameResult:
    """One processed frame. landmarks (faces, points, 3) float32 normalised as FaceMesh's;
    rects (faces, 5); scores (faces,); blendshapes (faces, 52) and matrices (faces, 4, 4) only
    from the face_landmarker model; device: what ran it."""
    frame: int
    timestamp_ms: float
    landmarks: np.ndarray
    rects: np.ndarray
    scores: np.ndarray
    device: str
    blendshapes: Optional[np.ndarray] = None
    matrices: Optional[np.ndarray] = None


def check_device(device: str) -> None:
    """Rejects a device this machine cannot run, before any worker starts, with the reason
    (ValueError for an unknown name, RuntimeError saying why for a GPU that is not usable)."""
    from ._devices import resolve  # noqa: PLC0415
    resolve(str(device).strip().lower())


class Pipeline:
    """The models one worker holds: a tracking pipeline (videos, reset per video) and a static
    one (images), each made on first use and reused for every input."""

    def __init__(self, options: LandmarkOptions):
        self.o = options
        self._static = None
        self._tracking = None
        self.device = ""

    def _make(self, static: bool):
        o = self.o
        if o.model == "face_landmarker":
            return _Landmarker(o, static)
        from ._face_mesh import FaceMesh  # noqa: PLC0415
        return FaceMesh(static_image_mode=static, max_num_faces=o.max_faces,
                        refine_landmarks=o.refine,
                        min_detection_confidence=o.min_detection_confidence,
                        min_tracking_confidence=o.min_tracking_confidence, device=o.device,
                        num_threads=o.num_threads, allow_software=o.allow_software)

    def runner(self, video: bool) -> Callable[[np.ndarray, float, int], FrameResult]:
        """A function (rgb, timestamp_ms, frame) -> FrameResult for one input; a video starts
        with no tracked faces."""
        static = self.o.static or not video
        if static:
            if self._static is None:
                self._static = self._make(True)
            impl = self._static
        else:
            if self._tracking is None:
                self._tracking = self._make(False)
            else:
                self._tracking.reset()
            impl = self._tracking
        self.device = impl.device

        if isinstance(impl, _Landmarker):
            return impl.process

        def run(rgb, ts, frame):
            r = impl.process(rgb)
            return FrameResult(frame, ts, r.landmarks, r.face_rects, r.scores, r.device)
        return run


class _Landmarker:
    """The Tasks FaceLandmarker (facemesh_native.tasks) behind the same runner interface."""

    def __init__(self, o: LandmarkOptions, static: bool):
        try:
            vision = importlib.import_module("facemesh_native.tasks.python.vision")
            tasks_python = importlib.import_module("facemesh_native.tasks.python")
        except ImportError as err:
            raise RuntimeError("model 'face_landmarker' needs the Tasks FaceLandmarker "
                               "(facemesh_native.tasks), which this build of facemesh_native "
                               f"does not have ({err}); use --model face_mesh") from None
        self.static = static
        mode = vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO
        opts = vision.FaceLandmarkerOptions(
            base_options=tasks_python.BaseOptions(device=o.device),
            running_mode=mode, num_faces=o.max_faces,
            min_face_detection_confidence=o.min_detection_confidence,
            min_face_presence_confidence=o.min_tracking_confidence,
            min_tracking_confidence=o.min_tracking_confidence,
            output_face_blendshapes=o.blendshapes,
            output_facial_transformation_matrixes=o.matrices)
        self._opts, self._vision = opts, vision
        self._impl = vision.FaceLandmarker.create_from_options(opts)
        self.device = getattr(self._impl, "device", o.device)
        self._last_ms = -1

    def reset(self) -> None:
        self._impl.close()
        self._impl = self._vision.FaceLandmarker.create_from_options(self._opts)
        self._last_ms = -1

    def process(self, rgb, ts, frame) -> FrameResult:
        import facemesh_native as fm  # noqa: PLC0415
        image = fm.Image(image_format=fm.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self.static:
            r = self._impl.detect(image)
        else:
            ms = max(int(round(ts)), self._last_ms + 1)   # the Tasks API wants increasing ms
            self._last_ms = ms
            r = self._impl.detect_for_video(image, ms)
        lm = np.asarray(r.landmarks, np.float32).reshape(-1, 478, 3)
        n = len(lm)
        nan = np.full((n,), np.nan, np.float32)
        return FrameResult(frame, ts, lm, np.full((n, 5), np.nan, np.float32), nan,
                           getattr(r, "device", self.device),
                           np.asarray(r.blendshapes, np.float32).reshape(n, 52)
                           if self._opts.output_face_blendshapes else None,
                           np.asarray(r.matrices, np.float32).reshape(n, 4, 4)
                           if self._opts.output_facial_transformation_matrixes else None)


# ---------------------------------------------------------------------------------------------
# Python API

class VideoResults:
    """The frames of one video, processed lazily: iterate for FrameResults in frame order, or
    to_arrays() for the column arrays (see facemesh_native._writers). After iteration:
    frames_decoded, frames_processed, fps, width, height."""

    def __init__(self, path: str, options: LandmarkOptions, pipeline: Optional[Pipeline] = None):
        self.path = str(path)
        self.options = options
        self._pipeline = pipeline
        self.fps: Optional[float] = None
        self.width = self.height = 0
        self.frames_processed = 0
        self.device = ""

    def __iter__(self) -> Iterator[FrameResult]:
        pipeline = self._pipeline or Pipeline(self.options)
        with Media(self.path, threads=self.options.num_threads) as media:
            video = media.kind == "video"
            run = pipeline.runner(video)
            self.device = pipeline.device
            self.fps = media.fps
            every = self.options.every if video else 1
            for f in media.frames(every=every):
                self.height, self.width = f.rgb.shape[:2]
                res = run(f.rgb, f.timestamp_ms, f.index)
                self.frames_processed += 1
                yield res

    def to_arrays(self) -> Dict[str, np.ndarray]:
        o = self.options
        return rows_to_arrays(self, o.points, o.blendshapes, o.matrices)


def process_video(path, options: Optional[LandmarkOptions] = None, **kw) -> VideoResults:
    """Landmarks for every frame of a video (every `every`-th with every=K), tracked in order
    unless static=True. Returns VideoResults: iterate it, or call .to_arrays()."""
    require("av", "video", "process_video")
    return VideoResults(path, _options(options, kw))


def process_images(paths: Iterable, options: Optional[LandmarkOptions] = None,
                   **kw) -> Iterator[FrameResult]:
    """Landmarks for each image (static mode; one pipeline for all). Yields one FrameResult per
    image in order (frame = its position in `paths`); MediaError names an unreadable one."""
    require("av", "video", "process_images")
    o = replace(_options(options, kw), static=True)
    pipeline = Pipeline(o)
    run = None
    for i, p in enumerate(paths):
        with Media(str(p)) as media:
            for f in media.frames(prefetch=1):
                run = run or pipeline.runner(False)
                res = run(f.rgb, 0.0, i)
                break
        yield res


# ---------------------------------------------------------------------------------------------
# One input, start to finish (shared by the local and the Ray engines)

class PipelineError(RuntimeError):
    """The pipeline itself cannot run (device, model): concerns every input, so it stops the run."""


@dataclass
class InputSummary:
    input: str
    status: str                 # "ok", "failed" or "skipped" (resume: output already complete)
    outputs: List[str] = field(default_factory=list)
    frames: int = 0
    faces: int = 0
    seconds: float = 0.0
    device: str = ""
    reason: str = ""


def output_names(item: InputItem, fmt: str, overlay: bool, kind: Optional[str]) -> List[str]:
    names = [f"{item.rel}.{get_writer(fmt).extension}"]
    if overlay:
        image = kind == "image" or (kind is None and
                                    os.path.splitext(item.path)[1].lower() in _image_exts())
        names.append(f"{item.rel}_mesh.{'png' if image else 'mp4'}")
    return names


def _image_exts():
    from .demo import IMAGE_EXTS  # noqa: PLC0415
    return IMAGE_EXTS


def process_input(item: InputItem, out: OutputDir, fmt: str, options: LandmarkOptions,
                  pipeline: Pipeline, overlay: bool = False, resume: bool = False,
                  on_frames: Optional[Callable[[int], None]] = None) -> InputSummary:
    """Processes one input into its outputs; never raises for a bad input (the summary says
    why). MissingExtra and pipeline construction errors do raise: they concern every input."""
    t0 = time.perf_counter()
    s = InputSummary(item.path, "ok")
    if resume:
        names = output_names(item, fmt, overlay, None)
        if all(out.exists(n) for n in names):
            s.status, s.outputs = "skipped", [out.display(n) for n in names]
            return s
    pending, committed = [], False
    try:
        media = Media(item.path, threads=options.num_threads)
    except MediaError as err:
        s.status, s.reason = "failed", str(err)
        return s
    try:
        with media:
            video = media.kind == "video"
            names = output_names(item, fmt, overlay, media.kind)
            try:
                run = pipeline.runner(video)
            except Exception as err:  # noqa: BLE001
                raise PipelineError(f"cannot start the pipeline: {err}") from err
            s.device = pipeline.device
            o = options
            info = {"source": os.path.basename(item.path), "kind": media.kind, "model": o.model,
                    "points": o.points, "refine": o.refine, "max_faces": o.max_faces,
                    "static": o.static or not video, "every": o.every if video else 1,
                    "fps": media.fps, "blendshapes": o.blendshapes, "matrices": o.matrices}
            pending = [out.begin(n) for n in names]
            writer = None
            drawer = None
            pending_frames = 0
            last = time.monotonic()
            for f in media.frames(every=o.every if video else 1):
                if writer is None:
                    info["height"], info["width"] = f.rgb.shape[:2]
                    writer = get_writer(fmt)(pending[0].local, info)
                    if overlay:
                        from ._overlay import OverlayWriter  # noqa: PLC0415
                        drawer = OverlayWriter(pending[1].local, video, media.fps, o.every,
                                               o.refine or o.model == "face_landmarker")
                res = run(f.rgb, f.timestamp_ms, f.index)
                writer.write(res)
                if drawer is not None:
                    drawer.write(f.rgb, res.landmarks)
                s.frames += 1
                s.faces += len(res.landmarks)
                pending_frames += 1
                if on_frames is not None and time.monotonic() - last > 0.25:
                    on_frames(pending_frames)
                    pending_frames, last = 0, time.monotonic()
            if on_frames is not None and pending_frames:
                on_frames(pending_frames)
            writer.close()
            if drawer is not None:
                drawer.close()
        for p in pending:
            p.commit()
        committed = True
        s.outputs = [out.display(n) for n in names]
    except MediaError as err:
        s.status, s.reason = "failed", str(err)
    except (MissingExtra, PipelineError, KeyboardInterrupt):
        raise
    except Exception as err:  # noqa: BLE001 - reported per input, others continue
        s.status, s.reason = "failed", f"{type(err).__name__}: {err}"
    finally:
        if not committed:
            for p in pending:
                p.discard()
    s.seconds = time.perf_counter() - t0
    return s


# ---------------------------------------------------------------------------------------------
# Many inputs

@dataclass
class DatasetReport:
    inputs: List[InputSummary]
    seconds: float
    device: str
    workers: int
    engine: str

    @property
    def ok(self) -> int:
        return sum(s.status == "ok" for s in self.inputs)

    @property
    def skipped(self) -> int:
        return sum(s.status == "skipped" for s in self.inputs)

    @property
    def failed(self) -> List[InputSummary]:
        return [s for s in self.inputs if s.status == "failed"]

    @property
    def frames(self) -> int:
        """Frames in the outputs written by this run (failed inputs' frames not counted)."""
        return sum(s.frames for s in self.inputs if s.status == "ok")

    @property
    def faces(self) -> int:
        return sum(s.faces for s in self.inputs if s.status == "ok")

    @property
    def fps(self) -> float:
        """Frames processed per second of wall time, failed inputs' frames included."""
        done = sum(s.frames for s in self.inputs)
        return done / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        lines = [f"files: {self.ok} ok, {len(self.failed)} failed"
                 + (f", {self.skipped} skipped (complete)" if self.skipped else "")
                 + f"; frames: {self.frames}; faces: {self.faces}; wall time {self.seconds:.1f} s;"
                 f" {self.fps:.1f} frames/s; device {self.device or '-'}; "
                 f"{self.workers} worker(s), engine {self.engine}"]
        for s in self.failed:
            lines.append(f"failed: {s.input}: {s.reason}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"inputs": [asdict(s) for s in self.inputs], "seconds": self.seconds,
                "device": self.device, "workers": self.workers, "engine": self.engine,
                "ok": self.ok, "failed": len(self.failed), "skipped": self.skipped,
                "frames": self.frames, "faces": self.faces, "fps": self.fps}


class Progress:
    """One bar per run: files done / total, frames, frames/s and the ETA (tqdm on a terminal);
    otherwise a plain line every `every_s` seconds and one per finished file."""

    def __init__(self, total_files: int, enabled: Optional[bool] = None, stream=None,
                 every_s: float = 10.0):
        self.stream = stream or sys.stderr
        self.total, self.files, self.frames = total_files, 0, 0
        self.t0 = time.monotonic()
        self.last = self.t0
        self.every_s = every_s
        self.enabled = enabled if enabled is not None else True
        self.bar = None
        if self.enabled and enabled is None and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm  # noqa: PLC0415
                self.bar = tqdm(total=total_files, unit="file", file=self.stream,
                                dynamic_ncols=True)
            except ImportError:
                pass

    def _rate(self) -> float:
        dt = time.monotonic() - self.t0
        return self.frames / dt if dt > 0 else 0.0

    def add_frames(self, n: int) -> None:
        self.frames += n
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.frames} frames, {self._rate():.1f} frames/s",
                                     refresh=False)
            self.bar.refresh()
        elif self.enabled and time.monotonic() - self.last >= self.every_s:
            self._line()

    def file_done(self, s: InputSummary) -> None:
        self.files += 1
        if self.bar is not None:
            if s.status == "failed":
                self.bar.write(f"failed: {s.input}: {s.reason}")
            self.bar.update(1)
            self.bar.set_postfix_str(f"{self.frames} frames, {self._rate():.1f} frames/s")
        elif self.enabled:
            extra = f" ({s.reason})" if s.status == "failed" else ""
            print(f"[{self.files}/{self.total}] {s.status}: {s.input}{extra}", file=self.stream,
                  flush=True)
            self._line()

    def _line(self) -> None:
        self.last = time.monotonic()
        el = self.last - self.t0
        eta = (el / self.files * (self.total - self.files)) if self.files else float("nan")
        print(f"progress: {self.files}/{self.total} files, {self.frames} frames, "
              f"{self._rate():.1f} frames/s, elapsed {el:.0f} s, ETA "
              f"{'?' if eta != eta else f'{eta:.0f} s'}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def landmarks_dataset(inputs: Sequence, outdir, format: str = "parquet", *,  # noqa: A002
                      workers: int = 1, engine: str = "local", ray_address: Optional[str] = None,
                      overlay: bool = False, resume: bool = False, progress=None,
                      options: Optional[LandmarkOptions] = None, **kw) -> DatasetReport:
    """Landmarks for many inputs (files, folders, globs, "-" for stdin), one output per input
    under `outdir` (a folder, or an s3:// / gs:// URI through pyarrow), named after it.
    engine "local": `workers` processes (1: this process); "ray": Ray Data actors
    (facemesh_native.ray). A bad input is reported in the returned DatasetReport (status
    "failed" with the reason) and does not stop the others. progress: None (a bar on a
    terminal, else plain lines), True (plain lines), False (silent)."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
    o = _options(options, kw)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if engine not in ("local", "ray"):
        raise ValueError(f"unknown engine {engine!r}; engines: local, ray")
    require("av", "video", "landmarks_dataset")
    if format == "parquet":
        require("pyarrow", "video", "--format parquet")
    if overlay:
        require("cv2", "demo", "--overlay (drawing the mesh)")
    if o.model == "face_landmarker":
        try:
            importlib.import_module("facemesh_native.tasks")
        except ImportError:
            raise RuntimeError("model 'face_landmarker' needs the Tasks FaceLandmarker "
                               "(facemesh_native.tasks), which this build of facemesh_native "
                               "does not have; use --model face_mesh") from None
    check_device(o.device)
    items = expand_inputs(inputs)
    if not items:
        raise ValueError("no inputs: give video or image files, folders or globs")
    if o.num_threads is None and workers > 1 and engine == "local":
        o = replace(o, num_threads=_threads_per_worker(workers))
    t0 = time.perf_counter()
    prog = Progress(len(items), enabled=progress)
    try:
        if engine == "ray":
            from .ray import run_ray  # noqa: PLC0415
            summaries = run_ray(items, str(outdir), format, o, workers, ray_address, overlay,
                                resume, prog)
        elif workers == 1:
            summaries = _run_inline(items, str(outdir), format, o, overlay, resume, prog)
        else:
            from ._workers import run_pool  # noqa: PLC0415
            summaries = run_pool(items, str(outdir), format, o, workers, overlay, resume, prog)
    finally:
        prog.close()
    devices = sorted({s.device for s in summaries if s.device})
    return DatasetReport(summaries, time.perf_counter() - t0, ",".join(devices), workers, engine)


def _run_inline(items, outdir, fmt, o, overlay, resume, prog) -> List[InputSummary]:
    out = OutputDir(outdir)
    pipeline = Pipeline(o)
    summaries = []
    for it in items:
        s = process_input(it, out, fmt, o, pipeline, overlay, resume, prog.add_frames)
        summaries.append(s)
        prog.file_done(s)
    return summaries
