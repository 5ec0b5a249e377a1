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

Objective, lexicographic:
  1..P. unmet demand of priority 1, then 2, ... (counters first)
  P+1.  purchase cost ("use what we have"), within the equipment budget
  P+2.  transport (km x cost per km and item) + repair cost
What the budget pays for is the scenario's assets.equipment_budget_covers: 'purchases' (the default) or
'purchases_repairs_transport'. For purchases only, solved without a MIP, as network LPs whose vertices are
integral, in two phases; why this is exact:
  * Per item type, the model is a transportation network (old units -> communes, plus purchases and unmet),
    and the only row linking item types is the budget. Purchases of a type may go to any of its communes.
  * Phase 1 (no purchases): the lexicographic minimum of unmet demand by priority on the network. Demand
    slots that existing items can cover form a matroid (a gammoid: coverable sets of a flow network), so
    the priority-greedy plan covers the most slots of priority <= p for every p at once; X purchases of a
    type, placeable anywhere, are X wildcards, and the union with a free matroid of rank X is again a
    matroid: with X purchases, the unmet of priority <= p is max(0, U_<=p - X), U from phase 1.
  * So the budget question is: for every priority in turn, how many unmet items of which type to buy.
    Each item counts 1 whatever its price, so within a priority the most items are bought by taking the
    cheapest first (exchange argument), whole items, and the least is spent that way, which leaves the
    most for later priorities and minimizes level P+1 (_purchases: cheapest price class first, each class
    in full while the budget allows; a class that does not fit gets what the rest buys, split among its
    equal-priced types by the network, and buys nothing more). Level P+1 is then fixed: not solved again.
  * Phase 2: the network with those purchase counts as bounds, the unmet levels and then transport and
    repair. Levels are kept by fixing bounds on the optimal face (planner.solver.ArraySession.
    fix_optimal_face: complementary slackness), never by an objective row, so the matrix stays a network
    and the optimal vertex is integral; several priorities are folded into one LP where weights make that
    exact (_fold). The unmet levels need no LP where the prediction fixes the face by bounds alone: a block
    that buys all phase 1 left unmet has the face "unmet = 0", a block that buys nothing keeps phase 1's
    face; only a block the budget cuts short is solved again. The unmet counts are re-checked against the
    prediction (_check_purchases) and the vertex for integrality (a whole-number re-solve if it ever were
    fractional).
  * Item types are independent except through the budget: each price class is its own small LP (block).
  * Speed (measured on Lào Cai and Hà Nội): phase 1 starts cold with the primal simplex, the transport and
    repair level goes on with the dual simplex, and arcs get no column for a condition their old unit does not hold.
When the budget also pays for repairs and transport, moving or repairing an item competes with buying one and
the cheapest-first argument fails. The purchases-only plan is solved first: if its purchases + repairs +
transport fit the budget it is optimal here too (this feasible set is a subset of its own); otherwise an
integer program over all item types with the budget row (_within_budget), the same levels kept by rows.

