"""Firm-level draws are keyed by firm uid: a change to one firm's fate leaves the other firms' draws alone."""

import datetime as dt

import numpy as np
import pytest
from scipy import special

from zgcsim.inputs.scenario import with_levers
from zgcsim.inputs.seeds import KeyedStream, replicate_seed
from zgcsim.model import draws as draws_module
from zgcsim.model.contracts import sell_contracts
from zgcsim.model.draws import SMALL_MEAN, VALUES_BLOCK, FirmDraws
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


# --- the fast draws against a straightforward reference (the count-by-count code they replaced) ---------------------


def _reference_quantile(guess, u, cdf, top=None):
    k = np.maximum(np.floor(np.nan_to_num(guess, nan=0.0)), 0.0)
    if top is not None:
        k = np.minimum(k, top)
    for i in range(len(u)):  # one firm at a time: step up until cdf(k) >= u, then down while cdf(k - 1) >= u
        row = np.array([i])
        while cdf(k[row], row)[0] < u[i]:
            k[i] += 1
        while k[i] > 0 and cdf(k[row] - 1, row)[0] >= u[i]:
            k[i] -= 1
    return k.astype(np.int64)


def _reference_counts(u, first, mean, ratio, large):
    """Count by count: P(k) = P(k - 1) ratio(k) until the running sum reaches u (each firm's own loop)."""
    counts = np.zeros(len(u), np.int64)
    small = mean < SMALL_MEAN
    for i in np.flatnonzero(small & (u > first)):
        term = total = first[i : i + 1]
        k = 0
        while k < 4 * SMALL_MEAN + 40:
            k += 1
            term = term * ratio(float(k), np.array([i]))
            total = total + term
            if u[i] <= total[0]:
                counts[i] = k
                break
        else:
            small[i] = False  # not settled in the tail: searched like a large mean
    rest = np.flatnonzero(~small)
    if len(rest):
        counts[rest] = large(u[rest], rest)
    return counts


def _reference_poisson(draws, purpose, uids, mean):
    mean = np.broadcast_to(np.asarray(mean, np.float64), uids.shape)

    def large(q, rows):
        m = mean[rows]
        guess = m + np.sqrt(m) * _cf(q, 1 / np.sqrt(np.maximum(m, 1e-300))) - 0.5
        return _reference_quantile(guess, q, lambda k, r: special.pdtr(k, m[r]))

    u = _reference_block(draws, purpose, uids)
    return _reference_counts(u, np.exp(-mean), mean, lambda k, rows: mean[rows] / k, large)


def _reference_binomial(draws, purpose, uids, trials, p):
    whole = np.broadcast_to(np.asarray(trials, np.int64), uids.shape)
    n = whole.astype(np.float64)
    chance = np.broadcast_to(np.asarray(p, np.float64), uids.shape)
    certain = chance >= 1.0
    q = np.where(certain, 0.0, chance)
    odds = q / (1.0 - q)

    def large(u, rows):
        m, w, c = n[rows] * q[rows], whole[rows], q[rows]
        sd = np.sqrt(m * (1 - c))
        guess = m + sd * _cf(u, (1 - 2 * c) / np.maximum(sd, 1e-300)) - 0.5
        return _reference_quantile(guess, u, lambda k, r: special.bdtr(k.astype(np.int64), w[r], c[r]), top=n[rows])

    u = _reference_block(draws, purpose, uids)
    first = np.exp(n * np.log1p(-q))
    counts = _reference_counts(u, first, n * q, lambda k, rows: (n[rows] - k + 1) / k * odds[rows], large)
    return np.where(certain, whole, np.minimum(counts, whole))


def _cf(u, skew):
    z = special.ndtri(np.clip(u, 1e-300, None))
    return z + skew * (z * z - 1) / 6


def _reference_block(draws, purpose, uids, width=1):
    size = int(uids.max()) + 1 if len(uids) else 0
    return draws.stream.keyed(draws.step, purpose).random(size if width == 1 else (size, width))[uids]


