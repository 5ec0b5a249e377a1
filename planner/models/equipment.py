"""Equipment: move what the old units hold to the new communes, repair, buy the rest (LP).

Demand per commune, item type and priority = sum over the equipment_norms rules of ceil(quantity x basis)
(each rule rounded up, as Decision 15/2025/QĐ-TTg Appendix II prescribes), where the basis is the planned
headcount (per_official), its People's Committee leaders (per_leader) or the others (per_non_leader), the
planned public_service_centre headcount (per_counter), 1 (per_commune) or population / 10,000
(per_10k_residents); rules apply to the commune's type or 'any'. A rule's max_per_commune caps the
commune's total of that item type (2 cars, Decree 153/2025/NĐ-CP Art. 11a): demand is cut to the cap
(least urgent first), so no commune receives more than the cap; the plan is re-checked against it.
Purchases are priced at new_unit_price x (1 + assets.price_uplift) (planner.derived.purchase_prices).
Supply: items at each old unit by condition (good: move as is; repairable: repair at repair_cost, then
move; unusable: dispose).

Destination of a commune's items is its headquarters building (hq_plan; its service points count as
part of the commune), or the commune centre when no site plan exists. Candidate arcs: an old unit
may send to its own commune and to the equipment_candidate_communes nearest headquarters.

Objective, lexicographic (one LP per level, each level's optimum kept as a constraint):
  1..P. unmet demand of priority 1, then 2, ... (counters first)
  P+1.  purchase cost ("use what we have"), within the equipment budget
  P+2.  transport (km x cost per km and item) + repair cost
The transportation structure gives integral vertices except where the budget row binds; the final
solution is checked for integrality and re-solved with integer variables if it is not.

equipment_balance, per old unit and item type (kept + moved + repaired + surplus + disposed == inventory):
  kept      good items used where they are (their old unit owns the destination HQ building)
  moved     good items transported to another commune's or building's HQ
  repaired  repairable items repaired and used (in place or moved)
  surplus   usable items not needed (good unused + repairable not repaired): to schools/health stations
  disposed  unusable items
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from .. import vocab
from ..dataset import Dataset
from ..derived import equipment_budget, equipment_caps, equipment_demand, item_costs, planned_headcount, purchase_prices
from ..geo import distance_matrix_km
from ..messages import message
from ..errors import PlanInconsistent
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import Scenario
from ..solver import solve_fast, time_limit_notes, usable
from .lp import add_rows, gc_paused, linear_rows, make_variables, values

STAGE = "equipment"
INTEGRAL = 1e-6


def _destinations(ds: Dataset, sites) -> pd.DataFrame:
    """commune_code, commune_name, building_id, owner_old_unit_id, lon, lat of each commune's delivery point."""
    communes = ds["communes"]
    out = pd.DataFrame({"commune_code": communes["code"].astype(int).to_numpy(), "commune_name": communes["name"].astype(str).to_numpy(),
                        "lon": communes["lon"].to_numpy(float), "lat": communes["lat"].to_numpy(float),
                        "building_id": pd.NA, "owner_old_unit_id": pd.NA})
    if sites is not None:
        hq = sites.tables["hq_plan"].set_index("commune_code")
        out["lon"] = hq["lon"].reindex(out["commune_code"]).to_numpy(float)
        out["lat"] = hq["lat"].reindex(out["commune_code"]).to_numpy(float)
        out["building_id"] = hq["building_id"].reindex(out["commune_code"]).to_numpy()
        owner = ds["buildings"].set_index("id")["old_unit_id"].astype(str)
        out["owner_old_unit_id"] = owner.reindex(out["building_id"].astype(str)).to_numpy()
    return out


