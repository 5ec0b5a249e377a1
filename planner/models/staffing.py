"""Staffing plan: every official gets one outcome, a post (commune x field x position) or surplus.

Three visible steps, as in every model module:
  1. candidate arcs (vectorized pandas/numpy): official -> slot pairs that are allowed at all
     (distance or pair_costs candidates, field match, leadership eligibility, pins, bans), with
     every cost component in its own column;
  2. build (PuLP): one outcome per official, headcount ceiling per commune, slot maxima, priced
     shortages below the slot minima; solve least cost, then (fairness on, some commune short)
     find the smallest achievable largest commune shortage ratio (missing officials / minimum
     headcount over all the commune's posts) and re-solve least cost within it;
  3. extract (DataFrames) and verify in Python (planner.plan.PlanInconsistent on any violation).

The model is a network problem (officials -> slots -> communes, laminar capacities), so its LP
relaxation has an integral optimum (the fairness bound on a commune's total shortage is a
capacity on one aggregated shortage arc per commune, which keeps the network structure): it is
solved as an LP (HiGHS on arrays, warm-started across
the fairness re-solves; CBC through PuLP as fallback), which also gives the duals used as the
marginal value of one more official. A fractional answer (never expected) falls back to the MIP
and a fixed-integer re-solve for the duals. Infeasibility explanations and runner-ups live in
planner.models.staffing_explain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..derived import headcount_from_assignments, official_locations, post_rules
from ..geo import distance_matrix_km, haversine_km
from ..messages import message, with_vietnamese
from ..norms import headcount_ceilings, quota_fields, resolve_staffing_norms, total_field
from ..errors import PlanInconsistent, PlanInfeasible
from ..kpis import kpi_row
from ..stage import StageResult
from ..scenario import Scenario, StaffingOptions
from .. import vocab
from ..solver import ArrayModel, ArraySession, SolveInfo, SolveStatus, time_limit_notes, usable
from .staffing_explain import explain_infeasible, pin_problems, runner_ups

STAGE = "staffing"
RETIREMENT_AGES = Path(__file__).resolve().parents[1] / "reference" / "retirement_age.csv"


def _as_staff(positions: pd.Series) -> pd.Series:
    """Rule rows for 'any' position are filled by staff (specialists): their posts are reported as such."""
    return positions.replace({vocab.role_code("positions", "any"): vocab.role_code("positions", "staff")})
ELASTIC_COST = 1.0


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
@dataclass
class StaffingInputs:
    """Prepared frames: officials with locations, communes with HQ, slots, ceilings, pair costs."""

    officials: pd.DataFrame  # one row per official, positional index 0..n-1 ("off")
    communes: pd.DataFrame  # commune_code, commune_name, hq_lon, hq_lat, population
    slots: pd.DataFrame  # slot (0..), commune_code, field, position, required_min, required_max, leadership, penalty
    ceilings: pd.Series  # commune_code -> government staff quota (NaN = none), over the slots with in_quota
    quota: pd.DataFrame  # commune_code -> quota, quota_rule, quota_basis, quota_source (where a quota is set)
    pair_costs: pd.DataFrame  # off, commune_code, cost, forbidden, reason


def _official_frame(ds: Dataset, previous: pd.DataFrame | None) -> pd.DataFrame:
    off = ds["officials"]
    where = official_locations(ds)
    frame = pd.DataFrame({
        "official_id": off["id"].astype(str).to_numpy(),
        "name": off["name"].astype(str).to_numpy(),
        "old_unit_id": off["old_unit_id"].astype(str).to_numpy(),
        "field": off["field"].astype(str).to_numpy(),
        "secondary_field": off["secondary_field"].to_numpy(dtype=object, na_value=""),
        "position": off["position"].astype(str).to_numpy(),
        "qualification": off["qualification"].astype(object).to_numpy(),
        "birth_year": off["birth_year"].to_numpy(dtype=float, na_value=np.nan),
        "gender": off["gender"].to_numpy(dtype=object, na_value=""),
        "years_of_service": (off["years_of_service"].to_numpy(dtype=float, na_value=np.nan) if "years_of_service" in off
                             else np.full(len(off), np.nan)),
        "eligible": off["eligible_for_leadership"].to_numpy(dtype=bool, na_value=False),
        "willing": off["willing_to_relocate"].to_numpy(dtype=bool, na_value=False),
        "fixed_commune": off["fixed_commune"].to_numpy(dtype=float, na_value=np.nan),
        "fixed_position": off["fixed_position"].to_numpy(dtype=object, na_value=""),
        **{col: where[col].to_numpy(dtype=float) for col in ("home_lon", "home_lat", "unit_lon", "unit_lat", "own_commune")},
    })
    frame["pinned"] = ~np.isnan(frame["fixed_commune"].to_numpy())
    frame["previous_commune"] = np.nan
    frame["previous_position"] = ""
    frame["previous_field"] = ""
    if previous is not None and len(previous):
        previous = previous.drop_duplicates("official_id")
        ids = previous["official_id"].astype(str).to_numpy()
        commune = pd.to_numeric(previous["commune_code"], errors="coerce").astype(float)
        by_official = pd.Series(commune.to_numpy(), index=ids)
        frame["previous_commune"] = frame["official_id"].map(by_official).to_numpy(dtype=float, na_value=np.nan)
        for column in ("position", "field"):
            if column in previous:
                values = pd.Series(previous[column].astype(object).to_numpy(), index=ids)
                frame[f"previous_{column}"] = frame["official_id"].map(values).fillna("").astype(str).to_numpy()
    return frame


def prepare_inputs(ds: Dataset, scenario: Scenario, hq: pd.DataFrame | None = None,
                   previous: pd.DataFrame | None = None) -> StaffingInputs:
    """Officials with home/old-unit locations, communes with HQ locations, slots from the norms."""
    options = scenario.staffing
    communes = ds["communes"]
    frame = pd.DataFrame({
        "commune_code": communes["code"].to_numpy(dtype=np.int64),
        "commune_name": communes["name"].astype(str).to_numpy(),
        "lon": communes["lon"].to_numpy(dtype=float), "lat": communes["lat"].to_numpy(dtype=float),
        "population": communes["population"].to_numpy(dtype=float, na_value=0.0),
    })
    _place_headquarters(frame, hq)
    requirements = resolve_staffing_norms(communes, ds["staffing_norms"], scenario.norm_overrides)
    slots = requirements[requirements["field"] != total_field()].copy()
    slots = slots[~(slots["required_max"].fillna(1) <= 0) | (slots["required_min"] > 0)]
    slots["field"] = slots["field"].astype(str)
    slots["position"] = slots["position"].astype(str)
    slots["leadership"] = (slots["position"].isin(vocab.role_codes("positions", "leadership")).to_numpy()
                          | (slots["field"] == vocab.role_code("fields", "leadership")).to_numpy())
    slots["penalty"] = slots["field"].map(options.penalty).astype(float)
    slots["in_quota"] = slots["field"].isin(quota_fields()).to_numpy()
    slots = slots.reset_index(drop=True)
    slots.insert(0, "slot", np.arange(len(slots)))
    officials = _official_frame(ds, previous)
    pairs = ds["pair_costs"]
    off_index = pd.Series(np.arange(len(officials)), index=officials["official_id"])
    pair_frame = pd.DataFrame({
        "off": pairs["official_id"].astype(str).map(off_index).to_numpy(dtype=float, na_value=np.nan),
        "commune_code": pairs["commune_code"].to_numpy(dtype=float, na_value=np.nan),
        "cost": pairs["cost"].to_numpy(dtype=float, na_value=0.0),
        "forbidden": pairs["forbidden"].to_numpy(dtype=bool, na_value=False),
        "reason": pairs["reason"].astype(object).to_numpy(),
    }).dropna(subset=["off", "commune_code"])
    pair_frame = pair_frame.astype({"off": np.int64, "commune_code": np.int64})
    pair_frame = pair_frame[pair_frame["commune_code"].isin(frame["commune_code"])]
    pair_frame = pair_frame.groupby(["off", "commune_code"], as_index=False).agg(
        cost=("cost", "sum"), forbidden=("forbidden", "any"), reason=("reason", "first"))
    ceilings = headcount_ceilings(requirements).astype(float)
    quota = requirements[requirements["field"] == total_field()].set_index("commune_code")
    quota = pd.DataFrame({"quota": quota["required_max"], "quota_rule": quota["rule_id"], "quota_basis": quota["basis"],
                          "quota_source": quota["source"]})
    return StaffingInputs(officials=officials, communes=frame, slots=slots, ceilings=ceilings, pair_costs=pair_frame,
                          quota=quota)


def _place_headquarters(communes: pd.DataFrame, hq: pd.DataFrame | None) -> None:
    """hq_lon, hq_lat of each commune: its headquarters building in `hq` (hq_plan), else the commune centre."""
    communes["hq_lon"], communes["hq_lat"] = communes["lon"].to_numpy(), communes["lat"].to_numpy()
    if hq is not None and len(hq):
        codes = pd.to_numeric(hq["commune_code"], errors="coerce").to_numpy(dtype=float)
        for column in ("lon", "lat"):
            chosen = pd.Series(pd.to_numeric(hq[column], errors="coerce").to_numpy(dtype=float), index=codes)
            chosen = chosen[~chosen.index.duplicated()].dropna()
            communes[f"hq_{column}"] = communes["commune_code"].astype(float).map(chosen).fillna(communes[column]).to_numpy()


def move_headquarters(inputs: StaffingInputs, arcs: pd.DataFrame, hq: pd.DataFrame | None,
                      options: StaffingOptions) -> None:
    """The headquarters moved (a sites re-fit round): new commute distances and costs on the same candidate arcs.
    The arcs do not change: candidates are chosen by distance to the commune centre (candidate_pairs)."""
    _place_headquarters(inputs.communes, hq)
    arcs["distance_km"] = _home_to_hq_km(inputs, arcs["off"].to_numpy(), arcs["commune_code"].to_numpy())
    add_costs(arcs, inputs, options)


def _home_to_hq_km(inputs: StaffingInputs, off: np.ndarray, commune_code: np.ndarray) -> np.ndarray:
    com = inputs.communes
    j = pd.Index(com["commune_code"].to_numpy()).get_indexer(commune_code)
    return haversine_km(inputs.officials["home_lon"].to_numpy()[off], inputs.officials["home_lat"].to_numpy()[off],
                        com["hq_lon"].to_numpy()[j], com["hq_lat"].to_numpy()[j])


# ----------------------------------------------------------------------------------------------
# Step 1: candidate arcs
# ----------------------------------------------------------------------------------------------
def _has_post_in_fields(inputs: StaffingInputs, options: StaffingOptions) -> np.ndarray:
    """officials x communes: does the commune have a post in the official's primary or secondary field?"""
    codes = inputs.communes["commune_code"].to_numpy()
    if options.allow_mismatch:
        return np.broadcast_to(np.isin(codes, inputs.slots["commune_code"].to_numpy()), (len(inputs.officials), len(codes)))
    fields = pd.Index(sorted(set(inputs.slots["field"])))
    present = np.zeros((len(fields) + 1, len(codes)), dtype=bool)  # last row: a field no commune has
    present[fields.get_indexer(inputs.slots["field"]), pd.Index(codes).get_indexer(inputs.slots["commune_code"])] = True
    primary = fields.get_indexer(inputs.officials["field"])
    secondary = fields.get_indexer(inputs.officials["secondary_field"])
    return present[primary] | present[secondary]  # -1 (unknown field) picks the all-False last row


