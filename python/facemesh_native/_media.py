"""Media input for the dataset tools: which paths are inputs, and decoding them with PyAV.

Contract:
  - `expand_inputs` turns files, folders (recursively), globs and "-" (paths on stdin) into
    `InputItem`s, each with the name its outputs get (`rel`, without extension).
  - `open_media` opens one input and says whether it is a video or an image; `MediaError` (a
    message naming the reason) for anything that is not readable media.
  - Frames are RGB uint8 (H, W, 3) with the container's rotation metadata applied (as a player
    shows them); `timestamp_ms` comes from the frame's presentation timestamp in the container.
Needs PyAV (the [video] extra); nothing here runs a model.
"""
from __future__ import annotations

import glob
import os
import queue
import sys
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import numpy as np

from .demo import IMAGE_EXTS, VIDEO_EXTS

MEDIA_EXTS = IMAGE_EXTS | VIDEO_EXTS


class MediaError(Exception):
    """An input that cannot be processed; the message says why (shown next to its name)."""


class MissingExtra(ImportError):
    """An optional dependency is missing; the message names the extra to install."""


def require(module: str, extra: str, what: str):
    """Imports `module` or raises MissingExtra naming `pip install "facemesh_native[extra]"`."""
    import importlib  # noqa: PLC0415
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{what} needs the '{module}' package: "
                           f"pip install \"facemesh_native[{extra}]\"") from None


def _av():
    return require("av", "video", "decoding videos and images")


@dataclass(frozen=True)
class InputItem:
    path: str     # as given or found (local path)
    rel: str      # output name relative to the output folder, without extension ("a/b/clip")


