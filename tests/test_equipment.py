"""Equipment LP: hand-checked priorities and budget, exact balance on random inventories, the tiny province."""

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from planner.dataset import Dataset
from planner.models.buildings import plan_building_uses
from planner.models.equipment import equipment_demand, plan_equipment
from planner.models.headquarters import plan_sites
from planner.scenario import Scenario
from tiny import tiny_frames

PARTS = ["kept", "moved", "repaired", "surplus", "disposed"]


def _one_commune(budget):
    frames = {
        "communes": pd.DataFrame([{"code": 1, "name": "Xã Một", "type": "xa", "area_km2": 50.0, "population": 5000, "lon": 105.0, "lat": 21.0}]),
        "old_units": pd.DataFrame([{"id": "U1", "name": "Một", "kind": "xa", "district": "H", "commune_code": 1, "lon": 105.0, "lat": 21.0, "population_share": 0.6},
                                   {"id": "U2", "name": "Hai", "kind": "xa", "district": "H", "commune_code": 1, "lon": 105.1, "lat": 21.0, "population_share": 0.4}]),
        "buildings": pd.DataFrame([{"id": "H", "name": "Trụ sở", "old_unit_id": "U1", "kind": "commune_hq", "lon": 105.0, "lat": 21.0, "floor_area_m2": 500.0}]),
        "equipment": pd.DataFrame([
            {"id": "E1", "old_unit_id": "U1", "item_type": "desktop", "count": 2, "condition": "good", "unit_value_vnd": 5e6},
            {"id": "E2", "old_unit_id": "U2", "item_type": "desktop", "count": 1, "condition": "good", "unit_value_vnd": 5e6},
            {"id": "E3", "old_unit_id": "U2", "item_type": "desktop", "count": 2, "condition": "repairable", "unit_value_vnd": 2e6},
            {"id": "E4", "old_unit_id": "U2", "item_type": "desktop", "count": 1, "condition": "unusable", "unit_value_vnd": 0.0}]),
        "equipment_norms": pd.DataFrame([
            {"rule_id": "P", "item_type": "desktop", "basis": "per_official", "quantity": 1.0, "priority": 2},
            {"rule_id": "C", "item_type": "desktop", "basis": "per_counter", "quantity": 1.0, "priority": 1},
            {"rule_id": "Q", "item_type": "queue_machine", "basis": "per_commune", "quantity": 1.0, "priority": 1}]),
        "costs": pd.DataFrame([
            {"parameter": "new_unit_price", "item_type": "desktop", "value": 10e6},
            {"parameter": "new_unit_price", "item_type": "queue_machine", "value": 40e6},
            {"parameter": "repair_cost", "item_type": "desktop", "value": 1e6},
            {"parameter": "transport_cost_per_km", "item_type": "desktop", "value": 1000.0},
            {"parameter": "equipment_budget", "item_type": pd.NA, "value": budget}]),
    }
    return Dataset.from_frames(frames)


HEADCOUNT = pd.DataFrame({"commune_code": [1, 1], "position": ["specialist"] * 2, "field": ["office", "public_service_centre"],
                          "headcount": [3, 2]})


def test_demand_from_norms():
    demand = equipment_demand(_one_commune(0), HEADCOUNT).set_index(["item_type", "priority"])["demand"]
    assert demand.to_dict() == {("desktop", 1): 2, ("desktop", 2): 5, ("queue_machine", 1): 1}