def _candidate_arcs(ds: Dataset, scenario: Scenario, supply: pd.DataFrame, demand_nodes: pd.DataFrame,
                    dest: pd.DataFrame, transport: pd.Series) -> pd.DataFrame:
    """(old unit, commune, item type) arcs where the commune needs the item: the unit's own commune, its K
    nearest headquarters, and the K nearest communes short of that item type (their own old units hold
    less than they need), so surplus can travel to where it is missing without a dense model."""
    ou = ds["old_units"].drop_duplicates("id").set_index("id")
    units = supply["old_unit_id"].drop_duplicates().to_numpy()
    km = distance_matrix_km(ou.loc[units, "lon"], ou.loc[units, "lat"], dest["lon"], dest["lat"])
    k = min(scenario.assets.equipment_candidate_communes, len(dest))
    near = np.argsort(km, axis=1, kind="stable")[:, :k]
    unit_commune = ou.loc[units, "commune_code"].astype(int).to_numpy()
    mask = unit_commune[:, None] == dest["commune_code"].to_numpy()[None, :]
    np.put_along_axis(mask, near, True, axis=1)
    u_idx, c_idx = np.nonzero(mask)
    pairs = pd.DataFrame({"u": u_idx, "c": c_idx})
    arcs = [pairs.merge(pd.DataFrame({"u": np.arange(len(units)), "old_unit_id": units}), on="u")
            .merge(supply[["old_unit_id", "item_type"]], on="old_unit_id")]

    # communes short of an item type, and the K nearest of them for every unit holding that type
    local = supply.assign(commune_code=pd.Series(unit_commune, index=units).reindex(supply["old_unit_id"]).to_numpy(),
                          usable=supply["good"] + supply["repairable"]).groupby(["commune_code", "item_type"])["usable"].sum()
    key = pd.MultiIndex.from_frame(demand_nodes[["commune_code", "item_type"]])
    short = demand_nodes[demand_nodes["demand"].to_numpy() > local.reindex(key).fillna(0).to_numpy()]
    c_pos = pd.Series(np.arange(len(dest)), index=dest["commune_code"].to_numpy())
    u_pos = pd.Series(np.arange(len(units)), index=units)
    for item, group in short.groupby("item_type"):
        holders = supply.loc[supply["item_type"] == item, "old_unit_id"].to_numpy()
        cols = c_pos.reindex(group["commune_code"]).to_numpy()
        rows = u_pos.reindex(holders).to_numpy()
        nearest = np.argsort(km[np.ix_(rows, cols)], axis=1, kind="stable")[:, :k]
        arcs.append(pd.DataFrame({"u": np.repeat(rows, nearest.shape[1]), "c": cols[nearest].ravel(),
                                  "old_unit_id": np.repeat(holders, nearest.shape[1]), "item_type": item}))
    arcs = pd.concat(arcs, ignore_index=True).drop_duplicates(["u", "c", "item_type"])
    arcs["commune_code"] = dest["commune_code"].to_numpy()[arcs["c"].to_numpy()]
    arcs = arcs.merge(demand_nodes[["commune_code", "item_type"]], on=["commune_code", "item_type"])
    arcs["km"] = km[arcs["u"].to_numpy(), arcs["c"].to_numpy()]
    owner = dest["owner_old_unit_id"].fillna("").astype(str).to_numpy()
    arcs["kept"] = owner[arcs["c"].to_numpy()] == arcs["old_unit_id"].to_numpy()
    arcs.loc[arcs["kept"], "km"] = 0.0
    arcs["unit_transport_vnd"] = arcs["km"] * transport.reindex(arcs["item_type"]).fillna(0.0).to_numpy()
    return arcs.drop(columns=["u", "c"]).reset_index(drop=True)


