"""Staffing model: hand-checkable optima, fairness, disruption, pins, infeasibility explanations, properties."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.dataset import Dataset
from planner.geo import haversine_km
from planner.models import staffing
from planner.models.staffing import plan_staffing
from planner.errors import PlanInfeasible
from planner.pipeline import previous_assignments
from planner.scenario import Scenario

LAT = 21.0
LON = [106.0, 106.1, 106.2]  # communes about 10.4 km apart
KM_AB = float(haversine_km(LON[0], LAT, LON[1], LAT))


def _bench_module():
    path = Path(__file__).resolve().parents[1] / "bench" / "staffing_bench.py"
    spec = importlib.util.spec_from_file_location("staffing_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def province(officials: list[dict], norms: list[dict], n_communes: int = 2, pair_costs: list[dict] | None = None) -> Dataset:
    """n communes on a line (codes 1..n, 'Xã A', 'Xã B', ...), one old unit U<k> at each commune."""
    codes = list(range(1, n_communes + 1))
    communes = pd.DataFrame({"code": codes, "name": [f"Xã {'ABC'[k - 1]}" for k in codes], "type": "xa",
                             "area_km2": 50.0, "population": 5000, "lon": LON[:n_communes], "lat": LAT})
    old_units = pd.DataFrame({"id": [f"U{k}" for k in codes], "old_code": codes, "name": [f"Unit {k}" for k in codes],
                              "kind": "xa", "district": "D", "commune_code": codes, "lon": LON[:n_communes], "lat": LAT,
                              "population_share": 1.0})
    rows = []
    for k, spec in enumerate(officials):
        row = {"id": f"O{k + 1}", "name": f"Official {k + 1}", "old_unit_id": "U1", "position": "specialist",
               "field": "office", "qualification": "bachelor", "grade": "specialist", "birth_year": 1980,
               "gender": "female", "eligible_for_leadership": False, "willing_to_relocate": False}
        row.update(spec)
        rows.append(row)
    norm_rows = [{"rule_id": f"R{k}", "commune_type": "any", "min_population": 0, "position": "specialist",
                  "per_10k_residents": 0.0, **n} for k, n in enumerate(norms)]
    frames = {"communes": communes, "old_units": old_units, "officials": pd.DataFrame(rows),
              "staffing_norms": pd.DataFrame(norm_rows)}
    if pair_costs:
        frames["pair_costs"] = pd.DataFrame(pair_costs)
    return Dataset.from_frames(frames, source="test")


def scenario(**staffing_options) -> Scenario:
    staffing_options.setdefault("it_support", {"enabled": False})
    return Scenario.from_dict({"staffing": staffing_options})


def kpi(result, name):
    return next(row["value"] for row in result.kpis if row["kpi"] == name)


def placed(result) -> dict[str, int]:
    a = result.tables["assignments"]
    return dict(zip(a["official_id"], a["commune_code"]))


# ---------------------------------------------------------------------------------------------
# hand-checkable optima
# ---------------------------------------------------------------------------------------------
def test_scarce_it_staff_are_spread_at_least_cost():
    """A needs 2 IT, B needs 1; three IT officials live in A: two stay (bonus 15 each), one commutes to B."""
    ds = province([{"field": "it_digital"}] * 3,
                  [{"field": "it_digital", "min_count": 2, "max_count": 2},
                   {"field": "it_digital", "commune_code": 2, "min_count": 1, "max_count": 1}])
    result = plan_staffing(ds, scenario(fairness=False), hq=None)
    where = placed(result)
    assert sorted(where.values()) == [1, 1, 2]
    assert kpi(result, "objective") == pytest.approx(-15 - 15 + KM_AB, abs=1e-6)
    assert kpi(result, "total_shortage") == 0
    a = result.tables["assignments"]
    mover = a[a["commune_code"] == 2].iloc[0]
    assert mover["distance_km"] == pytest.approx(KM_AB, abs=0.01)
    assert not mover["own_area"]
    stayer = a[a["commune_code"] == 1].iloc[0]
    assert stayer["runner_up_commune"] == 2
    assert stayer["runner_up_extra_cost"] == pytest.approx(KM_AB + 15, abs=1e-3)
    assert len(result.tables["surplus_officials"]) == 0


def test_far_commute_costs_more_unless_willing_to_relocate():
    """Beyond the threshold (5 km here) the far rate applies, except for officials willing to relocate."""
    ds = province([{"field": "it_digital", "old_unit_id": "U2", "willing_to_relocate": False},
                   {"field": "it_digital", "old_unit_id": "U2", "willing_to_relocate": True}],
                  [{"field": "it_digital", "min_count": 1, "max_count": 1}])
    opts = dict(fairness=False, distance_threshold_km=5, cost_per_km=1, far_cost_per_km=4, continuity_bonus=0)
    result = plan_staffing(ds, scenario(**opts), hq=None)
    # one stays in B at cost 0; the willing official takes the commute to A (cheaper for them)
    assert placed(result) == {"O1": 2, "O2": 1}
    assert kpi(result, "objective") == pytest.approx(KM_AB, abs=1e-6)


def test_shortage_has_marginal_value_equal_to_its_penalty():
    ds = province([{"field": "it_digital"}], [{"field": "it_digital", "min_count": 2, "max_count": 2}])
    result = plan_staffing(ds, scenario(fairness=False), hq=None)
    table = result.tables["staffing_by_commune"]
    short = table[table["shortage"] > 0]
    assert short["shortage"].sum() == 3
    assert np.allclose(short["marginal_value"], 1000.0)  # it_digital penalty
    assert short["marginal_value_basis"].str.contains("dual").all()
    needs = result.tables["recruitment_needs"]
    assert needs.set_index("commune_code")["count"].to_dict() == {1: 1, 2: 2}


def test_fairness_spreads_the_shortage():
    """Two IT officials live in A, both communes need 2. Least cost keeps both in A (B short 100%);
    fairness first minimises the largest shortage ratio (50%), so one moves to B."""
    ds = province([{"field": "it_digital"}] * 2, [{"field": "it_digital", "min_count": 2, "max_count": 2}])
    unfair = plan_staffing(ds, scenario(fairness=False), hq=None)
    fair = plan_staffing(ds, scenario(fairness=True), hq=None)
    assert sorted(placed(unfair).values()) == [1, 1]
    assert kpi(unfair, "max_shortage_ratio") == 1.0
    assert sorted(placed(fair).values()) == [1, 2]
    assert kpi(fair, "max_shortage_ratio") == 0.5
    assert kpi(unfair, "max_commune_shortage_ratio") == 1.0
    assert kpi(fair, "max_commune_shortage_ratio") == 0.5
    assert kpi(fair, "objective") == pytest.approx(kpi(unfair, "objective") + KM_AB + 15, abs=1e-6)


def test_commune_fairness_spreads_gaps_when_a_post_cannot_be_filled():
    """Both communes need 1 IT (nobody has IT: every IT post is 100% short, unavoidably) and 2 office staff;
    the two office officials live in A. Least cost keeps both in A: A misses 1 of 3, B 3 of 3 (ratio 1).
    Commune fairness moves one to B: each commune misses 2 of 3 (ratio 2/3, the unavoidable IT gap included),
    at the extra cost of one commute (KM_AB) and one lost continuity bonus (15); the shortage penalties are equal."""
    ds = province([{"field": "office"}] * 2, [{"field": "it_digital", "min_count": 1, "max_count": 1},
                                              {"field": "office", "min_count": 2, "max_count": 2}])
    unfair = plan_staffing(ds, scenario(fairness=False), hq=None)
    fair = plan_staffing(ds, scenario(fairness=True), hq=None)
    assert placed(unfair) == {"O1": 1, "O2": 1}
    assert kpi(unfair, "objective") == pytest.approx(2 * 1000 + 2 * 300 - 2 * 15, abs=1e-6)
    assert kpi(unfair, "max_commune_shortage_ratio") == 1.0
    assert sorted(placed(fair).values()) == [1, 2]
    assert kpi(fair, "objective") == pytest.approx(2 * 1000 + 2 * 300 - 15 + KM_AB, abs=1e-6)
    assert kpi(fair, "max_commune_shortage_ratio") == pytest.approx(2 / 3, abs=1e-4)
    assert kpi(fair, "max_shortage_ratio") == 1.0  # the per-post ratio cannot tell the two plans apart
    assert kpi(fair, "total_shortage") == kpi(unfair, "total_shortage") == 4
    note = next(n for n in fair.notes if n.startswith("Staffing fairness"))
    assert "leaves one commune at 100%" in note and "below 67%" in note
    # a tolerance wide enough to admit the least-cost plan (2/3 x 1.6 >= 1) keeps it
    loose = plan_staffing(ds, scenario(fairness=True, fairness_tolerance=0.6), hq=None)
    assert placed(loose) == placed(unfair)
    assert kpi(loose, "objective") == pytest.approx(kpi(unfair, "objective"), abs=1e-6)


def test_disruption_weight_keeps_the_previous_plan():
    ds = province([{"field": "office"}], [{"field": "office", "min_count": 0, "max_count": 2}])
    previous = pd.DataFrame({"official_id": ["O1"], "commune_code": [2], "position": ["specialist"], "field": ["office"]})
    free = plan_staffing(ds, scenario(fairness=False, disruption_weight=0), hq=None, previous=previous)
    sticky = plan_staffing(ds, scenario(fairness=False, disruption_weight=100), hq=None, previous=previous)
    assert placed(free) == {"O1": 1}
    assert placed(sticky) == {"O1": 2}
    assert result_row(free, "O1")["cost_disruption"] == 0  # weight 0
    assert result_row(sticky, "O1")["cost_disruption"] == 0  # stayed where the previous plan put them


def test_a_change_of_field_in_the_same_commune_is_priced():
    """The previous plan kept O1 in commune 1 in their secondary field: moving them to their primary field there saves the
    retraining cost (20) but costs position_change_weight, so the cheaper of the two decides."""
    ds = province([{"field": "office", "secondary_field": "culture_social"}],
                  [{"field": "office", "min_count": 0, "max_count": 1}, {"field": "culture_social", "min_count": 0, "max_count": 1}],
                  n_communes=1)
    previous = pd.DataFrame({"official_id": ["O1"], "commune_code": [1], "position": ["specialist"], "field": ["culture_social"]})
    cheap = plan_staffing(ds, scenario(fairness=False, position_change_weight=5), hq=None, previous=previous)
    costly = plan_staffing(ds, scenario(fairness=False, position_change_weight=100), hq=None, previous=previous)
    assert result_row(cheap, "O1")["field"] == "office" and result_row(cheap, "O1")["cost_disruption"] == 5
    assert result_row(costly, "O1")["field"] == "culture_social" and result_row(costly, "O1")["cost_disruption"] == 0
    assert kpi(cheap, "positions_changed_from_previous") == 1 and kpi(costly, "positions_changed_from_previous") == 0
    default = plan_staffing(ds, scenario(fairness=False), hq=None, previous=previous)  # half of the default weight 50
    assert result_row(default, "O1")["field"] == "culture_social"


def result_row(result, official_id):
    a = result.tables["assignments"]
    return a[a["official_id"] == official_id].iloc[0]


def test_hq_location_moves_the_commute():
    ds = province([{"field": "office", "old_unit_id": "U2"}], [{"field": "office", "min_count": 1, "max_count": 1}])
    hq = pd.DataFrame({"commune_code": [1, 2], "lon": [LON[0], LON[2]], "lat": [LAT, LAT]})  # B's HQ moved east
    result = plan_staffing(ds, scenario(fairness=False, continuity_bonus=0), hq=hq)
    assert result_row(result, "O1")["distance_km"] == pytest.approx(float(haversine_km(LON[1], LAT, LON[2], LAT)), abs=0.01)


def test_leadership_posts_need_eligible_officials_and_pair_costs_apply():
    ds = province(
        [{"field": "leadership", "position": "chair", "eligible_for_leadership": False},
         {"field": "leadership", "position": "vice_chair", "eligible_for_leadership": True, "old_unit_id": "U2"},
         {"field": "office"}],
        [{"field": "leadership", "position": "chair", "min_count": 1, "max_count": 1},
         {"field": "office", "min_count": 1, "max_count": 1}],
        pair_costs=[{"official_id": "O2", "commune_code": 2, "cost": 0, "forbidden": True},
                    {"official_id": "O3", "commune_code": 1, "cost": 50.0, "forbidden": False}])
    result = plan_staffing(ds, scenario(fairness=False), hq=None)
    where = placed(result)
    assert "O1" not in where  # not eligible: surplus
    assert where["O2"] == 1  # banned from B, the only chair post left is A
    assert where["O3"] == 2  # the planner's +50 on A pushes the office post to B
    surplus = result.tables["surplus_officials"]
    assert surplus["official_id"].tolist() == ["O1"]
    assert surplus["reason"].iloc[0].startswith("no post in field leadership")


def test_secondary_field_and_mismatch():
    ds = province([{"field": "office", "secondary_field": "it_digital"}, {"field": "agriculture"}],
                  [{"field": "it_digital", "min_count": 1, "max_count": 1}], n_communes=1)
    strict = plan_staffing(ds, scenario(fairness=False), hq=None)
    assert placed(strict) == {"O1": 1}
    assert result_row(strict, "O1")["match"] == "secondary"
    assert result_row(strict, "O1")["cost_field"] == 20
    ds = province([{"field": "agriculture"}], [{"field": "it_digital", "min_count": 1, "max_count": 1}], n_communes=1)
    assert placed(plan_staffing(ds, scenario(fairness=False), hq=None)) == {}
    # an IT post needs training in IT (planner/reference/qualification_rules.csv): no mismatch even when allowed
    assert placed(plan_staffing(ds, scenario(fairness=False, allow_mismatch=True), hq=None)) == {}
    ds = province([{"field": "agriculture"}], [{"field": "office", "min_count": 1, "max_count": 1}], n_communes=1)
    loose = plan_staffing(ds, scenario(fairness=False, allow_mismatch=True), hq=None)
    assert result_row(loose, "O1")["match"] == "mismatch"


# ---------------------------------------------------------------------------------------------
# infeasible scenarios explained in plain words
# ---------------------------------------------------------------------------------------------
def test_pins_over_the_ceiling_are_explained():
    ds = province([{"field": "office", "fixed_commune": 2}] * 3 + [{"field": "office"}],
                  [{"field": "office", "min_count": 1, "max_count": 5},
                   {"field": "total", "position": "any", "min_count": 0, "max_count": 2}])
    with pytest.raises(PlanInfeasible) as err:
        plan_staffing(ds, scenario(), hq=None)
    assert err.value.stage == "staffing"
    assert err.value.lines == ["Xã B (2): 3 officials are pinned but the headcount ceiling is 2 (1 over)."]
    conflicts = err.value.conflicts
    assert conflicts[["commune_code", "limit", "over"]].values.tolist() == [[2, "headcount ceiling", 1]]


def test_pins_over_slot_maxima_combine():
    """Pinned officials with secondary fields can use either slot; only the combination is too much."""
    ds = province([{"field": "office", "secondary_field": "justice_civil_status", "fixed_commune": 1}] * 3,
                  [{"field": "office", "min_count": 0, "max_count": 1},
                   {"field": "justice_civil_status", "min_count": 0, "max_count": 1}], n_communes=1)
    with pytest.raises(PlanInfeasible) as err:
        plan_staffing(ds, scenario(), hq=None)
    assert len(err.value.lines) == 1
    assert err.value.lines[0].startswith("Xã A (1), field ")
    assert "(1 over)" in err.value.lines[0]


def test_pinned_leader_not_eligible_and_pinned_to_forbidden_pair():
    ds = province([{"field": "leadership", "position": "chair", "fixed_commune": 1, "fixed_position": "chair"},
                   {"field": "office", "fixed_commune": 2, "old_unit_id": "U2"}],
                  [{"field": "leadership", "position": "chair", "min_count": 1, "max_count": 1},
                   {"field": "office", "min_count": 1, "max_count": 1}],
                  pair_costs=[{"official_id": "O2", "commune_code": 2, "cost": 0, "forbidden": True}])
    with pytest.raises(PlanInfeasible) as err:
        plan_staffing(ds, scenario(), hq=None)
    lines = " ".join(err.value.lines)
    assert "Xã A (1): Official 1 (O1) is pinned as chair but is not eligible for leadership." in lines
    assert "Xã B (2): Official 2 (O2) is pinned there but the pair_costs table forbids" in lines


# ---------------------------------------------------------------------------------------------
# solvers, fixture, optimality against an independent min-cost flow
# ---------------------------------------------------------------------------------------------
def test_cbc_and_highs_agree(tiny_ds):
    highs = plan_staffing(tiny_ds, Scenario.from_dict({"staffing": {"fairness": False}}), hq=None)
    cbc = plan_staffing(tiny_ds, Scenario.from_dict({"solver": {"name": "cbc"}, "staffing": {"fairness": False}}), hq=None)
    assert {s.solver for s in cbc.solves} == {"cbc"}
    assert kpi(cbc, "objective") == pytest.approx(kpi(highs, "objective"), abs=1e-6)


def test_tiny_province_plan(tiny_ds):
    result = plan_staffing(tiny_ds, Scenario(), hq=None)
    a, s = result.tables["assignments"], result.tables["surplus_officials"]
    officials = tiny_ds["officials"]
    assert sorted(pd.concat([a["official_id"], s["official_id"]])) == sorted(officials["id"])
    pins = officials[officials["fixed_commune"].notna()].set_index("id")
    held = a.set_index("official_id").loc[pins.index]
    assert (held["commune_code"].to_numpy() == pins["fixed_commune"].to_numpy()).all()
    assert (held["position"].to_numpy() == pins["fixed_position"].to_numpy()).all()
    assert set(result.tables) >= {"assignments", "surplus_officials", "staffing_by_commune", "recruitment_needs",
                                  "it_coverage", "it_officer_load"}
    assert result.tables["it_coverage"]["covered"].all()
    assert {r["kpi"] for r in result.kpis} >= {"total_shortage", "max_shortage_ratio", "max_commune_shortage_ratio",
                                               "assigned", "surplus_count",
                                               "total_commute_km", "mean_commute_km", "share_own_area",
                                               "it_communes_uncovered", "objective"}


FIELDS = ["office", "it_digital", "accounting_finance"]


@st.composite
def random_province(draw):
    n_communes = draw(st.integers(1, 3))
    n_officials = draw(st.integers(1, 8))
    officials = []
    for _ in range(n_officials):
        leader = draw(st.booleans())
        spec = {"field": "leadership" if leader else draw(st.sampled_from(FIELDS)),
                "position": "vice_chair" if leader else "specialist",
                "eligible_for_leadership": draw(st.booleans()),
                "old_unit_id": f"U{draw(st.integers(1, n_communes))}",
                "willing_to_relocate": draw(st.booleans())}
        if not leader and draw(st.booleans()):
            spec["secondary_field"] = draw(st.sampled_from(FIELDS))
        if draw(st.integers(0, 4)) == 0:
            spec["fixed_commune"] = draw(st.integers(1, n_communes))
        officials.append(spec)
    norms = [{"field": f, "min_count": draw(st.integers(0, 2)), "max_count": draw(st.integers(2, 3))} for f in FIELDS]
    norms.append({"field": "leadership", "position": "vice_chair", "min_count": 1, "max_count": draw(st.integers(1, 2))})
    norms.append({"field": "total", "position": "any", "min_count": 0, "max_count": draw(st.integers(2, 6))})
    bans = [{"official_id": f"O{i + 1}", "commune_code": draw(st.integers(1, n_communes)), "cost": 0.0, "forbidden": True}
            for i in range(n_officials) if draw(st.integers(0, 3)) == 0]
    bans = list({(b["official_id"], b["commune_code"]): b for b in bans}.values())
    return province(officials, norms, n_communes=n_communes, pair_costs=bans or None), draw(st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_province())
def test_random_plans_keep_every_rule(case):
    ds, fairness = case
    try:
        result = plan_staffing(ds, scenario(fairness=fairness), hq=None)
    except PlanInfeasible as err:  # only pins can make it infeasible, and the explanation must say where
        assert ds["officials"]["fixed_commune"].notna().any()
        assert err.lines and all("Xã" in line or "commune" in line for line in err.lines)
        return
    officials = ds["officials"].set_index("id")
    a, s = result.tables["assignments"], result.tables["surplus_officials"]
    outcomes = pd.concat([a["official_id"], s["official_id"]])
    assert sorted(outcomes) == sorted(officials.index)  # every official exactly once
    ceiling = int(ds["staffing_norms"].set_index("field").loc["total", "max_count"])
    assert (a.groupby("commune_code").size() <= ceiling).all()
    maxima = ds["staffing_norms"].set_index("field")["max_count"]
    assert (a.groupby(["commune_code", "field"]).size() <= maxima.reindex(
        a.groupby(["commune_code", "field"]).size().index.get_level_values(1)).to_numpy()).all()
    pinned = officials[officials["fixed_commune"].notna()]
    assert (a.set_index("official_id").reindex(pinned.index)["commune_code"].to_numpy() == pinned["fixed_commune"].to_numpy()).all()
    leaders = a[a["position"].isin(["chair", "vice_chair"])]
    assert officials.loc[leaders["official_id"], "eligible_for_leadership"].all()
    fields = officials.loc[a["official_id"], ["field", "secondary_field"]]
    assert ((fields["field"].to_numpy() == a["field"].to_numpy())
            | (fields["secondary_field"].fillna("").to_numpy() == a["field"].to_numpy())).all()
    bans = ds["pair_costs"]
    if len(bans):
        hit = a.merge(bans.astype({"commune_code": int}), left_on=["official_id", "commune_code"],
                      right_on=["official_id", "commune_code"])
        assert hit.empty
    if not fairness:  # least cost: equal to an independent min-cost flow on the same candidates
        bench = _bench_module()
        options = scenario(fairness=False).staffing
        inputs = staffing.prepare_inputs(ds, scenario(fairness=False))
        arcs = staffing.candidate_arcs(inputs, options)
        flow, _ = bench.min_cost_flow_objective(inputs, arcs, options)
        assert kpi(result, "objective") == pytest.approx(flow, rel=1e-6, abs=1e-6)


def _largest_commune_ratio_by_mip(ds, scen) -> float:
    """Independent check of stage 1: minimise the largest commune shortage ratio directly as a MIP (the model without
    fairness, plus a column Z and one row per commune: its slots' shortages - minimum headcount x Z <= 0)."""
    from dataclasses import replace

    from planner.solver import ArraySession

    options = scen.staffing.model_copy(update={"fairness": False})
    inputs = staffing.prepare_inputs(ds, scen)
    arcs = staffing.candidate_arcs(inputs, options)
    model = staffing.build_model(inputs, arcs, options)
    a = model.arrays
    n_rows, n_cols = a.shape
    minimum = inputs.slots["required_min"].to_numpy(dtype=float)
    codes = inputs.slots["commune_code"].to_numpy()
    starts, index, value = list(a.start), list(a.index), list(a.value)
    row_lower, row_upper = list(a.row_lower), list(a.row_upper)
    for code in np.unique(codes[minimum > 0]):
        short = (codes == code) & (minimum > 0)
        index += list(model.shortage[short]) + [n_cols]
        value += [1.0] * int(short.sum()) + [-minimum[short].sum()]
        starts.append(len(index))
        row_lower.append(-np.inf)
        row_upper.append(0.0)
    cost = np.zeros(n_cols + 1)
    cost[n_cols] = 1.0
    mip = replace(a, cost=cost, lower=np.append(a.lower, 0.0), upper=np.append(a.upper, 1.0), row_lower=row_lower,
                  row_upper=row_upper, start=np.array(starts), index=np.array(index), value=np.array(value))
    integer = np.zeros(n_cols + 1, dtype=bool)
    integer[model.x] = True
    integer[model.surplus[model.surplus >= 0]] = True
    session = ArraySession(mip, scen.solver)
    assert session.solve("largest_ratio", integer=integer).status == "optimal"
    return session.x[n_cols]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_province())