def test_hand_checked_priorities_budget_and_balance():
    # 7 desktops needed, 5 usable on hand (2 kept at the HQ's own unit, 1 moved, 2 repaired and moved).
    # Budget 45 M: the priority-1 queue machine (40 M) comes first; 5 M left cannot buy a 10 M desktop,
    # so 2 per-official desktops (priority 2) stay unmet. The LP would buy half a desktop: whole items enforced.
    ds = _one_commune(45e6)
    sites = plan_sites(ds, Scenario(), HEADCOUNT)
    result = plan_equipment(ds, Scenario(), HEADCOUNT, sites)
    t = result.tables
    assert t["equipment_purchases"].set_index("item_type")["count"].to_dict() == {"queue_machine": 1}
    unmet = t["equipment_demand"].set_index(["item_type", "priority"])["unmet"]
    assert unmet.to_dict() == {("desktop", 1): 0, ("desktop", 2): 2, ("queue_machine", 1): 0}
    balance = t["equipment_balance"].set_index("old_unit_id")
    assert balance.loc["U1", PARTS].tolist() == [2, 0, 0, 0, 0]
    assert balance.loc["U2", PARTS].tolist() == [0, 1, 2, 0, 1]
    [transfer] = t["equipment_transfers"].to_dict("records")
    assert (transfer["from_old_unit_id"], transfer["count"], transfer["repaired"], transfer["to_building_id"]) == ("U2", 3, 2, "H")
    assert transfer["transport_cost_vnd"] == pytest.approx(3 * 1000.0 * transfer["km"], rel=1e-3)
    assert t["equipment_repairs"]["cost_vnd"].sum() == pytest.approx(2e6)
    assert any("whole items" in note for note in result.notes)


def test_use_what_we_have_before_buying():
    # with a large budget nothing usable stays idle while the same item type is bought
    ds = _one_commune(1e12)
    result = plan_equipment(ds, Scenario(), HEADCOUNT, None)
    t = result.tables
    assert t["equipment_purchases"].set_index("item_type")["count"].to_dict() == {"desktop": 2, "queue_machine": 1}
    assert t["equipment_balance"]["surplus"].sum() == 0 and t["unmet_equipment"]["unmet"].sum() == 0
    assert any("commune centres" in note for note in result.notes)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["OU1", "OU2", "OU3", "OU4", "OU5", "OU6", "D1"]),
                          st.sampled_from(["desktop", "printer", "desk", "queue_machine"]),
                          st.integers(0, 12), st.sampled_from(["good", "repairable", "unusable"])), min_size=1, max_size=14),
       st.sampled_from([0.0, 20e6, 75e6, 1e10]))
def test_balance_is_exact_on_random_inventories(lines, budget):
    frames = tiny_frames()
    frames["equipment"] = pd.DataFrame([{"id": f"E{k}", "old_unit_id": u, "item_type": t, "count": n, "condition": c,
                                         "unit_value_vnd": 1e6} for k, (u, t, n, c) in enumerate(lines)])
    ds = Dataset.from_frames(frames)
    scenario = Scenario.from_dict({"assets": {"equipment_budget_vnd": budget}})
    t = plan_equipment(ds, scenario, None, None).tables
    inventory = frames["equipment"].groupby(["old_unit_id", "item_type"])["count"].sum()
    balance = t["equipment_balance"].set_index(["old_unit_id", "item_type"])
    assert balance["inventory"].sort_index().to_dict() == inventory.sort_index().to_dict()
    assert (balance[PARTS].sum(axis=1) == balance["inventory"]).all() and (balance[PARTS] >= 0).all().all()
    unmet = t["unmet_equipment"]
    assert (unmet["supplied_existing"] + unmet["purchased"] + unmet["unmet"] == unmet["demand"]).all()
    assert t["equipment_purchases"]["cost_vnd"].sum() <= budget + 1e-6
    # never buy an item type while the same type sits unused as surplus
    bought = set(t["equipment_purchases"]["item_type"])
    surplus_types = set(balance[balance["surplus"] > 0].reset_index()["item_type"])
    assert not bought & surplus_types


