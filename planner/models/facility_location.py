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

Decomposition: without the budget row the model falls apart into the connected components of the
customer-site arc graph (the cover row is a redundant cut, stated per component), so each component
is its own small MIP, solved one after the other on arrays in HiGHS. One MIP over many independent
blocks is slow because branch and bound must close every block's gap at once (Hà Nội's service
points: 126 communes, 4.5 s as one MIP, a fraction of a second by component). The budget links the
components only when it binds: a site whose budget cost alone exceeds what is left after the must-open
sites can never open (closed beforehand, exact); the components' optimum is taken when its spend
fits the budget (dropping a row can only lower the optimum); otherwise one MIP with the budget row
decides. A single component (the OR-Library instances: every arc exists) and CBC go the way of one
PuLP model as before. Inside the components: one LP relaxation of them all first (a component whose LP
optimum is integral is done), and a row y_s <= y_t wherever site t may open, costs no more, holds as
much and serves every customer of s at no more cost (some optimum opens t whenever it opens s: move
s's customers to t), which cuts the symmetric branching among a commune's like buildings.

Steps: candidate arcs (given) -> build (arrays per component, else PuLP) -> extract (DataFrames) -> verify.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from ..messages import lowered, message, number
from ..errors import PlanInconsistent
from ..scenario import SolverOptions
from ..solver import (SolveInfo, SolveStatus, highs_options, new_highs, pulp_arrays, run_highs, solve_fast,
                      solver_version, status_from_highs, usable)
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
    budget_free: bool = True  # the outcome is the same without the budget row (so under any budget its plan fits)


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
            lines.append(message("fl_must_open_budget", facility=facility_word, forced=number(forced), budget=number(budget)))
    return lines


def components(i: np.ndarray, j: np.ndarray, n_sites: int, n_customers: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Connected components of the arc graph (arc a joins site i[a] and customer j[a]): component number of
    every site and every customer, and how many there are (a site or customer without arcs is alone)."""
    label = np.arange(n_customers + n_sites)
    ends = (j, n_customers + np.asarray(i))
    while True:  # label propagation with pointer jumping: every node ends with the least label of its component
        before = label.copy()
        low = np.minimum(label[ends[0]], label[ends[1]])
        for end in ends:
            np.minimum.at(label, end, low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(before, label):
            break
    _, number = np.unique(label, return_inverse=True)
    return number[n_customers:], number[:n_customers], int(number.max(initial=-1)) + 1


def _dominated_sites(comp_site, i, j, arc_cost, fixed, capacity, must_open, closed):
    """Pairs (weaker, stronger) of sites of one component where some optimum opens `stronger` whenever it opens
    `weaker` (row y_weaker <= y_stronger; without a budget row): `stronger` may open, costs no more to open, holds at
    least as much and serves every customer of `weaker` at no more cost, so `weaker`'s customers move there.
    Identical sites are ordered by position, so the rows never force two sites to open together."""
    weaker, stronger = [], []
    order = np.argsort(comp_site, kind="stable")
    site_groups = np.split(order, np.flatnonzero(np.diff(comp_site[order])) + 1)
    arc_order = np.argsort(comp_site[i], kind="stable")
    arc_groups = dict(zip(comp_site[i][arc_order][np.r_[0, np.flatnonzero(np.diff(comp_site[i][arc_order])) + 1]],
                          np.split(arc_order, np.flatnonzero(np.diff(comp_site[i][arc_order])) + 1))) if len(i) else {}
    for group in site_groups:
        if len(group) < 2:
            continue
        arcs = arc_groups[comp_site[group[0]]]
        customers, row = np.unique(j[arcs], return_inverse=True)
        c = np.full((len(customers), len(group)), np.inf)  # customers x sites of the component
        c[row, np.searchsorted(group, i[arcs])] = arc_cost[arcs]
        covers = (c[:, None, :] <= c[:, :, None]).all(axis=0)  # [s, t]: t serves each customer of s at no more cost
        no_dearer = (fixed[group][None, :] <= fixed[group][:, None]) & (capacity[group][None, :] >= capacity[group][:, None])
        same = ((c[:, None, :] == c[:, :, None]).all(axis=0) & (fixed[group][None, :] == fixed[group][:, None])
                & (capacity[group][None, :] == capacity[group][:, None]))
        later = group[None, :] < group[:, None]  # identical sites: the one listed first is the stronger
        s, t = np.nonzero(covers & no_dearer & (~same | later) & ~must_open[group][:, None] & ~closed[group][None, :]
                          & (group[:, None] != group[None, :]))
        weaker.append(group[s]), stronger.append(group[t])
    if not weaker:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(weaker).astype(np.int64), np.concatenate(stronger).astype(np.int64)


def _solve_by_component(comp_site, comp_cust, n_comp, i, j, demand, capacity, fixed, arc_cost, must_open, closed,
                        single_source: bool, penalty, options: SolverOptions, name: str, start: float,
                        memo: dict | None = None, abs_gap: float = 0.0):
    """Each component's MIP on arrays in one HiGHS object (see the module docstring); returns
    (info, opened, share, unserved_share), values None when a component has no plan. Raises on HiGHS trouble.
    memo (optional, the caller's): component arrays -> its optimal values, so a component seen before (same
    data, same options) is not solved again."""
    import highspy

    n_sites, n_cust, n_arcs = len(capacity), len(demand), len(i)
    comp_arc = comp_site[i]
    n_u = n_cust if penalty is not None else 0
    n_cover = n_comp if penalty is None else 0
    # global layout. columns: y (sites), x (arcs), u (customers, with a penalty).
    # rows: assign (customers), capacity (sites), cover (components, without a penalty), link (arcs), dominance
    arcs = np.arange(n_arcs)
    rows = [j, n_cust + i, n_cust + n_sites + n_cover + arcs, n_cust + np.arange(n_sites), n_cust + n_sites + n_cover + arcs]
    cols = [n_sites + arcs, n_sites + arcs, n_sites + arcs, np.arange(n_sites), i]
    vals = [np.ones(n_arcs), demand[j], np.ones(n_arcs), -capacity, -np.ones(n_arcs)]
    if n_u:
        rows.append(np.arange(n_cust)), cols.append(n_sites + n_arcs + np.arange(n_cust)), vals.append(np.ones(n_cust))
    if n_cover:
        rows.append(n_cust + n_sites + comp_site), cols.append(np.arange(n_sites)), vals.append(capacity)
    weaker, stronger = _dominated_sites(comp_site, i, j, arc_cost, fixed, capacity, must_open, closed)
    first_dominance = n_cust + n_sites + n_cover + n_arcs
    dominance = first_dominance + np.arange(len(weaker))
    rows += [dominance, dominance]
    cols += [weaker, stronger]
    vals += [np.ones(len(weaker)), -np.ones(len(weaker))]
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    rows, cols, vals = rows[vals != 0], cols[vals != 0], vals[vals != 0]  # zero-demand customers' capacity entries
    row_comp = np.concatenate([comp_cust, comp_site, np.arange(n_cover), comp_arc, comp_site[weaker]])
    col_comp = np.concatenate([comp_site, comp_arc, comp_cust[:n_u]])
    cover_need = np.bincount(comp_cust, weights=demand, minlength=n_comp)[:n_cover]
    row_lower = np.concatenate([np.ones(n_cust), np.full(n_sites, -np.inf), cover_need, np.full(n_arcs + len(weaker), -np.inf)])
    row_upper = np.concatenate([np.ones(n_cust), np.zeros(n_sites), np.full(n_cover, np.inf), np.zeros(n_arcs + len(weaker))])
    cost = np.concatenate([fixed, arc_cost, np.asarray(penalty, float) * demand if n_u else np.zeros(0)])
    lower = np.concatenate([must_open.astype(float), np.zeros(n_arcs + n_u)])
    upper = np.concatenate([np.where(closed, 0.0, 1.0), np.ones(n_arcs + n_u)])
    integer = np.concatenate([np.ones(n_sites), np.full(n_arcs, float(single_source)), np.zeros(n_u)]).astype(np.int32)

    def local(comp):  # position of each row/column inside its component, and the components' slices
        order = np.argsort(comp, kind="stable")
        bounds = np.searchsorted(comp[order], np.arange(n_comp + 1))
        position = np.empty(len(comp), dtype=np.int64)
        position[order] = np.arange(len(comp)) - bounds[comp[order]]
        return order, bounds, position

    row_order, row_bounds, row_pos = local(row_comp)
    col_order, col_bounds, col_pos = local(col_comp)
    rank = np.empty(len(row_comp), dtype=np.int64)
    rank[row_order] = np.arange(len(row_comp))
    entry = np.argsort(rank[rows], kind="stable")  # entries by component, then by row inside it
    entry_bounds = np.searchsorted(row_comp[rows[entry]], np.arange(n_comp + 1))
    statuses, gaps, seconds = [], [], [0.0]
    highs = new_highs(options.msg)
    for key, value in highs_options(options).items():
        highs.setOptionValue(key, value)
    if abs_gap > 0:  # a component's MIP stops once proven within abs_gap of its optimum (or within the relative gap)
        highs.setOptionValue("mip_abs_gap", float(abs_gap))
    # no feasibility-jump heuristic before the root of these small MIPs: measured on the service-point components of
    # the Hà Nội and Hồ Chí Minh samples (108 and 121 MIPs of 30-170 columns), 0.70 x and 0.42 x the time, every
    # answer within the same gaps
    highs.setOptionValue("mip_heuristic_run_feasibility_jump", False)

    def run(k, r, e, integrality):  # columns k, rows r (each in component order), entries e (sorted likewise)
        remaining = max(float(options.time_limit_s) - (time.perf_counter() - start), 1e-3)
        row_at, col_at = np.full(len(row_comp), -1), np.full(len(col_comp), -1)
        row_at[r], col_at[k] = np.arange(len(r)), np.arange(len(k))
        highs.passModel(len(k), len(r), len(e), int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
                        cost[k], lower[k], upper[k], row_lower[r], row_upper[r],
                        np.searchsorted(row_at[rows[e]], np.arange(len(r) + 1)).astype(np.int32),
                        col_at[cols[e]].astype(np.int32), vals[e], integrality)
        seconds[0] += run_highs(highs, remaining)
        has_solution = highs.getInfo().primal_solution_status == 2
        status = status_from_highs(highs.getModelStatus(), has_solution)
        if status == SolveStatus.error:
            raise RuntimeError(f"HiGHS stopped with status {highs.modelStatusToString(highs.getModelStatus())}")
        return status, has_solution

    def part(c):  # rows, columns and entries of component c
        return (row_order[row_bounds[c]:row_bounds[c + 1]], col_order[col_bounds[c]:col_bounds[c + 1]],
                entry[entry_bounds[c]:entry_bounds[c + 1]])

    def key(c):  # everything the component's solve depends on
        r, k, e = part(c)
        return b"|".join(np.ascontiguousarray(v).tobytes() for v in (
            cost[k], lower[k], upper[k], integer[k], row_lower[r], row_upper[r], row_pos[rows[e]], col_pos[cols[e]], vals[e]))

    x = np.zeros(len(cost))
    keys = [key(c) for c in range(n_comp)] if memo is not None else []
    todo = []
    for c in range(n_comp):
        if memo is not None and keys[c] in memo:
            x[part(c)[1]], gap = memo[keys[c]]
            gaps.append(gap)
            statuses.append(SolveStatus.optimal)
        else:
            todo.append(c)
    # the LP relaxation of those components at once (one simplex, no branching): a component whose LP optimum is
    # integral has its MIP optimum there; only the others are solved as MIPs
    if todo:
        r, k, e = (np.concatenate(v) for v in zip(*(part(c) for c in todo)))
        status, has_solution = run(k, r, e, np.zeros(len(k), dtype=np.int32))
        if status == SolveStatus.optimal and has_solution:
            value = np.asarray(highs.getSolution().col_value)
            whole = integer[k].astype(bool)
            fractional = whole & (np.abs(value - np.round(value)) > TOLERANCE)
            x[k] = np.where(whole, np.round(value), value)
            mip = set(np.unique(col_comp[k[fractional]]).tolist())
            for c in todo:
                if c not in mip:
                    gaps.append(0.0)
                    statuses.append(SolveStatus.optimal)
                    if memo is not None:
                        memo[keys[c]] = (x[part(c)[1]].copy(), 0.0)
            todo = [c for c in todo if c in mip]
        elif status in (SolveStatus.infeasible, SolveStatus.unbounded):
            statuses.append(status)
            todo = []
    for c in todo:
        r, k, e = part(c)
        if not len(e):  # a customer without arcs and without an unserved share: no plan
            statuses.append(SolveStatus.infeasible)
            break
        status, has_solution = run(k, r, e, integer[k])
        statuses.append(status)
        if not has_solution or status not in (SolveStatus.optimal, SolveStatus.time_limit):
            break
        x[k] = np.asarray(highs.getSolution().col_value)
        gap = highs.getInfo().mip_gap
        gaps.append(float(gap) if np.isfinite(gap) else (0.0 if status == SolveStatus.optimal else None))
        if memo is not None and status == SolveStatus.optimal:
            memo[keys[c]] = (x[k].copy(), gaps[-1])
    solve_seconds = seconds[0]
    worst = next((s for s in (SolveStatus.infeasible, SolveStatus.unbounded, SolveStatus.time_limit) if s in statuses),
                 SolveStatus.optimal)
    solved = len(gaps) == len(statuses)
    info = SolveInfo(model=name, solver="highs", solver_version=solver_version("highs"), status=worst,
                     has_solution=solved, objective=float(cost @ x) if solved else None,
                     gap=(None if None in gaps else max(gaps, default=0.0)) if solved else None,
                     build_seconds=round(time.perf_counter() - start - solve_seconds, 4),
                     solve_seconds=round(solve_seconds, 4), variables=len(cost), constraints=len(row_comp),
                     time_limit_s=float(options.time_limit_s))
    if not solved:
        return info, None, None, None
    return info, x[:n_sites] > 0.5, x[n_sites:n_sites + n_arcs], (x[n_sites + n_arcs:] if n_u else np.zeros(n_cust))


def _solve_one_model(i, j, demand, capacity, fixed, arc_cost, must_open, closed, budget_cost, single_source: bool,
                     penalty: float | None, budget: float | None, links: str, options: SolverOptions, name: str,
                     start: float):
    """The whole model as one PuLP problem (HiGHS on arrays, CBC as fallback); returns (info, opened, share, unserved_share)."""
    n_sites, n_cust, n_arcs = len(capacity), len(demand), len(i)
    with gc_paused():
        problem = pulp.LpProblem(name, pulp.LpMinimize)
        y = [pulp.LpVariable(f"open_{k}", 1 if must_open[k] else 0, 0 if closed[k] else 1, pulp.LpInteger) for k in range(n_sites)]
        x = make_variables("share", n_arcs, 0, 1, pulp.LpBinary if single_source else pulp.LpContinuous)
        unserved = make_variables("unserved", n_cust, 0, 1) if penalty is not None else []
        objective = dict(zip(y, fixed))
        objective.update(zip(x, arc_cost))
        if unserved:
            objective.update(zip(unserved, penalty * demand))
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
        if penalty is None:  # valid cut: open capacity covers all demand
            add_rows(problem, "cover", [pulp.LpAffineExpression(dict(zip(y, capacity)))], pulp.LpConstraintGE,
                     float(demand.sum()))
        if budget is not None:
            add_rows(problem, "budget", [pulp.LpAffineExpression(dict(zip(y, budget_cost)))], pulp.LpConstraintLE, budget)
        lazy = links == "lazy" or (links == "auto" and n_arcs > LAZY_LINKS_ABOVE)
        # zero-demand customers escape the capacity rows: their links always stay
        linked = np.union1d(_violated_links(problem, x, y, i), np.flatnonzero(demand[j] <= 0)) if lazy else np.arange(n_arcs)
        add_rows(problem, "link", [pulp.LpAffineExpression({x[a]: 1.0, y[i[a]]: -1.0}) for a in linked],
                 pulp.LpConstraintLE, 0.0)
    info = solve_fast(problem, options, name, time.perf_counter() - start)
    return info, values(y) > 0.5, values(x), (values(unserved) if unserved else np.zeros(n_cust))


def solve_facility_location(sites: pd.DataFrame, customers: pd.DataFrame, arcs: pd.DataFrame, *,
                            single_source: bool = True, options: SolverOptions | None = None,
                            unserved_penalty: float | np.ndarray | None = None, budget: float | None = None,
                            links: str = "auto", name: str = "facility_location",
                            stage: str = "sites", memo: dict | None = None,
                            decompose: bool = True, abs_gap: float = 0.0) -> FacilityLocationResult:
    """Open facilities and allocate customers' demand at least cost; see the module docstring.

    links: 'all' adds every x_ij <= y_i row; 'lazy' adds only those the LP relaxation violates (found by
    re-solving the LP until none is violated, so the root bound is the same); 'auto' is lazy on large models.
    unserved_penalty: per unit of unserved demand, one number or one per customer (in `customers` order).
    memo: a dict the caller keeps between calls; a component solved before with the same data is not solved again.
    decompose=False solves one model whatever the components (the reference the decomposition is checked against).
    abs_gap: each component's MIP stops once proven within this much (objective units) of its own optimum; 0: only
    the scenario's relative gap (the single-model path always uses that alone).

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

    budget_cost = sites["budget_cost"].to_numpy(dtype=float)
    n_sites, n_cust = len(sites), len(customers)

    if unserved_penalty is None:
        reasons = explain_infeasible(sites, customers, arcs, single_source, budget)
        if reasons:
            free = budget is None or bool(explain_infeasible(sites, customers, arcs, single_source, None))
            return FacilityLocationResult("infeasible", None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, reasons,
                                          budget_free=free)

    # sites whose budget cost alone exceeds what the must-open sites leave can never open
    closed = np.zeros(n_sites, dtype=bool)
    if budget is not None and (budget_cost >= 0).all():
        closed = ~must_open & (budget_cost > budget - budget_cost[must_open].sum())
    comp_site, comp_cust, n_comp = components(i, j, n_sites, n_cust)
    largest = np.bincount(comp_site[i], minlength=n_comp).max(initial=0)
    plan, budget_free = None, True
    if decompose and options.name == "highs" and n_comp > 1 and largest <= LAZY_LINKS_ABOVE:
        def by_component(shut):
            try:
                return _solve_by_component(comp_site, comp_cust, n_comp, i, j, demand, capacity, fixed, arc_cost,
                                           must_open, shut, single_source, unserved_penalty, options, name, start, memo,
                                           abs_gap)
            except Exception:  # noqa: BLE001 - any highspy trouble: one PuLP model (with the CBC fallback) decides
                return None

        plan = by_component(np.zeros(n_sites, dtype=bool))  # without the budget row
        if plan is not None and plan[1] is not None and budget is not None and budget_cost[plan[1]].sum() > budget:
            budget_free = False
            plan = by_component(closed) if budget_cost[~closed].sum() <= budget else None  # else the row binds
    if plan is not None:
        info, opened, share, unserved_share = plan
    else:
        budget_free = budget is None
        info, opened, share, unserved_share = _solve_one_model(
            i, j, demand, capacity, fixed, arc_cost, must_open, closed, budget_cost, single_source, unserved_penalty,
            budget, links, options, name, start)
    if not usable(info, stage):  # a time limit without a plan raises SolveTimeLimit
        reasons = explain_infeasible(sites, customers, arcs, single_source, budget) or [
            message("fl_unsolved_budget" if budget is not None else "fl_unsolved")]
        return FacilityLocationResult(info.status, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), info, reasons,
                                      budget_free=budget_free)

    # extract
    if single_source:
        share = np.round(share)
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
                       + (unserved_share * demand * (0.0 if unserved_penalty is None else unserved_penalty)).sum())
    if info.objective is not None and abs(recomputed - info.objective) > 1e-6 * max(1.0, abs(info.objective)) + 1e-4:
        violations.append(f"objective re-computed from the plan is {recomputed:.6f}, solver said {info.objective:.6f}")
    if violations:
        raise PlanInconsistent(stage, violations)
    return FacilityLocationResult(info.status, recomputed, open_sites, allocation, unserved_df, info, [],
                                  budget_free=budget_free)
