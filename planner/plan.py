"""Plan: the result of a run (tables, KPIs, solver runs, provenance); planner.pipeline makes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


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

    def write_csv(self, folder: str | Path) -> list[Path]:
        """Every result table as <folder>/<table>.csv (names documented in docs/outputs.md)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, df in self.all_tables().items():
            path = folder / f"{name}.csv"
            df.to_csv(path, index=False, encoding="utf-8")
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
