"""The law as data for assets (issue 12): equipment norms and maximum prices of Decision 15/2025/QĐ-TTg, the cap of
2 cars per commune (Decree 153/2025/NĐ-CP), the price uplift limit, and the building-use priority of Official
Dispatch 213/CĐ-TTg (housing for officials only when the province opts in)."""

import math

import numpy as np
import pandas as pd
import pytest

from planner import vocab
from planner.dataset import Dataset
from planner.derived import equipment_demand, purchase_prices
from planner.errors import ScenarioError
from planner.models.buildings import plan_building_uses
from planner.models.equipment import plan_equipment
from planner.models.headquarters import plan_sites
from planner.sample import REFERENCE_DIR
from planner.scenario import Scenario
from planner.schema import allowed_values
from tiny import tiny_frames

BASES = {"law", "guidance", "assumption"}
CONFIDENCE = {"high", "medium", "low"}
NORMS = pd.read_csv(REFERENCE_DIR / "equipment_norms.csv", dtype={"source": str})
COSTS = pd.read_csv(REFERENCE_DIR / "unit_costs.csv", dtype={"source": str})


# ---------------------------------------------------------------- reference rows carry their source
@pytest.mark.parametrize("frame, basis", [(NORMS, "legal_basis"), (COSTS, "basis")], ids=["equipment_norms", "unit_costs"])
def test_every_reference_row_has_a_source_and_a_basis(frame, basis):
    assert frame["source"].fillna("").str.strip().ne("").all()
    assert set(frame[basis]) <= BASES and set(frame["confidence"]) <= CONFIDENCE
    assert set(allowed_values("equipment_norms", "legal_basis")) == set(allowed_values("costs", "basis")) == BASES


def test_reference_norms_follow_decision_15_and_decree_153():
    norms = NORMS.set_index("rule_id")
    # per-counter equipment: no national norm (specialised equipment decided by the province)
    assert set(NORMS.loc[NORMS["basis"] == "per_counter", "legal_basis"]) == {"assumption"}
    shared = {"printer": 3, "scanner": 15, "shredder": 15, "photocopier": 15, "document_rack": 10}
    for item, per in shared.items():
        [row] = NORMS[(NORMS["item_type"] == item) & NORMS["basis"].isin(["per_official", "per_non_leader"])].itertuples()
        assert row.quantity == pytest.approx(1 / per, rel=1e-15) and row.legal_basis == "law"
    cap = NORMS.dropna(subset=["max_per_commune"])
    assert cap[["item_type", "max_per_commune", "legal_basis"]].values.tolist() == [["vehicle", 2, "law"]]
    assert "153/2025/NĐ-CP" in cap["source"].iloc[0]
    assert norms.loc["COM-vehicle", "legal_basis"] == "assumption"  # how many a commune needs: the province's call


def test_reference_prices_are_the_maximum_prices():
    price = COSTS[COSTS["parameter"] == "new_unit_price"].set_index("item_type")
    law = {"desktop": 20e6, "printer": 13e6, "scanner": 22e6, "shredder": 10e6, "photocopier": 110e6, "cabinet": 7e6,
           "phone": 1e6, "document_rack": 1.5e6, "meeting_set": 13e6, "vehicle": 950e6}
    for item, value in law.items():
        assert price.loc[item, "value"] == value and price.loc[item, "basis"] == "law", item
    # a group VIII desk set (7 M) bought as a desk (60%) and a chair (40%)
    assert price.loc["desk", "value"] + price.loc["chair", "value"] == 7e6
    assert set(price.loc[["server_network", "queue_machine"], "basis"]) == {"assumption"}
    others = COSTS[COSTS["parameter"] != "new_unit_price"]
    assert set(others["basis"]) == {"assumption"}  # transport, repair, useful life: no legal figure
    # every item type has every parameter the sample and the models read; every norm's item has a price
    assert set(COSTS.groupby("item_type").size()) == {4} and set(COSTS["item_type"]) == set(vocab.codes("item_types"))
    assert set(NORMS["item_type"]) <= set(price.index)


