"""Firm-level draws are keyed by firm uid: a change to one firm's fate leaves the other firms' draws alone."""

import datetime as dt

import numpy as np
import pytest

from zgcsim.inputs.scenario import with_levers
from zgcsim.inputs.seeds import KeyedStream, replicate_seed
from zgcsim.model.contracts import sell_contracts
from zgcsim.model.draws import FirmDraws
from zgcsim.model.exit import exit_firms
from zgcsim.model.firms import FirmTable
from zgcsim.model.growth import grow
from zgcsim.model.knowledge import produce_knowledge
from zgcsim.model.listing import file_and_list
from zgcsim.model.park import ParkModel
from zgcsim.model.rd import decide_rd
from zgcsim.model.talent import hire_talent

from conftest import SMALL


@pytest.fixture(scope="module")
def fresh_model(no_new_policy):
    """A full-scale model at the end of 2017 (not stepped), released with this module.

    The session-wide fixture of the same name would outlive this module and fail test_determinism's check that
    finished models do not pile up in memory whenever this module runs first.
    """
    model = ParkModel(no_new_policy, replicate_seed(11, 0))
    yield model
    model.release()


STAGES = {
    "growth": lambda f, ctx, m: grow(f, ctx, np.zeros(len(f))),
    "knowledge": lambda f, ctx, m: produce_knowledge(f, ctx, m.knowledge_scale),
    "contracts": lambda f, ctx, m: sell_contracts(f, ctx, m.knowledge_scale),
    "talent": lambda f, ctx, m: hire_talent(f, ctx, f.employees * 0.9),
    "exit": lambda f, ctx, m: exit_firms(f, ctx),
    "listing": lambda f, ctx, m: file_and_list(f, m.exchanges, ctx),
    "rd": lambda f, ctx, m: decide_rd(f, ctx),
}


def _without(table: FirmTable, row: int) -> FirmTable:
    keep = np.arange(len(table)) != row
    return FirmTable({name: col[keep] for name, col in table.columns.items()}, table.pending[keep])


@pytest.mark.parametrize("stage", STAGES)
def test_removing_one_firm_leaves_every_other_firms_outcome_of_a_stage_unchanged(fresh_model, stage):
    model = fresh_model
    ctx = model._context()
    ctx.step, ctx.quarter = 3, 4  # a fourth quarter: contracts and standards are drawn too
    # the bottom fifth's exit factor is estimated on every seventh firm: set it to 1 so only draws matter
    ctx.params = {**ctx.params, "exit_low_tfp_factor": 1.0}
    removed = 5  # an early row: in table order every later firm's draw would move
    full = FirmTable(model.firms.columns, model.firms.pending)
    fewer = _without(model.firms, removed)
    STAGES[stage](full, ctx, model)
    STAGES[stage](fewer, ctx, model)
    others = np.arange(len(full)) != removed
    for name, column in full.columns.items():
        np.testing.assert_array_equal(column[others], fewer.columns[name], err_msg=name)
    assert not all(
        np.array_equal(full.columns[name], model.firms.columns[name]) for name in full.columns
    )  # the stage did change the firms


def test_a_lever_that_adds_entrants_leaves_the_incumbents_productivity_shocks_alone(no_new_policy):
    more_entrants = with_levers(no_new_policy, {"incubator_capacity": 3000.0}, start=dt.date(2018, 1, 1))
    models = [ParkModel(sc, replicate_seed(3, 0), SMALL) for sc in (no_new_policy, more_entrants)]
    for model in models:
        for _ in range(8):  # two years: the tables are compacted in between, with different exits
            model.step()
        model.release()
    a, b = (m.firms for m in models)
    assert len(b) > len(a)
    both, rows_a, rows_b = np.intersect1d(a.uid, b.uid, return_indices=True)
    incumbents = both < models[0].firms.uid.min() + SMALL["n_firms_2017"]
    # the persistent productivity shock depends only on the firm's own draws
    np.testing.assert_array_equal(a.tfp_noise[rows_a[incumbents]], b.tfp_noise[rows_b[incumbents]])


def test_keyed_draws_do_not_depend_on_the_other_firms_or_the_block_size():
    draws = FirmDraws(KeyedStream(np.random.SeedSequence(4), "patents"), 7)
    everyone = np.arange(5000)
    mean = np.linspace(0.0, 80.0, 5000)
    some = np.array([3, 2000, 4999])
    assert np.array_equal(draws.poisson("x", everyone, mean)[some], draws.poisson("x", some, mean[some]))
    assert np.array_equal(draws.normal("y", everyone)[some], draws.normal("y", some))
    trials = np.arange(5000) % 300
    assert np.array_equal(
        draws.binomial("z", everyone, trials, 0.3)[some], draws.binomial("z", some, trials[some], 0.3)
    )
    counts = np.arange(5000) % 40
    values = draws.totals("v", everyone, counts, lambda u: u)
    assert np.array_equal(values[some], draws.totals("v", some, counts[some], lambda u: u))


def test_keyed_counts_follow_their_laws():
    draws = FirmDraws(KeyedStream(np.random.SeedSequence(5), "patents"), 0)
    uids = np.arange(200_000)
    for mean in (0.0, 0.4, 7.0, 45.0, 900.0):
        x = draws.poisson(f"p{mean}", uids, np.full(len(uids), mean))
        assert abs(x.mean() - mean) <= 5 * np.sqrt(mean / len(uids)) + 1e-12
        assert abs(x.var() - mean) <= 0.03 * mean + 1e-12
    for n, p in ((12, 0.1), (2000, 0.3)):
        x = draws.binomial(f"b{n}", uids, np.full(len(uids), n), p)
        assert abs(x.mean() - n * p) <= 5 * np.sqrt(n * p * (1 - p) / len(uids))
        assert abs(x.var() - n * p * (1 - p)) <= 0.03 * n * p * (1 - p)
