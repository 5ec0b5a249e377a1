"""The norms a plan used, with their legal sources: one table computed once per dataset and scenario.

`norms_used(ds, scenario)` has one row per rule in force for the dataset: the government staff quota
rule (planner/reference/staffing_quota.csv) or a province's own 'total' rows, the staffing norms that
win for at least one commune, the equipment norms for the commune types present, the per-item prices,
the building-use priorities (Official Dispatch 213/CĐ-TTg) and the office floor area per position
(Decree 155/2025/NĐ-CP) with the shared-area factor. Each row says what the rule says in plain words
(English, and Vietnamese in `<column>_vi`), where it comes from (source, basis law | guidance |
assumption, confidence) and its status against the bundled reference:

  reference   identical to the bundled reference row with the same rule_id
  overridden  same rule_id as a reference row, other values (`changed` names the columns)
  province    a rule_id the reference does not have (the province's own rule)
  scenario    a change the scenario makes (norm_overrides, assets.price_uplift, m2_per_official, ...)

`norms_by_commune` and `norms_by_field` are the resolved quota and staffing norms per commune (the
`planner norms` command).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .dataset import Dataset, conform
from .derived import per_item_parameters
from .messages import Message
from .norms import apply_overrides, quota_fields, quota_rules, resolve_staffing_norms, total_field
from .scenario import AssetOptions, Scenario
from .schema import load_schema

REFERENCE_DIR = Path(__file__).parent / "reference"

KINDS = ("staffing_quota", "staffing_norm", "equipment_norm", "price", "building_priority", "office_area")
STATUSES = ("reference", "overridden", "province", "scenario")
LEGAL_BASES = ("law", "guidance", "assumption")
COLUMNS = ["kind", "rule_id", "subject", "subject_vi", "applies_to", "applies_to_vi", "rule", "rule_vi", "communes",
           "document", "document_vi", "source", "basis", "confidence", "status", "changed", "note", "note_vi"]

# (vi, en) phrase templates of the plain-words columns
PHRASES: dict[str, tuple[str, str]] = {
    "all_communes": ("mọi xã, phường, đặc khu", "all communes"),
    "of_type": ("loại {type}", "type {type}"),
    "mountainous": ("{type}, miền núi", "{type}, mountainous"),
    "one_commune": ("riêng {name} ({code})", "only {name} ({code})"),
    "population_from": ("dân số từ {low}", "population from {low}"),
    "population_below": ("dân số dưới {high}", "population below {high}"),
    "population_range": ("dân số từ {low} đến dưới {high}", "population {low} to below {high}"),
    "at_least": ("tối thiểu {count} người", "at least {count}"),
    "at_least_per_10k": ("tối thiểu {count} người + {per_10k} người cho mỗi 10.000 dân",
                         "at least {count} + {per_10k} per 10,000 residents"),
    "per_10k": ("thêm {per_10k} người cho mỗi 10.000 dân", "plus {per_10k} per 10,000 residents"),
    "at_most": ("tối đa {count} người", "at most {count}"),
    "no_maximum": ("không giới hạn tối đa", "no maximum"),
    "quota_rule": ("{base} người, thêm 1 người cho mỗi {step} dân trên {threshold}, tối đa {cap} người",
                   "{base}, plus 1 per full {step} residents above {threshold}, at most {cap}"),
    "quota_total": ("biên chế khối chính quyền tối đa {count} người", "government staff quota at most {count}"),
    "quantity": ("{quantity} chiếc, tính {basis}", "{quantity} item(s), counted {basis}"),
    "cap": ("tối đa {cap} chiếc mỗi xã", "at most {cap} per commune"),
    "priority": ("mức ưu tiên {priority}", "priority {priority}"),
    "price": ("{parameter}: {value} {unit}", "{parameter}: {value} {unit}"),
    "price_uplift": ("mọi đơn giá mua mới tăng {share}", "every new-item price raised by {share}"),
    "price_uplift_note": ("tỉnh được tăng giá tối đa tới 30% so với mức giá tối đa của Quyết định 15/2025/QĐ-TTg "
                          "(Điều 4 khoản 4; người đứng đầu cơ quan tới 15%)",
                          "the province may raise the maximum prices of Decision 15/2025/QĐ-TTg by up to 30% "
                          "(Art. 4(4); agency heads up to 15%)"),
    "use_priority": ("thứ tự ưu tiên {priority} khi giao công trình dôi dư",
                     "priority {priority} when surplus buildings are given a use"),
    "m2_per_official": ("{m2} m² phòng làm việc mỗi người", "{m2} m² of working room per person"),
    "shared_area": ("tổng diện tích sàn = {factor} × diện tích phòng làm việc",
                    "total floor area = {factor} × working-room area"),
    "shared_area_subject": ("Diện tích dùng chung (phòng họp, bộ phận một cửa, kho lưu trữ)",
                            "Shared area (meeting rooms, one-stop hall, archives)"),
    "all_prices": ("Mọi đơn giá mua mới", "All new-item prices"),
    "reference_said": ("mẫu: {rule}", "reference: {rule}"),
    "scenario_changes": ("kịch bản thay đổi: {changes}", "changed by the scenario: {changes}"),
    "scenario_source": ("kịch bản {name}: {key}", "scenario {name}: {key}"),
    "default_was": ("mặc định {value}", "default {value}"),
    "changes_rules": ("thay đổi quy định {rules}", "changes rule(s) {rules}"),
}

SHARED_AREA_SOURCE = (
    "Assumption (scenario assets.shared_area_factor): Decree 152/2017/NĐ-CP allowed shared areas (meeting rooms, "
    "reception, archives) of at most 50% of the working rooms, 70% at commune offices; the factor of Decree "
    "155/2025/NĐ-CP that replaced it was not verified")
DOCUMENT_KINDS = {"Official Dispatch": "Công văn", "Decision": "Quyết định", "Decree": "Nghị định",
                  "Circular": "Thông tư", "Guidance": "Hướng dẫn", "Regulation": "Quy định"}
_DOCUMENT = re.compile(r"(?:(" + "|".join(DOCUMENT_KINDS) + r")\s+)?(\d+(?:-[A-ZĐ]+)?(?:/\d{4})?/[A-ZĐ][^\s,;():]*)")


# ---------------------------------------------------------------- words in both languages
def phrase(_key: str, **values) -> Message:
    """PHRASES[key] with its placeholders filled; values may be Messages (their .vi is used in Vietnamese)."""
    vi, en = PHRASES[_key]
    out = Message(en.format(**{k: str(v) for k, v in values.items()}))
    out.vi = vi.format(**{k: getattr(v, "vi", v) for k, v in values.items()})
    return out


def both(en: str, vi: str) -> Message:
    out = Message(en)
    out.vi = vi
    return out


def _label(list_name: str, code) -> Message:
    return both(vocab.label(list_name, code, "en"), vocab.label(list_name, code, "vi"))


def _join(parts: list, sep: str = "; ") -> Message:
    parts = [p for p in parts if p]
    return both(sep.join(str(p) for p in parts), sep.join(getattr(p, "vi", str(p)) for p in parts))


def _number(value) -> Message:
    """12,000 / 0.3 in English; 12.000 / 0,3 in Vietnamese."""
    x = float(value)
    if np.isclose(x, round(x)):
        en = f"{int(round(x)):,}"
    else:
        en = f"{x:,.4f}".rstrip("0").rstrip(".")
    return both(en, en.replace(",", "\x00").replace(".", ",").replace("\x00", "."))


def _quantity(value) -> Message:
    """1/3 for 0.333..., else the number."""
    x = float(value)
    if 0 < x < 1 and np.isclose(1 / x, round(1 / x), atol=1e-6):
        return both(f"1/{int(round(1 / x))}", f"1/{int(round(1 / x))}")
    return _number(x)


def short_source(text, lang: str = "en") -> str:
    """The first document number a source cites, with its kind: 'Official Dispatch 09/CV-BCĐ' ('Công văn 09/CV-BCĐ')."""
    hit = _DOCUMENT.search(str(text or ""))
    if not hit:
        return ""
    kind = hit.group(1) or ""
    if kind and lang == "vi":
        kind = DOCUMENT_KINDS[kind]
    return f"{kind} {hit.group(2)}".strip()


# ---------------------------------------------------------------- the bundled reference
@cache
def _reference_table(name: str) -> pd.DataFrame:
    """A bundled reference file conformed to its input table's schema (same dtypes as a dataset's table)."""
    return conform(pd.read_csv(REFERENCE_DIR / f"{name}.csv"), load_schema()[name])


def reference_staffing_norms() -> pd.DataFrame:
    return _reference_table("staffing_norms")


def reference_equipment_norms() -> pd.DataFrame:
    return _reference_table("equipment_norms")


@cache
def reference_unit_costs() -> pd.DataFrame:
    """item_type, parameter, value, unit, source, basis, confidence (a wide file is read as one row per value)."""
    frame = pd.read_csv(REFERENCE_DIR / "unit_costs.csv")
    if "parameter" not in frame.columns:
        frame = frame.melt(id_vars="item_type", var_name="parameter", value_name="value")
    for column in ("unit", "source", "basis", "confidence"):
        if column not in frame.columns:
            frame[column] = pd.NA
    return frame


def legal_basis_column(table: str, frame: pd.DataFrame) -> str | None:
    """Where a table keeps law | guidance | assumption: `legal_basis` in equipment_norms (its `basis` says what the
    quantity is counted per), `basis` elsewhere."""
    if "legal_basis" in frame.columns:
        return "legal_basis"
    if table == "equipment_norms":
        return None
    return "basis" if "basis" in frame.columns else None


def _meta_columns(table: str, frame: pd.DataFrame) -> set[str]:
    return {"rule_id", "source", "confidence", legal_basis_column(table, frame)} - {None}


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    try:
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-9))
    except (TypeError, ValueError):
        return str(a) == str(b)


def changed_columns(row: pd.Series, reference: pd.Series, columns: list[str]) -> list[str]:
    """The value columns in which a row differs from the reference row."""
    return [c for c in columns if not _same(row.get(c), reference.get(c))]


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def _status(rule_id: str, row: pd.Series, reference: pd.DataFrame, columns: list[str]) -> tuple[str, list[str], pd.Series | None]:
    if rule_id not in reference.index:
        return "province", [], None
    ref = reference.loc[rule_id]
    changed = changed_columns(row, ref, columns)
    return ("overridden" if changed else "reference"), changed, ref


def _provenance(row: pd.Series, ref: pd.Series | None, status: str, legal: str | None, ref_legal: str | None) -> dict:
    """source, basis, confidence of a data row; empty cells of a reference row are filled from the reference."""
    out = {"source": _text(row.get("source")), "basis": _text(row.get(legal)) if legal else "",
           "confidence": _text(row.get("confidence"))}
    if ref is not None and status == "reference":
        fill = {"source": ref.get("source"), "basis": ref.get(ref_legal) if ref_legal else None,
                "confidence": ref.get("confidence")}
        out = {k: v or _text(fill[k]) for k, v in out.items()}
    return out


# ---------------------------------------------------------------- plain words
def _applies_to(row: pd.Series, names: dict[int, str]) -> Message:
    code = row.get("commune_code")
    if pd.notna(code):
        return phrase("one_commune", name=names.get(int(code), str(int(code))), code=int(code))
    parts = []
    ctype = _text(row.get("commune_type"))
    if ctype and ctype != vocab.role_code("commune_types", "any"):
        parts.append(phrase("of_type", type=_label("commune_types", ctype)))
    low = row.get("min_population")
    high = row.get("max_population")
    low = float(low) if pd.notna(low) and float(low) > 0 else None
    high = float(high) if pd.notna(high) else None
    if low is not None and high is not None:
        parts.append(phrase("population_range", low=_number(low), high=_number(high)))
    elif low is not None:
        parts.append(phrase("population_from", low=_number(low)))
    elif high is not None:
        parts.append(phrase("population_below", high=_number(high)))
    return _join(parts, ", ") if parts else phrase("all_communes")


def _staffing_rule(row) -> Message:
    if row.get("field") == total_field():
        return (phrase("quota_total", count=_number(row["max_count"])) if pd.notna(row.get("max_count"))
                else phrase("no_maximum"))
    per_10k = row.get("per_10k_residents")
    low = (phrase("at_least_per_10k", count=_number(row["min_count"]), per_10k=_number(per_10k))
           if pd.notna(per_10k) and float(per_10k) > 0 else phrase("at_least", count=_number(row["min_count"])))
    high = phrase("at_most", count=_number(row["max_count"])) if pd.notna(row.get("max_count")) else phrase("no_maximum")
    return _join([low, high], ", ")


def _staffing_subject(field: str, position: str) -> Message:
    if field == total_field():
        return _label("fields", field)
    return _join([_label("fields", field), _label("positions", position)], " · ")


def _first_lower(text: str) -> str:
    """'Per leader (group VII)' -> 'per leader (group VII)'."""
    return text[:1].lower() + text[1:]


def _equipment_rule(row) -> Message:
    parts = []
    quantity = row.get("quantity")
    if pd.notna(quantity) and float(quantity) > 0:
        basis = _label("equipment_bases", row["basis"])
        parts.append(phrase("quantity", quantity=_quantity(quantity),
                            basis=both(_first_lower(str(basis)), _first_lower(basis.vi))))
    cap = row.get("max_per_commune")
    if pd.notna(cap):
        parts.append(phrase("cap", cap=_number(cap)))
    if pd.notna(row.get("priority")):
        parts.append(phrase("priority", priority=int(row["priority"])))
    return _join(parts, ", ")


def _row(kind: str, rule_id: str, subject, applies_to, rule, communes, source="", basis="", confidence="",
         status="reference", changed=(), note=None) -> dict:
    note = note if note is not None else both("", "")
    return {"kind": kind, "rule_id": str(rule_id), "subject": str(subject), "subject_vi": getattr(subject, "vi", str(subject)),
            "applies_to": str(applies_to), "applies_to_vi": getattr(applies_to, "vi", str(applies_to)),
            "rule": str(rule), "rule_vi": getattr(rule, "vi", str(rule)), "communes": communes,
            "document": short_source(source, "en"), "document_vi": short_source(source, "vi"),
            "source": source, "basis": basis, "confidence": confidence, "status": status,
            "changed": ", ".join(changed), "note": str(note), "note_vi": getattr(note, "vi", str(note))}


# ---------------------------------------------------------------- staffing
STAFFING_VALUES = ["commune_code", "commune_type", "min_population", "max_population", "field", "position",
                   "min_count", "max_count", "per_10k_residents"]


def _scenario_steps(norms: pd.DataFrame, scenario: Scenario) -> list[tuple[object, set[str], pd.DataFrame]]:
    """Per scenario norm override: the override, the rule_ids it changes or adds, the norms after it."""
    steps, state = [], norms.reset_index(drop=True)
    for override in scenario.norm_overrides:
        after = apply_overrides(state, [override]).reset_index(drop=True)
        ids = set(after["rule_id"].iloc[len(state):].astype(str))  # copies and new rules
        before = state.reset_index(drop=True)
        for column in ("min_count", "max_count", "per_10k_residents"):
            moved = [not _same(a, b) for a, b in zip(before[column], after[column].iloc[:len(before)])]
            ids |= set(before.loc[moved, "rule_id"].astype(str))
        steps.append((override, ids, after))
        state = after
    return steps


def _staffing_rows(ds: Dataset, scenario: Scenario) -> list[dict]:
    communes, norms = ds["communes"], ds["staffing_norms"].reset_index(drop=True)
    names = dict(zip(communes["code"].astype(int), communes["name"].astype(str)))
    resolved = resolve_staffing_norms(communes, norms, scenario.norm_overrides) if len(communes) else \
        pd.DataFrame(columns=["commune_code", "rule_id"])
    in_force = resolved.groupby(resolved["rule_id"].astype(str))["commune_code"].nunique()
    steps = _scenario_steps(norms, scenario)
    by_scenario: dict[str, list[str]] = {}
    for override, ids, _ in steps:
        words = [f"{c} {getattr(override, c):g}" for c in ("min_count", "max_count", "per_10k_residents")
                 if getattr(override, c) is not None]
        for rid in ids:
            by_scenario.setdefault(rid, []).extend(words)

    quota_rows, norm_rows = [], []
    for rule in quota_rules().itertuples(index=False):
        if rule.rule_id not in in_force.index:
            continue
        ctype = _label("commune_types", rule.commune_type)
        applies = phrase("mountainous", type=ctype) if rule.mountainous else phrase("of_type", type=ctype)
        text = phrase("quota_rule", base=_number(rule.base), step=_number(rule.residents_per_extra),
                      threshold=_number(rule.population_threshold), cap=_number(rule.cap))
        quota_rows.append(_row("staffing_quota", rule.rule_id, _label("fields", total_field()), applies, text,
                               int(in_force[rule.rule_id]), _text(rule.source), _text(rule.basis),
                               _text(getattr(rule, "confidence", "")), "reference",
                               note=both(_text(getattr(rule, "note", "")),
                                         _text(getattr(rule, "note_vi", "")) or _text(getattr(rule, "note", "")))))

    reference = reference_staffing_norms().set_index(reference_staffing_norms()["rule_id"].astype(str))
    legal = legal_basis_column("staffing_norms", norms)
    ref_legal = legal_basis_column("staffing_norms", reference)
    for _, row in norms.iterrows():
        rid = str(row["rule_id"])
        if rid not in in_force.index:
            continue
        status, changed, ref = _status(rid, row, reference, STAFFING_VALUES)
        notes = []
        if status == "overridden":
            notes.append(phrase("reference_said", rule=_staffing_rule(ref)))
        if rid in by_scenario:
            notes.append(phrase("scenario_changes", changes=", ".join(by_scenario[rid])))
        kind = "staffing_quota" if row["field"] == total_field() else "staffing_norm"
        out = _row(kind, rid, _staffing_subject(row["field"], row["position"]), _applies_to(row, names),
                   _staffing_rule(row), int(in_force[rid]), status=status, changed=changed, note=_join(notes),
                   **_provenance(row, ref, status, legal, ref_legal))
        (quota_rows if kind == "staffing_quota" else norm_rows).append(out)

    for k, (override, ids, _) in enumerate(steps, start=1):
        kind = "staffing_quota" if override.field == total_field() else "staffing_norm"
        slot = {"field": override.field, "position": override.position, "commune_type": override.commune_type,
                "commune_code": pd.NA, "min_population": 0, "max_population": pd.NA, "min_count": override.min_count,
                "max_count": override.max_count, "per_10k_residents": override.per_10k_residents}
        parts = []
        if override.min_count is not None:
            parts.append(phrase("at_least", count=_number(override.min_count)))
        if override.per_10k_residents is not None:
            parts.append(phrase("per_10k", per_10k=_number(override.per_10k_residents)))
        if override.max_count is not None:
            parts.append(phrase("quota_total" if kind == "staffing_quota" else "at_most", count=_number(override.max_count)))
        changed = [c for c in ("min_count", "max_count", "per_10k_residents") if getattr(override, c) is not None]
        communes = int(resolved.loc[resolved["rule_id"].astype(str).isin(ids), "commune_code"].nunique())
        row = _row(kind, f"scenario:{k}:{override.field}:{override.position}", _staffing_subject(override.field, override.position),
                   _applies_to(pd.Series(slot), names), _join(parts, ", "), communes,
                   str(phrase("scenario_source", name=scenario.name, key=f"norm_overrides[{k - 1}]")), "assumption", "",
                   "scenario", changed, phrase("changes_rules", rules=", ".join(sorted(ids)) or "—"))
        (quota_rows if kind == "staffing_quota" else norm_rows).append(row)
    return quota_rows + norm_rows


# ---------------------------------------------------------------- equipment and prices
def _equipment_rows(ds: Dataset) -> list[dict]:
    norms, communes = ds["equipment_norms"], ds["communes"]
    if not len(norms):
        return []
    any_type = vocab.role_code("commune_types", "any")
    types = communes["type"].astype(str).value_counts()
    reference = reference_equipment_norms().set_index(reference_equipment_norms()["rule_id"].astype(str))
    legal, ref_legal = legal_basis_column("equipment_norms", norms), legal_basis_column("equipment_norms", reference)
    values = [c for c in norms.columns if c not in _meta_columns("equipment_norms", norms)]
    rows = []
    for _, row in norms.iterrows():
        ctype = _text(row.get("commune_type")) or any_type
        count = len(communes) if ctype == any_type else int(types.get(ctype, 0))
        if not count:
            continue
        rid = str(row["rule_id"])
        status, changed, ref = _status(rid, row, reference, values)
        note = phrase("reference_said", rule=_equipment_rule(ref)) if status == "overridden" else None
        applies = phrase("all_communes") if ctype == any_type else phrase("of_type", type=_label("commune_types", ctype))
        rows.append(_row("equipment_norm", rid, _label("item_types", row["item_type"]), applies, _equipment_rule(row), count,
                         status=status, changed=changed, note=note, **_provenance(row, ref, status, legal, ref_legal)))
    return rows


def _price_text(parameter: str, value, unit) -> Message:
    unit = _text(unit) or vocab.column("cost_parameters", "unit").get(parameter, "")
    unit_vi = {"VND": "đồng", "VND/km/item": "đồng/km/chiếc"}.get(unit, unit)
    return phrase("price", parameter=_label("cost_parameters", parameter), value=_number(value), unit=both(unit, unit_vi))


def _price_rows(ds: Dataset, scenario: Scenario) -> list[dict]:
    costs = ds["costs"]
    per_item = set(per_item_parameters())
    rows = []
    reference = reference_unit_costs()
    reference = reference.set_index(reference["parameter"].astype(str) + ":" + reference["item_type"].astype(str))
    priced = costs[costs["parameter"].isin(per_item) & costs["item_type"].notna()]
    for _, row in priced.iterrows():
        rid = f"{row['parameter']}:{row['item_type']}"
        status, changed, ref = _status(rid, row, reference, ["value"])
        note = phrase("reference_said", rule=_price_text(row["parameter"], ref["value"], ref.get("unit"))) \
            if status == "overridden" else None
        rows.append(_row("price", rid, _label("item_types", row["item_type"]), phrase("all_communes"),
                         _price_text(row["parameter"], row["value"], row.get("unit")), pd.NA, status=status,
                         changed=changed, note=note, **_provenance(row, ref, status, "basis", "basis")))
    uplift = getattr(scenario.assets, "price_uplift", None)
    default = AssetOptions.model_fields["price_uplift"].default if "price_uplift" in AssetOptions.model_fields else None
    if uplift is not None and not _same(uplift, default):
        share = both(f"{float(uplift):.0%}", f"{float(uplift):.0%}".replace(".", ","))
        rows.append(_row("price", "scenario:price_uplift", phrase("all_prices"), phrase("all_communes"),
                         phrase("price_uplift", share=share), pd.NA,
                         str(phrase("scenario_source", name=scenario.name, key="assets.price_uplift")), "assumption", "",
                         "scenario", ["price_uplift"], phrase("price_uplift_note")))
    return rows


# ---------------------------------------------------------------- buildings and offices
def _bundled_vocab(name: str) -> pd.DataFrame:
    return pd.read_csv(vocab.BUNDLED_DIR / f"{name}.csv", dtype=str, keep_default_na=False).set_index("code")


def building_priorities() -> pd.DataFrame:
    """use, priority, source, basis, confidence: planner/reference/building_priorities.csv when present, else the
    building_uses list's priority column (Official Dispatch 213/CĐ-TTg)."""
    path = REFERENCE_DIR / "building_priorities.csv"
    if path.exists():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame.rename(columns={"code": "use", "priority_source": "source", "priority_basis": "basis",
                                      "priority_confidence": "confidence"})
    else:
        uses = vocab.table("building_uses")
        if "priority" not in uses.columns:
            return pd.DataFrame(columns=["use", "priority", "source", "basis", "confidence"])
        frame = pd.DataFrame({"use": uses["code"], "priority": uses["priority"],
                              "source": uses.get("priority_source", ""), "basis": uses.get("priority_basis", ""),
                              "confidence": uses.get("priority_confidence", "")})
    frame = frame[frame["priority"].astype(str).str.strip() != ""].copy()
    for column in ("source", "basis", "confidence"):
        frame[column] = frame[column].fillna("").astype(str) if column in frame else ""
    guessed = np.where(frame["source"].str.lower().str.startswith("assumption"), "assumption", "guidance")
    frame["basis"] = frame["basis"].where(frame["basis"] != "", guessed)
    return frame.reset_index(drop=True)


