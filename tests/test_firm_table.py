"""The firm table's bookkeeping: entrants appended, exited firms dropped, year after year, state intact."""

from __future__ import annotations

import numpy as np

from zgcsim.model.firms import FIELDS, GRANT_PIPELINE_QUARTERS

from conftest import make_firms


def _entrants(first_uid: int, k: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``k`` entrants with uids from ``first_uid``, revenue = uid, and a pending filing = uid in column 0."""
    columns = {name: np.zeros(k, dtype) for name, dtype in FIELDS.items()}
    columns["uid"] = np.arange(first_uid, first_uid + k)
    columns["revenue"] = columns["uid"].astype(float)
    columns["active"] = np.ones(k, bool)
    pending = np.zeros((k, GRANT_PIPELINE_QUARTERS), np.int64)
    pending[:, 0] = columns["uid"]
    return columns, pending


def test_years_of_entry_and_exit_keep_each_firms_own_state():
    """Several compactions in a row (the table swaps buffers each time) and growth past the capacity in between.

    After each year the table holds exactly the firms still active, in uid order, each with its own revenue and
    its own pending filing; a reference list kept by hand says which.
    """
    firms = make_firms(revenue=np.arange(20.0))
    firms.pending[:, 0] = np.arange(20)
    alive = list(range(20))
    next_uid, rng = 20, np.random.default_rng(3)
    for year in range(6):
        for _ in range(4):  # quarters: entrants arrive; some of them enough to outgrow the buffers
            columns, pending = _entrants(next_uid, 5 + 10 * year)
            firms.append(columns, pending)
            alive += list(range(next_uid, next_uid + len(columns["uid"])))
            next_uid += len(columns["uid"])
        leaving = rng.random(len(firms)) < 0.3
        firms.active[leaving] = False
        alive = [uid for uid, gone in zip(alive, leaving, strict=True) if not gone]
        firms.compact()
        assert firms.uid.tolist() == alive
        np.testing.assert_array_equal(firms.revenue, np.array(alive, float))
        np.testing.assert_array_equal(firms.pending[:, 0], alive)
        assert not firms.pending[:, 1:].any()
        assert firms.active.all()


def test_a_finished_table_frees_its_spare_buffers_and_still_compacts():
    firms = make_firms(revenue=np.arange(10.0))
    firms.active[::2] = False
    firms.compact()
    firms.drop_spare()
    firms.active[0] = False
    firms.compact()
    assert firms.uid.tolist() == [3, 5, 7, 9]
    np.testing.assert_array_equal(firms.revenue, [3.0, 5.0, 7.0, 9.0])
