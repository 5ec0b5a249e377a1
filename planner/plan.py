"""Plan: the result of a run (tables, KPIs, solver runs, provenance); planner.pipeline makes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .files import neutralise, save_folder_atomic


@dataclass
class Plan:
    tables: dict[str, pd.DataFrame]
    kpis: pd.DataFrame
    solves: pd.DataFrame
    provenance: dict
    notes: list[str] = field(default_factory=list)
    status: str = "draft"  # draft | reviewed | approved

    def kpi(self, name: str, stage: str | None = None):
        rows = self.kpis[self.kpis["kpi"] == name]
        if stage is not None:
            rows = rows[rows["stage"] == stage]
        return rows["value"].iloc[0] if len(rows) else None

    def write_csv(self, folder: str | Path, anonymizer=None) -> list[Path]:
        """Every result table as <folder>/<table>.csv (names documented in docs/outputs.md); return the paths.

        The files are written to a temporary folder beside `folder`, then moved into place, so a failed or
        interrupted write leaves nothing partial (planner.files.StagedFolder). Encoding UTF-8 with BOM (Excel
        then shows Vietnamese correctly); text that a spreadsheet would run as a formula gets a leading
        apostrophe (planner.files.neutralise), numbers stay numbers. `anonymizer` (an object with
        `frame(df)`, e.g. planner.report.anonymize.Anonymizer) replaces officials' names first.
        """
        folder = Path(folder)
        written: list[Path] = []
        save_folder_atomic(folder, lambda tmp: written.extend(self.write_csv_files(tmp, anonymizer)))
        return [folder / p.name for p in written]

    def write_csv_files(self, folder: str | Path, anonymizer=None) -> list[Path]:
        """The CSV files written straight into an existing `folder` (callers stage it: see write_csv)."""
        folder = Path(folder)
        written = []
        for name, df in self.all_tables().items():
            if anonymizer is not None:
                df = anonymizer.frame(df)
            path = folder / f"{name}.csv"
            write_table_csv(df, path)
            written.append(path)
        return written

    def all_tables(self) -> dict[str, pd.DataFrame]:
        """Result tables plus KPI tables per stage, solver runs and provenance."""
        out = dict(self.tables)
        for stage in self.kpis["stage"].unique():
            out[f"{stage}_kpis"] = self.kpis[self.kpis["stage"] == stage].reset_index(drop=True)
        out["solver_runs"] = self.solves
        out["provenance"] = pd.DataFrame({"key": list(self.provenance), "value": [str(v) for v in self.provenance.values()]})
        return out


CSV_ENCODING = "utf-8-sig"  # UTF-8 with BOM: Excel opens the file as UTF-8


def write_table_csv(df: pd.DataFrame, path: str | Path) -> None:
    """One table as CSV: UTF-8 with BOM, text cells that look like formulas neutralised (headers too)."""
    safe_csv_frame(df).to_csv(path, index=False, encoding=CSV_ENCODING)


def safe_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and headers) cannot be read as formulas; numeric columns untouched."""
    out = df.copy()
    out.columns = [csv_text(c) for c in out.columns]
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) \
                or pd.api.types.is_datetime64_any_dtype(col):
            continue
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        out.isetitem(j, col.map(csv_text, na_action="ignore"))
    return out


def csv_text(value):
    """A text cell for CSV: neutralised (planner.files.neutralise), line breaks as '\\n' so that the writer quotes
    the cell (a bare CR would otherwise end the row for most readers)."""
    value = neutralise(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value
