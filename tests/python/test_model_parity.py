"""Raw model outputs against the LiteRT interpreter (the first oracle).

Contract: for face_detection_short_range, face_detection_full_range_sparse (sparse weights
densified at load, RESIZE_BILINEAR, DEPTH_TO_SPACE) and face_landmark, every output of
facemesh_native's engine matches ai-edge-litert's on the same input within
    max |ours - litert| <= 1e-4 * max |litert|      (per output)
for random inputs and real face crops, with tuned and reference kernels, 1 and 2 threads, and
batched runs equal to one-by-one runs.
"""
import numpy as np
import pytest

import facemesh_native as fm

from conftest import face_crop

litert = pytest.importorskip("ai_edge_litert.interpreter")

REL_TOL = 1e-4
MODELS = {
    "face_detection_short_range": ((1, 128, 128, 3), (-1.0, 1.0)),
    "face_detection_full_range_sparse": ((1, 192, 192, 3), (-1.0, 1.0)),
    "face_landmark": ((1, 192, 192, 3), (0.0, 1.0)),
}


class LiteRT:
    def __init__(self, name):
        self.interp = litert.Interpreter(model_path=str(fm.model_path(name)), num_threads=1)
        self.interp.allocate_tensors()

    def run(self, x):
        self.interp.set_tensor(self.interp.get_input_details()[0]["index"], x)
        self.interp.invoke()
        return [self.interp.get_tensor(d["index"]).copy() for d in self.interp.get_output_details()]


def assert_close(ours, theirs, what):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, (what, i, a.shape, b.shape)
        assert a.dtype == np.float32
        err = float(np.max(np.abs(a - b)))
        scale = float(np.max(np.abs(b)))
        assert err <= REL_TOL * scale, f"{what} output {i}: max err {err:.3g} vs scale {scale:.3g}"


def inputs_for(name, astronaut):
    shape, (lo, hi) = MODELS[name]
    rng = np.random.default_rng(1234)
    xs = [rng.uniform(lo, hi, size=shape).astype(np.float32) for _ in range(2)]
    crop = face_crop(astronaut, (0, 260, 110, 370), shape[1])  # face with margin
    xs.append((crop * (hi - lo) + lo).astype(np.float32))
    return xs


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("kernels,threads", [("tuned", 1), ("tuned", 2), ("reference", 1)])
def test_matches_litert(name, kernels, threads, astronaut):
    ref = LiteRT(name)
    m = fm.Model(name, num_threads=threads, kernels=kernels)
    for k, x in enumerate(inputs_for(name, astronaut)):
        assert_close(m.run([x]), ref.run(x), f"{name}[{kernels},{threads}t] input {k}")


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("threads", [1, 2])
def test_batch_equals_single(name, threads, astronaut):
    m = fm.Model(name, num_threads=threads)
    xs = inputs_for(name, astronaut)
    xs.append(xs[0][:, ::-1].copy())
    batch = np.concatenate(xs, axis=0)
    outs = m.run([batch])
    for k, x in enumerate(xs):
        single = m.run([x])
        for o, s in zip(outs, single):
            assert o.shape[0] == len(xs)
            np.testing.assert_array_equal(o[k:k + 1], s)


def test_unfused_plan_matches_fused(astronaut):
    x = inputs_for("face_landmark", astronaut)[-1]
    a = fm.Model("face_landmark", fuse=True, num_threads=1).run([x])
    b = fm.Model("face_landmark", fuse=False, num_threads=1).run([x])
    for p, q in zip(a, b):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-4 * float(np.abs(q).max()))


def test_face_flag_on_face_and_not_on_noise(astronaut):
    m = fm.Model("face_landmark")
    face = inputs_for("face_landmark", astronaut)[-1]
    noise = np.random.default_rng(7).uniform(0, 1, size=(1, 192, 192, 3)).astype(np.float32)
    flag_face = 1 / (1 + np.exp(-m.run([face])[1].ravel()[0]))
    flag_noise = 1 / (1 + np.exp(-m.run([noise])[1].ravel()[0]))
    assert flag_face > 0.9 and flag_noise < 0.5
