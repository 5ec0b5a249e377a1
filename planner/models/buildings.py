"""A use for every building: headquarters and service points (from the site plan), then the rest (MIP).

Every building not used as a headquarters or service point gets exactly one of
  health | education | culture | sports | police | other_public (facility_needs rows): worth value_vnd
               per building, up to buildings_needed per row, only buildings with at least min_floor_area_m2
  housing      only when assets.housing_for_officials (off by default: not on the national list below):
               public housing for officials whose home is farther than housing_distance_km from their
               assigned commune's HQ (from the staffing plan; housing_m2_per_official each), worth
               housing_value_per_m2_vnd per needed m² covered, and housing rows of facility_needs
  sale_or_lease  worth the book value (only when allow_sale); in practice handed to the provincial
               land-fund development centre for auction or investment
  idle         costs idle_cost_per_m2_year x floor area x idle_years
A building serves needs of its own commune, or of a commune whose centre is within hq_candidate_radius_km.
Poor and unusable buildings need their renovation_cost_vnd before any use except sale or idle; all
renovations share what the site plan left of the renovation budget.

Objective. Official Dispatch 213/CĐ-TTg of the Prime Minister (11 Nov 2025) orders the uses of surplus
houses and land: health, education and training, culture, sports, commune police offices, other public
purposes; what remains is exploited or disposed of (the land-fund centre). The order is data: the
`priority` column of planner/schema/vocab/building_uses.csv (1 = first; housing for officials, when the
province opts in, comes after the listed uses; a use without a priority comes last). With
public_use_first (default) the model is solved lexicographically, one level per priority present:
maximize the needs met of priority 1 (buildings given to those needs), keep that optimum as a row, then
priority 2, and so on; finally maximize value - cost among the plans that keep every level. Lexicographic
levels rather than weights decreasing by priority because the dispatch is a strict order (one health
station is not worth any number of culture houses), and weights large enough to make that true grow
geometrically with the number of needs and levels, which hurts a MIP's numerics; levels keep every
objective on its own scale, add one row per level (the model stays linear in size) and cost one extra
solve of the same model per priority that has a candidate. With public_use_first false: value - cost only.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from .. import vocab
from ..dataset import Dataset
from ..derived import buildings_with_commune, cost_parameter, renovation_budget
from ..geo import distance_matrix_km
from ..messages import message, with_vietnamese
from ..errors import PlanInconsistent
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import Scenario
from ..solver import solve, time_limit_notes, usable
from .lp import add_rows, gc_paused, linear_rows, values

STAGE = "buildings"
USES = vocab.codes("building_uses")


def _use(role: str) -> str:
    """The building-use code that plays a role (headquarters, service_point, housing, sale, idle)."""
    return vocab.role_code("building_uses", role)


def housing_demand(ds: Dataset, scenario: Scenario, staffing) -> pd.DataFrame:
    """commune_code, officials_far, m2_needed: officials assigned farther than housing_distance_km from home."""
    if staffing is None or "assignments" not in staffing.tables:
        return pd.DataFrame({"commune_code": pd.Series(dtype=int), "officials_far": pd.Series(dtype=int),
                             "m2_needed": pd.Series(dtype=float)})
    a = staffing.tables["assignments"]
    far = a[a["commune_code"].notna() & (pd.to_numeric(a["distance_km"], errors="coerce") > scenario.assets.housing_distance_km)]
    out = far.groupby(far["commune_code"].astype(int)).size().rename("officials_far").reset_index()
    out["m2_needed"] = out["officials_far"] * scenario.assets.housing_m2_per_official
    return out


def use_priorities() -> dict[str, float]:
    """Priority of each use a commune can ask for (the building_uses list's `priority`, 1 = first, after Official
    Dispatch 213/CĐ-TTg); a facility-need use without a priority comes after every numbered one."""
    given = vocab.column("building_uses", "priority", numeric=True)
    last = max(given.values(), default=0.0) + 1.0
    return {use: given.get(use, last) for use in vocab.flagged("building_uses", "facility_need")}


def _options(ds: Dataset, scenario: Scenario, free: pd.DataFrame, housing: pd.DataFrame) -> pd.DataFrame:
    """Every (building, use, need) option with value, cost and the use's priority; one row per candidate.
    Housing (for far officials and housing rows of facility_needs) only when assets.housing_for_officials."""
    opts = scenario.assets
    priority = use_priorities()
    idle_rate = (cost_parameter(ds, "idle_cost_per_m2_year", 0.0) or 0.0) * opts.idle_years
    base = free[["building_id", "floor_area_m2", "mandatory_renovation_vnd", "book_value_vnd"]]
    rows = [base.assign(use=_use("idle"), option="disposal", need=0, serves_commune_code=pd.NA, value_vnd=0.0,
                        cost_vnd=base["floor_area_m2"] * idle_rate, budget_vnd=0.0, housing_m2=0.0, priority=np.nan)]
    if opts.allow_sale:
        rows.append(base.assign(use=_use("sale"), option="disposal", need=0, serves_commune_code=pd.NA, value_vnd=base["book_value_vnd"],
                                cost_vnd=0.0, budget_vnd=0.0, housing_m2=0.0, priority=np.nan))
    communes = ds["communes"]
    km = distance_matrix_km(free["lon"], free["lat"], communes["lon"], communes["lat"])
    near = (km <= opts.hq_candidate_radius_km) | (free["commune_code"].to_numpy(dtype=float, na_value=np.nan)[:, None]
                                                  == communes["code"].astype(float).to_numpy()[None, :])
    reach = pd.DataFrame({"building_id": np.repeat(free["building_id"].to_numpy(), len(communes)),
                          "commune_code": np.tile(communes["code"].astype(int).to_numpy(), len(free)),
                          "near": near.ravel()})
    reach = reach[reach["near"]].drop(columns="near")
    needs = ds["facility_needs"].reset_index(drop=True).assign(need=lambda d: np.arange(len(d)))
    if len(needs):
        cand = (needs.assign(commune_code=needs["commune_code"].astype(int)).merge(reach, on="commune_code")
                .merge(base, on="building_id"))
        cand = cand[cand["floor_area_m2"] >= cand["min_floor_area_m2"].astype(float)]
        if not opts.housing_for_officials:
            cand = cand[cand["use"].astype(str) != _use("housing")]
        rows.append(pd.DataFrame({"building_id": cand["building_id"], "floor_area_m2": cand["floor_area_m2"],
                                  "mandatory_renovation_vnd": cand["mandatory_renovation_vnd"], "book_value_vnd": cand["book_value_vnd"],
                                  "use": cand["use"].astype(str), "option": "facility", "need": cand["need"], "serves_commune_code": cand["commune_code"],
                                  "value_vnd": cand["value_vnd"].astype(float), "cost_vnd": cand["mandatory_renovation_vnd"],
                                  "budget_vnd": cand["mandatory_renovation_vnd"], "housing_m2": 0.0,
                                  "priority": cand["use"].astype(str).map(priority).astype(float)}))
    if len(housing) and opts.housing_for_officials:
        cand = housing.merge(reach, on="commune_code").merge(base, on="building_id")
        rows.append(pd.DataFrame({"building_id": cand["building_id"], "floor_area_m2": cand["floor_area_m2"],
                                  "mandatory_renovation_vnd": cand["mandatory_renovation_vnd"], "book_value_vnd": cand["book_value_vnd"],
                                  "use": _use("housing"), "option": "housing", "need": 0, "serves_commune_code": cand["commune_code"],
                                  "value_vnd": 0.0, "cost_vnd": cand["mandatory_renovation_vnd"],
                                  "budget_vnd": cand["mandatory_renovation_vnd"], "housing_m2": cand["floor_area_m2"],
                                  "housing_need_m2": cand["m2_needed"], "priority": priority[_use("housing")]}))
    return pd.concat(rows, ignore_index=True)


def _minimal_housing_rows(cand: pd.DataFrame, pick: list, housing: pd.DataFrame, covered_floor: list):
    """No redundant housing building (else housing would just dodge the idle cost): if building k houses
    commune c, the other housing buildings of c alone leave at least 1 m² of the need uncovered. With F_c the
    housing floor chosen for c (one row per commune defines it, covered_floor), per candidate k:
        F_c - floor_k z_k + M z_k <= need_c - 1 + M,   M = the total candidate floor of c,
    three entries per row: rows and columns linear in the candidates (no row lists all the others)."""
    need = housing.set_index("commune_code")["m2_needed"]
    communes = cand["serves_commune_code"].to_numpy()
    floor = cand["floor_area_m2"].to_numpy(float)
    at = pd.Series(np.arange(len(housing)), index=housing["commune_code"].to_numpy()).reindex(communes).to_numpy()
    big_m = pd.Series(floor).groupby(communes).transform("sum").to_numpy()
    rows = [pulp.LpAffineExpression({covered_floor[c]: 1.0, var: m - f}) for c, var, m, f in zip(at, pick, big_m, floor)]
    rhs = need.reindex(communes).to_numpy(float) - 1.0 + big_m
    return rows, pulp.LpConstraintLE, rhs


def plan_building_uses(ds: Dataset, scenario: Scenario, sites, staffing) -> StageResult:
    """Table building_uses with exactly one row per building (see the module docstring)."""
    start = time.perf_counter()
    opts = scenario.assets
    bld = buildings_with_commune(ds)
    notes = []
    fixed_rows = []
    budget = renovation_budget(ds, scenario)
    spent_by_sites = 0.0
    if sites is None:
        notes.append(message("buildings_without_sites"))
    else:
        hq = sites.tables["hq_plan"]
        sp = sites.tables["service_points"]
        hq_notes = [message("headquarters_extended", commune=c, m2=round(m2, 0)) if m2 > 0 else message("headquarters_of", commune=c)
                    for c, m2 in zip(hq["commune_name"], hq["extension_m2"])]
        fixed_rows.append(with_vietnamese(pd.DataFrame({"building_id": hq["building_id"], "use": _use("headquarters"), "serves_commune_code": hq["commune_code"],
                                                        "value_vnd": 0.0, "cost_vnd": hq["renovation_cost_vnd"] + hq["extension_cost_vnd"]}),
                                          "note", hq_notes))
        sp_notes = [message("service_point_residents", residents=n) for n in sp["residents_served"].round(0).astype(int)]
        fixed_rows.append(with_vietnamese(pd.DataFrame({"building_id": sp["building_id"], "use": _use("service_point"), "serves_commune_code": sp["commune_code"],
                                                        "value_vnd": 0.0, "cost_vnd": sp["fixed_cost_vnd"] + sp["renovation_cost_vnd"]}),
                                          "note", sp_notes))
        spent_by_sites = float((hq["renovation_cost_vnd"] + hq["extension_cost_vnd"]).sum() + sp["renovation_cost_vnd"].sum())
    taken = pd.concat(fixed_rows, ignore_index=True) if fixed_rows else pd.DataFrame(columns=["building_id", "use", "serves_commune_code", "value_vnd", "cost_vnd", "note", "note_vi"])
    budget_left = None if budget is None else max(budget - spent_by_sites, 0.0)
    free = bld[~bld["building_id"].isin(taken["building_id"])].reset_index(drop=True)
    housing = housing_demand(ds, scenario, staffing)
    if staffing is None:
        notes.append(message("buildings_without_staffing"))
    elif len(housing) and not opts.housing_for_officials:
        notes.append(message("housing_not_offered", officials=int(housing["officials_far"].sum()), km=f"{opts.housing_distance_km:g}"))

    # build
    cand = _options(ds, scenario, free, housing) if len(free) else pd.DataFrame()
    solves = []
    if len(cand):
        b_pos = pd.Series(np.arange(len(free)), index=free["building_id"].to_numpy())
        b_idx = b_pos.reindex(cand["building_id"]).to_numpy()
        with gc_paused():
            problem = pulp.LpProblem("building_uses", pulp.LpMaximize)
            pick = [pulp.LpVariable(f"use_{k}", 0, 1, pulp.LpBinary) for k in range(len(cand))]
            objective = dict(zip(pick, (cand["value_vnd"] - cand["cost_vnd"]).to_numpy(float)))
            add_rows(problem, "one_use", linear_rows(b_idx, len(free), pick), pulp.LpConstraintEQ, 1.0)
            needs = ds["facility_needs"].reset_index(drop=True)
            need_rows = (cand["option"] == "facility").to_numpy()
            if need_rows.any():
                add_rows(problem, "need", linear_rows(cand["need"].to_numpy()[need_rows], len(needs), [pick[k] for k in np.flatnonzero(need_rows)]),
                         pulp.LpConstraintLE, needs["buildings_needed"].astype(float).to_numpy())
            is_housing = np.flatnonzero((cand["option"] == "housing").to_numpy())
            if len(is_housing):
                h_pos = pd.Series(np.arange(len(housing)), index=housing["commune_code"].to_numpy())
                covered = [pulp.LpVariable(f"housing_m2_{k}", 0, float(m2)) for k, m2 in enumerate(housing["m2_needed"])]
                rows = linear_rows(h_pos.reindex(cand["serves_commune_code"].to_numpy()[is_housing]).to_numpy(), len(housing),
                                   [pick[k] for k in is_housing], -cand["housing_m2"].to_numpy(float)[is_housing])
                for row, var in zip(rows, covered):
                    row[var] = 1.0
                add_rows(problem, "housing_area", rows, pulp.LpConstraintLE, 0.0)
                objective.update({var: opts.housing_value_per_m2_vnd for var in covered})
                floor = [pulp.LpVariable(f"housing_floor_{k}", 0) for k in range(len(housing))]
                defined = linear_rows(h_pos.reindex(cand["serves_commune_code"].to_numpy()[is_housing]).to_numpy(), len(housing),
                                      [pick[k] for k in is_housing], cand["floor_area_m2"].to_numpy(float)[is_housing])
                for row, var in zip(defined, floor):
                    row[var] = -1.0
                add_rows(problem, "housing_floor", defined, pulp.LpConstraintEQ, 0.0)
                add_rows(problem, "housing_not_redundant",
                         *_minimal_housing_rows(cand.iloc[is_housing], [pick[k] for k in is_housing], housing, floor))
            if budget_left is not None:
                add_rows(problem, "renovation_budget", [pulp.LpAffineExpression(dict(zip(pick, cand["budget_vnd"].to_numpy(float))))],
                         pulp.LpConstraintLE, budget_left)
            # needs met per priority level: buildings given to facility needs, officials housed (m² / m² per official)
            levels: dict[float, pulp.LpAffineExpression] = {}
            level_of = cand["priority"].to_numpy(float)
            for k in np.flatnonzero(need_rows):
                levels.setdefault(level_of[k], pulp.LpAffineExpression())[pick[k]] = 1.0
            if len(is_housing):
                levels.setdefault(use_priorities()[_use("housing")], pulp.LpAffineExpression()).update(
                    {var: 1.0 / opts.housing_m2_per_official for var in covered})
        build_seconds = time.perf_counter() - start  # each solve adds its own hand-over to HiGHS
        if opts.public_use_first:
            for level in sorted(levels):
                problem.setObjective(levels[level])
                info = solve(problem, scenario.solver, f"building_uses_priority_{level:g}", build_seconds if not solves else 0.0)
                solves.append(info)
                _require_solution(info)
                best = float(info.objective or 0.0)
                problem += levels[level] >= best - 1e-6 * max(1.0, abs(best)), f"priority_{level:g}_kept"
        problem.setObjective(pulp.LpAffineExpression(objective))
        info = solve(problem, scenario.solver, "building_uses", build_seconds if not solves else 0.0)
        solves.append(info)
        _require_solution(info)
        chosen = cand[values(pick) > 0.5]
    else:
        chosen = pd.DataFrame(columns=["building_id", "use", "serves_commune_code", "value_vnd", "cost_vnd", "option", "need", "housing_m2"])

    # extract
    names = ds["communes"].set_index("code")["name"].astype(str)
    free_rows = pd.DataFrame({"building_id": chosen["building_id"], "use": chosen["use"],
                              "serves_commune_code": chosen["serves_commune_code"], "value_vnd": chosen["value_vnd"],
                              "cost_vnd": chosen["cost_vnd"], "option": chosen["option"]})
    free_notes = [message("sale_or_lease") if use == _use("sale") else message("idle_years", years=f"{opts.idle_years:g}") if use == _use("idle")
                  else message("use_for_commune", use=use, commune=names.get(int(c), "") if pd.notna(c) else "")
                  for use, c in zip(free_rows["use"], free_rows["serves_commune_code"])]
    free_rows = with_vietnamese(free_rows, "note", free_notes)
    # officials' housing (option "housing") is valued below from the covered area; a facility need of use
    # housing (option "facility") keeps its facility_needs value
    free_rows.loc[(free_rows["option"] == "housing").to_numpy(), "value_vnd"] = np.nan
    uses = pd.concat([taken, free_rows], ignore_index=True)
    uses = bld[["building_id", "building_name", "old_unit_id", "commune_code", "floor_area_m2", "condition"]].merge(uses, on="building_id", how="left")
    uses["serves_commune_code"] = pd.to_numeric(uses["serves_commune_code"], errors="coerce").astype("Int64")
    housing_table = _housing_table(housing, uses, opts)
    if len(housing_table):
        per_m2 = opts.housing_value_per_m2_vnd
        share = housing_table.set_index("commune_code")
        hmask = (uses["option"] == "housing").to_numpy()
        # value of a housing building: its part of its commune's covered area
        area_by_commune = uses[hmask].groupby("serves_commune_code")["floor_area_m2"].transform("sum")
        covered = share["m2_provided"].reindex(uses.loc[hmask, "serves_commune_code"].astype(int)).to_numpy()
        uses.loc[hmask, "value_vnd"] = per_m2 * covered * uses.loc[hmask, "floor_area_m2"].to_numpy() / area_by_commune.to_numpy()
    uses["value_vnd"] = uses["value_vnd"].astype(float).fillna(0.0)
    uses = uses[["building_id", "building_name", "old_unit_id", "commune_code", "use", "serves_commune_code", "value_vnd",
                 "cost_vnd", "note", "note_vi", "floor_area_m2", "condition"]]

    _verify(ds, bld, uses, sites, budget_left, chosen, opts.housing_for_officials)
    counts = uses["use"].value_counts()
    kpis = [kpi_row("buildings_by_use", int(counts.get(u, 0)), code=u) for u in USES]
    kpis += [
        kpi_row("sale_or_lease_value", float(uses.loc[uses["use"] == _use("sale"), "value_vnd"].sum())),
        kpi_row("idle_buildings_cost", float(uses.loc[uses["use"] == _use("idle"), "cost_vnd"].sum())),
        kpi_row("renovation_for_other_uses", float(chosen["budget_vnd"].sum()) if "budget_vnd" in chosen else 0.0),
        kpi_row("housing_needed", float(housing["m2_needed"].sum())),
        kpi_row("housing_provided", float(housing_table["m2_provided"].sum()) if len(housing_table) else 0.0),
    ]
    tables = {"building_uses": uses, "housing_needs": housing_table}
    notes += time_limit_notes(solves)
    return StageResult(tables=tables, kpis=kpis, solves=solves, notes=notes)


def _require_solution(info) -> None:
    if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
        raise PlanInconsistent(STAGE, [f"building uses model ended with status {info.status} (sale or idle is always possible)"])


def _housing_table(housing: pd.DataFrame, uses: pd.DataFrame, opts) -> pd.DataFrame:
    """Per commune: officials far from home, m² needed, m² provided (capped at the need)."""
    if not len(housing):
        return housing.assign(m2_provided=pd.Series(dtype=float))
    floor = uses[(uses["option"] == "housing").to_numpy()].groupby("serves_commune_code")["floor_area_m2"].sum()
    out = housing.copy()
    out["m2_provided"] = np.minimum(floor.reindex(out["commune_code"]).fillna(0.0).to_numpy(), out["m2_needed"].to_numpy())
    return out


def _redundant_housing(chosen: pd.DataFrame) -> list[str]:
    """Housing buildings whose commune's need is covered without them."""
    if not len(chosen) or "housing_m2" not in chosen:
        return []
    out = []
    for code, group in chosen[chosen["option"] == "housing"].groupby("serves_commune_code"):
        total = group["floor_area_m2"].sum()
        need = group["housing_need_m2"].iloc[0]
        out += [f"housing building {r.building_id} for commune {code} is not needed" for r in group.itertuples()
                if total - r.floor_area_m2 > need - 1.0 + 1e-6]
    return out


