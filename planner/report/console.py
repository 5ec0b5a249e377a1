"""The console summary of `planner solve`: province, scenario, status, KPIs per stage, solver runs, outputs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from ..kpis import is_breakdown, kpi_label
from ..messages import message, translated
from ..plan import Plan
from .style import has


def print_summary(plan: Plan, path: Path, csv_dir: str | None = None, lang: str = "vi") -> None:
    """Short console summary: province, scenario, status, KPIs, solver runs, where the outputs are.

    Breakdown KPIs (one row per field or building use, planner/schema/kpis.csv) are shown only when
    not zero; solves of one model (e.g. the priority levels of the equipment model) are added up on one line.
    """
    prov = plan.provenance
    print(f"{prov.get('province', '')} - scenario '{prov.get('scenario_name', '')}' "
          f"({prov.get('scenario_digest', '')}), plan status {plan.status}, data {prov.get('data_hash', '')}")
    values = pd.to_numeric(plan.kpis["value"], errors="coerce")
    unmet = values[(plan.kpis["kpi"] == "equipment_unmet_priority_1").to_numpy()].sum()
    if unmet > 0:
        print(translated(message("equipment_priority_1_unmet", count=f"{unmet:,.0f}"), lang))
    shown = plan.kpis[~(plan.kpis["kpi"].astype(str).map(is_breakdown) & (values == 0))]
    for stage, rows in shown.groupby("stage", sort=False):
        figures = "; ".join(f"{kpi_label(r, 'en')} {_plain_number(r.value)}{' ' + str(r.unit) if has(r.unit) else ''}"
                            for r in rows.itertuples())
        print(textwrap.fill(figures, width=110, initial_indent=f"  {stage}: ", subsequent_indent="      "))
    if len(plan.solves):
        runs = plan.solves.assign(family=plan.solves["model"].astype(str).str.split(":").str[0])
        for family, group in runs.groupby("family", sort=False):
            statuses = ", ".join(f"{n} {status}" for status, n in group["status"].value_counts().items())
            print(f"  solver {family}: {group['solver_version'].iloc[0]}, {len(group)} solve(s) ({statuses}), "
                  f"build {group['build_seconds'].sum():.2f} s + solve {group['solve_seconds'].sum():.2f} s, "
                  f"up to {int(group['variables'].max()):,} variables")
    if not plan.tables:
        print("  no model ran (nothing enabled or no models installed)")
    print(f"workbook: {path}")
    if csv_dir:
        print(f"CSV tables: {csv_dir}")


def _plain_number(value) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return str(value)
    return f"{number:,.0f}" if float(number) == round(float(number)) else f"{number:,.3g}" if abs(number) < 1 \
        else f"{number:,.2f}"
