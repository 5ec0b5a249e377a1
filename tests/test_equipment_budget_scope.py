"""assets.equipment_budget_covers: purchases only (default) or purchases + repairs + transport in one budget row."""

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from planner.dataset import Dataset
from planner.errors import ScenarioError
from planner.models.equipment import plan_equipment
from planner.scenario import Scenario
from test_equipment import assert_reference_levels, plan_with_arcs
from tiny import tiny_frames

PARTS = ["kept", "moved", "repaired", "surplus", "disposed"]
ALL = {"equipment_budget_covers": "purchases_repairs_transport"}


def _commune(equipment, budget, transport_per_km=0.0):
    """One commune, its HQ at old unit U1; U2 lies about 104 km east (1 degree of longitude at 21 N). Needs: one
    desktop at priority 1 and one at priority 2 (per_commune rules); a desktop costs 10 M new, 6 M to repair."""
    frames = {
        "communes": pd.DataFrame([{"code": 1, "name": "Xã Một", "type": "xa", "area_km2": 50.0, "population": 5000, "lon": 105.0, "lat": 21.0}]),
        "old_units": pd.DataFrame([{"id": "U1", "name": "Một", "kind": "xa", "district": "H", "commune_code": 1, "lon": 105.0, "lat": 21.0, "population_share": 0.6},
                                   {"id": "U2", "name": "Hai", "kind": "xa", "district": "H", "commune_code": 1, "lon": 106.0, "lat": 21.0, "population_share": 0.4}]),
        "buildings": pd.DataFrame([{"id": "H", "name": "Trụ sở", "old_unit_id": "U1", "kind": "commune_hq", "lon": 105.0, "lat": 21.0, "floor_area_m2": 500.0}]),
        "equipment": pd.DataFrame([{"id": f"E{k}", "old_unit_id": u, "item_type": "desktop", "count": n, "condition": c, "unit_value_vnd": 1e6}
                                   for k, (u, n, c) in enumerate(equipment)]),
        "equipment_norms": pd.DataFrame([
            {"rule_id": "A", "item_type": "desktop", "basis": "per_commune", "quantity": 1.0, "priority": 1},
            {"rule_id": "B", "item_type": "desktop", "basis": "per_commune", "quantity": 1.0, "priority": 2}]),
        "costs": pd.DataFrame([
            {"parameter": "new_unit_price", "item_type": "desktop", "value": 10e6},
            {"parameter": "repair_cost", "item_type": "desktop", "value": 6e6},
            {"parameter": "transport_cost_per_km", "item_type": "desktop", "value": transport_per_km},
            {"parameter": "equipment_budget", "item_type": pd.NA, "value": budget}]),
    }
    return Dataset.from_frames(frames)


def _plan(ds, solver="highs", **assets):
    from planner.models.headquarters import plan_sites

    scenario = Scenario.from_dict({"assets": assets, "solver": {"name": solver}})
    return plan_equipment(ds, scenario, None, plan_sites(ds, scenario, None))


def _kpi(result, key):
    return next(row["value"] for row in result.kpis if row["kpi"] == key)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_repairs_eat_the_budget(solver):
    # U1 (the HQ's own unit) holds 2 repairable desktops; budget 10 M.
    # Purchases only: repair both (12 M, paid outside the budget), buy nothing: nothing unmet, 0 of the budget used.
    # Budget covers repairs: two repairs (12 M), a repair and a purchase (16 M) and two purchases (20 M) all pass
    # 10 M, so one desktop stays unmet, at priority 2; of the ways to cover priority 1 (repair 6 M or buy 10 M) the
    # purchase-cost level prefers the repair: 1 repaired, 0 bought, 6 M used.
    ds = _commune([("U1", 2, "repairable")], 10e6)
    default = _plan(ds)
    assert default.tables["equipment_demand"]["unmet"].sum() == 0
    assert default.tables["equipment_repairs"]["count"].sum() == 2 and default.tables["equipment_purchases"].empty
    assert _kpi(default, "equipment_budget_used") == 0.0
    covered = _plan(ds, solver, **ALL)
    demand = covered.tables["equipment_demand"].set_index("priority")["unmet"]
    assert demand.to_dict() == {1: 0, 2: 1}
    assert covered.tables["equipment_repairs"]["count"].sum() == 1 and covered.tables["equipment_purchases"].empty
    assert _kpi(covered, "equipment_budget_used") == pytest.approx(6e6)
    assert covered.tables["equipment_balance"].set_index("old_unit_id").loc["U1", PARTS].tolist() == [0, 0, 1, 1, 0]
    assert any("repairs" in note and "6,000,000 VND used" in note for note in covered.notes)
    assert any("purchases only" in note for note in default.notes)


