"""All faces of a frame go through the landmark model as one batch.

four_faces.png holds four faces; MediaPipe 0.10.21 finds all four with max_num_faces=5
(tests/data/static_four_faces.npz, plain_max5_* / refine_max5_*). The landmark Inference node
of the graph must then run once per frame, not once per face: FaceMesh.node_stats() counts its
calls.
"""
import re
from pathlib import Path

import numpy as np
import pytest

import facemesh_native as fm

from conftest import DATA, load_rgb


def inference_nodes(graph_file: str):
    """(index in node order, model name) of every Inference node, by a plain scan of the file."""
    text = Path(graph_file).read_text()
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    out = []
    index = 0
    pos = 0
    # Top-level `node { ... }` blocks, in file order (braces balanced by hand).
    while True:
        m = re.search(r"(?m)^node\s*\{", text[pos:])
        if not m:
            break
        start = pos + m.end()
        depth, i = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        if re.search(r'calculator:\s*"Inference"', body):
            out.append((index, re.search(r'model:\s*"([^"]+)"', body).group(1)))
        index += 1
        pos = i
    return out


@pytest.mark.parametrize("refine", [False, True])
def test_four_faces_one_landmark_batch_per_frame(refine):
    ref = np.load(DATA / "static_four_faces.npz")
    variant = "refine" if refine else "plain"
    want_faces = int(ref[f"{variant}_max5_num_faces"])
    assert want_faces == 4
    rgb = load_rgb("four_faces.png")
    frames = 3
    with fm.FaceMesh(static_image_mode=True, max_num_faces=5, refine_landmarks=refine,
                     device="cpu") as mesh:
        stats0 = mesh.node_stats()
        assert all(s["calls"] == 0 and s["mean_ms"] == 0.0 for s in stats0)
        for _ in range(frames):
            res = mesh.process(rgb)
            assert res.landmarks.shape == (want_faces, 478 if refine else 468, 3)
            assert res.detector_ran
        stats = mesh.node_stats()
        graph_file = mesh._impl.graph_file
    assert len(stats) == len(stats0)
    for s in stats:
        assert set(s) == {"node", "calls", "mean_ms"}
        assert isinstance(s["node"], str) and isinstance(s["calls"], int)
        assert isinstance(s["mean_ms"], float) and s["mean_ms"] >= 0.0
    nodes = dict((model, idx) for idx, model in inference_nodes(graph_file))
    landmark_model = "face_landmark_with_attention" if refine else "face_landmark"
    assert set(nodes) == {"face_detection_short_range", landmark_model}
    lm = stats[nodes[landmark_model]]
    det = stats[nodes["face_detection_short_range"]]
    assert lm["node"] == "Inference" and det["node"] == "Inference"
    assert lm["calls"] == frames  # one batch of 4 faces per frame, not 4 calls
    assert det["calls"] == frames  # static mode: the detector runs every frame
    assert lm["mean_ms"] > 0.0
