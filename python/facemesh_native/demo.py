"""FaceMesh demo: annotate an image or a video with the face mesh.

    python -m facemesh_native.demo [IMAGE_OR_VIDEO] [--out PATH] [--device cpu] [--refine]
                                   [--max-faces N] [--threads N] [--json PATH] [--max-frames N]

Without an input it annotates the bundled sample image (data/astronaut.png). An image runs
in static mode (detection on the frame); a video runs with tracking, frame by frame. The output is the input with the tessellation, the contours and (with --refine) the
irises drawn on it: by default <input stem>_mesh.png (image) or <input stem>_mesh.mp4
(video) in the current directory. Each frame prints its latency and the device that ran it.
--json writes the landmarks: {"frames": [{"faces": [{"landmarks": [[x, y, z], ...]}]}]} with
MediaPipe's normalised coordinates (x / width, y / height, z in units of width).

Needs OpenCV to read, draw and write (pip install opencv-python).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif"}


# A public-domain photo shipped with the package (NASA; see tests/data/README.md).
SAMPLE_IMAGE = Path(__file__).resolve().parent / "data" / "astronaut.png"


class DemoError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def _import_cv2():
    try:
        import cv2  # noqa: PLC0415
    except ImportError:
        raise DemoError("the demo needs OpenCV to read and write images and videos: "
                        "pip install opencv-python") from None
    return cv2


def draw_mesh(image_bgr: np.ndarray, faces, refine: bool) -> None:
    """Draws each face's tessellation, contours and (refine) irises onto a BGR image in place."""
    from .solutions import drawing_styles, drawing_utils  # noqa: PLC0415
    from .solutions import face_mesh_connections as conn  # noqa: PLC0415
    for face in faces:
        drawing_utils.draw_landmarks(
            image_bgr, face, conn.FACEMESH_TESSELATION, landmark_drawing_spec=None,
            connection_drawing_spec=drawing_styles.get_default_face_mesh_tesselation_style())
        drawing_utils.draw_landmarks(
            image_bgr, face, conn.FACEMESH_CONTOURS, landmark_drawing_spec=None,
            connection_drawing_spec=drawing_styles.get_default_face_mesh_contours_style())
        if refine:
            drawing_utils.draw_landmarks(
                image_bgr, face, conn.FACEMESH_IRISES, landmark_drawing_spec=None,
                connection_drawing_spec=drawing_styles.get_default_face_mesh_iris_connections_style())


def _frame_record(index: int, latency_ms: float, res) -> dict:
    faces = []
    for k in range(len(res.landmarks)):
        faces.append({
            "score": float(res.scores[k]),
            "rect": [float(v) for v in res.face_rects[k]],  # x_center, y_center, w, h, rotation
            "landmarks": res.landmarks[k].astype(float).tolist(),
        })
    return {"index": index, "latency_ms": round(latency_ms, 3), "faces": faces}


def _run_frame(mesh, bgr: np.ndarray, index: int, refine: bool, frames: List[dict]) -> np.ndarray:
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    t = time.perf_counter()
    res = mesh.process(rgb)
    latency_ms = (time.perf_counter() - t) * 1e3
    out = np.ascontiguousarray(bgr).copy()
    if res.multi_face_landmarks:
        draw_mesh(out, res.multi_face_landmarks, refine)
    n = 0 if res.multi_face_landmarks is None else len(res.multi_face_landmarks)
    native = getattr(res, "latency_ms", None)
    native_txt = f" (pipeline {native:.2f} ms)" if native is not None else ""
    print(f"frame {index}: {n} face(s), latency {latency_ms:.2f} ms{native_txt}, "
          f"device {res.device}", flush=True)
    frames.append(_frame_record(index, latency_ms, res))
    return out


def _device_info(mesh) -> Tuple[str, Dict[str, str]]:
    """The device the FaceMesh runs on, and what each of its graph's models ran on."""
    report = getattr(mesh, "device_report", None)
    return mesh.device, dict(report) if report else {}


def _device_line(device: str, report: Dict[str, str]) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in sorted(report.items()))
    return f"device: {device}" + (f" ({detail})" if detail else "")


def _is_video(path: Path, cv2) -> bool:
    ext = path.suffix.lower()
    if ext in VIDEO_EXTS:
        return True
    if ext in IMAGE_EXTS:
        return False
    return cv2.imread(str(path), cv2.IMREAD_COLOR) is None


