"""The Ray engine writes exactly what the local engine writes (a local Ray started in the test,
nothing external). Needs the [ray] extra; CI installs it in its own step (see .ci/run)."""
import os
import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pq = pytest.importorskip("pyarrow.parquet")

import facemesh_native as fm  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_engine_writes_what_the_local_engine_writes(tmp_path, local_ray):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DATA / "face_clip.mp4", src / "clip.mp4")
    shutil.copy(DATA / "face_still.jpg", src / "still.jpg")
    (src / "broken.mp4").write_bytes(b"\0" * 100)
    local, remote = tmp_path / "local", tmp_path / "ray"
    a = fm.landmarks_dataset([src], local, "parquet", device="cpu", num_threads=1,
                             progress=False)
    b = fm.landmarks_dataset([src], remote, "parquet", device="cpu", engine="ray", workers=2,
                             progress=False)
    assert [s.status for s in a.inputs] == [s.status for s in b.inputs]
    assert sorted(s.status for s in b.inputs) == ["failed", "ok", "ok"]
    assert [s.reason for s in a.inputs] == [s.reason for s in b.inputs]
    assert sorted(os.listdir(local)) == sorted(os.listdir(remote)) == ["clip.parquet",
                                                                        "still.parquet"]
    for name in ("clip.parquet", "still.parquet"):
        ta, tb = pq.read_table(local / name), pq.read_table(remote / name)
        assert ta.equals(tb) and ta.schema.metadata == tb.schema.metadata
    assert b.frames == a.frames == 37 and b.engine == "ray"
