#!/usr/bin/env python3
"""Regenerate the parity reference data in tests/data/ from MediaPipe 0.10.21.

How to run (the tests themselves never need MediaPipe; they read the committed files):
    tools/make_reference_venv.sh .venv-ref          # once: Python 3.11 venv with mediapipe 0.10.21
    .venv-ref/bin/python tools/make_references.py   # writes tests/data/ (about 20 s)
Options: --out DIR (default tests/data), --models DIR (default third_party/mediapipe).

Every output is deterministic given the pinned package versions (see make_reference_venv.sh);
the script runs each MediaPipe configuration twice and stops if the two runs differ, and
checks that its instrumented graph returns exactly what `mp.solutions.face_mesh.FaceMesh`
returns. Landmark values depend on the CPU's XNNPACK code path only in the last bits.

What it writes (array keys: see tests/data/README.md):
  Images (inputs; RGB unless noted):
    astronaut.png      skimage.data.astronaut(), 512x512, one face (main test image)
    camera.png         skimage.data.camera(), 512x512 grayscale, one small face; feed it as
                       three equal channels
    grace_hopper.png   matplotlib's sample_data/grace_hopper.jpg decoded by OpenCV and halved
                       to 256x300 (w x h), one face, portrait aspect
    chelsea.png        skimage.data.chelsea(), 451x300, a cat: no face expected
    four_faces.png     512x384, four scaled copies of the astronaut's head on a grey canvas
  static_<image>.npz   static_image_mode=True, for refine_landmarks in {False, True} x
                       max_num_faces in {1, 5}: landmarks, face count, and the intermediate
                       streams of the graph (detections before and after NMS, ROIs, face
                       presence scores, landmarks before projection)
  video_near.npz       static_image_mode=False on 300 synthetic 640x480 frames (the astronaut
                       moved, scaled and rotated; faces ~85-140 px wide; frames 200-209 show
                       no face); runs: refine off, refine on, and max_num_faces=5 for the first
                       120 frames
  video_far.npz        the same at a distance: the face shrinks from ~92 px to 42-53 px wide,
                       where the short-range detector finds nothing (frames 150-154 show no
                       face, so tracking must be lost), and comes back; refine off
  model_io.npz         raw outputs of face_detection_short_range.tflite and
                       face_landmark.tflite run by ai-edge-litert (XNNPACK and reference
                       kernels) on stored uint8 inputs

The video frames are not stored: frame t is
    cv2.warpAffine(astronaut_rgb, matrices[t], (640, 480), flags=cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_CONSTANT, borderValue=background)
with the float64 2x3 `matrices` and `background` stored in the npz; `frame_crc32[t]` is
zlib.crc32 of the resulting C-contiguous uint8 RGB frame, so a test can check it made the
same pixels (OpenCV's bilinear warp of uint8 is fixed point, hence reproducible).
"""

import argparse
import math
import os
import sys
import zlib

import cv2
import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Face centre of skimage's astronaut, in source pixels (x, y); video transforms keep it at
# the chosen frame position.
ASTRONAUT_FACE_CENTRE = (225.0, 125.0)
FRAME_W, FRAME_H = 640, 480
VIDEO_BACKGROUND = (40, 60, 80)  # RGB, BORDER_CONSTANT value
NUM_FRAMES = 300

GRAPH = "mediapipe/modules/face_landmark/face_landmark_front_cpu.binarypb"
DET = "facedetectionshortrangecpu__facedetectionshortrange__facedetection__"
DETECTION_THRESHOLD_NODE = DET + "TensorsToDetectionsCalculator"
PRESENCE_THRESHOLD_NODE = "facelandmarkcpu__ThresholdingCalculator"