def _nearest(distance: np.ndarray, keep: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the finite entries, limited to the `keep` smallest per row."""
    if keep is not None and keep < distance.shape[1]:
        columns = np.argpartition(distance, keep - 1, axis=1)[:, :keep]
        rows = np.repeat(np.arange(distance.shape[0]), keep)
        columns = columns.ravel()
        finite = np.isfinite(distance[rows, columns])
        return rows[finite], columns[finite]
    return np.nonzero(np.isfinite(distance))


def candidate_pairs(inputs: StaffingInputs, options: StaffingOptions) -> pd.DataFrame:
    """Official x commune pairs that get variables, with the home-to-HQ distance; bans removed.

    'distance': the max_candidate_communes nearest communes (from home) within candidate_radius_km
    of home or of the old unit that have a post in the official's fields, plus the own commune,
    the previous-plan commune and pair_costs communes. 'pair_costs': only the pair_costs rows.
    Pinned officials only get their pinned commune. Reach and nearness are measured to the commune
    centre, not to its headquarters: the candidates stay the same when a re-fit round moves an HQ (only
    the commute costs change, planner.pipeline), so the model is re-solved, not rebuilt.
    """
    off, com = inputs.officials, inputs.communes
    codes = com["commune_code"].to_numpy()
    allowed = inputs.pair_costs[~inputs.pair_costs["forbidden"]]
    extra = [allowed[["off", "commune_code"]]]
    for column in ("own_commune", "previous_commune"):
        known = off[column].notna() & off[column].isin(codes)
        extra.append(pd.DataFrame({"off": np.flatnonzero(known), "commune_code": off.loc[known, column].astype(np.int64)}))
    if options.candidates == "distance" and len(off) and len(codes):
        distance = distance_matrix_km(off["home_lon"], off["home_lat"], com["lon"], com["lat"])
        near = distance <= options.candidate_radius_km
        near |= distance_matrix_km(off["unit_lon"], off["unit_lat"], com["lon"], com["lat"]) <= options.candidate_radius_km
        near &= _has_post_in_fields(inputs, options)
        i, j = _nearest(np.where(near, distance, np.inf), options.max_candidate_communes)
        extra.insert(0, pd.DataFrame({"off": i, "commune_code": codes[j]}))
    elif options.candidates == "pair_costs":
        extra = extra[:1]
    pairs = pd.concat(extra, ignore_index=True).astype(np.int64)
    pinned = off["pinned"].to_numpy()
    pairs = pairs[~pinned[pairs["off"].to_numpy()]]
    pins = pd.DataFrame({"off": np.flatnonzero(pinned), "commune_code": off.loc[pinned, "fixed_commune"].astype(np.int64)})
    pairs = pd.concat([pairs, pins[pins["commune_code"].isin(codes)]], ignore_index=True).drop_duplicates()
    banned = inputs.pair_costs.loc[inputs.pair_costs["forbidden"], ["off", "commune_code"]].assign(_ban=True)
    if len(banned):
        pairs = pairs.merge(banned, on=["off", "commune_code"], how="left")
        pairs = pairs[pairs["_ban"].isna()].drop(columns="_ban")
    pairs["distance_km"] = _home_to_hq_km(inputs, pairs["off"].to_numpy(), pairs["commune_code"].to_numpy())
    return pairs.sort_values(["off", "commune_code"]).reset_index(drop=True)


def candidate_arcs(inputs: StaffingInputs, options: StaffingOptions, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Official -> slot arcs with match, leadership and pin rules applied and every cost component.

    Columns: off, slot, commune_code, field, position, match, distance_km, cost_distance, cost_field,
    bonus_continuity, cost_disruption, cost_pair, total_cost.
    """
    if pairs is None:
        pairs = candidate_pairs(inputs, options)
    off = inputs.officials
    slots = inputs.slots[["slot", "commune_code", "field", "position", "leadership"]]
    if options.allow_mismatch:
        arcs = pairs.merge(slots, on="commune_code")
        primary = arcs["field"].to_numpy() == off["field"].to_numpy()[arcs["off"].to_numpy()]
        secondary = arcs["field"].to_numpy() == off["secondary_field"].to_numpy()[arcs["off"].to_numpy()]
        arcs["match"] = np.where(primary, "primary", np.where(secondary, "secondary", "mismatch"))
    else:
        skills = pd.concat([
            pd.DataFrame({"off": np.arange(len(off)), "field": off["field"].to_numpy(), "match": "primary"}),
            pd.DataFrame({"off": np.arange(len(off)), "field": off["secondary_field"].to_numpy(), "match": "secondary"}),
        ], ignore_index=True)
        skills = skills[skills["field"] != ""].drop_duplicates(["off", "field"])
        skills["field"] = skills["field"].astype(str)
        arcs = pairs.merge(skills, on="off").merge(slots, on=["commune_code", "field"])
    i = arcs["off"].to_numpy()
    keep = ~arcs["leadership"].to_numpy() | off["eligible"].to_numpy()[i]
    # qualification rules (planner/reference/qualification_rules.csv): the post's lowest level, and training in
    # its field (a secondary field counts, with its retraining cost); a pinned decision is kept as taken
    rules = post_rules(arcs["field"], arcs["position"])
    rank = off["qualification"].map(vocab.column("qualifications", "rank", numeric=True)).fillna(0.0).to_numpy(float)
    qualified = rank[i] >= rules["min_rank"].to_numpy()
    trained = ~rules["field_training"].to_numpy() | (arcs["match"].to_numpy() != "mismatch")
    pinned_here = off["fixed_commune"].to_numpy(dtype=float)[i] == arcs["commune_code"].to_numpy(dtype=float)
    keep &= (qualified & trained) | pinned_here
    fixed_position = off["fixed_position"].to_numpy()[i]
    position = arcs["position"].to_numpy()
    position_ok = (fixed_position == "") | (position == fixed_position)
    any_position, staff = vocab.role_code("positions", "any"), vocab.role_code("positions", "staff")
    position_ok |= (fixed_position == staff) & (position == any_position)  # a rule for any position staffs specialists
    arcs = arcs[keep & position_ok].reset_index(drop=True)
    arcs["position"] = arcs["position"].replace({any_position: staff})
    pair_cost = inputs.pair_costs.loc[~inputs.pair_costs["forbidden"], ["off", "commune_code", "cost"]]
    arcs = arcs.merge(pair_cost.rename(columns={"cost": "cost_pair"}), on=["off", "commune_code"], how="left")
    arcs["cost_pair"] = arcs["cost_pair"].fillna(0.0)
    return add_costs(arcs, inputs, options)


def commute_cost(distance_km: np.ndarray, willing: np.ndarray, options: StaffingOptions) -> np.ndarray:
    """cost_per_km up to the threshold, far_cost_per_km beyond it unless willing to relocate."""
    near = np.minimum(distance_km, options.distance_threshold_km)
    far = np.maximum(distance_km - options.distance_threshold_km, 0.0)
    return options.cost_per_km * near + np.where(willing, options.cost_per_km, options.far_cost_per_km) * far


def add_costs(arcs: pd.DataFrame, inputs: StaffingInputs, options: StaffingOptions) -> pd.DataFrame:
    """Distance, field, continuity, disruption and pair cost per arc, and their total."""
    off = inputs.officials
    i = arcs["off"].to_numpy()
    code = arcs["commune_code"].to_numpy()
    arcs["cost_distance"] = commute_cost(arcs["distance_km"].to_numpy(), off["willing"].to_numpy()[i], options)
    match = arcs["match"].to_numpy()
    arcs["cost_field"] = np.select([match == "secondary", match == "mismatch"],
                                   [options.secondary_field_cost, options.mismatch_cost], 0.0)
    arcs["own_area"] = off["own_commune"].to_numpy()[i] == code
    arcs["bonus_continuity"] = np.where(arcs["own_area"], options.continuity_bonus, 0.0)
    previous = off["previous_commune"].to_numpy()[i]
    arcs["cost_disruption"] = np.where(~np.isnan(previous) & (previous != code), options.disruption(), 0.0)
    previous_position = _as_staff(off["previous_position"]).to_numpy()[i]
    previous_field = off["previous_field"].to_numpy()[i]
    new_post = (((previous_position != "") & (arcs["position"].to_numpy() != previous_position))
                | ((previous_field != "") & (arcs["field"].to_numpy() != previous_field)))
    arcs["cost_disruption"] += np.where((previous == code) & new_post, options.position_change(), 0.0)
    arcs["total_cost"] = (arcs["cost_distance"] + arcs["cost_field"] - arcs["bonus_continuity"]
                          + arcs["cost_disruption"] + arcs["cost_pair"])
    return arcs


def surplus_costs(inputs: StaffingInputs, options: StaffingOptions) -> np.ndarray:
    """Cost of listing each official as surplus (plus disruption if the previous plan placed them)."""
    previous = inputs.officials["previous_commune"].to_numpy()
    return options.surplus_cost + np.where(~np.isnan(previous), options.disruption(), 0.0)


# ----------------------------------------------------------------------------------------------
# Step 2: build
# ----------------------------------------------------------------------------------------------
@dataclass
class StaffingModel:
    """The LP as arrays (planner.solver.ArrayModel) and where each group of columns and rows sits in it.

    Columns: x per arc, u (surplus) per unpinned official, d (shortage) per slot with a minimum, and, per commune
    with some minimum when fairness is on, g (its total shortage, bounded in the fairness stage) and h (shortage
    beyond that bound), then the elastic slacks."""

    arrays: ArrayModel
    x: np.ndarray  # column per arc
    surplus: np.ndarray  # column per official (-1 for pinned officials: they must be placed)
    shortage: np.ndarray  # column per slot (-1 where required_min == 0)
    communes: np.ndarray  # codes of the communes with some minimum (fairness on; else empty)
    commune_shortage: np.ndarray  # column per such commune: its total shortage, bounded by the fairness stage
    commune_excess: np.ndarray  # column per such commune: shortage beyond that bound (fixed at 0 outside the search)
    commune_required: np.ndarray  # per such commune: its total minimum headcount
    min_rows: dict  # slot -> row of its minimum
    over_ceiling: dict  # commune_code -> column of its elastic slack (elastic model only)
    over_slot: dict  # slot -> column of its elastic slack (elastic model only)
    build_seconds: float


class _Matrix:
    """Columns and rows added group by group (coordinates), turned into CSR once."""

    def __init__(self):
        self.lower, self.upper, self.row_lower, self.row_upper = [], [], [], []
        self.rows, self.cols, self.vals = [], [], []
        self.n_cols = self.n_rows = 0

    def columns(self, count: int, lower=0.0, upper=np.inf) -> np.ndarray:
        self.lower.append(np.broadcast_to(np.asarray(lower, float), (count,)))
        self.upper.append(np.broadcast_to(np.asarray(upper, float), (count,)))
        self.n_cols += count
        return np.arange(self.n_cols - count, self.n_cols)

    def add_rows(self, count: int, row: np.ndarray, col: np.ndarray, val, lower, upper) -> np.ndarray:
        """`count` rows with entries (row k in 0..count-1, column, value) and lower <= row <= upper."""
        self.rows.append(np.asarray(row, np.int64) + self.n_rows)
        self.cols.append(np.asarray(col, np.int64))
        self.vals.append(np.broadcast_to(np.asarray(val, float), (len(self.cols[-1]),)))
        self.row_lower.append(np.broadcast_to(np.asarray(lower, float), (count,)))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, float), (count,)))
        self.n_rows += count
        return np.arange(self.n_rows - count, self.n_rows)

    def model(self, cost: np.ndarray) -> ArrayModel:
        row, col, val = (np.concatenate(parts) if parts else np.zeros(0) for parts in (self.rows, self.cols, self.vals))
        order = np.argsort(row, kind="stable")
        start = np.concatenate([[0], np.cumsum(np.bincount(row.astype(np.int64), minlength=self.n_rows))])
        join = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
        return ArrayModel(cost=cost, lower=join(self.lower), upper=join(self.upper), row_lower=join(self.row_lower),
                          row_upper=join(self.row_upper), start=start.astype(np.int32),
                          index=col[order].astype(np.int32), value=val[order].astype(float))


