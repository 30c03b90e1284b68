import numpy as np
import pytest

from zgcsim.firms import FIELDS, GRANT_PIPELINE_QUARTERS, FirmTable
from zgcsim.model import ParkModel
from zgcsim.randomness import replicate_seed
from zgcsim.runner import resolve_scenario

SMALL = {"n_firms_2017": 3000}  # a small population for fast behavioural tests


def make_firms(**columns) -> FirmTable:
    """A hand-built firm table: the given columns, zeros elsewhere, every firm active."""
    n = len(next(iter(columns.values())))
    full = {name: np.zeros(n, dtype) for name, dtype in FIELDS.items()}
    full["uid"] = np.arange(n)
    full["active"] = np.ones(n, bool)
    full["ipo_exchange"] = np.full(n, -1)
    full.update({k: np.asarray(v) for k, v in columns.items()})
    return FirmTable(full, np.zeros((n, GRANT_PIPELINE_QUARTERS), np.int64))


@pytest.fixture(scope="session")
def no_new_policy():
    return resolve_scenario("no_new_policy")


@pytest.fixture(scope="session")
def action_plan():
    return resolve_scenario("action_plan")


@pytest.fixture(scope="session")
def fresh_model(no_new_policy):
    """A full-scale model at the end of 2017 (not stepped)."""
    return ParkModel(no_new_policy, replicate_seed(11, 0))
