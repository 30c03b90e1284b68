"""The dashboard's logic without a browser: lever checks, edited scenarios and their files, runs, tables, charts."""

import datetime as dt
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zgcsim.cli import main
from zgcsim.dashboard import catalogue, ensemble
from zgcsim.dashboard.editing import check_lever_input, edit_scenario, scenario_toml, valid_name
from zgcsim.dashboard.ensemble import EditSpec, JobSpec, SessionFolder, run_job
from zgcsim.dashboard.figures import fan_chart, figure_png
from zgcsim.dashboard.tables import attainment_table, number, paired_effect, to_html
from zgcsim.errors import UserInputError
from zgcsim.inputs.levers import BY_NAME
from zgcsim.inputs.scenario import load_scenario
from zgcsim.inputs.targets import load_targets
from zgcsim.model.indicators import REGISTRY
from zgcsim.reporting import tables
from zgcsim.reporting.labels import t
from zgcsim.reporting.style import FIXED_COLOURS, TARGET_COLOUR, indicator_name, palette, scenario_colours
from zgcsim.running import runs as runner
from zgcsim.running.results_folder import build_manifest, write_results
from zgcsim.running.runs import RunCancelled

QUICK = dict(ensemble.QUICK_PARAMETERS)
MEDIAN_WIDTH = 1.8  # the fan chart's median line (its bands' edges are thinner)
QUARTERS = [dt.date(y, m, 1) for y in range(2018, 2023) for m in (1, 4, 7, 10)]


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory):
    scenarios = [runner.resolve_scenario("no_new_policy"), runner.resolve_scenario("action_plan")]
    table, inputs, parks = runner.run_many(scenarios, 2, 5, parameter_values=QUICK, progress=False)
    out = tmp_path_factory.mktemp("results") / "main"
    write_results(out, table, inputs, build_manifest(scenarios, 2, 5, {}, {"parameter_values": QUICK}), parks)
    return out


def test_out_of_bounds_lever_value_is_refused_with_its_bounds():
    lever = BY_NAME["tto_funded"]
    value, message = check_lever_input("tto_funded", str(lever.high + 1))
    assert value is None
    assert f"[{lever.low:g}, {lever.high:g}]" in message and lever.unit in message


def test_lever_input_that_is_not_a_number_is_refused():
    value, message = check_lever_input("hte_tax_rate", "fifteen")
    assert value is None and "not a number" in message


def test_fraction_for_a_counting_lever_is_refused():
    value, message = check_lever_input("tto_funded", "12.5")
    assert value is None and "whole number" in message
    assert check_lever_input("tto_funded", "12") == (12.0, None)


@pytest.mark.parametrize("name", catalogue.library_names())
def test_every_library_scenario_edited_and_written_validates_and_round_trips(name, tmp_path):
    parent = runner.resolve_scenario(name)
    edited = edit_scenario(parent, {"talent_programme": 2.5, "tto_funded": 80}, "edited", dt.date(2019, 1, 1))
    path = tmp_path / "edited.toml"
    path.write_text(scenario_toml(edited, parent.name, {"talent_programme": 2.5}), encoding="utf-8")
    reloaded = load_scenario(path)
    assert [reloaded.levers_on(d) for d in QUARTERS] == [edited.levers_on(d) for d in QUARTERS]
    fields = ("kind", "start", "quarters", "magnitude", "sectors", "firms", "reason", "reference")
    assert [tuple(getattr(e, f) for f in fields) for e in reloaded.events] == [
        tuple(getattr(e, f) for f in fields) for e in edited.events
    ]
    assert dict(reloaded.uncertain_ranges) == dict(edited.uncertain_ranges)


def test_blank_lever_input_keeps_the_parent_value_and_a_valid_one_is_accepted():
    assert check_lever_input("hte_tax_rate", "  ") == (None, None)
    assert check_lever_input("hte_tax_rate", "0.12") == (0.12, None)


def test_lever_refusal_speaks_chinese_when_asked():
    _, message = check_lever_input("tto_funded", "9999", "zh")
    assert "超出范围" in message and "家" in message