equipment_balance, per old unit and item type (kept + moved + repaired + surplus + disposed == inventory):
  kept      good items used where they are (their old unit owns the destination HQ building)
  moved     good items transported to another commune's or building's HQ
  repaired  repairable items repaired and used (in place or moved)
  surplus   usable items not needed (good unused + repairable not repaired): to schools/health stations
  disposed  unusable items
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import vocab
from ..dataset import Dataset
from ..derived import equipment_budget, equipment_caps, equipment_demand, item_costs, planned_headcount, purchase_prices
from ..geo import distance_matrix_km
from ..messages import message, number
from ..errors import PlanInconsistent
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import Scenario
from ..solver import ArrayModel, ArraySession, SolveInfo, SolveStatus, time_limit_notes, usable

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

    # build: the network arrays (see _block), one block per price class of item types
    node_pos = pd.Series(np.arange(len(nodes)), index=pd.MultiIndex.from_frame(nodes[["commune_code", "item_type"]]))
    sup_pos = pd.Series(np.arange(len(supply)), index=pd.MultiIndex.from_frame(supply[["old_unit_id", "item_type"]]))
    types = np.unique(nodes["item_type"].astype(str).to_numpy())
    type_of = pd.Series(np.arange(len(types)), index=types)
    net = {
        "arc_sup": sup_pos.reindex(pd.MultiIndex.from_frame(arcs[["old_unit_id", "item_type"]])).to_numpy(int) if len(arcs) else np.zeros(0, int),
        "arc_node": node_pos.reindex(pd.MultiIndex.from_frame(arcs[["commune_code", "item_type"]])).to_numpy(int) if len(arcs) else np.zeros(0, int),
        "dem_node": node_pos.reindex(pd.MultiIndex.from_frame(demand[["commune_code", "item_type"]])).to_numpy(int),
        "good": supply["good"].to_numpy(float), "repairable": supply["repairable"].to_numpy(float),
        "demand": nodes["demand"].to_numpy(float), "row_demand": demand["demand"].to_numpy(float),
        "priority": demand["priority"].to_numpy(int),
        "node_type": type_of.reindex(nodes["item_type"].astype(str)).to_numpy(int),
        "sup_type": type_of.reindex(supply["item_type"].astype(str)).fillna(-1).to_numpy(int),  # -1: nobody needs it
        "transport": arcs["unit_transport_vnd"].to_numpy(float), "repair": arcs["unit_repair_vnd"].to_numpy(float),
    }
    type_price = price.reindex(types).to_numpy(float)
    blocks = [_block(net, members) for members in _price_classes(type_price)]
    build_seconds = time.perf_counter() - start

    solves, priorities = [], sorted(set(net["priority"].tolist()))
    if blocks:  # nothing to decide when no commune needs anything
        # phase 1: what the existing items alone leave unmet, per item type and priority
        sessions = [ArraySession(b["model"], scenario.solver) for b in blocks]
        solves += _unmet_levels(sessions, blocks, priorities, "equipment:without_purchases", build_seconds, cold=True)
        unmet_by = {}
        for b, s in zip(blocks, sessions):
            left = pd.Series(s.x[b["unmet"]]).round().groupby([b["types"][b["row_type"]], b["priority"]]).sum()
            unmet_by.update(left.to_dict())
        # the purchases: the budget's greedy split (exact: see the module docstring), then phase 2 with them
        start = time.perf_counter()
        market = _purchases(unmet_by, type_price, priorities, budget)
        short = [message("equipment_budget_short", left=number(left_vnd), items=", ".join(types[members]), priority=p,
                          missing=int(missing)) for p, members, left_vnd, missing in market["short"]]
        # phase 2 where it is needed: a block that buys all it lacks has the optimal face "nothing unmet", a block that
        # buys nothing keeps the face of phase 1; only a block cut short by the budget solves its unmet levels again
        expected = [_expected_unmet(b, unmet_by, _bought(b, market, type_price), priorities) for b in blocks]
        again = []
        for b, s, e in zip(blocks, sessions, expected):
            if all(e[p] == sum(unmet_by.get((t, p), 0.0) for t in b["types"]) for p in priorities):
                continue
            s.reset_bounds()
            s.set_column_bounds(b["bought"], market["low"][b["types"]], market["high"][b["types"]])
            s.set_row_bounds(b["class_row"], -np.inf, _bought(b, market, type_price))
            if any(e.values()):
                again.append((b, s))
            else:
                s.set_column_bounds(b["unmet"], 0.0, 0.0)
        if again:
            solves += _unmet_levels([s for _, s in again], [b for b, _ in again], priorities, "equipment",
                                    time.perf_counter() - start)
        for b, s in zip(blocks, sessions):
            s.set_objective(b["route_cost"])
        # the dual simplex, although only the objective changed: measured 2-4 x faster here than the primal from this basis
        solves.append(_solve_all(sessions, "equipment:transport_and_repair_cost", 0.0))
        for s in sessions:
            if len(s.x) and float(np.max(np.abs(s.x - np.round(s.x)))) > INTEGRAL:  # never expected: a network vertex
                solves.append(_solve_all([s], "equipment:transport_and_repair_cost:integer", 0.0, integer=True))
        _check_purchases(blocks, sessions, expected, priorities)
        x = np.zeros(2 * len(arcs) + len(nodes) + len(demand))
        for b, s in zip(blocks, sessions):
            x[b["global"]] = s.x[:len(b["global"])]
        if _covers_all(scenario, budget) and _spent(net, x, type_price) > budget * (1 + 1e-9) + 1e-6:
            # the purchases-only plan overspends once repairs and transport count: the budget binds them all (MIP)
            x, more = _within_budget(net, type_price, budget, priorities, scenario, x)
            solves += more
        else:
            notes += short
    else:
        x = np.zeros(0)
    notes += time_limit_notes(solves)

    # extract
    n_arcs, n_nodes = len(arcs), len(nodes)
    whole = np.round(x).astype(int) if len(x) else np.zeros(2 * n_arcs + n_nodes + len(demand), int)
    g, r = whole[:n_arcs], whole[n_arcs:2 * n_arcs]
    p, m = whole[2 * n_arcs:2 * n_arcs + n_nodes], whole[2 * n_arcs + n_nodes:2 * n_arcs + n_nodes + len(demand)]
    return _tables(ds, inv, supply, demand, nodes, arcs, dest, g, r, p, m, price, budget, solves, notes, caps,
                   _covers_all(scenario, budget))


