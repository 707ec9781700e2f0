"""facemesh-native landmarks: landmarks for whole datasets (videos, images, folders) to files.

    facemesh-native landmarks INPUT... -o OUTDIR [--format parquet|npz|csv|jsonl]
        [--model face_mesh|face_landmarker] [--refine] [--blendshapes] [--matrices]
        [--max-faces N] [--static] [--device auto|cpu|gpu|gl|cuda] [--workers N]
        [--engine local|ray] [--ray-address ADDR] [--overlay] [--every K] [--resume]

Exit status: 0 when every input succeeded (or was skipped by --resume), 1 when any input
failed (each is named with its reason), 2 for a usage error (bad option, missing extra).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from ._writers import FORMATS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="facemesh-native landmarks",
        description="Landmarks for every frame of videos and for images, one output file per "
                    "input (OUTDIR/<name>.<format>), one row per frame and face.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="video or image files, folders (searched recursively), globs, or - to "
                        "read paths from stdin")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR",
                   help="output folder (created), or an s3:// / gs:// URI")
    p.add_argument("-f", "--format", default="parquet", choices=FORMATS)
    p.add_argument("--model", default="face_mesh", choices=["face_mesh", "face_landmarker"],
                   help="face_mesh (FaceMesh, default) or face_landmarker (the Tasks "
                        "FaceLandmarker: 478 points, blendshapes, matrices)")
    p.add_argument("--refine", action="store_true", help="478 points with irises")
    p.add_argument("--blendshapes", action="store_true",
                   help="52 blendshape scores per face (--model face_landmarker)")
    p.add_argument("--matrices", action="store_true",
                   help="4x4 facial transformation matrix per face (--model face_landmarker)")
    p.add_argument("--max-faces", type=int, default=1, help="most faces per frame (default 1)")
    p.add_argument("--static", action="store_true",
                   help="detect on every frame of videos too (no tracking)")
    p.add_argument("--device", default="auto",
                   help="auto (default), cpu, gpu, cuda, cuda:N, gl, gl:N")
    p.add_argument("--allow-software", action="store_true",
                   help="let --device gl run on a software rasterizer (llvmpipe)")
    p.add_argument("--threads", type=int, default=None,
                   help="native and video-decoder threads per worker "
                        "(default: CPUs / workers; with one worker, all)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each with its own pipeline (default 1)")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local processes, or Ray Data actors (pip install "
                        "\"facemesh_native[ray]\")")
    p.add_argument("--ray-address", default=None,
                   help="Ray cluster address (default: RAY_ADDRESS, else a local Ray)")
    p.add_argument("--overlay", action="store_true",
                   help="also write <name>_mesh.mp4 / .png with the mesh drawn")
    p.add_argument("--every", type=int, default=1, metavar="K",
                   help="process every K-th frame of videos (default 1)")
    p.add_argument("--resume", action="store_true",
                   help="skip inputs whose outputs are already complete")
    p.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    p.add_argument("--json", metavar="PATH", help="also write the run's report as JSON")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    from ._dataset import LandmarkOptions, landmarks_dataset  # noqa: PLC0415
    from ._media import MissingExtra  # noqa: PLC0415
    try:
        opts = LandmarkOptions(model=args.model, refine=args.refine,
                               blendshapes=args.blendshapes, matrices=args.matrices,
                               max_faces=args.max_faces, static=args.static, device=args.device,
                               every=args.every, num_threads=args.threads,
                               allow_software=args.allow_software)
        report = landmarks_dataset(args.inputs, args.output_dir, args.format,
                                   workers=args.workers, engine=args.engine,
                                   ray_address=args.ray_address, overlay=args.overlay,
                                   resume=args.resume, progress=False if args.quiet else None,
                                   options=opts)
    except (MissingExtra, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: complete outputs are kept, rerun with --resume", file=sys.stderr)
        return 130
    print(report.summary())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_dict(), f, indent=1)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
