"""The Ray engine: landmarks for datasets on a Ray cluster (pip install "facemesh_native[ray]").

    import facemesh_native.ray as fmr
    report = fmr.landmarks_dataset(["s3://bucket/videos/a.mp4", ...], "s3://bucket/landmarks",
                                   workers=16, device="gpu")
    # or: facemesh-native landmarks INPUT... -o OUTDIR --engine ray --workers 16 [--ray-address A]

Ray Data's batch-inference pattern: the inputs become a Dataset of rows {path, rel};
`map_batches(LandmarkActor, concurrency=workers, batch_size=1)` runs one actor per worker, each
holding one Pipeline (its models load once, in __init__); a batch is one input, processed and
written by the same code as the local engine (`process_input`), so both engines write the same
files. Outputs go through pyarrow's filesystems: a local folder (which every node must see, e.g.
a shared mount), or s3:// / gs:// URIs. Actors ask for one GPU each when the device is a GPU
(device "gpu", "gl", "gl:N", or "auto" where this machine resolves it to a GPU), otherwise
`num_threads` CPUs (default 1: one actor per core is the fastest use of a CPU node).
Inputs are local paths as the workers see them (a shared filesystem).
The local engine never imports this module.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Sequence

import numpy as np

from ._dataset import (DatasetReport, InputSummary, LandmarkOptions, Pipeline, _options,
                       process_input)
from ._media import InputItem, require
from ._writers import OutputDir

_FIELDS = ("input", "status", "outputs", "frames", "faces", "seconds", "device", "reason")


def _ray():
    ray = require("ray", "ray", "--engine ray")
    require("ray.data", "ray", "--engine ray")
    return ray


class LandmarkActor:
    """A Ray Data callable class: one Pipeline per actor; each batch of {path, rel} rows is
    processed in order and answered with one summary row per input."""

    def __init__(self, outdir: str, fmt: str, options: LandmarkOptions, overlay: bool,
                 resume: bool):
        self.out = OutputDir(outdir)
        self.fmt, self.options, self.overlay, self.resume = fmt, options, overlay, resume
        self.pipeline = Pipeline(options)

    def __call__(self, batch: dict) -> dict:
        rows = {k: [] for k in _FIELDS}
        for path, rel in zip(batch["path"], batch["rel"]):
            s = process_input(InputItem(str(path), str(rel)), self.out, self.fmt, self.options,
                              self.pipeline, self.overlay, self.resume)
            for k in _FIELDS:
                v = getattr(s, k)
                rows[k].append("\n".join(v) if k == "outputs" else v)
        return {k: np.asarray(v) for k, v in rows.items()}


def _wants_gpu(device: str) -> bool:
    d = device.strip().lower()
    if d == "cpu":
        return False
    if d == "auto":
        from ._devices import choose_auto  # noqa: PLC0415
        return choose_auto().device != "cpu"
    return True


def run_ray(items: Sequence[InputItem], outdir: str, fmt: str, options: LandmarkOptions,
            workers: int, address: Optional[str], overlay: bool, resume: bool,
            prog) -> List[InputSummary]:
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    gpu = _wants_gpu(options.device)
    if options.num_threads is None:
        options = replace(options, num_threads=1)
    OutputDir(outdir)   # create a local folder / check the URI before any actor starts
    ds = ray.data.from_items([{"path": it.path, "rel": it.rel} for it in items],
                             override_num_blocks=len(items))
    ds = ds.map_batches(LandmarkActor, batch_size=1, concurrency=min(workers, len(items)),
                        num_gpus=1 if gpu else 0,
                        num_cpus=0 if gpu else options.num_threads,
                        fn_constructor_kwargs=dict(outdir=outdir, fmt=fmt, options=options,
                                                   overlay=overlay, resume=resume))
    by_input = {}
    for row in ds.iter_rows():
        s = InputSummary(input=str(row["input"]), status=str(row["status"]),
                         outputs=[o for o in str(row["outputs"]).split("\n") if o],
                         frames=int(row["frames"]), faces=int(row["faces"]),
                         seconds=float(row["seconds"]), device=str(row["device"]),
                         reason=str(row["reason"]))
        by_input[s.input] = s
        prog.add_frames(s.frames)
        prog.file_done(s)
    return [by_input.get(it.path) or InputSummary(it.path, "failed", reason="no result from Ray")
            for it in items]


def landmarks_dataset(inputs: Sequence, outdir, format: str = "parquet", *,  # noqa: A002
                      workers: int = 1, address: Optional[str] = None, overlay: bool = False,
                      resume: bool = False, progress=None,
                      options: Optional[LandmarkOptions] = None, **kw) -> DatasetReport:
    """facemesh_native.landmarks_dataset with engine="ray" (see there for the arguments)."""
    from ._dataset import landmarks_dataset as run  # noqa: PLC0415
    return run(inputs, outdir, format, workers=workers, engine="ray", ray_address=address,
               overlay=overlay, resume=resume, progress=progress,
               options=_options(options, kw))
