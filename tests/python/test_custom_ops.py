"""MediaPipe custom ops inside face_landmark_with_attention, checked on a real face crop.

Runs the attention landmark model through facemesh_native, captures the inputs and outputs of
every custom-op node (Landmarks2TransformMatrix, TransformTensorBilinear, TransformLandmarks)
and checks each output against a short numpy implementation of the op's version-2 semantics
(notes/custom_ops_semantics.md), applied to the captured inputs.

Engine API used: facemesh_native.Model(name) with .nodes (list of dicts with "op", "inputs",
"outputs", "impl") and .run_capture(inputs, names) -> {tensor name: numpy array}.
"""

import numpy as np
import pytest

fmn = pytest.importorskip("facemesh_native")

MODEL = "face_landmark_with_attention"
CUSTOM_OPS = ("Landmarks2TransformMatrix", "TransformTensorBilinear", "TransformLandmarks")

# Landmarks2TransformMatrix options as stored in the model's custom_options (flexbuffer maps),
# keyed by each node's output tensor. Used only when the engine does not expose node options.
_LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270,
         409, 78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311,
         310, 415, 76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302,
         303, 304, 408, 62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292, 183, 42, 41, 38, 12,
         268, 271, 272, 407]
_LEFT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130,
             25, 110, 24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229,
             230, 231, 232, 233, 244, 113, 225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52,
             65, 143, 111, 117, 118, 119, 120, 121, 128, 245, 156, 70, 63, 105, 66, 107, 55,
             193]
_RIGHT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398,
              359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414,
              446, 261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413,
              265, 353, 276, 283, 282, 295, 372, 340, 346, 347, 348, 349, 350, 357, 465, 383,
              300, 293, 334, 296, 336, 285, 417]


def _l2tm_opts(left, right, subset):
    return {"left_rotation_idx": left, "right_rotation_idx": right, "subset_idxs": subset,
            "target_rotation_radians": 0.0, "output_width": 16, "output_height": 16,
            "scale_x": 1.5, "scale_y": 1.5}


L2TM_OPTIONS = {
    "landmarks_to_transform_matrix_v2": _l2tm_opts(61, 291, _LIPS),
    "landmarks_to_transform_matrix_v2_1": _l2tm_opts(33, 133, _LEFT_EYE),
    "landmarks_to_transform_matrix_v2_2": _l2tm_opts(362, 263, _RIGHT_EYE),
}


# --- numpy semantics (float64) -------------------------------------------------------------

def ref_landmarks_to_matrix(landmarks, opts):
    """landmarks [N, L, 3] -> [N, 4, 4] row-major patch-to-landmark-frame matrices."""
    out = []
    ow, oh = opts["output_width"], opts["output_height"]
    scale = np.array([opts["scale_x"], opts["scale_y"]])
    for lm in np.asarray(landmarks, np.float64):
        xy = lm[:, :2]
        d = xy[opts["right_rotation_idx"]] - xy[opts["left_rotation_idx"]]
        theta = opts["target_rotation_radians"] - np.arctan2(d[1], d[0])
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        pts = xy[np.asarray(opts["subset_idxs"])] @ rot.T      # subset in the rotated frame
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        centre = rot.T @ ((lo + hi) / 2)
        lin = rot.T @ np.diag(scale * (hi - lo) / [ow, oh])
        m = np.eye(4)
        m[:2, :2] = lin
        m[:2, 3] = centre - lin @ [ow / 2, oh / 2]
        out.append(m)
    return np.stack(out)


