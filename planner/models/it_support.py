"""IT support between communes: a generalized assignment of IT officers to communes.

IT staff are scarce, so an officer based in one commune also supports neighbouring ones. Every
commune needs exactly one supporting officer; its monthly workload depends on who serves it
(base hours + hours per 10,000 residents + travel time of the visits); each officer has a monthly
hour capacity. A commune may stay uncovered at a high penalty and is then reported.

The core `solve_gap` is generic (pairs [agent, job, cost, load] + capacities -> assignment), so the
OR-Library converter (bench/orlib_gap.py) runs exactly this code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from .. import vocab
from ..geo import haversine_km
from ..messages import message
from ..errors import PlanInconsistent
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import ITSupportOptions, SolverOptions
from ..solver import SolveInfo, solve_fast, time_limit_notes, usable

STAGE = "staffing"


@dataclass
class GapResult:
    assignment: pd.DataFrame  # the chosen rows of `pairs`
    uncovered: np.ndarray  # jobs left without an agent
    info: SolveInfo


def solve_gap(pairs: pd.DataFrame, capacity: pd.Series, jobs, solver_options: SolverOptions,
              uncovered_penalty: float | None = None, model: str = "gap") -> GapResult:
    """Minimise the cost of giving every job to one agent within the agents' capacities.

    pairs: one row per allowed (agent, job) with cost and load; capacity: indexed by agent.
    With uncovered_penalty=None every job must be covered (status 'infeasible' otherwise).
    """
    start = time.perf_counter()
    jobs = np.asarray(list(jobs))
    pairs = pairs.reset_index(drop=True)
    problem = pulp.LpProblem(model, pulp.LpMinimize)
    y = np.array([problem.add_variable(f"y{k}", 0, 1, pulp.LpInteger) for k in range(len(pairs))], dtype=object)
    job_vars = pd.Series(y).groupby(pairs["job"].to_numpy()).agg(list)
    uncovered = {}
    constraints = {}
    for n, job in enumerate(jobs.tolist()):
        terms = list(job_vars.get(job, []))
        coefficients = [1.0] * len(terms)
        if uncovered_penalty is not None:
            uncovered[job] = problem.add_variable(f"uncovered{n}", 0, 1, pulp.LpInteger)
            terms.append(uncovered[job])
            coefficients.append(1.0)
        constraints[f"job_{n}"] = pulp.LpConstraint(pulp.LpAffineExpression(zip(terms, coefficients)),
                                                    pulp.LpConstraintEQ, f"job_{n}", 1)
    loads = pairs["load"].to_numpy(dtype=float)
    for n, (agent, idx) in enumerate(pairs.groupby("agent").indices.items()):
        cap = float(capacity.get(agent, np.inf))
        if np.isfinite(cap) and loads[idx].sum() > cap:
            constraints[f"agent_{n}"] = pulp.LpConstraint(pulp.LpAffineExpression(zip(y[idx], loads[idx])),
                                                          pulp.LpConstraintLE, f"agent_{n}", cap)
    objective = list(zip(y, pairs["cost"].to_numpy(dtype=float).tolist()))
    if uncovered_penalty is not None:
        objective += [(v, float(uncovered_penalty)) for v in uncovered.values()]
    problem += pulp.LpAffineExpression(objective)
    problem.extend(constraints)
    info = solve_fast(problem, solver_options, model, time.perf_counter() - start, mip=True)
    if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
        return GapResult(pairs.iloc[:0], jobs, info)
    chosen = np.array([(v.varValue or 0) > 0.5 for v in y], dtype=bool)
    assignment = pairs[chosen].reset_index(drop=True)
    left = jobs[~np.isin(jobs, assignment["job"].to_numpy())]
    verify_gap(assignment, capacity, jobs, left, uncovered_penalty is not None)
    return GapResult(assignment, left, info)


def verify_gap(assignment: pd.DataFrame, capacity: pd.Series, jobs, uncovered, allow_uncovered: bool) -> None:
    """Each job at most once (exactly once unless uncovered is allowed), capacities held."""
    problems = []
    counts = assignment["job"].value_counts()
    problems += [f"job {j} served {n} times" for j, n in counts[counts > 1].items()]
    if not allow_uncovered and len(uncovered):
        problems.append(f"{len(uncovered)} jobs left without an agent")
    load = assignment.groupby("agent")["load"].sum()
    cap = capacity.reindex(load.index).fillna(np.inf)
    problems += [f"agent {a} carries {load[a]:g} > capacity {cap[a]:g}" for a in load.index[(load > cap + 1e-6).to_numpy()]]
    if problems:
        raise PlanInconsistent(STAGE, problems)


def it_pairs(officers: pd.DataFrame, communes: pd.DataFrame, options: ITSupportOptions) -> pd.DataFrame:
    """Officer x commune pairs within the radius, with travel km and monthly hours (the load)."""
    n_off, n_com = len(officers), len(communes)
    i = np.repeat(np.arange(n_off), n_com)
    j = np.tile(np.arange(n_com), n_off)
    travel = haversine_km(officers["hq_lon"].to_numpy()[i], officers["hq_lat"].to_numpy()[i],
                          communes["hq_lon"].to_numpy()[j], communes["hq_lat"].to_numpy()[j])
    keep = travel <= options.radius_km
    i, j, travel = i[keep], j[keep], travel[keep]
    hours = (options.base_hours + options.hours_per_10k_residents * communes["population"].to_numpy(dtype=float)[j] / 10_000
             + options.visits_per_month * 2 * travel / options.travel_speed_kmh)
    return pd.DataFrame({"agent": officers["official_id"].to_numpy()[i], "job": communes["commune_code"].to_numpy()[j],
                         "travel_km": travel.round(3), "load": hours.round(4), "cost": hours.round(4)})


def plan_it_support(inputs, assignments: pd.DataFrame, options: ITSupportOptions,
                    solver_options: SolverOptions) -> StageResult:
    """Which IT officer (placed in field it_digital, or with it_digital as primary field) supports which commune."""
    communes = inputs.communes
    it_field = vocab.role_code("fields", "it")
    primary_it = set(inputs.officials.loc[inputs.officials["field"] == it_field, "official_id"])
    it_rows = assignments[(assignments["field"] == it_field) | assignments["official_id"].isin(primary_it)]
    hq = communes.set_index("commune_code")
    officers = pd.DataFrame({
        "official_id": it_rows["official_id"].to_numpy(), "commune_code": it_rows["commune_code"].to_numpy(),
        "hq_lon": it_rows["commune_code"].map(hq["hq_lon"]).to_numpy(), "hq_lat": it_rows["commune_code"].map(hq["hq_lat"]).to_numpy(),
    })
    pairs = it_pairs(officers, communes, options)
    capacity = pd.Series(options.hours_capacity, index=officers["official_id"].to_numpy(), dtype=float)
    solves, notes = [], []
    if len(pairs):
        result = solve_gap(pairs, capacity, communes["commune_code"], solver_options,
                           uncovered_penalty=options.uncovered_penalty, model="it_support")
        solves.append(result.info)
        chosen = result.assignment
    else:
        chosen = pairs
        notes.append(message("it_support_out_of_reach"))
    officer_commune = officers.set_index("official_id")["commune_code"]
    by_job = chosen.set_index("job")
    codes = communes["commune_code"]
    coverage = pd.DataFrame({
        "commune_code": codes.to_numpy(), "commune_name": communes["commune_name"].to_numpy(),
        "officer_id": by_job["agent"].reindex(codes).to_numpy(),
        "officer_commune_code": pd.array(by_job["agent"].reindex(codes).map(officer_commune).to_numpy(dtype=float), dtype="Float64").astype("Int64"),
        "travel_km": by_job["travel_km"].reindex(codes).to_numpy(), "hours": by_job["load"].reindex(codes).to_numpy(),
    })
    coverage["covered"] = coverage["officer_id"].notna().to_numpy()
    served = chosen.groupby("agent").agg(communes_served=("job", "size"), hours=("load", "sum"))
    load = pd.DataFrame({"official_id": officers["official_id"].to_numpy(), "commune_code": officers["commune_code"].to_numpy()})
    load["communes_served"] = served["communes_served"].reindex(load["official_id"]).fillna(0).astype(int).to_numpy()
    load["hours"] = served["hours"].reindex(load["official_id"]).fillna(0.0).round(2).to_numpy()
    load["capacity"] = options.hours_capacity
    uncovered = int((~coverage["covered"]).sum())
    kpis = [kpi_row("it_communes_uncovered", uncovered), kpi_row("it_officers", len(officers))]
    notes += time_limit_notes(solves)
    return StageResult(tables={"it_coverage": coverage, "it_officer_load": load}, kpis=kpis, solves=solves, notes=notes)