# Graph streams recorded per frame: key in our output -> (stream name, kind).
# Kinds: "present" (packet arrival only), "detections", "rects", "landmark_lists",
# "landmarks" (one list per packet), "float" (one value per packet).
STREAMS = {
    "detector_ran": ("gated_image", "present"),
    "raw_det": (DET + "unfiltered_detections", "detections"),
    "nms_det": (DET + "filtered_detections", "detections"),
    "all_det": ("all_face_detections", "detections"),
    "det": ("face_detections", "detections"),
    "rects_from_detections": ("face_rects_from_detections", "rects"),
    "face_rects": ("face_rects", "rects"),
    "presence": ("facelandmarkcpu__face_presence_score", "float"),
    "roi_landmarks": ("facelandmarkcpu__landmarks", "landmarks"),
    "landmarks": ("multi_face_landmarks", "landmark_lists"),
    "rects_from_landmarks": ("face_rects_from_landmarks", "rects"),
}


# --------------------------------------------------------------------------------------
# MediaPipe access


class InstrumentedFaceMesh:
    """The legacy FaceMesh graph with the same side packets and options as
    mediapipe.solutions.face_mesh.FaceMesh, observing internal streams as well.

    process(rgb) returns a dict: key of STREAMS -> list of decoded packets that arrived
    while that frame was processed (in arrival order, i.e. loop order for per-face streams).
    """

    def __init__(self, static_image_mode, max_num_faces, refine_landmarks,
                 min_detection_confidence=0.5, min_tracking_confidence=0.5):
        import mediapipe
        from mediapipe.framework import calculator_pb2
        from mediapipe.python import packet_creator
        from mediapipe.python._framework_bindings import calculator_graph
        from mediapipe.python._framework_bindings import resource_util
        from mediapipe.python._framework_bindings import validated_graph_config
        from mediapipe.python.solution_base import SolutionBase

        self._packet_creator = packet_creator
        root = os.path.dirname(os.path.dirname(os.path.abspath(mediapipe.__file__)))
        resource_util.set_resource_dir(root)
        validated = validated_graph_config.ValidatedGraphConfig()
        validated.initialize(binary_graph_path=os.path.join(root, GRAPH))
        config = calculator_pb2.CalculatorGraphConfig()
        config.ParseFromString(validated.binary_config)
        # Same option edits as FaceMesh.__init__ (the method does not use its instance).
        SolutionBase._modify_calculator_options(None, config, {
            DETECTION_THRESHOLD_NODE + ".min_score_thresh": min_detection_confidence,
            PRESENCE_THRESHOLD_NODE + ".threshold": min_tracking_confidence,
        })
        self._graph = calculator_graph.CalculatorGraph(graph_config=config)
        self._frame = None
        for key, (stream, kind) in STREAMS.items():
            self._graph.observe_output_stream(stream, self._callback(key, kind), False)
        self._graph.start_run({
            "num_faces": packet_creator.create_int(max_num_faces),
            "with_attention": packet_creator.create_bool(refine_landmarks),
            "use_prev_landmarks": packet_creator.create_bool(not static_image_mode),
        })
        self._timestamp = 0

    def _callback(self, key, kind):
        from mediapipe.python import packet_getter

        def cb(stream_name, packet):
            if kind == "present":
                value = True
            elif kind == "float":
                value = packet_getter.get_float(packet)
            elif kind == "landmarks":
                value = landmark_list_to_array(packet_getter.get_proto(packet))
            elif kind == "landmark_lists":
                value = [landmark_list_to_array(p) for p in packet_getter.get_proto_list(packet)]
            elif kind == "detections":
                value = [detection_to_tuple(p) for p in packet_getter.get_proto_list(packet)]
            elif kind == "rects":
                value = [rect_to_array(p) for p in packet_getter.get_proto_list(packet)]
            else:
                raise ValueError(kind)
            self._frame[key].append(value)
        return cb

    def process(self, rgb):
        from mediapipe.python._framework_bindings import image_frame
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
        self._frame = {key: [] for key in STREAMS}
        self._timestamp += 33333  # the legacy solution's simulated 30 fps clock
        packet = self._packet_creator.create_image_frame(
            image_format=image_frame.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        self._graph.add_packet_to_input_stream(stream="image", packet=packet.at(self._timestamp))
        self._graph.wait_until_idle()
        frame, self._frame = self._frame, None
        return frame

    def close(self):
        self._graph.close()


def landmark_list_to_array(proto):
    return np.array([[p.x, p.y, p.z] for p in proto.landmark], dtype=np.float32)


def detection_to_tuple(det):
    """(score, box xmin/ymin/width/height, keypoints (K, 2)), relative coordinates."""
    loc = det.location_data
    box = loc.relative_bounding_box
    kps = np.array([[k.x, k.y] for k in loc.relative_keypoints], dtype=np.float32).reshape(-1, 2)
    return (np.float32(det.score[0]),
            np.array([box.xmin, box.ymin, box.width, box.height], dtype=np.float32), kps)


def rect_to_array(rect):
    return np.array([rect.x_center, rect.y_center, rect.width, rect.height, rect.rotation],
                    dtype=np.float32)


def official_landmarks(results):
    """Landmarks from mp.solutions.face_mesh.FaceMesh.process() as a list of (N, 3) arrays."""
    if results.multi_face_landmarks is None:
        return []
    return [landmark_list_to_array(f) for f in results.multi_face_landmarks]


def flatten_frame(frame):
    """Per-frame dict of lists -> per-frame dict of flat lists (one item per face/ROI/detection)."""
    out = {}
    for key, packets in frame.items():
        kind = STREAMS[key][1]
        if kind in ("detections", "rects", "landmark_lists"):
            out[key] = [item for packet in packets for item in packet]
        else:
            out[key] = list(packets)
    return out


def same_frame(a, b):
    for key in a:
        if len(a[key]) != len(b[key]):
            return False
        for x, y in zip(a[key], b[key]):
            xs = x if isinstance(x, tuple) else (x,)
            ys = y if isinstance(y, tuple) else (y,)
            if not all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(xs, ys)):
                return False
    return True