def build_model(inputs: StaffingInputs, arcs: pd.DataFrame, options: StaffingOptions, *,
                stage: str = "cost") -> StaffingModel:
    """stage 'cost' (minimise cost) or 'elastic' (minimise how far pinned officials push ceilings
    and slot maxima over their limits). Built as arrays with numpy: a network matrix (one outcome per official,
    slot minima and maxima, commune ceilings), plus the fairness rows and the per-field retraining limits."""
    start = time.perf_counter()
    n_off, slots = len(inputs.officials), inputs.slots
    n_slots, slot_commune = len(slots), slots["commune_code"].to_numpy()
    arc_off, arc_slot = arcs["off"].to_numpy(np.int64), arcs["slot"].to_numpy(np.int64)
    m = _Matrix()
    x = m.columns(len(arcs), 0.0, 1.0)
    pinned = inputs.officials["pinned"].to_numpy()
    surplus = np.full(n_off, -1, dtype=np.int64)  # pinned officials must be placed: no surplus column
    surplus[~pinned] = m.columns(int((~pinned).sum()), 0.0, 1.0)
    minimum = slots["required_min"].to_numpy(dtype=float)
    has_min = np.flatnonzero(minimum > 0)
    shortage = np.full(n_slots, -1, dtype=np.int64)
    shortage[has_min] = m.columns(len(has_min), 0.0, minimum[has_min])
    # fairness: each commune's total shortage <= its aggregated shortage g (bounded later) + excess h
    communes = np.unique(slot_commune[has_min])
    if stage != "cost" or not options.fairness:
        communes = communes[:0]
    required = pd.Series(minimum).groupby(slot_commune).sum().reindex(communes).to_numpy(float)
    g = m.columns(len(communes), 0.0, required)
    h = m.columns(len(communes), 0.0, 0.0)
    if len(communes):
        k = np.arange(len(communes))
        group = pd.Index(communes).get_indexer(slot_commune[has_min])  # every such slot's commune is one of them
        m.add_rows(len(communes), np.concatenate([group, k, k]), np.concatenate([shortage[has_min], g, h]),
                   np.concatenate([np.ones(len(group)), -np.ones(2 * len(communes))]), -np.inf, 0.0)
    # one outcome per official
    unpinned = np.flatnonzero(surplus >= 0)
    m.add_rows(n_off, np.concatenate([arc_off, unpinned]), np.concatenate([x, surplus[unpinned]]), 1.0, 1.0, 1.0)
    # slot minima (priced shortage) and maxima
    on_min = pd.Index(has_min).get_indexer(arc_slot)
    min_rows = m.add_rows(len(has_min), np.concatenate([on_min[on_min >= 0], np.arange(len(has_min))]),
                          np.concatenate([x[on_min >= 0], shortage[has_min]]), 1.0, minimum[has_min], np.inf)
    maximum = slots["required_max"].to_numpy(dtype=float)
    arcs_per_slot = np.bincount(arc_slot, minlength=n_slots)
    capped = np.flatnonzero(~np.isnan(maximum) & (arcs_per_slot > np.nan_to_num(maximum, nan=np.inf)))
    over_slot = dict(zip(capped.tolist(), m.columns(len(capped)).tolist())) if stage == "elastic" else {}
    on_cap = pd.Index(capped).get_indexer(arc_slot)
    slack = np.array(list(over_slot.values()), dtype=np.int64)
    m.add_rows(len(capped), np.concatenate([on_cap[on_cap >= 0], np.arange(len(slack))]),
               np.concatenate([x[on_cap >= 0], slack]),
               np.concatenate([np.ones(int((on_cap >= 0).sum())), -np.ones(len(slack))]), -np.inf, maximum[capped])
    # retraining is limited per field (scenario staffing.retraining_limit): placements outside the primary field
    limits = options.retraining_limit
    if limits:
        retrained = (arcs["match"].to_numpy() != "primary") & arcs["field"].isin(list(limits)).to_numpy()
        limited = sorted(set(arcs.loc[retrained, "field"]))
        m.add_rows(len(limited), pd.Index(limited).get_indexer(arcs["field"].to_numpy()[retrained]), x[retrained], 1.0,
                   -np.inf, np.array([limits[f] for f in limited], dtype=float))
    # government staff quota per commune over the in-quota fields, unless the slot maxima keep it under
    in_quota = slots["in_quota"].to_numpy()[arc_slot]
    arc_commune = arcs["commune_code"].to_numpy()[in_quota]
    codes = np.unique(arc_commune)
    ceiling = inputs.ceilings.reindex(codes).to_numpy(dtype=float)  # NaN: no ceiling
    quota_slot = slots["in_quota"].to_numpy()
    room = (pd.Series(np.fmin(maximum, arcs_per_slot)[quota_slot]).groupby(slot_commune[quota_slot]).sum()
            .reindex(codes).fillna(np.inf).to_numpy())
    bound = np.nan_to_num(ceiling, nan=np.inf)
    which = np.searchsorted(codes, arc_commune)
    ceiled = np.flatnonzero((np.bincount(which, minlength=len(codes)) > bound) & (room > bound))
    over_ceiling = (dict(zip(codes[ceiled].tolist(), m.columns(len(ceiled)).tolist())) if stage == "elastic" else {})
    on_ceiling = pd.Index(ceiled).get_indexer(which)
    slack = np.array(list(over_ceiling.values()), dtype=np.int64)
    m.add_rows(len(ceiled), np.concatenate([on_ceiling[on_ceiling >= 0], np.arange(len(slack))]),
               np.concatenate([x[in_quota][on_ceiling >= 0], slack]),
               np.concatenate([np.ones(int((on_ceiling >= 0).sum())), -np.ones(len(slack))]), -np.inf, ceiling[ceiled])
    cost = np.zeros(m.n_cols)
    if stage == "elastic":
        cost[list(over_ceiling.values()) + list(over_slot.values())] = ELASTIC_COST
    model = StaffingModel(None, x, surplus, shortage, communes, g, h, required,
                          dict(zip(has_min.tolist(), min_rows.tolist())), over_ceiling, over_slot, 0.0)
    if stage != "elastic":
        cost = cost_vector(model, inputs, arcs, options, m.n_cols)
    model.arrays = m.model(cost)
    model.build_seconds = time.perf_counter() - start
    return model


