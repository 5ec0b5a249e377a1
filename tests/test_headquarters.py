"""Headquarters choice and service points: hand-checked optima, infeasible budget, coverage shortfalls."""

import pandas as pd
import pytest

from planner.dataset import Dataset
from planner.models.headquarters import plan_sites
from planner.errors import PlanInfeasible
from planner.scenario import Scenario


def _building(bid, owner, lon, floor, condition="good", renovation=0.0):
    return {"id": bid, "name": f"Nhà {bid}", "old_unit_id": owner, "kind": "commune_hq", "lon": lon, "lat": 21.0,
            "floor_area_m2": floor, "condition": condition, "renovation_cost_vnd": renovation, "book_value_vnd": 1e9}


def _dataset(communes, old_units, buildings, extension_cost=1e6, renovation_budget=None):
    costs = [{"parameter": "extension_cost_per_m2", "value": extension_cost}, {"parameter": "service_point_fixed_cost", "value": 1e8}]
    if renovation_budget is not None:
        costs.append({"parameter": "renovation_budget", "value": renovation_budget})
    return Dataset.from_frames({
        "communes": pd.DataFrame(communes).assign(type="xa", area_km2=100.0, lat=21.0),
        "old_units": pd.DataFrame(old_units).assign(kind="xa", district="Huyện", lat=21.0),
        "buildings": pd.DataFrame(buildings), "costs": pd.DataFrame(costs),
    })


def _staff(codes, n=10):
    return pd.DataFrame({"commune_code": codes, "position": "specialist", "field": "office", "headcount": n})


def _two_communes(renovation_budget=None):
    """A and B ~20.8 km apart; 10 specialists each need 10 m2 x 1.6 = 160 m2."""
    communes = [{"code": 1, "name": "Xã A", "population": 10000, "lon": 105.0},
                {"code": 2, "name": "Xã B", "population": 10000, "lon": 105.2}]
    old_units = [{"id": "UA", "name": "A cũ", "commune_code": 1, "lon": 105.0, "population_share": 1.0},
                 {"id": "UB", "name": "B cũ", "commune_code": 2, "lon": 105.2, "population_share": 1.0}]
    buildings = [_building("A1", "UA", 104.98, 100.0),                              # 60 m2 extension: 60 M; 22.8 km from B
                 _building("A2", "UA", 105.001, 500.0, "poor", 300e6),              # renovation 300 M
                 _building("B1", "UB", 105.2, 500.0),                               # free
                 _building("B2", "UB", 105.201, 50.0)]                              # 110 m2 extension: 110 M
    return _dataset(communes, old_units, buildings, renovation_budget=renovation_budget)


# 10 m2 per specialist (not the legal default of positions.csv) keeps the hand-checked figures below
M2 = {"m2_per_official": {"specialist": 10.0}}
MONEY_ONLY = {"assets": {"citizen_cost_per_km": 0.0, "staff_commute_cost_per_km": 0.0, "hq_candidate_radius_km": 21.0, **M2}}


def test_hand_checked_hq_choice_by_renovation_and_extension():
    # within 21 km, A may use B1 (20.8 km) but B may not use A1 (22.8 km):
    # A->A1 (60 M) + B->B1 (0) = 60 M beats A->B1 + B->B2 (110 M) and A->A2 (300 M)
    result = plan_sites(_two_communes(), Scenario.from_dict(MONEY_ONLY), _staff([1, 2]))
    hq = result.tables["hq_plan"].set_index("commune_code")
    assert hq.loc[1, "building_id"] == "A1" and hq.loc[2, "building_id"] == "B1"
    assert hq.loc[1, "required_area_m2"] == pytest.approx(160.0)
    assert hq.loc[1, "extension_m2"] == pytest.approx(60.0) and hq.loc[1, "extension_cost_vnd"] == pytest.approx(60e6)
    assert result.solves[0].objective == pytest.approx(60e6)
    assert {"commune_code", "lon", "lat"} <= set(hq.reset_index().columns)


@pytest.mark.parametrize("citizen_cost, expected", [(0.05, "FAR"), (0.2, "NEAR")])
def test_citizen_travel_cost_moves_the_hq_to_the_residents(citizen_cost, expected):
    # NEAR needs 10 m2 extension (10 M); FAR is free but 10.4 km from all 10,000 residents:
    # travel = 10,000 x 10.38 km / 1000 x cost x 1e6 VND = 5.2 M at 0.05 (FAR wins), 20.8 M at 0.2 (NEAR wins)
    ds = _dataset([{"code": 1, "name": "Xã A", "population": 10000, "lon": 105.0}],
                  [{"id": "UA", "name": "A cũ", "commune_code": 1, "lon": 105.0, "population_share": 1.0}],
                  [_building("NEAR", "UA", 105.0, 150.0), _building("FAR", "UA", 105.1, 500.0)])
    scenario = Scenario.from_dict({"assets": {"citizen_cost_per_km": citizen_cost, "staff_commute_cost_per_km": 0.0, **M2}})
    result = plan_sites(ds, scenario, _staff([1]))
    assert result.tables["hq_plan"]["building_id"].tolist() == [expected]
    far_km = result.tables["hq_plan"]["citizen_mean_km"].iloc[0]
    assert far_km == pytest.approx(10.38, abs=0.01) if expected == "FAR" else far_km == pytest.approx(0.0, abs=1e-9)