def _covers_all(scenario: Scenario, budget: float | None) -> bool:
    """True when a (finite) equipment budget pays for repairs and transport as well as purchases."""
    return budget is not None and scenario.assets.equipment_budget_covers == "purchases_repairs_transport"


def _spent(net: dict, x: np.ndarray, type_price: np.ndarray) -> float:
    """Purchases + repairs + transport of a whole plan x (columns: good per arc, repaired per arc, bought per node, ...)."""
    n_arcs, n_nodes = len(net["arc_sup"]), len(net["demand"])
    bought = x[2 * n_arcs:2 * n_arcs + n_nodes]
    node_price = np.nan_to_num(type_price[net["node_type"]]) if n_nodes else np.zeros(0)
    return float(np.dot(x[:n_arcs], net["transport"]) + np.dot(x[n_arcs:2 * n_arcs], net["transport"] + net["repair"])
                 + np.dot(bought, node_price))


def _within_budget(net: dict, type_price: np.ndarray, budget: float, priorities: list, scenario: Scenario,
                   purchases_only: np.ndarray):
    """The plan when the budget pays for purchases, repairs and transport together (assets.equipment_budget_covers).

    One row now links buying, repairing and moving across all item types, so the cheapest-first split of the module
    docstring no longer holds and the network is no longer totally unimodular: an integer program on the whole
    network (_block with every item type) plus the budget row (bought x price + good flow x transport + repaired
    flow x (transport + repair) <= budget). Same lexicographic levels as the purchases-only plan, each kept by a row
    before the next: unmet demand by priority (whole numbers, so kept at their optimum + 0.5), then purchase cost,
    then transport + repair cost. Only called when the purchases-only plan overspends this budget: otherwise that
    plan is feasible here and optimal (this feasible set is a subset of its own). For the same reason the
    purchases-only plan's unmet levels are lower bounds here, level by level while they are equal: the first levels
    that a trimmed copy of it reaches within the budget (_trimmed_fits) are optimal and kept without a solve."""
    start = time.perf_counter()
    b = _block(net, np.arange(len(type_price)))
    m = b["model"]
    n_cols = len(m.cost)
    price = np.where(np.isnan(type_price), 0.0, type_price)
    bought_cost = np.zeros(n_cols)
    bought_cost[b["bought"]] = price
    weights = [np.where(np.isin(np.arange(n_cols), b["unmet"][b["priority"] == p]), 1.0, 0.0) for p in priorities]
    extra = [b["route_cost"] + bought_cost, bought_cost] + weights  # budget row, purchase-cost row, unmet rows
    rows = [np.flatnonzero(e) for e in extra]
    n_rows = len(m.row_lower)
    # the level rows start with a finite bound no plan reaches (the CBC path needs one finite side per row)
    loose = [float(np.dot(price[net["node_type"]], net["demand"])) + 1.0] + [
        float(b["row_demand"][b["priority"] == p].sum()) + 1.0 for p in priorities]
    model = replace(
        m, upper=np.where(np.isin(np.arange(n_cols), b["bought"][np.isnan(type_price)]), 0.0,
                          np.where(np.isin(np.arange(n_cols), b["bought"]), np.inf, m.upper)),
        row_lower=np.concatenate([m.row_lower, np.full(len(extra), -np.inf)]),
        row_upper=np.concatenate([np.where(np.arange(n_rows) == b["class_row"], float(net["demand"].sum()), m.row_upper),
                                  [float(budget)], loose]),
        start=np.concatenate([m.start, m.start[-1] + np.cumsum([len(r) for r in rows])]),
        index=np.concatenate([m.index] + rows), value=np.concatenate([m.value] + [e[r] for e, r in zip(extra, rows)]))
    session = ArraySession(model, scenario.solver)
    build, solves = time.perf_counter() - start, []
    levels = [(f"unmet_priority_{p}", w, 0.5) for p, w in zip(priorities, weights)]
    n_all_arcs, n_all_nodes = len(net["arc_sup"]), len(net["demand"])
    unmet_before = purchases_only[2 * n_all_arcs + n_all_nodes:]
    proven = 0  # levels whose purchases-only value a trimmed plan reaches within the budget
    while proven < len(priorities) and _trimmed_fits(net, purchases_only, type_price, budget, priorities[proven]):
        proven += 1
    for k in range(proven):
        value = float(unmet_before[net["priority"] == priorities[k]].sum())
        session.set_row_bounds([n_rows + 2 + k], -np.inf, value + 0.5)
    for k, (name, cost, slack) in enumerate(levels + [("purchase_cost", bought_cost, 0.5),
                                                       ("transport_and_repair_cost", b["route_cost"], None)]):
        if k < proven:
            continue
        session.set_objective(cost)
        solves.append(_solve_all([session], f"equipment:budget_all_costs:{name}", build if not solves else 0.0, integer=True))
        if slack is not None:  # keep this level: its row at the value reached (whole VND and items)
            row = n_rows + 1 + (k + 1 if k < len(levels) else 0)
            session.set_row_bounds([row], -np.inf, float(np.dot(cost, np.round(session.x))) + slack)
    x = np.zeros(2 * n_all_arcs + n_all_nodes + len(net["row_demand"]))
    x[b["global"]] = session.x[:len(b["global"])]
    return np.round(x), solves


