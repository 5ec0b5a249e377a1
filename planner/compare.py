"""Compare two or more plans side by side: KPIs, who moves, shortages, buildings, purchases.

Tables are wide: one column per plan, named '<column> [<plan label>]', and differences against the
first plan named 'delta [<plan label>]' (or count_delta / cost_delta_vnd). The leadership workbook
labels such columns in either language (planner.labels.column_label); planner.report.write_comparison_workbook
writes them (the report sits above this module).
"""

from __future__ import annotations

from pathlib import PureWindowsPath

import pandas as pd

from .plan import Plan

_MISSING = "\x00missing"  # stands in for <NA> when testing whether plans differ


def compare_plans(plans: dict[str, Plan]) -> dict[str, pd.DataFrame]:
    """Comparison tables keyed 'plans' (the provenance of each plan), 'kpis', 'moved_officials', 'shortage_delta',
    'building_changes', 'purchase_changes'."""
    if not plans:
        raise ValueError("compare_plans needs at least one plan")
    labels = [str(label) for label in plans]
    if len(set(labels)) != len(labels):
        raise ValueError("plan labels must be distinct")
    plans = dict(zip(labels, plans.values()))
    return {
        "plans": plans_provenance(plans),
        "kpis": _kpis(plans),
        "moved_officials": _moved_officials(plans),
        "shortage_delta": _shortage_delta(plans),
        "building_changes": _building_changes(plans),
        "purchase_changes": _purchase_changes(plans),
    }


# What says where each compared plan comes from, in this order (provenance keys; the register adds its own on load)
PROVENANCE_COLUMNS = ["plan_name", "plan_status", "approved_by", "approved_at", "reviewed_by", "reviewed_at", "saved_at",
                      "saved_by", "plan_version", "province", "scenario_name", "data_hash", "scenario_digest", "created_utc",
                      "data_source", "planner_version"]


def plans_provenance(plans: dict[str, Plan]) -> pd.DataFrame:
    """One row per plan: its label in the comparison, name and status, who reviewed and approved it and when, when it
    was saved and by whom, the input data hash, scenario and when it was solved (empty where the plan does not say)."""
    rows = []
    for label, plan in plans.items():
        prov = plan.provenance or {}
        row = {"plan": label}
        for key in PROVENANCE_COLUMNS:
            value = prov.get(key)
            row[key] = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        if row["data_source"]:  # the file's name: a folder on the machine that solved it means nothing to the reader
            row["data_source"] = PureWindowsPath(row["data_source"]).name
        if row["plan_version"] and row["plan_version"].isdigit():
            row["plan_version"] = int(row["plan_version"])
        row["plan_name"] = row["plan_name"] or label
        row["plan_status"] = row["plan_status"] or plan.status
        rows.append(row)
    return pd.DataFrame(rows, columns=["plan"] + PROVENANCE_COLUMNS)


def _col(base: str, label: str) -> str:
    return f"{base} [{label}]"


def _differs(frame: pd.DataFrame) -> pd.Series:
    """True where the row's values are not all equal (a missing value counts as a value)."""
    if frame.shape[1] < 2:
        return pd.Series(False, index=frame.index)
    as_text = frame.astype(object).where(frame.notna(), _MISSING).astype(str)
    return as_text.nunique(axis=1) > 1


def _change_list(flags: pd.DataFrame) -> pd.Series:
    """'commune, position' from boolean columns named after what changed."""
    text = pd.Series("", index=flags.index, dtype=object)
    for what in flags.columns:
        hit = flags[what].to_numpy(dtype=bool)
        text[hit] = text[hit].where(text[hit] == "", text[hit] + ", ") + what
    return text