def plan_equipment(ds: Dataset, scenario: Scenario, headcount: pd.DataFrame | None, sites) -> StageResult:
    """Transfers, repairs and purchases of equipment; tables and balance as in the module docstring."""
    start = time.perf_counter()
    notes = []
    headcount = planned_headcount(ds, scenario, headcount)
    if sites is None:
        notes.append(message("equipment_without_sites"))
    demand = equipment_demand(ds, headcount)
    caps = equipment_caps(ds)
    cut = demand.groupby("item_type")[["uncapped", "demand"]].sum()
    for item, row in cut[cut["uncapped"] > cut["demand"]].iterrows():
        notes.append(message("equipment_capped", items=item, count=int(row["uncapped"] - row["demand"]),
                             cap=int(caps.loc[caps["item_type"] == item, "max_per_commune"].max())))
    demand = demand[demand["demand"] > 0].reset_index(drop=True)
    eq = ds["equipment"].astype({"old_unit_id": str, "item_type": str, "condition": str})
    conditions = vocab.table("equipment_conditions")
    eq["condition"] = eq["condition"].map(dict(zip(conditions["code"], conditions["role"])))  # good | repairable | unusable
    inv = eq.pivot_table(index=["old_unit_id", "item_type"], columns="condition", values="count", aggfunc="sum",
                         fill_value=0, observed=True).reindex(columns=["good", "repairable", "unusable"], fill_value=0)
    inv = inv.astype(int).reset_index()
    supply = inv[(inv["good"] + inv["repairable"]) > 0].reset_index(drop=True)
    price, transport, repair = purchase_prices(ds, scenario), item_costs(ds, "transport_cost_per_km"), item_costs(ds, "repair_cost")
    budget = equipment_budget(ds, scenario)
    no_price = sorted(set(demand["item_type"]) - set(price.index))
    if no_price:
        notes.append(message("equipment_without_price", items=no_price))

    dest = _destinations(ds, sites)
    nodes = demand.groupby(["commune_code", "item_type"], as_index=False)["demand"].sum()
    arcs = _candidate_arcs(ds, scenario, supply, nodes, dest, transport) if len(supply) and len(nodes) else pd.DataFrame(
        columns=["old_unit_id", "commune_code", "km", "kept", "item_type", "unit_transport_vnd"])
    arcs["unit_repair_vnd"] = repair.reindex(arcs["item_type"]).fillna(0.0).to_numpy()

    # build: good and repaired flow per arc, purchase per demand node, unmet per demand row
    node_pos = pd.Series(np.arange(len(nodes)), index=pd.MultiIndex.from_frame(nodes[["commune_code", "item_type"]]))
    sup_pos = pd.Series(np.arange(len(supply)), index=pd.MultiIndex.from_frame(supply[["old_unit_id", "item_type"]]))
    arc_node = node_pos.reindex(pd.MultiIndex.from_frame(arcs[["commune_code", "item_type"]])).to_numpy(int) if len(arcs) else np.zeros(0, int)
    arc_sup = sup_pos.reindex(pd.MultiIndex.from_frame(arcs[["old_unit_id", "item_type"]])).to_numpy(int) if len(arcs) else np.zeros(0, int)
    dem_node = node_pos.reindex(pd.MultiIndex.from_frame(demand[["commune_code", "item_type"]])).to_numpy(int)
    node_price = price.reindex(nodes["item_type"]).to_numpy(float)
    buyable = ~np.isnan(node_price)
    with gc_paused():
        problem = pulp.LpProblem("equipment", pulp.LpMinimize)
        good = make_variables("good", len(arcs))
        fixed = make_variables("repaired", len(arcs))
        buy = [pulp.LpVariable(f"buy_{k}", 0, None if ok else 0) for k, ok in enumerate(buyable)]
        unmet = [pulp.LpVariable(f"unmet_{k}", 0, float(d)) for k, d in enumerate(demand["demand"].to_numpy())]
        add_rows(problem, "good_supply", linear_rows(arc_sup, len(supply), good), pulp.LpConstraintLE, supply["good"].to_numpy(float))
        add_rows(problem, "repairable_supply", linear_rows(arc_sup, len(supply), fixed), pulp.LpConstraintLE,
                 supply["repairable"].to_numpy(float))
        balance = linear_rows(np.concatenate([arc_node, arc_node, dem_node]), len(nodes), good + fixed + unmet)
        for row, var in zip(balance, buy):
            row[var] = 1.0
        add_rows(problem, "demand", balance, pulp.LpConstraintEQ, nodes["demand"].to_numpy(float))
        price_filled = np.nan_to_num(node_price)
        if budget is not None:
            add_rows(problem, "budget", [pulp.LpAffineExpression(dict(zip(buy, price_filled)))], pulp.LpConstraintLE, budget)
    build_seconds = time.perf_counter() - start

    # solve: lexicographic levels
    solves = []
    priorities = demand["priority"].to_numpy()
    levels = [(f"unmet_priority_{p}", pulp.LpAffineExpression({unmet[k]: 1.0 for k in np.flatnonzero(priorities == p)}))
              for p in sorted(set(priorities))]
    levels.append(("purchase_cost", pulp.LpAffineExpression(dict(zip(buy, price_filled)))))
    final = dict(zip(good, arcs["unit_transport_vnd"].to_numpy(float)))
    final.update(zip(fixed, arcs["unit_transport_vnd"].to_numpy(float) + arcs["unit_repair_vnd"].to_numpy(float)))
    levels.append(("transport_and_repair_cost", pulp.LpAffineExpression(final)))
    all_vars = good + fixed + buy + unmet
    if all_vars:  # nothing to decide when no commune needs anything
        solves += _lexicographic(problem, levels, all_vars, buy + unmet, scenario, build_seconds, notes)

    # extract
    g, r = np.round(values(good)).astype(int), np.round(values(fixed)).astype(int)
    p, m = np.round(values(buy)).astype(int), np.round(values(unmet)).astype(int)
    return _tables(ds, inv, supply, demand, nodes, arcs, dest, g, r, p, m, price, budget, solves, notes, caps)