def _trimmed_fits(net: dict, x: np.ndarray, type_price: np.ndarray, budget: float, priority: int) -> bool:
    """Whether plan x (whole plan layout), cut back to cover only demand of priority <= `priority` (the others left
    unmet), fits the budget on purchases + repairs + transport. Each commune gives up its purchases first, then its
    dearest transfers; what stays covers exactly what x covers at priority <= `priority`, so x's unmet counts of
    those priorities are met within the budget."""
    n_arcs, n_nodes = len(net["arc_sup"]), len(net["demand"])
    unmet = x[2 * n_arcs + n_nodes:]
    later = net["priority"] > priority
    excess = np.bincount(net["dem_node"][later], weights=(net["row_demand"] - unmet)[later], minlength=n_nodes)
    node_price = np.nan_to_num(type_price[net["node_type"]])
    bought = x[2 * n_arcs:2 * n_arcs + n_nodes]
    dropped = np.minimum(excess, bought)
    saved = float(np.dot(dropped, node_price))
    rest = excess - dropped
    flows = pd.DataFrame({"node": np.concatenate([net["arc_node"], net["arc_node"]]), "amount": x[:2 * n_arcs],
                          "cost": np.concatenate([net["transport"], net["transport"] + net["repair"]])})
    flows = flows[flows["amount"] > 0].sort_values(["node", "cost"], ascending=[True, False], kind="stable")
    before = flows.groupby("node")["amount"].cumsum() - flows["amount"]
    cut = np.clip(rest[flows["node"].to_numpy()] - before.to_numpy(), 0.0, flows["amount"].to_numpy())
    saved += float(np.dot(cut, flows["cost"].to_numpy()))
    return _spent(net, x, type_price) - saved <= budget * (1 + 1e-9) + 1e-6


