"""Capacitated facility location: the core shared by the service points and the OR-Library check.

Input is three DataFrames (the project's own facility-location input):
  sites      site_id, capacity, fixed_cost, [budget_cost], [must_open]
  customers  customer_id, demand
  arcs       customer_id, site_id, cost   (cost of serving ALL of the customer's demand from the site)

Model (Beasley's capacitated warehouse location, strong formulation):
  min  sum_i f_i y_i + sum_ij c_ij x_ij (+ penalty * d_j * u_j)
  s.t. sum_i x_ij (+ u_j) = 1          every customer j      (x_ij = share of j's demand served by i)
       sum_j d_j x_ij <= s_i y_i       every site i
       x_ij <= y_i                     every arc (tightens the LP bound; leaves the optimum unchanged)
       sum_i b_i y_i <= budget         (when a budget is given)
  single-source mode: x_ij binary (each customer served by one site); split mode: 0 <= x_ij <= 1.
  u_j (unserved share) exists only when an unserved penalty is given; without it a customer that
  cannot be served makes the model infeasible, and `explain_infeasible` says why in plain words.

Steps: candidate arcs (given) -> build (PuLP, vectorized) -> extract (DataFrames) -> verify.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from ..messages import lowered, message
from ..errors import PlanInconsistent
from ..scenario import SolverOptions
from ..solver import SolveInfo, new_highs, pulp_arrays, solve_fast, usable
from .lp import add_rows, gc_paused, linear_rows, make_variables, values

TOLERANCE = 1e-6
LAZY_LINKS_ABOVE = 20_000  # arcs; above this the full strong LP is slow (100 x 1000: minutes vs seconds)


def _violated_links(problem: pulp.LpProblem, x: list, y: list, site_of_arc: np.ndarray, max_rounds: int = 200) -> np.ndarray:
    """Arcs whose x_ij <= y_i row the LP relaxation needs: add violated rows and re-solve (warm) until none.

    Uses highspy directly for the warm-started LP rounds; if that fails, every arc is returned (all rows).
    """
    try:
        import highspy

        arrays = pulp_arrays(problem)
        column = {v: k for k, v in enumerate(arrays["variables"])}
        x_col = np.array([column[v] for v in x], dtype=np.int32)
        y_col = np.array([column[v] for v in y], dtype=np.int32)[site_of_arc]
        highs = new_highs()  # silent
        n, m = len(arrays["variables"]), len(arrays["constraints"])
        highs.passModel(n, m, len(arrays["index"]), int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                        arrays["offset"], arrays["cost"], arrays["lower"], arrays["upper"], arrays["row_lower"],
                        arrays["row_upper"], arrays["start"], arrays["index"], arrays["value"], np.zeros(n, dtype=np.int32))
        chosen = np.zeros(len(x), dtype=bool)
        for _ in range(max_rounds):
            highs.run()
            if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            col = np.asarray(highs.getSolution().col_value)
            new = np.flatnonzero(~chosen & (col[x_col] > col[y_col] + TOLERANCE))
            if not len(new):
                return np.flatnonzero(chosen)
            chosen[new] = True
            k = len(new)
            index = np.empty(2 * k, dtype=np.int32)
            index[0::2], index[1::2] = x_col[new], y_col[new]
            coef = np.tile([1.0, -1.0], k)
            highs.addRows(k, np.full(k, -highspy.kHighsInf), np.zeros(k), 2 * k,
                          np.arange(0, 2 * k, 2, dtype=np.int32), index, coef)
    except Exception:  # noqa: BLE001 - any highspy trouble: fall back to the full formulation
        pass
    return np.arange(len(x))


# ---------------------------------------------------------------- the model
@dataclass
class FacilityLocationResult:
    status: str                      # optimal | time_limit | infeasible | ...
    objective: float | None          # solver objective (fixed + assignment + unserved penalty)
    open_sites: pd.DataFrame         # site_id, capacity, fixed_cost, load, customers
    allocation: pd.DataFrame         # customer_id, site_id, share, demand_served, cost
    unserved: pd.DataFrame           # customer_id, demand, unserved_share
    solve: SolveInfo | None
    explanation: list[str] = field(default_factory=list)


def _prepare(sites: pd.DataFrame, customers: pd.DataFrame, arcs: pd.DataFrame):
    sites = sites.reset_index(drop=True).copy()
    customers = customers.reset_index(drop=True).copy()
    for col, default in (("budget_cost", 0.0), ("must_open", False)):
        if col not in sites:
            sites[col] = default
    site_pos = pd.Series(np.arange(len(sites)), index=sites["site_id"].to_numpy())
    cust_pos = pd.Series(np.arange(len(customers)), index=customers["customer_id"].to_numpy())
    arcs = arcs[arcs["site_id"].isin(site_pos.index) & arcs["customer_id"].isin(cust_pos.index)].reset_index(drop=True)
    i = site_pos.loc[arcs["site_id"].to_numpy()].to_numpy()
    j = cust_pos.loc[arcs["customer_id"].to_numpy()].to_numpy()
    return sites, customers, arcs, i, j


def explain_infeasible(sites: pd.DataFrame, customers: pd.DataFrame, arcs: pd.DataFrame,
                       single_source: bool, budget: float | None = None,
                       customer_word: str = message("word_customer"), facility_word: str = message("word_facility"),
                       labels: dict | None = None, demand_word: str = message("word_units_of_demand")) -> list[str]:
    """Plain-words reasons why every customer cannot be served (empty list: no obvious reason found).

    customer_word / facility_word / demand_word / labels (customer_id -> display name) let callers speak
    their users' terms (catalogue words keep the reasons in both languages, see planner.messages).
    """
    words = {"customer": customer_word, "facility": facility_word, "demand_word": demand_word}
    sites, customers, arcs, i, j = _prepare(sites, customers, arcs)
    shown = customers["customer_id"].map(lambda c: (labels or {}).get(c, c)).astype(str)
    demand = customers["demand"].to_numpy(dtype=float)
    capacity = sites["capacity"].to_numpy(dtype=float)
    lines = []
    reachable_cap = np.zeros(len(customers))
    np.maximum.at(reachable_cap, j, capacity[i])
    summed_cap = np.bincount(j, weights=capacity[i], minlength=len(customers))
    for k in np.flatnonzero(~np.isin(np.arange(len(customers)), j) & (demand > 0)):
        lines.append(message("fl_unreachable", name=shown.iloc[k], demand=f"{demand[k]:g}", **words))
    if single_source:
        too_big = np.flatnonzero(np.isin(np.arange(len(customers)), j) & (demand > reachable_cap + TOLERANCE))
        lines += [message("fl_above_every_capacity", name=shown.iloc[k], demand=f"{demand[k]:g}",
                          largest=f"{reachable_cap[k]:g}", **words) for k in too_big]
        if len(too_big):
            lines.append(message("fl_single_source", customer=lowered(customer_word), facility=facility_word))
    else:
        short = np.flatnonzero(np.isin(np.arange(len(customers)), j) & (demand > summed_cap + TOLERANCE))
        for k in short:
            lines.append(message("fl_above_summed_capacity", name=shown.iloc[k], demand=f"{demand[k]:g}",
                                 capacity=f"{summed_cap[k]:g}", **words))
    if demand.sum() > capacity.sum() + TOLERANCE:
        lines.append(message("fl_above_total_capacity", demand=f"{demand.sum():g}", capacity=f"{capacity.sum():g}", **words))
    if budget is not None:
        forced = sites["budget_cost"].to_numpy(float)[sites["must_open"].to_numpy(bool)].sum()
        if forced > budget + TOLERANCE:
            lines.append(message("fl_must_open_budget", facility=facility_word, forced=f"{forced:,.0f}", budget=f"{budget:,.0f}"))
    return lines


def solve_facility_location(sites: pd.DataFrame, customers: pd.DataFrame, arcs: pd.DataFrame, *,
                            single_source: bool = True, options: SolverOptions | None = None,
                            unserved_penalty: float | None = None, budget: float | None = None,
                            links: str = "auto", name: str = "facility_location",
                            stage: str = "sites") -> FacilityLocationResult:
    """Open facilities and allocate customers' demand at least cost; see the module docstring.

    links: 'all' adds every x_ij <= y_i row; 'lazy' adds only those the LP relaxation violates (found by
    re-solving the LP until none is violated, so the root bound is the same); 'auto' is lazy on large models.

    Returns status 'infeasible' with `explanation` (never raises) when the demand cannot be served.
    """
    options = options or SolverOptions()
    start = time.perf_counter()
    sites, customers, arcs, i, j = _prepare(sites, customers, arcs)
    demand = customers["demand"].to_numpy(dtype=float)
    capacity = sites["capacity"].to_numpy(dtype=float)
    fixed = sites["fixed_cost"].to_numpy(dtype=float)
    arc_cost = arcs["cost"].to_numpy(dtype=float)
    must_open = sites["must_open"].to_numpy(dtype=bool)
    n_sites, n_cust, n_arcs = len(sites), len(customers), len(arcs)

    if unserved_penalty is None:
        reasons = explain_infeasible(sites, customers, arcs, single_source, budget)
        if reasons:
            return FacilityLocationResult("infeasible", None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, reasons)

    with gc_paused():
        problem = pulp.LpProblem(name, pulp.LpMinimize)
        y = [pulp.LpVariable(f"open_{k}", 1 if must_open[k] else 0, 1, pulp.LpInteger) for k in range(n_sites)]
        x = make_variables("share", n_arcs, 0, 1, pulp.LpBinary if single_source else pulp.LpContinuous)
        unserved = make_variables("unserved", n_cust, 0, 1) if unserved_penalty is not None else []
        objective = dict(zip(y, fixed))
        objective.update(zip(x, arc_cost))
        if unserved:
            objective.update(zip(unserved, unserved_penalty * demand))
        problem += pulp.LpAffineExpression(objective)

        assign = linear_rows(j, n_cust, x)
        if unserved:
            for row, u in zip(assign, unserved):
                row[u] = 1.0
        add_rows(problem, "assign", assign, pulp.LpConstraintEQ, 1.0)
        load = linear_rows(i, n_sites, x, demand[j])
        for row, var, cap in zip(load, y, capacity):
            row[var] = row.get(var, 0.0) - cap
        add_rows(problem, "capacity", load, pulp.LpConstraintLE, 0.0)
        if unserved_penalty is None:  # valid cut: open capacity covers all demand
            add_rows(problem, "cover", [pulp.LpAffineExpression(dict(zip(y, capacity)))], pulp.LpConstraintGE,
                     float(demand.sum()))
        if budget is not None:
            add_rows(problem, "budget", [pulp.LpAffineExpression(dict(zip(y, sites["budget_cost"].to_numpy(float))))],
                     pulp.LpConstraintLE, budget)
        lazy = links == "lazy" or (links == "auto" and n_arcs > LAZY_LINKS_ABOVE)
        # zero-demand customers escape the capacity rows: their links always stay
        linked = np.union1d(_violated_links(problem, x, y, i), np.flatnonzero(demand[j] <= 0)) if lazy else np.arange(n_arcs)
        add_rows(problem, "link", [pulp.LpAffineExpression({x[a]: 1.0, y[i[a]]: -1.0}) for a in linked],
                 pulp.LpConstraintLE, 0.0)
    info = solve_fast(problem, options, name, time.perf_counter() - start)
    if not usable(info, stage):  # a time limit without a plan raises SolveTimeLimit
        reasons = explain_infeasible(sites, customers, arcs, single_source, budget) or [
            message("fl_unsolved_budget" if budget is not None else "fl_unsolved")]
        return FacilityLocationResult(info.status, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), info, reasons)

    # extract
    opened = values(y) > 0.5
    share = values(x)
    if single_source:
        share = np.round(share)
    unserved_share = values(unserved) if unserved else np.zeros(n_cust)
    keep = share > TOLERANCE
    allocation = pd.DataFrame({
        "customer_id": arcs["customer_id"].to_numpy()[keep], "site_id": arcs["site_id"].to_numpy()[keep],
        "share": share[keep], "demand_served": share[keep] * demand[j[keep]], "cost": share[keep] * arc_cost[keep],
    })
    site_load = np.bincount(i, weights=share * demand[j], minlength=n_sites)
    site_customers = np.bincount(i[keep], minlength=n_sites)
    open_sites = sites.loc[opened, ["site_id", "capacity", "fixed_cost"]].assign(
        load=site_load[opened], customers=site_customers[opened]).reset_index(drop=True)
    unserved_df = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(), "demand": demand,
                                "unserved_share": unserved_share})
    unserved_df = unserved_df[unserved_df["unserved_share"] > TOLERANCE].reset_index(drop=True)

    # verify in Python
    violations = []
    served = np.bincount(j, weights=share, minlength=n_cust) + unserved_share
    bad = np.flatnonzero(np.abs(served - 1) > 1e-5)
    violations += [f"customer {customers['customer_id'].iloc[k]} is served {served[k]:.6f} times, not once" for k in bad[:20]]
    over = np.flatnonzero(site_load > capacity * opened + 1e-5 * np.maximum(capacity, 1))
    violations += [f"site {sites['site_id'].iloc[k]} carries {site_load[k]:g} above capacity {capacity[k]:g} (open={opened[k]})"
                   for k in over[:20]]
    violations += [f"site {sites['site_id'].iloc[k]} must open but is closed" for k in np.flatnonzero(must_open & ~opened)[:20]]
    to_closed = np.flatnonzero(keep & ~opened[i])
    violations += [f"customer {arcs['customer_id'].iloc[a]} is served by closed site {arcs['site_id'].iloc[a]}" for a in to_closed[:20]]
    if budget is not None:
        spent = float(sites["budget_cost"].to_numpy(float)[opened].sum())
        if spent > budget + 1e-6 * max(budget, 1):
            violations.append(f"budget {budget:,.0f} exceeded: {spent:,.0f}")
    recomputed = float(fixed[opened].sum() + (share * arc_cost).sum()
                       + (unserved_share * demand).sum() * (unserved_penalty or 0.0))
    if info.objective is not None and abs(recomputed - info.objective) > 1e-6 * max(1.0, abs(info.objective)) + 1e-4:
        violations.append(f"objective re-computed from the plan is {recomputed:.6f}, solver said {info.objective:.6f}")
    if violations:
        raise PlanInconsistent(stage, violations)
    return FacilityLocationResult(info.status, recomputed, open_sites, allocation, unserved_df, info, [])