def _walk(folder: Path) -> List[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.startswith(".") and Path(f).suffix.lower() in MEDIA_EXTS:
                found.append(Path(root) / f)
    return found


def expand_inputs(inputs: Iterable[str], stdin=None) -> List[InputItem]:
    """Files as given (any extension: a non-media file fails later, by name), media files found
    in folders (recursively; their outputs keep the sub-folders), glob patterns, and "-" for
    paths read from `stdin` (one a line). A path that does not exist is kept, so that it is
    reported as failed. Duplicates are dropped; two inputs that would write the same output
    raise ValueError naming both."""
    items: List[InputItem] = []
    for raw in inputs:
        raw = str(raw)
        if raw == "-":
            lines = (stdin or sys.stdin).read().splitlines()
            items.extend(expand_inputs([ln.strip() for ln in lines if ln.strip()]))
            continue
        p = Path(raw)
        if p.is_dir():
            for f in _walk(p):
                items.append(InputItem(str(f), f.relative_to(p).with_suffix("").as_posix()))
        elif not p.exists() and glob.has_magic(raw):
            for f in sorted(glob.glob(raw, recursive=True)):
                if Path(f).is_file():
                    items.append(InputItem(f, Path(f).stem))
        else:
            items.append(InputItem(raw, p.stem))
    seen, owner, out = set(), {}, []
    for it in items:
        key = os.path.abspath(it.path)
        if key in seen:
            continue
        seen.add(key)
        if it.rel in owner:
            raise ValueError(f"{owner[it.rel]} and {it.path} would both write the output "
                             f"'{it.rel}': rename one, or pass their common folder instead")
        owner[it.rel] = it.path
        out.append(it)
    return out


@dataclass
class Frame:
    index: int            # position among all decoded frames of the stream (0-based)
    timestamp_ms: float   # presentation time from the container (0 for images)
    rgb: np.ndarray       # (H, W, 3) uint8, rotation applied


def _rotate(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Applies a display-matrix rotation (degrees counterclockwise, as PyAV reports it)."""
    k = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


def _ffmpeg_reason(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text.replace("\n", " ")


class Media:
    """One opened input. kind: "video" or "image"; width/height as coded (frames come rotated
    when the container says so, so use a frame's shape for the shown size); fps: the stream's average rate (None for images); num_frames: the container's frame count
    (0 when it does not say)."""

    def __init__(self, path: str, threads: Optional[int] = None):
        av = _av()
        self.path = path
        self.threads = threads   # decoder threads: None = FFmpeg's choice (one per core)
        self._rgb = None         # one RGB converter (swscale context) for all frames
        p = Path(path)
        if not p.exists():
            raise MediaError("no such file")
        if not p.is_file():
            raise MediaError("not a file")
        if p.stat().st_size == 0:
            raise MediaError("empty file")
        try:
            self._container = av.open(str(p), mode="r")
        except av.FFmpegError as err:
            raise MediaError(f"not readable media ({_ffmpeg_reason(err)})") from None
        except (OSError, ValueError, UnicodeDecodeError) as err:
            raise MediaError(f"cannot open ({err})") from None
        try:
            if not self._container.streams.video:
                raise MediaError("no video stream (not an image or a video)")
            self._stream = self._container.streams.video[0]
            fmt = self._container.format.name or ""
            image_format = "image2" in fmt or fmt.endswith("_pipe")
            self.kind = "image" if (image_format or p.suffix.lower() in IMAGE_EXTS) else "video"
            self.num_frames = int(self._stream.frames or 0)
            rate = self._stream.average_rate or self._stream.guessed_rate
            self.fps = float(rate) if (rate and self.kind == "video") else None
            self.time_base: Optional[Fraction] = self._stream.time_base
            cc = self._stream.codec_context
            self.width, self.height = int(cc.width), int(cc.height)
        except MediaError:
            self.close()
            raise
        self._rotation_known = False

    def close(self) -> None:
        c = getattr(self, "_container", None)
        if c is not None:
            c.close()
            self._container = None

    def __enter__(self) -> "Media":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _decode(self, every: int, stop: threading.Event) -> Iterator[Frame]:
        av = _av()
        stream = self._stream
        stream.thread_type = "AUTO"   # frame- and slice-threaded decoding
        if self.threads is not None:  # a worker's share of the cores (workers * threads <= CPUs)
            stream.thread_count = max(1, int(self.threads))
        from av.video.reformatter import VideoReformatter  # noqa: PLC0415
        self._rgb = VideoReformatter()
        count = 0
        try:
            for fr in self._container.decode(stream):
                if stop.is_set():
                    return
                index = count
                count += 1
                if index % every:
                    continue
                if fr.pts is not None and fr.time_base is not None:
                    ts = float(fr.pts * fr.time_base * 1000)
                elif self.fps:
                    ts = index * 1000.0 / self.fps
                else:
                    ts = 0.0
                rgb = _rotate(self._to_rgb(fr), int(fr.rotation or 0))
                yield Frame(index, ts if self.kind == "video" else 0.0, rgb)
                if self.kind == "image":
                    break
        except av.FFmpegError as err:
            raise MediaError(f"decoding failed after {count} frames "
                             f"({_ffmpeg_reason(err)})") from None
        if count == 0:
            raise MediaError("no decodable frame (truncated or corrupt)")
        if self.kind == "video" and self.num_frames and count < self.num_frames:
            raise MediaError(f"truncated: decoded {count} of the {self.num_frames} frames the "
                             "container lists")

    def _to_rgb(self, fr) -> np.ndarray:
        """frame.to_ndarray(format="rgb24") with the converter kept across frames (the same
        pixels; swscale's context is not rebuilt for every frame)."""
        if fr.format.name == "rgb24":
            return fr.to_ndarray()
        return self._rgb.reformat(fr, format="rgb24").to_ndarray()

    def frames(self, every: int = 1, prefetch: int = 8) -> Iterator[Frame]:
        """Decoded frames, every `every`-th one (indices 0, every, 2*every, ...). Decoding runs
        on a background thread `prefetch` frames ahead of the caller (PyAV releases the GIL
        while FFmpeg decodes), so decoding overlaps the caller's inference. MediaError when the
        stream is corrupt or shorter than the container says."""
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        q: "queue.Queue" = queue.Queue(maxsize=max(1, prefetch))
        stop = threading.Event()
        done = object()

        def run():
            try:
                for f in self._decode(every, stop):
                    while not stop.is_set():
                        try:
                            q.put(f, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                q.put(done)
            except BaseException as err:  # handed to the consumer
                q.put(err)

        t = threading.Thread(target=run, name="fmn-decode", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while t.is_alive():
                try:
                    q.get(timeout=0.05)
                except queue.Empty:
                    pass
            t.join()


def open_media(path: str) -> Media:
    return Media(path)


def read_image(path: str) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3); MediaError when it is not readable as one."""
    with Media(path) as m:
        for f in m.frames(prefetch=1):
            return f.rgb
    raise MediaError("no decodable frame")