def test_tiny_province_runs_all_three_asset_stages(tiny_ds):
    scenario = Scenario()
    sites = plan_sites(tiny_ds, scenario, None)
    uses = plan_building_uses(tiny_ds, scenario, sites, None).tables["building_uses"]
    assert sorted(uses["building_id"]) == sorted(tiny_ds["buildings"]["id"]) and uses["use"].notna().all()
    t = plan_equipment(tiny_ds, scenario, None, sites).tables
    balance = t["equipment_balance"]
    assert (balance[PARTS].sum(axis=1) == balance["inventory"]).all()
    assert balance["inventory"].sum() == tiny_ds["equipment"]["count"].sum()
    assert balance["disposed"].sum() == 2  # OU3's two unusable desktops


def plan_with_arcs(ds, scenario):
    """plan_equipment without a site plan, and the candidate arcs and supply it built ({} when it built none)."""
    from unittest import mock

    import planner.models.equipment as equipment

    seen = {}
    real = equipment._candidate_arcs

    def spy(ds_, scenario_, supply, nodes, dest, transport):
        seen["supply"], seen["arcs"] = supply, real(ds_, scenario_, supply, nodes, dest, transport)
        return seen["arcs"]

    with mock.patch.object(equipment, "_candidate_arcs", spy):
        return plan_equipment(ds, scenario, None, None), seen


def assert_reference_levels(ds, scenario, tables: dict, seen: dict, route_in_budget: bool = False) -> None:
    """The plan's levels (unmet per priority, purchase cost, transport + repair cost) equal the plain MIP's."""
    demand = tables["equipment_demand"]
    arcs = seen.get("arcs", pd.DataFrame(columns=["old_unit_id", "commune_code", "item_type", "unit_transport_vnd"]))
    supply = seen.get("supply", pd.DataFrame(columns=["old_unit_id", "item_type", "good", "repairable"]))
    expected = _reference_levels(ds, scenario, arcs, supply, demand[["commune_code", "item_type", "priority", "demand"]],
                                 route_in_budget)
    got = [float(demand.loc[demand["priority"] == p, "unmet"].sum()) for p in sorted(set(demand["priority"]))]
    got += [float(tables["equipment_purchases"]["cost_vnd"].sum()),
            float(tables["equipment_transfers"]["transport_cost_vnd"].sum() + tables["equipment_repairs"]["cost_vnd"].sum())]
    assert got[:-2] == expected[:-2]
    assert got[-2] == pytest.approx(expected[-2], rel=1e-9, abs=1e-3)
    assert got[-1] == pytest.approx(expected[-1], rel=1e-6, abs=1.0)