def ref_transform_tensor_bilinear(feat, mats, oh, ow):
    """feat [N, H, W, C], mats [1 or N, 4, 4] -> ([N, oh, ow, C], border mask).

    Output pixel o samples index point M (o + 0.5) - 0.5 bilinearly; 0 when outside
    [0, W-1] x [0, H-1]. The mask marks samples within 1e-3 of that boundary."""
    feat = np.asarray(feat, np.float64)
    n, h, w, c = feat.shape
    padded = np.zeros((n, h + 1, w + 1, c))
    padded[:, :h, :w] = feat
    v, u = np.meshgrid(np.arange(oh) + 0.5, np.arange(ow) + 0.5, indexing="ij")
    out = np.zeros((n, oh, ow, c))
    border = np.zeros((n, oh, ow), bool)
    for b in range(n):
        m = np.asarray(mats[b if len(mats) > 1 else 0], np.float64)
        x = m[0, 0] * u + m[0, 1] * v + m[0, 3] - 0.5
        y = m[1, 0] * u + m[1, 1] * v + m[1, 3] - 0.5
        inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        border[b] = np.minimum.reduce([np.abs(x), np.abs(y), np.abs(x - (w - 1)),
                                       np.abs(y - (h - 1))]) < 1e-3
        xc, yc = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
        x0, y0 = np.floor(xc).astype(int), np.floor(yc).astype(int)
        fx, fy = (xc - x0)[..., None], (yc - y0)[..., None]
        f = padded[b]
        val = ((1 - fy) * ((1 - fx) * f[y0, x0] + fx * f[y0, x0 + 1])
               + fy * ((1 - fx) * f[y0 + 1, x0] + fx * f[y0 + 1, x0 + 1]))
        out[b] = np.where(inside[..., None], val, 0.0)
    return out, border


def ref_transform_landmarks(pts, mats):
    """pts [N, L, 2 or 3], mats [1 or N, 4, 4]: (x, y) -> M (x, y, 0, 1); z unchanged."""
    pts = np.asarray(pts, np.float64)
    out = pts.copy()
    for b in range(len(pts)):
        m = np.asarray(mats[b if len(mats) > 1 else 0], np.float64)
        out[b, :, :2] = pts[b, :, :2] @ m[:2, :2].T + m[:2, 3]
    return out


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def face_crop_u8():
    """A 192x192 RGB uint8 face: the astronaut's face (rows 20-200, cols 150-330) resized."""
    cv2 = pytest.importorskip("cv2")
    from conftest import load_rgb
    rgb = load_rgb("astronaut.png")
    return cv2.resize(rgb[20:200, 150:330], (192, 192), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def face_crop(face_crop_u8):
    """The model input: [1, 192, 192, 3] float32 in [0, 1]."""
    return (face_crop_u8.astype(np.float32) / 255.0)[None]


@pytest.fixture(scope="module")
def captured(face_crop):
    model = fmn.Model(MODEL)
    nodes = [nd for nd in model.nodes if nd["op"] in CUSTOM_OPS]
    names = sorted({t for nd in nodes for t in list(nd["inputs"]) + list(nd["outputs"])})
    tensors = model.run_capture([face_crop], names)
    return nodes, {k: np.asarray(v) for k, v in tensors.items()}


def _tol(want):
    return 1e-4 * max(1.0, float(np.abs(want).max()))


def test_all_custom_nodes_present(captured):
    nodes, tensors = captured
    counts = {op: sum(nd["op"] == op for nd in nodes) for op in CUSTOM_OPS}
    assert counts == {"Landmarks2TransformMatrix": 3, "TransformTensorBilinear": 3,
                      "TransformLandmarks": 5}
    for nd in nodes:
        for t in list(nd["inputs"]) + list(nd["outputs"]):
            assert t in tensors, f"{t} of {nd['op']} not captured"
            assert np.all(np.isfinite(tensors[t])), t


def test_landmarks_to_transform_matrix(captured):
    nodes, tensors = captured
    for nd in (nd for nd in nodes if nd["op"] == "Landmarks2TransformMatrix"):
        out_name = nd["outputs"][0]
        opts = nd.get("options") or L2TM_OPTIONS[out_name]
        lm = tensors[nd["inputs"][0]]
        got = tensors[out_name]
        assert lm.shape == (1, 468, 3) and got.shape == (1, 4, 4)
        want = ref_landmarks_to_matrix(lm, opts)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=_tol(want), err_msg=out_name)
        # On a real face the patch centre lies inside the 48x48 feature map it samples.
        centre = want[0, :2, :2] @ [8, 8] + want[0, :2, 3]
        assert np.all((centre > 0) & (centre < 48)), (out_name, centre)