# ---------------------------------------------------------------- demand: each rule rounded up per commune
def _communes(n):
    return pd.DataFrame({"code": np.arange(1, n + 1), "name": [f"Xã {k}" for k in range(1, n + 1)], "type": "xa",
                         "area_km2": 50.0, "population": 10000, "lon": 105.0, "lat": 21.0})


def test_shared_equipment_is_ceil_of_staff_over_n():
    # commune k has 3 leaders (chair + 2 vice-chairs), k specialists and 2 counter officers: staff = k + 5
    n = 80
    communes = _communes(n)
    code = communes["code"].to_numpy()
    headcount = pd.concat([
        pd.DataFrame({"commune_code": code, "position": "chair", "field": "leadership", "headcount": 1}),
        pd.DataFrame({"commune_code": code, "position": "vice_chair", "field": "leadership", "headcount": 2}),
        pd.DataFrame({"commune_code": code, "position": "specialist", "field": "office", "headcount": code}),
        pd.DataFrame({"commune_code": code, "position": "specialist", "field": "public_service_centre", "headcount": 2}),
    ], ignore_index=True)
    ds = Dataset.from_frames({"communes": communes, "equipment_norms": NORMS})
    demand = equipment_demand(ds, headcount).groupby(["commune_code", "item_type"])["demand"].sum().unstack(fill_value=0)
    staff, leaders = code + 5, 3
    ceil = np.vectorize(lambda a, b: math.ceil(a / b))
    assert (demand["printer"].to_numpy() == leaders + ceil(staff - leaders, 3)).all()  # own printer + 1 per 3 others
    for item in ("shredder", "photocopier"):
        assert (demand[item].to_numpy() == ceil(staff, 15)).all(), item
    assert (demand["scanner"].to_numpy() == ceil(staff, 15) + 1).all()  # + 0.5 per counter officer (assumption)
    assert (demand["document_rack"].to_numpy() == ceil(staff, 10)).all()
    assert (demand["cabinet"].to_numpy() == staff + leaders).all()  # group VII: 2 cabinets
    assert (demand["desk"].to_numpy() == staff).all() and (demand["phone"].to_numpy() == staff).all()
    assert (demand["meeting_set"].to_numpy() == leaders + 1).all() and (demand["vehicle"].to_numpy() == 1).all()


def test_each_rule_is_rounded_before_rules_are_added():
    # 1 per 3 officials and 1 per 3 counter officers, same item and priority: ceil(4/3) + ceil(1/3) = 3, not ceil(5/3)
    norms = pd.DataFrame([{"rule_id": "A", "item_type": "printer", "basis": "per_official", "quantity": 1 / 3, "priority": 2},
                          {"rule_id": "B", "item_type": "printer", "basis": "per_counter", "quantity": 1 / 3, "priority": 2}])
    ds = Dataset.from_frames({"communes": _communes(1), "equipment_norms": norms})
    headcount = pd.DataFrame({"commune_code": [1, 1], "position": "specialist", "field": ["office", "public_service_centre"],
                              "headcount": [3, 1]})
    assert equipment_demand(ds, headcount)["demand"].tolist() == [3]


# ---------------------------------------------------------------- vehicles: at most 2 per commune
def _vehicles(norms, good=6, budget=1e13):
    frames = {
        "communes": _communes(1),
        "old_units": pd.DataFrame([{"id": "U1", "name": "Một", "kind": "xa", "district": "H", "commune_code": 1, "lon": 105.0,
                                    "lat": 21.0, "population_share": 1.0},
                                   {"id": "D", "name": "Huyện", "kind": "district_office", "district": "H", "commune_code": 1,
                                    "lon": 105.05, "lat": 21.0, "population_share": 0.0}]),
        "equipment": pd.DataFrame([{"id": "E1", "old_unit_id": "D", "item_type": "vehicle", "count": good, "condition": "good",
                                    "unit_value_vnd": 3e8}]),
        "equipment_norms": norms,
        "costs": pd.DataFrame([{"parameter": "new_unit_price", "item_type": "vehicle", "value": 950e6},
                               {"parameter": "transport_cost_per_km", "item_type": "vehicle", "value": 15000.0},
                               {"parameter": "equipment_budget", "item_type": pd.NA, "value": budget}]),
    }
    return Dataset.from_frames(frames)


