"""``zgcsim optimise``: the NSGA-II search over the levers, its resumable store, its front and its point files."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from zgcsim.cli import main
from zgcsim.experiments.objectives import PlanObjective, expected_shortfall, probabilities
from zgcsim.experiments.search import RECHECK, SEARCH, STORE, on_grid, pareto_front, run_search
from zgcsim.experiments.search_outputs import point_scenario, write_outputs
from zgcsim.experiments.spec import hold_levers
from zgcsim.experiments.store import read_runs
from zgcsim.inputs.levers import BY_NAME
from zgcsim.inputs.scenario import load_scenario
from zgcsim.inputs.targets import load_targets

from optimise_toy import LEVERS, OPTIMUM, Toy, toy_spec

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def toy_search(tmp_path_factory):
    """A tiny search: 48 trials of the toy objective on a 3 000-firm zone, one replicate each."""
    out = tmp_path_factory.mktemp("toy")
    spec = toy_spec()
    result = run_search(spec, Toy(), out, workers=1, progress=False)
    return spec, result, out


def test_tiny_search_finds_the_toy_objectives_known_front(toy_search):
    _spec, result, _out = toy_search
    front = result.front.groupby("targets_likely")["fiscal_cost"].min()  # the cheapest mix at each count
    assert set(front.index) == set(OPTIMUM)
    tolerance = 0.1 * (7.0 - 1.0)  # a tenth of the toy's cost range (1 to 7): 48 trials get close, not exact
    for likely, cost in OPTIMUM.items():
        assert cost <= front[likely] <= cost + tolerance, (likely, front[likely])
    # NSGA-II improved on its first generation (random mixes)
    first = result.trials[result.trials["trial"] < 8]
    assert front[1] < min(first.loc[first["targets_likely"] == 1, "fiscal_cost"], default=float("inf"))


def test_a_target_search_finds_the_least_cost_mix_that_makes_it_likely(tmp_path):
    """With a target the front holds only mixes that make it likely; the cheapest is near the known 3.0."""
    result = run_search(toy_spec(budget=32, target="a"), Toy(), tmp_path, workers=1, progress=False)
    assert len(result.trials[result.trials["constraint"] > 0])  # the search met mixes that fail the constraint ...
    assert (result.front["p_a"] >= 0.8).all() and len(result.front)  # ... and the front holds none of them
    assert OPTIMUM[1] <= result.front["fiscal_cost"].min() <= OPTIMUM[1] + 0.6


def test_every_trial_runs_on_the_same_worlds(toy_search):
    """Common random numbers: a replicate draws the same uncertain inputs, policy effects included, in every trial."""
    _spec, result, out = toy_search
    runs = read_runs(out / STORE)
    search = runs[runs["scenario"] == SEARCH]
    assert search["point"].nunique() == len(result.trials) == 48
    inputs = [c for c in runs.columns if c.startswith("policy_effect_") or c in ("demand_growth", "n_institutes")]
    assert any(c.startswith("policy_effect_") for c in inputs)
    assert (search.groupby("replicate")[inputs].nunique() == 1).all().all()
    assert search["seed"].nunique() == 1
    # the re-runs use fresh replicates, never the search's
    recheck = runs[runs["scenario"] == RECHECK]
    assert len(recheck) and set(recheck["replicate"]).isdisjoint(set(search["replicate"]))


def test_points_are_valid_scenarios_that_say_where_they_came_from(toy_search, tmp_path, capsys):
    spec, result, _out = toy_search
    out = tmp_path / "written"
    out.mkdir()
    points = write_outputs(out, result, spec, {})
    pareto = pd.read_csv(out / "pareto.csv")
    assert len(points) == len(pareto) == len(result.front)
    for column in ("point", "fiscal_cost", "targets_likely", "shortfall", "p_a", "p_a_recheck", *LEVERS):
        assert column in pareto.columns
    assert main(["validate", *map(str, points)]) == 0
    for path, row in zip(points, pareto.itertuples(), strict=True):
        scenario = load_scenario(path)
        assert "zgcsim optimise" in scenario.question and f"trial {row.trial}" in scenario.question
        assert "seed 1" in scenario.question and "no_new_policy" in scenario.question
        for name in LEVERS:
            change = scenario.lever_changes[name][0]
            assert change.value == getattr(row, name) and "search" in change.reason


def test_a_point_on_a_base_with_later_dated_values_resolves_to_the_mix_the_search_ran(tmp_path):
    """action_plan raises tto_funded in 2019 and 2020: the point file must hold the searched value regardless."""
    spec = toy_spec(base="action_plan")
    spec = type(spec)(**{**spec.__dict__, "levers": ("tto_funded", "rd_super_deduction")})
    row = pd.Series({"trial": 3, "fiscal_cost": 12.0, "targets_likely": 2, "tto_funded": 7, "rd_super_deduction": 1.1})
    (tmp_path / "points").mkdir()
    path = tmp_path / "points" / "point_01.toml"
    path.write_text(point_scenario(row, "point_01", spec, tmp_path / "points"), encoding="utf-8")
    written = load_scenario(path)
    held = hold_levers(spec.base, {"tto_funded": 7.0, "rd_super_deduction": 1.1})
    for year in range(2018, 2023):
        for month in (1, 6, 12):
            day = dt.date(year, month, 1)
            assert written.levers_on(day) == held.levers_on(day)


def test_grid_values_stay_within_the_lever_bounds():
    for lever in BY_NAME.values():
        for value in (lever.low, lever.high, (lever.low + lever.high) / 3):
            snapped = on_grid(lever, value)
            assert lever.low <= snapped <= lever.high
            assert not lever.whole or snapped == int(snapped)


def test_front_keeps_the_non_dominated_points_with_shortfall_ranking_mixes_of_equal_count():
    trials = pd.DataFrame(
        [
            (0, 10.0, 3, 0.2),  # dominated by 1 (same cost and targets, larger shortfall)
            (1, 10.0, 3, 0.1),
            (2, 5.0, 2, 0.3),
            (3, 6.0, 2, 0.0),  # costs more than 2 for as many targets, but a smaller shortfall: kept
            (4, 0.0, 0, 0.9),
            (5, 20.0, 3, 0.1),  # dominated by 1 (costs more, same targets and shortfall)
            (6, 10.0, 3, 0.1),  # the same score as 1: the earlier trial is kept
            (7, 7.0, 1, 0.0),  # dominated by 2 (costs more, fewer targets; shortfall only breaks ties)
            (8, 30.0, 3, 0.05),  # costs most, but the smallest shortfall at 3 targets: kept
        ],
        columns=["trial", "fiscal_cost", "targets_likely", "shortfall"],
    )
    assert pareto_front(trials)["trial"].tolist() == [4, 2, 3, 1, 8]


def test_plan_objective_counts_likely_targets_and_sums_five_years_of_cost():
    targets = load_targets()
    rows = []
    for replicate in range(5):
        for t in targets:
            good = replicate < 4  # met in 4 of 5 replicates: P = 0.8, likely
            value = t.threshold * (2.0 if t.direction == "higher" else 0.5) if good else 0.0
            if t.direction == "lower" and not good:
                value = t.threshold * 2
            rows.append((replicate, 2022, t.key, value))
        rows += [(replicate, year, "fiscal_cost", 1.0 + replicate) for year in range(2017, 2023)]
    table = pd.DataFrame(rows, columns=["replicate", "year", "indicator", "value"])
    e = PlanObjective(target="rd_intensity").evaluate(table, {})
    assert e.targets_likely == len(targets)
    assert e.cost == pytest.approx(5 * 3.0)  # 2018-2022 only, mean over replicates of 1..5
    assert e.constraint == pytest.approx(0.0)
    final = table[table["year"] == 2022]
    assert probabilities(final, targets)["rd_intensity"] == pytest.approx(0.8)
    assert 0 < expected_shortfall(final, targets) < 1


def test_plan_objective_refuses_runs_without_a_fiscal_cost():
    table = pd.DataFrame([(0, 2022, "rd_intensity", 5.0)], columns=["replicate", "year", "indicator", "value"])
    with pytest.raises(Exception, match="fiscal_cost"):
        PlanObjective().evaluate(table, {})


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["optimise", "no_such_base"], "no such file, and no library scenario"),
        (
            ["optimise", "--target", "rd_intensty"],
            "--target: unknown target 'rd_intensty' (did you mean 'rd_intensity'?)",
        ),
        (["optimise", "--budget", "0"], "--budget: must be from 1 to"),
        (["optimise", "--replicates", "0"], "--replicates: must be from 1 to"),
        (["optimise", "--levers", "tto_fundd"], "--levers: unknown lever 'tto_fundd'"),
        (["optimise", "--firms", "5"], "--firms: must be from 100 to"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(argv, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--out", "opt", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zgcsim optimise: ") and needle in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_force_never_empties_the_current_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for out in ("", "."):  # an empty --out is the current folder
        assert main(["optimise", "--budget", "1", "--out", out, "--force", "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "current folder" in err[0], err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


KILLED_SEARCH = """
import sys
sys.path.insert(0, {tests!r})
from optimise_toy import Toy, toy_spec
from zgcsim.experiments.search import run_search
if __name__ == "__main__":
    run_search(toy_spec(budget=24, replicates=2, population=6), Toy(replicates=2), {out!r}, workers=1,
               progress=False, chunk_runs=1)
