from zgcsim.model import ParkModel
from zgcsim.randomness import replicate_seed
from zgcsim.runner import resolve_scenario


def test_model_runs_to_2022_with_all_years():
    model = ParkModel(resolve_scenario("no_new_policy"), replicate_seed(1, 0))
    history = model.run()
    assert sorted(history) == [2017, 2018, 2019, 2020, 2021, 2022]