def _building_rows(ds: Dataset, scenario: Scenario) -> list[dict]:
    priorities = building_priorities()
    if not len(priorities):
        return []
    housing = set(vocab.role_codes("building_uses", "housing"))
    bundled = _bundled_vocab("building_uses")
    rows = []
    for row in priorities.itertuples(index=False):
        if row.use in housing and getattr(scenario.assets, "housing_for_officials", True) is False:
            continue
        rid = f"priority:{row.use}"
        if row.use not in bundled.index:
            status, changed = "province", []
        elif "priority" in bundled.columns and not _same(bundled.loc[row.use, "priority"], row.priority):
            status, changed = "overridden", ["priority"]
        else:
            status, changed = "reference", []
        rows.append(_row("building_priority", rid, _label("building_uses", row.use), phrase("all_communes"),
                         phrase("use_priority", priority=row.priority), len(ds["communes"]), row.source, row.basis,
                         row.confidence, status, changed))
    return rows


def _office_rows(ds: Dataset, scenario: Scenario) -> list[dict]:
    positions = vocab.table("positions")
    defaults = vocab.column("positions", "default_m2_per_official", numeric=True)
    chosen = scenario.assets.m2_per_official
    rows = []
    for _, pos in positions[~positions["pseudo"]].iterrows():
        code = pos["code"]
        value = chosen.get(code, defaults.get(code))
        if value is None:
            continue
        default = defaults.get(code)
        rule = phrase("m2_per_official", m2=_number(value))
        if _same(value, default):
            rows.append(_row("office_area", f"m2:{code}", _label("positions", code), phrase("all_communes"), rule,
                             len(ds["communes"]), pos.get("m2_source", ""), pos.get("m2_basis", ""),
                             pos.get("m2_confidence", ""), "reference"))
        else:
            rows.append(_row("office_area", f"m2:{code}", _label("positions", code), phrase("all_communes"), rule,
                             len(ds["communes"]),
                             str(phrase("scenario_source", name=scenario.name, key=f"assets.m2_per_official.{code}")),
                             "assumption", "", "scenario", ["m2_per_official"],
                             _join([phrase("default_was", value=_number(default)) if default is not None else "",
                                    both(pos.get("m2_source", ""), pos.get("m2_source", ""))])))
    factor = scenario.assets.shared_area_factor
    default = AssetOptions.model_fields["shared_area_factor"].default
    changed = [] if _same(factor, default) else ["shared_area_factor"]
    rows.append(_row("office_area", "shared_area_factor", phrase("shared_area_subject"), phrase("all_communes"),
                     phrase("shared_area", factor=_number(factor)), len(ds["communes"]),
                     SHARED_AREA_SOURCE if not changed else
                     str(phrase("scenario_source", name=scenario.name, key="assets.shared_area_factor")) + ". " + SHARED_AREA_SOURCE,
                     "assumption", "low", "scenario" if changed else "reference", changed,
                     phrase("default_was", value=_number(default)) if changed else None))
    return rows