"""


@pytest.mark.slow
def test_a_killed_search_resumes_to_the_same_front(tmp_path):
    clean = run_search(
        toy_spec(budget=24, replicates=2, population=6),
        Toy(replicates=2),
        tmp_path / "clean",
        workers=2,
        progress=False,
    )
    out = tmp_path / "killed"
    script = tmp_path / "search.py"
    script.write_text(KILLED_SEARCH.format(tests=str(TESTS), out=str(out)), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and len(list((out / STORE / "runs").glob("part-*.parquet"))) < 15:
            assert proc.poll() is None, "the search ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # kill -9 of the search's own process group
        proc.wait()
    finished = len(read_runs(out / STORE))
    assert 15 <= finished < 48, "the kill should land midway (after the first generation)"
    resumed = run_search(
        toy_spec(budget=24, replicates=2, population=6), Toy(replicates=2), out, workers=1, progress=False
    )
    assert resumed.reused == finished  # read back, not run again
    runs = read_runs(out / STORE)
    assert not runs.duplicated(["scenario", "point", "replicate"]).any()
    assert len(runs[runs["scenario"] == SEARCH]) == 48  # nothing lost, nothing run twice
    pd.testing.assert_frame_equal(resumed.trials, clean.trials)
    pd.testing.assert_frame_equal(resumed.front, clean.front)


@pytest.fixture(scope="module")
def plan_targets_folder(tmp_path_factory):
    """An optimisation folder with the plan's 16 targets judged on 3 000-firm runs (toy cost)."""
    from optimise_toy import ToyCostPlanTargets

    out = tmp_path_factory.mktemp("plan")
    spec = toy_spec(budget=8, replicates=2, population=4)
    spec = type(spec)(**{**spec.__dict__, "levers": ("tto_funded", "platform_support", "talent_programme")})
    result = run_search(spec, ToyCostPlanTargets(), out, workers=1, progress=False)
    write_outputs(out, result, spec, {})
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pareto_and_least_cost_charts_draw_the_front_in_both_languages(plan_targets_folder, lang):
    from zgcsim.reporting.labels import lever_short, t
    from zgcsim.reporting.pareto import least_cost_chart, load_optimisation, pareto_chart
    from zgcsim.reporting.style import house_style

    opt = load_optimisation(plan_targets_folder)
    assert len(opt.front) >= 1 and len(opt.least_cost) >= 1
    with house_style(lang):
        front = pareto_chart(opt, lang)
        least = least_cost_chart(opt, lang)
        front.canvas.draw()
        least.canvas.draw()
    texts = " ".join(text.get_text() for text in front.axes[0].texts)
    assert all(point in texts for point in opt.front["point"])  # every point labelled ...
    assert any(lever_short(name, lang) in texts for name in opt.levers)  # ... with its main levers
    assert front.axes[0].get_xlabel() == t("pareto_x", lang)
    bars = least.axes[0].patches
    assert len(bars) == len(opt.least_cost)


