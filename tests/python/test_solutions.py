"""The mediapipe-compatible `solutions` modules, the drawing utilities and the demo.

Cross-checks: the connection sets against the landmarks MediaPipe 0.10.21 produced for
astronaut.png (tests/data/static_astronaut.npz: mesh edges must join neighbouring points, each
iris ring must sit in the eye of the same name), against mediapipe's own module and drawing
code when mediapipe is importable; drawn pixels against the landmark positions. The demo tests
run the native FaceMesh and skip cleanly while the build has none.
"""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import facemesh_native
import facemesh_native as fm
from facemesh_native._face_mesh import NormalizedLandmarkList
from facemesh_native.solutions import drawing_styles, drawing_utils, face_mesh
from facemesh_native.solutions import face_mesh_connections as conn

from conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
HAS_FACEMESH = hasattr(facemesh_native, "FaceMesh")
needs_facemesh = pytest.mark.skipif(not HAS_FACEMESH, reason="facemesh_native.FaceMesh not built yet")

SET_NAMES = ["FACEMESH_LIPS", "FACEMESH_LEFT_EYE", "FACEMESH_LEFT_IRIS", "FACEMESH_LEFT_EYEBROW",
             "FACEMESH_RIGHT_EYE", "FACEMESH_RIGHT_IRIS", "FACEMESH_RIGHT_EYEBROW",
             "FACEMESH_FACE_OVAL", "FACEMESH_NOSE", "FACEMESH_CONTOURS", "FACEMESH_IRISES",
             "FACEMESH_TESSELATION"]


def _undirected(edges):
    return {frozenset(e) for e in edges}


def _reference(cfg="plain_max1"):
    z = np.load(DATA / "static_astronaut.npz")
    w, h = int(z["image_width"]), int(z["image_height"])
    return z[f"{cfg}_landmarks"][0], w, h


# ---------------------------------------------------------------- module layout


def test_module_paths_mirror_mediapipe():
    import facemesh_native.solutions as solutions
    for name in ("face_mesh", "face_mesh_connections", "drawing_utils", "drawing_styles"):
        assert hasattr(solutions, name)
    for name in SET_NAMES + ["FACEMESH_NUM_LANDMARKS", "FACEMESH_NUM_LANDMARKS_WITH_IRISES"]:
        assert getattr(face_mesh, name) is getattr(conn, name)


@needs_facemesh
def test_face_mesh_class_is_the_package_class_held_to_mediapipe():
    # The solution class is the native one with mediapipe's input checks on top.
    assert issubclass(face_mesh.FaceMesh, facemesh_native.FaceMesh)
    assert face_mesh.FaceMesh.process is not facemesh_native.FaceMesh.process


# ---------------------------------------------------------------- connection sets


def test_sets_are_frozensets_of_int_pairs():
    for name in SET_NAMES:
        s = getattr(conn, name)
        assert isinstance(s, frozenset) and s, name
        for e in s:
            assert isinstance(e, tuple) and len(e) == 2 and all(type(v) is int for v in e), (name, e)


def test_set_sizes_are_mediapipes():
    # Sizes of mediapipe 0.10.21's sets (len() of its frozensets).
    sizes = {"FACEMESH_LIPS": 40, "FACEMESH_LEFT_EYE": 16, "FACEMESH_LEFT_IRIS": 4,
             "FACEMESH_LEFT_EYEBROW": 8, "FACEMESH_RIGHT_EYE": 16, "FACEMESH_RIGHT_IRIS": 4,
             "FACEMESH_RIGHT_EYEBROW": 8, "FACEMESH_FACE_OVAL": 36, "FACEMESH_NOSE": 25,
             "FACEMESH_CONTOURS": 124, "FACEMESH_IRISES": 8, "FACEMESH_TESSELATION": 2556}
    assert {n: len(getattr(conn, n)) for n in sizes} == sizes
    assert conn.FACEMESH_NUM_LANDMARKS == 468
    assert conn.FACEMESH_NUM_LANDMARKS_WITH_IRISES == 478


def test_unions_as_mediapipe_defines_them():
    assert conn.FACEMESH_CONTOURS == frozenset().union(
        conn.FACEMESH_LIPS, conn.FACEMESH_LEFT_EYE, conn.FACEMESH_LEFT_EYEBROW,
        conn.FACEMESH_RIGHT_EYE, conn.FACEMESH_RIGHT_EYEBROW, conn.FACEMESH_FACE_OVAL)
    assert conn.FACEMESH_IRISES == conn.FACEMESH_LEFT_IRIS | conn.FACEMESH_RIGHT_IRIS