def test_budget_too_small_states_the_minimum_budget():
    with pytest.raises(PlanInfeasible) as err:
        plan_sites(_two_communes(renovation_budget=50e6), Scenario.from_dict(MONEY_ONLY), _staff([1, 2]))
    text = " ".join(err.value.lines)
    assert err.value.stage == "sites"
    assert "50,000,000" in text and "60,000,000" in text and "Xã A" in text
    assert err.value.conflicts["budget_vnd"].sum() == pytest.approx(60e6)


def test_commune_with_no_building_is_named():
    ds = _two_communes()
    frames = dict(ds.tables)
    frames["buildings"] = frames["buildings"][frames["buildings"]["old_unit_id"] == "UB"]
    scenario = Scenario.from_dict({"assets": {"hq_candidate_radius_km": 5.0}})
    with pytest.raises(PlanInfeasible) as err:
        plan_sites(Dataset(frames), scenario, _staff([1, 2]))
    assert "Xã A" in err.value.lines[0] and "20.8 km" in err.value.lines[0]


def _one_commune_far_unit(buildings):
    communes = [{"code": 1, "name": "Xã Xa", "population": 20000, "lon": 105.0}]
    old_units = [{"id": "U1", "name": "Gần", "commune_code": 1, "lon": 105.0, "population_share": 0.5},
                 {"id": "U2", "name": "Xa", "commune_code": 1, "lon": 105.25, "population_share": 0.5}]  # 26 km east
    return _dataset(communes, old_units, buildings)


def test_coverage_forces_a_service_point():
    ds = _one_commune_far_unit([_building("H", "U1", 105.0, 500.0), _building("S", "U2", 105.25, 200.0, "poor", 5e8)])
    result = plan_sites(ds, Scenario(), _staff([1]))
    assert result.tables["hq_plan"]["building_id"].tolist() == ["H"]
    points = result.tables["service_points"]
    assert points["building_id"].tolist() == ["S"] and points["residents_served"].iloc[0] == pytest.approx(10000)
    cov = result.tables["service_coverage"].set_index("old_unit_id")
    assert cov.loc["U2", "served_by_building_id"] == "S" and cov.loc["U2", "site_kind"] == "service_point"
    assert cov.loc["U1", "site_kind"] == "hq" and bool(cov["within_distance"].all())
    kpi = {k["kpi"]: k["value"] for k in result.kpis}
    assert kpi["service_points_opened"] == 1 and kpi["renovation_budget_used"] == pytest.approx(5e8)


def test_no_building_within_reach_is_an_explained_shortfall():
    ds = _one_commune_far_unit([_building("H", "U1", 105.0, 500.0)])
    result = plan_sites(ds, Scenario(), _staff([1]))
    cov = result.tables["service_coverage"].set_index("old_unit_id")
    assert not cov.loc["U2", "within_distance"] and cov.loc["U2", "served_by_building_id"] == "H"
    assert "nearest 26" in cov.loc["U2", "shortfall"]
    assert any("Xa" in note and "26" in note for note in result.notes)
    kpi = {k["kpi"]: k for k in result.kpis}
    assert kpi["population_within_service_distance"]["value"] == pytest.approx(50.0)
    assert kpi["population_within_service_distance"]["param"] == 15  # the service distance shown in the label


def test_capacity_shortfall_is_explained_not_crashed():
    # one building near U2 but a capacity below U2's 10,000 residents in single-source mode
    ds = _one_commune_far_unit([_building("H", "U1", 105.0, 500.0), _building("S", "U2", 105.25, 200.0)])
    result = plan_sites(ds, Scenario.from_dict({"assets": {"service_capacity": 8000}}), _staff([1]))
    cov = result.tables["service_coverage"].set_index("old_unit_id")
    assert "capacity" in cov.loc["U2", "shortfall"] and cov.loc["U2", "served_by_building_id"] == "H"
    assert any("8000" in note for note in result.notes)


def test_tiny_province_sites(tiny_ds):
    result = plan_sites(tiny_ds, Scenario(), None)
    hq = result.tables["hq_plan"]
    assert sorted(hq["commune_code"]) == [101, 102, 103] and hq["building_id"].is_unique
    assert not set(hq["building_id"]) & set(result.tables["service_points"]["building_id"])
    shares = result.tables["service_coverage"].groupby("old_unit_id")["share"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


@pytest.mark.parametrize("budget", [None, 60e6, 59e6])
def test_the_assignment_lp_gives_the_mip_optimum_or_leaves_the_choice_to_the_mip(budget, monkeypatch):
    import planner.models.headquarters as headquarters

    scenario = Scenario.from_dict(MONEY_ONLY)
    ds = _two_communes(renovation_budget=budget)
    calls = []
    real = headquarters._assignment_optimum

    def spy(*args):
        calls.append(real(*args))
        return calls[-1]

    monkeypatch.setattr(headquarters, "_assignment_optimum", spy)
    if budget is not None and budget < 60e6:  # the LP's plan (A1 extended for 60 M, B1) is over budget: the MIP explains
        with pytest.raises(PlanInfeasible, match="renovation budget"):
            plan_sites(ds, scenario, _staff([1, 2]))
        assert calls[0] == (None, None)
        return
    fast = plan_sites(ds, scenario, _staff([1, 2]))
    assert calls[0][0] is not None and fast.solves[0].objective == pytest.approx(60e6)
    monkeypatch.setattr(headquarters, "_assignment_optimum", lambda *args: (None, None))
    mip = plan_sites(ds, scenario, _staff([1, 2]))
    assert fast.tables["hq_plan"].equals(mip.tables["hq_plan"])
    assert fast.solves[0].objective == pytest.approx(mip.solves[0].objective, rel=1e-12)