def _price_classes(type_price: np.ndarray) -> list[np.ndarray]:
    """Item types grouped by purchase price (types of equal price share a budget split), unpriced types one by one."""
    priced = np.flatnonzero(~np.isnan(type_price))
    classes = [priced[type_price[priced] == value] for value in np.unique(type_price[priced])]
    return classes + [np.array([t]) for t in np.flatnonzero(np.isnan(type_price))]


def _block(net: dict, members: np.ndarray) -> dict:
    """The network of some item types as arrays (ArrayModel), and where its columns go in the whole plan.

    Columns: good flow per arc, repaired flow per arc, purchases per demand node, unmet per demand row, then one
    column per item type (its items bought, bounds set by the budget split; 0 until then). An arc gets no good
    (repaired) column when its old unit holds no good (repairable) item of the type: such a flow is 0 in every plan.
    Rows: good supply per (old unit, item type) (<=), repairable supply (<=), demand per (commune, item type) (=), one
    row per item type (its purchases at the nodes minus its column = 0) and one for the block (its types' columns <=
    what the budget buys of them). After flipping the sign of the supply and item-type rows every column has at most
    one +1 and one -1: a network matrix, totally unimodular, so with whole-number bounds every vertex is integral."""
    arc = np.isin(net["node_type"][net["arc_node"]], members)
    good, fixed = arc & (net["good"][net["arc_sup"]] > 0), arc & (net["repairable"][net["arc_sup"]] > 0)
    node, row, sup = (np.isin(net["node_type"], members), np.isin(net["node_type"][net["dem_node"]], members),
                      np.isin(net["sup_type"], members))
    node_at, sup_at = np.cumsum(node) - 1, np.cumsum(sup) - 1
    n_nodes, n_rows, n_sup, n_types = int(node.sum()), int(row.sum()), int(sup.sum()), len(members)
    flow_sup = np.concatenate([sup_at[net["arc_sup"][good]], n_sup + sup_at[net["arc_sup"][fixed]]])  # its supply row
    flow_node = node_at[np.concatenate([net["arc_node"][good], net["arc_node"][fixed]])]
    dem_node = node_at[net["dem_node"][row]]
    local_type = np.searchsorted(members, net["node_type"][node])
    n_flow = len(flow_sup)
    flows, buy, unmet = np.arange(n_flow), n_flow + np.arange(n_nodes), n_flow + n_nodes + np.arange(n_rows)
    bought = n_flow + n_nodes + n_rows + np.arange(n_types)
    demand_row, type_row, class_row = 2 * n_sup + np.arange(n_nodes), 2 * n_sup + n_nodes + np.arange(n_types), 2 * n_sup + n_nodes + n_types
    row_ = np.concatenate([flow_sup, demand_row[flow_node], demand_row, demand_row[dem_node], type_row[local_type], type_row,
                           np.full(n_types, class_row)])
    col = np.concatenate([flows, flows, buy, unmet, buy, bought, bought])
    val = np.concatenate([np.ones(2 * n_flow + n_nodes + n_rows + n_nodes), -np.ones(n_types), np.ones(n_types)])
    order = np.lexsort((col, row_))  # CSR: row by row (arcs are distinct, so no entry repeats)
    start = np.concatenate([[0], np.cumsum(np.bincount(row_, minlength=class_row + 1))])
    demand = net["demand"][node]
    n_cols = n_flow + n_nodes + n_rows + n_types
    model = ArrayModel(
        cost=np.zeros(n_cols), lower=np.zeros(n_cols),
        upper=np.concatenate([np.full(n_flow + n_nodes, np.inf), net["row_demand"][row], np.zeros(n_types)]),
        row_lower=np.concatenate([np.full(2 * n_sup, -np.inf), demand, np.zeros(n_types), [-np.inf]]),
        row_upper=np.concatenate([net["good"][sup], net["repairable"][sup], demand, np.zeros(n_types), [0.0]]),
        start=start, index=col[order], value=val[order])
    n_all_arcs, n_all_nodes = len(net["arc_sup"]), len(net["demand"])
    route = np.zeros(n_cols)
    route[:n_flow] = np.concatenate([net["transport"][good], net["transport"][fixed] + net["repair"][fixed]])
    return {"model": model, "types": members, "unmet": unmet, "bought": bought, "class_row": class_row,
            "row_type": np.searchsorted(members, net["node_type"][net["dem_node"][row]]), "priority": net["priority"][row],
            "row_demand": net["row_demand"][row], "route_cost": route,
            "global": np.concatenate([np.flatnonzero(good), n_all_arcs + np.flatnonzero(fixed), 2 * n_all_arcs + np.flatnonzero(node),
                                      2 * n_all_arcs + n_all_nodes + np.flatnonzero(row)])}