def _reference_levels(ds, scenario, arcs, supply, demand, route_in_budget: bool = False):
    """The lexicographic optimum by a plain MIP (every count integer, one 'keep' row per level): unmet per priority,
    purchase cost, transport + repair cost. A reference for the network model, not a fast one. route_in_budget: the
    budget row counts transport and repairs too (assets.equipment_budget_covers: purchases_repairs_transport)."""
    import pulp

    from planner.derived import equipment_budget, item_costs, purchase_prices
    from planner.solver import solve_fast

    price, repair = purchase_prices(ds, scenario), item_costs(ds, "repair_cost")
    nodes = demand.groupby(["commune_code", "item_type"], as_index=False)["demand"].sum()
    prob = pulp.LpProblem("reference", pulp.LpMinimize)
    good = [pulp.LpVariable(f"g{k}", 0, cat="Integer") for k in range(len(arcs))]
    fixed = [pulp.LpVariable(f"r{k}", 0, cat="Integer") for k in range(len(arcs))]
    buy = [pulp.LpVariable(f"b{k}", 0, None if t in price.index else 0, cat="Integer") for k, t in enumerate(nodes["item_type"])]
    unmet = [pulp.LpVariable(f"u{k}", 0, float(d), cat="Integer") for k, d in enumerate(demand["demand"])]
    for s in supply.itertuples():
        at = [k for k, a in enumerate(arcs.itertuples()) if (a.old_unit_id, a.item_type) == (s.old_unit_id, s.item_type)]
        prob += pulp.lpSum(good[k] for k in at) <= s.good
        prob += pulp.lpSum(fixed[k] for k in at) <= s.repairable
    for n, node in enumerate(nodes.itertuples()):
        at = [k for k, a in enumerate(arcs.itertuples()) if (a.commune_code, a.item_type) == (node.commune_code, node.item_type)]
        rows = [k for k, d in enumerate(demand.itertuples()) if (d.commune_code, d.item_type) == (node.commune_code, node.item_type)]
        prob += pulp.lpSum(good[k] + fixed[k] for k in at) + buy[n] + pulp.lpSum(unmet[k] for k in rows) == node.demand
    cost = pulp.lpSum(float(price.get(t, 0.0)) * b for t, b in zip(nodes["item_type"], buy))
    route = pulp.lpSum(a.unit_transport_vnd * (good[k] + fixed[k]) + float(repair.get(a.item_type, 0.0)) * fixed[k]
                       for k, a in enumerate(arcs.itertuples()))
    budget = equipment_budget(ds, scenario)
    if budget is not None:
        prob += (cost + route if route_in_budget else cost) <= budget
    levels = [pulp.lpSum(unmet[k] for k in range(len(demand)) if demand["priority"].iloc[k] == p)
              for p in sorted(set(demand["priority"]))]
    levels += [cost, route]
    found = []
    for k, level in enumerate(levels):
        prob.setObjective(level)
        info = solve_fast(prob, scenario.solver, "reference", 0.0)
        assert info.status == "optimal"
        best = float(pulp.value(level) or 0.0)
        best = float(round(best)) if k < len(levels) - 2 else best  # unmet counts: whole numbers up to the MIP's tolerance
        found.append(best)
        prob += level <= best + (0.5 if k < len(levels) - 2 else 1e-7 * abs(best) + 1.0)
    return found


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["OU1", "OU2", "OU3", "OU4", "OU5", "OU6", "D1"]),
                          st.sampled_from(["desktop", "printer", "desk", "queue_machine"]),
                          st.integers(0, 12), st.sampled_from(["good", "repairable", "unusable"])), min_size=0, max_size=14),
       st.lists(st.sampled_from([3e6, 5e6, 15e6, float("nan")]), min_size=4, max_size=4),
       st.sampled_from([0.0, 20e6, 47e6, 75e6, 160e6, 1e10]))
def test_same_optimum_as_a_plain_mip(lines, prices, budget):
    """Network LPs + the budget's greedy split reach the MIP's lexicographic optimum, also with equal prices (ties
    between item types), unpriced items and budgets that stop mid-priority; every item is accounted once."""
    frames = tiny_frames()
    frames["equipment"] = pd.DataFrame([{"id": f"E{k}", "old_unit_id": u, "item_type": t, "count": n, "condition": c,
                                         "unit_value_vnd": 1e6} for k, (u, t, n, c) in enumerate(lines)],
                                       columns=["id", "old_unit_id", "item_type", "count", "condition", "unit_value_vnd"])
    costs = frames["costs"]
    for item, value in zip(["desktop", "printer", "desk", "queue_machine"], prices):
        row = (costs["parameter"] == "new_unit_price") & (costs["item_type"] == item)
        costs = costs[~row] if value != value else costs.assign(value=costs["value"].mask(row, value))
    frames["costs"] = costs.reset_index(drop=True)
    ds = Dataset.from_frames(frames)
    scenario = Scenario.from_dict({"assets": {"equipment_budget_vnd": budget, "equipment_candidate_communes": 2}})
    result, seen = plan_with_arcs(ds, scenario)
    t = result.tables
    assert_reference_levels(ds, scenario, t, seen)
    # every item exactly once: the parts of each old unit's stock add up to its inventory, nothing negative
    balance = t["equipment_balance"]
    assert (balance[PARTS].sum(axis=1) == balance["inventory"]).all() and (balance[PARTS] >= 0).all().all()
    assert int(balance["inventory"].sum()) == int(frames["equipment"]["count"].sum())
    assert not balance.duplicated(["old_unit_id", "item_type"]).any()