def _reference_totals(draws, purpose, uids, counts, value):
    """Each firm's k-th value at entry (uid, k) of a (uids, 16) block, or further along its own stretch."""
    out = np.zeros(len(uids))
    sellers = np.flatnonzero(counts)
    if len(sellers) == 0:
        return out
    u = _reference_block(draws, purpose, uids[sellers], VALUES_BLOCK)
    used = np.arange(VALUES_BLOCK) < np.minimum(counts[sellers], VALUES_BLOCK)[:, None]
    out[sellers] = np.bincount(np.nonzero(used)[0], weights=value(u[used]), minlength=len(sellers))
    many = sellers[counts[sellers] > VALUES_BLOCK]
    if len(many):
        parts = []
        for i in many:  # each firm from a fresh generator advanced to its own stretch, 2^40 draws apart
            generator = draws.stream.keyed(draws.step, purpose + "/more")
            generator.bit_generator.advance(int(uids[i]) << 40)
            parts.append(generator.random(counts[i] - VALUES_BLOCK))
        values = value(np.concatenate(parts))
        out[many] += np.add.reduceat(values, np.concatenate([[0], np.cumsum(counts[many] - VALUES_BLOCK)[:-1]]))
    return out


def _firms(rng, n):
    """``n`` firm uids with gaps (exited firms), in table order."""
    return np.sort(rng.choice(3 * n, n, replace=False))


def test_keyed_poisson_counts_equal_the_count_by_count_reference():
    rng = np.random.default_rng(1)
    for case in range(12):
        draws = FirmDraws(KeyedStream(np.random.SeedSequence(case), "patents"), case)
        uids = _firms(rng, 3000)
        mean = np.choose(
            rng.integers(0, 6, len(uids)),
            [
                np.zeros(len(uids)),  # firms that cannot sell
                rng.exponential(0.3, len(uids)),  # most firms: small means
                rng.uniform(0, 30, len(uids)),
                rng.uniform(29.0, 31.0, len(uids)),  # around the switch to the search
                rng.uniform(30, 3000, len(uids)),
                10 ** rng.uniform(3, 6, len(uids)),  # the largest firms
            ],
        )
        mean[:3] = [SMALL_MEAN, np.nextafter(SMALL_MEAN, 0), 0.0]
        expected = _reference_poisson(draws, "x", uids, mean)
        np.testing.assert_array_equal(draws.poisson("x", uids, mean), expected)
    np.testing.assert_array_equal(draws.poisson("x", uids, 0.7), _reference_poisson(draws, "x", uids, 0.7))
    assert draws.poisson("x", uids[:0], mean[:0]).shape == (0,)


def test_keyed_binomial_counts_equal_the_count_by_count_reference():
    rng = np.random.default_rng(2)
    for case in range(12):
        draws = FirmDraws(KeyedStream(np.random.SeedSequence(case), "patents"), case)
        uids = _firms(rng, 3000)
        n = len(uids)
        trials = np.choose(
            rng.integers(0, 4, n),
            [np.zeros(n, np.int64), rng.integers(1, 20, n), rng.integers(20, 400, n), rng.integers(400, 50_000, n)],
        )
        p = np.choose(
            rng.integers(0, 5, n),  # p = 0 and p = 1 exactly, any p, small p, p near 1
            [
                np.zeros(n),
                np.ones(n),
                rng.uniform(0, 1, n),
                10 ** rng.uniform(-4, -1, n),
                1 - 10 ** rng.uniform(-6, -1, n),
            ],
        )
        expected = _reference_binomial(draws, "y", uids, trials, p)
        np.testing.assert_array_equal(draws.binomial("y", uids, trials, p), expected)
        for scalar in (0.0, 0.0037, 0.47, 1.0):  # the model's scalar probabilities (lapses, grants) and the extremes
            expected = _reference_binomial(draws, "z", uids, trials, scalar)
            np.testing.assert_array_equal(draws.binomial("z", uids, trials, scalar), expected)