def _fractional(variables: list) -> bool:
    flat = values(variables)
    return bool(len(flat)) and float(np.max(np.abs(flat - np.round(flat)))) > INTEGRAL


def _lexicographic(problem: pulp.LpProblem, levels: list, variables: list, purchases: list, scenario: Scenario,
                   build_seconds: float, notes: list) -> list:
    """Minimize each level in turn, keeping every earlier level at its optimum (a 'keep_' row).

    Levels are solved as LPs while the solution stays integral. From the first fractional level on,
    purchases and unmet counts become integers (with them fixed the flows form a transportation problem,
    whose vertices are integral) and that level is solved again; if flows still come out fractional,
    every variable becomes an integer. Earlier keep rows hold: an integral LP optimum is also the integer one.
    """
    solves, stage, k = [], 0, 0  # stage 0: LP, 1: purchases and unmet integer, 2: all integer
    while k < len(levels):
        name, expr = levels[k]
        problem.setObjective(pulp.LpAffineExpression(expr))
        info = solve_fast(problem, scenario.solver, f"equipment:{name}" + ("" if stage == 0 else ":integer"),
                          build_seconds if not solves else 0.0, mip=stage > 0)
        solves.append(info)
        if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
            raise PlanInconsistent(STAGE, [f"equipment level '{name}' ended with status {info.status}"])
        if stage < 2 and _fractional(variables):
            stage += 1
            for var in (purchases if stage == 1 else variables):
                var.cat = pulp.LpInteger
            if stage == 1:
                notes.append(message("equipment_whole_items", level=name))
            continue
        if k < len(levels) - 1:
            best = float(info.objective or 0.0)  # an empty level has no objective value
            add_rows(problem, f"keep_{name}", [pulp.LpAffineExpression(expr)], pulp.LpConstraintLE,
                     best + 1e-7 * max(1.0, abs(best)) + 1e-6)
        k += 1
    notes += time_limit_notes(solves)
    return solves