# ---------------------------------------------------------------- the tables
def norms_used(ds: Dataset, scenario: Scenario | None = None) -> pd.DataFrame:
    """One row per rule in force for this dataset and scenario (columns COLUMNS; see the module docstring)."""
    scenario = scenario or Scenario()
    rows = (_staffing_rows(ds, scenario) + _equipment_rows(ds) + _price_rows(ds, scenario)
            + _building_rows(ds, scenario) + _office_rows(ds, scenario))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["communes"] = pd.array(frame["communes"], dtype="Int64")
    order = {kind: k for k, kind in enumerate(KINDS)}
    frame = frame.assign(_kind=frame["kind"].map(order), _scenario=frame["status"].eq("scenario"))
    frame = frame.sort_values(["_kind", "_scenario"], kind="stable").drop(columns=["_kind", "_scenario"])
    return frame.reset_index(drop=True)


def status_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rules of norms_used are reference / overridden / province / scenario."""
    counts = table["status"].value_counts() if len(table) else pd.Series(dtype=int)
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def quota_sources(table: pd.DataFrame, lang: str = "en") -> list[str]:
    """The documents the quota rules in force cite (short form), e.g. ['Official Dispatch 09/CV-BCĐ']."""
    quota = table[(table["kind"] == "staffing_quota") & (table["status"] != "scenario")] if len(table) else table
    found = [short_source(s, lang) for s in quota.get("source", [])]
    return list(dict.fromkeys(s for s in found if s))


def norms_by_commune(ds: Dataset, scenario: Scenario | None = None) -> pd.DataFrame:
    """One row per commune: commune_code, commune_name, commune_type, population, mountainous, quota, quota_rule,
    quota_source, quota_basis, required_min_in_quota (the sum of the in-quota fields' minimums)."""
    scenario = scenario or Scenario()
    communes = ds["communes"]
    resolved = resolve_staffing_norms(communes, ds["staffing_norms"], scenario.norm_overrides)
    total = resolved[resolved["field"] == total_field()].set_index("commune_code")
    minimum = resolved[resolved["field"].isin(quota_fields())].groupby("commune_code")["required_min"].sum()
    code = communes["code"].astype(int)
    mountainous = communes["mountainous"] if "mountainous" in communes else pd.Series(False, index=communes.index)
    return pd.DataFrame({
        "commune_code": code.to_numpy(), "commune_name": communes["name"].astype(str).to_numpy(),
        "commune_type": communes["type"].astype(str).to_numpy(), "population": communes["population"].astype(int).to_numpy(),
        "mountainous": mountainous.fillna(False).astype(bool).to_numpy(),
        "quota": pd.array(total["required_max"].reindex(code).round(), dtype="Int64"),
        "quota_rule": total["rule_id"].reindex(code).astype(object).to_numpy(),
        "quota_source": total["source"].reindex(code).astype(object).to_numpy(),
        "quota_basis": total["basis"].reindex(code).astype(object).to_numpy(),
        "required_min_in_quota": minimum.reindex(code).fillna(0).astype(int).to_numpy(),
    })


def norms_by_field(ds: Dataset, scenario: Scenario | None = None, used: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per commune × field × position (the quota as field 'total'): commune_code, commune_name, commune_type,
    population, mountainous, field, position, in_quota, required_min, required_max, rule_id, source, basis, status
    (of the rule, from norms_used)."""
    scenario = scenario or Scenario()
    used = norms_used(ds, scenario) if used is None else used
    communes = norms_by_commune(ds, scenario)[["commune_code", "commune_name", "commune_type", "population", "mountainous"]]
    resolved = resolve_staffing_norms(ds["communes"], ds["staffing_norms"], scenario.norm_overrides)
    out = communes.merge(resolved, on="commune_code", how="right")
    out.insert(out.columns.get_loc("position") + 1, "in_quota", out["field"].isin(quota_fields()).to_numpy())
    status = dict(zip(used["rule_id"], used["status"]))
    out["status"] = out["rule_id"].astype(str).map(status).fillna("scenario")
    return out.reset_index(drop=True)
