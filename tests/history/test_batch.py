"""formlab batch: process pool, Dask LocalCluster, resume by hash, a failing recording reported."""

from __future__ import annotations

import pytest

from formlab.cli import main
from formlab.history.batch import find_recordings, run_batch
from formlab.history.store import Store


def test_finds_recordings_in_a_folder_or_a_glob(recording_files, tmp_path):
    folder, paths = recording_files
    assert find_recordings(str(folder)) == sorted(map(str, [*paths, folder / "broken.csv"]))
    assert find_recordings(str(folder / "run*.csv")) == list(map(str, paths))
    with pytest.raises(Exception, match="no recordings found"):
        find_recordings(str(tmp_path / "nothing*.csv"))


def test_serial_batch_reports_a_failure_goes_on_and_resumes_by_hash(recording_files, tmp_path):
    folder, paths = recording_files
    with Store(tmp_path / "history.sqlite") as store:
        first = run_batch([str(paths[0]), str(folder / "broken.csv")], "Ana", store, workers=1)
        assert [p for p, _ in first.saved] == [str(paths[0])]
        ((bad, problem),) = first.failed
        assert bad.endswith("broken.csv") and problem.startswith(f"{folder / 'broken.csv'}:")
        again = run_batch(list(map(str, paths)), "Ana", store, workers=1)  # as after an interruption
        assert again.skipped == [str(paths[0])] and len(again.saved) == 2 and not again.failed
        assert len(store.sessions("Ana")) == 3


def test_process_pool_batch_saves_every_recording(recording_files, tmp_path):
    folder, paths = recording_files
    with Store(tmp_path / "history.sqlite") as store:
        result = run_batch(list(map(str, paths)), "Ana", store, workers=2)
        assert sorted(p for p, _ in result.saved) == sorted(map(str, paths))
        speeds = sorted(s.speed_stages[0][1] for s in store.sessions("Ana"))
    assert speeds == [3.0, 3.3, 3.3]


def test_dask_local_cluster_batch(recording_files, tmp_path):
    distributed = pytest.importorskip("distributed")
    folder, paths = recording_files
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        with Store(tmp_path / "history.sqlite") as store:
            result = run_batch([*map(str, paths), str(folder / "broken.csv")], "Ana", store,
                               dask_address=cluster.scheduler_address)
            assert sorted(p for p, _ in result.saved) == sorted(map(str, paths))
            assert len(result.failed) == 1
            assert len(store.sessions("Ana")) == 3
            again = run_batch(list(map(str, paths)), "Ana", store, dask_address=cluster.scheduler_address)
            assert sorted(again.skipped) == sorted(map(str, paths)) and not again.saved


def test_batch_command(recording_files, tmp_path, capsys):
    folder, paths = recording_files
    db = str(tmp_path / "history.sqlite")
    assert main(["batch", str(folder), "--athlete", "Ana", "--save", "--db", db, "--workers", "1", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "3 saved, 0 already stored, 1 failed" in out
    assert err.count("\n") == 1 and err.startswith("formlab: ") and "broken.csv" in err
    assert main(["batch", str(folder / "run*.csv"), "--athlete", "Ana", "--save", "--db", db, "--workers", "1",
                 "--quiet"]) == 0
    assert "0 saved, 3 already stored, 0 failed" in capsys.readouterr().out
    assert main(["batch", str(folder), "--save", "--db", db]) == 2
    assert "--athlete" in capsys.readouterr().err