def test_unsafe_or_parent_scenario_names_are_refused():
    assert valid_name("action_plan_more_ttos", "action_plan")
    assert not valid_name("../outside", "action_plan")
    assert not valid_name("a/b", "action_plan")
    assert not valid_name("action_plan", "action_plan")
    assert not valid_name("no_new_policy", "action_plan")  # would pass for the library scenario


def test_edited_lever_holds_from_its_start_and_replaces_later_parent_values():
    parent = runner.resolve_scenario("action_plan")
    edited = edit_scenario(parent, {"tto_funded": 100}, "more_ttos", start=dt.date(2019, 1, 1))
    assert edited.lever("tto_funded", dt.date(2018, 10, 1)) == parent.lever("tto_funded", dt.date(2018, 10, 1))
    for day in (dt.date(2019, 1, 1), dt.date(2020, 6, 1), dt.date(2022, 12, 1)):
        assert edited.lever("tto_funded", day) == 100
    assert edited.lever("platform_support", dt.date(2021, 1, 1)) == parent.lever(
        "platform_support", dt.date(2021, 1, 1)
    )


def test_edit_outside_bounds_is_refused():
    with pytest.raises(UserInputError):
        edit_scenario(runner.resolve_scenario("action_plan"), {"hte_tax_rate": 0.9}, "bad")


def test_downloaded_scenario_file_validates_and_gives_the_same_scenario(tmp_path, capsys):
    parent = runner.resolve_scenario("action_plan")
    edited = edit_scenario(parent, {"tto_funded": 120, "rd_super_deduction": 1.0}, "bold_plan", dt.date(2020, 1, 1))
    path = tmp_path / "elsewhere" / "bold_plan.toml"  # not beside the library: the file must stand alone
    path.parent.mkdir()
    path.write_text(scenario_toml(edited, parent.name, {"tto_funded": 120}), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    reloaded = load_scenario(path)
    assert reloaded.name == "bold_plan"
    assert [reloaded.levers_on(d) for d in QUARTERS] == [edited.levers_on(d) for d in QUARTERS]
    assert reloaded.events == tuple(e.__class__(**{**e.__dict__, "source": str(path)}) for e in edited.events)
    assert dict(reloaded.uncertain_ranges) == dict(edited.uncertain_ranges)


def test_scenario_with_events_round_trips_through_the_file(tmp_path):
    source = tmp_path / "shocked.toml"
    source.write_text(
        'name = "shocked"\n[[events]]\nkind = "demand_shock"\nstart = 2020-01-01\nquarters = 2\nmagnitude = -0.2\n'
        'sectors = ["it"]\n[uncertain.n_firms_2017]\nlow = 21000\nhigh = 23000\n',
        encoding="utf-8",
    )
    scenario = load_scenario(source)
    edited = edit_scenario(scenario, {"talent_programme": 2.0}, "shocked_talent")
    out = tmp_path / "out" / "shocked_talent.toml"
    out.parent.mkdir()
    out.write_text(scenario_toml(edited, "shocked", {"talent_programme": 2.0}), encoding="utf-8")
    reloaded = load_scenario(out)
    assert [(e.kind, e.start, e.quarters, e.magnitude, e.sectors) for e in reloaded.events] == [
        (e.kind, e.start, e.quarters, e.magnitude, e.sectors) for e in edited.events
    ]
    assert dict(reloaded.uncertain_ranges) == {"n_firms_2017": (21000.0, 23000.0)}


def test_run_loop_reports_progress_run_by_run_and_gives_the_same_rows_in_a_pool():
    scenarios = [runner.resolve_scenario("no_new_policy"), runner.resolve_scenario("action_plan")]
    seen = []
    table, inputs, _ = runner.run_many(
        scenarios, 2, 11, parameter_values=QUICK, progress=False, on_progress=lambda d, n: seen.append((d, n))
    )
    pooled_table, pooled_inputs, _ = runner.run_many(
        scenarios, 2, 11, parameter_values=QUICK, progress=False, workers=2
    )
    pd.testing.assert_frame_equal(table, pooled_table)
    pd.testing.assert_frame_equal(inputs, pooled_inputs)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_stopping_a_run_raises_before_the_next_replicate():
    calls = []
    with pytest.raises(RunCancelled):
        runner.run_many(
            [runner.resolve_scenario("no_new_policy")],
            3,
            1,
            parameter_values=QUICK,
            progress=False,
            on_progress=lambda d, n: calls.append(d),
            should_stop=lambda: bool(calls),
        )
    assert calls == [1]


def _files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()}


