"""Model behaviour a user relies on: agents, firm inspection, entry and exit, policy direction."""

import numpy as np

from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.institutions import University
from zgcsim.model.park import ParkModel
from zgcsim.running.runs import run_many

from conftest import SMALL


def test_universities_investors_and_exchanges_are_mesa_agents(fresh_model):
    kinds = {type(a).__name__ for a in fresh_model.agents}
    assert {"University", "VentureFund", "GuidanceFund", "StockExchange"} <= kinds
    assert 236 <= len(fresh_model.agents_by_type[University]) <= 259


def test_a_firm_can_be_inspected_as_an_agent(fresh_model):
    uid = int(fresh_model.firms.uid[5])
    firm = fresh_model.firm(uid)
    assert firm.unique_id == uid
    assert firm.revenue == fresh_model.firms.revenue[5]
    assert set(firm.as_dict()) >= {"sector", "age", "revenue", "employees", "patents_held", "listed"}


def test_firms_enter_and_leave_and_uids_stay_unique(no_new_policy):
    model = ParkModel(no_new_policy, replicate_seed(4, 0), SMALL)
    first = set(model.firms.uid.tolist())
    model.run()
    last = model.firms.uid
    assert len(np.unique(last)) == len(last)
    assert not first <= set(last.tolist())  # some incumbents left
    entrants = set(last.tolist()) - first
    assert entrants  # newcomers arrived
    assert min(entrants) > max(first)  # with new uids, never an incumbent's
    assert all(model.history[y]["startups_founded"] > 0 for y in range(2018, 2023))


def test_action_plan_funds_tech_transfer_and_platforms(no_new_policy, action_plan):
    table, _, _ = run_many([no_new_policy, action_plan], 3, 21, parameter_values=SMALL, progress=False)
    final = table[table["year"] == 2022].pivot_table(
        index=["replicate", "indicator"], columns="scenario", values="value"
    )
    diff = (final["action_plan"] - final["no_new_policy"]).groupby("indicator").mean()
    assert diff["tech_transfer_offices"] > 10
    assert diff["open_innovation_platforms"] > 0
    assert diff["rd_intensity"] > 0  # the 75 % super-deduction lowers the user cost of R&D
    assert diff["foreign_returnee_talent"] > 0
