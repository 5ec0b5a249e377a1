"""Inputs derived from the dataset and the scenario, computed in one place for models, validation, UI and sample.

Budgets (the scenario's value, else the costs table's), per-item costs, home locations, residents of
old units, buildings with their commune and the renovation rule, planned headcount, equipment
demand, and yes/no parsing. Roles (which position leads, which field staffs the counters, which
building condition needs renovation, what an equipment norm is counted per) come from the code lists.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .norms import planned_headcount_from_norms, resolve_staffing_norms

# ---------------------------------------------------------------- costs and budgets
def cost_parameter(ds, parameter: str, default: float | None = None) -> float | None:
    """A building/budget cost from the costs table (the rows with no item type)."""
    costs = ds["costs"]
    hit = costs.loc[(costs["parameter"] == parameter) & costs["item_type"].isna(), "value"]
    if not len(hit):
        hit = costs.loc[costs["parameter"] == parameter, "value"]
    return float(hit.iloc[0]) if len(hit) else default


def per_item_parameters() -> tuple[str, ...]:
    """Cost parameters given once per item type (new_unit_price, transport_cost_per_km, repair_cost)."""
    return vocab.flagged("cost_parameters", "per_item")


def item_costs(ds, parameter: str) -> pd.Series:
    """Per-item-type values of a per-item cost parameter, indexed by item_type."""
    costs = ds["costs"]
    rows = costs[(costs["parameter"] == parameter) & costs["item_type"].notna()]
    return rows.groupby(rows["item_type"].astype(str))["value"].last().astype(float)


def purchase_prices(ds, scenario) -> pd.Series:
    """New-item prices the equipment model buys at, indexed by item_type: the costs table's new_unit_price
    (the maximum prices of Decision 15/2025/QĐ-TTg and Decree 153/2025/NĐ-CP in the bundled reference) raised
    by the scenario's assets.price_uplift (at most 30%, the province's limit under Art. 4(4) of the Decision)."""
    return item_costs(ds, "new_unit_price") * (1.0 + float(scenario.assets.price_uplift))


def budget(ds, scenario, role: str, default: float | None = None) -> float | None:
    """A budget ('equipment_budget' or 'renovation_budget' role of cost_parameters): the scenario's value
    (assets.<parameter>_vnd), else the costs table's, else `default` (None = no limit)."""
    parameter = vocab.role_code("cost_parameters", role)
    value = getattr(scenario.assets, f"{parameter}_vnd")
    return value if value is not None else cost_parameter(ds, parameter, default)


def renovation_budget(ds, scenario) -> float | None:
    return budget(ds, scenario, "renovation_budget")


def equipment_budget(ds, scenario) -> float | None:
    return budget(ds, scenario, "equipment_budget")


def service_point_fixed_cost(ds, scenario) -> float:
    opts = scenario.assets
    if opts.service_point_fixed_cost is not None:
        return opts.service_point_fixed_cost
    return cost_parameter(ds, "service_point_fixed_cost", 0.0) or 0.0


# ---------------------------------------------------------------- places and people
def old_unit_residents(ds) -> pd.DataFrame:
    """Old units with their residents (population_share x the new commune's population)."""
    pop = ds["communes"].set_index("code")["population"].astype(float)
    ou = ds["old_units"]
    return pd.DataFrame({
        "old_unit_id": ou["id"].astype(str).to_numpy(), "old_unit_name": ou["name"].astype(str).to_numpy(),
        "commune_code": ou["commune_code"].astype(int).to_numpy(),
        "lon": ou["lon"].to_numpy(float), "lat": ou["lat"].to_numpy(float),
        "residents": ou["population_share"].to_numpy(float) * pop.reindex(ou["commune_code"].astype(int)).fillna(0).to_numpy(),
    })