def test_edited_run_writes_only_inside_its_session_folder_and_pairs_with_its_parent(tmp_path, monkeypatch):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    root = tmp_path / "root"
    session = SessionFolder(root)
    spec = JobSpec(
        edit=EditSpec("action_plan", "plan_more_ttos", {"tto_funded": 150}), replicates=2, seed=3, quick=True
    )
    sets, out = run_job(spec, session)
    assert _files_under(workdir) == set()
    written = _files_under(root)
    assert written and all(session.path in p.parents for p in written)
    assert (out / "attainment.csv").exists() and (out.parent / "plan_more_ttos.toml").exists()
    child = next(rs for rs in sets if rs.scenario == "plan_more_ttos")
    parent = next(rs for rs in sets if rs.scenario == "action_plan")
    assert child.parent_key == parent.key and child.quick
    assert sorted(child.runs["seed"].unique()) == sorted(parent.runs["seed"].unique())
    tto = child.runs[(child.runs["indicator"] == "tech_transfer_offices") & (child.runs["year"] == 2022)]["value"]
    assert (tto.to_numpy() >= parent.runs.query("indicator == 'tech_transfer_offices' and year == 2022")["value"]).all()


def test_failed_run_raises_and_keeps_no_files(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(runner, "run_replicate", broken)
    session = SessionFolder(tmp_path)
    with pytest.raises(RuntimeError, match="model exploded"):
        run_job(JobSpec(edit=EditSpec("action_plan", "x", {"tto_funded": 9}), replicates=1, quick=True), session)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_job_with_bad_settings_is_refused_before_any_folder_is_made(tmp_path):
    session = SessionFolder(tmp_path)
    for spec in (
        JobSpec(scenarios=("no_new_policy",), replicates=0),
        JobSpec(scenarios=("no_new_policy",), replicates=ensemble.MAX_REPLICATES + 1),
        JobSpec(scenarios=()),
        JobSpec(edit=EditSpec("action_plan", "../escape", {"tto_funded": 10})),
        JobSpec(edit=EditSpec("action_plan", "ok_name", {})),
    ):
        with pytest.raises(UserInputError):
            run_job(spec, session)
    assert list(tmp_path.iterdir()) == []


def test_results_folder_gives_one_result_set_per_scenario(results_folder):
    sets = catalogue.load_results_folder(results_folder)
    assert [rs.scenario for rs in sets] == ["no_new_policy", "action_plan"]
    assert all(rs.replicates == 2 and rs.seed == 5 and rs.quick for rs in sets)
    assert sets[0].key == "no_new_policy @ main"


def test_results_folder_without_csv_files_is_summarised_from_its_runs(results_folder, tmp_path):
    copy = tmp_path / "runs_only"
    copy.mkdir()
    (copy / "indicators.parquet").write_bytes((results_folder / "indicators.parquet").read_bytes())
    sets = catalogue.load_results_folder(copy)
    original = catalogue.load_results_folder(results_folder)
    np.testing.assert_allclose(sets[1].attainment["p_attain"], original[1].attainment["p_attain"])


def test_attainment_table_has_the_16_targets_and_a_column_per_result_set(results_folder):
    sets = catalogue.load_results_folder(results_folder)
    table = attainment_table(sets, "en")
    assert len(table) == 16
    assert list(table.columns[-2:]) == [rs.key for rs in sets]
    assert table.iloc[0, 1] == indicator_name("rd_intensity", "en")  # the house style's name, as in the brief
    assert attainment_table(sets, "zh").iloc[0, 1] == REGISTRY["rd_intensity"].name_zh
    assert '<table id="x"' in to_html(table, "x")


def _result_set(name: str, runs: pd.DataFrame) -> catalogue.ResultSet:
    return catalogue.ResultSet(name, name, "test", pd.DataFrame(), pd.DataFrame(), runs, runs["seed"].nunique(), 1)


def test_paired_effect_pairs_runs_by_seed_not_by_row_order():
    """Each run's world (seed) moves both scenarios alike: paired, the difference is exactly the policy's +1."""
    seeds = np.arange(6)
    world = seeds * 100.0  # a spread between runs far larger than the effect
    rows = [
        (name, s, s + 1000, 2022, key, w + (1.0 if name == "child" else 0.0))
        for name in ("child", "parent")
        for s, w in zip(seeds, world, strict=True)
        for key in REGISTRY
    ]
    runs = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "year", "indicator", "value"])
    child = _result_set("child", runs[runs["scenario"] == "child"].sample(frac=1.0, random_state=1))  # shuffled
    parent = _result_set("parent", runs[runs["scenario"] == "parent"])
    effect = paired_effect(child, parent, "en").set_index("#")
    assert len(effect) == 16
    assert set(effect[t("median_diff", "en")]) == {"+1 (+1 … +1)"}
    # unpaired (every child run against every parent run), the same data would spread over hundreds
    unpaired = np.subtract.outer(world + 1.0, world).ravel()
    assert np.quantile(unpaired, 0.95) - np.quantile(unpaired, 0.05) > 400