# --------------------------------------------------------------------------------------
# Images


def load_images():
    """name -> (RGB uint8 array fed to FaceMesh, array written to the PNG)."""
    import matplotlib.cbook
    import skimage.data

    images = {}
    astronaut = skimage.data.astronaut()
    images["astronaut"] = (astronaut, astronaut)
    camera = skimage.data.camera()
    images["camera"] = (np.repeat(camera[:, :, None], 3, axis=2), camera)
    hopper_bgr = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False),
                            cv2.IMREAD_COLOR)
    # Halved (INTER_AREA, exact 2x2 means) to keep the PNG small: 256x300.
    hopper = cv2.resize(np.ascontiguousarray(hopper_bgr[:, :, ::-1]), (256, 300),
                        interpolation=cv2.INTER_AREA)
    images["grace_hopper"] = (hopper, hopper)
    chelsea = skimage.data.chelsea()
    images["chelsea"] = (chelsea, chelsea)
    four = make_four_faces(astronaut)
    images["four_faces"] = (four, four)
    return images


def make_four_faces(astronaut):
    """512x384 grey canvas, 2x2 cells of 256x192, each holding a square crop of the
    astronaut's head (source x 100..350, y 0..250) resized with INTER_AREA to 190, 185,
    180 and 175 px, centred in its cell."""
    canvas = np.full((384, 512, 3), 90, dtype=np.uint8)
    crop = astronaut[0:250, 100:350]
    for i, size in enumerate((190, 185, 180, 175)):
        tile = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        cx, cy = 128 + 256 * (i % 2), 96 + 192 * (i // 2)
        x0, y0 = cx - size // 2, cy - size // 2
        canvas[y0:y0 + size, x0:x0 + size] = tile
    return canvas


def write_png(path, array):
    bgr = array if array.ndim == 2 else np.ascontiguousarray(array[:, :, ::-1])
    ok = cv2.imwrite(path, bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert ok, path
    back = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, bgr), path


# --------------------------------------------------------------------------------------
# Static references


def pad_detections(items):
    n = len(items)
    score = np.full((n,), np.nan, np.float32)
    box = np.full((n, 4), np.nan, np.float32)
    kps = np.full((n, 6, 2), np.nan, np.float32)
    for i, (s, b, kp) in enumerate(items):
        score[i], box[i], kps[i] = s, b, kp
    return score, box, kps


def static_references(images):
    from mediapipe.python.solutions import face_mesh as mp_face_mesh

    results = {}
    for name, (rgb, _) in images.items():
        data = {"image_height": np.int32(rgb.shape[0]), "image_width": np.int32(rgb.shape[1])}
        for refine in (False, True):
            for max_faces in (1, 5):
                cfg = f"{'refine' if refine else 'plain'}_max{max_faces}"
                runs = []
                for _ in range(2):
                    mesh = InstrumentedFaceMesh(True, max_faces, refine)
                    runs.append(flatten_frame(mesh.process(rgb)))
                    mesh.close()
                if not same_frame(runs[0], runs[1]):
                    raise SystemExit(f"non-deterministic MediaPipe output: {name} {cfg}")
                frame = runs[0]
                with mp_face_mesh.FaceMesh(static_image_mode=True, max_num_faces=max_faces,
                                           refine_landmarks=refine) as fm:
                    official = official_landmarks(fm.process(rgb))
                check_same_landmarks(official, frame["landmarks"], f"{name} {cfg}")
                n_points = 478 if refine else 468
                data[f"{cfg}_num_faces"] = np.int32(len(frame["landmarks"]))
                data[f"{cfg}_landmarks"] = stack(frame["landmarks"], (n_points, 3))
                data[f"{cfg}_roi_landmarks"] = stack(frame["roi_landmarks"], (n_points, 3))
                data[f"{cfg}_presence"] = np.array(frame["presence"], np.float32)
                data[f"{cfg}_detector_ran"] = np.bool_(len(frame["detector_ran"]) > 0)
                for key in ("raw_det", "nms_det", "all_det", "det"):
                    s, b, k = pad_detections(frame[key])
                    data[f"{cfg}_{key}_score"] = s
                    data[f"{cfg}_{key}_box"] = b
                    data[f"{cfg}_{key}_keypoints"] = k
                for key in ("rects_from_detections", "face_rects", "rects_from_landmarks"):
                    data[f"{cfg}_{key}"] = stack(frame[key], (5,))
                print(f"static {name:13s} {cfg}: faces={len(frame['landmarks'])} "
                      f"raw_det={len(frame['raw_det'])} det={len(frame['det'])} "
                      f"presence={np.round(frame['presence'], 3).tolist()}")
        results[name] = data
    return results


def stack(items, shape):
    if not items:
        return np.zeros((0,) + shape, np.float32)
    return np.stack(items).astype(np.float32)


def check_same_landmarks(official, ours, what):
    if len(official) != len(ours) or not all(np.array_equal(a, b) for a, b in zip(official, ours)):
        raise SystemExit(f"instrumented graph differs from FaceMesh: {what}")


# --------------------------------------------------------------------------------------
# Synthetic videos


def smoothstep_cos(x):
    """0 for x <= 0, 1 for x >= 1, half-cosine in between."""
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * x)