def _open_mesh(args, static: bool):
    import facemesh_native as fm  # noqa: PLC0415
    if not hasattr(fm, "FaceMesh"):
        raise DemoError("this build of facemesh_native has no FaceMesh")
    try:
        return fm.FaceMesh(static_image_mode=static, max_num_faces=args.max_faces,
                           refine_landmarks=args.refine, device=args.device,
                           allow_software=args.allow_software,
                           num_threads=args.threads)
    except (ValueError, RuntimeError) as err:
        raise DemoError(f"cannot start FaceMesh: {err}") from None


def run_image(args, cv2, frames: List[dict]) -> Tuple[Path, str, Dict[str, str]]:
    bgr = cv2.imread(str(args.input), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DemoError(f"cannot read {args.input} as an image (unsupported or corrupt file)")
    out_path = args.out or Path.cwd() / f"{args.input.stem}_mesh.png"
    with _open_mesh(args, static=True) as mesh:
        annotated = _run_frame(mesh, bgr, 0, args.refine, frames)
        device, report = _device_info(mesh)
    if not cv2.imwrite(str(out_path), annotated):
        raise DemoError(f"cannot write {out_path} (unknown extension or unwritable folder)")
    print(f"{_device_line(device, report)}; wrote {out_path}")
    return out_path, device, report


def run_video(args, cv2, frames: List[dict]) -> Tuple[Path, str, Dict[str, str]]:
    cap = cv2.VideoCapture(str(args.input))
    if not cap.isOpened():
        raise DemoError(f"cannot read {args.input} as an image or a video")
    out_path = args.out or Path.cwd() / f"{args.input.stem}_mesh.mp4"
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    try:
        with _open_mesh(args, static=False) as mesh:
            index = 0
            while args.max_frames is None or index < args.max_frames:
                ok, bgr = cap.read()
                if not ok:
                    break
                annotated = _run_frame(mesh, bgr, index, args.refine, frames)
                if writer is None:
                    h, w = annotated.shape[:2]
                    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"),
                                             fps, (w, h))
                    if not writer.isOpened():
                        raise DemoError(f"cannot write a video to {out_path}")
                writer.write(annotated)
                index += 1
            device, report = _device_info(mesh)
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if not frames:
        raise DemoError(f"{args.input} has no readable frames")
    lat = [f["latency_ms"] for f in frames]
    print(f"{_device_line(device, report)}; {len(frames)} frames, latency mean "
          f"{np.mean(lat):.2f} ms, median {np.median(lat):.2f} ms; wrote {out_path}")
    return out_path, device, report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m facemesh_native.demo",
                                 description="Annotate an image or a video with FaceMesh.")
    ap.add_argument("input", type=Path, nargs="?", default=None,
                    help="an image (png, jpg, ...) or a video file "
                         "(default: the bundled sample image astronaut.png)")
    ap.add_argument("--out", type=Path, default=None,
                    help="annotated output (default: <stem>_mesh.png or .mp4 in the current folder)")
    ap.add_argument("--device", default="auto",
                    help="auto (default: a hardware GPU if usable, else the CPU), cpu, gpu, gl, gl:N")
    ap.add_argument("--allow-software", action="store_true",
                    help="let --device gl run on a software rasterizer (llvmpipe)")
    ap.add_argument("--refine", action="store_true",
                    help="attention model: 478 landmarks with irises")
    ap.add_argument("--max-faces", type=int, default=1, help="most faces to track (default 1)")
    ap.add_argument("--threads", type=int, default=None,
                    help="native threads (default: FaceMesh's default, all hardware threads)")
    ap.add_argument("--json", type=Path, default=None, help="write the landmarks as JSON here")
    ap.add_argument("--max-frames", type=int, default=None, help="video: stop after N frames")
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.input is None:
            args.input = SAMPLE_IMAGE
            print(f"no input given: using the bundled sample {SAMPLE_IMAGE}")
        if not args.input.exists():
            raise DemoError(f"no such file: {args.input}")
        if not args.input.is_file():
            raise DemoError(f"not a file: {args.input}")
        cv2 = _import_cv2()
        frames: List[dict] = []
        video = _is_video(args.input, cv2)
        run = run_video if video else run_image
        out_path, device, report = run(args, cv2, frames)
        if args.json is not None:
            doc = {
                "input": str(args.input), "output": str(out_path),
                "kind": "video" if video else "image",
                "device": device, "device_report": report,
                "refine_landmarks": bool(args.refine),
                "coordinates": "normalised: x / width, y / height, z in units of width",
                "frames": frames,
            }
            args.json.write_text(json.dumps(doc), encoding="utf-8")
            print(f"wrote {args.json}")
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
