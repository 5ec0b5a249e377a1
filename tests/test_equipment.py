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