FOLD_LIMIT = 2.0 ** 40  # largest weighted objective folded into one LP (whole numbers stay exact in doubles)


def _fold(priorities: list, demand_by: dict) -> list[tuple[list, dict]]:
    """Consecutive priorities folded into one objective with weights W_p = 1 + sum_{q>p in the group} W_q x D_q
    (D_q: all demand of priority q, so no change of the later levels outweighs one item of an earlier one). On the
    integral vertices of a network, minimizing that sum is the lexicographic minimum of the group; a group closes
    before sum W_p x D_p would pass FOLD_LIMIT. Returns [(priorities, {priority: weight})]."""
    groups, current = [], []
    for p in priorities:
        trial = current + [p]
        weights = {}
        for q in reversed(trial):
            weights[q] = 1.0 + sum(weights[r] * demand_by.get(r, 0.0) for r in weights)
        if current and sum(weights[q] * demand_by.get(q, 0.0) for q in trial) > FOLD_LIMIT:
            groups.append(current)
            current = [p]
        else:
            current = trial
    groups.append(current)
    out = []
    for group in groups:
        weights = {}
        for q in reversed(group):
            weights[q] = 1.0 + sum(weights[r] * demand_by.get(r, 0.0) for r in weights)
        out.append((group, weights))
    return out


def _unmet_levels(sessions: list, blocks: list, priorities: list, prefix: str, build_seconds: float,
                  cold: bool = False) -> list:
    """The lexicographic minimum of unmet demand by priority on every block: each folded group of priorities is one
    LP solve (warm), then the optimal face is kept by bounds (ArraySession.fix_optimal_face: reduced costs of a
    network with whole-number costs are whole numbers, so 0.5 separates zero from non-zero). cold: the sessions have
    not been solved yet; the first solve then uses the primal simplex (measured: half the iterations of the dual)."""
    demand_by = {}
    for b in blocks:
        for p, d in pd.Series(b["row_demand"]).groupby(b["priority"]).sum().items():
            demand_by[p] = demand_by.get(p, 0.0) + d
    solves = []
    for group, weights in _fold(priorities, demand_by):
        for b, s in zip(blocks, sessions):
            cost = np.zeros(len(b["model"].cost))
            cost[b["unmet"]] = pd.Series(b["priority"]).map(weights).fillna(0.0).to_numpy(float)
            s.set_objective(cost)
        name = f"unmet_priority_{group[0]}" + (f"-{group[-1]}" if len(group) > 1 else "")
        solves.append(_solve_all(sessions, f"{prefix}:{name}", build_seconds if not solves else 0.0, primal=cold and not solves))
        for s in sessions:
            s.fix_optimal_face(0.5)
    return solves


