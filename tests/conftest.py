"""Shared fixtures: small models and firm tables, one small results folder per session, analysis tables."""

import multiprocessing

import numpy as np
import pandas as pd
import pytest

from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.firms import FIELDS, GRANT_PIPELINE_QUARTERS, FirmTable
from zgcsim.model.park import ParkModel

SMALL = {"n_firms_2017": 3000}  # a small population for fast behavioural tests


def make_firms(**columns) -> FirmTable:
    """A hand-built firm table: the given columns, zeros elsewhere, every firm active."""
    n = len(next(iter(columns.values())))
    full = {name: np.zeros(n, dtype) for name, dtype in FIELDS.items()}
    full["uid"] = np.arange(n)
    full["active"] = np.ones(n, bool)
    full["ipo_exchange"] = np.full(n, -1)
    full.update({k: np.asarray(v) for k, v in columns.items()})
    return FirmTable(full, np.zeros((n, GRANT_PIPELINE_QUARTERS), np.int64))


@pytest.fixture(scope="session", autouse=True)
def no_worker_outlives_the_session():
    """Fail (rather than hang) when a test leaves a worker process running.

    At exit Python joins every child process it started, so one forgotten worker, blocked on a pipe nobody reads,
    hangs the whole test run until CI's timeout. Such workers are ended here and reported as an error.
    """
    yield
    left = multiprocessing.active_children()
    for process in left:
        process.terminate()
        process.join(timeout=5)
    assert not left, f"worker processes outlived the tests (ended now): {left}"


@pytest.fixture(scope="session")
def no_new_policy():
    return resolve_scenario("no_new_policy")


@pytest.fixture(scope="session")
def action_plan():
    return resolve_scenario("action_plan")


@pytest.fixture(scope="session")
def fresh_model(no_new_policy):
    """A full-scale model at the end of 2017 (not stepped)."""
    return ParkModel(no_new_policy, replicate_seed(11, 0))


@pytest.fixture(scope="session")
def small_results(tmp_path_factory: pytest.TempPathFactory):
    """A results folder of no_new_policy vs action_plan, 3 paired replicates, small population."""
    from zgcsim.running import runs as runner
    from zgcsim.running.results_folder import build_manifest, write_results

    scenarios = [runner.resolve_scenario(s) for s in ("no_new_policy", "action_plan")]
    table, inputs, parks = runner.run_many(
        scenarios, replicates=3, seed=1, parameter_values=SMALL, workers=1, progress=False
    )
    out = tmp_path_factory.mktemp("results") / "small"
    write_results(out, table, inputs, build_manifest(scenarios, 3, 1, {"wall": 0.0}), parks)
    return out


@pytest.fixture(scope="session")
def analysis_dir(tmp_path_factory: pytest.TempPathFactory):
    """sobol.csv and morris.csv in the columns ``zgcsim analyze`` writes, from SALib on the Ishigami function.

    A real SALib analysis of a known test function (not model output), so the chart code sees genuine indices.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["demand_growth", "tto_2017", "talent_2017"], "bounds": [[-np.pi, np.pi]] * 3}
    folder = tmp_path_factory.mktemp("analysis")
    x = sobol_sample.sample(problem, 64, seed=1)
    rows = []
    for key, scale in (("rd_intensity", 1.0), ("listed_companies", 2.0)):
        s = sobol_analyze.analyze(problem, scale * Ishigami.evaluate(x), seed=1)
        for i, name in enumerate(problem["names"]):
            rows.append([key, name, s["S1"][i], s["S1_conf"][i], s["ST"][i], s["ST_conf"][i]])
    pd.DataFrame(rows, columns=["indicator", "parameter", "S1", "S1_conf", "ST", "ST_conf"]).to_csv(
        folder / "sobol.csv", index=False
    )
    x = morris_sample.sample(problem, 8, seed=1)
    rows = []
    for key, scale in (("rd_intensity", 1.0), ("listed_companies", 2.0)):
        m = morris_analyze.analyze(problem, x, scale * Ishigami.evaluate(x), seed=1)
        for i, name in enumerate(problem["names"]):
            rows.append([key, name, m["mu_star"][i], m["mu_star_conf"][i], m["sigma"][i]])
    pd.DataFrame(rows, columns=["indicator", "parameter", "mu_star", "mu_star_conf", "sigma"]).to_csv(
        folder / "morris.csv", index=False
    )
    return folder


@pytest.fixture(scope="session")
def calibration_fit(tmp_path_factory: pytest.TempPathFactory):
    """A calibration fit table in the columns ``zgcsim calibrate`` writes (test input, made-up numbers).

    Includes a mid-year row (period 'Jun') and a lower-bound observation, as the real table can.
    """
    rows = []
    for series, start in (("total_revenue", 30000.0), ("value_added", 4200.0)):
        for i, year in enumerate(range(2014, 2018)):
            mid = start * 1.14**i
            basis = "lower_bound" if i == 1 else "sourced"
            rows.append([series, year, "FY", mid * 1.02, basis, mid * 0.9, mid, mid * 1.1, mid, True])
    rows.append(["invention_patents_held", 2017, "Jun", 72000.0, "sourced", 65000.0, 70000.0, 76000.0, 70500.0, True])
    columns = ["series", "year", "period", "observed", "basis", "sim_p05", "sim_p50", "sim_p95", "sim_best"]
    folder = tmp_path_factory.mktemp("calibration")
    pd.DataFrame(rows, columns=[*columns, "within_tolerance"]).to_csv(folder / "fit.csv", index=False)
    return folder / "fit.csv"
