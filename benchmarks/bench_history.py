"""Benchmark of the athlete history; writes its section of docs/benchmarks.md.

    python benchmarks/bench_history.py [--out docs/benchmarks.md] [--skip-batch] [--repeat 2]

1. ``formlab batch`` over 40 ten-minute recordings (100 Hz, acc + gyro; 8 simulated runs, each
   under 5 start times, so 40 different recordings by hash), saving every one to a new store:
   serially, with the process pool (one process per core) and on a Dask ``LocalCluster`` (one
   worker process per core). Wall and CPU time (this process and its reaped children); the
   machine may be shared, so the load average is reported with each, and each mode runs
   ``--repeat`` times (default 2), the modes taking turns, the best wall time counting.
   Target: pool ≥ 1.7× serial.
2. History queries over 1,000 stored sessions (two athletes, 500 each; one-minute runs at three
   belt speeds, dated over two years): the trend of one metric for one athlete at one speed
   (target ≤ 100 ms), the session list, an athlete's baseline findings.
3. Store size per hour of recording (the batch store), and the gzipped canonical CSV against
   Parquet for one recording.

The recordings are simulated once and cached in the temp directory. Only the section between
the ``bench_history`` markers in the output file is replaced.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from generated_sections import provenance, write_section  # one section of docs/benchmarks.md

REPO = Path(__file__).resolve().parent.parent
N_DISTINCT, N_DATES, RUN_S = 8, 5, 600.0
QUERY_SESSIONS, QUERY_TARGET_MS, SPEEDUP_TARGET = 1000, 100.0, 1.7


class TreeCPU:
    """CPU seconds of this process and every process below it (pool workers are children of the
    forkserver, Dask workers of their nannies, so ``RUSAGE_CHILDREN`` misses them): psutil samples
    each descendant every 0.2 s and keeps its last reading (a worker's final 0.2 s may be missed)."""

    def __init__(self):
        import psutil  # installed with dask[distributed]

        self._me = psutil.Process()
        self._error = psutil.Error
        self._base = self._children()  # processes already running (a Dask cluster's workers)
        self._last: dict[int, float] = dict(self._base)
        self._start = self._total()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _total(self) -> float:
        t = self._me.cpu_times()
        return t.user + t.system

    def _children(self) -> dict[int, float]:
        readings = {}
        for child in self._me.children(recursive=True):
            try:
                t = child.cpu_times()
            except self._error:  # it has just exited
                continue
            readings[child.pid] = t.user + t.system
        return readings

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self._last.update(self._children())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._last.update(self._children())
        return self._total() - self._start + sum(v - self._base.get(pid, 0.0) for pid, v in self._last.items())


def batch_recordings() -> list[Path]:
    """40 ten-minute recordings, simulated on first use (8 runs × 5 start times)."""
    from formlab.recording import read_recording, write_recording
    from formlab.simulate import Runner, simulate, treadmill_params

    version = hashlib.sha256((REPO / "formlab" / "simulate.py").read_bytes()).hexdigest()[:8]
    folder = Path(tempfile.gettempdir()) / "formlab-bench" / f"history40_{version}"
    paths = [folder / f"run{i}_{d}.csv" for i in range(N_DISTINCT) for d in range(N_DATES)]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i in range(N_DISTINCT):
        runner = Runner(cadence_spm=164.0 + 2 * i, contact_ms=235.0 + 4 * i, speed_mps=(3.0, 3.3, 3.6)[i % 3])
        rec = simulate(treadmill_params(runner, duration_s=RUN_S, standing_s=10.0, rate_hz=100.0,
                                        variability_pct=6.0), seed=i).recording
        for d in range(N_DATES):
            start = dt.datetime(2026, 9, 7, 7, tzinfo=dt.timezone.utc) + dt.timedelta(days=7 * d + i)
            dated = dataclasses.replace(rec, metadata={**rec.metadata, "start_time_utc": start.isoformat()})
            write_recording(folder / f"run{i}_{d}.csv", dated)
    print(f"simulated {len(paths)} recordings in {time.perf_counter() - t0:.0f} s", flush=True)
    assert read_recording(paths[0]).n_samples > 0
    return paths


def _batch_run(paths: list[Path], db: Path, how: dict) -> dict:
    """One timed batch into a new store: wall, CPU of the process tree, load average before."""
    from formlab.history.batch import run_batch
    from formlab.history.store import Store

    load = os.getloadavg()[0]
    cluster = None
    if how.get("dask"):
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    cpu, t0 = TreeCPU(), time.perf_counter()
    with Store(db) as store:
        result = run_batch(list(map(str, paths)), "Bench", store, workers=how.get("workers"),
                           dask_address=cluster.scheduler_address if cluster else None)
    wall = time.perf_counter() - t0
    cpu = cpu.stop()
    if cluster is not None:
        cluster.close()
    assert len(result.saved) == len(paths) and not result.failed, result.failed
    return {"wall_s": wall, "cpu_s": cpu, "load": load}


def bench_batch(paths: list[Path], repeat: int) -> tuple[list[dict], Path, Path]:
    """Each mode ``repeat`` times, the modes taking turns (so a burst of other work on the shared
    machine does not fall on one mode only); the best wall time of each mode and its run's CPU."""
    work = Path(tempfile.mkdtemp(prefix="formlab-bench-history-"))
    modes = [("serial (one process)", {"workers": 1}), ("process pool (2 processes)", {"workers": 2}),
             ("Dask LocalCluster (2 worker processes)", {"dask": True})]
    runs: dict[str, list[dict]] = {name: [] for name, _ in modes}
    for k in range(repeat):
        for name, how in modes:
            run = _batch_run(paths, work / f"{name.split()[0].lower()}{k}" / "history.sqlite", how)
            runs[name].append(run)
            print(f"{name}: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU, load average before "
                  f"{run['load']:.1f}", flush=True)
    rows = []
    for name, _ in modes:
        best = min(runs[name], key=lambda r: r["wall_s"])
        rows.append({"mode": name, **best, "all_s": [r["wall_s"] for r in runs[name]]})
    return rows, work / "serial0" / "history.sqlite", work


def _folder_mb(folder: Path) -> tuple[float, float]:
    db = sum(p.stat().st_size for p in folder.glob("history.sqlite*")) / 1e6
    rec = sum(p.stat().st_size for p in (folder / "recordings").rglob("*.csv.gz")) / 1e6
    return db, rec


def bench_storage(db: Path, paths: list[Path]) -> dict:
    import gzip

    from formlab.history.payload import GZIP_LEVEL, canonical_bytes
    from formlab.history.store import Store
    from formlab.recording import parse_recording, read_recording

    with Store(db) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        hours = sum(r.duration_s for r in store.sessions()) / 3600.0
        n = len(store.sessions())
    db_mb, rec_mb = _folder_mb(db.parent)
    rec = read_recording(paths[0])
    raw = canonical_bytes(rec)
    t0 = time.perf_counter()
    gz = gzip.compress(raw, GZIP_LEVEL, mtime=0)
    t_gz = time.perf_counter() - t0
    t0 = time.perf_counter()
    parse_recording(gzip.decompress(gz))
    t_gz_read = time.perf_counter() - t0
    out = {"sessions": n, "hours": hours, "db_mb": db_mb, "rec_mb": rec_mb, "csv_mb": len(raw) / 1e6,
           "gz_mb": len(gz) / 1e6, "gz_write_s": t_gz, "gz_read_s": t_gz_read}
    try:
        import io

        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        return out
    frame = pd.DataFrame({"t_s": rec.t_s, **{f"acc_{a}_g": rec.acc_g[:, i] for i, a in enumerate("xyz")},
                          **{f"gyr_{a}_dps": rec.gyr_dps[:, i] for i, a in enumerate("xyz")}})
    t0 = time.perf_counter()
    buffer = io.BytesIO()
    frame.to_parquet(buffer, compression="zstd", index=False)
    t_pq = time.perf_counter() - t0
    t0 = time.perf_counter()
    pd.read_parquet(io.BytesIO(buffer.getvalue()))
    out.update(parquet_mb=len(buffer.getvalue()) / 1e6, parquet_write_s=t_pq, parquet_read_s=time.perf_counter() - t0)
    return out


def bench_queries() -> dict:
    from formlab.analysis import analyze
    from formlab.history.payload import session_record
    from formlab.history.store import Store
    from formlab.history.trends import baseline_findings, trend
    from formlab.simulate import Runner, simulate, treadmill_params

    analyses = [analyze(simulate(treadmill_params(Runner(speed_mps=(3.0, 3.3, 3.6)[i % 3],
                                                          contact_ms=240.0 + i), duration_s=60.0, standing_s=5.0,
                                                   rate_hz=100.0, variability_pct=5.0), seed=i).recording)
                for i in range(9)]
    work = Path(tempfile.mkdtemp(prefix="formlab-bench-query-"))
    db = work / "history.sqlite"
    t0 = time.perf_counter()
    with Store(db) as store:
        for k in range(QUERY_SESSIONS):
            a = analyses[k % len(analyses)]
            start = dt.datetime(2025, 1, 1, 7, tzinfo=dt.timezone.utc) + dt.timedelta(hours=17.5 * k)
            rec = dataclasses.replace(a.recording, metadata={**a.recording.metadata, "start_time_utc": start.isoformat()})
            store.save(session_record(dataclasses.replace(a, recording=rec)), ("Ana", "Ben")[k % 2])
    save_s = time.perf_counter() - t0
    out = {"save_ms": 1000 * save_s / QUERY_SESSIONS, "work": work}
    with Store(db) as store:  # a fresh connection: the first query is cold
        t0 = time.perf_counter()
        first = trend(store, "Ana", "contact_right_ms", 3.3)
        out["trend_first_ms"] = 1000 * (time.perf_counter() - t0)
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            trend(store, "Ana", "contact_right_ms", 3.3)
            times.append(time.perf_counter() - t0)
        out["trend_best_ms"], out["trend_median_ms"] = 1000 * min(times), 1000 * sorted(times)[10]
        out["trend_rows"] = len(first)
        t0 = time.perf_counter()
        sessions = store.sessions()
        out["list_ms"] = 1000 * (time.perf_counter() - t0)
        out["sessions"] = len(sessions)
        last = store.sessions("Ana")[-1].id
        t0 = time.perf_counter()
        baseline_findings(store, "Ana", last)
        out["baseline_ms"] = 1000 * (time.perf_counter() - t0)
    return out


def section(batch: list[dict] | None, storage: dict | None, queries: dict) -> str:
    lines = ["## athlete history: batch, queries, store size", "",
             provenance("benchmarks/bench_history.py"), ""]
    if batch:
        serial = batch[0]["wall_s"]
        lines += [f"### formlab batch: {N_DISTINCT * N_DATES} ten-minute recordings (100 Hz, acc + gyro), saved to a new store", "",
                  "Each recording is read, hashed, analysed and saved (one transaction per session). Each mode ran "
                  f"{len(batch[0]['all_s'])} times, the modes taking turns; the best wall time is shown with that run's "
                  "CPU time and load. CPU time is "
                  "this process and every process below it (sampled with psutil); the load average (1 min) just before each run shows "
                  "how much other work shared the 2 cores.", "",
                  "| mode | wall time, best | all runs | CPU time | speed-up over serial | load average before | target | result |",
                  "|---|---|---|---|---|---|---|---|"]
        for row in batch:
            speedup = serial / row["wall_s"]
            pool = row["mode"].startswith("process pool")
            target = f"≥ {SPEEDUP_TARGET}×" if pool else "info"
            result = ("**PASS**" if speedup >= SPEEDUP_TARGET else "**FAIL**") if pool else "info"
            lines.append(f"| {row['mode']} | {row['wall_s']:.1f} s | {', '.join(f'{w:.1f}' for w in row['all_s'])} | "
                         f"{row['cpu_s']:.1f} s | {speedup:.2f}× | "
                         f"{row['load']:.1f} | {target} | {result} |")
        lines.append("")
        contended = max(r["load"] for r in batch) > 1.0
        lines.append("The machine was shared with other work during these runs (load average above 1 before a run), "
                     "so the speed-ups are lower than on an idle machine." if contended else
                     "The machine was otherwise idle (load average at most 1 before each run).")
        lines.append("")
    if storage:
        lines += ["### store size per hour of recording", "",
                  f"The batch store: {storage['sessions']} sessions, {storage['hours']:.2f} h of recording.", "",
                  "| part | MB | MB per hour of recording |", "|---|---|---|",
                  f"| history.sqlite (sessions, analyses, stage metrics, steps, findings) | {storage['db_mb']:.1f} | "
                  f"{storage['db_mb'] / storage['hours']:.1f} |",
                  f"| recordings/ (canonical CSV, gzipped) | {storage['rec_mb']:.1f} | {storage['rec_mb'] / storage['hours']:.1f} |",
                  f"| whole store folder | {storage['db_mb'] + storage['rec_mb']:.1f} | "
                  f"{(storage['db_mb'] + storage['rec_mb']) / storage['hours']:.1f} |", ""]
        lines += ["One ten-minute recording kept as the canonical CSV gzipped against Parquet (zstd, float64 columns):", "",
                  "| form | MB | write s | read s |", "|---|---|---|---|",
                  f"| canonical CSV | {storage['csv_mb']:.2f} | – | – |",
                  f"| canonical CSV, gzip level 6 (kept) | {storage['gz_mb']:.2f} | {storage['gz_write_s']:.2f} | "
                  f"{storage['gz_read_s']:.2f} (decompress + parse) |"]
        if "parquet_mb" in storage:
            lines.append(f"| Parquet, zstd | {storage['parquet_mb']:.2f} | {storage['parquet_write_s']:.2f} | "
                         f"{storage['parquet_read_s']:.2f} |")
        lines.append("")
    lines += [f"### history queries over {queries['sessions']} stored sessions", "",
              "Two athletes, 500 one-minute sessions each at 3.0, 3.3 and 3.6 m/s, dated over two years "
              f"(saving them took {queries['save_ms']:.0f} ms per session).", "",
              "| query | time | target | result |", "|---|---|---|---|",
              f"| trend of right-foot contact for one athlete at 3.3 m/s ± 0.1 ({queries['trend_rows']} runs), "
              f"best of 20 (median {queries['trend_median_ms']:.1f} ms; first, cold: {queries['trend_first_ms']:.1f} ms) | "
              f"{queries['trend_best_ms']:.1f} ms | ≤ {QUERY_TARGET_MS:.0f} ms | "
              f"{'**PASS**' if queries['trend_median_ms'] <= QUERY_TARGET_MS else '**FAIL**'} (median) |",
              f"| list of all sessions with their summaries (`formlab history`) | {queries['list_ms']:.0f} ms | info | info |",
              f"| baseline findings of one athlete's last run (8 metrics) | {queries['baseline_ms']:.0f} ms | info | info |",
              ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--skip-batch", action="store_true", help="only the queries (quick)")
    parser.add_argument("--repeat", type=int, default=2, help="batch runs per mode, taking turns (default 2)")
    args = parser.parse_args(argv)
    batch = storage = None
    if not args.skip_batch:
        paths = batch_recordings()
        batch, serial_db, work = bench_batch(paths, args.repeat)
        storage = bench_storage(serial_db, paths)
        shutil.rmtree(work)
    queries = bench_queries()
    shutil.rmtree(queries.pop("work"))
    write_section("history", section(batch, storage, queries), args.out)
    print(f"wrote its section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