def test_paired_effect_of_two_scenarios_is_the_run_by_run_difference(results_folder):
    plan, base = (catalogue.load_results_folder(results_folder)[i] for i in (1, 0))
    assert (plan.scenario, base.scenario) == ("action_plan", "no_new_policy")
    effect = paired_effect(plan, base, "en").set_index("#")
    diffs = tables.paired_differences(pd.concat([plan.runs, base.runs]), "no_new_policy").set_index("indicator")
    by_seed = pd.merge(
        plan.runs[plan.runs["year"] == 2022], base.runs[base.runs["year"] == 2022], on=["seed", "indicator"]
    )
    by_seed["difference"] = by_seed["value_x"] - by_seed["value_y"]
    for target in load_targets():
        per_run = by_seed.loc[by_seed["indicator"] == target.key, "difference"].to_numpy()
        assert len(per_run) == plan.replicates
        assert diffs.at[target.key, "mean_difference"] == pytest.approx(per_run.mean())
        assert effect.at[target.number, t("median_diff", "en")].startswith(number(np.median(per_run), True))
        p_plan = plan.attainment.set_index("indicator").at[target.key, "p_attain"]
        p_base = base.attainment.set_index("indicator").at[target.key, "p_attain"]
        assert effect.at[target.number, t("delta_p", "en")] == f"{p_plan - p_base:+.2f}"
    # the two scenarios differ, and pairing matters: the run-by-run spread is not the spread of all cross pairs
    tto = by_seed[by_seed["indicator"] == "tech_transfer_offices"]
    assert (tto["difference"] != 0).all()
    unpaired = np.subtract.outer(tto["value_x"].to_numpy(), tto["value_y"].to_numpy()).ravel()
    assert np.std(unpaired) != pytest.approx(np.std(tto["difference"]))


def test_fan_chart_draws_bands_median_and_target_line(results_folder):
    sets = catalogue.load_results_folder(results_folder)
    fig = fan_chart(sets, "tech_transfer_offices", "en")
    ax = fig.axes[0]
    threshold = REGISTRY["tech_transfer_offices"].target.threshold
    target_lines = [line for line in ax.get_lines() if line.get_color() == TARGET_COLOUR]
    assert any(list(line.get_ydata()) == [threshold, threshold] for line in target_lines)
    assert len(ax.collections) == 2 * len(sets)  # a 25-75 % and a 5-95 % band per scenario
    medians = [line for line in ax.get_lines() if line.get_linewidth() == MEDIAN_WIDTH]
    assert [m.get_color() for m in medians] == palette([rs.scenario for rs in sets])
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_fan_chart_of_an_auxiliary_series_has_no_target_line(results_folder):
    sets = catalogue.load_results_folder(results_folder)
    fig = fan_chart(sets[:1], "employees", "zh")
    lines = fig.axes[0].get_lines()
    assert len([line for line in lines if line.get_linewidth() == MEDIAN_WIDTH]) == 1  # the median is drawn
    assert not [line for line in lines if line.get_color() == TARGET_COLOUR]