def near_pose(t):
    """(scale, rotation in radians, face centre x, y in frame pixels) of frame t."""
    s = 1.2 + 0.3 * math.sin(2 * math.pi * t / 150)
    theta = math.radians(25.0) * math.sin(2 * math.pi * t / 100)
    cx = 320 + 100 * math.sin(2 * math.pi * t / 300)
    cy = 240 + 40 * math.sin(2 * math.pi * t / 75)
    if 200 <= t < 210:
        cx += 1000.0  # the face leaves the frame: tracking is lost, detection must re-acquire
    return s, theta, cx, cy


def far_pose(t):
    near = 1.0 - smoothstep_cos((t - 20) / 60.0) + smoothstep_cos((t - 240) / 50.0)
    small = 0.52 + 0.06 * math.sin(2 * math.pi * t / 50)
    s = near * 1.0 + (1.0 - near) * small
    theta = math.radians(12.0) * math.sin(2 * math.pi * t / 120)
    cx = 320 + 80 * math.sin(2 * math.pi * t / 200)
    cy = 240 + 30 * math.sin(2 * math.pi * t / 90)
    if 150 <= t < 155:
        cx += 1000.0  # tracking is lost while the face is small: the detector runs and misses
    return s, theta, cx, cy


def pose_matrix(s, theta, cx, cy):
    """2x3 float64 matrix mapping astronaut pixels to frame pixels: rotation by theta
    (positive turns +x towards +y), uniform scale s, face centre to (cx, cy)."""
    c, si = s * math.cos(theta), s * math.sin(theta)
    fx, fy = ASTRONAUT_FACE_CENTRE
    return np.array([[c, -si, cx - (c * fx - si * fy)],
                     [si, c, cy - (si * fx + c * fy)]], dtype=np.float64)


