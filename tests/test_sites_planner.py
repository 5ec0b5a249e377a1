"""The sites stage planned again across re-fit rounds (SitesPlanner) and the facility location solved by component."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from planner.derived import planned_headcount
from planner.models.facility_location import components, solve_facility_location
from planner.models.headquarters import ServicePoints, SitesPlanner, plan_sites
from planner.scenario import Scenario
from planner.validate import load_dataset

DATA = Path(__file__).resolve().parents[1] / "data"
TABLES = ("hq_plan", "service_points", "service_coverage")


@pytest.fixture(scope="module", params=["lang_son.xlsx", "lao_cai.xlsx"])
def bundled(request):
    return load_dataset(DATA / request.param)


def _same(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.kpis == b.kpis
    assert [str(n) for n in a.notes] == [str(n) for n in b.notes]


def _more_staff(ds, factor):
    head = planned_headcount(ds, Scenario(), None).copy()
    head["headcount"] = np.ceil(head["headcount"] * factor).astype(int)
    return head


def test_components_of_the_arc_graph():
    # sites 0-1 share customer 0, site 2 serves customers 1 and 2 (arcs 2->1, 2->2), site 3 has no arc
    site, customer, n = components(np.array([0, 1, 2, 2]), np.array([0, 0, 1, 2]), 4, 4)
    assert n == 4  # {s0, s1, c0}, {s2, c1, c2}, {s3}, {c3}
    assert site[0] == site[1] == customer[0] and site[2] == customer[1] == customer[2]
    assert len({site[0], site[2], site[3], customer[3]}) == 4


def _blocks(seed, n_blocks=4):
    """Independent blocks (arcs only inside a block), tight capacities, renovation costs for the budget."""
    rng = np.random.default_rng(seed)
    sites, customers, arcs = [], [], []
    for b in range(n_blocks):
        n_s, n_c = int(rng.integers(2, 5)), int(rng.integers(2, 6))
        s_ids, c_ids = [f"S{b}_{k}" for k in range(n_s)], [f"C{b}_{k}" for k in range(n_c)]
        sites.append(pd.DataFrame({"site_id": s_ids, "capacity": rng.integers(20, 60, n_s).astype(float),
                                   "fixed_cost": rng.integers(10, 200, n_s).astype(float),
                                   "budget_cost": rng.integers(0, 50, n_s).astype(float), "must_open": [True] + [False] * (n_s - 1)}))
        customers.append(pd.DataFrame({"customer_id": c_ids, "demand": rng.integers(5, 30, n_c).astype(float)}))
        pairs = [(c, s) for c in c_ids for s in s_ids if rng.random() < 0.8]
        arcs.append(pd.DataFrame({"customer_id": [p[0] for p in pairs], "site_id": [p[1] for p in pairs],
                                  "cost": rng.integers(1, 100, len(pairs)).astype(float)}))
    return pd.concat(sites, ignore_index=True), pd.concat(customers, ignore_index=True), pd.concat(arcs, ignore_index=True)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.booleans(), st.sampled_from([None, 0.0, 20.0, 60.0, 1e9]))
def test_by_component_reaches_the_one_model_optimum(seed, single_source, budget):
    sites, customers, arcs = _blocks(seed)
    penalty = 1e4
    for kwargs in ({}, {"unserved_penalty": penalty}):
        one = solve_facility_location(sites, customers, arcs, single_source=single_source, budget=budget, decompose=False,
                                      **kwargs)
        split = solve_facility_location(sites, customers, arcs, single_source=single_source, budget=budget, **kwargs)
        assert split.status == one.status
        if one.objective is None:
            assert split.objective is None
            continue
        assert split.objective == pytest.approx(one.objective, rel=1e-9, abs=1e-6)
        if budget is not None:  # the plan keeps to the budget, and says so when it needed the budget row
            spent = sites.set_index("site_id").loc[split.open_sites["site_id"], "budget_cost"].sum()
            assert spent <= budget + 1e-6
            if split.budget_free:
                free = solve_facility_location(sites, customers, arcs, single_source=single_source, **kwargs)
                assert free.objective == pytest.approx(split.objective, rel=1e-9, abs=1e-6)


def test_dominated_and_identical_sites():
    """S1 is S0 farther away and dearer (y1 <= y0); S2 and S3 are the same building twice: one of them opens, never
    both because of the ordering row. Both blocks need a second customer so they form components of their own."""
    sites = pd.DataFrame({"site_id": ["S0", "S1", "S2", "S3"], "capacity": [10.0, 10.0, 10.0, 10.0],
                          "fixed_cost": [5.0, 6.0, 5.0, 5.0]})
    customers = pd.DataFrame({"customer_id": ["C0", "C1", "C2"], "demand": [4.0, 4.0, 4.0]})
    arcs = pd.DataFrame({"customer_id": ["C0", "C0", "C1", "C1", "C2", "C2"], "site_id": ["S0", "S1", "S0", "S1", "S2", "S3"],
                         "cost": [1.0, 2.0, 1.0, 1.0, 3.0, 3.0]})
    result = solve_facility_location(sites, customers, arcs)
    one = solve_facility_location(sites, customers, arcs, decompose=False)
    assert result.objective == pytest.approx(one.objective) == pytest.approx(5 + 2 + 5 + 3)
    assert sorted(result.open_sites["site_id"]) in (["S0", "S2"], ["S0", "S3"])


def test_memo_skips_components_seen_before():
    sites, customers, arcs = _blocks(3)
    memo = {}
    first = solve_facility_location(sites, customers, arcs, unserved_penalty=1e4, memo=memo)
    assert len(memo) == 4  # one entry per block
    again = solve_facility_location(sites, customers, arcs, unserved_penalty=1e4, memo=memo)
    assert again.objective == first.objective and again.allocation.equals(first.allocation)
    moved = arcs.assign(cost=np.where(arcs["site_id"].str.startswith("S0_"), arcs["cost"] + 1, arcs["cost"]))
    solve_facility_location(sites, customers, moved, unserved_penalty=1e4, memo=memo)
    assert len(memo) == 5  # only the changed block was solved again


def test_bundled_service_points_by_component_equal_one_model(bundled):
    """The same service points as one facility-location model (the formulation before the decomposition), each
    commune solved exactly (service_point_gap_vnd 0)."""
    exact = Scenario.from_dict({"assets": {"service_point_gap_vnd": 0}})
    plan = plan_sites(bundled, exact, None)
    sp = ServicePoints(bundled, exact)
    import planner.models.headquarters as headquarters

    real = headquarters.solve_facility_location
    try:
        headquarters.solve_facility_location = lambda *a, **k: real(*a, **{**k, "decompose": False})
        points, coverage, solves, _, _ = sp.choose(plan.tables["hq_plan"], budget_left=None)
    finally:
        headquarters.solve_facility_location = real
    fresh = sp.choose(plan.tables["hq_plan"], budget_left=None)
    assert fresh[2][-1].objective == pytest.approx(solves[-1].objective, rel=1e-9)
    pd.testing.assert_frame_equal(fresh[0], points)
    pd.testing.assert_frame_equal(fresh[1], coverage)


def test_planner_across_rounds_equals_fresh_plans(bundled):
    planner = SitesPlanner(bundled, Scenario())
    for head in (None, _more_staff(bundled, 1.3), _more_staff(bundled, 1.3), None):
        _same(planner.plan(head), plan_sites(bundled, Scenario(), head))


def test_second_plan_skips_the_service_points_when_the_hqs_stay(bundled):
    planner = SitesPlanner(bundled, Scenario())
    first = planner.plan(None)
    assert [s.model for s in first.solves][0] == "headquarters" and len(first.solves) >= 2
    again = planner.plan(None)
    assert [s.model for s in again.solves] == ["headquarters"]
    _same(again, first)
    bigger = planner.plan(_more_staff(bundled, 1.3))  # bigger HQs: other buildings, the service points are solved again
    moved = not bigger.tables["hq_plan"]["building_id"].equals(first.tables["hq_plan"]["building_id"])
    assert moved == (len(bigger.solves) > 1)


def test_a_budget_that_binds_on_the_service_points():
    """Lào Cai's service points renovate buildings: with half of that money left, the plan keeps to the budget,
    equals a fresh plan, and a second plan with the same budget left solves nothing again."""
    ds = load_dataset(DATA / "lao_cai.xlsx")
    first = plan_sites(ds, Scenario(), None)
    spent = float(first.tables["service_points"]["renovation_cost_vnd"].sum())
    assert spent > 0
    hq = first.tables["hq_plan"]
    tight = Scenario.from_dict({"assets": {"renovation_budget_vnd": float((hq["renovation_cost_vnd"] + hq["extension_cost_vnd"]).sum()) + spent / 2}})
    planner = SitesPlanner(ds, tight)
    result = planner.plan(None)
    assert float(result.tables["service_points"]["renovation_cost_vnd"].sum()) <= spent / 2 + 1e-6
    _same(result, plan_sites(ds, tight, None))
    again = planner.plan(None)
    assert [s.model for s in again.solves] == ["headquarters"]
    _same(again, result)


def test_the_service_point_gap_costs_at_most_its_amount_per_commune(bundled):
    """The default gap (1 million VND per commune) against exact per-commune solves: never cheaper, at most the gap
    per commune dearer, and the same residents left to the HQ."""
    exact = Scenario.from_dict({"assets": {"service_point_gap_vnd": 0}})
    hq = plan_sites(bundled, exact, None).tables["hq_plan"]
    tight = ServicePoints(bundled, exact).choose(hq, budget_left=None)
    loose = ServicePoints(bundled, Scenario()).choose(hq, budget_left=None)
    communes = bundled["communes"]["code"].nunique()
    gap = Scenario().assets.service_point_gap_vnd
    assert tight[2][-1].objective - 1e-6 <= loose[2][-1].objective <= tight[2][-1].objective + gap * communes
    unserved = [c.loc[c["shortfall"] != "", "residents"].sum() for c in (tight[1], loose[1])]
    assert unserved[0] == pytest.approx(unserved[1])
