"""Resolve staffing norms per commune: the government staff quota rule (planner/reference/staffing_quota.csv),
class rules, per-commune overrides and scenario overrides."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .scenario import NormOverride


QUOTA_RULES = Path(__file__).parent / "reference" / "staffing_quota.csv"


@cache
def quota_rules() -> pd.DataFrame:
    """The quota rule per commune type and mountainous flag, with its source (planner/reference/staffing_quota.csv)."""
    rules = pd.read_csv(QUOTA_RULES, dtype={"commune_type": str, "source": str, "basis": str, "note": str})
    rules["mountainous"] = rules["mountainous"].astype(str).str.lower().eq("true")
    return rules


def quota_fields() -> tuple[str, ...]:
    """Fields whose staff count against the government quota (fields.csv in_quota; Party, mass organisations
    and the military command are outside it, Official Dispatch 09/CV-BCĐ)."""
    frame = vocab.table("fields")
    in_quota = frame["in_quota"].str.lower().ne("false") if "in_quota" in frame else pd.Series(True, index=frame.index)
    return tuple(frame.loc[in_quota & ~frame["pseudo"], "code"])


def commune_quotas(communes: pd.DataFrame) -> pd.DataFrame:
    """commune_code, quota, rule_id, source, basis: base + one per full step of residents above the threshold
    (the step is smaller in mountainous communes), at most the cap of the commune's type."""
    mountainous = (communes["mountainous"].fillna(False).astype(bool) if "mountainous" in communes
                   else pd.Series(False, index=communes.index))
    frame = pd.DataFrame({"commune_code": communes["code"].astype(int).to_numpy(),
                          "commune_type": communes["type"].astype(str).to_numpy(),
                          "mountainous": mountainous.to_numpy(dtype=bool),
                          "population": communes["population"].astype(float).to_numpy()})
    rules = quota_rules()
    out = frame.merge(rules, on=["commune_type", "mountainous"], how="inner")
    steps = np.floor(np.maximum(out["population"] - out["population_threshold"], 0) / out["residents_per_extra"])
    out["quota"] = np.minimum(out["base"] + steps, out["cap"]).astype(int)
    return out[["commune_code", "quota", "rule_id", "source", "basis"]].sort_values("commune_code").reset_index(drop=True)


def total_field() -> str:
    """The pseudo-field whose norm rows carry a commune's headcount ceiling (role 'total' in fields.csv)."""
    return vocab.role_code("fields", "total")


def apply_overrides(norms: pd.DataFrame, overrides: list[NormOverride]) -> pd.DataFrame:
    """The norms with a scenario's overrides applied (a new rule where no rule lists the slot)."""
    norms = norms.copy()
    for ov in overrides:
        slot = (norms["field"] == ov.field) & (norms["position"] == ov.position)
        hit = slot
        any_type = vocab.role_code("commune_types", "any")
        if ov.commune_type != any_type:
            hit = slot & (norms["commune_type"] == ov.commune_type)
            general = slot & (norms["commune_type"] == any_type) & norms["commune_code"].isna()
            if not hit.any() and general.any():
                # copy the slot's general rules as rules for this type only, so other types keep theirs
                copies = norms[general].assign(commune_type=ov.commune_type,
                                               rule_id=lambda d: d["rule_id"].astype(str) + f":{ov.commune_type}")
                norms = pd.concat([norms, copies], ignore_index=True)
                hit = pd.Series(norms.index >= len(norms) - len(copies), index=norms.index)
        if not hit.any():  # a new rule for a slot the norms did not list
            norms = pd.concat(
                [norms, pd.DataFrame([{"rule_id": f"scenario:{ov.field}:{ov.position}", "commune_code": pd.NA,
                                       "commune_type": ov.commune_type, "min_population": 0, "max_population": pd.NA,
                                       "field": ov.field, "position": ov.position, "min_count": 0,
                                       "max_count": pd.NA, "per_10k_residents": 0.0}])],
                ignore_index=True,
            )
            hit = norms.index == norms.index[-1]
        for col in ("min_count", "max_count", "per_10k_residents"):
            value = getattr(ov, col)
            if value is not None:
                norms.loc[hit, col] = value
        if ov.min_count is not None and ov.max_count is None:  # an override raising only the minimum lifts the maximum
            below = hit & (pd.to_numeric(norms["max_count"], errors="coerce") < ov.min_count).to_numpy(dtype=bool, na_value=False)
            norms.loc[below, "max_count"] = ov.min_count
    return norms