def _verify(ds, bld, uses, sites, budget_left, chosen, housing_allowed: bool) -> None:
    """Every building exactly one allowed use; HQs and service points as planned; needs, areas, budget held;
    no housing unless the scenario opts in (assets.housing_for_officials)."""
    violations = []
    if not housing_allowed:
        violations += [f"building {b} is housing, but assets.housing_for_officials is off"
                       for b in uses.loc[uses["use"] == _use("housing"), "building_id"]]
    if len(uses) != len(bld) or uses["building_id"].duplicated().any() or set(uses["building_id"]) != set(bld["building_id"]):
        violations.append(f"{len(uses)} building-use rows for {len(bld)} buildings (each building needs exactly one)")
    bad = uses[~uses["use"].isin(USES)]
    violations += [f"building {r.building_id} has no valid use ({r.use})" for r in bad.itertuples()]
    if sites is not None:
        hq_ids = set(sites.tables["hq_plan"]["building_id"])
        got = set(uses.loc[uses["use"] == _use("headquarters"), "building_id"])
        if got != hq_ids:
            violations.append(f"headquarters uses {sorted(got ^ hq_ids)} differ from the site plan")
    needs = ds["facility_needs"].reset_index(drop=True)
    if len(chosen) and len(needs):
        facility = chosen[chosen["option"] == "facility"]
        used = facility.groupby("need").size()
        over = [(k, n) for k, n in used.items() if n > int(needs.loc[k, "buildings_needed"])]
        violations += [f"need {needs.loc[k, 'use']} of commune {needs.loc[k, 'commune_code']} gets {n} buildings, more than needed" for k, n in over]
        small = facility[facility["floor_area_m2"] < needs["min_floor_area_m2"].reindex(facility["need"]).to_numpy() - 1e-9]
        violations += [f"building {r.building_id} is below the minimum floor area of its use" for r in small.itertuples()]
    violations += _redundant_housing(chosen)
    if budget_left is not None and len(chosen) and chosen["budget_vnd"].sum() > budget_left * (1 + 1e-9) + 1e-6:
        violations.append(f"renovations for other uses {chosen['budget_vnd'].sum():,.0f} VND above the {budget_left:,.0f} left")
    if violations:
        raise PlanInconsistent(STAGE, violations)