def buildings_with_commune(ds) -> pd.DataFrame:
    """Buildings with the commune of the old unit that owns them, and the renovation they need before
    any use (conditions with role needs_renovation in the building_conditions list)."""
    b = ds["buildings"]
    owner = ds["old_units"].drop_duplicates("id").set_index("id")["commune_code"]
    out = pd.DataFrame({
        "building_id": b["id"].astype(str).to_numpy(), "building_name": b["name"].astype(str).to_numpy(),
        "old_unit_id": b["old_unit_id"].astype(str).to_numpy(), "kind": b["kind"].astype(str).to_numpy(),
        "lon": b["lon"].to_numpy(float), "lat": b["lat"].to_numpy(float),
        "floor_area_m2": b["floor_area_m2"].to_numpy(float), "condition": b["condition"].astype(str).to_numpy(),
        "renovation_cost_vnd": b["renovation_cost_vnd"].to_numpy(float),
        "book_value_vnd": b["book_value_vnd"].to_numpy(float),
    })
    out["commune_code"] = owner.reindex(b["old_unit_id"]).astype("Int64").to_numpy()
    needs = out["condition"].isin(vocab.role_codes("building_conditions", "needs_renovation"))
    out["mandatory_renovation_vnd"] = np.where(needs, out["renovation_cost_vnd"], 0.0)
    return out


def official_locations(ds) -> pd.DataFrame:
    """Per official (in input order): home (coordinates, else the home old unit, else the work old unit),
    the work old unit's location and the new commune that contains the work old unit."""
    off = ds["officials"]
    units = ds["old_units"].drop_duplicates("id").set_index("id")
    unit_lon = off["old_unit_id"].astype(str).map(units["lon"]).astype(float)
    unit_lat = off["old_unit_id"].astype(str).map(units["lat"]).astype(float)
    has_home = off["home_lon"].notna() & off["home_lat"].notna()
    home_unit = off["home_old_unit_id"].astype("string")
    home_unit_lon = home_unit.map(units["lon"]).astype(float)
    home_unit_lat = home_unit.map(units["lat"]).astype(float)
    return pd.DataFrame({
        "official_id": off["id"].astype(str).to_numpy(),
        "home_lon": off["home_lon"].astype(float).where(has_home).fillna(home_unit_lon).fillna(unit_lon).to_numpy(dtype=float),
        "home_lat": off["home_lat"].astype(float).where(has_home).fillna(home_unit_lat).fillna(unit_lat).to_numpy(dtype=float),
        "unit_lon": unit_lon.to_numpy(dtype=float), "unit_lat": unit_lat.to_numpy(dtype=float),
        "own_commune": off["old_unit_id"].astype(str).map(units["commune_code"]).to_numpy(dtype=float, na_value=np.nan),
    })


# ---------------------------------------------------------------- headcount and equipment demand
def headcount_from_assignments(assignments: pd.DataFrame) -> pd.DataFrame:
    """Planned headcount per commune, position and field, from the staffing plan."""
    placed = assignments[assignments["commune_code"].notna()]
    return (placed.groupby(["commune_code", "position", "field"], as_index=False).size()
            .rename(columns={"size": "headcount"}))


def required_office_area(scenario, headcount: pd.DataFrame, codes) -> pd.DataFrame:
    """commune_code, required_area_m2, planned_staff for the communes `codes`: working-room area per official by
    position (scenario assets.m2_per_official: Decree 155/2025/NĐ-CP) times the shared-area factor."""
    opts = scenario.assets
    staff_m2 = opts.m2_per_official[vocab.role_code("positions", "staff")]
    m2 = headcount["position"].astype(str).map(lambda p: opts.m2_per_official.get(p, staff_m2)).astype(float)
    area = (headcount.assign(_m2=headcount["headcount"].astype(float) * m2,
                             commune_code=pd.to_numeric(headcount["commune_code"]).astype(int))
            .groupby("commune_code")[["_m2", "headcount"]].sum())
    codes = np.asarray(codes, dtype=int)
    return pd.DataFrame({"commune_code": codes,
                         "required_area_m2": area["_m2"].reindex(codes).fillna(0).to_numpy() * opts.shared_area_factor,
                         "planned_staff": area["headcount"].reindex(codes).fillna(0).to_numpy(float)})