def test_one_scenario_gets_one_colour_in_the_brief_and_the_page():
    assert palette(["action_plan", "no_new_policy"]) == palette(["no_new_policy", "action_plan"])[::-1]
    assert scenario_colours(["policy_tax", "action_plan"])["action_plan"] == FIXED_COLOURS["action_plan"]
    twice = palette(["action_plan", "action_plan", "policy_tax", "no_new_policy"])
    assert len(set(twice)) == 4 and twice[0] == FIXED_COLOURS["action_plan"]


def test_dashboard_command_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path)]) == 2
    assert "not a zgcsim results folder" in capsys.readouterr().err


def test_dashboard_command_refuses_a_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_four_sessions_at_once_see_only_their_own_results_and_a_fifth_run_is_refused(tmp_path):
    import gc
    import threading
    import tracemalloc

    from zgcsim.model.park import ParkModel

    specs = [
        JobSpec(scenarios=("no_new_policy",), replicates=2, seed=1, quick=True),
        JobSpec(scenarios=("action_plan",), replicates=2, seed=2, quick=True),
        JobSpec(scenarios=("no_new_policy", "action_plan"), replicates=1, seed=3, quick=True),
        JobSpec(edit=EditSpec("action_plan", "more_ttos", {"tto_funded": 150}), replicates=1, seed=4, quick=True),
    ]
    assert len(specs) == ensemble.MAX_CONCURRENT_RUNS
    # each run pauses at its first progress report until all four are running, so they overlap for sure
    started = [threading.Event() for _ in specs]
    go = threading.Event()
    outcomes: dict[int, object] = {}

    def session_run(i: int) -> None:
        def on_progress(done: int, total: int) -> None:
            started[i].set()
            assert go.wait(60)

        try:
            outcomes[i] = run_job(specs[i], SessionFolder(tmp_path / "root"), on_progress)
        except BaseException as err:  # reported by the main thread
            outcomes[i] = err

    tracemalloc.start()
    threads = [threading.Thread(target=session_run, args=(i,)) for i in range(len(specs))]
    for thread in threads:
        thread.start()
    try:
        assert all(event.wait(60) for event in started)
        with pytest.raises(UserInputError, match="4 runs are already going on this dashboard"):
            run_job(JobSpec(scenarios=("no_new_policy",), replicates=1, quick=True), SessionFolder(tmp_path / "x"))
    finally:
        go.set()
        for thread in threads:
            thread.join(120)
    _, crowded_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not (tmp_path / "x").exists()  # the refused run made no folder

    # each session got exactly the results it would get alone, in its own folder
    folders = set()
    for i, spec in enumerate(specs):
        assert not isinstance(outcomes[i], BaseException), outcomes[i]
        sets, out = outcomes[i]
        folders.add(out.parent.parent)
        alone, _ = run_job(spec, SessionFolder(tmp_path / f"alone{i}"))
        assert [rs.key for rs in sets] == [rs.key for rs in alone]
        for crowded, single in zip(sets, alone, strict=True):
            pd.testing.assert_frame_equal(crowded.runs, single.runs)
            assert crowded.seed == spec.seed
    assert len(folders) == len(specs)  # one session folder each

    # memory stays bounded: no model outlives its run, and four runs at once peaked at most at four single ones
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, ParkModel)]
    tracemalloc.start()
    run_job(specs[2], SessionFolder(tmp_path / "single"))
    _, single_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert crowded_peak <= 4 * single_peak * 1.25