def test_buying_is_cheaper_than_moving_far():
    # U1 holds 1 good desktop (kept at the HQ, free); U2, about 104 km away, holds 1 good desktop and moving it
    # costs 150,000 VND/km, about 15.6 M. Budget 12 M.
    # Purchases only: keep U1's, move U2's (transport outside the budget), buy nothing.
    # Budget covers transport: moving U2's (15.6 M) does not fit, buying one (10 M) does: both needs met, 10 M used,
    # U2's desktop stays surplus.
    ds = _commune([("U1", 1, "good"), ("U2", 1, "good")], 12e6, transport_per_km=150_000.0)
    default = _plan(ds)
    [move] = default.tables["equipment_transfers"].to_dict("records")
    assert move["from_old_unit_id"] == "U2" and move["transport_cost_vnd"] > 12e6
    assert default.tables["equipment_purchases"].empty
    covered = _plan(ds, **ALL)
    t = covered.tables
    assert t["equipment_demand"]["unmet"].sum() == 0 and t["equipment_transfers"].empty
    assert t["equipment_purchases"]["count"].sum() == 1
    assert t["equipment_balance"].set_index("old_unit_id").loc["U2", "surplus"] == 1
    assert _kpi(covered, "equipment_budget_used") == pytest.approx(10e6)


def test_default_unchanged_and_a_loose_budget_changes_nothing():
    ds = _commune([("U1", 1, "good"), ("U2", 1, "repairable")], 1e12, transport_per_km=1000.0)
    default, explicit, covered = _plan(ds), _plan(ds, equipment_budget_covers="purchases"), _plan(ds, **ALL)
    assert Scenario().assets.equipment_budget_covers == "purchases"
    for name, table in default.tables.items():
        pd.testing.assert_frame_equal(table, explicit.tables[name])
        pd.testing.assert_frame_equal(table, covered.tables[name])
    spent = (t := covered.tables)["equipment_transfers"]["transport_cost_vnd"].sum() + t["equipment_repairs"]["cost_vnd"].sum()
    assert _kpi(covered, "equipment_budget_used") == pytest.approx(spent)
    assert _kpi(default, "equipment_budget_used") == 0.0


def test_unknown_value_refused():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"assets": {"equipment_budget_covers": "everything"}})
    assert any(p.startswith("assets.equipment_budget_covers") and "everything" in p for p in info.value.problems)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["OU1", "OU2", "OU3", "OU4", "OU5", "OU6", "D1"]),
                          st.sampled_from(["desktop", "printer", "desk", "queue_machine"]),
                          st.integers(0, 8), st.sampled_from(["good", "repairable", "unusable"])), min_size=1, max_size=10),
       st.sampled_from([0.0, 20e6, 47e6, 75e6, 160e6]))
def test_budget_row_holds_and_matches_a_plain_mip(lines, budget):
    """Whatever the inventory, purchases + repairs + transport stay within the budget, the balance is exact, and the
    levels are those of an independent MIP on the same arcs."""
    frames = tiny_frames()
    frames["equipment"] = pd.DataFrame([{"id": f"E{k}", "old_unit_id": u, "item_type": i, "count": n, "condition": c,
                                         "unit_value_vnd": 1e6} for k, (u, i, n, c) in enumerate(lines)])
    ds = Dataset.from_frames(frames)
    scenario = Scenario.from_dict({"assets": {"equipment_budget_vnd": budget, "equipment_candidate_communes": 2, **ALL}})
    result, seen = plan_with_arcs(ds, scenario)
    t = result.tables
    spent = (t["equipment_purchases"]["cost_vnd"].sum() + t["equipment_transfers"]["transport_cost_vnd"].sum()
             + t["equipment_repairs"]["cost_vnd"].sum())
    assert spent <= budget * (1 + 1e-9) + 1e-6
    assert _kpi(result, "equipment_budget_used") == pytest.approx(spent)
    balance = t["equipment_balance"]
    assert (balance[PARTS].sum(axis=1) == balance["inventory"]).all() and (balance[PARTS] >= 0).all().all()
    if "arcs" not in seen:
        return
    assert_reference_levels(ds, scenario, t, seen, route_in_budget=True)