def _kpis(plans: dict[str, Plan]) -> pd.DataFrame:
    """One row per KPI (stage, key, breakdown code, label number, unit), its value in each plan and the differences."""
    keys = ["stage", "kpi", "code", "param", "unit"]
    long = []
    for label, plan in plans.items():
        k = plan.kpis.reindex(columns=keys + ["value"]).copy()
        for text in ("code", "unit"):  # '' for none, so rows without a code match across plans
            k[text] = k[text].astype(object).where(k[text].notna(), "").astype(str)
        k["param"] = pd.to_numeric(k["param"], errors="coerce").astype(float)
        k["value"] = pd.to_numeric(k["value"], errors="coerce").astype(float)
        long.append(k.drop_duplicates(keys))
    out = pd.concat(long, ignore_index=True)[keys].drop_duplicates().reset_index(drop=True)
    first = next(iter(plans))
    for label, part in zip(plans, long):
        out = out.merge(part[keys + ["value"]].rename(columns={"value": _col("value", label)}), on=keys, how="left")
    for label in list(plans)[1:]:
        out[_col("delta", label)] = out[_col("value", label)] - out[_col("value", first)]
    return out[keys + [_col("value", p) for p in plans] + [_col("delta", p) for p in list(plans)[1:]]]


def _outcomes(plan: Plan) -> pd.DataFrame | None:
    """One row per official: commune, position and field (commune empty = surplus)."""
    assignments = plan.tables.get("assignments")
    surplus = plan.tables.get("surplus_officials")
    if assignments is None and surplus is None:
        return None
    cols = ["official_id", "name", "commune_code", "commune_name", "position", "field"]
    parts = []
    if assignments is not None:
        parts.append(assignments.reindex(columns=cols))
    if surplus is not None:
        s = surplus.reindex(columns=["official_id", "name"])
        parts.append(s.assign(commune_code=pd.NA, commune_name=pd.NA, position=pd.NA, field=pd.NA))
    out = pd.concat([p.astype(object) for p in parts], ignore_index=True)
    out["commune_code"] = _codes(out["commune_code"])
    return out.drop_duplicates("official_id")


def _codes(values: pd.Series) -> pd.Series:
    """Commune codes as nullable integers, so 101 and 101.0 compare equal across plans."""
    return pd.to_numeric(values, errors="coerce").round().astype("Int64")


def _moved_officials(plans: dict[str, Plan]) -> pd.DataFrame:
    attributes = ["commune_code", "commune_name", "position", "field"]
    outcomes = {label: _outcomes(plan) for label, plan in plans.items()}
    outcomes = {label: o for label, o in outcomes.items() if o is not None}
    if not outcomes:
        return pd.DataFrame(columns=["official_id", "name", "changes"])
    merged = None
    for label, o in outcomes.items():
        part = o.rename(columns={a: _col(a, label) for a in attributes + ["name"]})
        merged = part if merged is None else merged.merge(part, on="official_id", how="outer")
    labels = list(outcomes)
    names = merged[[_col("name", p) for p in labels]]
    merged["name"] = names.bfill(axis=1).iloc[:, 0]
    changed = {
        "commune": _differs(merged[[_col("commune_code", p) for p in labels]]),
        "position": _differs(merged[[_col("position", p) for p in labels]]),
        "field": _differs(merged[[_col("field", p) for p in labels]]),
    }
    flags = pd.DataFrame(changed)
    merged["changes"] = _change_list(flags)
    keep = flags.any(axis=1)
    columns = ["official_id", "name", "changes"] + [_col(a, p) for p in labels for a in attributes]
    return merged.loc[keep, columns].sort_values("official_id").reset_index(drop=True)