def _tables(ds, inv, supply, demand, nodes, arcs, dest, g, r, p, m, price, budget, solves, notes, caps) -> StageResult:
    arcs = arcs.assign(good=g, repaired=r)
    moving = arcs[(~arcs["kept"] & (arcs["good"] > 0)) | (arcs["repaired"] > 0)]
    moving = moving[~moving["kept"] | (moving["km"] > 0)]
    dest_idx = dest.set_index("commune_code")
    transfers = pd.DataFrame({
        "from_old_unit_id": moving["old_unit_id"].to_numpy(), "to_commune_code": moving["commune_code"].to_numpy(int),
        "to_building_id": dest_idx["building_id"].reindex(moving["commune_code"]).to_numpy(),
        "item_type": moving["item_type"].to_numpy(), "count": (moving["good"] + moving["repaired"]).to_numpy(int),
        "repaired": moving["repaired"].to_numpy(int), "km": moving["km"].round(2).to_numpy(),
        "transport_cost_vnd": ((moving["good"] + moving["repaired"]) * moving["unit_transport_vnd"]).to_numpy(float),
    }).reset_index(drop=True)
    repairs = (arcs[arcs["repaired"] > 0].assign(cost_vnd=lambda d: d["repaired"] * d["unit_repair_vnd"])
               .groupby(["old_unit_id", "item_type"], as_index=False)
               .agg(count=("repaired", "sum"), cost_vnd=("cost_vnd", "sum")))
    names = dest_idx["commune_name"]
    purchases = nodes.assign(count=p)[lambda d: d["count"] > 0].copy()
    purchases["commune_name"] = names.reindex(purchases["commune_code"]).to_numpy()
    purchases["unit_price_vnd"] = price.reindex(purchases["item_type"]).to_numpy(float)
    purchases["cost_vnd"] = purchases["count"] * purchases["unit_price_vnd"]
    purchases = purchases[["commune_code", "commune_name", "item_type", "count", "unit_price_vnd", "cost_vnd"]].reset_index(drop=True)

    used = arcs.groupby(["old_unit_id", "item_type"]).agg(
        kept=("good", lambda s: int(s[arcs.loc[s.index, "kept"]].sum())), good_used=("good", "sum"), repaired=("repaired", "sum"))
    balance = inv.set_index(["old_unit_id", "item_type"]).join(used).fillna(0).astype(int).reset_index()
    balance["inventory"] = balance["good"] + balance["repairable"] + balance["unusable"]
    balance["moved"] = balance["good_used"] - balance["kept"]
    balance["surplus"] = (balance["good"] - balance["good_used"]) + (balance["repairable"] - balance["repaired"])
    balance["disposed"] = balance["unusable"]
    eq = ds["equipment"].astype({"old_unit_id": str, "item_type": str})
    usable_value = (eq[eq["condition"].isin(["good", "repairable"])].assign(v=lambda d: d["count"].astype(float) * d["unit_value_vnd"])
                    .groupby(["old_unit_id", "item_type"])[["v", "count"]].sum())
    per_item = (usable_value["v"] / usable_value["count"].astype(float).replace(0, np.nan)).fillna(0.0)
    balance["surplus_value_vnd"] = balance["surplus"] * per_item.reindex(pd.MultiIndex.from_frame(balance[["old_unit_id", "item_type"]])).fillna(0.0).to_numpy()
    balance = balance[["old_unit_id", "item_type", "inventory", "kept", "moved", "repaired", "surplus", "disposed",
                       "surplus_value_vnd"]].sort_values(["old_unit_id", "item_type"]).reset_index(drop=True)

    received = arcs.groupby(["commune_code", "item_type"])[["good", "repaired"]].sum().sum(axis=1)
    unmet_rows = demand.assign(unmet=m).groupby(["commune_code", "item_type"])["unmet"].sum()
    shortfall = nodes.copy()
    key = pd.MultiIndex.from_frame(nodes[["commune_code", "item_type"]])
    shortfall["supplied_existing"] = received.reindex(key).fillna(0).astype(int).to_numpy()
    shortfall["purchased"] = p
    shortfall["unmet"] = unmet_rows.reindex(key).fillna(0).astype(int).to_numpy()
    shortfall = shortfall[["commune_code", "item_type", "demand", "supplied_existing", "purchased", "unmet"]]
    demand_table = demand[["commune_code", "item_type", "priority", "demand"]].assign(unmet=m)

    _verify(inv, supply, balance, shortfall, purchases, budget, caps)
    total_demand = int(shortfall["demand"].sum())
    kpis = [
        kpi_row("equipment_budget_used", float(purchases["cost_vnd"].sum())),
        kpi_row("equipment_budget", budget),
        kpi_row("equipment_items_moved", int(transfers["count"].sum())),
        kpi_row("equipment_items_kept", int(balance["kept"].sum())),
        kpi_row("equipment_demand_covered", round(100.0 * (1 - shortfall["unmet"].sum() / total_demand), 2) if total_demand else 100.0),
        kpi_row("equipment_items_purchased", int(purchases["count"].sum())),
        kpi_row("equipment_purchases_cost", float(purchases["cost_vnd"].sum())),
        kpi_row("equipment_transport_cost", float(transfers["transport_cost_vnd"].sum())),
        kpi_row("equipment_repair_cost", float(repairs["cost_vnd"].sum()) if len(repairs) else 0.0),
        kpi_row("surplus_equipment_value", float(balance["surplus_value_vnd"].sum())),
        kpi_row("equipment_unmet_priority_1", int(demand_table.loc[demand_table["priority"] == 1, "unmet"].sum())),
    ]
    tables = {"equipment_transfers": transfers, "equipment_repairs": repairs, "equipment_purchases": purchases,
              "equipment_balance": balance, "unmet_equipment": shortfall, "equipment_demand": demand_table}
    return StageResult(tables=tables, kpis=kpis, solves=solves, notes=notes)


