"""Sites and staffing agree: headquarters are re-sized for the staff the plan assigns, or the shortfall is listed."""

from __future__ import annotations


from planner.dataset import Dataset
from planner.derived import headcount_from_assignments, required_office_area
from planner.pipeline import run_plan
from planner.scenario import Scenario
from tiny import tiny_frames


def kpi(plan, key):
    return plan.kpis.set_index("kpi")["value"][key]


def test_every_hq_fits_the_staff_the_plan_assigns(tiny_ds):
    plan = run_plan(tiny_ds, Scenario(), stages=("sites", "staffing"))
    check = plan.tables["hq_area_check"]
    hq = plan.tables["hq_plan"].set_index("commune_code")
    need = required_office_area(Scenario(), headcount_from_assignments(plan.tables["assignments"]), hq.index)
    available = (hq["floor_area_m2"] + hq["extension_m2"]).reindex(need["commune_code"]).to_numpy()
    assert (available >= need["required_area_m2"].to_numpy() - 1e-6).all()  # recomputed here, not read from the check
    assert (check["missing_m2"] == 0).all() and kpi(plan, "hq_short_of_area") == 0
    assert set(check["assigned"]) == set(need["planned_staff"].astype(int))
    assert 1 <= kpi(plan, "sites_staffing_rounds") <= 3
    assert (hq["planned_staff"].reindex(need["commune_code"]).to_numpy() == need["planned_staff"].to_numpy()).all() or \
        kpi(plan, "sites_staffing_rounds") == 3


def test_when_the_refit_is_refused_the_missing_area_is_listed_with_its_cost(monkeypatch):
    from planner.errors import PlanInfeasible
    from planner.models.headquarters import SitesPlanner

    frames = tiny_frames()
    in_103 = frames["buildings"]["old_unit_id"].isin(["OU5", "OU6", "D1"])
    frames["buildings"].loc[in_103, "floor_area_m2"] = 300.0  # fits the norms' minimum (11 staff), not 14 assigned
    calls = []
    real = SitesPlanner.choose

    def choose_once(self, headcount):
        calls.append(headcount)
        if headcount is not None:
            raise PlanInfeasible("sites", ["the renovation budget is too small"])
        return real(self, headcount)

    monkeypatch.setattr(SitesPlanner, "choose", choose_once)
    plan = run_plan(Dataset.from_frames(frames, source="tiny"), Scenario(), stages=("sites", "staffing"))
    assert len(calls) == 2 and kpi(plan, "sites_staffing_rounds") == 0
    check = plan.tables["hq_area_check"].set_index("commune_code")
    assigned = int((plan.tables["assignments"]["commune_code"] == 103).sum())
    assert assigned > 11 and check.loc[103, "assigned"] == assigned
    need = Scenario().assets.shared_area_factor * (20 * 1 + 20 * 2 + 15 * (assigned - 3))  # Decree 155 m² per position
    assert check.loc[103, "required_area_m2"] == need
    assert check.loc[103, "missing_m2"] == need - 300.0
    assert check.loc[103, "extension_cost_vnd"] == (need - 300.0) * 6e6  # extension_cost_per_m2 of tests/tiny.py
    assert kpi(plan, "hq_short_of_area") == int((check["missing_m2"] > 0).sum()) >= 1
    assert any("could not be re-sized" in note for note in plan.notes)


def test_service_points_are_planned_once_for_the_final_headquarters(tiny_ds):
    """The re-fit rounds choose HQs alone; the service points are solved once, and the sites result is what a fresh
    sites plan for the final staffing plan's headcount gives."""
    import pandas.testing as pdt

    from planner.models.headquarters import plan_sites

    plan = run_plan(tiny_ds, Scenario(), stages=("sites", "staffing"))
    models = plan.solves["model"].tolist()
    assert sum(m.startswith("service_points") for m in models) == 1
    assert models.count("headquarters") == 1 + kpi(plan, "sites_staffing_rounds")
    fresh = plan_sites(tiny_ds, Scenario(), headcount_from_assignments(plan.tables["assignments"]))
    for table in ("hq_plan", "service_points", "service_coverage"):
        pdt.assert_frame_equal(plan.tables[table].reset_index(drop=True), fresh.tables[table].reset_index(drop=True))