def test_transform_tensor_bilinear(captured):
    nodes, tensors = captured
    for nd in (nd for nd in nodes if nd["op"] == "TransformTensorBilinear"):
        feat, mats = tensors[nd["inputs"][0]], tensors[nd["inputs"][1]]
        got = tensors[nd["outputs"][0]]
        n, oh, ow, c = got.shape
        assert (n, c) == (feat.shape[0], feat.shape[3]) and mats.shape[1:] == (4, 4)
        want, border = ref_transform_tensor_bilinear(feat, mats, oh, ow)
        keep = ~border
        assert keep.mean() > 0.95
        np.testing.assert_allclose(got[keep], want[keep], rtol=1e-4, atol=_tol(want),
                                   err_msg=nd["outputs"][0])
        assert np.abs(want).max() > 0  # the patch sees real features, not only the border


def test_transform_landmarks(captured):
    nodes, tensors = captured
    for nd in (nd for nd in nodes if nd["op"] == "TransformLandmarks"):
        pts, mats = tensors[nd["inputs"][0]], tensors[nd["inputs"][1]]
        got = tensors[nd["outputs"][0]]
        assert got.shape == pts.shape and pts.shape[-1] in (2, 3)
        want = ref_transform_landmarks(pts, mats)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=_tol(want),
                                   err_msg=nd["outputs"][0])


def _mediapipe_attention_landmarks(image_u8):
    """MediaPipe's FaceLandmarkCpu subgraph with attention on the whole image as ROI: the
    478 refined landmarks, normalised (model outputs / 192, identity crop and projection)."""
    mp = pytest.importorskip("mediapipe")
    import os
    from mediapipe.framework.formats import rect_pb2
    from mediapipe.python import packet_creator, packet_getter
    from mediapipe.python._framework_bindings import calculator_graph, image_frame, resource_util

    resource_util.set_resource_dir(os.path.dirname(os.path.dirname(os.path.abspath(mp.__file__))))
    graph = calculator_graph.CalculatorGraph(graph_config="""
        input_stream: "image"
        input_stream: "roi"
        input_side_packet: "with_attention"
        output_stream: "landmarks"
        node {
          calculator: "FaceLandmarkCpu"
          input_stream: "IMAGE:image"
          input_stream: "ROI:roi"
          input_side_packet: "WITH_ATTENTION:with_attention"
          output_stream: "LANDMARKS:landmarks"
        }""")
    found = []
    graph.observe_output_stream("landmarks", lambda _, p: found.append(packet_getter.get_proto(p)))
    graph.start_run(input_side_packets={"with_attention": packet_creator.create_bool(True)})
    roi = rect_pb2.NormalizedRect(x_center=0.5, y_center=0.5, width=1.0, height=1.0, rotation=0.0)
    graph.add_packet_to_input_stream("image", packet_creator.create_image_frame(
        image_format=image_frame.ImageFormat.SRGB, data=np.ascontiguousarray(image_u8)).at(0))
    graph.add_packet_to_input_stream("roi", packet_creator.create_proto(roi).at(0))
    graph.close()
    assert len(found) == 1
    return np.array([[p.x, p.y, p.z] for p in found[0].landmark])


def test_region_outputs_match_mediapipe(face_crop_u8, face_crop):
    """End to end through the custom ops: the lips, eye and iris heads (the only outputs that
    depend on them) agree with MediaPipe's own kernels to a small fraction of a pixel. A missing
    half-pixel shift in TransformTensorBilinear alone moves them by 0.1 to 0.6 px."""
    mp_lm = _mediapipe_attention_landmarks(face_crop_u8) * 192.0
    outputs = ["output_lips", "output_left_eye", "output_right_eye", "output_left_iris",
               "output_right_iris"]
    got = fmn.Model(MODEL).run_capture([face_crop], outputs)
    expected = {
        "output_lips": mp_lm[_LIPS, :2],
        "output_left_eye": mp_lm[_LEFT_EYE, :2],
        "output_right_eye": mp_lm[_RIGHT_EYE, :2],
        "output_left_iris": mp_lm[468:473, :2],
        "output_right_iris": mp_lm[473:478, :2],
    }
    for name in outputs:
        ours = np.asarray(got[name], np.float64).reshape(-1, 2)
        np.testing.assert_allclose(ours, expected[name], rtol=0, atol=2e-3, err_msg=name)