VEHICLE_CAP = NORMS[NORMS["rule_id"] == "CAP-vehicle"]
HEADCOUNT = pd.DataFrame({"commune_code": [1], "position": ["specialist"], "field": ["office"], "headcount": [5]})


@pytest.mark.parametrize("good", [6, 0])
def test_no_commune_gets_more_than_two_vehicles(good):
    # a norm asking 1 car per official (5) and 6 good cars nearby (or none and a large budget): 2 arrive, no more
    greedy = pd.DataFrame([{"rule_id": "V", "item_type": "vehicle", "basis": "per_official", "quantity": 1.0, "priority": 1}])
    ds = _vehicles(pd.concat([greedy, VEHICLE_CAP], ignore_index=True), good=good)
    result = plan_equipment(ds, Scenario(), HEADCOUNT, None)
    t = result.tables
    held = t["unmet_equipment"].set_index("item_type").loc["vehicle"]
    assert held["demand"] == 2 and held["supplied_existing"] + held["purchased"] == 2 and held["unmet"] == 0
    assert t["equipment_purchases"]["count"].sum() == (0 if good else 2)
    assert t["equipment_balance"]["surplus"].sum() == max(good - 2, 0)
    assert any("cut by 3 items so that no commune holds more than 2" in note for note in result.notes)
    # without the cap the same data would send all 5
    uncapped = plan_equipment(_vehicles(greedy, good=good), Scenario(), HEADCOUNT, None).tables["unmet_equipment"]
    assert int(uncapped["supplied_existing"].sum() + uncapped["purchased"].sum()) == 5


def test_the_cap_holds_for_a_commune_type_rule_too():
    # a cap for wards does not apply to a xã; the national cap (any type) does
    ward_cap = VEHICLE_CAP.assign(rule_id="W", commune_type="phuong", max_per_commune=1)
    greedy = pd.DataFrame([{"rule_id": "V", "item_type": "vehicle", "basis": "per_official", "quantity": 1.0, "priority": 1}])
    ds = _vehicles(pd.concat([greedy, VEHICLE_CAP, ward_cap], ignore_index=True))
    assert equipment_demand(ds, HEADCOUNT)["demand"].tolist() == [2]


def test_the_least_urgent_demand_is_cut_first():
    rules = pd.DataFrame([{"rule_id": "A", "item_type": "vehicle", "basis": "per_official", "quantity": 1.0, "priority": 3},
                          {"rule_id": "B", "item_type": "vehicle", "basis": "per_commune", "quantity": 1.0, "priority": 1},
                          {"rule_id": "C", "item_type": "vehicle", "basis": "per_leader", "quantity": 1.0, "priority": 5}])
    demand = equipment_demand(_vehicles(pd.concat([rules, VEHICLE_CAP], ignore_index=True)), HEADCOUNT)
    assert demand[["priority", "demand", "uncapped"]].values.tolist() == [[1, 1, 1], [3, 1, 5]]  # no leaders: C is 0


# ---------------------------------------------------------------- price uplift: at most 30% (Art. 4(4))
def test_price_uplift_limit():
    assert Scenario.from_dict({"assets": {"price_uplift": 0.3}}).assets.price_uplift == 0.3
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"assets": {"price_uplift": 0.31}})
    assert any(p.startswith("assets.price_uplift") for p in info.value.problems)
    with pytest.raises(ScenarioError):
        Scenario.from_dict({"assets": {"price_uplift": -0.1}})


