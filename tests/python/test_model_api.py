"""The Model API: bundled names, metadata, and clear errors for bad input."""
import os

import numpy as np
import pytest

import facemesh_native as fm


def test_bundled_models_load_by_name():
    for name in fm.MODEL_NAMES:
        m = fm.Model(name, num_threads=1)
        assert m.device == "cpu"
        assert m.inputs[0]["dtype"] == "float32"
        assert len(m.outputs) >= 2
    lm = fm.Model("face_landmark")
    assert lm.inputs[0]["shape"] == (1, 192, 192, 3)
    assert [o["shape"] for o in lm.outputs] == [(1, 1, 1, 1404), (1, 1, 1, 1)]
    fd = fm.Model("face_detection_short_range")
    assert fd.inputs[0]["shape"] == (1, 128, 128, 3)
    assert [o["shape"] for o in fd.outputs] == [(1, 896, 16), (1, 896, 1)]


def test_loads_by_path():
    m = fm.Model(fm.model_path("face_landmark"))
    assert m.path.name == "face_landmark.tflite"


def test_plan_reports_kernels():
    m = fm.Model("face_landmark", num_threads=1)
    impls = {n["impl"] for n in m.nodes}
    assert impls and all(isinstance(i, str) for i in impls)
    ops = {n["op"] for n in m.nodes}
    assert not any(op == "DEQUANTIZE" for op in ops), "float16 weights must be folded at load"
    ref = fm.Model("face_landmark", kernels="reference", num_threads=1)
    assert {n["impl"] for n in ref.nodes} == {"reference"}


def test_memory_is_modest():
    m = fm.Model("face_landmark", num_threads=1)
    total = sum(m.memory_bytes.values())
    assert total < 30 * 2**20, m.memory_bytes


@pytest.fixture(scope="module")
def lm():
    return fm.Model("face_landmark", num_threads=1)


def test_wrong_dtype(lm):
    with pytest.raises(ValueError, match="float32"):
        lm.run([np.zeros((1, 192, 192, 3), np.float64)])
    with pytest.raises(ValueError, match="float32"):
        lm.run([np.zeros((1, 192, 192, 3), np.uint8)])


def test_wrong_shape(lm):
    with pytest.raises(ValueError, match=r"\(1, 192, 192, 3\)"):
        lm.run([np.zeros((1, 128, 128, 3), np.float32)])
    with pytest.raises(ValueError, match="shape"):
        lm.run([np.zeros((192, 192, 3), np.float32)])
    with pytest.raises(ValueError, match="shape"):
        lm.run([np.zeros((0, 192, 192, 3), np.float32)])


def test_wrong_count_and_type(lm):
    with pytest.raises(ValueError, match="1 input"):
        lm.run([np.zeros((1, 192, 192, 3), np.float32)] * 2)
    with pytest.raises(ValueError, match="ndarray"):
        lm.run([[0.0] * 10])


def test_non_contiguous_input_is_accepted(lm):
    x = np.random.default_rng(0).uniform(0, 1, (1, 192, 384, 3)).astype(np.float32)
    view = x[:, :, ::2]
    a = lm.run([view])
    b = lm.run([np.ascontiguousarray(view)])
    np.testing.assert_array_equal(a[0], b[0])


def test_unknown_device_lists_known():
    with pytest.raises(ValueError, match="known devices: auto, cpu, gpu, cuda, cuda:N, gl, gl:N"):
        fm.Model("face_landmark", device="tpu")


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown model"):
        fm.Model("no_such_model")
    with pytest.raises(ValueError, match="num_threads"):
        fm.Model("face_landmark", num_threads=0)


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="tflite"):
        fm.Model(_write(tmp_path, "empty.tflite", b""))


def test_not_a_model(tmp_path):
    with pytest.raises(ValueError):
        fm.Model(_write(tmp_path, "text.tflite", b"hello, this is not a model" * 100))


@pytest.mark.parametrize("frac", [0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999])
def test_truncated_model(tmp_path, frac):
    data = fm.model_path("face_landmark").read_bytes()
    with pytest.raises(ValueError):
        fm.Model(_write(tmp_path, "cut.tflite", data[: int(len(data) * frac)]))


def test_random_corruption_never_crashes(tmp_path):
    """Corrupted models either load (and then run) or raise ValueError; never crash."""
    data = bytearray(fm.model_path("face_detection_short_range").read_bytes())
    rng = np.random.default_rng(99)
    x = np.zeros((1, 128, 128, 3), np.float32)
    for i in range(60):
        bad = bytearray(data)
        # Corrupt the flatbuffer's tables, which sit outside the big weight buffers.
        for _ in range(4):
            pos = int(rng.integers(0, len(bad))) if i % 2 else int(rng.integers(len(bad) - 8192, len(bad)))
            bad[pos] = int(rng.integers(0, 256))
        p = _write(tmp_path, f"bad{i}.tflite", bytes(bad))
        try:
            m = fm.Model(p, num_threads=1)
        except ValueError:
            continue
        try:
            m.run([np.zeros(m.inputs[0]["shape"], np.float32)]) if m.inputs[0]["shape"] != x.shape else m.run([x])
        except ValueError:
            pass


def _rewrite_model(tmp_path, name, edit):
    """Re-serialises a bundled model after `edit(ModelT)`, with LiteRT's schema bindings."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    flatbuffers = pytest.importorskip("flatbuffers")
    buf = fm.model_path(name).read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    edit(model, schema)
    b = flatbuffers.Builder(len(buf) + 4096)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    p = tmp_path / f"edited_{name}.tflite"
    p.write_bytes(bytes(b.Output()))
    return p


def test_rewritten_model_still_loads(tmp_path):
    """The rewriting used below is faithful: an unedited round trip runs as before."""
    p = _rewrite_model(tmp_path, "face_detection_short_range", lambda m, s: None)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)
    a = fm.Model(p, device="cpu").run([x])
    b = fm.Model("face_detection_short_range", device="cpu").run([x])
    for p_, q in zip(a, b):
        np.testing.assert_array_equal(p_, q)


def test_unsupported_builtin_op_is_named(tmp_path):
    def edit(m, schema):
        for oc in m.operatorCodes:
            if max(oc.builtinCode, oc.deprecatedBuiltinCode) == schema.BuiltinOperator.MAX_POOL_2D:
                oc.builtinCode = schema.BuiltinOperator.L2_POOL_2D
                oc.deprecatedBuiltinCode = schema.BuiltinOperator.L2_POOL_2D
    with pytest.raises(ValueError, match="unsupported operator L2_POOL_2D"):
        fm.Model(_rewrite_model(tmp_path, "face_detection_short_range", edit), device="cpu")


def test_unknown_custom_op_is_named(tmp_path):
    def edit(m, schema):
        for oc in m.operatorCodes:
            if oc.customCode == b"TransformLandmarks":
                oc.customCode = b"MysteryOp"
    with pytest.raises(ValueError, match="MysteryOp"):
        fm.Model(_rewrite_model(tmp_path, "face_landmark_with_attention", edit), device="cpu")


def test_inconsistent_shape_is_rejected(tmp_path):
    def edit(m, schema):
        t = m.subgraphs[0].tensors[m.subgraphs[0].outputs[0]]
        shape = [int(v) for v in t.shape]
        shape[-1] += 1                  # the model now claims an output its ops do not compute
        t.shape = shape
    with pytest.raises(ValueError, match="shape"):
        fm.Model(_rewrite_model(tmp_path, "face_landmark", edit), device="cpu")
