#!/usr/bin/env python3
"""Regenerate tests/data/tasks_*.npz from mediapipe 0.10.21's Tasks FaceLandmarker (CPU).

Run inside the reference environment (tools/make_reference_venv.sh):
    .venv-ref/bin/python tools/make_tasks_references.py     # about 30 s
Options: --out DIR (default tests/data), --task PATH (default
third_party/mediapipe/face_landmarker.task).

What it writes (float32 unless noted; missing faces are NaN; coordinates are mediapipe's
normalised ones):
  tasks_image.npz   IMAGE mode, num_faces=5, both outputs on, on every tests/data image
                    (fed as in tests/data/README.md: RGB, camera.png as three equal channels):
                    <image>_landmarks (F, 478, 3), <image>_blendshapes (F, 52),
                    <image>_matrices (F, 4, 4) float64, faces in mediapipe's order;
                    blendshape_names (52,) str.
  tasks_video.npz   VIDEO mode, num_faces=1 (so OneEuro smoothing is on), both outputs on, over
                    the 300 frames of tools/make_references.py's "near" video (frame t =
                    cv2.warpAffine(astronaut, matrices[t], (640, 480), INTER_LINEAR,
                    BORDER_CONSTANT, background)), timestamps t * 33 ms:
                    matrices (300, 2, 3) float64, background (3,) uint8,
                    num_faces (300,) int32 for every frame, and for every 5th frame
                    (sampled_frames (60,) int32): landmarks (60, 478, 3),
                    blendshapes (60, 52), face_matrices (60, 4, 4) float64.
mediapipe runs each configuration twice; the script stops if the runs differ.
"""

import argparse
import os
import sys

import cv2
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import make_references as legacy  # noqa: E402  (the synthetic video recipe)

IMAGES = ("astronaut", "camera", "grace_hopper", "chelsea", "four_faces")
VIDEO_STEP = 5
FRAME_MS = 33


def read_image(name):
    bgr = cv2.imread(os.path.join(REPO_ROOT, "tests", "data", f"{name}.png"), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def make_landmarker(task, mode, num_faces):
    from mediapipe.tasks import python as mp_python
    from mediapipe.tasks.python import vision
    options = vision.FaceLandmarkerOptions(
        base_options=mp_python.BaseOptions(model_asset_path=task),
        running_mode=mode, num_faces=num_faces,
        output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    return vision.FaceLandmarker.create_from_options(options)


def result_arrays(result):
    lm = np.array([[[p.x, p.y, p.z] for p in face] for face in result.face_landmarks],
                  np.float32).reshape(-1, 478, 3)
    bs = np.array([[c.score for c in face] for face in result.face_blendshapes],
                  np.float32).reshape(-1, 52)
    mx = np.array(result.facial_transformation_matrixes, np.float64).reshape(-1, 4, 4)
    return lm, bs, mx


def same(a, b):
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


def image_references(task):
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    out = {}
    names = None
    runs = [make_landmarker(task, vision.RunningMode.IMAGE, 5) for _ in range(2)]
    for name in IMAGES:
        rgb = read_image(name)
        got = []
        for lmk in runs:
            res = lmk.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
            got.append(result_arrays(res))
            if res.face_blendshapes:
                names = [c.category_name for c in res.face_blendshapes[0]]
        if not same(got[0], got[1]):
            raise SystemExit(f"non-deterministic mediapipe output on {name}")
        lm, bs, mx = got[0]
        out[f"{name}_landmarks"], out[f"{name}_blendshapes"], out[f"{name}_matrices"] = lm, bs, mx
        print(f"image {name}: {len(lm)} faces")
    for lmk in runs:
        lmk.close()
    out["blendshape_names"] = np.array(names)
    return out


def video_references(task):
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    astronaut = read_image("astronaut")
    poses = [legacy.near_pose(t) for t in range(legacy.NUM_FRAMES)]
    matrices = np.array([legacy.pose_matrix(*p) for p in poses], np.float64)
    runs = [make_landmarker(task, vision.RunningMode.VIDEO, 1) for _ in range(2)]
    num_faces, lms, bss, mxs = [], [], [], []
    for t in range(legacy.NUM_FRAMES):
        rgb = np.ascontiguousarray(legacy.render(astronaut, matrices[t]))
        got = [result_arrays(r.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB,
                                                         data=rgb), t * FRAME_MS))
               for r in runs]
        if not same(got[0], got[1]):
            raise SystemExit(f"non-deterministic mediapipe output at video frame {t}")
        lm, bs, mx = got[0]
        num_faces.append(len(lm))
        if t % VIDEO_STEP == 0:
            nan = np.full((478, 3), np.nan, np.float32)
            lms.append(lm[0] if len(lm) else nan)
            bss.append(bs[0] if len(bs) else np.full(52, np.nan, np.float32))
            mxs.append(mx[0] if len(mx) else np.full((4, 4), np.nan))
    for r in runs:
        r.close()
    print(f"video: {sum(n > 0 for n in num_faces)} of {len(num_faces)} frames with a face")
    return dict(matrices=matrices, background=np.array(legacy.VIDEO_BACKGROUND, np.uint8),
                num_faces=np.array(num_faces, np.int32),
                sampled_frames=np.arange(0, legacy.NUM_FRAMES, VIDEO_STEP, dtype=np.int32),
                landmarks=np.array(lms, np.float32), blendshapes=np.array(bss, np.float32),
                face_matrices=np.array(mxs, np.float64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "data"))
    ap.add_argument("--task", default=os.path.join(REPO_ROOT, "third_party", "mediapipe",
                                                   "face_landmarker.task"))
    args = ap.parse_args()
    np.savez_compressed(os.path.join(args.out, "tasks_image.npz"), **image_references(args.task))
    np.savez_compressed(os.path.join(args.out, "tasks_video.npz"), **video_references(args.task))


if __name__ == "__main__":
    main()