def resolve_staffing_norms(communes: pd.DataFrame, norms: pd.DataFrame,
                           overrides: list[NormOverride] | None = None) -> pd.DataFrame:
    """One row per commune x field x position with required_min and required_max (NaN = no limit).

    A per-commune rule (commune_code set) wins over class rules for the same field and position;
    among class rules a specific commune_type wins over 'any', then the later row in the table.
    required_min = min_count + ceil(per_10k_residents * population / 10,000).
    The pseudo-field with role 'total' carries the commune's government staff quota in required_max: a
    'total' rule of the norms where one matches the commune, else the quota rule (commune_quotas).
    Columns commune_code, field, position, required_min, required_max, rule_id, source, basis.
    """
    norms = apply_overrides(norms.reset_index(drop=True), overrides or [])
    norms = norms.assign(_order=np.arange(len(norms)))
    c = communes[["code", "type", "population"]].rename(columns={"code": "commune_code"})
    cross = c.merge(norms, how="cross", suffixes=("", "_rule"))
    rule_commune = pd.to_numeric(cross["commune_code_rule"], errors="coerce").astype(float)
    own = (rule_commune == cross["commune_code"].astype(float)).to_numpy(dtype=bool, na_value=False)
    max_pop = pd.to_numeric(cross["max_population"], errors="coerce").astype(float).fillna(np.inf)
    any_type = vocab.role_code("commune_types", "any")
    cls = rule_commune.isna() & ((cross["commune_type"] == any_type) | (cross["commune_type"] == cross["type"]))
    pop = cross["population"].astype(float)
    cls &= (pop >= cross["min_population"].astype(float)) & (pop < max_pop)
    match = cross[own | cls.to_numpy(dtype=bool, na_value=False)].copy()
    match["_rank"] = np.where(rule_commune[match.index].notna(), 2, np.where(match["commune_type"] == any_type, 0, 1))
    match = match.sort_values(["_rank", "_order"]).groupby(["commune_code", "field", "position"], as_index=False).last()
    extra = np.ceil(match["per_10k_residents"].astype(float) * match["population"].astype(float) / 10_000 - 1e-9)
    match["required_min"] = (match["min_count"].astype(float) + extra.clip(lower=0)).astype(int)
    match["required_max"] = pd.to_numeric(match["max_count"], errors="coerce").astype(float)
    match["commune_code"] = match["commune_code"].astype(int)
    # per_10k growth may lift the minimum above max_count: the maximum follows it. A max_count below the rule's own
    # min_count is an input error (planner.validate reports the row; scenario overrides are checked too) and is
    # not raised silently here
    grown = (match["required_max"] >= match["min_count"].astype(float)).to_numpy(dtype=bool, na_value=False)
    match["required_max"] = np.where(grown, np.maximum(match["required_max"], match["required_min"]), match["required_max"])
    for column in ("source", "basis"):
        match[column] = match[column].astype(object).where(match[column].notna(), "") if column in match else ""
    out = match[["commune_code", "field", "position", "required_min", "required_max", "rule_id", "source", "basis"]]
    has_total = set(out.loc[out["field"] == total_field(), "commune_code"])
    quotas = commune_quotas(communes)
    quotas = quotas[~quotas["commune_code"].isin(has_total)]
    by_rule = pd.DataFrame({"commune_code": quotas["commune_code"], "field": total_field(),
                            "position": vocab.role_code("positions", "any"), "required_min": 0,
                            "required_max": quotas["quota"].astype(float), "rule_id": quotas["rule_id"],
                            "source": quotas["source"], "basis": quotas["basis"]})
    out = pd.concat([out, by_rule], ignore_index=True) if len(by_rule) else out
    return out.sort_values(["commune_code", "field", "position"]).reset_index(drop=True)


def headcount_ceilings(requirements: pd.DataFrame) -> pd.Series:
    """Staff quota per commune (from the total-role rows; NaN where none is set), indexed by commune_code."""
    return requirements[requirements["field"] == total_field()].set_index("commune_code")["required_max"]


def planned_headcount_from_norms(requirements: pd.DataFrame) -> pd.DataFrame:
    """Headcount per commune, position and field when no staffing plan exists: the norms' minimums.

    Same columns as planner.derived.headcount_from_assignments, so later stages take either.
    """
    slots = requirements[requirements["field"] != total_field()]
    pos = slots["position"].replace({vocab.role_code("positions", "any"): vocab.role_code("positions", "staff")})
    return (slots.assign(position=pos).groupby(["commune_code", "position", "field"], as_index=False)["required_min"].sum()
            .rename(columns={"required_min": "headcount"}))