def _keyed_sums(plans: dict[str, Plan], table: str, keys: list[str], values: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Per plan, sums of `values` by `keys` side by side (0 where a plan has no row); plans without the table are left out."""
    parts, names, present = [], [], []
    for label, plan in plans.items():
        df = plan.tables.get(table)
        if df is None or not (set(keys) | set(values)) <= set(df.columns):
            continue
        present.append(label)
        sums = df.groupby(keys)[values].sum().astype(float)
        parts.append(sums.rename(columns={v: _col(v, label) for v in values}))
        if "commune_name" in df.columns:
            names.append(df[["commune_code", "commune_name"]].astype(object))
    if not present:
        return pd.DataFrame(), []
    merged = pd.concat(parts, axis=1, join="outer").fillna(0.0).reset_index()
    if names:
        lookup = pd.concat(names).dropna().drop_duplicates("commune_code").set_index("commune_code")["commune_name"]
        merged.insert(1, "commune_name", merged["commune_code"].map(lookup))
    return merged, present


def _shortage_delta(plans: dict[str, Plan]) -> pd.DataFrame:
    merged, present = _keyed_sums(plans, "staffing_by_commune", ["commune_code", "field"], ["shortage"])
    if not present:
        return pd.DataFrame(columns=["commune_code", "commune_name", "field"])
    first = present[0]
    for label in present[1:]:
        merged[_col("delta", label)] = merged[_col("shortage", label)] - merged[_col("shortage", first)]
    values = [_col("shortage", p) for p in present]
    deltas = [_col("delta", p) for p in present[1:]]
    keep = (merged[values] > 0).any(axis=1) | (merged[deltas] != 0).any(axis=1)  # no deltas: all False
    head = ["commune_code"] + (["commune_name"] if "commune_name" in merged.columns else []) + ["field"]
    return merged.loc[keep, head + values + deltas].sort_values(["commune_code", "field"]).reset_index(drop=True)


def _building_changes(plans: dict[str, Plan]) -> pd.DataFrame:
    merged, present = None, []
    for label, plan in plans.items():
        uses = plan.tables.get("building_uses")
        if uses is None or "use" not in uses.columns:
            continue
        present.append(label)
        part = uses.reindex(columns=["building_id", "building_name", "use", "serves_commune_code"])
        part = part.astype(object).assign(serves_commune_code=_codes(part["serves_commune_code"]))
        part = part.rename(columns={c: _col(c, label) for c in ("building_name", "use", "serves_commune_code")})
        merged = part if merged is None else merged.merge(part, on="building_id", how="outer")
    if not present:
        return pd.DataFrame(columns=["building_id", "building_name", "changes"])
    merged["building_name"] = merged[[_col("building_name", p) for p in present]].bfill(axis=1).iloc[:, 0]
    flags = pd.DataFrame({
        "use": _differs(merged[[_col("use", p) for p in present]]),
        "serves_commune_code": _differs(merged[[_col("serves_commune_code", p) for p in present]]),
    })
    merged["changes"] = _change_list(flags)
    columns = ["building_id", "building_name", "changes"] + [_col(c, p) for p in present for c in ("use", "serves_commune_code")]
    return merged.loc[flags.any(axis=1), columns].sort_values("building_id").reset_index(drop=True)


def _purchase_changes(plans: dict[str, Plan]) -> pd.DataFrame:
    merged, present = _keyed_sums(plans, "equipment_purchases", ["commune_code", "item_type"], ["count", "cost_vnd"])
    if not present:
        return pd.DataFrame(columns=["commune_code", "commune_name", "item_type"])
    first = present[0]
    for label in present[1:]:
        merged[_col("count_delta", label)] = merged[_col("count", label)] - merged[_col("count", first)]
        merged[_col("cost_delta_vnd", label)] = merged[_col("cost_vnd", label)] - merged[_col("cost_vnd", first)]
    keep = _differs(merged[[_col("count", p) for p in present]]) | _differs(merged[[_col("cost_vnd", p) for p in present]])
    head = ["commune_code"] + (["commune_name"] if "commune_name" in merged.columns else []) + ["item_type"]
    columns = head + [_col(v, p) for p in present for v in ("count", "cost_vnd")] \
        + [_col(v, p) for p in present[1:] for v in ("count_delta", "cost_delta_vnd")]
    return merged.loc[keep, columns].sort_values(["commune_code", "item_type"]).reset_index(drop=True)