def test_brief_with_optimisation_adds_the_two_pages(small_results, plan_targets_folder, tmp_path):
    from zgcsim.reporting.brief import build_brief
    from zgcsim.reporting.labels import t

    files = build_brief(small_results, "en", tmp_path, optimisation=plan_targets_folder, progress=False)
    assert t("pareto", "en") in files.pages and t("least_cost", "en") in files.pages
    assert t("pareto", "en") in files.html.read_text(encoding="utf-8")
    assert main(["brief", str(small_results), "--out", str(tmp_path), "--optimisation", str(tmp_path / "no")]) == 2


def test_optimise_command_on_the_fiscal_cost_writes_a_front_whose_points_validate(tmp_path, capsys):
    out = tmp_path / "opt"
    argv = ["optimise", "--budget", "4", "--replicates", "1", "--firms", "3000", "--workers", "1"]
    argv += ["--levers", "tto_funded,rd_super_deduction", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    pareto = pd.read_csv(out / "pareto.csv")
    assert len(pareto) >= 1 and pareto["fiscal_cost"].notna().all()
    assert {"targets_likely_recheck", "p_rd_intensity", "p_rd_intensity_recheck", "tto_funded"} <= set(pareto.columns)
    assert main(["validate", *map(str, sorted((out / "points").glob("*.toml")))]) == 0
    # a second call with the same settings reads every run back and writes the same front
    assert main(argv) == 0
    assert "zgcsim optimise: 0 runs (" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(out / "pareto.csv"), pareto)


