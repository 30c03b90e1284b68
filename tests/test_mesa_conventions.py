"""ParkModel at Mesa's door: built from a scenario name and an int seed, batch-run by Mesa, same numbers as zgcsim."""

import inspect

import mesa
import numpy as np
import pandas as pd
import pytest

from zgcsim.errors import UserInputError
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import as_seed_sequence, replicate_seed
from zgcsim.model.indicators import REGISTRY
from zgcsim.model.park import ParkModel
from zgcsim.running.runs import run_replicate

from conftest import SMALL


def test_mesa_batch_run_gives_the_numbers_of_zgcsim_run():
    """Two replicates through mesa.batch_run equal run_replicate's: an int rng is replicate 0 of that root seed."""
    seeds = [7, replicate_seed(7, 1)]
    # Mesa 3.3 sweeps the seed as a model parameter; Mesa 3.5 takes it as batch_run's own ``rng`` (and overwrites a
    # parameter of that name with it)
    own_rng = "rng" in inspect.signature(mesa.batch_run).parameters
    rows = mesa.batch_run(
        ParkModel,
        parameters={"scenario": "action_plan", **({} if own_rng else {"rng": seeds}), **SMALL},
        **({"rng": seeds} if own_rng else {}),
        number_processes=1,
        data_collection_period=1,  # every quarter's row: Mesa 3.3 and 3.5 pick sparser rows differently
        display_progress=False,
    )
    quarterly = pd.DataFrame(rows)
    assert len(quarterly) == 2 * 20  # 2018 Q1 to 2022 Q4
    mesa_table = quarterly.drop_duplicates(["RunId", "year"], keep="last")  # a year's rows repeat its indicators
    assert sorted(mesa_table["year"].unique()) == list(range(2017, 2023))
    assert len(mesa_table) == 2 * 6  # each year once per replicate
    for replicate in (0, 1):
        ours = run_replicate(resolve_scenario("action_plan"), 7, replicate, SMALL, calibration=None)[0]
        expected = ours.pivot(
            index="year", columns="indicator", values="model_value"
        )  # the simulator, without discrepancy
        got = mesa_table[mesa_table["RunId"] == replicate].set_index("year")[list(expected.columns)]
        assert got.shape == (6, len(REGISTRY))
        pd.testing.assert_frame_equal(got, expected, check_names=False, check_exact=True)


def test_model_collects_each_year_and_stops_running_at_the_end():
    model = ParkModel("no_new_policy", rng=3, **SMALL)
    history = model.run()
    assert not model.running
    table = model.datacollector.get_model_vars_dataframe()
    year_ends = table[table["quarter"] == 4].set_index("year")
    assert list(year_ends.index) == list(range(2018, 2023))
    for year in year_ends.index:
        assert year_ends.loc[year, "rd_intensity"] == history[year]["rd_intensity"]


def test_rng_forms():
    assert as_seed_sequence(5).spawn_key == replicate_seed(5, 0).spawn_key
    assert as_seed_sequence(5).entropy == 5
    seq = replicate_seed(5, 3)
    assert as_seed_sequence(seq) is seq
    assert as_seed_sequence(None).entropy != as_seed_sequence(None).entropy
    with pytest.raises(TypeError):
        as_seed_sequence(np.random.default_rng(1))


def test_unknown_parameter_keyword_is_refused():
    with pytest.raises(UserInputError, match="n_firms_2071"):
        ParkModel("no_new_policy", rng=1, n_firms_2071=3000)