def test_index_ranges():
    for name in SET_NAMES:
        idx = {v for e in getattr(conn, name) for v in e}
        assert min(idx) >= 0 and max(idx) < conn.FACEMESH_NUM_LANDMARKS_WITH_IRISES, name
        if "IRIS" in name:
            assert min(idx) >= conn.FACEMESH_NUM_LANDMARKS, name
        else:
            assert max(idx) < conn.FACEMESH_NUM_LANDMARKS, name
    # The tessellation covers every mesh point.
    assert {v for e in conn.FACEMESH_TESSELATION for v in e} == set(range(468))


def test_closed_contours_are_cycles():
    for name in ("FACEMESH_LIPS", "FACEMESH_LEFT_EYE", "FACEMESH_RIGHT_EYE", "FACEMESH_FACE_OVAL",
                 "FACEMESH_LEFT_IRIS", "FACEMESH_RIGHT_IRIS"):
        degree = Counter(v for e in getattr(conn, name) for v in e)
        assert set(degree.values()) == {2}, name


def test_tessellation_is_a_triangulation_containing_the_contours():
    tess = _undirected(conn.FACEMESH_TESSELATION)
    neighbours = {}
    for e in tess:
        a, b = tuple(e)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    for e in tess:
        a, b = tuple(e)
        assert neighbours[a] & neighbours[b], f"edge {a}-{b} is in no triangle"
    assert _undirected(conn.FACEMESH_CONTOURS) <= tess
    assert _undirected(conn.FACEMESH_NOSE) <= tess


def test_edges_join_neighbours_in_mediapipes_output():
    """Against MediaPipe's landmarks for astronaut.png: mesh edges are short, random pairs not."""
    lm, w, h = _reference()
    px = lm[:, :2] * [w, h]
    span = float(np.max(px.max(0) - px.min(0)))
    lengths = np.array([np.linalg.norm(px[a] - px[b]) for a, b in conn.FACEMESH_TESSELATION])
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, 468, size=(4000, 2))
    random_mean = np.linalg.norm(px[pairs[:, 0]] - px[pairs[:, 1]], axis=1).mean()
    assert lengths.max() < 0.25 * span
    assert lengths.mean() < 0.2 * random_mean
    contour_lengths = [np.linalg.norm(px[a] - px[b]) for a, b in conn.FACEMESH_CONTOURS]
    assert max(contour_lengths) < 0.2 * span


def test_iris_rings_sit_in_the_eye_of_the_same_name():
    lm, w, h = _reference("refine_max1")
    px = lm[:, :2] * [w, h]
    for iris, eye in (("FACEMESH_LEFT_IRIS", "FACEMESH_LEFT_EYE"),
                      ("FACEMESH_RIGHT_IRIS", "FACEMESH_RIGHT_EYE")):
        ring = sorted({v for e in getattr(conn, iris) for v in e})
        eye_pts = px[sorted({v for e in getattr(conn, eye) for v in e})]
        centre = px[ring].mean(0)
        assert np.all(centre > eye_pts.min(0)) and np.all(centre < eye_pts.max(0)), iris


def test_packaged_json_matches_third_party_copy():
    packaged = Path(conn.__file__).resolve().parents[1] / "data" / "face_mesh_connections.json"
    assert packaged.is_file()
    source_copy = ROOT / "third_party" / "mediapipe" / "face_mesh_connections.json"
    if not source_copy.is_file():
        pytest.skip("not run from a source checkout")
    assert packaged.read_bytes() == source_copy.read_bytes()
    doc = json.loads(source_copy.read_text())
    assert {n: frozenset(map(tuple, e)) for n, e in doc["sets"].items()} == \
        {n: getattr(conn, n) for n in SET_NAMES}


def test_sets_equal_mediapipes_module_when_installed():
    mp_conn = pytest.importorskip("mediapipe.python.solutions.face_mesh_connections")
    for name in SET_NAMES:
        assert getattr(conn, name) == getattr(mp_conn, name), name


# ---------------------------------------------------------------- drawing


class _Lm:
    """A landmark with optional visibility/presence attributes (None: field absent)."""

    def __init__(self, x, y, z=0.0, visibility=None, presence=None):
        self.x, self.y, self.z = x, y, z
        self.visibility, self.presence = visibility, presence


