"""``formlab batch``: analyse many recordings in parallel and save them to the history store.

One task per recording: read it, hash its canonical bytes, skip it when the store already holds
that hash (so a batch interrupted half-way resumes where it stopped), else analyse it and return
a :class:`~formlab.history.payload.SessionRecord`. Tasks run in a process pool (one process per
core, ``concurrent.futures``) or, with ``--dask ADDRESS``, on an existing Dask cluster; either way
the client alone writes to the store, one transaction per session, as results arrive. A
recording that fails is reported and the others go on.
"""

from __future__ import annotations

import glob
import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from formlab.analysis import analyze
from formlab.errors import InputError
from formlab.history.payload import SessionRecord, canonical_bytes, session_record
from formlab.history.store import DuplicateSession
from formlab.recording import read_recording


@dataclass
class Outcome:
    path: str
    status: str  # "analysed", "stored" (already in the store) or "failed"
    record: SessionRecord | None = None
    problem: str | None = None


@dataclass
class BatchResult:
    saved: list[tuple[str, int]] = field(default_factory=list)
    analysed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def find_recordings(pattern: str) -> list[str]:
    """A folder (its ``*.csv`` files, without ``formlab simulate``'s ``*.truth.csv``) or a glob."""
    if os.path.isdir(pattern):
        found = [str(p) for p in sorted(Path(pattern).glob("*.csv")) if not p.name.endswith(".truth.csv")]
    else:
        found = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    if not found:
        raise InputError(pattern, None, "no recordings found (give a folder of .csv files or a glob such as 'runs/*.csv')")
    return found


def analyse_one(path: str, known_hashes: frozenset[str], speed_mps: float | None = None) -> Outcome:
    """The task run for each recording (in a worker process or on a Dask worker)."""
    try:
        rec = read_recording(path)
        raw = canonical_bytes(rec)
        if hashlib.sha256(raw).hexdigest() in known_hashes:
            return Outcome(path, "stored")
        return Outcome(path, "analysed", session_record(analyze(rec, speed_mps=speed_mps), speed_mps, raw))
    except InputError as exc:
        return Outcome(path, "failed", problem=str(exc))
    except Exception as exc:  # one bad recording must not stop the batch: report it and go on
        return Outcome(path, "failed", problem=f"{path}: analysis failed: {type(exc).__name__}: {exc}")


def _outcomes(paths, known, speed_mps, workers, dask_address):
    """Outcomes as they complete, serially, in a process pool or on a Dask cluster."""
    if dask_address:
        try:
            from distributed import Client, as_completed as dask_completed
        except ImportError:
            raise InputError("--dask", None, "needs Dask: pip install 'formlab[dask]'") from None
        try:
            client = Client(dask_address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError("--dask", None, f"cannot reach the Dask scheduler at {dask_address}: {exc}") from None
        with client:
            futures = [client.submit(analyse_one, p, known, speed_mps, pure=False) for p in paths]
            for future in dask_completed(futures):
                yield future.result()
        return
    if workers == 1:
        for path in paths:
            yield analyse_one(path, known, speed_mps)
        return
    context = multiprocessing.get_context("forkserver")  # not fork: the progress bar runs a thread
    context.set_forkserver_preload([__name__])  # import numpy, pandas, formlab once, not in every worker
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(analyse_one, p, known, speed_mps) for p in paths]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def run_batch(paths: list[str], athlete: str | None = None, store=None, workers: int | None = None,
              dask_address: str | None = None, speed_mps: float | None = None, progress: bool = False) -> BatchResult:
    """Analyse ``paths``; with a ``store`` save each new one for ``athlete`` as it arrives.
    ``workers``: processes (default: one per core; 1 runs in this process)."""
    workers = workers or os.cpu_count() or 1
    known = frozenset(store.known_hashes()) if store is not None else frozenset()
    result = BatchResult()
    bar = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       transient=False)
        task = bar.add_task("analysing", total=len(paths))
        bar.start()
    try:
        for outcome in _outcomes(paths, known, speed_mps, workers, dask_address):
            if outcome.status == "failed":
                result.failed.append((outcome.path, outcome.problem))
            elif outcome.status == "stored":
                result.skipped.append(outcome.path)
            elif store is None:
                result.analysed.append(outcome.path)
            else:
                try:
                    result.saved.append((outcome.path, store.save(outcome.record, athlete)))
                except DuplicateSession:  # two files with the same recording in one batch
                    result.skipped.append(outcome.path)
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    return result


def print_result(result: BatchResult, saving: bool) -> None:
    for path, problem in result.failed:
        print(f"formlab: {problem}", file=sys.stderr)
    done = f"{len(result.saved)} saved" if saving else f"{len(result.analysed)} analysed"
    print(f"{done}, {len(result.skipped)} already stored, {len(result.failed)} failed")
