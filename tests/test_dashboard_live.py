"""The live what-if without a browser: the ensemble cache, the warm pool's jobs, cancellation and pairing on seeds."""

import dataclasses
import datetime as dt
import os
import signal
import time

import pandas as pd
import pytest

from zgcsim.dashboard import live
from zgcsim.dashboard.ensemble import QUICK_PARAMETERS
from zgcsim.dashboard.live_view import fan_sets, live_table, make_view
from zgcsim.dashboard.tables import number
from zgcsim.inputs.targets import load_targets
from zgcsim.reporting.labels import t
from zgcsim.reporting.tables import paired_differences
from zgcsim.running import runs as runner

QUICK = dict(QUICK_PARAMETERS)  # 3 000 firms keep the runs fast
SEED = 31


@pytest.fixture(scope="module")
def pool():
    pool = live.LivePool(2)
    pool.warm()
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    return live.live_scenarios("action_plan", {"tto_funded": 150.0}, "more_tto", dt.date(2018, 1, 1), folder)


def _wait(job, seconds=300):
    last = live.follow(job, lambda _: None, lambda: True, interval=0.05)
    assert last is not None and last.finished and last.error is None
    return last


def test_cache_hits_on_the_same_key_and_misses_when_code_seed_replicates_or_parameters_change(scenarios, tmp_path):
    key = live.ensemble_key(scenarios[0], SEED, 100, QUICK)
    assert key == live.ensemble_key(scenarios[0], SEED, 100, QUICK)
    assert key.code == live.code_version()
    ensemble = live.Ensemble(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [2.0]}))
    cache = live.EnsembleCache(tmp_path / "cache")
    cache.put(key, ensemble)
    assert cache.get(key) is ensemble
    changed = [
        dataclasses.replace(key, code="another version"),
        dataclasses.replace(key, seed=SEED + 1),
        dataclasses.replace(key, replicates=99),
        dataclasses.replace(key, calibration="another calibration"),
        live.ensemble_key(scenarios[0], SEED, 100, None),  # full scale
        live.ensemble_key(scenarios[1], SEED, 100, QUICK),  # the edited scenario
    ]
    for other in changed:
        assert other != key and other.digest() != key.digest()
        assert cache.get(other) is None
    # A new server process finds the ensemble on disk; the files are named by the key's digest only.
    again = live.EnsembleCache(tmp_path / "cache").get(key)
    assert again is not None and again.table.equals(ensemble.table)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(
        [f"{key.digest()}.runs.parquet", f"{key.digest()}.inputs.parquet"]
    )


def test_code_version_changes_with_any_source_or_data_file(tmp_path):
    package = tmp_path / "pkg"
    (package / "model").mkdir(parents=True)
    (package / "model" / "park.py").write_text("STEP = 1\n")
    (package / "data.toml").write_text("a = 1\n")
    before = live.tree_hash(package)
    (package / "model" / "park.py").write_text("STEP = 2\n")
    assert live.tree_hash(package) != before
    (package / "model" / "park.py").write_text("STEP = 1\n")
    assert live.tree_hash(package) == before
    (package / "data.toml").write_text("a = 2\n")
    assert live.tree_hash(package) != before


def test_memory_cache_keeps_the_most_recent_ensembles(scenarios):
    cache = live.EnsembleCache(None, capacity=2)
    keys = [live.ensemble_key(scenarios[0], seed, 4, QUICK) for seed in (1, 2, 3)]
    for key in keys:
        cache.put(key, live.Ensemble(pd.DataFrame(), pd.DataFrame()))
    assert cache.get(keys[0]) is None and cache.get(keys[1]) is not None and cache.get(keys[2]) is not None