class _LmList:
    def __init__(self, landmarks):
        self.landmark = landmarks


def _changed(before, after):
    return np.any(before != after, axis=2)


def test_draw_landmarks_marks_only_near_landmarks():
    pytest.importorskip("cv2")
    h, w = 120, 160
    pts = np.array([[0.25, 0.25, 0.0], [0.75, 0.5, 0.0], [0.5, 0.8, 0.0]], np.float32)
    img = np.zeros((h, w, 3), np.uint8)
    spec = drawing_utils.DrawingSpec(color=(10, 200, 30), thickness=-1, circle_radius=3)
    drawing_utils.draw_landmarks(img, pts, landmark_drawing_spec=spec)
    changed = _changed(np.zeros_like(img), img)
    centres = [(min(int(np.floor(x * w)), w - 1), min(int(np.floor(y * h)), h - 1)) for x, y, _ in pts]
    border = max(spec.circle_radius + 1, int(spec.circle_radius * 1.2))
    yy, xx = np.mgrid[0:h, 0:w]
    near = np.zeros((h, w), bool)
    for cx, cy in centres:
        assert tuple(img[cy, cx]) == spec.color
        near |= (xx - cx) ** 2 + (yy - cy) ** 2 <= (border + 1) ** 2
        # The white border ring surrounds the inner disc.
        assert tuple(img[cy, cx + border]) == drawing_utils.WHITE_COLOR
    assert changed.any()
    assert not (changed & ~near).any()


def test_connections_draw_lines_between_endpoints_only():
    pytest.importorskip("cv2")
    h, w = 128, 128  # binary fractions: exact pixel positions 16, 112 and 64
    pts = np.array([[0.125, 0.5], [0.875, 0.5], [0.5, 0.125]], np.float32)
    img = np.zeros((h, w, 3), np.uint8)
    drawing_utils.draw_landmarks(img, pts, connections=[(0, 1)], landmark_drawing_spec=None,
                                 connection_drawing_spec=drawing_utils.DrawingSpec(thickness=1))
    changed = _changed(np.zeros_like(img), img)
    rows, cols = np.nonzero(changed)
    assert set(rows.tolist()) == {64}
    assert cols.min() == 16 and cols.max() == 112 and len(cols) == 97
    assert not changed[16, 64]  # landmark 2 is not connected and landmarks are off


def test_array_and_landmark_list_draw_the_same():
    pytest.importorskip("cv2")
    lm, w, h = _reference()
    rgb = np.zeros((h, w, 3), np.uint8)
    a, b = rgb.copy(), rgb.copy()
    drawing_utils.draw_landmarks(a, lm, conn.FACEMESH_TESSELATION)
    drawing_utils.draw_landmarks(b, _LmList([_Lm(*p) for p in lm.tolist()]), conn.FACEMESH_TESSELATION)
    assert np.array_equal(a, b) and a.any()


def test_pixel_rounding_and_out_of_range_landmarks():
    assert drawing_utils._normalized_to_pixel_coordinates(0.0, 0.0, 10, 20) == (0, 0)
    assert drawing_utils._normalized_to_pixel_coordinates(1.0, 1.0, 10, 20) == (9, 19)
    assert drawing_utils._normalized_to_pixel_coordinates(0.55, 0.26, 10, 20) == (5, 5)
    assert drawing_utils._normalized_to_pixel_coordinates(-0.01, 0.5, 10, 20) is None
    assert drawing_utils._normalized_to_pixel_coordinates(0.5, 1.01, 10, 20) is None
    pytest.importorskip("cv2")
    img = np.zeros((50, 50, 3), np.uint8)
    drawing_utils.draw_landmarks(img, np.array([[1.5, 0.5], [0.5, 0.5]]), connections=[(0, 1)],
                                 landmark_drawing_spec=None)
    assert not img.any()  # the connection touches an off-image landmark: not drawn


def test_visibility_and_presence_hide_landmarks():
    pytest.importorskip("cv2")
    img = np.zeros((60, 60, 3), np.uint8)
    lms = _LmList([_Lm(0.2, 0.2, visibility=0.1), _Lm(0.8, 0.8, presence=0.2),
                   _Lm(0.5, 0.5, visibility=0.9, presence=0.9)])
    drawing_utils.draw_landmarks(img, lms, connections=[(0, 2), (1, 2)])
    changed = _changed(np.zeros_like(img), img)
    assert changed[30, 30]
    assert not changed[12, 12] and not changed[48, 48]
    assert not changed[20, 20]  # the (0, 2) line is gone with landmark 0


