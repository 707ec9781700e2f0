"""The dataset tools: process_video / process_images / landmarks_dataset, the writers, the
`landmarks` CLI, workers, overlay and resume, on the committed clip (tests/data/face_clip.mp4,
see tests/data/README.md). The oracle is an in-process FaceMesh run on frames decoded by PyAV
directly, independently of our decoder."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")
pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

import facemesh_native as fm  # noqa: E402
from facemesh_native._writers import read_arrays  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
CLIP = DATA / "face_clip.mp4"
TRUNCATED = DATA / "face_clip_truncated.mp4"
STILL = DATA / "face_still.jpg"
NUM_FRAMES = 36
NO_FACE = range(26, 30)


def decode_pyav(path):
    """Frames and timestamps decoded by PyAV directly (no threads, no rotation: the clip has none)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        out = [(f.to_ndarray(format="rgb24"), float(f.pts * f.time_base * 1000))
               for f in c.decode(s)]
    return out


def facemesh_rows(frames, static=False, every=1):
    rows = {k: [] for k in ("frame", "timestamp_ms", "face", "score", "landmarks", "rect")}
    with fm.FaceMesh(static_image_mode=static, device="cpu") as mesh:
        for i, (rgb, ts) in enumerate(frames):
            if i % every:
                continue
            r = mesh.process(rgb)
            for k in range(len(r.landmarks)):
                rows["frame"].append(i)
                rows["timestamp_ms"].append(ts)
                rows["face"].append(k)
                rows["score"].append(r.scores[k])
                rows["landmarks"].append(r.landmarks[k])
                rows["rect"].append(r.face_rects[k])
    return {k: np.asarray(v) for k, v in rows.items()}


@pytest.fixture(scope="module")
def decoded():
    return decode_pyav(CLIP)


@pytest.fixture(scope="module")
def reference(decoded):
    return facemesh_rows(decoded)