def test_price_uplift_raises_purchase_prices():
    ds = _vehicles(VEHICLE_CAP.assign(quantity=1.0), good=0)
    scenario = Scenario.from_dict({"assets": {"price_uplift": 0.2}})
    assert purchase_prices(ds, scenario)["vehicle"] == pytest.approx(1.2 * 950e6)
    [bought] = plan_equipment(ds, scenario, HEADCOUNT, None).tables["equipment_purchases"].to_dict("records")
    assert bought["count"] == 1 and bought["unit_price_vnd"] == pytest.approx(1.14e9)


# ---------------------------------------------------------------- buildings: Official Dispatch 213/CĐ-TTg order
def _uses(needs, scenario=None, staffing=None):
    """The tiny province: after the HQs (B1, B4, B5) only B7 (1,500 m², book value 20 bn) has 1,000 m² or more,
    so needs asking for 1,000 m² compete for it against its sale."""
    frames = tiny_frames()
    frames["facility_needs"] = pd.DataFrame([{"commune_code": 103, "use": use, "buildings_needed": 1,
                                              "min_floor_area_m2": 1000, "value_vnd": value} for use, value in needs])
    ds = Dataset.from_frames(frames)
    scenario = scenario or Scenario()
    sites = plan_sites(ds, scenario, None)
    result = plan_building_uses(ds, scenario, sites, staffing)
    return result.tables["building_uses"].set_index("building_id").loc["B7", "use"], result


def test_health_before_culture_before_sale():
    # worth: sale 20 bn > culture 9 bn > health 1 bn; the dispatch's order wins over value
    assert _uses([("health", 1e9), ("culture", 9e9)])[0] == "health"
    assert _uses([("culture", 9e9)])[0] == "culture"
    assert _uses([])[0] == "sale_or_lease"
    by_value = Scenario.from_dict({"assets": {"public_use_first": False}})
    assert _uses([("health", 1e9), ("culture", 9e9)], by_value)[0] == "sale_or_lease"


PRIORITY = sorted(((p, u) for u, p in vocab.column("building_uses", "priority", numeric=True).items()))


def test_priority_list_is_the_dispatch_order():
    assert [u for _, u in PRIORITY] == ["health", "education", "culture", "sports", "police", "other_public", "housing"]
    sources = vocab.column("building_uses", "priority_source")
    assert all("213/CĐ-TTg" in sources[u] for _, u in PRIORITY)


@pytest.mark.parametrize("first, second", [(a, b) for (_, a), (_, b) in zip(PRIORITY[:-2], PRIORITY[1:-1])])
def test_each_use_comes_before_the_next_one(first, second):
    assert _uses([(first, 1e9), (second, 5e9)])[0] == first


def _far_officials(commune, n):
    from planner.stage import StageResult
    return StageResult(tables={"assignments": pd.DataFrame({"official_id": [f"X{k}" for k in range(n)], "commune_code": commune,
                                                             "distance_km": 45.0})})


def test_housing_only_when_the_province_opts_in():
    staffing = _far_officials(103, 60)  # 1,200 m² of housing worth 6 bn
    use, result = _uses([("housing", 30e9)], staffing=staffing)
    uses = result.tables["building_uses"]
    assert use == "sale_or_lease" and "housing" not in set(uses["use"])
    assert result.tables["housing_needs"]["m2_provided"].sum() == 0
    assert any("housing_for_officials is off" in note for note in result.notes)
    opted = Scenario.from_dict({"assets": {"housing_for_officials": True}})
    use, result = _uses([("housing", 30e9)], opted, staffing)
    assert use == "housing"
    # opted in, housing still comes after the listed public uses
    use, _ = _uses([("housing", 30e9), ("police", 1e9)], opted, staffing)
    assert use == "police"