def test_fairness_never_leaves_a_commune_worse_off(case):
    """Fairness on: the largest commune shortage ratio is at most the least-cost plan's, at no lower cost,
    the LP answer is integral (no MIP fallback), and stage 1 finds the same best ratio as a direct MIP."""
    ds, _ = case
    try:
        unfair = plan_staffing(ds, scenario(fairness=False), hq=None)
    except PlanInfeasible:
        return
    fair_scenario = scenario(fairness=True)
    fair = plan_staffing(ds, fair_scenario, hq=None)
    ratios = staffing.commune_shortage_ratios(fair.tables["staffing_by_commune"])
    assert kpi(fair, "max_commune_shortage_ratio") == pytest.approx(ratios.max() if len(ratios) else 0.0, abs=1e-4)
    assert kpi(fair, "max_commune_shortage_ratio") <= kpi(unfair, "max_commune_shortage_ratio") + 1e-9
    assert kpi(fair, "objective") >= kpi(unfair, "objective") - 1e-6
    assert "staffing_mip" not in {s.model for s in fair.solves}
    inputs = staffing.prepare_inputs(ds, fair_scenario)
    arcs = staffing.candidate_arcs(inputs, fair_scenario.staffing)
    solution = staffing.solve_staffing(inputs, arcs, fair_scenario.staffing, fair_scenario.solver)
    if solution.best_commune_ratio is not None:
        assert solution.best_commune_ratio == pytest.approx(_largest_commune_ratio_by_mip(ds, fair_scenario), abs=1e-6)
        bound = solution.best_commune_ratio * (1 + fair_scenario.staffing.fairness_tolerance) + 1e-6
        assert kpi(fair, "max_commune_shortage_ratio") <= bound + 1e-4


