"""The local engine with N worker processes: each holds its own Pipeline (models loaded once),
takes one input at a time (a video never splits: tracking is sequential) and writes that input's
outputs itself; the parent only hands out inputs and shows progress. Workers are spawned (not
forked: the parent may already run native threads). Largest inputs go first, so that one long
video does not start last."""
from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
import multiprocessing as mp
from typing import List

from ._dataset import InputSummary, Pipeline, process_input
from ._writers import OutputDir

_state = {}
_ONE_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _init(outdir: str, fmt: str, options, overlay: bool, resume: bool, progress_q) -> None:
    _state.update(out=OutputDir(outdir), fmt=fmt, options=options, overlay=overlay,
                  resume=resume, q=progress_q, pipeline=Pipeline(options))


def _work(item) -> InputSummary:
    st = _state
    return process_input(item, st["out"], st["fmt"], st["options"], st["pipeline"],
                         st["overlay"], st["resume"], lambda n: st["q"].put(n))


def _size(item) -> int:
    try:
        return os.path.getsize(item.path)
    except OSError:
        return 0


def run_pool(items, outdir: str, fmt: str, options, workers: int, overlay: bool, resume: bool,
             prog) -> List[InputSummary]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            try:
                prog.add_frames(q.get(timeout=0.2))
            except queue.Empty:
                continue

    pumper = threading.Thread(target=pump, name="fmn-progress", daemon=True)
    pumper.start()
    order = sorted(range(len(items)), key=lambda i: -_size(items[i]))
    results = [None] * len(items)
    # Workers inherit the environment when spawned: numpy's BLAS in each of them gets one
    # thread (its idle threads would otherwise spin beside the native ones). Restored after.
    saved = {k: os.environ.get(k) for k in _ONE_THREAD_ENV}
    for k in _ONE_THREAD_ENV:
        os.environ.setdefault(k, "1")
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=ctx,
                                 initializer=_init,
                                 initargs=(outdir, fmt, options, overlay, resume, q)) as pool:
            futures = {pool.submit(_work, items[i]): i for i in order}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    s = fut.result()
                except BrokenProcessPool:
                    s = InputSummary(items[i].path, "failed",
                                     reason="a worker process died (crash or out of memory)")
                results[i] = s
                prog.file_done(s)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        stop.set()
        pumper.join()
        while True:   # frames reported after the last poll
            try:
                prog.add_frames(q.get_nowait())
            except (queue.Empty, OSError, ValueError):
                break
    return results