def render(astronaut, matrix):
    return cv2.warpAffine(astronaut, matrix, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=VIDEO_BACKGROUND)


def run_video(astronaut, matrices, refine, max_faces, num_frames):
    from mediapipe.python.solutions import face_mesh as mp_face_mesh

    mesh_a = InstrumentedFaceMesh(False, max_faces, refine)
    mesh_b = InstrumentedFaceMesh(False, max_faces, refine)
    official = mp_face_mesh.FaceMesh(static_image_mode=False, max_num_faces=max_faces,
                                     refine_landmarks=refine)
    frames = []
    for t in range(num_frames):
        rgb = render(astronaut, matrices[t])
        a = flatten_frame(mesh_a.process(rgb))
        b = flatten_frame(mesh_b.process(rgb))
        if not same_frame(a, b):
            raise SystemExit(f"non-deterministic MediaPipe output at frame {t}")
        check_same_landmarks(official_landmarks(official.process(rgb)), a["landmarks"],
                             f"video frame {t}")
        frames.append(a)
    mesh_a.close()
    mesh_b.close()
    official.close()

    n_points = 478 if refine else 468
    T = num_frames
    count = lambda key: np.array([len(f[key]) for f in frames], np.int32)
    width = lambda key: max(1, int(count(key).max()))
    out = {
        "num_faces": count("landmarks"),
        "detector_ran": np.array([len(f["detector_ran"]) > 0 for f in frames], np.bool_),
        "num_raw_det": count("raw_det"),
        "num_det": count("det"),
        "num_face_rects": count("face_rects"),
    }
    k = width("landmarks")
    lm = np.full((T, k, n_points, 3), np.nan, np.float32)
    for t, f in enumerate(frames):
        for i, face in enumerate(f["landmarks"]):
            lm[t, i] = face
    out["landmarks"] = lm
    k = width("det")
    score = np.full((T, k), np.nan, np.float32)
    box = np.full((T, k, 4), np.nan, np.float32)
    kps = np.full((T, k, 6, 2), np.nan, np.float32)
    for t, f in enumerate(frames):
        for i, (s, b, kp) in enumerate(f["det"]):
            score[t, i], box[t, i], kps[t, i] = s, b, kp
    out.update(det_score=score, det_box=box, det_keypoints=kps)
    for key in ("rects_from_detections", "face_rects", "rects_from_landmarks", "presence"):
        k = width(key)
        shape = (T, k, 5) if key != "presence" else (T, k)
        arr = np.full(shape, np.nan, np.float32)
        for t, f in enumerate(frames):
            for i, v in enumerate(f[key]):
                arr[t, i] = v
        out[key] = arr
    return out


def video_references(astronaut):
    results = {}
    for name, pose in (("near", near_pose), ("far", far_pose)):
        poses = np.array([pose(t) for t in range(NUM_FRAMES)], np.float64)
        matrices = np.stack([pose_matrix(*p) for p in poses])
        crc = np.array([zlib.crc32(np.ascontiguousarray(render(astronaut, m)).tobytes())
                        for m in matrices], np.uint32)
        data = {
            "matrices": matrices,
            "poses": poses,
            "frame_crc32": crc,
            "frame_size": np.array([FRAME_W, FRAME_H], np.int32),
            "background": np.array(VIDEO_BACKGROUND, np.uint8),
            "face_centre_in_source": np.array(ASTRONAUT_FACE_CENTRE, np.float64),
        }
        runs = [("plain", False, 1, NUM_FRAMES)]
        if name == "near":
            runs += [("refine", True, 1, NUM_FRAMES), ("plain_max5", False, 5, 120)]
        for run, refine, max_faces, n in runs:
            out = run_video(astronaut, matrices, refine, max_faces, n)
            for key, value in out.items():
                data[f"{run}_{key}"] = value
            print(f"video {name} {run}: frames={n} tracked={int((out['num_faces'] > 0).sum())} "
                  f"detector_runs={int(out['detector_ran'].sum())} "
                  f"detections={int((out['num_det'] > 0).sum())}")
        results[name] = data
    return results


