"""The console summary of `planner solve`: province, scenario, status, KPIs per stage, solver runs, outputs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from .. import vocab
from ..kpis import is_breakdown, kpi_label
from ..labels import value_label
from ..messages import message, translated
from ..plan import Plan
from .style import has


CONSOLE_WORDS: dict[str, tuple[str, str]] = {
    "head": ("{province} - kịch bản «{scenario}» ({digest}), trạng thái {status}, dữ liệu {data}",
             "{province} - scenario '{scenario}' ({digest}), plan status {status}, data {data}"),
    "solver": ("  bộ giải {family}: {version}, {count} lần giải ({statuses}), lập mô hình {build:.2f} giây + giải {solve:.2f} giây, "
               "tối đa {variables} biến",
               "  solver {family}: {version}, {count} solve(s) ({statuses}), build {build:.2f} s + solve {solve:.2f} s, "
               "up to {variables} variables"),
    "nothing_ran": ("  không mô hình nào chạy (không bật giai đoạn nào)", "  no model ran (nothing enabled or no models installed)"),
    "workbook": ("bảng tính: {path}", "workbook: {path}"),
    "csv": ("các bảng CSV: {path}", "CSV tables: {path}"),
}


def _word(key: str, lang: str, **values) -> str:
    vi, en = CONSOLE_WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def print_summary(plan: Plan, path: Path, csv_dir: str | None = None, lang: str = "vi") -> None:
    """Short console summary in the user's language: province, scenario, status, KPIs, solver runs, outputs.

    Breakdown KPIs (one row per field or building use, planner/schema/kpis.csv) are shown only when
    not zero; solves of one model (e.g. the priority levels of the equipment model) are added up on one line.
    """
    prov = plan.provenance
    print(_word("head", lang, province=prov.get("province", ""), scenario=prov.get("scenario_name", ""),
                digest=prov.get("scenario_digest", ""), status=value_label("plan_status", plan.status, lang),
                data=prov.get("data_hash", "")))
    values = pd.to_numeric(plan.kpis["value"], errors="coerce")
    unmet = values[(plan.kpis["kpi"] == "equipment_unmet_priority_1").to_numpy()].sum()
    if unmet > 0:
        print(translated(message("equipment_priority_1_unmet", count=_plain_number(unmet, lang)), lang))
    shown = plan.kpis[~(plan.kpis["kpi"].astype(str).map(is_breakdown) & (values == 0))]
    stages = vocab.labels("stages", lang)
    for stage, rows in shown.groupby("stage", sort=False):
        figures = "; ".join(f"{kpi_label(r, lang)} {_plain_number(r.value, lang)}"
                            f"{' ' + str(value_label('unit', r.unit, lang)) if has(r.unit) else ''}"
                            for r in rows.itertuples())
        print(textwrap.fill(figures, width=110, initial_indent=f"  {stages.get(stage, stage)}: ", subsequent_indent="      "))
    if len(plan.solves):
        runs = plan.solves.assign(family=plan.solves["model"].astype(str).str.split(":").str[0])
        for family, group in runs.groupby("family", sort=False):
            statuses = ", ".join(f"{n} {str(value_label('status', status, lang)).lower() if lang == 'vi' else status}"
                                 for status, n in group["status"].value_counts().items())
            print(_word("solver", lang, family=family, version=group["solver_version"].iloc[0], count=len(group),
                        statuses=statuses, build=group["build_seconds"].sum(), solve=group["solve_seconds"].sum(),
                        variables=_plain_number(int(group["variables"].max()), lang)))
    if not plan.tables:
        print(_word("nothing_ran", lang))
    print(_word("workbook", lang, path=path))
    if csv_dir:
        print(_word("csv", lang, path=csv_dir))


def _plain_number(value, lang: str = "en") -> str:
    """A number as a reader writes it: 1,234.5 in English, 1.234,5 in Vietnamese."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return str(value)
    text = f"{number:,.0f}" if float(number) == round(float(number)) else f"{number:,.3g}" if abs(number) < 1 \
        else f"{number:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text