def test_live_runs_are_real_runs_paired_on_seeds_and_the_parent_is_then_cached(pool, scenarios, tmp_path):
    parent, child = scenarios
    cache = live.EnsembleCache(tmp_path / "cache")
    first = _wait(live.start_job(pool, cache, [parent], SEED, 4, QUICK))
    # The same numbers as `zgcsim run` gives for these seeds (the pool uses the committed calibration).
    expected, expected_inputs, _ = runner.run_many([parent], 4, SEED, parameter_values=QUICK, progress=False)
    pd.testing.assert_frame_equal(first.tables[parent.name], expected)
    pd.testing.assert_frame_equal(first.inputs[parent.name], expected_inputs)
    assert cache.get(live.ensemble_key(parent, SEED, 4, QUICK)) is not None

    # After a change only the edited scenario runs: the parent comes from the cache.
    job = live.start_job(pool, cache, [parent, child], SEED, 4, QUICK)
    assert len(job._futures) == 4
    last = _wait(job)
    a, b = last.tables[parent.name], last.tables[child.name]
    assert list(a["seed"].drop_duplicates()) == list(b["seed"].drop_duplicates())
    # Paired: replicate r of both drew the same uncertain inputs (same seed, calibration member and draws).
    ins = last.inputs
    pd.testing.assert_frame_equal(
        ins[parent.name].drop(columns="scenario"), ins[child.name].drop(columns="scenario"), check_exact=True
    )
    assert not a["value"].equals(b["value"])  # ... and the lever change shows in the results
    # The edited ensemble is cached too: asking again needs no runs.
    again = live.start_job(pool, cache, [parent, child], SEED, 4, QUICK)
    assert again._futures == [] and again.finished
    pd.testing.assert_frame_equal(again.snapshot().tables[child.name], b)


def test_a_new_change_cancels_pending_runs_and_ignores_late_results(pool, scenarios, tmp_path):
    parent, child = scenarios
    cache = live.EnsembleCache(None)
    old = live.start_job(pool, cache, [parent, child], SEED + 1, 30, QUICK)
    time.sleep(0.5)
    new = live.start_job(pool, cache, [parent], SEED + 2, 2, QUICK, previous=old)
    assert old.cancelled
    at_cancel = old.snapshot().done
    assert sum(f.cancelled() for f in old._futures) > 0  # runs not yet started never run
    assert live.follow(old, lambda _: None, lambda: True) is None  # a follower of the old job stops
    _wait(new)
    time.sleep(0.5)  # any run of the old job that was going has ended by now
    assert old.snapshot().done == at_cancel  # its late results were dropped
    assert not old.finished
    assert cache.get(live.ensemble_key(child, SEED + 1, 30, QUICK)) is None


def test_progressive_table_pairs_the_runs_so_far_on_their_seeds(scenarios):
    parent, child = scenarios
    table, _, _ = runner.run_many([parent, child], 4, SEED, parameter_values=QUICK, progress=False)
    tables = {
        parent.name: table[table["scenario"] == parent.name],
        child.name: table[(table["scenario"] == child.name) & table["replicate"].isin([0, 2])],
    }
    snap = live.Snapshot(7, (parent.name, child.name), {parent.name: 4, child.name: 2}, 4, tables, {}, False)
    shown = live_table(snap, parent.name, child.name, "en")
    assert t("live_edit", "en", n=2) in shown.columns and t("live_parent", "en", n=4) in shown.columns
    # The change column is the paired comparison of the two finished pairs only (seeds of replicates 0 and 2).
    pairs = table[table["replicate"].isin([0, 2])]
    diffs = paired_differences(pairs, parent.name, by=("seed",)).set_index("indicator")
    for target, cell in zip(load_targets(), shown[t("live_delta", "en")], strict=True):
        d = diffs.loc[target.key]
        assert cell.startswith(
            f"{d['p_difference']:+.2f} [{d['p_difference_low']:+.2f}, {d['p_difference_high']:+.2f}]"
        )
        assert f"| {number(d['median'], True)} ({number(d['p05'], True)} … {number(d['p95'], True)})" in cell
    view = make_view(snap, parent.name, child.name, "en", True, SEED)
    assert view.pairs == 2 and view.parent_runs == 4 and not view.finished
    assert [rs.replicates for rs in fan_sets(view, "rd_intensity")] == [4, 2]


def test_a_pool_whose_worker_died_reports_the_error_and_is_replaced(scenarios):
    parent, _ = scenarios
    pool = live.shared_pool()
    try:
        pool.warm()
        job = live.start_job(pool, live.EnsembleCache(None), [parent], SEED, 40, QUICK)
        workers = list(pool.pool._processes.values())
        os.kill(workers[0].pid, signal.SIGKILL)
        last = live.follow(job, lambda _: None, lambda: True, interval=0.05)
        assert last is not None and last.error is not None and "BrokenProcessPool" in last.error
        assert pool.broken
        fresh = live.shared_pool()
        assert fresh is not pool
        # the broken pool's surviving worker is ended too (left alive, it hung the test run at exit)
        assert not any(worker.is_alive() for worker in workers)
        assert _wait(live.start_job(fresh, live.EnsembleCache(None), [parent], SEED, 2, QUICK)).runs(parent.name) == 2
    finally:
        live.shared_pool().close()
        live._shared.clear()
