"""Reading an earlier plan back: input for re-planning, so it sits below the pipeline and never imports the report.

The leadership workbook (planner.report) writes every table with its header in row HEADER_ROW and
registers its range as the workbook-level defined name `planner_<table>`; this module finds a table
by that name (any language), else by its sheet name in either language, and maps the headers and
coded values back to machine names.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd

from . import labels as L
from .files import unneutralise

HEADER_ROW = 3  # rows 1-2 of every table sheet carry the sheet title and context
DEFINED_NAME_PREFIX = "planner_"
ASSIGNMENT_COLUMNS = ["official_id", "commune_code", "position", "field"]


def read_plan_assignments(path: Path) -> pd.DataFrame:
    """Assignments (official_id, commune_code, position, field) of an earlier plan.

    Reads a result workbook in either language (found by the defined name planner_assignments,
    else by sheet name), an assignments.csv, or a folder holding assignments.csv. Edits made in
    Excel to the assignments sheet are honoured; labels are mapped back to codes.
    """
    path = Path(path)
    columns = ASSIGNMENT_COLUMNS
    if path.is_dir():
        path = path / "assignments.csv"
    if not path.exists():
        raise FileNotFoundError(f"previous plan not found: {path}")
    if path.suffix.lower() == ".csv":  # planner's own CSV: UTF-8 with BOM, formula-like text neutralised
        raw = pd.read_csv(path, dtype={"official_id": str, "position": str, "field": str}, encoding="utf-8-sig")
        for col in raw.select_dtypes(exclude=["number", "bool"]).columns:
            raw[col] = raw[col].map(unneutralise, na_action="ignore")
    else:
        raw = _read_sheet_table(path, "assignments", required=tuple(columns))
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: the assignments table has no column {', '.join(missing)}")
    out = raw[columns].dropna(subset=["official_id"]).copy()
    out["official_id"] = out["official_id"].astype(str).str.strip().astype("string")
    out["commune_code"] = pd.to_numeric(out["commune_code"], errors="coerce").round().astype("Int64")
    for col in ("position", "field"):
        codes = L.reverse_values(L.VALUE_KIND[col])
        out[col] = out[col].map(lambda v: codes.get(str(v).strip(), str(v).strip()), na_action="ignore").astype("string")
    return out.reset_index(drop=True)


def read_table(path: Path, table: str) -> pd.DataFrame:
    """A result table read back from a workbook written by planner.report (machine column names, labels as written)."""
    return _read_sheet_table(Path(path), table)


def _read_sheet_table(path: Path, table: str, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table from a workbook written by planner.report, headers mapped back to machine column names.

    Found by its defined name (any language), else by its sheet name in either language, else
    (when `required` columns are given) on any sheet whose header row holds those columns.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        columns = L.reverse_columns()
        candidates = []
        name = wb.defined_names.get(DEFINED_NAME_PREFIX + table)
        for sheet, ref in (name.destinations if name is not None else []):
            if sheet in wb.sheetnames:
                candidates.append((sheet, int(re.search(r"\d+", ref.split(":")[0]).group())))
        titles = {L.sheet_label(table, lang) for lang in L.LANGS}
        candidates += [(t, HEADER_ROW) for t in wb.sheetnames if t in titles]
        if required:
            candidates += [(t, None) for t in wb.sheetnames]
        for sheet, header_row in candidates:
            rows = list(wb[sheet].iter_rows(values_only=True))
            for k in ([header_row - 1] if header_row else range(min(len(rows), 10))):
                if k >= len(rows):
                    continue
                headers = [L.column_from_label(h, columns) if h is not None else f"column_{j}"
                           for j, h in enumerate(rows[k])]
                if set(required) <= set(headers):
                    body = [r for r in rows[k + 1:] if any(v is not None for v in r)]
                    return pd.DataFrame(body, columns=headers)
    finally:
        wb.close()
    raise ValueError(f"{path}: no '{table}' table found (sheets: {', '.join(wb.sheetnames)})")
