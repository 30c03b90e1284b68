"""Same seed, same numbers; different seeds, different numbers; scenarios share their random numbers."""

import pandas as pd

from zgcsim.running.runs import run_many, run_scenario

from conftest import SMALL


def test_same_seed_gives_identical_tables(no_new_policy):
    a = run_scenario(no_new_policy, replicates=2, seed=5, parameter_values=SMALL)
    b = run_scenario(no_new_policy, replicates=2, seed=5, parameter_values=SMALL)
    pd.testing.assert_frame_equal(a, b)


def test_different_seeds_and_replicates_differ(no_new_policy):
    a = run_scenario(no_new_policy, replicates=2, seed=5, parameter_values=SMALL)
    b = run_scenario(no_new_policy, replicates=2, seed=6, parameter_values=SMALL)
    assert not a["value"].equals(b["value"])
    r0 = a[a["replicate"] == 0]["value"].to_numpy()
    r1 = a[a["replicate"] == 1]["value"].to_numpy()
    assert (r0 != r1).any()


def test_scenarios_are_paired_on_the_same_2017_world(no_new_policy, action_plan):
    table, inputs, _ = run_many([no_new_policy, action_plan], 2, 9, parameter_values=SMALL, progress=False)
    start = table[table["year"] == 2017].pivot_table(
        index=["replicate", "indicator"], columns="scenario", values="value"
    )
    assert (start["no_new_policy"] == start["action_plan"]).all()
    drawn = inputs.pivot_table(index=["replicate", "input"], columns="scenario", values="value")
    assert (drawn["no_new_policy"] == drawn["action_plan"]).all()


def test_parallel_workers_give_the_same_numbers(no_new_policy):
    serial = run_scenario(no_new_policy, replicates=2, seed=3, parameter_values=SMALL)
    parallel = run_scenario(no_new_policy, replicates=2, seed=3, parameter_values=SMALL, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_same_seed_gives_byte_identical_parquet_files(tmp_path, no_new_policy, action_plan):
    from zgcsim.running.results_folder import write_results

    for name in ["a", "b"]:
        table, inputs, parks = run_many([no_new_policy, action_plan], 2, 8, parameter_values=SMALL, progress=False)
        write_results(tmp_path / name, table, inputs, {"note": "test"}, parks)
    for file in ["indicators.parquet", "uncertain_inputs.parquet", "summary.csv", "attainment.csv"]:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_finished_runs_do_not_pile_up_in_memory(no_new_policy):
    """Ten thousand runs in one worker must not keep ten thousand models alive (Mesa's id counters did)."""
    import gc

    from zgcsim.calibration.moments import load_moments
    from zgcsim.calibration.spinup import SMALL_SPINUP, simulate
    from zgcsim.model.park import ParkModel

    run_scenario(no_new_policy, replicates=2, seed=5, parameter_values=SMALL)  # projections
    simulate({}, load_moments(), seed=5, replicates=2, extra=SMALL_SPINUP)  # calibration spin-ups
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, ParkModel)]
