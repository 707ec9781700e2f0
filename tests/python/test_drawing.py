"""drawing_utils and drawing_styles against mediapipe 0.10.21's: the same pixels.

tests/data/drawing_reference.npz holds images mediapipe's own drawing_utils and drawing_styles
drew (tools/make_drawing_references.py, run in the reference venv): the astronaut's mesh with
each face style, the default landmark spec, a face detection and a pose's axes. Ours redraws
them from the same inputs and must match exactly. Also: the framework.formats protobuf
messages, mediapipe's argument checks, and lazy imports (no cv2 / matplotlib at import).
"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facemesh_native.solutions import drawing_styles, drawing_utils, face_mesh

from conftest import DATA

cv2 = pytest.importorskip("cv2")

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_drawing_references.py"


def _tool():
    """The reference script's geometry (canvas, region, pose), without importing mediapipe."""
    src = TOOL.read_text()
    ns = {"__file__": str(TOOL)}
    head = src.split("from mediapipe")[0]
    exec(compile(head, str(TOOL), "exec"), ns)  # imports only
    for name in ("DATA", "SIZE", "REGION", "AXIS_ROTATION", "AXIS_TRANSLATION"):
        line = next(l for l in src.splitlines() if l.startswith(name + " ="))
        exec(line, ns)
    body = src[src.index("def canvas"):src.index("def to_proto")]
    exec(body, ns)
    return ns


@pytest.fixture(scope="module")
def ref():
    return np.load(DATA / "drawing_reference.npz")


@pytest.fixture(scope="module")
def tool():
    return _tool()


def _native_landmarks(lm):
    from facemesh_native._face_mesh import NormalizedLandmarkList
    return NormalizedLandmarkList(lm.astype(np.float32))


@pytest.mark.parametrize("key,connections,style", [
    ("tesselation", face_mesh.FACEMESH_TESSELATION,
     drawing_styles.get_default_face_mesh_tesselation_style()),
    ("contours0", face_mesh.FACEMESH_CONTOURS, drawing_styles.get_default_face_mesh_contours_style(0)),
    ("contours1", face_mesh.FACEMESH_CONTOURS | face_mesh.FACEMESH_NOSE,
     drawing_styles.get_default_face_mesh_contours_style(1)),
    ("irises", face_mesh.FACEMESH_IRISES,
     drawing_styles.get_default_face_mesh_iris_connections_style()),
])
def test_face_styles_draw_mediapipes_pixels(ref, tool, key, connections, style):
    lm = tool["face_landmarks"]()
    for landmarks in (lm, _native_landmarks(lm)):
        img = tool["canvas"]()
        drawing_utils.draw_landmarks(img, landmarks, sorted(connections),
                                     landmark_drawing_spec=None, connection_drawing_spec=style)
        diff = int((img != ref[key]).any(axis=2).sum())
        assert diff == 0, f"{key}: {diff} pixels differ from mediapipe's"


def test_default_landmark_spec_draws_mediapipes_pixels(ref, tool):
    img = tool["canvas"]()
    drawing_utils.draw_landmarks(img, tool["face_landmarks"](), sorted(face_mesh.FACEMESH_CONTOURS))
    assert np.array_equal(img, ref["landmarks"])


def test_draw_detection_draws_mediapipes_pixels(ref, tool):
    """Both our Detection objects and protobuf Detection messages."""
    from facemesh_native.solutions.face_detection import Detection
    row = np.load(DATA / "face_detection.npz")["astronaut__m0__c50"][0].astype(np.float64)
    x0, y0, side = tool["REGION"]
    mapped = row.copy()
    mapped[[1, 5, 7, 9, 11, 13, 15]] = (row[[1, 5, 7, 9, 11, 13, 15]] - x0) / side
    mapped[[2, 6, 8, 10, 12, 14, 16]] = (row[[2, 6, 8, 10, 12, 14, 16]] - y0) / side
    mapped[3:5] = row[3:5] / side
    img = tool["canvas"]()
    drawing_utils.draw_detection(img, Detection(mapped.astype(np.float32)))
    assert np.array_equal(img, ref["detection"])


def test_draw_axis_draws_mediapipes_pixels(ref, tool):
    img = tool["canvas"]()
    drawing_utils.draw_axis(img, tool["AXIS_ROTATION"], tool["AXIS_TRANSLATION"])
    assert np.array_equal(img, ref["axis"])


