"""Re-solving staffing when the headquarters move (the pipeline's sites re-fit rounds) gives the plan a fresh solve
gives, without rebuilding the model or repeating the fairness search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import PlanInfeasible
from planner.models import staffing
from planner.models.staffing import StaffingPlanner, plan_staffing
from test_staffing import kpi, random_province, scenario


def moved_headquarters(ds, shifts: list[tuple[float, float]]) -> pd.DataFrame:
    """An hq_plan with each commune's HQ moved from its centre by (dlon, dlat) degrees."""
    communes = ds["communes"]
    return pd.DataFrame({"commune_code": communes["code"].to_numpy(),
                         "lon": communes["lon"].to_numpy(float) + [s[0] for s in shifts[:len(communes)]],
                         "lat": communes["lat"].to_numpy(float) + [s[1] for s in shifts[:len(communes)]]})


shift = st.tuples(st.floats(-0.2, 0.2), st.floats(-0.2, 0.2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_province(), st.lists(shift, min_size=3, max_size=3), st.lists(shift, min_size=3, max_size=3),
       st.booleans())
def test_a_moved_headquarters_resolve_equals_a_fresh_solve(case, first, second, fairness):
    ds, _ = case
    settings_ = scenario(fairness=fairness)
    hq1, hq2 = moved_headquarters(ds, first), moved_headquarters(ds, second)
    try:
        fresh = plan_staffing(ds, settings_, hq=hq2)
    except PlanInfeasible:
        return
    planner = StaffingPlanner(ds, settings_)
    arcs_before = planner.arcs[["off", "slot"]].copy()
    planner.place(hq1)
    solves_before, searched = len(planner.solves), planner.solver.best_ratio is not None
    headcount = planner.place(hq2)
    again = planner.result()
    pd.testing.assert_frame_equal(planner.arcs[["off", "slot"]], arcs_before)  # the same candidates: costs moved only
    for name in ("objective", "max_commune_shortage_ratio", "total_shortage", "assigned"):
        assert kpi(again, name) == pytest.approx(kpi(fresh, name), abs=1e-6), name
    assert len(again.tables["assignments"]) == int(headcount["headcount"].sum())
    if searched:  # z* is known from the first placement: no search again
        assert "staffing_fairness" not in {s.model for s in planner.solves[solves_before:]}


def test_candidates_are_chosen_by_the_commune_centre_not_the_headquarters():
    """An HQ moved 40 km away does not take the commune out of an official's reach (radius 25 km from the centre),
    but the commute is priced to the HQ."""
    from test_staffing import province

    ds = province([{"field": "office"}], [{"field": "office", "min_count": 1, "max_count": 1}], n_communes=1)
    near = scenario(fairness=False, candidate_radius_km=25, max_candidate_communes=None)
    centre = plan_staffing(ds, near, hq=None)
    far = moved_headquarters(ds, [(0.0, 0.36)])  # about 40 km north
    moved = plan_staffing(ds, near, hq=far)
    assert len(moved.tables["assignments"]) == len(centre.tables["assignments"]) == 1
    km = moved.tables["assignments"]["distance_km"].iloc[0]
    assert km == pytest.approx(staffing.haversine_km(ds["communes"]["lon"].iloc[0], ds["communes"]["lat"].iloc[0] + 0.36,
                                                      ds["communes"]["lon"].iloc[0], ds["communes"]["lat"].iloc[0]), abs=0.5)
    assert km > 25
    assert np.isclose(kpi(moved, "total_commute_km"), km, atol=0.01)


@pytest.mark.parametrize("lowest_first", [0, 1, 3])
def test_the_fairness_search_with_skips_finds_the_mip_ratio(tiny_ds, monkeypatch, lowest_first):
    """The search (from the lowest ratio not ruled out, then binary; skipping the ratios a failed one's least excess
    rules out) ends on the ratio a direct MIP finds, on a province where some commune is short, however many probes
    go from below before the bisection (0: bisection only)."""
    from test_staffing import _largest_commune_ratio_by_mip

    monkeypatch.setattr(staffing, "LOWEST_FIRST_PROBES", lowest_first)
    settings_ = scenario(fairness=True)
    inputs = staffing.prepare_inputs(tiny_ds, settings_)
    arcs = staffing.candidate_arcs(inputs, settings_.staffing)
    solution = staffing.solve_staffing(inputs, arcs, settings_.staffing, settings_.solver)
    assert solution.best_commune_ratio is not None and solution.best_commune_ratio > 0
    assert solution.best_commune_ratio == pytest.approx(_largest_commune_ratio_by_mip(tiny_ds, settings_), abs=1e-6)
    assert sum(s.model == "staffing_fairness" for s in solution.solves) >= 2  # the search ran
