"""Lost workers: a worker process killed mid-experiment (kill -9) costs time, never results."""

import os
import signal

import pandas as pd
import pandas.testing as pdt
import pytest

from zgcsim.experiments.runner import run_experiment
from zgcsim.experiments.spec import load_experiment
from zgcsim.experiments.store import content, read_runs

EXPERIMENT = (
    'name = "lost"\nscenarios = ["no_new_policy", "action_plan"]\nreplicates = 5\nseed = 11\n'
    "[design]\nconstants = { n_firms_2017 = 3000, n_institutes = 20 }\n"
)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lost")
    path = folder / "lost.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    reference = folder / "reference"
    run_experiment(load_experiment(path), reference, workers=1, progress=False)
    return path, reference


def kill_a_worker_after_the_first_chunk(out):
    """An ``on_chunk`` hook: kill -9 the worker process that ran the first chunk's run, once."""
    killed: list[int] = []

    def hook(name: str) -> None:
        if killed:
            return
        worker = pd.read_parquet(out / "runs" / name)["worker"].iloc[0]
        pid = int(worker.rsplit(":", 1)[1])
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    return hook, killed


def assert_same_store(a, b):
    (ind_a, runs_a), (ind_b, runs_b) = content(a), content(b)
    assert len(ind_a) > 0
    pdt.assert_frame_equal(ind_a, ind_b)
    pdt.assert_frame_equal(runs_a, runs_b)


def test_local_pool_worker_killed_midway_gives_the_undisturbed_store(experiment, tmp_path, capsys):
    path, reference = experiment
    out = tmp_path / "store"
    hook, killed = kill_a_worker_after_the_first_chunk(out)
    summary = run_experiment(load_experiment(path), out, workers=2, chunk_runs=1, progress=False, on_chunk=hook)
    assert killed, "no worker was killed"
    assert summary.failures == 0 and summary.runs == 10
    assert "a worker process died" in capsys.readouterr().err
    workers = set(read_runs(out)["worker"])
    assert len(workers) > 2  # the runs after the kill ran in a new pool
    assert_same_store(reference, out)
    assert len(read_runs(out)) == 10  # nothing lost, nothing stored twice


@pytest.mark.slow
def test_dask_worker_killed_midway_gives_the_undisturbed_store(experiment, tmp_path):
    distributed = pytest.importorskip("distributed")
    path, reference = experiment
    out = tmp_path / "dask"
    hook, killed = kill_a_worker_after_the_first_chunk(out)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_experiment(
            load_experiment(path), out, scheduler=cluster.scheduler_address, chunk_runs=1, progress=False, on_chunk=hook
        )
    assert killed and summary.failures == 0 and summary.runs == 10
    assert_same_store(reference, out)
    assert len(read_runs(out)) == 10
