"""Experiments: reproducible whatever the executor, resumable after a crash, refused when mixed, analysable."""

import contextlib
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import zgcsim
from zgcsim.cli import main
from zgcsim.experiments import runner as experiment_runner
from zgcsim.experiments.analysis import analyze_store
from zgcsim.experiments.designs import build_design
from zgcsim.experiments.runner import run_experiment
from zgcsim.experiments.spec import hold_levers, load_experiment
from zgcsim.experiments.store import content, read_runs, run_code_files
from zgcsim.inputs.scenario import resolve_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = "constants = { n_firms_2017 = 3000, n_institutes = 20 }"


def write_experiment(
    folder: Path,
    name: str = "small",
    replicates: int = 3,
    design: str = "",
    scenarios: str = '["no_new_policy", "action_plan"]',
) -> Path:
    lines = [
        f'name = "{name}"',
        f"scenarios = {scenarios}",
        f"replicates = {replicates}",
        "seed = 11",
        "[design]",
        SMALL,
        design,
    ]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_same_store(a: Path, b: Path) -> None:
    (ind_a, runs_a), (ind_b, runs_b) = content(a), content(b)
    assert len(ind_a) > 0
    pdt.assert_frame_equal(ind_a, ind_b)
    pdt.assert_frame_equal(runs_a, runs_b)


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory):
    """Two scenarios x 3 replicates, run in this process: the store the other executors must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    path = write_experiment(folder)
    out = folder / "store"
    summary = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert summary.runs == 6 and summary.failures == 0
    return path, out


def test_one_and_two_workers_give_identical_stores(reference_store, tmp_path):
    path, reference = reference_store
    out = tmp_path / "two"
    summary = run_experiment(load_experiment(path), out, workers=2, chunk_runs=2, progress=False)
    assert summary.workers == 2 and summary.runs == 6
    assert len(list((out / "runs").glob("part-*.parquet"))) >= 3  # several chunks, same content
    assert_same_store(reference, out)


@pytest.mark.slow
def test_dask_cluster_of_worker_processes_gives_the_local_store(reference_store, tmp_path):
    distributed = pytest.importorskip("distributed")
    path, reference = reference_store
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_experiment(load_experiment(path), out, scheduler=cluster.scheduler_address, progress=False)
    assert summary.executor.startswith("Dask") and summary.workers == 2
    pids = {int(w.rsplit(":", 1)[1]) for w in read_runs(out)["worker"]}
    assert os.getpid() not in pids  # the runs happened in the cluster's worker processes
    assert_same_store(reference, out)


@pytest.mark.slow
def test_experiment_killed_midway_resumes_to_the_uninterrupted_store(tmp_path, capsys):
    path = write_experiment(tmp_path, name="long", replicates=8)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "zgcsim.cli", "experiment", str(path), "--out", str(out)]
    proc = subprocess.Popen(
        [*command, "--workers", "1", "--chunk", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and len(list((out / "runs").glob("part-*.parquet"))) < 3:
            assert proc.poll() is None, "the experiment ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # kill -9 of the experiment's own process group
        proc.wait()
    finished = len(read_runs(out))
    assert 3 <= finished < 16, "the kill should land midway"

    from zgcsim.running.lock import lock_path

    assert lock_path(out).exists()  # the killed runner could not remove its lock: the rerun takes it over
    capsys.readouterr()
    assert main([*command[3:], "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "took over the stale lock of process" in err
    assert f"{16 - finished} runs (0 failed, {finished} already in the store)" in err
    assert not lock_path(out).exists()

    clean = tmp_path / "clean"
    run_experiment(load_experiment(path), clean, workers=2, progress=False)
    assert_same_store(clean, out)
    assert len(read_runs(out)) == 16  # nothing lost, nothing run twice


def test_orphan_chunk_left_by_a_crash_is_ignored_and_removed(reference_store, tmp_path):
    path, reference = reference_store
    out = tmp_path / "orphan"
    run_experiment(load_experiment(path), out, workers=1, chunk_runs=4, progress=False)
    # a crash between the two writes of a chunk leaves indicator rows without run records, and temporaries
    runs_part = sorted((out / "runs").glob("part-*.parquet"))[-1]
    runs_part.unlink()
    (out / "runs" / ".tmp-abc.parquet").write_bytes(b"partial")
    assert len(read_runs(out)) == 4
    assert content(out)[0]["replicate"].nunique() <= 2  # the orphan rows are not read
    # an unfinished store can be analysed: attainment over the runs that are there
    log = io.StringIO()
    analyze_store(out, log=log)
    assert "4 of 6 runs" in log.getvalue()
    assert set(pd.read_csv(out / "attainment.csv")["replicates"]) == {2}
    resumed = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert resumed.runs == 2
    assert not list((out / "runs").glob(".tmp-*"))
    assert_same_store(reference, out)


def test_failed_run_is_recorded_and_retried_on_rerun(reference_store, tmp_path, monkeypatch):
    path, reference = reference_store
    real = experiment_runner.run_replicate

    def flaky(scenario, root_seed, replicate, parameter_values=None, **options):
        if replicate == 1 and scenario.name == "action_plan":
            raise RuntimeError("worker lost")
        return real(scenario, root_seed, replicate, parameter_values, **options)

    monkeypatch.setattr(experiment_runner, "run_replicate", flaky)
    out = tmp_path / "flaky"
    first = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert first.failures == 1 and "worker lost" in first.failed_runs[0]
    runs = read_runs(out)
    assert (runs["status"] == "failed").sum() == 1

    monkeypatch.setattr(experiment_runner, "run_replicate", real)
    second = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert second.runs == 1 and second.failures == 0
    assert_same_store(reference, out)


def test_store_made_by_another_configuration_is_refused(reference_store, tmp_path, capsys):
    path, _ = reference_store
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, progress=False)
    other = write_experiment(tmp_path, replicates=4)  # same name, another configuration
    assert main(["experiment", str(other), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "config_hash" in err and str(out) in err
    assert len(read_runs(out)) == 6  # untouched


def test_force_never_empties_a_folder_that_is_not_a_store_nor_the_current_folder(
    reference_store, tmp_path, capsys, monkeypatch
):
    path, _ = reference_store
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(work)
    for out in ("", ".", str(work)):  # an empty --out is the current folder
        assert main(["experiment", str(path), "--out", out, "--force", "--quiet"]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert (work / "notes.txt").read_text(encoding="utf-8") == "mine"
    store = work / "store"
    run_experiment(load_experiment(path), store, workers=1, progress=False)
    monkeypatch.chdir(store)  # a store that holds the current folder is not emptied either
    assert main(["experiment", str(path), "--out", str(store), "--force", "--quiet"]) == 2
    assert (store / "store.json").is_file()


def test_store_made_by_other_code_is_refused(reference_store, tmp_path, capsys):
    path, _ = reference_store
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, progress=False)
    manifest = json.loads((out / "store.json").read_text())
    manifest["code_version"] = "0" * 64
    (out / "store.json").write_text(json.dumps(manifest))
    assert main(["experiment", str(path), "--out", str(out), "--quiet"]) == 2
    assert "code_version" in capsys.readouterr().err


def test_store_made_with_another_calibration_is_refused(tmp_path, capsys):
    calibration = tmp_path / "cal.json"

    def write_calibration(scale: float) -> None:
        member = {"values": {"growth_shock_scale": scale}, "weight": 1.0}
        calibration.write_text(json.dumps({"id": "test", "ensemble": [member], "data_sha256": "-"}))

    write_calibration(0.2)
    path = write_experiment(tmp_path, replicates=1, scenarios='["no_new_policy"]')
    path.write_text(path.read_text().replace("seed = 11", 'seed = 11\ncalibration = "cal.json"'))
    out = tmp_path / "store"
    assert main(["experiment", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    write_calibration(0.3)
    from zgcsim.inputs.calibration_file import load_calibration

    load_calibration.cache_clear()  # a new session would read the file afresh
    assert main(["experiment", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    assert "config_hash" in capsys.readouterr().err


def test_folder_that_is_not_a_store_is_refused(reference_store, tmp_path, capsys):
    path, _ = reference_store
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["experiment", str(path), "--out", str(out), "--quiet"]) == 2
    assert "not an experiment store" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


def test_finished_experiment_rerun_does_nothing(reference_store, capsys):
    path, reference = reference_store
    before = content(reference)
    assert main(["experiment", str(path), "--out", str(reference), "--quiet"]) == 0
    assert "already" in capsys.readouterr().err
    pdt.assert_frame_equal(before[0], content(reference)[0])


BAD_FILES = {
    "missing_replicates": ('name = "x"\nscenarios = ["action_plan"]\nseed = 1\n', "replicates"),
    "unknown_key": ('name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\nrepeats = 2\n', "repeats"),
    "negative_replicates": ('name = "x"\nscenarios = ["action_plan"]\nreplicates = 0\nseed = 1\n', "replicates"),
    "unknown_scenario": ('name = "x"\nscenarios = ["no_such_plan"]\nreplicates = 1\nseed = 1\n', "scenarios[0]"),
    "unknown_input": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "lhs"\nn = 4\n'
        'inputs = ["demand_growht"]\n',
        "design.inputs.demand_growht",
    ),
    "data_input": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "lhs"\nn = 4\n'
        'inputs = ["revenue_2017"]\n',
        "design.inputs.revenue_2017",
    ),
    "range_outside": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "lhs"\nn = 4\n'
        "inputs = { demand_growth = { low = 0.0, high = 0.5 } }\n",
        "design.inputs.demand_growth",
    ),
    "unknown_lever": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "lhs"\nn = 4\n'
        'levers = ["tax_holiday"]\n',
        "design.levers.tax_holiday",
    ),
    "sobol_not_power_of_two": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "sobol"\nn = 100\n'
        'inputs = ["demand_growth"]\n',
        "design.n",
    ),
    "bad_kind": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[design]\nkind = "grid"\n',
        "design.kind",
    ),
    "reference_not_run": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\n[analysis]\nreference = "as_happened"\n',
        "analysis.reference",
    ),
    "malformed": ('name = "x\n', "malformed TOML"),
    "missing_calibration": (
        'name = "x"\nscenarios = ["action_plan"]\nreplicates = 1\nseed = 1\ncalibration = "no_such.json"\n',
        "calibration",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_experiment_file_exits_2_with_one_line_naming_file_and_key(case, tmp_path, capsys):
    text, key = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["experiment", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and key in err
    assert not (tmp_path / "out").exists()


def test_missing_experiment_file_exits_2(tmp_path, capsys):
    assert main(["experiment", str(tmp_path / "none.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_analyze_of_a_folder_that_is_not_a_store_exits_2(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "no store.json" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["montecarlo", "lhs", "sobol", "morris"])
def test_design_is_reproducible_and_inside_its_ranges(kind, tmp_path):
    design = (
        'inputs = { demand_growth = { low = 0.08, high = 0.12 }, startup_entry_rate = {} }\nlevers = ["tto_funded"]'
    )
    path = write_experiment(tmp_path, design=f'kind = "{kind}"\nn = 8\n{design}')
    experiment = load_experiment(path)
    first = build_design(experiment.spec.design, experiment.variables, 11)
    again = build_design(experiment.spec.design, experiment.variables, 11)
    other = build_design(experiment.spec.design, experiment.variables, 12)
    pdt.assert_frame_equal(first, again)
    assert not first.drop(columns="point").equals(other.drop(columns="point"))
    expected_points = {"montecarlo": 8, "lhs": 8, "sobol": 8 * (3 + 2), "morris": 8 * (3 + 1)}[kind]
    assert list(first["point"]) == list(range(expected_points))
    for v in experiment.variables:
        assert first[v.name].between(v.low, v.high).all()
    assert experiment.variables[0].low == 0.08 and experiment.variables[1].high == 0.13
    assert (first["tto_funded"] == first["tto_funded"].round()).all()  # a count lever takes whole values


def test_lhs_design_puts_one_point_in_each_stratum(tmp_path):
    path = write_experiment(tmp_path, design='kind = "lhs"\nn = 10\ninputs = ["demand_growth"]')
    experiment = load_experiment(path)
    v = experiment.variables[0]
    design = build_design(experiment.spec.design, experiment.variables, 3)
    strata = np.floor((design[v.name] - v.low) / (v.high - v.low) * 10).astype(int)
    assert sorted(strata) == list(range(10))


def test_held_lever_replaces_the_scenario_dated_path():
    plan = resolve_scenario("action_plan")
    assert plan.lever("tto_funded", dt.date(2021, 1, 1)) == 55
    held = hold_levers(plan, {"tto_funded": 5.0})
    for day in (dt.date(2018, 1, 1), dt.date(2019, 6, 1), dt.date(2022, 12, 31)):
        assert held.lever("tto_funded", day) == 5.0
    assert held.lever("rd_super_deduction", dt.date(2019, 1, 1)) == plan.lever(
        "rd_super_deduction", dt.date(2019, 1, 1)
    )


def test_code_version_covers_the_model_but_not_the_analysis():
    package = Path(zgcsim.__file__).resolve().parent
    names = {f.relative_to(package).as_posix() for f in run_code_files()}
    wanted = {"model/park.py", "model/growth.py", "inputs/scenario.py", "running/runs.py", "experiments/runner.py"}
    assert wanted | {"data/zgc_observed_to_2017.csv"} <= names
    assert not {n for n in names if n.startswith(("cli/", "reporting/", "calibration/", "dashboard/"))}
    assert "experiments/analysis.py" not in names


def test_design_points_reach_the_runs(tmp_path):
    design = 'kind = "lhs"\nn = 2\ninputs = ["demand_growth"]\nlevers = { tto_funded = { low = 0, high = 40 } }'
    path = write_experiment(tmp_path, replicates=1, design=design, scenarios='["action_plan"]')
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, progress=False)
    indicators, runs = content(out)
    points = pd.read_parquet(out / "design.parquet")
    merged = runs.merge(points, on="point", suffixes=("", "_design"))
    assert np.allclose(merged["demand_growth"], merged["demand_growth_design"])
    assert np.allclose(merged["tto_funded"], merged["tto_funded_design"])
    assert (runs["n_firms_2017"] == 3000).all()  # the design's constant overrides the drawn input
    assert {"point", "demand_growth", "tto_funded"} <= set(indicators.columns)


def test_swept_lever_changes_the_outcome_it_drives(tmp_path):
    design = 'kind = "lhs"\nn = 2\nlevers = { tto_funded = { low = 0, high = 40 } }'
    path = write_experiment(tmp_path, replicates=1, design=design, scenarios='["no_new_policy"]')
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, progress=False)
    indicators, _ = content(out)
    offices = indicators[(indicators["indicator"] == "tech_transfer_offices") & (indicators["year"] == 2022)]
    # one replicate (the same random numbers) at two lever values: more funded offices, more offices by 2022
    ordered = offices.sort_values("tto_funded")["value"].to_numpy()
    assert ordered[1] > ordered[0]


@pytest.mark.slow
def test_analyze_writes_every_table_with_the_expected_columns(reference_store, tmp_path):
    _, reference = reference_store
    assert main(["analyze", str(reference), "--quiet"]) == 0
    attainment = pd.read_csv(reference / "attainment.csv")
    assert {"scenario", "indicator", "p_attain", "mc_se", "replicates"} <= set(attainment.columns)
    assert len(attainment) == 2 * 16 and attainment["p_attain"].between(0, 1).all()
    differences = pd.read_csv(reference / "differences.csv")
    assert set(differences["reference"]) == {"no_new_policy"} and set(differences["scenario"]) == {"action_plan"}
    assert {"mean_difference", "difference_low", "difference_high", "p_difference"} <= set(differences.columns)
    ok = differences.dropna(subset=["difference_low"])
    assert (ok["difference_low"] <= ok["mean_difference"]).all() and (
        ok["mean_difference"] <= ok["difference_high"]
    ).all()
    discovery = pd.read_csv(reference / "discovery.csv")
    assert {"indicator", "parameter", "low", "high", "box_density", "box_coverage", "qp"} <= set(discovery.columns)
    assert (reference / "summary.csv").is_file()

    sobol_design = 'kind = "sobol"\nn = 4\ninputs = ["demand_growth", "startup_entry_rate"]'
    sobol_path = write_experiment(tmp_path, name="sob", replicates=1, design=sobol_design, scenarios='["action_plan"]')
    run_experiment(load_experiment(sobol_path), tmp_path / "sob", workers=1, progress=False)
    assert main(["analyze", str(tmp_path / "sob"), "--quiet"]) == 0
    sobol = pd.read_csv(tmp_path / "sob" / "sobol.csv")
    assert {"indicator", "parameter", "S1", "S1_conf", "ST", "ST_conf"} <= set(sobol.columns)
    assert set(sobol["parameter"]) == {"demand_growth", "startup_entry_rate"} and len(sobol) == 2 * 16
    assert not (tmp_path / "sob" / "discovery.csv").exists()  # a Sobol sample is not a random sample

    morris_design = 'kind = "morris"\nn = 2\ninputs = ["demand_growth"]\nlevers = ["rd_super_deduction"]'
    morris_path = write_experiment(
        tmp_path, name="mor", replicates=1, design=morris_design, scenarios='["action_plan"]'
    )
    run_experiment(load_experiment(morris_path), tmp_path / "mor", workers=1, progress=False)
    assert main(["analyze", str(tmp_path / "mor"), "--quiet"]) == 0
    morris = pd.read_csv(tmp_path / "mor" / "morris.csv")
    assert {"indicator", "parameter", "mu_star", "mu_star_conf", "sigma"} <= set(morris.columns)
    assert morris["mu_star"].dropna().ge(0).all()


@pytest.mark.parametrize(("seeds", "distinct"), [("paired", 1), ("independent", 3)])
def test_design_points_share_random_numbers_only_when_paired(seeds, distinct, tmp_path):
    design = f'kind = "lhs"\nn = 3\nseeds = "{seeds}"\nlevers = ["tto_subsidy"]'
    path = write_experiment(tmp_path, replicates=1, design=design, scenarios='["no_new_policy"]')
    experiment = load_experiment(path)
    tasks = experiment_runner.plan_tasks(experiment, build_design(experiment.spec.design, experiment.variables, 11))
    results = [experiment_runner.run_task(t) for t in tasks]
    assert len({r["seed"] for r in results}) == distinct
    assert len({r["used"]["demand_growth"] for r in results}) == distinct


def test_shipped_experiments_are_valid():
    files = sorted((ROOT / "experiments").glob("*.toml"))
    assert files, "experiments/ ships experiment files"
    for path in files:
        experiment = load_experiment(path)
        assert experiment.scenarios


@pytest.mark.slow
def test_unreachable_scheduler_exits_2_naming_the_option(reference_store, tmp_path, capsys):
    path, _ = reference_store
    assert main(["experiment", str(path), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--scheduler" in err[-1] and "cannot reach" in err[-1]


def test_finished_replicate_leaves_no_model_in_memory():
    import gc

    from zgcsim.model.park import ParkModel
    from zgcsim.running.runs import run_replicate

    for replicate in range(2):
        run_replicate(resolve_scenario("no_new_policy"), 1, replicate, {"n_firms_2017": 3000, "n_institutes": 20})
    gc.collect()
    # a worker runs thousands of replicates: none may stay reachable (Mesa 3.3 kept them in Agent._ids)
    assert not [o for o in gc.get_objects() if isinstance(o, ParkModel)]


@pytest.mark.slow
def test_pool_workers_exit_when_the_runner_is_killed(tmp_path):
    psutil = pytest.importorskip("psutil")
    path = write_experiment(tmp_path, name="orphans", replicates=20)
    out = tmp_path / "store"
    command = [sys.executable, "-m", "zgcsim.cli", "experiment", str(path), "--out", str(out)]
    proc = subprocess.Popen(
        [*command, "--workers", "2", "--chunk", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list((out / "runs").glob("part-*.parquet")):
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the runner only, as a crash would
        proc.wait()
        _, alive = psutil.wait_procs(children, timeout=20)
        assert not alive, f"pool workers outlived the runner: {alive}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything left of the process group this test started