def cost_vector(model: StaffingModel, inputs: StaffingInputs, arcs: pd.DataFrame, options: StaffingOptions,
                n_cols: int | None = None) -> np.ndarray:
    """Arc costs (total_cost) + surplus costs + priced shortages below the slot minima, one per column."""
    cost = np.zeros(len(model.arrays.cost) if n_cols is None else n_cols)
    cost[model.x] = arcs["total_cost"].to_numpy(dtype=float)
    has_surplus = model.surplus >= 0
    cost[model.surplus[has_surplus]] = surplus_costs(inputs, options)[has_surplus]
    has_short = model.shortage >= 0
    cost[model.shortage[has_short]] = inputs.slots["penalty"].to_numpy(dtype=float)[has_short]
    return cost


# ----------------------------------------------------------------------------------------------
# Step 3: solve, extract, verify
# ----------------------------------------------------------------------------------------------
@dataclass
class StaffingSolution:
    arcs: pd.DataFrame  # all candidate arcs
    chosen: np.ndarray  # bool per arc
    marginal_value: np.ndarray  # per slot (NaN where no minimum)
    marginal_value_basis: str
    best_commune_ratio: float | None  # stage 1 of the fairness solve: smallest achievable largest commune ratio
    least_cost_commune_ratio: float | None  # largest commune ratio of the least-cost plan (fairness solve only)
    objective: float
    solves: list[SolveInfo]


LOWEST_FIRST_PROBES = 3  # the fairness search's probes from below before it bisects (_fair_solve)


def _ratio_candidates(required: np.ndarray) -> np.ndarray:
    """Every achievable commune shortage ratio k / required (k = 0..required), ascending."""
    return np.unique(np.concatenate([np.arange(r + 1) / r for r in np.unique(required[required > 0]).astype(int)]))


def _shortage_bounds(required: np.ndarray, ratio: float) -> np.ndarray:
    """Largest whole shortage per commune that keeps its ratio at or below `ratio`."""
    return np.minimum(np.floor(ratio * required + 1e-9), required)


