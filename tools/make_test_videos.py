"""Makes the dataset-tool test media in tests/data from astronaut.png (public domain, NASA):

    face_clip.mp4            320x240, 12 fps, 36 frames (3 s), H.264 (yuv420p, moov first): the
                             astronaut's head moving and turning slightly; frames 26-29 show only
                             the background (no face: no rows), the face returns at frame 30.
    face_clip_truncated.mp4  face_clip.mp4 cut at 60% of its bytes (a corrupt copy: the
                             container lists 36 frames, the data holds fewer)
    face_still.jpg           the astronaut at 256x256, JPEG quality 90

    python tools/make_test_videos.py        # needs av and opencv-python (pip install ".[test]")

Deterministic for a given PyAV/FFmpeg build (libx264 with one thread, fixed CRF).
"""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
W, H, FPS, N = 320, 240, 12, 36
BACKGROUND = (40, 60, 80)


def frames(astronaut_rgb: np.ndarray):
    for t in range(N):
        scale = 0.55 + 0.08 * math.sin(t / 6.0)
        angle = 8.0 * math.sin(t / 5.0)
        cx = 160 + 30 * math.sin(t / 7.0)
        cy = 118 + 10 * math.cos(t / 9.0)
        if 26 <= t <= 29:
            cx += 1000   # out of the frame
        m = cv2.getRotationMatrix2D((225.0, 125.0), angle, scale)   # around the face centre
        m[:, 2] += (cx - 225.0, cy - 125.0)
        yield cv2.warpAffine(astronaut_rgb, m, (W, H), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=BACKGROUND)


def main() -> None:
    rgb = cv2.imread(str(DATA / "astronaut.png"), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    clip = DATA / "face_clip.mp4"
    with av.open(str(clip), "w", format="mp4", options={"movflags": "+faststart"}) as c:
        s = c.add_stream("libx264", rate=Fraction(FPS))
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"crf": "26", "preset": "medium", "threads": "1"}
        for i, f in enumerate(frames(rgb)):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = clip.read_bytes()
    (DATA / "face_clip_truncated.mp4").write_bytes(data[: int(len(data) * 0.6)])
    still = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(DATA / "face_still.jpg"), still[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    for p in ("face_clip.mp4", "face_clip_truncated.mp4", "face_still.jpg"):
        print(p, (DATA / p).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