@pytest.mark.slow
def test_the_bar_search_finds_at_least_three_non_dominated_points(tmp_path):
    out = tmp_path / "bar"
    assert (
        main(["optimise", "--budget", "24", "--replicates", "4", "--firms", "3000", "--out", str(out), "--quiet"]) == 0
    )
    assert len(pd.read_csv(out / "pareto.csv")) >= 3
    assert main(["validate", *map(str, sorted((out / "points").glob("*.toml")))]) == 0


def test_dashboard_loads_a_front_point_into_the_edit_card(plan_targets_folder, monkeypatch):
    from zgcsim.dashboard import app
    from zgcsim.dashboard import optimisation as card

    monkeypatch.setenv(card.ENVIRONMENT, str(plan_targets_folder))
    card.optimisation_folder.cache_clear()
    opt = card.optimisation_folder()
    rows = card.front_rows(opt, "zh")
    assert len(rows) == len(opt.front) + 1 and rows[1][0] == "point_01"
    values = card.point_levers(opt, "point_01")
    app._load_point("no_new_policy", "point_01", values)
    assert app.parent_name.value == "no_new_policy" and app.new_name.value == "optimise_point_01"
    typed, errors = app._lever_values("en")
    assert not errors and typed == pytest.approx(values)  # the page holds the point's levers, ready to edit
    card.optimisation_folder.cache_clear()


@pytest.mark.slow
def test_a_search_on_a_dask_cluster_finds_the_local_trials_and_front(toy_search, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec, local, _out = toy_search
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = run_search(spec, Toy(), tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert on_dask.executor.startswith("Dask")
    pd.testing.assert_frame_equal(on_dask.trials, local.trials)
    pd.testing.assert_frame_equal(on_dask.front, local.front)