def assert_rows_equal(got, want):
    assert list(got["frame"]) == list(want["frame"])
    np.testing.assert_array_equal(got["face"], want["face"])
    np.testing.assert_allclose(got["timestamp_ms"], want["timestamp_ms"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got["landmarks"], want["landmarks"].astype(np.float32))
    np.testing.assert_array_equal(got["rect"], want["rect"].astype(np.float32))
    np.testing.assert_array_equal(got["score"], want["score"].astype(np.float32))


def test_clip_is_what_the_readme_says(decoded):
    assert len(decoded) == NUM_FRAMES
    assert decoded[0][0].shape == (240, 320, 3)
    np.testing.assert_allclose([ts for _, ts in decoded], np.arange(NUM_FRAMES) * 1000 / 12,
                               atol=1e-6)


def test_process_video_equals_facemesh_on_the_same_frames(reference):
    res = fm.process_video(CLIP, device="cpu")
    arrays = res.to_arrays()
    assert_rows_equal(arrays, reference)
    assert res.frames_processed == NUM_FRAMES and res.device == "cpu"
    assert not set(NO_FACE) & set(arrays["frame"].tolist())      # no face: no row
    assert set(range(NUM_FRAMES)) - set(NO_FACE) == set(arrays["frame"].tolist())
    assert arrays["landmarks"].shape[1:] == (468, 3)


def test_every_k_and_static(decoded):
    got = fm.process_video(CLIP, device="cpu", every=5).to_arrays()
    assert_rows_equal(got, facemesh_rows(decoded, every=5))
    got = fm.process_video(CLIP, device="cpu", static=True, every=7).to_arrays()
    assert_rows_equal(got, facemesh_rows(decoded, static=True, every=7))


def test_process_images_static():
    cv2 = pytest.importorskip("cv2")
    rgb = cv2.imread(str(STILL), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    results = list(fm.process_images([STILL, DATA / "chelsea.png"], device="cpu"))
    assert [r.frame for r in results] == [0, 1]
    with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
        want = mesh.process(rgb)
    # FFmpeg's and OpenCV's JPEG decoders may differ in the last bit of a pixel
    assert len(results[0].landmarks) == 1
    np.testing.assert_allclose(results[0].landmarks, want.landmarks, atol=2e-3)
    assert len(results[1].landmarks) == 0           # the cat: no face


@pytest.mark.parametrize("fmt", ["parquet", "npz", "csv", "jsonl"])
def test_every_format_holds_the_rows(tmp_path, reference, fmt):
    rep = fm.landmarks_dataset([CLIP], tmp_path, fmt, device="cpu", progress=False)
    assert rep.ok == 1 and not rep.failed and rep.frames == NUM_FRAMES
    path = tmp_path / f"face_clip.{fmt}"
    assert sorted(os.listdir(tmp_path)) == [path.name]          # no temporary files left
    if fmt in ("parquet", "npz"):
        got = read_arrays(str(path))
        assert_rows_equal(got, reference)
        if fmt == "parquet":
            t = pq.read_table(path)
            assert t.column_names == ["frame", "timestamp_ms", "face", "score", "landmarks", "rect"]
            info = json.loads(t.schema.metadata[b"facemesh_native"])
            assert info["points"] == 468 and info["source"] == "face_clip.mp4"
            assert (info["width"], info["height"]) == (320, 240)
    elif fmt == "csv":
        import csv
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        assert header[:5] == ["frame", "face", "timestamp_ms", "score", "rect_x"]
        assert header[9] == "x_0" and header[9 + 468] == "y_0" and len(header) == 9 + 3 * 468
        vals = np.asarray(body, dtype=np.float64)
        assert vals[:, 0].astype(int).tolist() == reference["frame"].tolist()
        lm = vals[:, 9:].reshape(-1, 3, 468).transpose(0, 2, 1).astype(np.float32)
        np.testing.assert_array_equal(lm, reference["landmarks"].astype(np.float32))
    else:
        lines = path.read_text().splitlines()
        assert len(lines) == NUM_FRAMES                           # one object per frame
        objs = [json.loads(line) for line in lines]
        assert [o["frame"] for o in objs] == list(range(NUM_FRAMES))
        assert all(o["faces"] == [] for o in objs if o["frame"] in NO_FACE)
        lm = np.asarray([f["landmarks"] for o in objs for f in o["faces"]], np.float32)
        np.testing.assert_array_equal(lm, reference["landmarks"].astype(np.float32))


def run_cli(*args, stdin=None, env=None):
    full = None if env is None else {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "facemesh_native", "landmarks", *map(str, args)],
                          capture_output=True, text=True, input=stdin, timeout=300, env=full)


def test_bad_inputs_are_named_and_the_others_complete(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "notes.mp4").write_text("this is not a video\n")
    shutil.copy(CLIP, src / "good.mp4")
    shutil.copy(TRUNCATED, src / "cut.mp4")
    shutil.copy(STILL, src / "still.jpg")
    out = tmp_path / "out"
    p = run_cli(src, src / "missing.mp4", "-o", out, "--format", "npz", "--device", "cpu")
    assert p.returncode == 1, p.stdout + p.stderr
    text = p.stdout + p.stderr
    for name, why in (("notes.mp4", "not readable media"), ("cut.mp4", "truncated"),
                      ("missing.mp4", "no such file")):
        line = [ln for ln in text.splitlines() if ln.startswith("failed:") and name in ln]
        assert line and why in line[0], text
    assert "files: 2 ok, 3 failed" in text
    assert sorted(os.listdir(out)) == ["good.npz", "still.npz"]     # nothing half-written
    still = read_arrays(str(out / "still.npz"))
    assert still["frame"].tolist() == [0] and still["timestamp_ms"].tolist() == [0.0]


def test_resume_after_an_interrupted_run(tmp_path, monkeypatch):
    import facemesh_native._dataset as ds
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    shutil.copy(CLIP, a)
    shutil.copy(CLIP, b)
    out = tmp_path / "out"
    real = ds.Pipeline.runner

    def interrupted(self, video):
        run = real(self, video)

        def r(rgb, ts, frame):
            if self.calls_ >= NUM_FRAMES + 5:        # part-way through the second video
                raise KeyboardInterrupt
            self.calls_ += 1
            return run(rgb, ts, frame)
        return r

    monkeypatch.setattr(ds.Pipeline, "calls_", 0, raising=False)
    monkeypatch.setattr(ds.Pipeline, "runner", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fm.landmarks_dataset([a, b], out, "parquet", device="cpu", progress=False)
    assert sorted(os.listdir(out)) == ["a.parquet"]     # the interrupted output left no file
    monkeypatch.setattr(ds.Pipeline, "runner", real)
    mtime = (out / "a.parquet").stat().st_mtime_ns
    rep = fm.landmarks_dataset([a, b], out, "parquet", device="cpu", progress=False, resume=True)
    assert [s.status for s in rep.inputs] == ["skipped", "ok"]
    assert (out / "a.parquet").stat().st_mtime_ns == mtime
    assert pq.read_table(out / "a.parquet").equals(pq.read_table(out / "b.parquet"))


def test_workers_write_what_one_process_writes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for n in ("x", "y"):
        shutil.copy(CLIP, src / f"{n}.mp4")
    shutil.copy(STILL, src / "s.jpg")
    one, two = tmp_path / "one", tmp_path / "two"
    p = run_cli(src, "-o", one, "--device", "cpu", "--threads", "1")
    assert p.returncode == 0, p.stderr
    p = run_cli(src, "-o", two, "--device", "cpu", "--workers", "2")
    assert p.returncode == 0, p.stderr
    assert "files: 3 ok, 0 failed" in p.stdout and "2 worker(s)" in p.stdout
    assert f"frames: {2 * NUM_FRAMES + 1}" in p.stdout
    for n in ("x", "y", "s"):
        assert pq.read_table(one / f"{n}.parquet").equals(pq.read_table(two / f"{n}.parquet"))


def test_overlay_frame_count(tmp_path):
    pytest.importorskip("cv2")
    rep = fm.landmarks_dataset([CLIP, STILL], tmp_path, "npz", device="cpu", overlay=True,
                               every=2, progress=False)
    assert rep.ok == 2, rep.summary()
    with av.open(str(tmp_path / "face_clip_mesh.mp4")) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        assert s.codec_context.name in ("h264", "mpeg4")
    assert n == NUM_FRAMES // 2
    assert (tmp_path / "face_still_mesh.png").stat().st_size > 0


def test_rotation_metadata_is_applied(tmp_path, decoded):
    from facemesh_native._media import Media
    paths = {}
    for rot in (0, 90):
        paths[rot] = tmp_path / f"r{rot}.mp4"
        with av.open(str(paths[rot]), "w", format="mp4") as c:
            s = c.add_stream("mpeg4", rate=12)
            s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
            if rot:
                s.set_display_rotation(rot)
            for i, (rgb, _) in enumerate(decoded[:4]):
                vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                vf.pts = i
                for pk in s.encode(vf):
                    c.mux(pk)
            for pk in s.encode():
                c.mux(pk)
    with Media(str(paths[0])) as m0, Media(str(paths[90])) as m90:
        f0 = [f.rgb for f in m0.frames()]
        f90 = [f.rgb for f in m90.frames()]
    assert f90[0].shape == (320, 240, 3)
    for a, b in zip(f0, f90):
        np.testing.assert_array_equal(np.rot90(a, 1), b)   # 90 degrees counterclockwise


def test_cli_usage_errors(tmp_path):
    if not fm._core.cuda_status()["devices"]:
        p = run_cli(CLIP, "-o", tmp_path, "--device", "cuda", env={"FMN_CUDA_EMULATION": ""})
        assert p.returncode == 2 and "device='cuda' cannot be used: CUDA" in p.stderr, p.stderr
    p = run_cli(CLIP, "-o", tmp_path, "--blendshapes")
    assert p.returncode == 2 and "--model face_landmarker" in p.stderr
    try:
        import facemesh_native.tasks  # noqa: F401
    except ImportError:
        p = run_cli(CLIP, "-o", tmp_path, "--model", "face_landmarker")
        assert p.returncode == 2 and "facemesh_native.tasks" in p.stderr
    p = run_cli(tmp_path / "empty_folder_does_not_exist", "-o", tmp_path / "o", "--every", "0")
    assert p.returncode == 2 and "every" in p.stderr
    assert os.listdir(tmp_path) == []


def test_stdin_list_and_jsonl_report(tmp_path):
    out = tmp_path / "o"
    p = run_cli("-", "-o", out, "--format", "jsonl", "--device", "cpu", "--json",
                tmp_path / "r.json", stdin=f"{STILL}\n\n{DATA / 'chelsea.png'}\n")
    assert p.returncode == 0, p.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["ok"] == 2 and rep["faces"] == 1 and rep["frames"] == 2
    assert (out / "chelsea.jsonl").read_text() == '{"frame": 0, "timestamp_ms": 0.0, "faces": []}\n'