def test_styles_are_mediapipes_values():
    assert drawing_styles.get_default_face_mesh_tesselation_style() == drawing_utils.DrawingSpec(
        color=(128, 128, 128), thickness=1, circle_radius=2)
    c0 = drawing_styles.get_default_face_mesh_contours_style()
    assert c0[next(iter(face_mesh.FACEMESH_LEFT_EYE))].color == (48, 255, 48)
    assert c0[next(iter(face_mesh.FACEMESH_RIGHT_EYE))].color == (48, 48, 255)
    c1 = drawing_styles.get_default_face_mesh_contours_style(1)
    assert c1[next(iter(face_mesh.FACEMESH_NOSE))].color == (0, 204, 255)
    assert drawing_utils.WHITE_COLOR == (224, 224, 224)
    assert (drawing_utils.RED_COLOR, drawing_utils.GREEN_COLOR, drawing_utils.BLUE_COLOR) == \
        ((0, 0, 255), (0, 128, 0), (255, 0, 0))


def test_errors_as_mediapipe():
    bad = np.arange(18, dtype=np.uint8).reshape(3, 3, 2)
    from facemesh_native._face_mesh import NormalizedLandmarkList
    with pytest.raises(ValueError, match="three channel bgr"):  # even with nothing to draw
        drawing_utils.draw_landmarks(bad, NormalizedLandmarkList(np.zeros((0, 3), np.float32)))
    with pytest.raises(ValueError, match="three channel bgr"):
        drawing_utils.draw_axis(bad, np.eye(3), np.zeros(3))
    from facemesh_native.solutions.face_detection import Detection
    det = Detection(np.zeros(17, np.float32))
    with pytest.raises(ValueError, match="three channel bgr"):
        drawing_utils.draw_detection(bad, det)
    det.location_data.format = 0  # GLOBAL
    with pytest.raises(ValueError, match="LocationData must be relative"):
        drawing_utils.draw_detection(np.zeros((4, 4, 3), np.uint8), det)
    with pytest.raises(ValueError, match="out of range"):
        drawing_utils.plot_landmarks(np.zeros((2, 3)), [(0, 5)]) if importlib.util.find_spec(
            "matplotlib") else drawing_utils.draw_landmarks(
                np.zeros((4, 4, 3), np.uint8), np.full((2, 3), 0.5), [(0, 5)])


def test_protobuf_messages():
    pytest.importorskip("google.protobuf")
    from google.protobuf import text_format
    from facemesh_native.framework.formats import detection_pb2, landmark_pb2, location_data_pb2
    lst = text_format.Parse("landmark {x: 0.1 y: 0.1} landmark {x: 0.5 y: 0.5 visibility: 0.0}",
                            landmark_pb2.NormalizedLandmarkList())
    assert lst.DESCRIPTOR.full_name == "mediapipe.NormalizedLandmarkList"
    assert not lst.landmark[0].HasField("visibility") and lst.landmark[1].HasField("visibility")
    det = text_format.Parse("location_data {format: RELATIVE_BOUNDING_BOX "
                            "relative_bounding_box {xmin: 0 ymin: 0 width: 1 height: 1}}",
                            detection_pb2.Detection())
    assert det.location_data.format == location_data_pb2.LocationData.RELATIVE_BOUNDING_BOX == 2
    assert [f.number for f in detection_pb2.Detection.DESCRIPTOR.fields] == list(range(1, 11))
    # The text form of our lightweight Detection parses into the protobuf message unchanged.
    from facemesh_native.solutions.face_detection import Detection
    ours = Detection(np.load(DATA / "face_detection.npz")["astronaut__m0__c50"][0])
    parsed = text_format.Parse(str(ours), detection_pb2.Detection())
    assert str(parsed) == str(ours)
    img = np.zeros((100, 100, 3), np.uint8)
    drawing_utils.draw_detection(img, det)
    assert img.any()


def test_lazy_imports_and_missing_protobuf():
    code = ("import sys; import facemesh_native as mp; "
            "mp.solutions.drawing_utils; mp.solutions.drawing_styles; "
            "assert 'cv2' not in sys.modules and 'matplotlib' not in sys.modules; "
            "sys.modules['google.protobuf'] = None\n"
            "try:\n    from facemesh_native.framework.formats import landmark_pb2\n"
            "except ImportError as e:\n    assert 'pip install protobuf' in str(e), e\n"
            "else:\n    raise SystemExit('no ImportError')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stderr