# --------------------------------------------------------------------------------------
# Raw model outputs


# Output tensor names in the .tflite files -> our key names.
OUTPUT_NAMES = {"regressors": "regressors", "classificators": "classificators",
                "conv2d_21": "mesh", "conv2d_31": "face_flag"}


def model_references(models_dir, astronaut, static_astronaut):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    det_in = cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA)
    # Axis-aligned square crop around the ROI MediaPipe used for the astronaut (pixels).
    xc, yc, w, h, _ = static_astronaut["plain_max1_face_rects"][0]
    size = int(round(max(w, h) * 512))
    x0, y0 = int(round(xc * 512)) - size // 2, int(round(yc * 512)) - size // 2
    padded = cv2.copyMakeBorder(astronaut, size, size, size, size, cv2.BORDER_REPLICATE)
    crop = padded[y0 + size:y0 + 2 * size, x0 + size:x0 + 2 * size]
    lm_in = cv2.resize(crop, (192, 192), interpolation=cv2.INTER_AREA)

    data = {"det_input_u8": det_in, "lm_input_u8": lm_in,
            "lm_crop_box": np.array([x0, y0, size, size], np.int32)}
    jobs = (
        ("det", "face_detection_short_range.tflite", det_in.astype(np.float32) * (2.0 / 255.0) - 1.0),
        ("lm", "face_landmark.tflite", lm_in.astype(np.float32) * (1.0 / 255.0)),
    )
    for prefix, model, tensor in jobs:
        data[f"{prefix}_input"] = tensor[None].astype(np.float32)
        for variant, resolver in (("xnnpack", OpResolverType.AUTO),
                                  ("ref", OpResolverType.BUILTIN_REF)):
            it = Interpreter(model_path=os.path.join(models_dir, model), num_threads=1,
                             experimental_op_resolver_type=resolver)
            it.allocate_tensors()
            it.set_tensor(it.get_input_details()[0]["index"], data[f"{prefix}_input"])
            it.invoke()
            for d in it.get_output_details():
                name = OUTPUT_NAMES.get(d["name"], d["name"])
                data[f"{prefix}_{variant}_{name}"] = it.get_tensor(d["index"]).copy()
    for prefix in ("det", "lm"):
        keys = sorted(k for k in data if k.startswith(prefix + "_xnnpack_"))
        for k in keys:
            diff = np.abs(data[k] - data[k.replace("_xnnpack_", "_ref_")]).max()
            print(f"model {k}: shape={data[k].shape} max |xnnpack - ref| = {diff:.3g}")
    return data


# --------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "data"))
    ap.add_argument("--models", default=os.path.join(REPO_ROOT, "third_party", "mediapipe"))
    args = ap.parse_args()

    import mediapipe
    if mediapipe.__version__ != "0.10.21":
        raise SystemExit(f"needs mediapipe 0.10.21, found {mediapipe.__version__}")
    print("mediapipe", mediapipe.__version__, "opencv", cv2.__version__, "numpy", np.__version__)
    os.makedirs(args.out, exist_ok=True)

    images = load_images()
    for name, (_, stored) in images.items():
        write_png(os.path.join(args.out, f"{name}.png"), stored)

    static = static_references(images)
    for name, data in static.items():
        np.savez_compressed(os.path.join(args.out, f"static_{name}.npz"), **data)

    astronaut = images["astronaut"][0]
    for name, data in video_references(astronaut).items():
        np.savez_compressed(os.path.join(args.out, f"video_{name}.npz"), **data)

    np.savez_compressed(os.path.join(args.out, "model_io.npz"),
                        **model_references(args.models, astronaut, static["astronaut"]))

    total = 0
    for f in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, f))
        total += size
        print(f"{f:28s} {size:10d}")
    print(f"{'total':28s} {total:10d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