def test_previous_plan_is_read_from_the_scenario_path(tmp_path):
    ds = province([{"field": "office"}], [{"field": "office", "min_count": 0, "max_count": 2}])
    path = tmp_path / "assignments.csv"
    pd.DataFrame({"official_id": ["O1"], "commune_code": [2], "position": ["specialist"], "field": ["office"]}).to_csv(path, index=False)
    settings = scenario(fairness=False, disruption_weight=100, previous_plan=str(path))
    result = plan_staffing(ds, settings, hq=None, previous=previous_assignments(settings))  # the pipeline reads it
    assert placed(result) == {"O1": 2}


def test_surplus_reason_names_field_and_radius():
    ds = province([{"field": "office"}, {"field": "office"}, {"field": "health"}],
                  [{"field": "office", "min_count": 1, "max_count": 1}], n_communes=1)
    result = plan_staffing(ds, scenario(fairness=False, candidate_radius_km=25, max_candidate_communes=None), hq=None)
    reasons = result.tables["surplus_officials"].set_index("official_id")["reason"]
    assert reasons["O3"] == "no post in field health within 25 km"
    assert reasons.drop("O3").str.startswith("no vacancy in field office within 25 km").all()


def test_scenario_override_of_the_ceiling_makes_pins_infeasible():
    ds = province([{"field": "office", "fixed_commune": 1}] * 2, [{"field": "office", "min_count": 0, "max_count": 3}],
                  n_communes=1)
    assert len(plan_staffing(ds, scenario(), hq=None).tables["assignments"]) == 2
    tight = Scenario.from_dict({"staffing": {"it_support": {"enabled": False}},
                                "norm_overrides": [{"field": "total", "position": "any", "max_count": 1}]})
    with pytest.raises(PlanInfeasible) as err:
        plan_staffing(ds, tight, hq=None)
    assert err.value.lines == ["Xã A (1): 2 officials are pinned but the headcount ceiling is 1 (1 over)."]