def _slot_shortage(arcs: pd.DataFrame, arc_values: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Missing officials per slot for these arc values (from the assignments, not the shortage variables)."""
    assigned = np.bincount(arcs["slot"].to_numpy(), weights=arc_values, minlength=len(minimum))
    return np.maximum(minimum - assigned, 0.0)


def _check_fairness(model: StaffingModel, session: ArraySession, inputs: StaffingInputs, arcs: pd.DataFrame,
                    chosen: np.ndarray) -> None:
    """Re-check on the integral plan that no commune's shortage exceeds the bound of the fairness stage."""
    minimum = inputs.slots["required_min"].to_numpy(dtype=float)
    shortage = pd.Series(_slot_shortage(arcs, chosen.astype(float), minimum)).groupby(
        inputs.slots["commune_code"].to_numpy()).sum().reindex(model.communes).to_numpy()
    bounds = session.upper[model.commune_shortage]
    over = np.flatnonzero(shortage > bounds + 1e-9)
    if len(over):
        raise PlanInconsistent(STAGE, [f"commune {model.communes[k]}: {shortage[k]:g} officials missing, "
                                       f"above its fairness bound {bounds[k]:g}" for k in over])


def _fair_solve(model: StaffingModel, session: ArraySession, cost: np.ndarray, shortage: np.ndarray,
                unavoidable: np.ndarray, options: StaffingOptions, solves: list[SolveInfo],
                known_best: float | None = None) -> tuple[SolveInfo, float, float]:
    """Stage 1: the smallest achievable largest commune shortage ratio z*; stage 2: least cost with every
    commune's ratio <= z* x (1 + tolerance), and never above the least-cost plan's largest ratio.

    Arrays are per commune of model.communes: shortage of the least-cost plan, shortage no plan can avoid
    (fewer candidates than a post's minimum); `cost` is the least-cost objective. z* is one of the ratios
    k / required. Whether a ratio r is achievable is an LP (integral, network structure): minimise the commune
    shortage beyond floor(r x required); r is achievable when that is 0. The search runs between the unavoidable
    ratio and the least-cost plan's ratio, skipping every ratio a failed one's least excess E rules out (its bounds
    must add up to E officials more). It first probes the lowest ratio not ruled out, so the first achievable one
    found is z*; the least excess there says how many more officials the bounds must allow in all, which usually
    lands the next probe on z* or just below it (measured, probes and their seconds: Hà Nội sample 2 instead of 6,
    0.75 s instead of 1.7 s; Lào Cai 2 instead of 4; Hồ Chí Minh sample 1 instead of 7). After LOWEST_FIRST_PROBES
    failed probes it bisects, so a run of small excesses costs at most that many probes more than a binary search. Every LP warm-starts from the previous one (an LP lower bound
    on z*, min z with every commune's shortage <= z x required, was tried: on the Hà Nội sample it cost more than
    the 8 searches it was meant to save, its floor-free ratio being far below z*). `known_best` is z* from an
    earlier solve of the same model with other arc costs: achievability does not depend on costs, so the search
    is skipped.
    Returns the final solve, z* and the least-cost plan's largest ratio.
    """
    required = model.commune_required
    candidates = _ratio_candidates(required)
    least_cost = float((shortage / required).max())
    high = int(np.searchsorted(candidates, least_cost - 1e-9))  # the least-cost plan achieves this one
    if known_best is not None:
        best = known_best
        if best >= candidates[high] - 1e-9:
            return solves[-1], best, least_cost
    else:
        low = int(np.searchsorted(candidates, (unavoidable / required).max() - 1e-9))
        if low >= high:  # the least-cost plan is already as fair as possible
            return solves[-1], float(candidates[high]), least_cost
        session.set_column_bounds(model.commune_excess, 0.0, np.inf)
        session.set_objective(_unit_cost(cost, model.commune_excess))
        solves.append(session.solve("staffing_fairness"))  # optimal at once (excess 0): keeps the basis warm

        def excess(ratio: float) -> tuple[bool, float]:
            """(achievable, the least total excess when proven, else 0)."""
            session.set_column_bounds(model.commune_shortage, 0.0, _shortage_bounds(required, ratio))
            info = session.solve("staffing_fairness")
            solves.append(info)
            # a plan without excess proves the ratio achievable; a time-limited answer with excess proves nothing,
            # so the search stays on the safe side (a larger ratio); a time limit without any answer raises
            found = (info.objective or 0.0) if usable(info, STAGE) else np.inf
            return found <= 1e-6, (found if info.status == SolveStatus.optimal else 0.0)

        # raising the bounds by D officials in all lowers the least excess by at most D: after a ratio whose least
        # excess is E, no ratio whose bounds add up to less than E more is achievable, and the search skips them
        totals = np.array([_shortage_bounds(required, c).sum() for c in candidates])
        lowest_first = LOWEST_FIRST_PROBES
        while low < high:
            probe = low if lowest_first > 0 else (low + high) // 2
            ok, least = excess(candidates[probe])
            if ok:
                high = probe
            else:
                lowest_first -= 1
                skip = int(np.searchsorted(totals, totals[probe] + least - 1e-6)) if least > 1e-6 else 0
                low = min(max(probe + 1, skip), high)
        best = float(candidates[low])
        session.set_column_bounds(model.commune_excess, 0.0, 0.0)
        session.set_objective(cost)
    limit = min(best * (1 + options.fairness_tolerance) + 1e-6, least_cost)
    session.set_column_bounds(model.commune_shortage, 0.0, _shortage_bounds(required, limit))
    info = session.solve("staffing")
    solves.append(info)
    if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
        raise PlanInfeasible(STAGE, [message("staffing_unsolved", status=info.status)])
    return info, best, least_cost


def _unit_cost(like: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """An objective of 1 on these columns, 0 elsewhere."""
    cost = np.zeros_like(like)
    cost[columns] = 1.0
    return cost


class StaffingSolver:
    """The staffing LP over one set of candidate arcs, kept loaded in the solver across re-solves.

    `solve()` after the arc costs changed (move_headquarters: a sites re-fit round) updates the objective and
    warm-starts from the last basis instead of rebuilding, and the fairness search is not repeated: which commune
    shortage ratios are achievable depends on the arcs, slots and limits, never on costs, so the z* found once
    holds for every later cost. Infeasible pins are explained before anything is built (staffing_explain)."""

    def __init__(self, inputs: StaffingInputs, arcs: pd.DataFrame, options: StaffingOptions, solver_options):
        problems = pin_problems(inputs, arcs)
        if problems:
            raise explain_infeasible(inputs, arcs, options, solver_options, problems, build_model)
        self.inputs, self.arcs, self.options, self.solver_options = inputs, arcs, options, solver_options
        self.best_ratio: float | None = None  # z*, once a fairness search has found it
        self.model = build_model(inputs, arcs, options, stage="cost")
        # one LP session: warm-started across the fairness and re-fit re-solves (HiGHS), or CBC re-solves
        self.session = ArraySession(self.model.arrays, solver_options, presolve=False)
        self._pending_build: float | None = self.model.build_seconds

    def solve(self) -> StaffingSolution:
        """Least-cost LP (integral: network structure); if fairness is on and some commune is short, the two-stage
        fair solve. A fractional LP answer (not expected) is replaced by the MIP under the same bounds, fairness
        bounds included."""
        inputs, arcs, options, solver_options = self.inputs, self.arcs, self.options, self.solver_options
        model, session = self.model, self.session
        start = time.perf_counter()
        cost = cost_vector(model, inputs, arcs, options)
        if self._pending_build is None:  # a re-solve: back to the least-cost model with the arcs' current costs
            session.set_column_bounds(model.commune_shortage, 0.0, model.commune_required)
        session.set_objective(cost)
        build_seconds = (self._pending_build or 0.0) + time.perf_counter() - start
        self._pending_build = None
        solves: list[SolveInfo] = []
        info = session.solve("staffing", build_seconds=build_seconds)
        solves.append(info)
        if info.status == "infeasible":
            raise explain_infeasible(inputs, arcs, options, solver_options, [], build_model)
        if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit, never PlanInfeasible
            raise PlanInfeasible(STAGE, [message("staffing_unsolved", status=info.status)])
        minimum = inputs.slots["required_min"].to_numpy(dtype=float)
        best_ratio = least_cost_ratio = None
        shortage = _slot_shortage(arcs, session.x[model.x], minimum)
        if len(model.communes) and (shortage > 1e-6).any():
            reachable = np.bincount(arcs["slot"].to_numpy(), minlength=len(minimum))
            per_commune = pd.DataFrame({"shortage": shortage, "unavoidable": np.maximum(minimum - reachable, 0)}).groupby(
                inputs.slots["commune_code"].to_numpy()).sum().loc[model.communes]
            info, best_ratio, least_cost_ratio = _fair_solve(
                model, session, cost, per_commune["shortage"].to_numpy(), per_commune["unavoidable"].to_numpy(dtype=float),
                options, solves, known_best=self.best_ratio)
            self.best_ratio = best_ratio
        values = session.x[model.x]
        duals, basis = session.row_dual, "LP relaxation dual (the LP optimum is integral)"
        if best_ratio is not None:
            _check_fairness(model, session, inputs, arcs, values > 0.5)  # before a MIP could change the bounds
        if np.any(np.abs(values - np.round(values)) > 1e-6):  # not expected for this network structure
            values, duals, info = self._integral(solves)
            basis = "fixed-integer re-solve dual"
        marginal = np.full(len(inputs.slots), np.nan)
        if duals is not None:
            slots = np.fromiter(model.min_rows.keys(), dtype=np.int64, count=len(model.min_rows))
            rows = np.fromiter(model.min_rows.values(), dtype=np.int64, count=len(model.min_rows))
            marginal[slots] = np.abs(duals[rows])
        return StaffingSolution(arcs=arcs, chosen=values > 0.5, marginal_value=marginal, marginal_value_basis=basis,
                                best_commune_ratio=best_ratio, least_cost_commune_ratio=least_cost_ratio,
                                objective=float(info.objective or 0.0), solves=solves)

    def _integral(self, solves: list[SolveInfo]) -> tuple[np.ndarray, np.ndarray | None, SolveInfo]:
        """The MIP under the current bounds (a session of its own), then the LP with the arcs fixed at its plan for
        the duals; the arc values, row duals and the MIP's solve."""
        model, last = self.model, self.session
        frozen = replace(model.arrays, lower=last.lower.copy(), upper=last.upper.copy(), cost=last.cost.copy())
        mip = ArraySession(frozen, self.solver_options)
        info = mip.solve("staffing_mip", integer=True)
        solves.append(info)
        if not usable(info, STAGE):  # a time limit without a plan raises SolveTimeLimit
            raise PlanInfeasible(STAGE, [message("staffing_unsolved", status=info.status)])
        values = np.round(mip.x[model.x])
        fixed = ArraySession(frozen, self.solver_options, presolve=False)
        fixed.set_column_bounds(model.x, values, values)
        fixed_info = fixed.solve("staffing_fixed_lp")
        solves.append(fixed_info)
        return values, fixed.row_dual, info


def solve_staffing(inputs: StaffingInputs, arcs: pd.DataFrame, options: StaffingOptions, solver_options) -> StaffingSolution:
    """One solve of a fresh StaffingSolver (least cost, then the fair solve when fairness is on and some commune is short)."""
    return StaffingSolver(inputs, arcs, options, solver_options).solve()


def match_of(officials: pd.DataFrame, off: np.ndarray, field: np.ndarray) -> np.ndarray:
    """'primary' / 'secondary' / 'mismatch' recomputed from the officials' own fields."""
    return np.where(officials["field"].to_numpy()[off] == field, "primary",
                    np.where(officials["secondary_field"].to_numpy()[off] == field, "secondary", "mismatch"))


def verify_staffing(inputs: StaffingInputs, assignments: pd.DataFrame, surplus: pd.DataFrame,
                    options: StaffingOptions) -> None:
    """Re-check every hard rule on the extracted plan; raise PlanInconsistent listing violations."""
    off = inputs.officials
    problems: list[str] = []
    seen = pd.concat([assignments["official_id"], surplus["official_id"]]).value_counts()
    missing = set(off["official_id"]) - set(seen.index)
    problems += [f"official {o} has no outcome" for o in sorted(missing)[:20]]
    problems += [f"official {o} appears {n} times" for o, n in seen[seen > 1].items()]
    index = pd.Series(np.arange(len(off)), index=off["official_id"])
    i = index.reindex(assignments["official_id"]).to_numpy(dtype=float)
    problems += [f"unknown official {o} placed" for o in assignments.loc[np.isnan(i), "official_id"]]
    i = np.nan_to_num(i).astype(np.int64)
    code = assignments["commune_code"].to_numpy(dtype=np.int64)
    pinned = off["pinned"].to_numpy()
    unplaced_pins = set(off.loc[pinned, "official_id"]) - set(assignments["official_id"])
    problems += [f"pinned official {o} was not placed" for o in sorted(unplaced_pins)]
    wrong_commune = pinned[i] & (off["fixed_commune"].to_numpy()[i] != code)
    fixed_position = off["fixed_position"].to_numpy()[i]
    wrong_position = pinned[i] & (fixed_position != "") & (fixed_position != assignments["position"].to_numpy())
    problems += [f"pin broken for {o}" for o in assignments.loc[wrong_commune | wrong_position, "official_id"]]
    in_quota = assignments["field"].isin(quota_fields()).to_numpy()
    counts = assignments[in_quota].groupby("commune_code").size()
    ceilings = inputs.ceilings.reindex(counts.index)
    problems += [f"commune {c} has {counts[c]} officials, ceiling {ceilings[c]:g}" for c in counts.index[(counts > ceilings).to_numpy()]]
    keys = ["commune_code", "field", "position"]
    slots = (inputs.slots.assign(position=_as_staff(inputs.slots["position"]),
                                 required_max=inputs.slots["required_max"].fillna(np.inf), known=True)
             .groupby(keys, as_index=False)[["required_max", "known"]].agg({"required_max": "sum", "known": "any"}))
    per_slot = assignments.groupby(keys).size().rename("assigned").reset_index().merge(slots, on=keys, how="left")
    problems += [f"no such post: commune {r.commune_code} field {r.field} position {r.position}"
                 for r in per_slot[per_slot["known"].isna()].itertuples()]
    over = per_slot[per_slot["assigned"] > per_slot["required_max"]]
    problems += [f"commune {r.commune_code} {r.field}/{r.position}: {r.assigned} > max {r.required_max:g}" for r in over.itertuples()]
    leader = (assignments["position"].isin(vocab.role_codes("positions", "leadership")).to_numpy()
              | (assignments["field"] == vocab.role_code("fields", "leadership")).to_numpy())
    problems += [f"{o} holds a leadership post but is not eligible" for o in assignments.loc[leader & ~off["eligible"].to_numpy()[i], "official_id"]]
    match = match_of(off, i, assignments["field"].to_numpy())
    if not options.allow_mismatch:
        problems += [f"{o} placed outside their fields" for o in assignments.loc[match == "mismatch", "official_id"]]
    banned = inputs.pair_costs[inputs.pair_costs["forbidden"]]
    if len(banned):
        hit = pd.DataFrame({"off": i, "commune_code": code}).merge(banned, on=["off", "commune_code"])
        problems += [f"forbidden pair placed: {off['official_id'].iloc[r]} in {c}" for r, c in zip(hit["off"], hit["commune_code"])]
    if problems:
        raise PlanInconsistent(STAGE, problems)


# ----------------------------------------------------------------------------------------------
# Result tables
# ----------------------------------------------------------------------------------------------
def assignments_table(inputs: StaffingInputs, solution: StaffingSolution) -> pd.DataFrame:
    off, arcs = inputs.officials, solution.arcs
    chosen = arcs[solution.chosen]
    i = chosen["off"].to_numpy()
    names = inputs.communes.set_index("commune_code")["commune_name"]
    table = pd.DataFrame({
        "official_id": off["official_id"].to_numpy()[i], "name": off["name"].to_numpy()[i],
        "old_unit_id": off["old_unit_id"].to_numpy()[i], "commune_code": chosen["commune_code"].to_numpy(),
        "commune_name": chosen["commune_code"].map(names).to_numpy(), "position": chosen["position"].to_numpy(),
        "field": chosen["field"].to_numpy(), "match": match_of(off, i, chosen["field"].to_numpy()),
        "pinned": off["pinned"].to_numpy()[i], "own_area": chosen["own_area"].to_numpy(),
        "distance_km": chosen["distance_km"].round(2).to_numpy(),
    })
    for column in ("cost_distance", "cost_field", "bonus_continuity", "cost_disruption", "cost_pair", "total_cost"):
        table[column] = chosen[column].round(4).to_numpy()
    runner = runner_ups(arcs, solution.chosen).set_index("off")
    table["runner_up_commune"] = pd.array(runner["runner_up_commune"].reindex(i).to_numpy(), dtype="Int64")
    table["runner_up_extra_cost"] = runner["runner_up_extra_cost"].reindex(i).round(4).to_numpy()
    return table.sort_values(["commune_code", "field", "position", "official_id"]).reset_index(drop=True)


def training_needs_table(inputs: StaffingInputs, assignments: pd.DataFrame) -> pd.DataFrame:
    """Who must be trained for the post the plan gives them: placed in their secondary field (retraining) or, where the
    scenario allows it, outside their fields; one row per official, with the field to train in and why."""
    placed = assignments[assignments["match"].isin(["secondary", "mismatch"])]
    off = inputs.officials.set_index("official_id")
    why = [message("training_secondary" if m == "secondary" else "training_mismatch", field=f)
           for m, f in zip(placed["match"], placed["field"])]
    table = pd.DataFrame({
        "official_id": placed["official_id"].to_numpy(), "name": placed["name"].to_numpy(),
        "commune_code": placed["commune_code"].to_numpy(), "commune_name": placed["commune_name"].to_numpy(),
        "field": placed["field"].to_numpy(), "current_field": off["field"].reindex(placed["official_id"]).to_numpy(),
        "qualification": off["qualification"].reindex(placed["official_id"]).to_numpy(),
        "match": placed["match"].to_numpy(),
    })
    table = with_vietnamese(table, "reason", why).astype({"reason": object, "reason_vi": object})  # text, also when empty
    return table.sort_values(["field", "commune_code", "official_id"]).reset_index(drop=True)


def staffing_by_commune_table(inputs: StaffingInputs, solution: StaffingSolution) -> pd.DataFrame:
    slots = inputs.slots
    assigned = np.bincount(solution.arcs.loc[solution.chosen, "slot"].to_numpy(), minlength=len(slots))
    minimum = slots["required_min"].to_numpy(dtype=float)
    shortage = np.maximum(minimum - assigned, 0)
    names = inputs.communes.set_index("commune_code")["commune_name"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(minimum > 0, shortage / minimum, 0.0)
    return pd.DataFrame({
        "commune_code": slots["commune_code"].to_numpy(), "commune_name": slots["commune_code"].map(names).to_numpy(),
        "field": slots["field"].to_numpy(), "position": _as_staff(slots["position"]).to_numpy(),
        "required_min": minimum.astype(int), "required_max": slots["required_max"].to_numpy(dtype=float),
        "assigned": assigned, "shortage": shortage.astype(int), "surplus": np.maximum(assigned - minimum, 0).astype(int),
        "shortage_ratio": ratio.round(4), "marginal_value": solution.marginal_value.round(4),
        "marginal_value_basis": np.where(minimum > 0, solution.marginal_value_basis, "no minimum"),
        "in_quota": slots["in_quota"].to_numpy(),
        **{column: slots["commune_code"].map(inputs.quota[column]).to_numpy()
           for column in ("quota", "quota_rule", "quota_basis", "quota_source")},
    })


@cache
def retirement_roadmap() -> pd.DataFrame:
    """Statutory retirement age by year and gender (planner/reference/retirement_age.csv: Labour Code 2019
    Art. 169, Decree 135/2020/NĐ-CP), with `age` in years (60 years 3 months -> 60.25)."""
    table = pd.read_csv(RETIREMENT_AGES, dtype={"gender": str})
    return table.assign(age=table["age_years"] + table["age_months"] / 12.0).sort_values(["gender", "year"]).reset_index(drop=True)


def retirement_age(year: int, gender: str) -> float:
    """Statutory retirement age (years) of someone who reaches it in `year`; years before the table take its
    first row, years after it its last (the final age). NaN for a gender the table does not list."""
    years, ages = _roadmap_of(gender)
    if not len(years):
        return float("nan")
    return float(ages[max(int(np.searchsorted(years, year, side="right")) - 1, 0)])


@cache
def _roadmap_of(gender: str) -> tuple[np.ndarray, np.ndarray]:
    """(years ascending, ages) of one gender's roadmap: looked up per (year, gender) by bisection."""
    rows = retirement_roadmap()
    rows = rows[rows["gender"] == gender]
    return rows["year"].to_numpy(), rows["age"].to_numpy(dtype=float)


@cache  # a few dozen (birth year, gender) pairs per province: one roadmap walk each, not one per official
def retirement_point(birth_year: float, gender: str) -> tuple[float, float]:
    """(retirement age, moment of retirement as a decimal year) for someone born mid-`birth_year`.

    The officials table has the birth year only, so everyone is taken as born on 1 July (birth_year + 0.5):
    ages and years to retirement are exact to within half a year. The roadmap gives the age by the year in
    which it is reached: the retirement year is the first year Y with birth + age(Y) < Y + 1.
    """
    if np.isnan(birth_year):
        return float("nan"), float("nan")
    born = birth_year + 0.5
    years, ages = _roadmap_of(gender)
    if not len(years):
        return float("nan"), float("nan")
    year = int(np.floor(born + ages.min()))
    while True:
        age = retirement_age(year, gender)
        if born + age < year + 1:
            return age, born + age
        year += 1


def _decimal_year(day: date) -> float:
    return day.year + (day.timetuple().tm_yday - 1) / (366.0 if day.year % 4 == 0 else 365.0)


def surplus_reasons(inputs: StaffingInputs, solution: StaffingSolution, by_commune: pd.DataFrame,
                    options: StaffingOptions, idle: np.ndarray) -> np.ndarray:
    """A code of the surplus_reasons list per idle official (planner/schema/vocab/surplus_reasons.csv):
    no arc -> no_post_in_reach; arcs only beyond distance_threshold_km -> too_far; a nearer post short of its
    minimum -> costs_more; else posts_full (nearer posts filled to the minimum, their maximum or the quota)."""
    arcs = solution.arcs
    near = arcs["distance_km"].to_numpy() <= options.distance_threshold_km
    short = by_commune["shortage"].to_numpy()[arcs["slot"].to_numpy()] > 0
    n = len(inputs.officials)
    has_arc, has_near, near_short = (np.zeros(n, dtype=bool) for _ in range(3))
    has_arc[arcs["off"].to_numpy()] = True
    has_near[arcs.loc[near, "off"].to_numpy()] = True
    near_short[arcs.loc[near & short, "off"].to_numpy()] = True
    code = {role: vocab.role_code("surplus_reasons", role) for role in ("no_post", "too_far", "costs_more", "posts_full")}
    reason = np.select([~has_arc, ~has_near, near_short], [code["no_post"], code["too_far"], code["costs_more"]],
                       code["posts_full"])
    return reason[idle]


def surplus_table(inputs: StaffingInputs, solution: StaffingSolution, by_commune: pd.DataFrame,
                  options: StaffingOptions) -> pd.DataFrame:
    """Officials without a post, with the policy data of a downsizing discussion: gender, birth year, years of
    service (where given), age and years to statutory retirement at staffing.reference_date (birth mid-year,
    see retirement_point), the reason code (surplus_reasons list) and the reason in plain words. Sorted by
    years to retirement (closest first, unknown last), then reason (list order), then official id."""
    off, arcs = inputs.officials, solution.arcs
    placed = np.zeros(len(off), dtype=bool)
    placed[arcs.loc[solution.chosen, "off"].to_numpy()] = True
    idle = np.flatnonzero(~placed)
    codes = surplus_reasons(inputs, solution, by_commune, options, idle)
    reach = message("within_km", km=f"{options.candidate_radius_km:g}")
    if options.max_candidate_communes is not None:
        reach = message("nearest_communes_within_km", count=options.max_candidate_communes, km=f"{options.candidate_radius_km:g}")
    if options.candidates == "pair_costs":
        reach = message("pair_cost_communes")
    role = dict(zip(vocab.table("surplus_reasons")["code"], vocab.table("surplus_reasons")["role"]))

    def sentence(field, other, reason):
        fields = message("field_or_field", field=field, other_field=other) if pd.notna(other) and other != "" else field
        kind = role.get(reason)
        if kind == "no_post":
            return message("no_post_in_field", field=fields, reach=reach)
        if kind == "too_far":
            return message("only_far_posts_in_field", field=fields, km=f"{options.distance_threshold_km:g}")
        if kind == "costs_more":
            return message("vacancy_costs_more", field=fields)
        return message("no_vacancy_in_field", field=fields, reach=reach)

    said: dict = {}  # one sentence per (field, second field, reason): thousands of surplus officials share a few
    reasons = []
    for field, other, reason in zip(off["field"].to_numpy()[idle], off["secondary_field"].to_numpy()[idle], codes):
        key = (field, None if pd.isna(other) else other, reason)
        if key not in said:
            said[key] = sentence(field, other, reason)
        reasons.append(said[key])
    today = _decimal_year(options.plan_date())
    years, genders = off["birth_year"].to_numpy()[idle], off["gender"].to_numpy()[idle]
    points = [retirement_point(year, gender) for year, gender in zip(years, genders)]
    born = off["birth_year"].to_numpy()[idle] + 0.5
    retire_age = np.array([p[0] for p in points], dtype=float)
    retire_at = np.array([p[1] for p in points], dtype=float)
    surplus = pd.DataFrame({
        "official_id": off["official_id"].to_numpy()[idle], "name": off["name"].to_numpy()[idle],
        "old_unit_id": off["old_unit_id"].to_numpy()[idle], "field": off["field"].to_numpy()[idle],
        "position": off["position"].to_numpy()[idle], "qualification": off["qualification"].to_numpy()[idle],
        "gender": off["gender"].to_numpy()[idle],
        "birth_year": pd.array(off["birth_year"].to_numpy()[idle], dtype="Float64").astype("Int64"),
        "years_of_service": pd.array(off["years_of_service"].to_numpy()[idle], dtype="Float64").round().astype("Int64"),
        "age": np.round(today - born, 1),
        "retirement_age": np.round(retire_age, 2),
        "years_to_retirement": np.round(retire_at - today, 1),
        "surplus_reason": codes,
    })
    surplus = with_vietnamese(surplus, "reason", reasons)
    order = {code: rank for rank, code in enumerate(vocab.codes("surplus_reasons"))}
    surplus["_reason_rank"] = surplus["surplus_reason"].map(order)
    surplus = surplus.sort_values(["years_to_retirement", "_reason_rank", "official_id"], na_position="last", kind="stable")
    return surplus.drop(columns="_reason_rank").reset_index(drop=True)


def recruitment_table(by_commune: pd.DataFrame) -> pd.DataFrame:
    needs = (by_commune[by_commune["shortage"] > 0].groupby(["commune_code", "commune_name", "field"], as_index=False)
             ["shortage"].sum().rename(columns={"shortage": "count"}))
    return needs.sort_values(["commune_code", "field"]).reset_index(drop=True)


def kpi_value(kpis: list[dict], name: str):
    return next(row["value"] for row in kpis if row["kpi"] == name)


def commune_shortage_ratios(by_commune: pd.DataFrame) -> pd.Series:
    """Per commune with some minimum: missing officials / minimum headcount, all its posts together."""
    totals = by_commune.groupby("commune_code")[["shortage", "required_min"]].sum()
    totals = totals[totals["required_min"] > 0]
    return totals["shortage"] / totals["required_min"]


def changes_from_previous(inputs: StaffingInputs, assignments: pd.DataFrame) -> tuple[int, int]:
    """(officials moved, positions changed) against the previous plan: of the officials the previous plan placed,
    those now in another commune or without a post; and those placed in both plans whose position or field differs.
    A previous position of 'any' counts as the staff position, like the posts it fills."""
    off = inputs.officials
    before = off["previous_commune"].notna().to_numpy()
    now = assignments.set_index("official_id")
    ids = off["official_id"].to_numpy()
    commune = now["commune_code"].reindex(ids).to_numpy(dtype=float, na_value=np.nan)
    moved = before & (np.isnan(commune) | (commune != off["previous_commune"].to_numpy()))
    position = now["position"].reindex(ids).fillna("").astype(str).to_numpy()
    field = now["field"].reindex(ids).fillna("").astype(str).to_numpy()
    previous_position = _as_staff(off["previous_position"]).to_numpy()
    previous_field = off["previous_field"].to_numpy()
    both = before & ~np.isnan(commune)
    changed = both & (((previous_position != "") & (position != previous_position))
                      | ((previous_field != "") & (field != previous_field)))
    return int(moved.sum()), int(changed.sum())


def staffing_kpis(assignments, surplus, by_commune, solution: StaffingSolution) -> list[dict]:
    commune_ratios = commune_shortage_ratios(by_commune)
    kpis = [kpi_row("total_shortage", int(by_commune["shortage"].sum()))]
    for field, value in by_commune.groupby("field")["shortage"].sum().items():
        kpis.append(kpi_row("shortage_by_field", int(value), code=field))
    kpis += [
        kpi_row("max_shortage_ratio", float(by_commune["shortage_ratio"].max()) if len(by_commune) else 0.0),
        kpi_row("max_commune_shortage_ratio", round(float(commune_ratios.max()), 4) if len(commune_ratios) else 0.0),
        kpi_row("assigned", len(assignments)),
        kpi_row("surplus_count", len(surplus)),
        kpi_row("total_commute_km", round(float(assignments["distance_km"].sum()), 2)),
        kpi_row("mean_commute_km", round(float(assignments["distance_km"].mean()), 2) if len(assignments) else 0.0),
        kpi_row("share_own_area", round(100.0 * float(assignments["own_area"].mean()), 2) if len(assignments) else 0.0),
        kpi_row("objective", solution.objective),
    ]
    return kpis


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
class StaffingPlanner:
    """Staffing of one province across the pipeline's sites re-fit rounds: inputs, candidate arcs and the LP are
    built once; `place(hq)` puts the headquarters where the sites stage chose them (new commute costs on the same
    arcs) and re-solves warm, returning the planned headcount; `result()` extracts, re-checks and reports the
    plan of the last placement, and plans IT support for it."""

    def __init__(self, ds: Dataset, scenario: Scenario, previous: pd.DataFrame | None = None):
        start = time.perf_counter()
        self.scenario, self.options, self.previous = scenario, scenario.staffing, previous
        self.inputs = prepare_inputs(ds, scenario, None, previous)
        self.arcs = candidate_arcs(self.inputs, self.options)
        self.prepare_seconds = time.perf_counter() - start
        self.solver: StaffingSolver | None = None
        self.solution: StaffingSolution | None = None
        self.solves: list[SolveInfo] = []  # every solve of every placement: the stage's solver runs

    def place(self, hq: pd.DataFrame | None) -> pd.DataFrame:
        """Solve with the headquarters in `hq` (hq_plan; None: commune centres); the planned headcount per commune,
        position and field (planner.derived.headcount_from_assignments)."""
        start = time.perf_counter()
        move_headquarters(self.inputs, self.arcs, hq, self.options)
        self.prepare_seconds += time.perf_counter() - start
        if self.solver is None:
            self.solver = StaffingSolver(self.inputs, self.arcs, self.options, self.scenario.solver)
        self.solution = self.solver.solve()
        self.solves += self.solution.solves
        return headcount_from_assignments(self.arcs[self.solution.chosen])

    def result(self) -> StageResult:
        """The stage result of the last placement: tables, KPIs, notes, every solve so far."""
        inputs, solution, options, previous = self.inputs, self.solution, self.options, self.previous
        start = time.perf_counter()
        assignments = assignments_table(inputs, solution)
        by_commune = staffing_by_commune_table(inputs, solution)
        surplus = surplus_table(inputs, solution, by_commune, options)
        verify_staffing(inputs, assignments, surplus, options)
        recruitment = recruitment_table(by_commune)
        kpis = staffing_kpis(assignments, surplus, by_commune, solution)
        notes = [message("staffing_candidates", posts=len(self.arcs), officials=len(inputs.officials),
                         prepared=f"{self.prepare_seconds:.2f}", checked=f"{time.perf_counter() - start:.2f}")]
        if previous is not None:
            moved, changed = changes_from_previous(inputs, assignments)
            kpis += [kpi_row("officials_moved_from_previous", moved), kpi_row("positions_changed_from_previous", changed)]
            notes.append(message("previous_plan_changes", moved=moved, changed=changed, weight=f"{options.disruption(True):g}",
                                 post_weight=f"{options.position_change(True):g}"))
        if solution.best_commune_ratio is not None:
            notes.append(message("staffing_fairness", least_cost=f"{solution.least_cost_commune_ratio:.0%}",
                                 best=f"{solution.best_commune_ratio:.0%}", tolerance=f"{options.fairness_tolerance:.0%}",
                                 now=f"{kpi_value(kpis, 'max_commune_shortage_ratio'):.0%}"))
        notes += time_limit_notes(self.solves)
        tables = {"assignments": assignments, "surplus_officials": surplus, "staffing_by_commune": by_commune,
                  "recruitment_needs": recruitment, "training_needs": training_needs_table(inputs, assignments)}
        solves = list(self.solves)
        if options.it_support.enabled:
            from .it_support import plan_it_support

            it = plan_it_support(inputs, assignments, options.it_support, self.scenario.solver)
            tables.update(it.tables)
            kpis += it.kpis
            solves += it.solves
            notes += it.notes
        return StageResult(tables=tables, kpis=kpis, solves=solves, notes=notes)


def plan_staffing(ds: Dataset, scenario: Scenario, hq: pd.DataFrame | None,
                  previous: pd.DataFrame | None = None) -> StageResult:
    """Place every official (or list them as surplus), then plan IT support between communes."""
    planner = StaffingPlanner(ds, scenario, previous)
    planner.place(hq)
    return planner.result()