def test_keyed_totals_equal_the_value_by_value_reference():
    rng = np.random.default_rng(3)
    for case in range(6):
        draws = FirmDraws(KeyedStream(np.random.SeedSequence(case), "contracts"), case)
        uids = _firms(rng, 2000)
        n = len(uids)
        counts = np.choose(
            rng.integers(0, 4, n),
            [np.zeros(n, np.int64), rng.integers(1, 17, n), rng.integers(17, 40, n), rng.integers(40, 3000, n)],
        )
        counts[:3] = [VALUES_BLOCK, VALUES_BLOCK + 1, 0]

        def value(u):
            return 0.01 * np.exp(-np.log1p(-u * 0.999) / 1.3)  # a truncated Pareto, as contracts draw

        np.testing.assert_array_equal(
            draws.totals("v", uids, counts, value), _reference_totals(draws, "v", uids, counts, value)
        )
    assert not draws.totals("v", uids, np.zeros(len(uids), np.int64), value).any()


@pytest.mark.parametrize("law", ["poisson", "binomial"])
def test_a_uniform_exactly_at_a_partial_sum_gives_the_reference_count(law):
    """Uniforms placed exactly at (and one float above) the reference's partial sums P(0) + ... + P(k).

    A count flips there when any term or sum differs from the reference's by one unit in the last place, so this
    checks the recursion's floats, not just its counts.
    """
    rng = np.random.default_rng(4)
    n = 4000
    if law == "poisson":
        mean = np.concatenate([rng.uniform(0, SMALL_MEAN, n - 2), [0.0, np.nextafter(SMALL_MEAN, 0)]])
        first, params = np.exp(-mean), (mean,)

        def ratio(k, rows):
            return mean[rows] / k
    else:
        trials = rng.integers(0, 300, n).astype(np.float64)
        q = np.minimum(rng.uniform(0, 1, n), rng.uniform(0, 25, n) / np.maximum(trials, 1))  # n q below the switch
        odds = q / (1.0 - q)
        mean, first, params = trials * q, np.exp(trials * np.log1p(-q)), (trials, odds)

        def ratio(k, rows):
            return (trials[rows] - k + 1) / k * odds[rows]

    target = rng.integers(0, 60, n)
    u = first.copy()
    term = first.copy()
    for k in range(1, 60):  # the reference's partial sums, one count at a time
        term = term * ratio(float(k), np.arange(n))
        reached = target >= k
        u[reached] = u[reached] + term[reached]
    u = np.where(rng.uniform(size=n) < 0.5, u, np.nextafter(u, 2.0))
    u = np.minimum(u, np.nextafter(1.0, 0))

    def large(v, rows):
        return np.full(len(rows), -1)

    ratios = draws_module._poisson_ratios if law == "poisson" else draws_module._binomial_ratios
    expected = _reference_counts(u, first, mean, ratio, large)
    np.testing.assert_array_equal(draws_module._invert_counts(u, first, mean, ratios, params, large), expected)


def test_keyed_generators_are_those_of_the_seed_sequence_keyed_by_stream_quarter_and_purpose():
    """``KeyedStream.keyed`` hashes precomputed words; its generators must be numpy's for the full spawn key."""
    import zlib

    seeds = [replicate_seed(20180101, 0), replicate_seed(7, 123), np.random.SeedSequence(), np.random.SeedSequence(0)]
    seeds += [
        np.random.SeedSequence(2**70 + 5, spawn_key=(2**40, 0, 3)),
        np.random.SeedSequence([1, 2], spawn_key=(4,)),
    ]
    for seed in seeds:
        stream = KeyedStream(seed, "contracts")
        for step in (0, 1, 19, 2**32 + 1):
            for purpose in ("counts", "values/more", "", "专利"):
                key = (*seed.spawn_key, zlib.crc32(b"contracts"), step, zlib.crc32(purpose.encode("utf-8")))
                expected = np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=key))
                assert stream.keyed(step, purpose).bit_generator.state == expected.bit_generator.state
