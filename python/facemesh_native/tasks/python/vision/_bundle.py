"""Reading a face_landmarker.task bundle (a zip archive) for the native graph.

The members are written to a private temporary folder (the graph loads models by file name);
`Bundle.close()` removes it. Errors: a path that cannot be read raises RuntimeError as
mediapipe does ("Unable to open file at ..."); bytes that are not a zip archive, a missing
member, or a member that is not the model the landmarker expects raise ValueError naming it.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import weakref
import zipfile
from pathlib import Path
from typing import Optional

from .... import _core

MEMBERS = ("face_detector.tflite", "face_landmarks_detector.tflite", "face_blendshapes.tflite",
           "geometry_pipeline_metadata_landmarks.binarypb")

# Per model: input shape and output shapes (batch 1) the graph is written for.
_SIGNATURES = {
    "face_detector.tflite": ([[1, 128, 128, 3]], [[1, 896, 16], [1, 896, 1]]),
    "face_landmarks_detector.tflite": ([[1, 256, 256, 3]], [[1, 1, 1, 1434], [1, 1, 1, 1], [1, 1]]),
    "face_blendshapes.tflite": ([[1, 146, 2]], [[52]]),
}


def default_bundle_path() -> Path:
    """The face_landmarker.task shipped with the package (see models/NOTICE)."""
    return Path(__file__).resolve().parents[3] / "models" / "face_landmarker.task"


class Bundle:
    """The bundle's members in a temporary folder (`folder`), checked."""

    def __init__(self, model_asset_path: Optional[str] = None,
                 model_asset_buffer: Optional[bytes] = None):
        if model_asset_buffer is not None:
            if not isinstance(model_asset_buffer, (bytes, bytearray, memoryview)):
                raise TypeError("model_asset_buffer must be bytes, got "
                                f"{type(model_asset_buffer).__name__}")
            data, name = bytes(model_asset_buffer), "model_asset_buffer"
        else:
            path = os.fspath(model_asset_path) if model_asset_path is not None \
                else str(default_bundle_path())
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise RuntimeError(f"Unable to open file at {os.path.abspath(path)}") from e
            name = path
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as e:
            raise ValueError(f"{name} is not a model asset bundle (.task): not a zip archive "
                             f"({e}); pass face_landmarker.task") from e
        names = set(zf.namelist())
        missing = [m for m in MEMBERS if m not in names]
        if missing:
            raise ValueError(f"{name} lacks {', '.join(missing)}: not a face_landmarker.task "
                             f"bundle (it holds: {', '.join(sorted(names)) or 'nothing'})")
        self.folder = tempfile.mkdtemp(prefix="fmn-task-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        try:
            for m in MEMBERS:
                try:
                    content = zf.read(m)
                except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as e:
                    raise ValueError(f"{name}: member {m} cannot be read ({e})") from e
                with open(os.path.join(self.folder, m), "wb") as f:
                    f.write(content)
            self._check(name)
        except BaseException:
            self.close()
            raise

    def _check(self, name: str) -> None:
        for m, (ins, outs) in _SIGNATURES.items():
            try:
                model = _core.Interpreter(os.path.join(self.folder, m), 1, False, False)
            except ValueError as e:
                raise ValueError(f"{name}: {m} is not a model facemesh_native can run: {e}") from e
            got_in = [list(t["shape"]) for t in model.inputs]
            got_out = [list(t["shape"]) for t in model.outputs]
            if got_in != ins or got_out != outs:
                raise ValueError(f"{name}: {m} is the wrong model: inputs {got_in} and outputs "
                                 f"{got_out}, expected {ins} and {outs}")
        with open(os.path.join(self.folder, MEMBERS[3]), "rb") as f:
            meta = f.read()
        try:
            geo = _core.parse_geometry_metadata(meta)
        except ValueError as e:
            raise ValueError(f"{name}: {MEMBERS[3]}: {e}") from e
        if geo["vertices"].shape[0] != 468:
            raise ValueError(f"{name}: {MEMBERS[3]} has a canonical mesh of "
                             f"{geo['vertices'].shape[0]} vertices, expected 468")

    def close(self) -> None:
        self._finalizer()
