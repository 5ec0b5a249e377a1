"""What `planner norms` shows: each commune's staff quota and the staffing norms, with their legal sources, as
console lines and as a workbook (quota by commune, norms by field, the rules and their sources)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import labels as L
from ..dataset import Dataset
from ..norms_used import quota_sources, short_source
from .sheets import SheetWriter

STAFFING_KINDS = ("staffing_quota", "staffing_norm")
COMMUNE_COLUMNS = ["commune_code", "commune_name", "commune_type", "population", "mountainous", "quota", "quota_rule"]


def _number(value, lang: str) -> str:
    if pd.isna(value):
        return "—"
    text = f"{int(round(float(value))):,}"
    return text.replace(",", ".") if lang == "vi" else text


def _in_language(row: pd.Series, column: str, lang: str) -> str:
    vi = row.get(f"{column}_vi")
    return str(vi if lang == "vi" and isinstance(vi, str) and vi else row.get(column, ""))


def _table(rows: list[list[str]], indent: str = "") -> list[str]:
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def norms_text(province: str, by_commune: pd.DataFrame, used: pd.DataFrame, lang: str = "vi") -> str:
    """The console view: a heading, one line per commune (code, name, type, population, mountainous, quota, rule
    and the document it follows), then one line per quota rule and staffing norm in force."""
    lang = L.check_lang(lang)
    sources = ", ".join(quota_sources(used, lang)) or L.text("quota_by_province", lang)
    lines = [L.text("norms_heading", lang).format(province=province, count=len(by_commune), sources=sources), ""]
    yes = L.value_labels("bool", lang)["true"]
    source_of = dict(zip(by_commune["quota_rule"].astype(str), by_commune["quota_source"]))
    rows = [[L.column_label(c, lang) for c in COMMUNE_COLUMNS]]
    for r in by_commune.itertuples(index=False):
        rule = str(r.quota_rule) if pd.notna(r.quota_rule) else "—"
        cited = short_source(source_of.get(rule, ""), lang)
        rows.append([str(r.commune_code), str(r.commune_name), str(L.value_label("commune_type", r.commune_type, lang)),
                     _number(r.population, lang), yes if r.mountainous else "", _number(r.quota, lang),
                     f"{rule} · {cited}" if cited else rule])
    lines += _table(rows)
    rules = used[used["kind"].isin(STAFFING_KINDS)]
    lines += ["", L.text("norms_rules_heading", lang).format(count=len(rules))]
    rows = []
    for _, r in rules.iterrows():
        cited = short_source(r["source"], lang) or (L.text("norms_no_document", lang) if str(r["source"]).strip() else "")
        rows.append([str(r["rule_id"]), _in_language(r, "subject", lang), _in_language(r, "applies_to", lang),
                     _in_language(r, "rule", lang), str(L.value_label("basis", r["basis"], lang) if r["basis"] else "—"),
                     cited or "—", str(L.value_label("status", r["status"], lang))])
    if rows:
        lines += _table(rows, indent="  ")
    return "\n".join(lines)


def write_norms_workbook(tables: dict[str, pd.DataFrame], dataset: Dataset, path: Path, lang: str = "vi",
                         province: str = "", protected: list[str | None] | None = None) -> Path:
    """norms_by_commune (one row per commune), norms_by_field (commune × field × position), norms_used (the rules
    and their sources), one formatted sheet each, headers and codes in `lang`."""
    writer = SheetWriter(lang, dataset, province, "", None, None)
    for name in ("norms_by_commune", "norms_by_field", "norms_used"):
        if name in tables:
            writer.table(name, tables[name])
    return writer.save(Path(path), protected=protected or [])