def _solve_all(sessions: list, model: str, build_seconds: float, integer: bool = False, primal: bool = False) -> SolveInfo:
    """Solve every block; one SolveInfo for them all (seconds, sizes and objectives added up, the worst status)."""
    infos = [s.solve(model, build_seconds if k == 0 else 0.0, integer=integer, primal=primal) for k, s in enumerate(sessions)]
    for info in infos:
        if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
            raise PlanInconsistent(STAGE, [f"equipment model '{model}' ended with status {info.status}"])
    worst = next((i for i in infos if i.status != SolveStatus.optimal), infos[0])
    gaps = [i.gap for i in infos if i.gap is not None]
    return replace(worst, objective=float(sum(i.objective or 0.0 for i in infos)),
                   gap=max(gaps) if len(gaps) == len(infos) else None,
                   build_seconds=round(sum(i.build_seconds for i in infos), 4),
                   solve_seconds=round(sum(i.solve_seconds for i in infos), 4),
                   variables=sum(i.variables for i in infos), constraints=sum(i.constraints for i in infos))


def _bought(b: dict, market: dict, type_price: np.ndarray) -> float:
    """How many items the budget split buys for block b (its price class's total; 0 for unpriced items)."""
    first = b["types"][0]
    return 0.0 if np.isnan(type_price[first]) else float(market["class_total"][market["class_of"][first]])


def _expected_unmet(b: dict, unmet_by: dict, bought: float, priorities: list) -> dict:
    """The unmet items of block b per priority once `bought` items are bought: those phase 1 left, the purchases
    taken by priority (the matroid argument of the module docstring: unmet up to p = max(0, phase 1's - bought))."""
    expected, left = {}, bought
    for p in priorities:
        before = sum(unmet_by.get((t, p), 0.0) for t in b["types"])
        take = min(before, left)
        expected[p], left = before - take, left - take
    return expected


def _check_purchases(blocks: list, sessions: list, expected: list, priorities: list) -> None:
    """Re-check the plan against the budget split: the unmet items of every price class and priority are those
    phase 1 left minus what the split bought for them (_expected_unmet: the argument of the module docstring, checked)."""
    violations = []
    for b, s, e in zip(blocks, sessions, expected):
        got = pd.Series(np.round(s.x[b["unmet"]])).groupby(b["priority"]).sum()
        violations += [f"item types {list(b['types'])}, priority {p}: {got.get(p, 0.0):g} unmet after purchases, "
                       f"{e[p]:g} expected" for p in priorities if abs(got.get(p, 0.0) - e[p]) > 0.5]
    if violations:
        raise PlanInconsistent(STAGE, violations)


def _purchases(unmet_by: dict, type_price: np.ndarray, priorities: list, budget: float | None) -> dict:
    """How many items of each type to buy: the budget's greedy split, priority by priority, cheapest price first.

    unmet_by[(type, priority)] is what existing items leave unmet (phase 1). Within a priority, the price classes
    (item types of equal price) are taken cheapest first, each in full while the budget allows; the first class
    that does not fit gets as many items as the rest of the budget buys, split among its types by the network (the
    class row), and that class and every dearer one buy nothing more at later priorities (the budget left is below
    their price). Returns per type the lowest and highest count bought (low = high except in a partial class),
    each type's class, each class's total and the (priority, types, budget left, items missing) of each class cut."""
    n_types = len(type_price)
    left = np.inf if budget is None else float(budget)
    priced = np.flatnonzero(~np.isnan(type_price))
    classes = np.unique(type_price[priced]) if len(priced) else np.zeros(0)
    class_of = np.zeros(n_types, int)
    class_of[priced] = np.searchsorted(classes, type_price[priced])
    low, high, open_ = np.zeros(n_types), np.zeros(n_types), np.ones(len(classes), bool)
    total, short = np.zeros(len(classes)), []
    for p in priorities:
        for c in range(len(classes)):
            if not open_[c]:
                continue
            members = priced[class_of[priced] == c]
            need = sum(unmet_by.get((t, p), 0.0) for t in members)
            if need <= 0:
                continue
            n = need if np.isinf(left) else min(need, float(np.floor(left / classes[c] + 1e-9)))
            if n < need:
                short.append((p, members, left, need - n))
            left -= n * classes[c]
            total[c] += n
            for t in members:
                high[t] += unmet_by.get((t, p), 0.0)
                if n == need:
                    low[t] += unmet_by.get((t, p), 0.0)
            open_[c] = n == need
    return {"low": low, "high": high, "class_of": class_of, "class_total": total, "short": short}