def test_mapping_specs_and_errors():
    pytest.importorskip("cv2")
    img = np.zeros((40, 40, 3), np.uint8)
    pts = np.array([[0.25, 0.5], [0.75, 0.5]])
    red = drawing_utils.DrawingSpec(color=(0, 0, 255), thickness=1)
    drawing_utils.draw_landmarks(img, pts, [(0, 1)], landmark_drawing_spec=None,
                                 connection_drawing_spec={(0, 1): red})
    assert tuple(img[20, 20]) == (0, 0, 255)
    with pytest.raises(ValueError, match="out of range"):
        drawing_utils.draw_landmarks(img, pts, [(0, 2)])
    with pytest.raises(ValueError, match="three channel"):
        drawing_utils.draw_landmarks(np.zeros((40, 40), np.uint8), pts)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros((40, 40, 3), np.uint8)
        ro.flags.writeable = False
        drawing_utils.draw_landmarks(ro, pts)
    with pytest.raises(ValueError, match="shape"):
        drawing_utils.draw_landmarks(img, np.zeros((3, 4)))
    drawing_utils.draw_landmarks(img, None)  # nothing to draw


def test_missing_opencv_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ImportError, match="opencv-python"):
        drawing_utils.draw_landmarks(np.zeros((8, 8, 3), np.uint8), np.array([[0.5, 0.5]]))


def test_drawing_matches_mediapipe_when_installed():
    """Same pixels as mediapipe.solutions.drawing_utils for MediaPipe's own astronaut mesh."""
    mp_draw = pytest.importorskip("mediapipe.python.solutions.drawing_utils")
    from mediapipe.framework.formats import landmark_pb2
    lm, w, h = _reference("refine_max1")
    proto = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in lm.tolist():
        proto.landmark.add(x=x, y=y, z=z)
    cv2 = pytest.importorskip("cv2")
    base = cv2.imread(str(DATA / "astronaut.png"), cv2.IMREAD_COLOR)
    for connections, cspec, lspec in (
            (conn.FACEMESH_TESSELATION, drawing_styles.get_default_face_mesh_tesselation_style(), None),
            (conn.FACEMESH_CONTOURS, drawing_styles.get_default_face_mesh_contours_style(),
             drawing_utils.DrawingSpec(color=(0, 0, 255), thickness=1, circle_radius=1)),
            (conn.FACEMESH_IRISES, drawing_styles.get_default_face_mesh_iris_connections_style(), None)):
        ours, theirs = base.copy(), base.copy()
        drawing_utils.draw_landmarks(ours, proto, connections, lspec, cspec)
        mp_spec = lambda s: None if s is None else mp_draw.DrawingSpec(s.color, s.thickness, s.circle_radius)  # noqa: E731
        mp_cspec = mp_spec(cspec) if isinstance(cspec, drawing_utils.DrawingSpec) else \
            {k: mp_spec(v) for k, v in cspec.items()}
        mp_draw.draw_landmarks(theirs, proto, connections, mp_spec(lspec), mp_cspec)
        assert np.array_equal(ours, theirs)


def test_drawing_styles_cover_their_sets():
    assert isinstance(drawing_styles.get_default_face_mesh_tesselation_style(), drawing_utils.DrawingSpec)
    contours = drawing_styles.get_default_face_mesh_contours_style()
    assert set(contours) == set(conn.FACEMESH_CONTOURS)
    assert all(isinstance(v, drawing_utils.DrawingSpec) for v in contours.values())
    assert set(drawing_styles.get_default_face_mesh_contours_style(1)) == \
        set(conn.FACEMESH_CONTOURS | conn.FACEMESH_NOSE)
    assert set(drawing_styles.get_default_face_mesh_iris_connections_style()) == set(conn.FACEMESH_IRISES)


# ---------------------------------------------------------------- the native pipeline and demo


