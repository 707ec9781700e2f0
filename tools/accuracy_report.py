"""Measures facemesh_native's accuracy against its two oracles and prints markdown tables.

    python tools/accuracy_report.py            (needs the package installed, opencv-python,
                                                ai-edge-litert; reads tests/data/)

1. Raw model outputs against ai-edge-litert (XNNPACK) on random inputs and a real face crop:
   max |ours - litert| / max |litert| per output.
2. Whole-pipeline landmarks against mediapipe 0.10.21's references (tests/data/*.npz):
   per image/config the mean and max landmark distance in image pixels; per video run the mean
   and the worst per-frame mean.
3. The GL backend against the CPU graph (when a GL device exists; llvmpipe is allowed here).
"""
import sys
import zlib
from pathlib import Path

import numpy as np

import facemesh_native as fm

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def rgb(name):
    import cv2
    return np.ascontiguousarray(cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)[:, :, ::-1])


def model_parity():
    from ai_edge_litert.interpreter import Interpreter
    import cv2
    print("| model | input | output | max rel. error |\n|---|---|---|---|")
    face = rgb("astronaut.png")[0:260, 110:370]
    for name, size, lo in (("face_detection_short_range", 128, -1.0), ("face_landmark", 192, 0.0)):
        it = Interpreter(model_path=str(fm.model_path(name)), num_threads=1)
        it.allocate_tensors()
        ours = fm.Model(name, device="cpu", num_threads=1)
        crop = cv2.resize(face, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        inputs = {"face crop": (crop / 255.0 * (1 - lo) + lo)[None].astype(np.float32),
                  "random": np.random.default_rng(0).uniform(lo, 1, (1, size, size, 3)).astype(np.float32)}
        for label, x in inputs.items():
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            ref = [it.get_tensor(d["index"]) for d in it.get_output_details()]
            got = ours.run([x])
            for k, (a, b) in enumerate(zip(got, ref)):
                err = float(np.abs(a - b).max() / np.abs(b).max())
                print(f"| {name} | {label} | {k} {tuple(b.shape)} | {err:.2e} |")


def pixel_err(a, b, w, h):
    return np.linalg.norm((a[..., :2] - b[..., :2]) * np.array([w, h]), axis=-1)


def pipeline_parity():
    print("\n| image | config | faces (ours/mediapipe) | mean px | max px |\n|---|---|---|---|---|")
    for image in ("astronaut", "camera", "grace_hopper", "four_faces", "chelsea"):
        ref = np.load(DATA / f"static_{image}.npz")
        img = rgb(f"{image}.png")
        h, w = img.shape[:2]
        for cfg, refine, mx in (("plain_max1", False, 1), ("plain_max5", False, 5),
                                ("refine_max1", True, 1), ("refine_max5", True, 5)):
            with fm.FaceMesh(static_image_mode=True, refine_landmarks=refine, max_num_faces=mx,
                             device="cpu") as m:
                res = m.process(img)
            n_ref = int(ref[f"{cfg}_num_faces"])
            if n_ref and len(res.landmarks) == n_ref:
                e = pixel_err(res.landmarks, ref[f"{cfg}_landmarks"], w, h)
                print(f"| {image} | {cfg} | {len(res.landmarks)}/{n_ref} | {e.mean():.4f} | {e.max():.4f} |")
            else:
                print(f"| {image} | {cfg} | {len(res.landmarks)}/{n_ref} | - | - |")
    import cv2
    print("\n| video | run | frames with a face | detector runs (ours/mediapipe) | mean px | worst frame mean px |\n|---|---|---|---|---|---|")
    src = rgb("astronaut.png")
    for video, run in (("video_near", "plain"), ("video_near", "refine"),
                       ("video_near", "plain_max5"), ("video_far", "plain")):
        z = np.load(DATA / f"{video}.npz")
        fw, fh = (int(v) for v in z["frame_size"])
        n = len(z[f"{run}_num_faces"])
        errs, ran, faces = [], 0, 0
        with fm.FaceMesh(refine_landmarks=run == "refine", max_num_faces=5 if "max5" in run else 1,
                         device="cpu") as m:
            for t in range(n):
                frame = cv2.warpAffine(src, z["matrices"][t], (fw, fh), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_CONSTANT,
                                       borderValue=tuple(int(v) for v in z["background"]))
                if zlib.crc32(frame.tobytes()) != int(z["frame_crc32"][t]):
                    print("frames differ from the reference's: wrong OpenCV version")
                    return
                r = m.process(frame)
                ran += int(r.detector_ran)
                if len(r.landmarks) and int(z[f"{run}_num_faces"][t]):
                    faces += 1
                    errs.append(pixel_err(r.landmarks[0], z[f"{run}_landmarks"][t, 0], fw, fh).mean())
        ref_ran = int(z[f"{run}_detector_ran"].sum())
        ref_faces = int((z[f"{run}_num_faces"] > 0).sum())
        print(f"| {video} | {run} | {faces}/{ref_faces} | {ran}/{ref_ran} | {np.mean(errs):.4f} | {np.max(errs):.4f} |")


def gl_parity():
    try:
        fm.Model("face_detection_short_range", device="gl", allow_software=True)
    except RuntimeError as e:
        print(f"\nGL: no device ({e})")
        return
    print("\n| image | config | GL vs CPU max px |\n|---|---|---|")
    for image, refine, mx in (("astronaut", False, 1), ("astronaut", True, 1), ("four_faces", False, 5)):
        img = rgb(f"{image}.png")
        h, w = img.shape[:2]
        kw = dict(static_image_mode=True, refine_landmarks=refine, max_num_faces=mx)
        with fm.FaceMesh(device="gl", allow_software=True, **kw) as g, fm.FaceMesh(device="cpu", **kw) as c:
            a, b = g.process(img), c.process(img)
            print(f"| {image} | refine={refine} max={mx} ({g.device_report.get('inference.face_detection_short_range')}) "
                  f"| {pixel_err(a.landmarks, b.landmarks, w, h).max():.4f} |")


if __name__ == "__main__":
    model_parity()
    pipeline_parity()
    if "--no-gl" not in sys.argv:
        gl_parity()