QUALIFICATION_RULES = Path(__file__).parent / "reference" / "qualification_rules.csv"


@cache
def qualification_rules() -> pd.DataFrame:
    """Per field (and position, or 'any'): the lowest qualification a post accepts and whether it needs training in
    its field (planner/reference/qualification_rules.csv, each row with its source and basis)."""
    rules = pd.read_csv(QUALIFICATION_RULES, dtype=str, keep_default_na=False)
    rules["field_training"] = rules["field_training"].str.lower().eq("true")
    return rules


def post_rules(fields: pd.Series, positions: pd.Series) -> pd.DataFrame:
    """min_rank (0 = any level) and field_training for each post (field, position): a rule for the position wins
    over the field's 'any' rule. Ranks come from the qualifications list."""
    rules = qualification_rules()
    rank = vocab.column("qualifications", "rank", numeric=True)
    any_position = vocab.role_code("positions", "any")
    rules = rules.assign(min_rank=rules["min_qualification"].map(rank).fillna(0.0))
    exact = rules.set_index(["field", "position"])
    general = rules[rules["position"] == any_position].drop_duplicates("field", keep="last").set_index("field")
    key = pd.MultiIndex.from_arrays([fields.astype(str).to_numpy(), positions.astype(str).to_numpy()])
    out = pd.DataFrame(index=range(len(fields)))
    for column, empty in (("min_rank", 0.0), ("field_training", False)):
        by_position = exact[column].reindex(key).to_numpy()
        by_field = general[column].reindex(fields.astype(str)).to_numpy()
        value = pd.Series(by_position).where(pd.notna(by_position), pd.Series(by_field))
        out[column] = value.where(value.notna(), empty).to_numpy()
    out["field_training"] = out["field_training"].astype(bool)
    out["min_rank"] = out["min_rank"].astype(float)
    return out


def planned_headcount(ds, scenario, headcount: pd.DataFrame | None) -> pd.DataFrame:
    """The staffing plan's headcount, or the norms' minimums when no staffing plan exists."""
    if headcount is not None:
        return headcount
    req = resolve_staffing_norms(ds["communes"], ds["staffing_norms"], scenario.norm_overrides)
    return planned_headcount_from_norms(req)


def basis_amounts(communes: pd.DataFrame, staff: pd.Series, counters: pd.Series,
                  leaders: pd.Series | None = None) -> pd.DataFrame:
    """commune_code, type and one column per equipment basis (planner/schema/vocab/equipment_bases.csv):
    how many officials, leaders (positions with role leadership), other officials, communes, counters or
    10,000 residents a norm of that basis is counted on."""
    code = communes["code"].astype(int)
    officials = staff.reindex(code).fillna(0).to_numpy(float)
    lead = (leaders if leaders is not None else pd.Series(dtype=float)).reindex(code).fillna(0).to_numpy(float)
    driver = {
        "officials": officials,
        "leaders": lead,
        "non_leaders": np.clip(officials - lead, 0, None),
        "counters": counters.reindex(code).fillna(0).to_numpy(float),
        "commune": np.ones(len(communes)),
        "residents_10k": communes["population"].astype(float).to_numpy() / 10_000,
    }
    bases = vocab.table("equipment_bases")
    out = pd.DataFrame({"commune_code": code.to_numpy(), "type": communes["type"].astype(str).to_numpy()})
    for basis, role in zip(bases["code"], bases["role"]):
        out[basis] = driver[role]
    return out