def _demo(args, cwd):
    return subprocess.run([sys.executable, "-m", "facemesh_native.demo", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


@needs_facemesh
def test_draw_on_native_results(astronaut):
    pytest.importorskip("cv2")
    with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        res = mesh.process(astronaut)
    assert res.multi_face_landmarks and len(res.multi_face_landmarks[0].landmark) == 478
    img = np.ascontiguousarray(astronaut[:, :, ::-1])
    before = img.copy()
    drawing_utils.draw_landmarks(img, res.multi_face_landmarks[0], face_mesh.FACEMESH_IRISES,
                                 landmark_drawing_spec=None,
                                 connection_drawing_spec=drawing_styles.get_default_face_mesh_iris_connections_style())
    rows, cols = np.nonzero(_changed(before, img))
    iris_px = res.landmarks[0, 468:, :2] * [img.shape[1], img.shape[0]]
    assert len(rows) > 0
    assert cols.min() >= iris_px[:, 0].min() - 3 and cols.max() <= iris_px[:, 0].max() + 3
    assert rows.min() >= iris_px[:, 1].min() - 3 and rows.max() <= iris_px[:, 1].max() + 3


@needs_facemesh
def test_demo_on_image_writes_mesh_and_json(tmp_path):
    cv2 = pytest.importorskip("cv2")
    out, js = tmp_path / "astro_mesh.png", tmp_path / "astro.json"
    r = _demo([DATA / "astronaut.png", "--out", out, "--json", js, "--threads", "1"], tmp_path)
    assert r.returncode == 0, r.stderr
    device_lines = [ln for ln in r.stdout.splitlines() if "device" in ln and "cpu" in ln]
    assert device_lines, r.stdout
    assert "latency" in r.stdout
    src = cv2.imread(str(DATA / "astronaut.png"), cv2.IMREAD_COLOR)
    img = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == src.shape
    changed = _changed(src, img)
    assert changed.sum() > 1000
    # Changes lie on MediaPipe's face (its reference landmarks' box, with a margin for lines).
    ref, w, h = _reference()
    lo = ref[:, :2].min(0) * [w, h] - 4
    hi = ref[:, :2].max(0) * [w, h] + 4
    rows, cols = np.nonzero(changed)
    assert cols.min() >= lo[0] and cols.max() <= hi[0] and rows.min() >= lo[1] and rows.max() <= hi[1]
    doc = json.loads(js.read_text())
    assert doc["device"] == "cpu" and doc["kind"] == "image"
    faces = doc["frames"][0]["faces"]
    assert len(faces) == 1
    got = np.array(faces[0]["landmarks"])
    assert got.shape == (468, 3)
    assert np.abs(got[:, :2] - ref[:, :2]).max() < 0.02  # the demo dumps the pipeline's landmarks


@needs_facemesh
def test_demo_default_output_name_and_refine(tmp_path):
    pytest.importorskip("cv2")
    js = tmp_path / "r.json"
    r = _demo([DATA / "astronaut.png", "--refine", "--json", js], tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "astronaut_mesh.png").is_file()
    doc = json.loads(js.read_text())
    assert len(doc["frames"][0]["faces"][0]["landmarks"]) == 478


@needs_facemesh
def test_demo_on_video_tracks_frames(tmp_path):
    cv2 = pytest.importorskip("cv2")
    src = cv2.imread(str(DATA / "astronaut.png"), cv2.IMREAD_COLOR)
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (512, 512))
    if not writer.isOpened():
        pytest.skip("this OpenCV cannot write MJPG video")
    for t in range(4):
        writer.write(np.roll(src, 4 * t, axis=1))
    writer.release()
    out, js = tmp_path / "clip_mesh.avi", tmp_path / "clip.json"
    r = _demo([video, "--out", out, "--json", js], tmp_path)
    assert r.returncode == 0, r.stderr
    assert sum(ln.startswith("frame ") for ln in r.stdout.splitlines()) == 4
    doc = json.loads(js.read_text())
    assert doc["kind"] == "video" and len(doc["frames"]) == 4
    assert all(len(f["faces"]) == 1 for f in doc["frames"])
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 4


@needs_facemesh
def test_demo_without_input_uses_the_bundled_sample(tmp_path):
    cv2 = pytest.importorskip("cv2")
    r = _demo([], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "frame 0: 1 face(s)" in r.stdout
    img = cv2.imread(str(tmp_path / "astronaut_mesh.png"), cv2.IMREAD_COLOR)
    src = cv2.imread(str(DATA / "astronaut.png"), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == src.shape and _changed(src, img).any()


@needs_facemesh
def test_demo_rejects_bad_options(tmp_path):
    pytest.importorskip("cv2")
    r = _demo([DATA / "astronaut.png", "--device", "no-such-device"], tmp_path)
    assert r.returncode == 2 and "no-such-device" in r.stderr, r.stderr
    r = _demo([DATA / "astronaut.png", "--max-faces", "0"], tmp_path)
    assert r.returncode == 2 and "max_num_faces" in r.stderr, r.stderr
    assert not (tmp_path / "astronaut_mesh.png").exists()


def test_demo_missing_and_unreadable_files(tmp_path):
    r = _demo([tmp_path / "nope.png"], tmp_path)
    assert r.returncode == 2 and "no such file" in r.stderr
    pytest.importorskip("cv2")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    r = _demo([bad], tmp_path)
    assert r.returncode == 2 and "cannot read" in r.stderr, r.stderr


# ---------------------------------------------------------------------------------------------
# The drop-in surface: `import facemesh_native as mp` as `import mediapipe as mp`, and results
# that print and convert as mediapipe's protobuf messages.

def _protobuf_landmark_classes():
    """mediapipe's NormalizedLandmark / NormalizedLandmarkList messages, declared here from
    their .proto fields (mediapipe/framework/formats/landmark.proto, proto2), as the oracle."""
    pytest.importorskip("google.protobuf")
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    f = descriptor_pb2.FileDescriptorProto(name="fmn_test_landmark.proto", package="mediapipe",
                                           syntax="proto2")
    lm = f.message_type.add(name="NormalizedLandmark")
    for i, n in enumerate(["x", "y", "z", "visibility", "presence"], 1):
        lm.field.add(name=n, number=i, type=descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
                     label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    ll = f.message_type.add(name="NormalizedLandmarkList")
    ll.field.add(name="landmark", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
                 label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
                 type_name=".mediapipe.NormalizedLandmark")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    get = getattr(message_factory, "GetMessageClass", None)
    if get is None:
        factory = message_factory.MessageFactory(pool)
        get = factory.GetPrototype
    return get(pool.FindMessageTypeByName("mediapipe.NormalizedLandmarkList"))


def test_import_facemesh_native_as_mp_gives_solutions():
    import facemesh_native as mp
    assert mp.solutions.face_mesh.FACEMESH_NUM_LANDMARKS == 468
    for name in ("face_mesh", "drawing_utils", "drawing_styles", "face_mesh_connections"):
        assert hasattr(mp.solutions, name), name


def test_import_stays_light():
    code = ("import sys, facemesh_native as mp; mp.solutions.face_mesh; "
            "print('cv2' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_solution_face_mesh_raises_mediapipes_error_for_rgba():
    from facemesh_native.solutions import face_mesh
    with face_mesh.FaceMesh(static_image_mode=True) as m:
        with pytest.raises(ValueError, match=r"^Input image must contain three channel rgb data\.$"):
            m.process(np.zeros((64, 64, 4), np.uint8))
    with fm.FaceMesh(static_image_mode=True, device="cpu") as native:   # the extension
        assert native.process(np.zeros((64, 64, 4), np.uint8)).multi_face_landmarks is None


def test_landmarks_print_and_convert_as_protobuf():
    List = _protobuf_landmark_classes()
    rng = np.random.default_rng(11)
    arr = np.concatenate([rng.uniform(-1, 1, (40, 3)), rng.uniform(0, 1e-3, (10, 3)),
                          [[0.25, 0.0, -0.0312]]]).astype(np.float32)
    ours = NormalizedLandmarkList(arr)
    theirs = List()
    for x, y, z in arr.tolist():
        theirs.landmark.add(x=x, y=y, z=z)
    assert str(ours) == str(theirs)
    assert str(ours.landmark[3]) == str(theirs.landmark[3])
    from google.protobuf.json_format import MessageToDict
    assert ours.to_dict() == MessageToDict(theirs)
    assert len(ours) == len(theirs.landmark) and [lm.x for lm in ours] == [lm.x for lm in theirs.landmark]
    a, b = ours.landmark[0], theirs.landmark[0]
    assert [(f.name, v) for f, v in a.ListFields()] == [(f.name, v) for f, v in b.ListFields()]
    for field in ("x", "visibility", "presence"):
        assert a.HasField(field) == b.HasField(field)
    for obj_ours, obj_theirs, field in ((a, b, "nope"), (ours, theirs, "landmark")):
        with pytest.raises(ValueError) as e1:
            obj_ours.HasField(field)
        with pytest.raises(ValueError) as e2:
            obj_theirs.HasField(field)
        assert str(e1.value) == str(e2.value)
