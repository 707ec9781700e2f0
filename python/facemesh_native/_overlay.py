"""--overlay: the input with the mesh drawn (demo.draw_mesh), one output frame per processed
frame. Videos are encoded with PyAV as H.264 (libx264) where this FFmpeg has the encoder,
else MPEG-4 Part 2; the rate is the source's divided by --every. Images are written as PNG.
Drawing needs OpenCV (the [demo] extra)."""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

import numpy as np

from ._media import require


def video_codec() -> str:
    """"libx264" when this PyAV's FFmpeg can encode H.264, else "mpeg4"."""
    av = require("av", "video", "--overlay")
    for name in ("libx264", "h264"):
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:  # noqa: BLE001 - encoder not built in
            continue
    return "mpeg4"


class OverlayWriter:
    def __init__(self, path: str, video: bool, fps: Optional[float], every: int, refine: bool):
        self.cv2 = require("cv2", "demo", "--overlay (drawing the mesh)")
        self.path, self.video, self.refine = path, video, refine
        self.container = self.stream = None
        self.frames = 0
        rate = Fraction(fps or 30.0).limit_denominator(1001) / max(1, every)
        self.rate = rate if rate > 0 else Fraction(30)

    def _open(self, w: int, h: int) -> None:
        av = require("av", "video", "--overlay")
        self.container = av.open(self.path, mode="w", format="mp4")
        codec = video_codec()
        self.stream = self.container.add_stream(codec, rate=self.rate)
        self.stream.width, self.stream.height = w - w % 2, h - h % 2   # yuv420p: even sizes
        self.stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            self.stream.options = {"crf": "23", "preset": "veryfast"}

    def write(self, rgb: np.ndarray, landmarks: np.ndarray) -> None:
        from ._face_mesh import NormalizedLandmarkList  # noqa: PLC0415
        from .demo import draw_mesh  # noqa: PLC0415
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        draw_mesh(bgr, [NormalizedLandmarkList(f) for f in landmarks], self.refine)
        if not self.video:
            ok, buf = self.cv2.imencode(".png", bgr)
            if not ok:
                raise RuntimeError("cannot encode the overlay PNG")
            with open(self.path, "wb") as f:
                f.write(buf.tobytes())
            self.frames += 1
            return
        if self.container is None:
            self._open(bgr.shape[1], bgr.shape[0])
        av = require("av", "video", "--overlay")
        h, w = self.stream.height, self.stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr[:h, :w]), format="bgr24")
        frame.pts = self.frames
        frame.time_base = 1 / self.rate
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self.container is not None:
            for packet in self.stream.encode():
                self.container.mux(packet)
            self.container.close()
            self.container = None