def test_fairness_with_cbc_matches_highs():
    ds = province([{"field": "it_digital"}] * 2, [{"field": "it_digital", "min_count": 2, "max_count": 2}])
    highs = plan_staffing(ds, scenario(fairness=True), hq=None)
    cbc = plan_staffing(ds, Scenario.from_dict({"solver": {"name": "cbc"}, "staffing": {"it_support": {"enabled": False}}}), hq=None)
    assert {s.solver for s in cbc.solves} == {"cbc"}
    assert sorted(placed(cbc).values()) == [1, 2]
    assert kpi(cbc, "objective") == pytest.approx(kpi(highs, "objective"), abs=1e-6)


def test_verification_refuses_a_broken_plan(tiny_ds):
    from planner.errors import PlanInconsistent

    options = Scenario().staffing
    inputs = staffing.prepare_inputs(tiny_ds, Scenario())
    arcs = staffing.candidate_arcs(inputs, options)
    solution = staffing.solve_staffing(inputs, arcs, options, Scenario().solver)
    good = staffing.assignments_table(inputs, solution)
    surplus = staffing.surplus_table(inputs, solution, staffing.staffing_by_commune_table(inputs, solution), options)
    staffing.verify_staffing(inputs, good, surplus, options)  # the real plan passes
    chair = good.index[good["position"] == "chair"][0]
    broken = {
        "duplicate": pd.concat([good, good.iloc[[0]]]),
        "lost": good.iloc[1:],
        "pin moved": good.assign(commune_code=np.where(good.index == chair, 999, good["commune_code"])),
        "ineligible leader": good.assign(position=np.where(good["field"] == "office", "chair", good["position"]),
                                         field=np.where(good["field"] == "office", "leadership", good["field"])),
        "over the ceiling": pd.concat([good] * 1).assign(commune_code=101),
    }
    for what, table in broken.items():
        with pytest.raises(PlanInconsistent):
            staffing.verify_staffing(inputs, table, surplus, options)
