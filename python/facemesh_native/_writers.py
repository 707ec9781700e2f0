"""Output writers for the dataset tools: one class per format behind `get_writer(format)`.

Every writer streams per-frame results into one local file (`write(frame_result)` in frame
order, then `close()`); where that file ends up, under a temporary name first, is `Output`'s
job. The columns (one row per frame and face; a frame without a face has no row):

  frame         int64    index of the frame in the video (counting every decoded frame)
  timestamp_ms  float64  presentation time from the container (0 for images)
  face          int32    face index within the frame (0..max_faces-1)
  score         float32  face presence score (NaN where the model gives none)
  landmarks     float32  points x 3 (x, y, z normalised as FaceMesh returns them)
  rect          float32  5: the face's ROI x_center, y_center, width, height (normalised),
                         rotation (radians)
  blendshapes   float32  52 scores, only with blendshapes
  matrix        float32  16: the 4x4 facial transformation matrix, row-major, only with matrices

parquet: those columns (landmarks, rect, blendshapes, matrix as fixed-size lists of float32;
landmarks flattened x0, y0, z0, x1, ...); the schema metadata key b"facemesh_native" holds a
JSON object describing the run (source name, size, model, points).
npz: the same columns as arrays: landmarks (rows, points, 3), rect (rows, 5), ...
csv: wide columns like OpenFace's FeatureExtraction: frame, face, timestamp_ms, score,
  rect_x, rect_y, rect_w, rect_h, rect_rotation, x_0..x_{N-1}, y_0.., z_0.., then bs_0..bs_51
  and m_00..m_33 when present.
jsonl: one object per processed frame (frames without a face too, with "faces": []):
  {"frame", "timestamp_ms", "faces": [{"face", "score", "rect", "landmarks": [[x, y, z], ...],
  "blendshapes", "matrix"}]}.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from typing import Dict, List, Optional

import numpy as np

from ._media import require

FORMATS = ("parquet", "npz", "csv", "jsonl")


class ResultWriter:
    """Base: `info` describes the run (source, width, height, model, points, blendshapes,
    matrices); subclasses implement write() and close()."""

    extension = ""

    def __init__(self, path: str, info: dict):
        self.path = path
        self.info = info
        self.points = int(info["points"])
        self.blendshapes = bool(info.get("blendshapes"))
        self.matrices = bool(info.get("matrices"))

    def write(self, fr) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _RowBuffer:
    """Collects the rows of frame results as column arrays."""

    def __init__(self, w: ResultWriter):
        self.w = w
        self.clear()

    def clear(self) -> None:
        self.cols: Dict[str, List[np.ndarray]] = {k: [] for k in columns(self.w.blendshapes,
                                                                          self.w.matrices)}
        self.rows = 0

    def add(self, fr) -> None:
        n = len(fr.landmarks)
        if n == 0:
            return
        c = self.cols
        c["frame"].append(np.full(n, fr.frame, np.int64))
        c["timestamp_ms"].append(np.full(n, fr.timestamp_ms, np.float64))
        c["face"].append(np.arange(n, dtype=np.int32))
        c["score"].append(np.asarray(fr.scores, np.float32).reshape(n))
        c["landmarks"].append(np.asarray(fr.landmarks, np.float32).reshape(n, self.w.points, 3))
        c["rect"].append(np.asarray(fr.rects, np.float32).reshape(n, 5))
        if self.w.blendshapes:
            c["blendshapes"].append(np.asarray(fr.blendshapes, np.float32).reshape(n, 52))
        if self.w.matrices:
            c["matrix"].append(np.asarray(fr.matrices, np.float32).reshape(n, 16))
        self.rows += n

    def arrays(self) -> Dict[str, np.ndarray]:
        return {k: _concat(v, k, self.w.points) for k, v in self.cols.items()}


_DTYPES = {"frame": np.int64, "timestamp_ms": np.float64, "face": np.int32, "score": np.float32}
_WIDTH = {"rect": 5, "blendshapes": 52, "matrix": 16}


def _concat(parts: List[np.ndarray], key: str, points: int) -> np.ndarray:
    if parts:
        return np.concatenate(parts)
    if key == "landmarks":
        return np.zeros((0, points, 3), np.float32)
    if key in _WIDTH:
        return np.zeros((0, _WIDTH[key]), np.float32)
    return np.zeros((0,), _DTYPES[key])


def columns(blendshapes: bool = False, matrices: bool = False) -> List[str]:
    cols = ["frame", "timestamp_ms", "face", "score", "landmarks", "rect"]
    return cols + (["blendshapes"] if blendshapes else []) + (["matrix"] if matrices else [])


def rows_to_arrays(frames, points: int, blendshapes: bool = False,
                   matrices: bool = False) -> Dict[str, np.ndarray]:
    """Frame results to the column arrays every format holds (what npz stores)."""
    w = ResultWriter("", {"points": points, "blendshapes": blendshapes, "matrices": matrices})
    buf = _RowBuffer(w)
    for fr in frames:
        buf.add(fr)
    return buf.arrays()


class WriteParquet(ResultWriter):
    extension = "parquet"
    ROW_GROUP = 4096

    def __init__(self, path: str, info: dict):
        super().__init__(path, info)
        self.pa = require("pyarrow", "video", "--format parquet")
        self.pq = require("pyarrow.parquet", "video", "--format parquet")
        pa = self.pa
        fields = [pa.field("frame", pa.int64()), pa.field("timestamp_ms", pa.float64()),
                  pa.field("face", pa.int32()), pa.field("score", pa.float32()),
                  pa.field("landmarks", pa.list_(pa.float32(), self.points * 3)),
                  pa.field("rect", pa.list_(pa.float32(), 5))]
        if self.blendshapes:
            fields.append(pa.field("blendshapes", pa.list_(pa.float32(), 52)))
        if self.matrices:
            fields.append(pa.field("matrix", pa.list_(pa.float32(), 16)))
        self.schema = pa.schema(fields, metadata={"facemesh_native": json.dumps(info,
                                                                               sort_keys=True)})
        self.buf = _RowBuffer(self)
        self.writer = self.pq.ParquetWriter(path, self.schema)

    def _flush(self) -> None:
        pa = self.pa
        a = self.buf.arrays()
        cols = []
        for f in self.schema:
            v = a[f.name]
            if pa.types.is_fixed_size_list(f.type):
                flat = pa.array(v.reshape(-1), pa.float32())
                cols.append(pa.FixedSizeListArray.from_arrays(flat, f.type.list_size))
            else:
                cols.append(pa.array(v, f.type))
        self.writer.write_table(pa.Table.from_arrays(cols, schema=self.schema))
        self.buf.clear()

    def write(self, fr) -> None:
        self.buf.add(fr)
        if self.buf.rows >= self.ROW_GROUP:
            self._flush()

    def close(self) -> None:
        if self.buf.rows:
            self._flush()
        self.writer.close()


class WriteNpz(ResultWriter):
    extension = "npz"

    def __init__(self, path: str, info: dict):
        super().__init__(path, info)
        self.buf = _RowBuffer(self)

    def write(self, fr) -> None:
        self.buf.add(fr)

    def close(self) -> None:
        arrays = self.buf.arrays()
        arrays["info"] = np.array(json.dumps(self.info, sort_keys=True))
        # Uncompressed: float32 landmarks shrink by under 10% with zlib, at a CPU cost comparable
        # to the landmark model's. A file object: np.savez would append ".npz" to a name.
        with open(self.path, "wb") as f:
            np.savez(f, **arrays)


def _fmt(v) -> str:
    return format(float(v), ".9g")   # enough digits to round-trip float32


class WriteCsv(ResultWriter):
    extension = "csv"

    def __init__(self, path: str, info: dict):
        super().__init__(path, info)
        self.f = open(path, "w", newline="", encoding="utf-8")
        self.csv = csv.writer(self.f)
        n = self.points
        header = ["frame", "face", "timestamp_ms", "score", "rect_x", "rect_y", "rect_w",
                  "rect_h", "rect_rotation"]
        header += [f"{a}_{j}" for a in "xyz" for j in range(n)]
        if self.blendshapes:
            header += [f"bs_{j}" for j in range(52)]
        if self.matrices:
            header += [f"m_{r}{c}" for r in range(4) for c in range(4)]
        self.csv.writerow(header)

    def write(self, fr) -> None:
        for k in range(len(fr.landmarks)):
            lm = np.asarray(fr.landmarks[k], np.float32)
            row = [str(int(fr.frame)), str(k), repr(float(fr.timestamp_ms)), _fmt(fr.scores[k])]
            row += [_fmt(v) for v in np.asarray(fr.rects[k]).reshape(5)]
            row += [_fmt(v) for v in lm.T.reshape(-1)]
            if self.blendshapes:
                row += [_fmt(v) for v in np.asarray(fr.blendshapes[k]).reshape(52)]
            if self.matrices:
                row += [_fmt(v) for v in np.asarray(fr.matrices[k]).reshape(16)]
            self.csv.writerow(row)

    def close(self) -> None:
        self.f.close()


class WriteJsonl(ResultWriter):
    extension = "jsonl"

    def __init__(self, path: str, info: dict):
        super().__init__(path, info)
        self.f = open(path, "w", encoding="utf-8")

    def write(self, fr) -> None:
        faces = []
        for k in range(len(fr.landmarks)):
            face = {"face": k, "score": float(fr.scores[k]),
                    "rect": np.asarray(fr.rects[k], np.float32).astype(float).tolist(),
                    "landmarks": np.asarray(fr.landmarks[k], np.float32).astype(float).tolist()}
            if self.blendshapes:
                face["blendshapes"] = np.asarray(fr.blendshapes[k], np.float32).astype(float).tolist()
            if self.matrices:
                face["matrix"] = np.asarray(fr.matrices[k], np.float32).reshape(16).astype(float).tolist()
            faces.append(face)
        obj = {"frame": int(fr.frame), "timestamp_ms": float(fr.timestamp_ms), "faces": faces}
        self.f.write(json.dumps(obj, allow_nan=True) + "\n")

    def close(self) -> None:
        self.f.close()


_WRITERS = {w.extension: w for w in (WriteParquet, WriteNpz, WriteCsv, WriteJsonl)}


def get_writer(fmt: str):
    """The writer class for a format name; ValueError listing the formats otherwise."""
    try:
        return _WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}") from None


# ---------------------------------------------------------------------------------------------
# Where outputs go: a local folder, or a pyarrow filesystem URI (s3://, gs://, file://).

def _is_uri(s: str) -> bool:
    return "://" in s and not os.path.exists(s)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputDir:
    """An output folder: a local path, or a URI pyarrow's filesystems understand. Files are
    written to a temporary name and renamed when complete, so an interrupted run leaves no
    half files under the final names."""

    def __init__(self, root: str):
        self.root = str(root)
        self.uri = _is_uri(self.root)
        if self.uri:
            fs_mod = require("pyarrow.fs", "video", f"writing to {self.root}")
            self.fs, self.base = fs_mod.FileSystem.from_uri(self.root)
            self._fs_mod = fs_mod
        else:
            os.makedirs(self.root, exist_ok=True)

    def final(self, rel: str) -> str:
        return (self.base.rstrip("/") + "/" + rel) if self.uri else os.path.join(self.root, rel)

    def exists(self, rel: str) -> bool:
        if self.uri:
            return self.fs.get_file_info(self.final(rel)).type == self._fs_mod.FileType.File
        return os.path.isfile(self.final(rel))

    def display(self, rel: str) -> str:
        return self.root.rstrip("/") + "/" + rel if self.uri else self.final(rel)

    def begin(self, rel: str) -> "PendingFile":
        return PendingFile(self, rel)


class PendingFile:
    """A local file to write (`local`), moved to its final place by commit(); discard() removes
    it. Local outputs are written next to their final name (hidden, same filesystem) and
    renamed atomically; remote ones are written to a local temporary file, uploaded under
    "<name>.partial" and moved."""

    def __init__(self, out: OutputDir, rel: str):
        self.out, self.rel = out, rel
        suffix = "." + rel.rsplit(".", 1)[-1] if "." in rel else ""
        if out.uri:
            fd, self.local = tempfile.mkstemp(prefix="fmn-", suffix=suffix)
        else:
            final = out.final(rel)
            folder, name = os.path.split(final)
            os.makedirs(folder, exist_ok=True)
            fd, self.local = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
        os.close(fd)
        os.chmod(self.local, 0o666 & ~_umask())   # mkstemp makes 0600; outputs get the usual mode

    def commit(self) -> None:
        if self.out.uri:
            fs, final = self.out.fs, self.out.final(self.rel)
            parent = final.rsplit("/", 1)[0]
            if parent:
                fs.create_dir(parent, recursive=True)
            partial = final + ".partial"
            with open(self.local, "rb") as src, fs.open_output_stream(partial) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            fs.move(partial, final)
            os.remove(self.local)
        else:
            os.replace(self.local, self.out.final(self.rel))

    def discard(self) -> None:
        try:
            os.remove(self.local)
        except FileNotFoundError:
            pass


def read_arrays(path: str) -> Dict[str, np.ndarray]:
    """Reads an output file of any format back into the column arrays (for tests and users).
    jsonl/csv rows are rebuilt from their text."""
    ext = path.rsplit(".", 1)[-1]
    if ext == "npz":
        with np.load(path) as z:
            return {k: z[k] for k in z.files if k != "info"}
    if ext == "parquet":
        pa = require("pyarrow", "video", "reading parquet")
        pq = require("pyarrow.parquet", "video", "reading parquet")
        t = pq.read_table(path)
        info = json.loads(t.schema.metadata[b"facemesh_native"])
        out = {}
        for name in t.column_names:
            col = t.column(name).combine_chunks()
            if pa.types.is_fixed_size_list(col.type):
                v = col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), -1)
                out[name] = v.reshape(len(col), info["points"], 3) if name == "landmarks" else v
            else:
                out[name] = col.to_numpy(zero_copy_only=False)
        return out
    raise ValueError(f"read_arrays reads parquet and npz, got {path}")


__all__ = ["FORMATS", "ResultWriter", "WriteParquet", "WriteNpz", "WriteCsv", "WriteJsonl",
           "get_writer", "columns", "rows_to_arrays", "OutputDir", "PendingFile", "read_arrays"]