def equipment_demand(ds, headcount: pd.DataFrame) -> pd.DataFrame:
    """commune_code, item_type, priority, demand (whole items) from the equipment norms, and `uncapped`
    (the demand before the cap; a row cut to demand 0 by a cap stays, so the cut can be reported).

    Each rule's items are rounded up per commune before rules are added, as Decision 15/2025/QĐ-TTg
    Appendix II prescribes ("1 printer per 3 staff": ceil(staff / 3)); quantities such as 1/3 are exact up
    to float noise, which the rounding tolerates. A commune's total of an item type, all priorities
    together, is held to the smallest max_per_commune of the rules that apply to it (e.g. 2 cars, Decree
    153/2025/NĐ-CP Art. 11a): the least urgent demand (highest priority number) is cut first."""
    counter_field = vocab.role_code("fields", "counter")
    staff = headcount.groupby("commune_code")["headcount"].sum()
    counters = headcount[headcount["field"] == counter_field].groupby("commune_code")["headcount"].sum()
    leading = headcount["position"].astype(str).isin(vocab.role_codes("positions", "leadership"))
    leaders = headcount[leading].groupby("commune_code")["headcount"].sum()
    any_type = vocab.role_code("commune_types", "any")
    base = basis_amounts(ds["communes"], staff, counters, leaders).melt(id_vars=["commune_code", "type"], var_name="basis",
                                                                        value_name="amount")
    norms = ds["equipment_norms"].astype({"basis": str, "commune_type": str, "item_type": str})
    rows = base.merge(norms, on="basis")
    rows = rows[(rows["commune_type"] == any_type) | (rows["commune_type"] == rows["type"])]
    raw = rows["quantity"].astype(float).to_numpy() * rows["amount"].to_numpy(float)
    rows = rows.assign(items=np.ceil(raw - 1e-9).clip(min=0), priority=rows["priority"].astype(int))
    demand = rows.groupby(["commune_code", "item_type", "priority"], as_index=False)["items"].sum()
    demand["uncapped"] = demand["items"].astype(int)
    demand["demand"] = demand["uncapped"]
    caps = equipment_caps(ds).set_index(["commune_code", "item_type"])["max_per_commune"].astype(float)
    if len(caps) and len(demand):
        demand = demand.sort_values(["commune_code", "item_type", "priority"], kind="stable")
        cap = caps.reindex(pd.MultiIndex.from_frame(demand[["commune_code", "item_type"]])).to_numpy(float)
        before = demand.groupby(["commune_code", "item_type"])["uncapped"].cumsum().to_numpy() - demand["uncapped"].to_numpy()
        room = np.clip(cap - before, 0, None)
        demand["demand"] = np.where(np.isnan(cap), demand["uncapped"], np.minimum(demand["uncapped"], room)).astype(int)
    demand = demand[demand["uncapped"] > 0].drop(columns="items")
    return demand[["commune_code", "item_type", "priority", "demand", "uncapped"]].reset_index(drop=True)


def equipment_caps(ds) -> pd.DataFrame:
    """commune_code, item_type, max_per_commune: the smallest cap of the equipment norms that apply to each commune."""
    norms = ds["equipment_norms"]
    if "max_per_commune" not in norms.columns or not norms["max_per_commune"].notna().any():
        return pd.DataFrame({"commune_code": pd.Series(dtype=int), "item_type": pd.Series(dtype=str),
                             "max_per_commune": pd.Series(dtype=int)})
    capped = norms.dropna(subset=["max_per_commune"]).astype({"commune_type": str, "item_type": str})
    communes = ds["communes"][["code", "type"]].astype({"type": str}).rename(columns={"code": "commune_code"})
    any_type = vocab.role_code("commune_types", "any")
    rows = communes.merge(capped, how="cross")
    rows = rows[(rows["commune_type"] == any_type) | (rows["commune_type"] == rows["type"])]
    out = rows.groupby(["commune_code", "item_type"], as_index=False)["max_per_commune"].min()
    return out.astype({"commune_code": int, "max_per_commune": int})