def _tables(ds, inv, supply, demand, nodes, arcs, dest, g, r, p, m, price, budget, solves, notes, caps,
            covers_all: bool = False) -> StageResult:
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

    used = (arcs.assign(kept_good=np.where(arcs["kept"].to_numpy(bool), arcs["good"].to_numpy(), 0))
            .groupby(["old_unit_id", "item_type"])
            .agg(kept=("kept_good", "sum"), good_used=("good", "sum"), repaired=("repaired", "sum")))
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

    bought = float(purchases["cost_vnd"].sum())
    moved, fixed = float(transfers["transport_cost_vnd"].sum()), float(repairs["cost_vnd"].sum()) if len(repairs) else 0.0
    used = bought + moved + fixed if covers_all else bought
    _verify(inv, supply, balance, shortfall, used, budget, caps)
    if budget is not None:
        notes = notes + [message("equipment_budget_all_costs", budget=number(budget), purchases=number(bought),
                                 repair=number(fixed), transport=number(moved), used=number(used)) if covers_all else
                         message("equipment_budget_purchases", budget=number(budget), used=number(used),
                                 repair=number(fixed), transport=number(moved))]
    total_demand = int(shortfall["demand"].sum())
    kpis = [
        kpi_row("equipment_budget_used", used),
        kpi_row("equipment_budget", budget),
        kpi_row("equipment_items_moved", int(transfers["count"].sum())),
        kpi_row("equipment_items_kept", int(balance["kept"].sum())),
        kpi_row("equipment_demand_covered", round(100.0 * (1 - shortfall["unmet"].sum() / total_demand), 2) if total_demand else 100.0),
        kpi_row("equipment_items_purchased", int(purchases["count"].sum())),
        kpi_row("equipment_purchases_cost", bought),
        kpi_row("equipment_transport_cost", moved),
        kpi_row("equipment_repair_cost", fixed),
        kpi_row("surplus_equipment_value", float(balance["surplus_value_vnd"].sum())),
        kpi_row("equipment_unmet_priority_1", int(demand_table.loc[demand_table["priority"] == 1, "unmet"].sum())),
    ]
    tables = {"equipment_transfers": transfers, "equipment_repairs": repairs, "equipment_purchases": purchases,
              "equipment_balance": balance, "unmet_equipment": shortfall, "equipment_demand": demand_table}
    return StageResult(tables=tables, kpis=kpis, solves=solves, notes=notes)


def _verify(inv, supply, balance, shortfall, spent, budget, caps) -> None:
    """Re-check the extracted plan: balance exact, demand identity, budget (spent: what the budget pays for), caps per
    commune (max_per_commune)."""
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
    if budget is not None and spent > budget * (1 + 1e-9) + 1e-6:
        violations.append(f"spending {spent:,.0f} VND above the equipment budget {budget:,.0f}")
    held = shortfall.assign(held=shortfall["supplied_existing"] + shortfall["purchased"]).merge(caps, on=["commune_code", "item_type"])
    violations += [f"commune {r.commune_code} gets {r.held} {r.item_type}, above its cap of {r.max_per_commune}"
                   for r in held[held["held"] > held["max_per_commune"]].itertuples()]
    if violations:
        raise PlanInconsistent(STAGE, violations)
