"""Headquarters of each new commune, then service points so every old unit's residents are near one.

Two models, solved one after the other (the HQ is the leaders' decision; service points fill the gaps):

1. HQ choice (MIP). Candidate pairs: every building within hq_candidate_radius_km of the commune's
   centre, plus the buildings of the commune's own old units. A pair costs (all in VND)
     renovation (poor/unusable buildings only) + extension of missing floor area at extension_cost_per_m2
     + citizen travel: sum over the commune's old units of residents x km x citizen_cost_per_km / 1000
     + staff commute: planned staff x mean km from the homes of the commune's current officials
       (or from its old units when it has none) x staff_commute_cost_per_km,
   travel and commute cost points turned into VND with vnd_per_cost_point.
   Rows: one HQ per commune, at most one HQ per building, renovation + extension <= renovation budget.
   Without the budget row this is an assignment problem whose LP optimum is integral: that LP is solved
   first, and its plan is the MIP's optimum whenever it fits the budget (else the MIP runs).
2. Service points: capacitated facility location (planner.models.facility_location) over the
   buildings left, owned by the commune's old units. Customers are old units (residents), sites are
   the HQ (always open, no fixed cost) and candidate buildings (service_point_fixed_cost plus
   renovation when poor/unusable, within what is left of the renovation budget), arcs only within
   service_distance_km. Old units with no building within reach, or that capacity/budget cannot
   serve, are explained shortfalls served by the HQ, never a crash: the fewest residents left to it first
   (a price per resident above any plan's cost), then the cheapest plan. The model falls apart by commune
   (service points serve their own commune's old units; only the budget links communes, when it binds),
   see planner.models.facility_location.

SitesPlanner prepares what no headcount changes once and plans again for each headcount of the staffing
re-fit rounds (plan_sites is one such plan).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from ..dataset import Dataset
from ..geo import distance_matrix_km, haversine_km
from ..messages import message, number, with_vietnamese
from ..derived import (buildings_with_commune, cost_parameter, official_locations, old_unit_residents, planned_headcount,
                       renovation_budget, required_office_area, service_point_fixed_cost)
from ..errors import PlanInconsistent, PlanInfeasible
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import Scenario, SolverOptions
from ..solver import ArrayModel, ArraySession, SolveInfo, SolveStatus, solve, time_limit_notes, usable
from .facility_location import explain_infeasible, solve_facility_location
from .lp import add_rows, gc_paused, linear_rows, values

STAGE = "sites"


# ---------------------------------------------------------------- 1. headquarters
class HqCandidates:
    """Candidate (commune, building) pairs: the distances, residents and commutes are prepared once per
    (dataset, scenario); `pairs(headcount)` adds what the headcount changes (required area, extension, commute)."""

    def __init__(self, ds: Dataset, scenario: Scenario):
        self.scenario = scenario
        opts = scenario.assets
        communes = ds["communes"]
        self.codes = codes = communes["code"].astype(int).to_numpy()
        bld = buildings_with_commune(ds)
        units = old_unit_residents(ds)
        centre_km = distance_matrix_km(communes["lon"], communes["lat"], bld["lon"], bld["lat"])
        own = codes[:, None] == bld["commune_code"].to_numpy(dtype=float, na_value=np.nan)[None, :]
        self.c_idx, self.b_idx = c_idx, b_idx = np.nonzero((centre_km <= opts.hq_candidate_radius_km) | own)
        self.bld = bld

        # residents-km per commune x building (old units aggregated by commune)
        unit_km = distance_matrix_km(units["lon"], units["lat"], bld["lon"], bld["lat"])
        pos = pd.Series(np.arange(len(codes)), index=codes)
        unit_commune = pos.reindex(units["commune_code"]).to_numpy()
        weights = np.zeros((len(codes), len(units)))
        valid = ~np.isnan(unit_commune)
        weights[unit_commune[valid].astype(int), np.flatnonzero(valid)] = units["residents"].to_numpy()[valid]
        residents_km = weights @ unit_km
        residents = weights.sum(axis=1)
        citizen_mean = np.divide(residents_km, residents[:, None], out=np.zeros_like(residents_km), where=residents[:, None] > 0)

        # staff commute: mean km from current officials' homes (else the commune's old units)
        homes = official_locations(ds).rename(columns={"own_commune": "commune_code", "home_lon": "lon", "home_lat": "lat"})
        home_commune = pos.reindex(homes["commune_code"]).to_numpy()
        counts = np.zeros((len(codes), len(homes)))
        ok = ~np.isnan(home_commune)
        counts[home_commune[ok].astype(int), np.flatnonzero(ok)] = 1.0
        n_home = counts.sum(axis=1)
        home_km = counts @ distance_matrix_km(homes["lon"], homes["lat"], bld["lon"], bld["lat"]) if len(homes) else np.zeros((len(codes), len(bld)))
        unit_count = np.zeros((len(codes), len(units)))
        unit_count[unit_commune[valid].astype(int), np.flatnonzero(valid)] = 1.0
        n_units = unit_count.sum(axis=1)[:, None]
        unit_mean = np.divide(unit_count @ unit_km, n_units, out=np.zeros((len(codes), len(bld))), where=n_units > 0)
        staff_mean = np.where(n_home[:, None] > 0, home_km / np.maximum(n_home, 1)[:, None], unit_mean)

        populated = valid & (units["residents"].to_numpy() > 0)
        max_km = (pd.DataFrame(unit_km[populated]).groupby(unit_commune[populated].astype(int)).max()
                  .reindex(range(len(codes))).fillna(0.0).to_numpy())
        self.floor = bld["floor_area_m2"].to_numpy()[b_idx]
        self.extension_rate = cost_parameter(ds, "extension_cost_per_m2", 0.0) or 0.0
        self.fixed = pd.DataFrame({
            "commune_code": codes[c_idx], "building_id": bld["building_id"].to_numpy()[b_idx],
            "renovation_cost_vnd": bld["mandatory_renovation_vnd"].to_numpy()[b_idx],
            "citizen_mean_km": citizen_mean[c_idx, b_idx], "citizen_max_km": max_km[c_idx, b_idx],
            "staff_mean_km": staff_mean[c_idx, b_idx], "distance_to_centre_km": centre_km[c_idx, b_idx],
            "_c": c_idx, "_b": b_idx,
            "citizen_cost_vnd": residents_km[c_idx, b_idx] / 1000.0 * opts.citizen_cost_per_km * opts.vnd_per_cost_point,
        })

    def pairs(self, headcount: pd.DataFrame) -> pd.DataFrame:
        """The pairs with their renovation, extension, travel and commute costs for this headcount."""
        opts = self.scenario.assets
        need = required_office_area(self.scenario, headcount, self.codes)
        required, staff = need["required_area_m2"].to_numpy()[self.c_idx], need["planned_staff"].to_numpy()[self.c_idx]
        f = self.fixed
        extension_m2 = np.maximum(required - self.floor, 0.0)
        pairs = pd.DataFrame({
            "commune_code": f["commune_code"], "building_id": f["building_id"], "renovation_cost_vnd": f["renovation_cost_vnd"],
            "extension_m2": extension_m2, "extension_cost_vnd": extension_m2 * self.extension_rate,
            "required_area_m2": required, "planned_staff": staff,
            "citizen_mean_km": f["citizen_mean_km"], "citizen_max_km": f["citizen_max_km"], "staff_mean_km": f["staff_mean_km"],
            "distance_to_centre_km": f["distance_to_centre_km"], "_c": f["_c"], "_b": f["_b"],
            "citizen_cost_vnd": f["citizen_cost_vnd"],
        })
        pairs["commute_cost_vnd"] = staff * pairs["staff_mean_km"] * opts.staff_commute_cost_per_km * opts.vnd_per_cost_point
        pairs["budget_vnd"] = pairs["renovation_cost_vnd"] + pairs["extension_cost_vnd"]
        pairs["cost_vnd"] = pairs["budget_vnd"] + pairs["citizen_cost_vnd"] + pairs["commute_cost_vnd"]
        return pairs


def _hq_model(pairs: pd.DataFrame, n_communes: int, n_buildings: int, budget: float | None, objective_column: str = "cost_vnd"):
    """The HQ MIP: one HQ per commune, one commune per building, renovation + extension within the budget."""
    with gc_paused():
        problem = pulp.LpProblem("headquarters", pulp.LpMinimize)
        pick = [pulp.LpVariable(f"hq_{k}", 0, 1, pulp.LpBinary) for k in range(len(pairs))]
        problem += pulp.LpAffineExpression(dict(zip(pick, pairs[objective_column].to_numpy(float))))
        add_rows(problem, "one_hq", linear_rows(pairs["_c"].to_numpy(), n_communes, pick), pulp.LpConstraintEQ, 1.0)
        add_rows(problem, "one_commune_per_building", linear_rows(pairs["_b"].to_numpy(), n_buildings, pick),
                 pulp.LpConstraintLE, 1.0)
        if budget is not None:
            add_rows(problem, "renovation_budget", [pulp.LpAffineExpression(dict(zip(pick, pairs["budget_vnd"].to_numpy(float))))],
                     pulp.LpConstraintLE, budget)
    return problem, pick


def _assignment_optimum(pairs: pd.DataFrame, n_communes: int, n_buildings: int, budget: float | None,
                        options: SolverOptions, build_seconds: float,
                        sessions: dict | None = None) -> tuple[np.ndarray | None, SolveInfo | None]:
    """The HQ MIP's optimum from one LP when the budget row does not bind: without that row the model is an
    assignment problem (one building per commune, at most one commune per building), whose LP optimum is
    integral (bipartite matching), built as arrays in milliseconds; if that plan's renovation + extension
    fits the budget it is optimal for the MIP too (dropping a row can only lower the optimum). Returns
    (picked pairs mask, solve record), or (None, None) when the budget binds or the LP has no integral
    plan (then the MIP decides and explains). sessions (the caller's dict): the LP stays loaded in HiGHS
    under "headquarters" and a later call with the same pairs only changes its costs (warm start)."""
    start = time.perf_counter()
    n = len(pairs)
    cost = pairs["cost_vnd"].to_numpy(float)
    session = (sessions or {}).get("headquarters")
    warm = session is not None and session.model.shape == (n_communes + n_buildings, n)
    if warm:
        session.set_objective(cost)
    else:
        rows = np.concatenate([pairs["_c"].to_numpy(np.int64), n_communes + pairs["_b"].to_numpy(np.int64)])
        order = np.argsort(rows, kind="stable")
        n_rows = n_communes + n_buildings
        model = ArrayModel(cost=cost, lower=np.zeros(n), upper=np.ones(n),
                           row_lower=np.r_[np.ones(n_communes), np.full(n_buildings, -np.inf)], row_upper=np.ones(n_rows),
                           start=np.searchsorted(rows[order], np.arange(n_rows + 1)), index=np.tile(np.arange(n), 2)[order],
                           value=np.ones(2 * n))
        session = ArraySession(model, options)
        if sessions is not None:
            sessions["headquarters"] = session
    # after a change of costs only, the last basis stays feasible: the primal simplex goes on from it
    info = session.solve("headquarters", build_seconds + time.perf_counter() - start, primal=warm)
    if info.status != SolveStatus.optimal or session.x is None or len(session.x) != n:
        return None, None
    if np.abs(session.x - np.round(session.x)).max(initial=0.0) > 1e-6:
        return None, None
    picked = session.x > 0.5
    if budget is not None and float(pairs["budget_vnd"].to_numpy(float)[picked].sum()) > budget:
        return None, None
    return picked, info


def _explain_hq_infeasible(ds: Dataset, scenario: Scenario, pairs: pd.DataFrame, budget: float | None,
                           n_buildings: int) -> PlanInfeasible:
    """Plain words: which commune has no candidate building, or the minimum renovation budget needed."""
    communes = ds["communes"]
    names = communes.set_index("code")["name"].astype(str)
    missing = sorted(set(communes["code"].astype(int)) - set(pairs["commune_code"]))
    if missing and n_buildings == 0:
        return PlanInfeasible(STAGE, [message("hq_no_buildings")],
                              pd.DataFrame({"commune_code": missing, "commune_name": [names[c] for c in missing]}))
    if missing:
        bld = buildings_with_commune(ds)
        rows = []
        for code in missing:
            c = communes[communes["code"] == code].iloc[0]
            km = haversine_km(c["lon"], c["lat"], bld["lon"], bld["lat"]) if len(bld) else np.array([np.inf])
            rows.append({"commune_code": code, "commune_name": names[code], "nearest_building_km": float(np.min(km))})
        lines = [message("hq_no_candidate", commune=r["commune_name"], nearest=f"{r['nearest_building_km']:.1f}",
                         limit=f"{scenario.assets.hq_candidate_radius_km:g}",
                         needed=f"{np.ceil(r['nearest_building_km']):.0f}") for r in rows]
        return PlanInfeasible(STAGE, lines, pd.DataFrame(rows))
    # the minimum budget: the cheapest renovation + extension over all feasible HQ plans (no budget row)
    problem, pick = _hq_model(pairs, len(communes), n_buildings, None, objective_column="budget_vnd")
    info = solve(problem, scenario.solver, "headquarters_min_budget", 0.0)
    if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
        crowded = pairs.groupby("commune_code")["building_id"].nunique().sort_values().head(5)
        lines = [message("hq_too_few_candidates", communes=", ".join(f"{names[c]} ({n})" for c, n in crowded.items()))]
        return PlanInfeasible(STAGE, lines, crowded.rename("candidate_buildings").reset_index())
    chosen = pairs[values(pick) > 0.5]
    needed = float(chosen["budget_vnd"].sum())
    paid = chosen[chosen["budget_vnd"] > 0].assign(commune_name=lambda d: d["commune_code"].map(names))
    conflicts = paid[["commune_code", "commune_name", "building_id", "renovation_cost_vnd", "extension_m2",
                      "extension_cost_vnd", "budget_vnd"]].sort_values("budget_vnd", ascending=False).reset_index(drop=True)
    shown = ", ".join(f"{r.commune_name} ({r.building_id}: {r.budget_vnd:,.0f} VND)" for r in conflicts.head(10).itertuples())
    more = message("and_more_in_conflicts", count=len(conflicts) - 10) if len(conflicts) > 10 else ""
    lines = [message("hq_budget_short", budget=number(budget), needed=number(needed), short=number(needed - budget)),
             message("hq_budget_paid", count=len(conflicts), shown=shown, more=more),
             message("hq_budget_advice")]
    return PlanInfeasible(STAGE, lines, conflicts)


def choose_headquarters(ds: Dataset, scenario: Scenario, headcount: pd.DataFrame, candidates: HqCandidates | None = None,
                        sessions: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Solve the HQ MIP; return hq_plan (one row per commune) and the solver runs. candidates and sessions
    (see SitesPlanner) carry what earlier calls prepared."""
    start = time.perf_counter()
    communes = ds["communes"].reset_index(drop=True)
    candidates = candidates or HqCandidates(ds, scenario)
    bld = candidates.bld
    pairs = candidates.pairs(headcount)
    budget = renovation_budget(ds, scenario)
    if set(communes["code"].astype(int)) - set(pairs["commune_code"]):
        raise _explain_hq_infeasible(ds, scenario, pairs, budget, len(bld))
    picked, info = _assignment_optimum(pairs, len(communes), len(bld), budget, scenario.solver,
                                       time.perf_counter() - start, sessions)
    if picked is None:
        problem, pick = _hq_model(pairs, len(communes), len(bld), budget)
        info = solve(problem, scenario.solver, "headquarters", time.perf_counter() - start)
        if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
            raise _explain_hq_infeasible(ds, scenario, pairs, budget, len(bld))
        picked = values(pick) > 0.5
    chosen = pairs[picked].drop(columns=["_c", "_b"])
    hq = (communes[["code", "name"]].rename(columns={"code": "commune_code", "name": "commune_name"})
          .assign(commune_code=lambda d: d["commune_code"].astype(int))
          .merge(chosen, on="commune_code", how="left")
          .merge(bld[["building_id", "building_name", "lon", "lat", "floor_area_m2", "condition", "old_unit_id"]],
                 on="building_id", how="left"))
    cols = ["commune_code", "commune_name", "building_id", "building_name", "old_unit_id", "lon", "lat", "floor_area_m2",
            "condition", "required_area_m2", "extension_m2", "renovation_cost_vnd", "extension_cost_vnd", "planned_staff",
            "citizen_mean_km", "citizen_max_km", "staff_mean_km", "distance_to_centre_km", "citizen_cost_vnd",
            "commute_cost_vnd"]
    hq = hq[cols]
    hq["commune_name"] = hq["commune_name"].astype(str)

    violations = []
    counts = chosen["commune_code"].value_counts()
    violations += [f"commune {c} has {counts.get(c, 0)} headquarters, not 1" for c in communes["code"].astype(int) if counts.get(c, 0) != 1]
    dup = hq["building_id"][hq["building_id"].duplicated()]
    violations += [f"building {b} hosts more than one headquarters" for b in dup]
    spent = float((hq["renovation_cost_vnd"] + hq["extension_cost_vnd"]).sum())
    if budget is not None and spent > budget * (1 + 1e-9) + 1e-6:
        violations.append(f"headquarters spend {spent:,.0f} VND above the renovation budget {budget:,.0f}")
    short = hq[hq["floor_area_m2"] + hq["extension_m2"] < hq["required_area_m2"] - 1e-6]
    violations += [f"{r.commune_name}: {r.floor_area_m2 + r.extension_m2:g} m2 below the required {r.required_area_m2:g}" for r in short.itertuples()]
    if violations:
        raise PlanInconsistent(STAGE, violations)
    return hq, [info]


# ---------------------------------------------------------------- 2. service points
class ServicePoints:
    """Service points for a given set of HQs; what does not depend on the HQs (residents, distances from every
    old unit to every building, the unserved penalty) is prepared once per (dataset, scenario)."""

    def __init__(self, ds: Dataset, scenario: Scenario):
        self.scenario = scenario
        opts = scenario.assets
        units = old_unit_residents(ds)
        self.units = units = units[units["residents"] > 0].reset_index(drop=True)
        self.bld = bld = buildings_with_commune(ds)
        self.fixed = service_point_fixed_cost(ds, scenario)
        self.rate = opts.citizen_cost_per_km / 1000.0 * opts.vnd_per_cost_point
        self.unit_km = distance_matrix_km(units["lon"], units["lat"], bld["lon"], bld["lat"])
        self.position = pd.Series(np.arange(len(bld)), index=bld["building_id"].to_numpy())
        # residents the service points cannot serve are left to the HQ at this price per resident: above the cost of
        # any plan (every site's fixed cost and renovation, every old unit served from service_distance_km) divided by
        # the fewest residents of an old unit, and the same whichever buildings the HQs are
        owned = bld["commune_code"].notna().to_numpy()
        ceiling = (self.fixed * owned.sum() + bld["mandatory_renovation_vnd"].to_numpy(float)[owned].sum()
                   + units["residents"].sum() * opts.service_distance_km * self.rate + 1.0)
        self.penalty = ceiling / max(units["residents"].min() if len(units) else 1.0, 1.0)

    def choose(self, hq: pd.DataFrame, budget_left: float | None, memo: dict | None = None):
        """Facility location for service points; returns (service_points, service_coverage, solves, notes, budget_free):
        budget_free says the outcome does not depend on the budget left (any budget its spend fits gives it too)."""
        scenario, units, bld, fixed, rate = self.scenario, self.units, self.bld, self.fixed, self.rate
        opts = scenario.assets
        hq_sites = pd.DataFrame({"site_id": hq["building_id"].to_numpy(), "commune_code": hq["commune_code"].to_numpy(int),
                                 "lon": hq["lon"].to_numpy(float), "lat": hq["lat"].to_numpy(float),
                                 "capacity": opts.service_capacity, "fixed_cost": 0.0, "budget_cost": 0.0, "must_open": True,
                                 "site_kind": "hq"})
        free = bld[~bld["building_id"].isin(hq["building_id"]) & bld["commune_code"].notna()]
        sp_sites = pd.DataFrame({"site_id": free["building_id"].to_numpy(), "commune_code": free["commune_code"].to_numpy(int),
                                 "lon": free["lon"].to_numpy(float), "lat": free["lat"].to_numpy(float),
                                 "capacity": opts.service_capacity,
                                 "fixed_cost": fixed + free["mandatory_renovation_vnd"].to_numpy(float),
                                 "budget_cost": free["mandatory_renovation_vnd"].to_numpy(float), "must_open": False,
                                 "site_kind": "service_point"})
        sites = pd.concat([hq_sites, sp_sites], ignore_index=True)
        km = self.unit_km[:, self.position.loc[sites["site_id"].to_numpy()].to_numpy()]
        same = units["commune_code"].to_numpy()[:, None] == sites["commune_code"].to_numpy()[None, :]
        u_idx, s_idx = np.nonzero(same & (km <= opts.service_distance_km))
        arcs = pd.DataFrame({"customer_id": units["old_unit_id"].to_numpy()[u_idx], "site_id": sites["site_id"].to_numpy()[s_idx],
                             "km": km[u_idx, s_idx]})
        arcs["cost"] = units["residents"].to_numpy()[u_idx] * arcs["km"].to_numpy() * rate
        reachable = units["old_unit_id"].isin(arcs["customer_id"]).to_numpy()
        customers = pd.DataFrame({"customer_id": units["old_unit_id"][reachable].to_numpy(),
                                  "demand": units["residents"][reachable].to_numpy()})
        solves, notes = [], []
        fl = solve_facility_location(sites, customers, arcs, single_source=opts.single_source, options=scenario.solver,
                                     budget=budget_left, name="service_points", memo=memo, abs_gap=opts.service_point_gap_vnd)
        budget_free = fl.budget_free
        if fl.solve is not None:
            solves.append(fl.solve)
        unserved_reason = {}
        if fl.status not in ("optimal", "time_limit"):
            # some residents cannot be served within capacity or budget: leave them to the HQ, priced far above any plan
            fl = solve_facility_location(sites, customers, arcs, single_source=opts.single_source, options=scenario.solver,
                                         budget=budget_left, unserved_penalty=self.penalty, name="service_points_shortfall",
                                         memo=memo, abs_gap=opts.service_point_gap_vnd)
            budget_free = budget_free and fl.budget_free
            solves.append(fl.solve)
            names = dict(zip(units["old_unit_id"], units["old_unit_name"] + " (" + units["old_unit_id"] + ")"))
            notes += [message("service_points_line", line=line) for line in explain_infeasible(
                sites, customers, arcs, opts.single_source, budget_left, customer_word=message("word_old_unit"),
                facility_word=message("word_service_point"), labels=names, demand_word=message("word_residents"))]
            unserved_reason = {cid: message("over_capacity_or_budget", capacity=number(opts.service_capacity))
                               for cid in fl.unserved["customer_id"]}

        # coverage: allocations, then residents left to the HQ (out of reach or unserved)
        site_info = sites.set_index("site_id")
        alloc = fl.allocation.merge(arcs[["customer_id", "site_id", "km"]], on=["customer_id", "site_id"], how="left")
        cov = pd.DataFrame({"old_unit_id": alloc["customer_id"].to_numpy(), "served_by_building_id": alloc["site_id"].to_numpy(),
                            "distance_km": alloc["km"].to_numpy(float), "share": alloc["share"].to_numpy(float),
                            "within_distance": True, "shortfall": "", "shortfall_vi": ""})
        hq_of = hq.set_index("commune_code")
        left = units[~reachable | units["old_unit_id"].isin(list(unserved_reason))]
        if len(left):
            hq_b = hq_of.loc[left["commune_code"].to_numpy()]
            dist = haversine_km(left["lon"].to_numpy(), left["lat"].to_numpy(), hq_b["lon"].to_numpy(float), hq_b["lat"].to_numpy(float))
            unserved_share = fl.unserved.set_index("customer_id")["unserved_share"] if len(fl.unserved) else pd.Series(dtype=float)
            share = np.where(left["old_unit_id"].isin(unserved_share.index), unserved_share.reindex(left["old_unit_id"]).fillna(1.0), 1.0)
            nearest = np.min(km[units.index[units["old_unit_id"].isin(left["old_unit_id"])]], axis=1) if len(sites) else dist
            reasons = [unserved_reason.get(u, message("no_building_within_km", km=f"{opts.service_distance_km:g}", nearest=f"{n:.1f}"))
                       for u, n in zip(left["old_unit_id"], nearest)]
            left_cov = pd.DataFrame({"old_unit_id": left["old_unit_id"].to_numpy(), "served_by_building_id": hq_b["building_id"].to_numpy(),
                                     "distance_km": dist, "share": share, "within_distance": dist <= opts.service_distance_km})
            cov = pd.concat([cov, with_vietnamese(left_cov, "shortfall", reasons)], ignore_index=True)
            for u, n, r in zip(left["old_unit_name"], left["commune_code"], reasons):
                notes.append(message("left_to_headquarters", unit=u, commune=hq_of.loc[n, "commune_name"], reason=r))
        cov = cov.merge(units[["old_unit_id", "old_unit_name", "commune_code", "residents"]], on="old_unit_id", how="left")
        cov["site_kind"] = site_info["site_kind"].reindex(cov["served_by_building_id"]).to_numpy()
        cov["residents"] = cov["residents"] * cov["share"]
        coverage = cov[["old_unit_id", "old_unit_name", "commune_code", "served_by_building_id", "site_kind", "distance_km",
                        "residents", "share", "within_distance", "shortfall", "shortfall_vi"]].sort_values(["commune_code", "old_unit_id"]).reset_index(drop=True)

        opened = fl.open_sites.merge(sites[["site_id", "commune_code", "site_kind", "budget_cost"]], on="site_id")
        opened = opened[opened["site_kind"] == "service_point"]
        served = coverage.groupby("served_by_building_id")["residents"].sum()
        points = (opened.rename(columns={"site_id": "building_id", "budget_cost": "renovation_cost_vnd"})
                  .merge(bld[["building_id", "building_name", "lon", "lat", "condition"]], on="building_id"))
        points["residents_served"] = served.reindex(points["building_id"]).fillna(0).to_numpy()
        points["old_units_served"] = coverage.groupby("served_by_building_id")["old_unit_id"].nunique().reindex(points["building_id"]).fillna(0).astype(int).to_numpy()
        points["fixed_cost_vnd"] = fixed
        points = points[["building_id", "building_name", "commune_code", "lon", "lat", "residents_served", "capacity",
                         "fixed_cost_vnd", "renovation_cost_vnd", "condition", "old_units_served"]].reset_index(drop=True)
        return points, coverage, solves, notes, budget_free


def _verify_sites(hq: pd.DataFrame, points: pd.DataFrame, coverage: pd.DataFrame, scenario: Scenario,
                  budget: float | None, spent: float) -> None:
    opts = scenario.assets
    violations = []
    both = set(hq["building_id"]) & set(points["building_id"])
    violations += [f"building {b} is both a headquarters and a service point" for b in sorted(both)]
    total = coverage.groupby("old_unit_id")["share"].sum()
    violations += [f"old unit {u} is served {s:.4f} times, not once" for u, s in total.items() if abs(s - 1) > 1e-5]
    inside = coverage[coverage["shortfall"] == ""]
    far = inside[inside["distance_km"] > opts.service_distance_km + 1e-6]
    violations += [f"old unit {r.old_unit_id} served {r.distance_km:.1f} km away, beyond {opts.service_distance_km:g} km" for r in far.itertuples()]
    load = inside.groupby("served_by_building_id")["residents"].sum()
    violations += [f"site {b} serves {v:,.0f} residents, above capacity {opts.service_capacity:,.0f}"
                   for b, v in load.items() if v > opts.service_capacity * (1 + 1e-6)]
    if budget is not None and spent > budget * (1 + 1e-9) + 1e-6:
        violations.append(f"renovation and extension spend {spent:,.0f} VND above the budget {budget:,.0f}")
    if violations:
        raise PlanInconsistent(STAGE, violations)


class SitesPlanner:
    """The sites stage for one (dataset, scenario), planned again for each headcount (the staffing re-fit rounds).

    Built once, it prepares what no headcount changes: HQ candidate pairs with their distances, residents and
    commutes, the old units' distances to every building, the unserved penalty. `plan(headcount)` then re-solves
    only what changed: the HQ assignment LP is kept in HiGHS and only its costs change (warm start); the service
    points are solved again only when the HQ buildings changed, or when the renovation budget left changed and the
    last service-point plan depended on it or no longer fits it (else the last plan is the optimum again and is
    reused: no service-point solve in that result's `solves`); a re-solve skips the communes whose facility-location
    model is the same as before. Results equal those of a fresh `plan_sites` call. `plan` is `finish(*choose(...))`:
    the pipeline chooses HQs alone while staffing re-fits them, and plans the service points once, for the final HQs.
    """

    def __init__(self, ds: Dataset, scenario: Scenario):
        self.ds, self.scenario = ds, scenario
        self.candidates = HqCandidates(ds, scenario)
        self.service_points = ServicePoints(ds, scenario)
        self.budget = renovation_budget(ds, scenario)
        self._sessions: dict = {}  # the HQ assignment LP kept loaded in HiGHS
        self._memo: dict = {}  # facility-location components solved so far -> their optimal values
        self._last = None  # (HQ buildings, budget left, budget_free, spend, service-point outcome) of the last plan

    def plan(self, headcount: pd.DataFrame | None) -> StageResult:
        """HQ per commune and service points for this headcount (None: the norms' minimums); see the module docstring.

        Raises PlanInfeasible (plain words, minimum budget or missing building) when no HQ plan exists.
        """
        return self.finish(*self.choose(headcount))

    def choose(self, headcount: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
        """The HQ per commune alone (hq_plan) for this headcount, and its solver runs; raises like plan."""
        headcount = planned_headcount(self.ds, self.scenario, headcount)
        return choose_headquarters(self.ds, self.scenario, headcount, self.candidates, self._sessions)

    def finish(self, hq: pd.DataFrame, solves: list, notes_before: list | None = None) -> StageResult:
        """The stage result for these HQs (from choose, with its solver runs and any notes): service points with what
        the HQs leave of the renovation budget, the re-check and the KPIs."""
        scenario, budget = self.scenario, self.budget
        opts = scenario.assets
        hq_spend = float((hq["renovation_cost_vnd"] + hq["extension_cost_vnd"]).sum())
        budget_left = None if budget is None else max(budget - hq_spend, 0.0)
        buildings = tuple(zip(hq["commune_code"].tolist(), hq["building_id"].tolist()))
        last = self._last
        if last is not None and last[0] == buildings and (
                last[1] == budget_left or (last[2] and (budget_left is None or last[3] <= budget_left))):
            points, coverage, sp_solves, notes = last[4]
            solved = []  # the last plan is the optimum again: nothing solved in this call
        else:
            points, coverage, sp_solves, notes, budget_free = self.service_points.choose(hq, budget_left, self._memo)
            solved = sp_solves
            self._last = (buildings, budget_left, budget_free, float(points["renovation_cost_vnd"].sum()),
                          (points, coverage, sp_solves, notes))
        points, coverage = points.copy(), coverage.copy()
        notes = list(notes_before or []) + list(notes) + time_limit_notes(solves + sp_solves)
        solves = solves + solved
        spent = hq_spend + float(points["renovation_cost_vnd"].sum())
        _verify_sites(hq, points, coverage, scenario, budget, spent)

        residents = coverage["residents"].sum()
        within = coverage.loc[coverage["within_distance"].astype(bool), "residents"].sum()
        mean_km = float((coverage["distance_km"] * coverage["residents"]).sum() / residents) if residents > 0 else 0.0
        kpis = [
            kpi_row("population_within_service_distance", round(100 * within / residents, 2) if residents else 100.0,
                    km=opts.service_distance_km),
            kpi_row("max_service_travel_km", round(float(coverage["distance_km"].max()), 2) if len(coverage) else 0.0),
            kpi_row("mean_service_travel_km", round(mean_km, 2)),
            kpi_row("mean_citizen_travel_to_hq_km", round(float(np.average(hq["citizen_mean_km"])), 2) if len(hq) else 0.0),
            kpi_row("renovation_budget_used", round(spent)),
            kpi_row("renovation_budget", budget),
            kpi_row("hq_needing_extension", int((hq["extension_m2"] > 0).sum())),
            kpi_row("service_points_opened", len(points)),
        ]
        return StageResult(tables={"hq_plan": hq, "service_points": points, "service_coverage": coverage},
                           kpis=kpis, solves=solves, notes=notes)


def plan_sites(ds: Dataset, scenario: Scenario, headcount: pd.DataFrame | None) -> StageResult:
    """HQ per commune and service points; tables hq_plan, service_points, service_coverage (see module docstring).
    One plan: SitesPlanner(ds, scenario).plan(headcount); keep a SitesPlanner to plan again for other headcounts.

    Raises PlanInfeasible (plain words, minimum budget or missing building) when no HQ plan exists.
    """
    return SitesPlanner(ds, scenario).plan(headcount)
