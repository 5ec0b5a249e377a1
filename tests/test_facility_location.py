"""Capacitated facility location core: hand-checked optima, split vs single source, lazy links, explanations."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from planner.models.facility_location import solve_facility_location


def _instance(capacity, fixed, demand, cost):
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(len(capacity))], "capacity": capacity, "fixed_cost": fixed})
    customers = pd.DataFrame({"customer_id": [f"C{j}" for j in range(len(demand))], "demand": demand})
    cost = np.asarray(cost, dtype=float)  # customers x sites
    arcs = pd.DataFrame({"customer_id": np.repeat(customers["customer_id"], len(sites)).to_numpy(),
                         "site_id": np.tile(sites["site_id"], len(customers)), "cost": cost.ravel()})
    return sites, customers, arcs


def test_hand_checked_split_and_single_source():
    # two sites of capacity 10; customers 6, 6, 4. Opening both costs 20 fixed.
    # Single source: {C0, C2} on S0 (10) and C1 on S1 -> 20 + 1 + 8 + 1 = 30 (C1 cheaper on S1).
    # Split: C0 on S0 (1), C1 on S1 (8)... cheaper to split C2? C2 costs 1 on S0, 5 on S1; same 30.
    sites, customers, arcs = _instance([10, 10], [10, 10], [6, 6, 4], [[1, 9], [9, 8], [1, 5]])
    single = solve_facility_location(sites, customers, arcs, single_source=True)
    assert single.status == "optimal" and single.objective == pytest.approx(30.0)
    assert set(single.allocation.query("site_id == 'S0'")["customer_id"]) == {"C0", "C2"}
    # demand 12 for one customer: single source impossible (capacity 10), split serves it over both
    sites, customers, arcs = _instance([10, 10], [10, 10], [12], [[12, 24]])
    split = solve_facility_location(sites, customers, arcs, single_source=False)
    assert split.objective == pytest.approx(20 + 12 * 10 / 12 + 24 * 2 / 12)
    shares = split.allocation.set_index("site_id")["share"]
    assert shares["S0"] == pytest.approx(10 / 12) and shares["S1"] == pytest.approx(2 / 12)
    infeasible = solve_facility_location(sites, customers, arcs, single_source=True)
    assert infeasible.status == "infeasible" and infeasible.objective is None
    assert "C0" in infeasible.explanation[0] and "12" in infeasible.explanation[0] and "10" in infeasible.explanation[0]


def test_unreachable_customer_is_explained_not_crashed():
    sites, customers, arcs = _instance([10], [1], [3, 2], [[1], [1]])
    result = solve_facility_location(sites, customers, arcs[arcs["customer_id"] == "C0"])
    assert result.status == "infeasible" and any("C1" in line for line in result.explanation)


def test_must_open_budget_and_unserved_penalty():
    sites, customers, arcs = _instance([5, 5], [0, 50], [4, 4], [[1, 1], [100, 1]])
    sites["must_open"] = [True, False]
    sites["budget_cost"] = [0.0, 30.0]
    # without budget S1 opens (50 + 1 + 1 = 52 < 0 + 1 + 100 = 101)
    assert solve_facility_location(sites, customers, arcs).objective == pytest.approx(52)
    # a budget of 20 forbids S1; capacity 5 cannot hold 8 -> infeasible, with the unserved penalty C1 is left out
    assert solve_facility_location(sites, customers, arcs, budget=20).status == "infeasible"
    whole = solve_facility_location(sites, customers, arcs, budget=20, unserved_penalty=1000)
    assert whole.status == "optimal" and whole.unserved["unserved_share"].tolist() == [1.0]  # single source: all of C1
    split = solve_facility_location(sites, customers, arcs, budget=20, unserved_penalty=1000, single_source=False)
    assert split.unserved["customer_id"].tolist() == ["C1"]
    assert split.unserved["unserved_share"].iloc[0] == pytest.approx(0.75)  # 1 of C1's 4 fits in S0 after C0


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_lazy_links_reach_the_full_formulation_optimum(seed, single_source):
    rng = np.random.default_rng(seed)
    m, n = 5, 12
    demand = rng.integers(1, 20, n)
    sites, customers, arcs = _instance(rng.integers(20, 80, m), rng.integers(10, 100, m), demand,
                                       rng.integers(1, 50, (n, m)) * demand[:, None])
    full = solve_facility_location(sites, customers, arcs, single_source=single_source, links="all")
    lazy = solve_facility_location(sites, customers, arcs, single_source=single_source, links="lazy")
    assert full.status == lazy.status
    if full.status == "optimal":
        assert lazy.objective == pytest.approx(full.objective, abs=1e-6)
        load = lazy.allocation.groupby("site_id")["demand_served"].sum()
        assert (load <= sites.set_index("site_id")["capacity"].reindex(load.index) + 1e-6).all()


@pytest.mark.parametrize("links", ["all", "lazy"])
def test_zero_demand_customer_goes_to_an_open_site(links):
    # S1 is cheap for C1 but closed (C0 makes S0 worth opening alone): C1, with no demand, must still use S0
    sites, customers, arcs = _instance([10, 10], [5, 50], [4, 0], [[1, 9], [3, 0]])
    result = solve_facility_location(sites, customers, arcs, links=links)
    assert result.open_sites["site_id"].tolist() == ["S0"]
    assert result.allocation.set_index("customer_id")["site_id"].to_dict() == {"C0": "S0", "C1": "S0"}
    assert result.objective == pytest.approx(5 + 1 + 3)