def _verify(inv, supply, balance, shortfall, purchases, budget, caps) -> None:
    """Re-check the extracted plan: balance exact, demand identity, budget, caps per commune (max_per_commune)."""
    violations = []
    parts = balance[["kept", "moved", "repaired", "surplus", "disposed"]].sum(axis=1)
    bad = balance[(parts != balance["inventory"]) | (balance[["kept", "moved", "repaired", "surplus", "disposed"]] < 0).any(axis=1)]
    violations += [f"{r.old_unit_id} {r.item_type}: kept {r.kept} + moved {r.moved} + repaired {r.repaired} + surplus {r.surplus} "
                   f"+ disposed {r.disposed} != inventory {r.inventory} (or a negative count)" for r in bad.itertuples()]
    if len(balance) != len(inv):
        violations.append(f"equipment balance has {len(balance)} rows for {len(inv)} old unit x item type pairs")
    ident = shortfall[shortfall["supplied_existing"] + shortfall["purchased"] + shortfall["unmet"] != shortfall["demand"]]
    violations += [f"commune {r.commune_code} {r.item_type}: supplied {r.supplied_existing} + purchased {r.purchased} + unmet {r.unmet} != demand {r.demand}"
                   for r in ident.itertuples()]
    spent = float(purchases["cost_vnd"].sum())
    if budget is not None and spent > budget * (1 + 1e-9) + 1e-6:
        violations.append(f"purchases {spent:,.0f} VND above the equipment budget {budget:,.0f}")
    held = shortfall.assign(held=shortfall["supplied_existing"] + shortfall["purchased"]).merge(caps, on=["commune_code", "item_type"])
    violations += [f"commune {r.commune_code} gets {r.held} {r.item_type}, above its cap of {r.max_per_commune}"
                   for r in held[held["held"] > held["max_per_commune"]].itertuples()]
    if violations:
        raise PlanInconsistent(STAGE, violations)
