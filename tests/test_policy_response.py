"""Policy response: seeded, paired runs on a small population move the indicators each lever is meant to move.

Replicate r of every scenario uses the same seed, so a paired difference is the policy's effect plus only the
noise that the policy itself sets off. The population is small (3 000 firms) to keep the tests fast.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from zgcsim.inputs.scenario import LIBRARY, load_scenario, resolve_scenario, with_levers
from zgcsim.running.runs import run_many

SMALL = {"n_firms_2017": 3000}
SEED = 20180101
REPLICATES = 6


def _values_2022(scenarios, replicates: int = REPLICATES) -> pd.DataFrame:
    """2022 value of every indicator: rows (scenario, replicate), one column per indicator."""
    table, _, _ = run_many(scenarios, replicates, SEED, workers=1, parameter_values=SMALL, progress=False)
    last = table[table["year"] == 2022]
    return last.pivot_table(index=["scenario", "replicate"], columns="indicator", values="value")


def _paired(values: pd.DataFrame, scenario: str, parent: str, indicator: str) -> np.ndarray:
    return (values.loc[scenario, indicator] - values.loc[parent, indicator]).to_numpy()


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    base = resolve_scenario("no_new_policy")
    scenarios = [
        base,
        with_levers(base, {"rd_super_deduction": 1.0}, name="deduction_100"),
        resolve_scenario("policy_tax"),
        resolve_scenario("policy_tech_transfer"),
        with_levers(base, {"star_market": 1, "beijing_exchange": 1}, name="ipo_reform"),
        resolve_scenario("policy_talent"),
    ]
    return _values_2022(scenarios)


def test_higher_super_deduction_raises_rd_intensity(responses):
    for scenario in ("deduction_100", "policy_tax"):
        diff = _paired(responses, scenario, "no_new_policy", "rd_intensity")
        assert (diff > 0).all(), (scenario, diff)


def test_bigger_deduction_raises_rd_intensity_more(responses):
    full = _paired(responses, "deduction_100", "no_new_policy", "rd_intensity")
    national = _paired(responses, "policy_tax", "no_new_policy", "rd_intensity")
    assert full.mean() > national.mean()


def test_tto_support_raises_tto_count(responses):
    diff = _paired(responses, "policy_tech_transfer", "no_new_policy", "tech_transfer_offices")
    assert (diff > 0).all(), diff


@pytest.mark.slow
def test_tto_support_raises_tech_contract_turnover_on_average():
    # Contract values are Pareto-tailed (alpha about 1.08, priors.md row 37) and the extra licences reshuffle
    # which firms draw contracts, so single pairs go either way (6 pairs can average below zero): use 40 pairs.
    values = _values_2022([resolve_scenario("no_new_policy"), resolve_scenario("policy_tech_transfer")], 40)
    diff = _paired(values, "policy_tech_transfer", "no_new_policy", "tech_contract_turnover")
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff)), diff


def test_ipo_reform_raises_listed_companies(responses):
    diff = _paired(responses, "ipo_reform", "no_new_policy", "listed_companies")
    assert (diff >= 0).all() and diff.mean() > 0, diff


def test_talent_programme_raises_foreign_and_returnee_talent(responses):
    diff = _paired(responses, "policy_talent", "no_new_policy", "foreign_returnee_talent")
    assert (diff > 0).all(), diff


def test_scenario_identical_to_its_parent_gives_identical_results(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("no_new_policy", "action_plan"):
        shutil.copy(LIBRARY / f"{name}.toml", library)
    (library / "same.toml").write_text(
        'name = "same"\nparent = "action_plan"\ntitle = "Same as the plan"\nquestion = "Same?"\n', encoding="utf-8"
    )
    # restating a parent's value on the same date changes nothing either
    (library / "restated.toml").write_text(
        'name = "restated"\nparent = "action_plan"\n[levers.talent_programme]\nvalues = { 2018-01-01 = 1.5 }\n',
        encoding="utf-8",
    )
    scenarios = [load_scenario(library / f"{n}.toml") for n in ("action_plan", "same", "restated")]
    values = _values_2022(scenarios, replicates=2)
    for name in ("same", "restated"):
        pd.testing.assert_frame_equal(values.loc[name], values.loc["action_plan"])
