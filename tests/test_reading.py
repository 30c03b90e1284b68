"""What the brief and the page say about the probabilities, the variance chart, and the concepts table."""

import json

import pytest

from zgcsim.reporting import charts, inputs
from zgcsim.reporting.methods import methods_sections, reading_paragraphs


def test_reading_says_what_p_means_and_gives_the_hindcast_test(tmp_path):
    calibration = tmp_path / "calibration.json"
    calibration.write_text("{}")
    assert len(reading_paragraphs(calibration, "en")) == 2
    assert "No hindcast summary" in reading_paragraphs(calibration, "en")[1]
    summary = {"origins": [2014, 2015, 2016], "points": 47, "coverage_90": 0.915, "coverage_50": 0.47, "skill": 0.4}
    (tmp_path / "hindcast_summary.json").write_text(json.dumps(summary))
    meaning, test = reading_paragraphs(calibration, "en")
    assert "share of plausible worlds" in meaning
    assert "2014-2016" in test and "47 held-out" in test and "held 92 %" in test and "+0.40" in test
    assert "47" in reading_paragraphs(calibration, "zh")[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_variance_chart_stacks_the_components_of_every_target(lang, small_results):
    results = inputs.load_results(small_results)
    assert results.variance is not None
    fig = charts.variance_chart(results.variance, lang, scenario="no_new_policy", replicates=results.replicates)
    bars = list(fig.axes[0].patches)
    assert bars, "no bars drawn"
    assert all(p.get_x() >= 0 and p.get_x() + p.get_width() <= 1 + 1e-9 for p in bars)


def test_concepts_section_shows_the_plan_and_the_published_concept(small_results):
    results = inputs.load_results(small_results)
    section = next(s for s in methods_sections(results, inputs.load_observed(), "", "en") if "concept" in s.heading)
    final = results.indicators[(results.indicators["year"] == 2022) & (results.indicators["scenario"] == "action_plan")]
    plan = final[final["indicator"] == "rd_intensity"]["value"].median()
    published = final[final["indicator"] == "rd_intensity_published"]["value"].median()
    assert published < plan  # R&D expenses are a part of S&T expenditure
    row = next(r for r in section.table if r[0].startswith("Action plan"))
    assert row[1].startswith(f"{plan:.2f}"[:3])
